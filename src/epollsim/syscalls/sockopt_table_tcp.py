"""The SOL_TCP and SOL_UDP rows of the socket option table (see ``sockopt_table``).

net/ipv4/tcp.c do_tcp_setsockopt/do_tcp_getsockopt and net/ipv4/udp.c udp_lib_setsockopt/
udp_lib_getsockopt, measured on Linux 6.18 (HZ 250: the microsecond and millisecond timers read
back in 4 ms steps). TCP_NODELAY is the model's own Nagle (``syscalls/inet.py``); the rest is
stored, or refused with Unsupported where a value would change what the model simulates
(corking, repair mode, Fast Open's connect, kernel TLS).
"""
from __future__ import annotations

from errno import EINVAL, ENOENT, ENOPROTOOPT, EPERM
from typing import Any

from ..errors import Unsupported, oserror
from ..files.tcp_states import CLOSE, LISTEN
from .sockopt_rules import (
    Opt,
    anyint,
    between,
    checked,
    fails,
    flag,
    nonneg,
    noop,
    struct_of,
    tcp_state,
    unmodelled,
)

GET_ONLY = fails(ENOPROTOOPT)
SOL_TCP = 6
SOCK_MIN_RCVBUF = 2048 + 256  # net/core/sock.c (TCP_SKB_MIN_TRUESIZE)
SOMAXCONN = 4096  # net.core.somaxconn
TCP_FIN_TIMEOUT = 60  # net.ipv4.tcp_fin_timeout; TCP_FIN_TIMEOUT_MAX = 120
_LOOPBACK_ADVMSS = 65495  # loopback's MTU 65535 (IP_MAX_MTU) less 40 bytes of headers


def _in_states(errno_: int, *states: int) -> Any:
    """A set's state check: outside ``states`` the option fails with ``errno_``."""

    def check(sock: Any, val: int) -> None:
        if tcp_state(sock) not in states:
            raise oserror(errno_)

    return check


def _clamp_check(sock: Any, val: int) -> None:
    if val == 0 and tcp_state(sock) != CLOSE:
        raise oserror(EINVAL)  # tcp_set_window_clamp: 0 only on a closed socket


def _repair_check(sock: Any, val: int) -> None:
    if tcp_state(sock) == LISTEN:
        raise oserror(EPERM)  # tcp_repair: not on a listener


def _get_zerocopy_receive(sock: Any, stored: Any, kind: str, optlen: int, calls: Any) -> Any:
    """TCP_ZEROCOPY_RECEIVE: a buffer shorter than the struct's first fields is EINVAL; a longer
    one is an in/out struct (CPython passes it uninitialised) asking for a page mapping."""
    if optlen < 16:
        raise oserror(EINVAL)
    raise Unsupported("TCP_ZEROCOPY_RECEIVE (mapping received pages) is not modelled")


# -- SOL_TCP --------------------------------------------------------------------------------------


def _maxseg(val: int, raw: bytes, kind: str) -> int:
    """do_tcp_setsockopt TCP_MAXSEG: 0 (none) or TCP_MIN_MSS (88) .. MAX_TCP_WINDOW (32767)."""
    if val and (val < 88 or val > 32767):
        raise oserror(EINVAL)
    return val


def _get_maxseg(sock: Any, stored: int, kind: str, optlen: int, calls: Any) -> int:
    """mss_cache: before a connection the user's MSS (or TCP_MSS_DEFAULT, 536); once connected
    the smaller of the two ends' advertised MSS (their TCP_MAXSEG, or loopback's 65495) less the
    timestamp option (12)."""
    if not getattr(sock, "raddr", ""):
        return stored or 536
    if kind == "tcp6":
        raise Unsupported("getsockopt(TCP_MAXSEG) of a connected IPv6 socket is not modelled")
    peer = getattr(sock, "peer", None)
    theirs = 0 if peer is None or not peer.sockopts else peer.sockopts.get(SOL_TCP << 16 | 2, 0)
    return min(stored or _LOOPBACK_ADVMSS, theirs or _LOOPBACK_ADVMSS) - 12


