"""Every socket option Linux 6.18 offers at SOL_SOCKET, SOL_TCP, SOL_UDP, SOL_IP and SOL_IPV6: one row each.

This file holds SOL_SOCKET's rows; ``sockopt_table_tcp.py`` SOL_TCP's and SOL_UDP's,
``sockopt_table_ip.py`` SOL_IP's and SOL_IPV6's.

The rows were measured on the reference host (Linux 6.18, as root: CAP_NET_ADMIN, as the model's
processes are) with every socket kind and the values 0, 1, 2, -1, 255, 256 and 100000; they are
the contract tests' table too (tests/contract/test_sockopts.py). Option numbers and names:
include/uapi/asm-generic/socket.h, include/uapi/linux/in.h, in6.h, tcp.h, udp.h; the handlers:
net/core/sock.c sk_setsockopt/sk_getsockopt, net/ipv4/ip_sockglue.c do_ip_setsockopt,
net/ipv6/ipv6_sockglue.c do_ipv6_setsockopt, net/ipv4/tcp.c do_tcp_setsockopt, net/ipv4/udp.c
udp_lib_setsockopt, net/unix/af_unix.c unix_setsockopt. The options the model simulates are not
here: ``syscalls/inet.py`` and ``syscalls/socket.py`` answer them first.
"""
from __future__ import annotations

from errno import (
    EBADF,
    EDOM,
    EINVAL,
    ENODATA,
    ENODEV,
    ENOENT,
    ENOPROTOOPT,
    ENOTCONN,
    EOPNOTSUPP,
)
from typing import Any

from ..errors import Unsupported, oserror
from ..files.tcp_states import CLOSE, LISTEN
from ..net.inet_text import inet_pton4, inet_pton6
from .sockopt_rules import (
    ALL,
    INET,
    INT_MAX,
    NOT_HERE,
    TCP,
    UNIX,
    Opt,
    anyint,
    fails,
    flag,
    int_bytes,
    nonneg,
    noop,
    struct_of,
    tcp_state,
)

SOL_SOCKET, SOL_IP, SOL_TCP, SOL_UDP, SOL_IPV6 = 1, 0, 6, 17, 41
_TCP_CLOSE, _TCP_LISTEN = CLOSE, LISTEN
GET_ONLY = fails(ENOPROTOOPT)
TCP_RMEM_MAX = 6291456  # net.ipv4.tcp_rmem[2] at its default (the reference host raises it)


# -- SOL_SOCKET ---------------------------------------------------------------------------------


def _linger_struct(val: int, raw: bytes, kind: str) -> bytes:
    if len(raw) < 8:
        raise oserror(EINVAL)  # sk_setsockopt: optlen < sizeof(struct linger)
    onoff = int.from_bytes(raw[:4], "little", signed=True)
    secs = int.from_bytes(raw[4:8], "little", signed=True)
    return int_bytes(1 if onoff else 0) + int_bytes(max(0, secs) if onoff else 0)


HZ = 250  # CONFIG_HZ of the reference kernel (TCP_RTO_MAX_MS reads back in 4 ms steps)
_MAX_SCHEDULE_TIMEOUT = (1 << 63) - 1


