"""getsockopt(2)/setsockopt(2) of the options the model stores: the level dispatch and the table's rows.

Theory of operation
-------------------
Linux's __sys_setsockopt hands SOL_SOCKET to sk_setsockopt and every other
level to the protocol (tcp_setsockopt, udp_setsockopt, unix's
unix_setsockopt), which passes on what it does not know: TCP and UDP to
ip_setsockopt (AF_INET) or ipv6_setsockopt (AF_INET6, which passes SOL_IP
on to ip_setsockopt). So a level a socket's protocol chain lacks fails with
the errno of the last handler that looked: ENOPROTOOPT or EOPNOTSUPP
(``_LEVEL_ERRNOS``, measured). Within a level an unknown option number is
ENOPROTOOPT; a known one on a kind of socket it does not exist for gives its
row's ``other`` errnos.

The options the model simulates (the buffer sizes, SO_ERROR, SO_LINGER on
inet sockets, TCP_NODELAY, IPV6_V6ONLY, ...) are answered by
``syscalls/socket.py`` and ``syscalls/inet.py`` before this module is asked.

Values cross in the shapes CPython hands over and takes back: ``value`` an
int (a C int, 4 bytes) or the raw bytes; getsockopt's ``optlen`` is the
buffer's length (CPython's int form passes 4). A 4-byte int option copies
min(optlen, 4) bytes, except that SOL_IP answers a short buffer with one
byte when the value fits (do_ip_getsockopt); struct options copy up to
their size.
"""
from __future__ import annotations

from errno import EINVAL, ENOPROTOOPT, EOPNOTSUPP
from typing import Any

from ..errors import oserror
from ..files.tcp import TcpSocket
from ..files.udp import UdpSocket
from ..files.unix_dgram import UnixDgramSocket
from .sockopt_rules import INT_MAX, UNIX, Opt, int_bytes
from .sockopt_table import (
    HZ,
    SOL_IP,
    SOL_IPV6,
    SOL_SOCKET,
    SOL_SOCKET_OPTS,
    SOL_SOCKET_UNIX_OPTS,
    SOL_TCP,
    SOL_UDP,
)
from .sockopt_table_ip import IP_OPTS, IPV6_OPTS
from .sockopt_table_tcp import TCP_OPTS, UDP_OPTS

SOL_UDPLITE = 136  # udp_lib_setsockopt answers both
_INET4_LEVEL_ERRNOS = (EOPNOTSUPP, ENOPROTOOPT)  # ip_getsockopt / ip_setsockopt of a foreign level
_INET6_LEVEL_ERRNOS = (ENOPROTOOPT, ENOPROTOOPT)  # ipv6_getsockopt / ipv6_setsockopt
_UNIX_LEVEL_ERRNOS = (EOPNOTSUPP, EOPNOTSUPP)  # unix has no protocol level

_LEVELS: dict[str, dict[int, dict[int, Opt]]] = {
    "tcp4": {SOL_SOCKET: SOL_SOCKET_OPTS, SOL_IP: IP_OPTS, SOL_TCP: TCP_OPTS},
    "tcp6": {SOL_SOCKET: SOL_SOCKET_OPTS, SOL_IP: IP_OPTS, SOL_IPV6: IPV6_OPTS, SOL_TCP: TCP_OPTS},
    "udp4": {SOL_SOCKET: SOL_SOCKET_OPTS, SOL_IP: IP_OPTS, SOL_UDP: UDP_OPTS, SOL_UDPLITE: UDP_OPTS},
    "udp6": {SOL_SOCKET: SOL_SOCKET_OPTS, SOL_IP: IP_OPTS, SOL_IPV6: IPV6_OPTS, SOL_UDP: UDP_OPTS,
             SOL_UDPLITE: UDP_OPTS},
    "ustream": {SOL_SOCKET: SOL_SOCKET_OPTS},
    "udgram": {SOL_SOCKET: SOL_SOCKET_OPTS},
}


def sock_kind(file: Any) -> str:
    """The table's name for a socket file's kind."""
    if isinstance(file, TcpSocket):
        return "tcp6" if file.family == 10 else "tcp4"
    if isinstance(file, UdpSocket):
        return "udp6" if file.family == 10 else "udp4"
    if isinstance(file, UnixDgramSocket):
        return "udgram"
    return "ustream"


def _level(kind: str, level: int, getting: bool) -> dict[int, Opt]:
    table = _LEVELS[kind].get(level)
    if table is None:
        errnos = _UNIX_LEVEL_ERRNOS if kind in UNIX else (
            _INET4_LEVEL_ERRNOS if kind in ("tcp4", "udp4") else _INET6_LEVEL_ERRNOS)
        raise oserror(errnos[0 if getting else 1])
    return table


def check_level(sock: Any, level: int) -> None:
    """setsockopt's errno for a level the socket's protocols do not handle."""
    _level(sock_kind(sock), level, False)


def _row(kind: str, level: int, optname: int, getting: bool) -> Opt:
    table = _level(kind, level, getting)
    opt = table.get(optname)
    if opt is None and level == SOL_SOCKET and kind in UNIX:
        opt = SOL_SOCKET_UNIX_OPTS.get(optname)
    if opt is None:
        raise oserror(ENOPROTOOPT)
    if kind not in opt.kinds:
        raise oserror(opt.other[0 if getting else 1])
    return opt


def _key(level: int, optname: int) -> int:
    return level << 16 | optname


def _opts(sock: Any) -> dict[int, Any]:
    store: dict[int, Any] | None = sock.sockopts
    if store is None:
        store = sock.sockopts = {}
    return store