def _linger2(val: int, raw: bytes, kind: str) -> int:
    if val < 0:
        return -1
    if val == 0:
        return TCP_FIN_TIMEOUT
    return min(val, 120)


def _secs_to_retrans(seconds: int) -> int:
    """net/ipv4/tcp.c secs_to_retrans with TCP_TIMEOUT_INIT 1 s and TCP_RTO_MAX 120 s."""
    res = 0
    if seconds > 0:
        period, timeout = 1, 1
        res = 1
        while seconds > period and res < 255:
            res += 1
            timeout <<= 1
            if timeout > 120:
                timeout = 120
            period += timeout
    return res


def _retrans_to_secs(retrans: int) -> int:
    period = 0
    if retrans > 0:
        period, timeout = 1, 1
        while retrans - 1 > 0:
            retrans -= 1
            timeout <<= 1
            if timeout > 120:
                timeout = 120
            period += timeout
    return period


def _defer_accept(val: int, raw: bytes, kind: str) -> int:
    return _retrans_to_secs(_secs_to_retrans(val))


def _window_clamp(val: int, raw: bytes, kind: str) -> int:
    if val == 0:
        return 0
    return max(val, SOCK_MIN_RCVBUF // 2) if val > 0 else SOCK_MIN_RCVBUF // 2


def _repair(val: int, raw: bytes, kind: str) -> int:
    if val not in (0, 1, -1):
        raise oserror(EINVAL)
    if val == 1:
        raise Unsupported("TCP_REPAIR mode is not modelled")
    return 0


def _congestion(val: int, raw: bytes, kind: str) -> bytes:
    name = raw.split(b"\0", 1)[0]
    if name in (b"cubic", b"reno"):
        return name.ljust(16, b"\0")
    raise oserror(ENOENT)  # tcp_set_congestion_control: no such algorithm loaded


def _ulp(val: int, raw: bytes, kind: str) -> int:
    if raw.split(b"\0", 1)[0] in (b"tls", b"espintcp", b"mptcp"):
        raise Unsupported("TCP_ULP (kernel TLS and friends) is not modelled")
    raise oserror(ENOENT)


def _fastopen_key(val: int, raw: bytes, kind: str) -> bytes:
    if len(raw) not in (16, 32):
        raise oserror(EINVAL)
    return raw


def _get_tcp_timestamp(sock: Any, stored: Any, kind: str, optlen: int, calls: Any) -> int:
    now_ns: int = calls.proc.clock.now_ns
    return (now_ns // 1_000_000) & 0xFFFFFFFF  # tcp_clock_ms, virtual


def _get_tcp_info(sock: Any, stored: Any, kind: str, optlen: int, calls: Any) -> Any:
    raise Unsupported("getsockopt(TCP_INFO) is not modelled")


TCP_OPTS: dict[int, Opt] = {
    2: Opt("TCP_MAXSEG", _maxseg, getter=_get_maxseg),
    3: Opt("TCP_CORK", unmodelled("TCP_CORK (corking)")),
    4: Opt("TCP_KEEPIDLE", between(1, 32767), default=7200),
    5: Opt("TCP_KEEPINTVL", between(1, 32767), default=75),
    6: Opt("TCP_KEEPCNT", between(1, 127), default=9),
    7: Opt("TCP_SYNCNT", between(1, 127), default=6),
    8: Opt("TCP_LINGER2", _linger2, default=TCP_FIN_TIMEOUT),
    9: Opt("TCP_DEFER_ACCEPT", _defer_accept),
    10: Opt("TCP_WINDOW_CLAMP", _window_clamp, check=_clamp_check),
    11: Opt("TCP_INFO", GET_ONLY, getter=_get_tcp_info),
    12: Opt("TCP_QUICKACK", flag, default=1),
    13: Opt("TCP_CONGESTION", _congestion, default=b"cubic".ljust(16, b"\0"), min_len=0),
    14: Opt("TCP_MD5SIG", struct_of(216, "TCP_MD5SIG"), get_errno=ENOPROTOOPT),
    16: Opt("TCP_THIN_LINEAR_TIMEOUTS", between(0, 1)),
    17: Opt("TCP_THIN_DUPACK", checked(between(0, 1), noop(0))),
    18: Opt("TCP_USER_TIMEOUT", nonneg),
    19: Opt("TCP_REPAIR", _repair, check=_repair_check),
    20: Opt("TCP_REPAIR_QUEUE", fails(EPERM), get_errno=EINVAL),
    21: Opt("TCP_QUEUE_SEQ", fails(EINVAL), get_errno=EINVAL, check=_in_states(EPERM, CLOSE)),
    22: Opt("TCP_REPAIR_OPTIONS", fails(EINVAL), get_errno=ENOPROTOOPT),
    23: Opt("TCP_FASTOPEN", lambda v, r, k: min(nonneg(v, r, k), SOMAXCONN), check=_in_states(EINVAL, CLOSE, LISTEN)),
    24: Opt("TCP_TIMESTAMP", fails(EPERM), getter=_get_tcp_timestamp),
    25: Opt("TCP_NOTSENT_LOWAT", anyint),  # 0: net.ipv4.tcp_notsent_lowat decides
    26: Opt("TCP_CC_INFO", GET_ONLY, default=b""),  # cubic has no get_info: nothing copied
    27: Opt("TCP_SAVE_SYN", between(0, 2)),
    28: Opt("TCP_SAVED_SYN", GET_ONLY, default=b""),
    29: Opt("TCP_REPAIR_WINDOW", fails(EPERM), get_errno=EINVAL),
    30: Opt("TCP_FASTOPEN_CONNECT", checked(between(0, 1), unmodelled("TCP_FASTOPEN_CONNECT (TCP Fast Open)")),
            check=_in_states(EINVAL, CLOSE)),
    31: Opt("TCP_ULP", _ulp, default=b"", min_len=0),
    32: Opt("TCP_MD5SIG_EXT", struct_of(216, "TCP_MD5SIG_EXT"), get_errno=ENOPROTOOPT),
    33: Opt("TCP_FASTOPEN_KEY", _fastopen_key, default=b"", min_len=0),
    34: Opt("TCP_FASTOPEN_NO_COOKIE", between(0, 1), check=_in_states(EINVAL, CLOSE, LISTEN)),
    35: Opt("TCP_ZEROCOPY_RECEIVE", GET_ONLY, getter=_get_zerocopy_receive),
    36: Opt("TCP_INQ", between(0, 1)),
    37: Opt("TCP_TX_DELAY", nonneg),
    43: Opt("TCP_IS_MPTCP", GET_ONLY),
    44: Opt("TCP_RTO_MAX_MS", between(1000, 120000), default=120000),
    45: Opt("TCP_RTO_MIN_US", between(1000, 120000000), default=200000),
    46: Opt("TCP_DELACK_MAX_US", between(1000, 120000000), default=200000),
}
# Nagle (TCP_NODELAY) is the model's own (syscalls/inet.py).

# -- SOL_UDP --------------------------------------------------------------------------------------


def _udp_encap(val: int, raw: bytes, kind: str) -> int:
    if val in (0, 2):  # 0: none, UDP_ENCAP_ESPINUDP (2) with CONFIG_XFRM
        return val
    raise oserror(ENOPROTOOPT)


UDP_OPTS: dict[int, Opt] = {
    1: Opt("UDP_CORK", unmodelled("UDP_CORK (corking)")),
    10: Opt("UDPLITE_SEND_CSCOV", GET_ONLY),
    11: Opt("UDPLITE_RECV_CSCOV", GET_ONLY),
    100: Opt("UDP_ENCAP", _udp_encap),
    101: Opt("UDP_NO_CHECK6_TX", flag),
    102: Opt("UDP_NO_CHECK6_RX", flag),
    103: Opt("UDP_SEGMENT", checked(between(0, 0xFFFF), unmodelled("UDP_SEGMENT (GSO)"))),
    104: Opt("UDP_GRO", flag),
}