def _timeval(val: int, raw: bytes, kind: str) -> int | None:
    """sock_set_timeout: a struct timeval (16 bytes) to jiffies, rounded up; zero is no timeout
    (None: MAX_SCHEDULE_TIMEOUT), a negative time is 0 jiffies (return at once)."""
    if len(raw) < 16:
        raise oserror(EINVAL)
    sec = int.from_bytes(raw[:8], "little", signed=True)
    usec = int.from_bytes(raw[8:16], "little", signed=True)
    if usec < 0 or usec >= 1_000_000:
        raise oserror(EDOM)
    if sec < 0:
        return 0
    if (sec or usec) and sec < _MAX_SCHEDULE_TIMEOUT // HZ - 1:
        return sec * HZ + -(-usec // (1_000_000 // HZ))
    return None


def _get_timeval(sock: Any, stored: int | None, kind: str, optlen: int, calls: Any) -> bytes:
    """sock_get_timeout: jiffies back to a timeval (zero for no timeout)."""
    if stored is None:
        return bytes(16)
    return int_bytes(stored // HZ, 8) + int_bytes((stored % HZ) * 1_000_000 // HZ, 8)


def _priority(val: int, raw: bytes, kind: str) -> int:
    return val  # 0..6 for everyone, any value with CAP_NET_ADMIN (the model's processes have it)


def _rcvlowat(val: int, raw: bytes, kind: str) -> int:
    """sk_setsockopt SO_RCVLOWAT: negative is INT_MAX; tcp_set_rcvlowat caps at tcp_rmem[2]/2; 0 is 1."""
    if val < 0:
        val = INT_MAX
    if kind in TCP:
        val = min(val, TCP_RMEM_MAX >> 1)
    return val or 1


def _reuseport_unix(val: int, raw: bytes, kind: str) -> int:
    if val:
        raise oserror(EOPNOTSUPP)  # sk_setsockopt: SO_REUSEPORT needs an inet socket
    return 0


def _bindtodevice(val: int, raw: bytes, kind: str) -> int:
    """sock_setbindtodevice: the name up to a NUL; "" unbinds; the model's hosts have "lo" (ifindex 1)."""
    name = raw.split(b"\0", 1)[0]
    if not name:
        return 0
    if name == b"lo":
        return 1
    raise oserror(ENODEV)


def _get_bindtodevice(sock: Any, stored: int, kind: str, optlen: int, calls: Any) -> bytes:
    """sock_getbindtodevice: the bound interface's name (sk_bound_dev_if, shared with SO_BINDTOIFINDEX)."""
    if not stored:
        return b""
    if stored == 1:
        return b"lo\0"
    raise oserror(ENODEV)  # netdev_get_name: no such interface


def _timestamping(val: int, raw: bytes, kind: str) -> bytes:
    """sock_set_timestamping: flags within SOF_TIMESTAMPING_MASK; BIND_PHC fails (no PHC device)."""
    if val & 0x8000:
        raise oserror(EOPNOTSUPP)
    return int_bytes(val) + int_bytes(0)


def _timestamping_check(sock: Any, val: int) -> None:
    """The mask first, then OPT_ID (0x80) of a TCP socket needs a connection (not CLOSE or LISTEN)."""
    if val < 0 or val & ~0x3FFFF:
        raise oserror(EINVAL)
    if val & 0x80 and isinstance(getattr(sock, "state", None), int) and getattr(sock, "proto", 0) == 6:
        if tcp_state(sock) in (_TCP_CLOSE, _TCP_LISTEN):
            raise oserror(EINVAL)


def _pacing(val: int, raw: bytes, kind: str) -> bytes:
    """SO_MAX_PACING_RATE from a u32: ~0U means unlimited (~0UL)."""
    rate = val & 0xFFFFFFFF
    return int_bytes(-1 if rate == 0xFFFFFFFF else rate, 8)


def _bpf_fd(val: int, raw: bytes, kind: str) -> int:
    # The program's fd (sk_attach_bpf: bpf_prog_get_type): no fd is a BPF program. An fd the
    # process has is EINVAL (sockopts.py checks the table), any other number EBADF.
    raise oserror(EBADF)


def _get_meminfo(sock: Any, stored: Any, kind: str, optlen: int, calls: Any) -> bytes:
    """sk_get_meminfo: rmem_alloc, rcvbuf, wmem_alloc, sndbuf, fwd_alloc, wmem_queued, optmem,
    backlog, drops (an idle socket: only the buffer sizes)."""
    return int_bytes(0) + int_bytes(sock.rcvbuf) + int_bytes(0) + int_bytes(sock.sndbuf) + bytes(20)


def _get_cookie(sock: Any, stored: Any, kind: str, optlen: int, calls: Any) -> bytes:
    if optlen < 8:
        raise oserror(EINVAL)
    return int_bytes(0x1000 + sock.fid, 8)  # sock_gen_cookie: unique and stable per socket


def _get_netns_cookie(sock: Any, stored: Any, kind: str, optlen: int, calls: Any) -> bytes:
    if optlen != 8:
        raise oserror(EINVAL)
    return int_bytes(1, 8)  # init_net's cookie


def _peer_sockaddr(sock: Any, kind: str) -> bytes:
    """The peer's struct sockaddr as getname(peer=1) writes it (ENOTCONN without one)."""
    if kind in INET:
        host: str
        port: int
        host, port = sock.peername()
        if kind in ("tcp4", "udp4"):
            return b"\x02\x00" + port.to_bytes(2, "big") + (inet_pton4(host) or bytes(4)) + bytes(8)
        return b"\x0a\x00" + port.to_bytes(2, "big") + bytes(4) + (inet_pton6(host) or bytes(16)) + bytes(4)
    name: bytes
    peername = getattr(sock, "peername", None)
    if peername is not None:
        name = peername()
    elif getattr(sock, "peer", None) is None:
        raise oserror(ENOTCONN)
    else:
        name = b""  # a socketpair's peer is unnamed
    # unix_getname: a path name's length counts its NUL; an abstract name has none.
    return b"\x01\x00" + name + (b"\0" if name[:1] not in (b"", b"\0") else b"")


def _get_peername(sock: Any, stored: Any, kind: str, optlen: int, calls: Any) -> bytes:
    """sk_getsockopt SO_PEERNAME: a buffer longer than the address is EINVAL."""
    addr = _peer_sockaddr(sock, kind)
    if len(addr) < optlen:
        raise oserror(EINVAL)
    return addr


def _peer_get(what: str, unconnected: Any) -> Any:
    def get(sock: Any, stored: Any, kind: str, optlen: int, calls: Any) -> Any:
        if kind in UNIX and getattr(sock, "peer", None) is not None:
            raise Unsupported(f"getsockopt({what}) of a connected AF_UNIX socket is not modelled (no pids)")
        if isinstance(unconnected, int) and unconnected > 0 and not isinstance(unconnected, bool):
            raise oserror(unconnected)
        return unconnected

    return get


def _bindtoifindex(val: int, raw: bytes, kind: str) -> int:
    if val < 0:
        raise oserror(EINVAL)
    return val


def _busy_poll_budget(val: int, raw: bytes, kind: str) -> int:
    if val < 0 or val > 0xFFFF:
        raise oserror(EINVAL)
    return val


def _reserve_mem(val: int, raw: bytes, kind: str) -> int:
    if val < 0:
        raise oserror(EINVAL)
    raise oserror(EOPNOTSUPP)  # sock_reserve_memory: no memory cgroup accounting


def _txrehash(val: int, raw: bytes, kind: str) -> int:
    if val < -1 or val > 1:
        raise oserror(EINVAL)
    return 1 if val == -1 else val  # SOCK_TXREHASH_DEFAULT reads as net.core.txrehash (1)


def _zerocopy(val: int, raw: bytes, kind: str) -> int:
    if kind in UNIX:
        raise oserror(EOPNOTSUPP)
    if val not in (0, 1):
        raise oserror(EINVAL)
    return val


def _unix_inq(val: int, raw: bytes, kind: str) -> int:
    if val not in (0, 1):
        raise oserror(EINVAL)
    return val


def _peek_off(val: int, raw: bytes, kind: str) -> int:
    if val >= 0:
        raise Unsupported("SO_PEEK_OFF (MSG_PEEK at an offset) is not modelled")
    return val


SOL_SOCKET_OPTS: dict[int, Opt] = {
    1: Opt("SO_DEBUG", flag),
    5: Opt("SO_DONTROUTE", flag),
    6: Opt("SO_BROADCAST", flag),
    10: Opt("SO_OOBINLINE", flag),
    11: Opt("SO_NO_CHECK", flag),
    12: Opt("SO_PRIORITY", _priority),
    14: Opt("SO_BSDCOMPAT", noop(0)),
    16: Opt("SO_PASSCRED", flag, kinds=UNIX, other=NOT_HERE),
    17: Opt("SO_PEERCRED", GET_ONLY, default=int_bytes(0) + int_bytes(-1) + int_bytes(-1),
            getter=_peer_get("SO_PEERCRED", int_bytes(0) + int_bytes(-1) + int_bytes(-1))),
    18: Opt("SO_RCVLOWAT", _rcvlowat, default=1),
    19: Opt("SO_SNDLOWAT", GET_ONLY, default=1),
    20: Opt("SO_RCVTIMEO_OLD", _timeval, default=None, getter=_get_timeval, min_len=0),
    21: Opt("SO_SNDTIMEO_OLD", _timeval, default=None, getter=_get_timeval, min_len=0),
    25: Opt("SO_BINDTODEVICE", _bindtodevice, getter=_get_bindtodevice, min_len=0, shares=62),
    26: Opt("SO_ATTACH_FILTER", struct_of(16, "SO_ATTACH_FILTER (classic BPF)"), default=b""),
    27: Opt("SO_DETACH_FILTER", fails(ENOENT), get_errno=ENOPROTOOPT),
    28: Opt("SO_PEERNAME", GET_ONLY, getter=_get_peername),
    29: Opt("SO_TIMESTAMP_OLD", flag),
    34: Opt("SO_PASSSEC", flag, kinds=UNIX, other=NOT_HERE),
    35: Opt("SO_TIMESTAMPNS_OLD", flag),
    36: Opt("SO_MARK", anyint),
    37: Opt("SO_TIMESTAMPING_OLD", _timestamping, default=bytes(8), check=_timestamping_check),
    40: Opt("SO_RXQ_OVFL", flag),
    41: Opt("SO_WIFI_STATUS", flag),
    42: Opt("SO_PEEK_OFF", _peek_off, default=-1),
    43: Opt("SO_NOFCS", flag),
    44: Opt("SO_LOCK_FILTER", flag),
    45: Opt("SO_SELECT_ERR_QUEUE", flag),
    46: Opt("SO_BUSY_POLL", nonneg),
    47: Opt("SO_MAX_PACING_RATE", _pacing, default=int_bytes(-1, 8)),
    48: Opt("SO_BPF_EXTENSIONS", GET_ONLY, default=64),
    49: Opt("SO_INCOMING_CPU", anyint, default=-1),
    50: Opt("SO_ATTACH_BPF", _bpf_fd, get_errno=ENOPROTOOPT),
    51: Opt("SO_ATTACH_REUSEPORT_CBPF", struct_of(16, "SO_ATTACH_REUSEPORT_CBPF"), get_errno=ENOPROTOOPT),
    52: Opt("SO_ATTACH_REUSEPORT_EBPF", _bpf_fd, get_errno=ENOPROTOOPT),
    53: Opt("SO_CNX_ADVICE", noop(0), get_errno=ENOPROTOOPT),
    55: Opt("SO_MEMINFO", GET_ONLY, getter=_get_meminfo),
    56: Opt("SO_INCOMING_NAPI_ID", GET_ONLY),
    57: Opt("SO_COOKIE", GET_ONLY, getter=_get_cookie),
    59: Opt("SO_PEERGROUPS", GET_ONLY, getter=_peer_get("SO_PEERGROUPS", ENODATA)),
    60: Opt("SO_ZEROCOPY", _zerocopy),
    61: Opt("SO_TXTIME", struct_of(8, "SO_TXTIME"), default=bytes(8)),
    62: Opt("SO_BINDTOIFINDEX", _bindtoifindex),
    63: Opt("SO_TIMESTAMP_NEW", flag),
    64: Opt("SO_TIMESTAMPNS_NEW", flag),
    65: Opt("SO_TIMESTAMPING_NEW", _timestamping, default=bytes(8), check=_timestamping_check),
    66: Opt("SO_RCVTIMEO_NEW", _timeval, default=None, getter=_get_timeval, min_len=0, shares=20),
    67: Opt("SO_SNDTIMEO_NEW", _timeval, default=None, getter=_get_timeval, min_len=0, shares=21),
    68: Opt("SO_DETACH_REUSEPORT_BPF", fails(EINVAL), get_errno=ENOPROTOOPT),
    69: Opt("SO_PREFER_BUSY_POLL", flag),
    70: Opt("SO_BUSY_POLL_BUDGET", _busy_poll_budget, get_errno=ENOPROTOOPT),
    71: Opt("SO_NETNS_COOKIE", GET_ONLY, getter=_get_netns_cookie),
    73: Opt("SO_RESERVE_MEM", _reserve_mem),
    74: Opt("SO_TXREHASH", _txrehash, default=1, kinds=TCP, other=NOT_HERE),
    75: Opt("SO_RCVMARK", flag),
    76: Opt("SO_PASSPIDFD", flag, kinds=UNIX, other=NOT_HERE),
    77: Opt("SO_PEERPIDFD", GET_ONLY, getter=_peer_get("SO_PEERPIDFD", ENODATA)),
    80: Opt("SO_DEVMEM_DONTNEED", fails(EBADF), kinds=frozenset(ALL - TCP), other=(ENOPROTOOPT, EINVAL),
            get_errno=ENOPROTOOPT),
    82: Opt("SO_RCVPRIORITY", flag),
    83: Opt("SO_PASSRIGHTS", flag, default=1, kinds=UNIX, other=NOT_HERE),
    84: Opt("SO_INQ", _unix_inq, kinds=frozenset(("ustream",)), get_errno=ENOPROTOOPT),
}
# What the generic layer keeps for AF_UNIX sockets that inet sockets simulate (syscalls/inet.py).
SOL_SOCKET_UNIX_OPTS: dict[int, Opt] = {
    2: Opt("SO_REUSEADDR", flag),
    9: Opt("SO_KEEPALIVE", flag),
    13: Opt("SO_LINGER", _linger_struct, default=bytes(8), min_len=0),
    15: Opt("SO_REUSEPORT", _reuseport_unix),
}
