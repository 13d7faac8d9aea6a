"""IP addresses as the stack compares them: canonical text, and what a bound socket covers.

Addresses travel through the model as canonical strings, glibc's inet_ntop text
(``inet_text.py``): "10.0.0.2", "::1", "::ffff:10.0.0.2". An AF_INET6 socket can speak IPv4 through
v4-mapped addresses, and one bound to ``::`` without IPV6_V6ONLY also owns the
IPv4 wildcard (net/ipv6/af_inet6.c, net/ipv4/inet_connection_sock.c
inet_bind_conflict/ipv6_rcv_saddr_equal). ``Cover`` says which IPv4 and which
IPv6 address a binding owns: None (that version not at all), ``"*"`` (the
wildcard) or one address.
"""
from __future__ import annotations

from typing import NamedTuple

from ..abi.socket import AF_INET, AF_INET6
from .inet_text import inet_ntop4, inet_ntop6, inet_pton4, inet_pton6

ANY4 = "0.0.0.0"
ANY6 = "::"
LOOPBACK4 = "127.0.0.1"
LOOPBACK6 = "::1"
WILDCARD = "*"


_MAPPED_PREFIX = bytes(10) + b"\xff\xff"


def canonical(host: str) -> str:
    """The canonical text of a numeric address; ValueError if it is not one."""
    found = _CANONICAL.get(host)
    if found is None:  # memoised (a pure function): every Kernel() asks it for its host's addresses
        if len(_CANONICAL) >= _MEMO_MAX:
            _CANONICAL.clear()
        found = _CANONICAL[host] = _canonical(host)
    return found


_CANONICAL: dict[str, str] = {}


def _canonical(host: str) -> str:
    packed = inet_pton4(host)
    if packed is not None:
        return inet_ntop4(packed)
    packed = inet_pton6(host)
    if packed is not None:
        return inet_ntop6(packed)
    raise ValueError(f"not a numeric IP address: {host!r}")


def mapped_v4(addr6: str) -> str | None:
    """The IPv4 address inside a v4-mapped IPv6 address (::ffff:a.b.c.d), else None."""
    if is_v4(addr6):
        return None
    packed = inet_pton6(addr6)
    if packed is not None and packed[:12] == _MAPPED_PREFIX:
        return inet_ntop4(packed[12:])
    return None


def to_mapped(addr4: str) -> str:
    """An IPv4 address as an AF_INET6 socket sees it (::ffff:a.b.c.d)."""
    return "::ffff:" + addr4


def is_v4(addr: str) -> bool:
    return "." in addr and ":" not in addr


def is_loopback(addr: str) -> bool:
    """127.0.0.0/8 and ::1 (and their v4-mapped forms) never leave the host."""
    found = _LOOPBACK.get(addr)
    if found is None:  # memoised, as canonical is
        if len(_LOOPBACK) >= _MEMO_MAX:
            _LOOPBACK.clear()
        found = _LOOPBACK[addr] = _is_loopback(addr)
    return found


_LOOPBACK: dict[str, bool] = {}


def _is_loopback(addr: str) -> bool:
    v4 = mapped_v4(addr) if not is_v4(addr) else addr
    if v4 is not None:
        return v4.startswith("127.")
    return addr == LOOPBACK6


def is_any(addr: str) -> bool:
    return addr in (ANY4, ANY6)


class Cover(NamedTuple):
    """What one bound socket owns: its IPv4 part and its IPv6 part."""

    v4: str | None
    v6: str | None


_COVERS: dict[tuple[int, str, bool], Cover] = {}  # cover's answers (a pure function, asked per bind)
_MEMO_MAX = 4096


def cover(family: int, addr: str, v6only: bool) -> Cover:
    """The addresses a socket of ``family`` bound to ``addr`` owns."""
    key = (family, addr, v6only)
    found = _COVERS.get(key)
    if found is None:
        if len(_COVERS) >= _MEMO_MAX:
            _COVERS.clear()
        found = _COVERS[key] = _cover(family, addr, v6only)
    return found


def _cover(family: int, addr: str, v6only: bool) -> Cover:
    if family == AF_INET:
        return Cover(WILDCARD if addr == ANY4 else addr, None)
    if family != AF_INET6:
        raise ValueError(f"not an inet family: {family}")
    if addr == ANY6:
        return Cover(None if v6only else WILDCARD, WILDCARD)
    v4 = mapped_v4(addr)
    if v4 is not None:
        return Cover(WILDCARD if v4 == ANY4 else v4, None)
    return Cover(None, addr)


def _part_overlaps(a: str | None, b: str | None) -> bool:
    if a is None or b is None:
        return False
    return a == WILDCARD or b == WILDCARD or a == b


def overlaps(a: Cover, b: Cover) -> bool:
    return _part_overlaps(a.v4, b.v4) or _part_overlaps(a.v6, b.v6)


def covers(c: Cover, dst: str) -> bool:
    """Whether a binding owning ``c`` receives packets for local address ``dst``."""
    if is_v4(dst):
        return c.v4 is not None and (c.v4 == WILDCARD or c.v4 == dst)
    return c.v6 is not None and (c.v6 == WILDCARD or c.v6 == dst)


def family_of(addr: str) -> int:
    return AF_INET if is_v4(addr) else AF_INET6
