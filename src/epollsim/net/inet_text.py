"""Text forms of IP addresses, as glibc parses and prints them (pure functions).

``inet_pton4``/``inet_pton6`` are resolv/inet_pton.c (strict: four decimal
octets without leading zeros; at most four hex digits a group, one ``::``,
an embedded IPv4 tail); ``inet_aton`` is resolv/inet_addr.c inet_aton_end
(1 to 4 parts, each decimal, octal with a leading 0 or hex with 0x, the last
part filling the remaining bytes, and trailing junk allowed after a space);
``inet_aton_exact`` is the same without trailing characters (what
getaddrinfo accepts as a numeric IPv4 host). ``inet_ntop6`` is
resolv/inet_ntop.c (the longest run of two or more zero groups becomes
``::``, the first such run on a tie; ``::a.b.c.d`` and ``::ffff:a.b.c.d``
keep the dotted tail). Every function takes ``str`` and answers ``None``
where the C function returns 0.
"""
from __future__ import annotations

_HEX = "0123456789abcdefABCDEF"
_SPACE = " \t\n\v\f\r"


_PTON4: dict[str, bytes | None] = {}  # inet_pton4's answers (a pure function, asked per connect)
_MEMO_MAX = 4096


def inet_pton4(src: str) -> bytes | None:
    """resolv/inet_pton.c inet_pton4."""
    try:
        return _PTON4[src]
    except KeyError:
        pass
    if len(_PTON4) >= _MEMO_MAX:
        _PTON4.clear()
    packed = _PTON4[src] = _inet_pton4(src)
    return packed


def _inet_pton4(src: str) -> bytes | None:
    out = [0]
    saw_digit = False
    octets = 0
    for ch in src:
        if "0" <= ch <= "9":
            new = out[-1] * 10 + ord(ch) - 48
            if saw_digit and out[-1] == 0:
                return None  # a leading zero
            if new > 255:
                return None
            out[-1] = new
            if not saw_digit:
                octets += 1
                if octets > 4:
                    return None
                saw_digit = True
        elif ch == "." and saw_digit:
            if octets == 4:
                return None
            out.append(0)
            saw_digit = False
        else:
            return None
    if octets < 4:
        return None
    return bytes(out)


def inet_pton6(src: str) -> bytes | None:
    """resolv/inet_pton.c inet_pton6."""
    tmp = bytearray(16)
    tp = 0
    colonp: int | None = None
    n = len(src)
    if n == 0:
        return None
    i = 0
    if src[0] == ":":
        i = 1
        if i == n or src[i] != ":":
            return None
    curtok = i
    xdigits = 0
    val = 0
    while i < n:
        ch = src[i]
        i += 1
        if ch in _HEX:
            if xdigits == 4:
                return None
            val = (val << 4) | int(ch, 16)
            xdigits += 1
            continue
        if ch == ":":
            curtok = i
            if xdigits == 0:
                if colonp is not None:
                    return None
                colonp = tp
                continue
            if i == n:
                return None
            if tp + 2 > 16:
                return None
            tmp[tp], tmp[tp + 1] = val >> 8, val & 0xFF
            tp += 2
            xdigits = 0
            val = 0
            continue
        if ch == "." and tp + 4 <= 16:
            v4 = inet_pton4(src[curtok:])
            if v4 is not None:
                tmp[tp : tp + 4] = v4
                tp += 4
                xdigits = 0
                break
        return None
    if xdigits:
        if tp + 2 > 16:
            return None
        tmp[tp], tmp[tp + 1] = val >> 8, val & 0xFF
        tp += 2
    if colonp is not None:
        if tp == 16:
            return None  # "::" would stand for no group at all
        moved = tmp[colonp:tp]
        tmp[colonp:] = bytes(16 - colonp)
        tmp[16 - len(moved) :] = moved
        tp = 16
    if tp != 16:
        return None
    return bytes(tmp)


def _strtoul0(s: str, i: int) -> tuple[int, int]:
    """strtoul(s + i, &end, 0) from a digit: (value, end index)."""
    n = len(s)
    if s.startswith(("0x", "0X"), i) and i + 2 < n and s[i + 2] in _HEX:
        j = i + 2
        while j < n and s[j] in _HEX:
            j += 1
        return int(s[i + 2 : j], 16), j
    if s[i] == "0":
        j = i + 1
        while j < n and "0" <= s[j] <= "7":
            j += 1
        return int(s[i:j], 8), j
    j = i
    while j < n and "0" <= s[j] <= "9":
        j += 1
    return int(s[i:j]), j


_PART_MAX = (0xFFFFFFFF, 0xFFFFFF, 0xFFFF, 0xFF)


def inet_aton(src: str, exact: bool = False) -> bytes | None:
    """resolv/inet_addr.c inet_aton_end; ``exact`` is __inet_aton_exact (no trailing text)."""
    parts: list[int] = []
    i = 0
    n = len(src)
    while True:
        if i >= n or not "0" <= src[i] <= "9":
            return None
        val, i = _strtoul0(src, i)
        if val > 0xFFFFFFFF:
            return None
        if i < n and src[i] == ".":
            if len(parts) > 2 or val > 0xFF:
                return None
            parts.append(val)
            i += 1
            continue
        break
    if i < n:
        if exact or src[i] not in _SPACE:
            return None
    if val > _PART_MAX[len(parts)]:
        return None
    word = val
    for k, part in enumerate(parts):
        word |= part << (24 - 8 * k)
    return word.to_bytes(4, "big")


def inet_ntop4(packed: bytes) -> str:
    return f"{packed[0]}.{packed[1]}.{packed[2]}.{packed[3]}"


def inet_ntop6(packed: bytes) -> str:
    """resolv/inet_ntop.c inet_ntop6."""
    words = [packed[k] << 8 | packed[k + 1] for k in range(0, 16, 2)]
    best_base, best_len = -1, 0
    cur_base, cur_len = -1, 0
    for k, w in enumerate(words):
        if w == 0:
            if cur_base == -1:
                cur_base, cur_len = k, 1
            else:
                cur_len += 1
        elif cur_base != -1:
            if best_base == -1 or cur_len > best_len:
                best_base, best_len = cur_base, cur_len
            cur_base = -1
    if cur_base != -1 and (best_base == -1 or cur_len > best_len):
        best_base, best_len = cur_base, cur_len
    if best_base != -1 and best_len < 2:
        best_base = -1
    out = []
    k = 0
    while k < 8:
        if best_base != -1 and best_base <= k < best_base + best_len:
            if k == best_base:
                out.append(":")
            k += 1
            continue
        if k:
            out.append(":")
        if k == 6 and best_base == 0 and (best_len == 6 or (best_len == 5 and words[5] == 0xFFFF)):
            out.append(inet_ntop4(packed[12:]))
            k = 8
            break
        out.append(f"{words[k]:x}")
        k += 1
    if best_base != -1 and best_base + best_len == 8:
        out.append(":")
    return "".join(out)