def stored(sock: Any, level: int, optname: int, default: Any) -> Any:
    """What a setsockopt stored for this option (``default`` when none did)."""
    table = sock.sockopts
    return default if table is None else table.get(_key(level, optname), default)


def getsockopt(calls: Any, sock: Any, level: int, optname: int, optlen: int | None) -> int | bytes:
    """The value, an int (4 bytes) when ``optlen`` is None, else the bytes Linux copies for ``optlen``."""
    kind = sock_kind(sock)
    opt = _row(kind, level, optname, True)
    if opt.get_errno:
        raise oserror(opt.get_errno)
    value = stored(sock, level, opt.shares or optname, None)
    if value is None:
        value = opt.read_default(sock, kind)
    if opt.getter is not None:
        value = opt.getter(sock, value, kind, 4 if optlen is None else optlen, calls)
    return shaped(value, level, optlen)


def shaped(value: int | bytes, level: int, optlen: int | None) -> int | bytes:
    """What getsockopt gives back for ``value``: an int (4 bytes) when ``optlen`` is None, else
    the bytes Linux copies for ``optlen``."""
    if optlen is None:
        if isinstance(value, bytes):
            return int.from_bytes(value[:4].ljust(4, b"\0"), "little", signed=True)
        return int(value)
    if optlen < 0:
        raise oserror(EINVAL)
    if isinstance(value, bytes):
        return value[:optlen]
    if level == SOL_IP and 0 < optlen < 4 and 0 <= value <= 255:
        return bytes((value,))  # do_ip_getsockopt: a short buffer gets one unsigned char
    return int_bytes(value)[:optlen]


def setsockopt(calls: Any, sock: Any, level: int, optname: int, value: int | bytes) -> None:
    kind = sock_kind(sock)
    opt = _row(kind, level, optname, False)
    if isinstance(value, bytes):
        raw = value
        if len(raw) < opt.min_len:
            raise oserror(EINVAL)  # copy_safe_from_sockptr: optlen < sizeof(int)
        val = int.from_bytes(raw[:4].ljust(4, b"\0"), "little", signed=True)
    else:
        val = value
        raw = int_bytes(value)
    if level == SOL_SOCKET and optname in (50, 52) and 0 <= val <= INT_MAX and val in calls.files:
        raise oserror(EINVAL)  # an fd, but not a BPF program
    if opt.check is not None:
        opt.check(sock, val)
    result = opt.store(val, raw, kind)
    if opt.getter is not None and isinstance(result, tuple):  # IPV6_ADDR_PREFERENCES: (pref, mask)
        pref, mask = result
        result = (stored(sock, level, optname, 0) & mask) | pref
    _opts(sock)[_key(level, opt.shares or optname)] = result


_RCVTIMEO_KEY = _key(SOL_SOCKET, 20)  # SO_RCVTIMEO_OLD and _NEW share sk_rcvtimeo
_SNDTIMEO_KEY = _key(SOL_SOCKET, 21)
NS_PER_JIFFY = 1_000_000_000 // HZ


def timeout_ns(opts: dict[int, Any], sending: bool) -> int | None:
    """sock_rcvtimeo / sock_sndtimeo: how long a blocking call may sleep (None: for ever)."""
    jiffies = opts.get(_SNDTIMEO_KEY if sending else _RCVTIMEO_KEY)
    return None if jiffies is None else jiffies * NS_PER_JIFFY


# -- helpers for the options the model simulates (syscalls/socket.py, syscalls/inet.py) -------------


def shape(value: int | bytes, optlen: int | None) -> int | bytes:
    """sk_getsockopt's copy: min(optlen, the value's size) bytes (an int when ``optlen`` is None)."""
    if optlen is None:
        if isinstance(value, bytes):
            return int.from_bytes(value[:4].ljust(4, b"\0"), "little", signed=True)
        return value
    if optlen < 0:
        raise oserror(EINVAL)
    return (value if isinstance(value, bytes) else int_bytes(value))[:optlen]


def int_value(value: int | bytes) -> int:
    """An int option's value: a C int, or the first 4 of the raw bytes (EINVAL if fewer)."""
    if isinstance(value, bytes):
        if len(value) < 4:
            raise oserror(EINVAL)
        return int.from_bytes(value[:4], "little", signed=True)
    return value


def put(sock: Any, level: int, optname: int, value: Any) -> None:
    _opts(sock)[_key(level, optname)] = value


_SO_BUF_LOCK_KEY = _key(SOL_SOCKET, 72)


def buf_locks(sock: Any) -> int:
    """sk_userlocks & SOCK_BUF_LOCK_MASK: SOCK_SNDBUF_LOCK (1) | SOCK_RCVBUF_LOCK (2)."""
    if hasattr(sock, "sndbuf_locked"):  # inet sockets keep them (TCP's buffer autotuning reads them)
        return int(sock.sndbuf_locked) | int(sock.rcvbuf_locked) << 1
    return int(stored(sock, SOL_SOCKET, 72, 0))


def set_buf_lock(sock: Any, val: int) -> None:
    """sk_setsockopt SO_BUF_LOCK."""
    if val & ~3:
        raise oserror(EINVAL)
    if hasattr(sock, "sndbuf_locked"):
        sock.sndbuf_locked, sock.rcvbuf_locked = bool(val & 1), bool(val & 2)
    else:
        _opts(sock)[_SO_BUF_LOCK_KEY] = val


def add_buf_lock(sock: Any, bit: int) -> None:
    set_buf_lock(sock, buf_locks(sock) | bit)
