"""socketpair, send, recv, shutdown, getsockopt and setsockopt for AF_UNIX stream pairs.

socketpair checks its arguments in Linux's order (net/socket.c __sys_socketpair,
__sock_create, then the family's create function), so every combination a
program can pass fails as it would on Linux, even the families the model has
no sockets for: AF_INET and AF_INET6 create their sockets and then refuse to
pair them (sock_no_socketpair: EOPNOTSUPP).
"""
from __future__ import annotations

from collections.abc import Callable
from errno import (
    EACCES,
    EAFNOSUPPORT,
    EBADF,
    EFAULT,
    EINVAL,
    ENOPROTOOPT,
    ENOTSOCK,
    EOPNOTSUPP,
    EPROTONOSUPPORT,
    ESOCKTNOSUPPORT,
)
from typing import Any, ClassVar

from ..abi.socket import (
    AF_INET,
    AF_INET6,
    AF_UNIX,
    AF_UNSPEC,
    MSG_DONTWAIT,
    MSG_NOSIGNAL,
    MSG_PEEK,
    SO_ACCEPTCONN,
    SO_BUF_LOCK,
    SO_DOMAIN,
    SO_ERROR,
    SO_LINGER,
    SO_PROTOCOL,
    SO_RCVBUF,
    SO_RCVBUFFORCE,
    SO_SNDBUF,
    SO_SNDBUFFORCE,
    SO_TYPE,
    SOCK_CLOEXEC,
    SOCK_DGRAM,
    SOCK_NONBLOCK,
    SOCK_SEQPACKET,
    SOCK_STREAM,
    SOCK_TYPE_MASK,
    SOL_SOCKET,
)
from ..errors import Unsupported, oserror
from ..files.blocking import WouldBlock
from ..files.unix_dgram import UnixDgramSocket, make_dgram_pair
from ..files.unix_stream import UnixStreamSocket, make_socketpair
from . import sockopts
from .base import SyscallBase

_SEND_FLAGS = MSG_DONTWAIT | MSG_NOSIGNAL
_RECV_FLAGS = MSG_DONTWAIT | MSG_PEEK

# include/linux/socket.h: NPROTO = AF_MAX (46 in 6.x); include/linux/net.h: SOCK_MAX.
_NPROTO = 46
_SOCK_MAX = 11
_SOCK_RAW = 3
# include/uapi/linux/in.h
_IPPROTO_ICMP = 1
_IPPROTO_TCP = 6
_IPPROTO_UDP = 17
_IPPROTO_ICMPV6 = 58
_IPPROTO_UDPLITE = 136
_IPPROTO_MPTCP = 262
_IPPROTO_MAX = 263
# inetsw / inetsw6 (net/ipv4/af_inet.c inetsw_array, net/ipv6/*): the protocols each
# type offers, on a kernel with MPTCP and UDP-Lite (as the 6.18 reference host has).
# The first is the default for protocol 0; SOCK_RAW takes any protocol but 0.
_INET_PROTOCOLS = {
    AF_INET: {
        SOCK_STREAM: (_IPPROTO_TCP, _IPPROTO_MPTCP),
        SOCK_DGRAM: (_IPPROTO_UDP, _IPPROTO_ICMP, _IPPROTO_UDPLITE),
    },
    AF_INET6: {
        SOCK_STREAM: (_IPPROTO_TCP, _IPPROTO_MPTCP),
        SOCK_DGRAM: (_IPPROTO_UDP, _IPPROTO_ICMPV6, _IPPROTO_UDPLITE),
    },
}
_PING = (_IPPROTO_ICMP, _IPPROTO_ICMPV6)

# net/core/sock.c: SOCK_MIN_SNDBUF = 2 * TCP_SKB_MIN_TRUESIZE, SOCK_MIN_RCVBUF =
# TCP_SKB_MIN_TRUESIZE (2048 + SKB_DATA_ALIGN(sizeof(struct sk_buff))).
SOCK_MIN_SNDBUF = 2 * (2048 + 256)
SOCK_MIN_RCVBUF = 2048 + 256
# net.core.wmem_max / rmem_max at their defaults (SK_WMEM_MAX, SK_RMEM_MAX). Hosts
# often raise them; the model keeps Linux's defaults.
SYSCTL_WMEM_MAX = 212992
SYSCTL_RMEM_MAX = 212992
_INT_MAX = 0x7FFFFFFF
# include/net/sock.h: sk_userlocks bits (SO_BUF_LOCK reads and sets them).
SOCK_SNDBUF_LOCK = 1
SOCK_RCVBUF_LOCK = 2
_SIMULATED_SOL_SOCKET = (SO_SNDBUF, SO_RCVBUF, SO_SNDBUFFORCE, SO_RCVBUFFORCE, SO_BUF_LOCK, SO_ERROR, SO_TYPE,
                         SO_DOMAIN, SO_PROTOCOL, SO_ACCEPTCONN)


def sndbuf_value(optname: int, val: int) -> int:
    """sk_setsockopt SO_SNDBUF (capped at net.core.wmem_max, a negative value is a huge unsigned
    one) or SO_SNDBUFFORCE (CAP_NET_ADMIN: no cap, a negative value is 0); __sock_set_sndbuf."""
    val = max(val, 0) if optname == SO_SNDBUFFORCE else min(val & 0xFFFFFFFF, SYSCTL_WMEM_MAX)
    return max(min(val, _INT_MAX // 2) * 2, SOCK_MIN_SNDBUF)


def rcvbuf_value(optname: int, val: int) -> int:
    """SO_RCVBUF / SO_RCVBUFFORCE, as sndbuf_value (__sock_set_rcvbuf)."""
    val = max(val, 0) if optname == SO_RCVBUFFORCE else min(val & 0xFFFFFFFF, SYSCTL_RMEM_MAX)
    return max(min(val, _INT_MAX // 2) * 2, SOCK_MIN_RCVBUF)


def linger_value(value: int | bytes, prev: bytes) -> bytes:
    """sk_setsockopt SO_LINGER: a struct linger (8 bytes, EINVAL if shorter); turning it off keeps
    the time, as sk_lingertime does."""
    if not isinstance(value, bytes) or len(value) < 8:
        raise oserror(EINVAL)
    onoff = int.from_bytes(value[:4], "little", signed=True)
    secs = int.from_bytes(value[4:8], "little", signed=True)
    if not onoff:
        return (0).to_bytes(4, "little") + prev[4:8]
    return (1).to_bytes(4, "little") + max(0, secs).to_bytes(4, "little")


class SocketCalls(SyscallBase):
    __slots__ = ()

    def _sock(self, fd: int) -> UnixStreamSocket:
        file = self.fget(fd)
        if not isinstance(file, (UnixStreamSocket, UnixDgramSocket)):
            raise oserror(ENOTSOCK)
        return file  # type: ignore[return-value]  # a datagram socket offers the same calls

    @staticmethod
    def _sock_kind(family: int, type: int) -> int:
        """The checks socket(2) and socketpair(2) share (the flags, then __sock_create's
        range checks); the socket type without its flags."""
        if type & ~(SOCK_TYPE_MASK | SOCK_NONBLOCK | SOCK_CLOEXEC):
            raise oserror(EINVAL)
        kind = type & SOCK_TYPE_MASK
        if family < 0 or family >= _NPROTO:
            raise oserror(EAFNOSUPPORT)
        if kind >= _SOCK_MAX:
            raise oserror(EINVAL)
        return kind

    def socketpair(self, family: int, type: int, proto: int) -> tuple[int, int]:
        """net/socket.c __sys_socketpair."""
        kind = self._sock_kind(family, type)
        if family == AF_UNIX:
            self._unix_create(kind, proto)
        elif family in (AF_INET, AF_INET6):
            self._inet_create(family, kind, proto)
            raise oserror(EOPNOTSUPP)  # sock_no_socketpair
        elif family == AF_UNSPEC:
            raise oserror(EAFNOSUPPORT)  # no net_families[AF_UNSPEC]
        else:
            raise Unsupported(f"socketpair of address family {family} is not modelled")
        fids = self.proc.fids
        if kind in (SOCK_DGRAM, _SOCK_RAW):
            stack = self.proc.net
            names, rng = (stack.unix_names, stack.rng) if stack is not None else (None, None)
            da, db = make_dgram_pair(next(fids), next(fids), type & SOCK_NONBLOCK, names, rng)
            return self._install_pair(da, db, bool(type & SOCK_CLOEXEC))
        a, b = make_socketpair(next(fids), next(fids), type & SOCK_NONBLOCK)
        return self._install_pair(a, b, bool(type & SOCK_CLOEXEC))

    @staticmethod
    def _unix_create(kind: int, proto: int) -> None:
        """net/unix/af_unix.c unix_create: the protocol first, then the type."""
        if proto and proto != AF_UNIX:
            raise oserror(EPROTONOSUPPORT)
        if kind == SOCK_SEQPACKET:
            raise Unsupported("AF_UNIX SOCK_SEQPACKET sockets are not modelled")
        if kind in (SOCK_DGRAM, _SOCK_RAW):  # SOCK_RAW becomes SOCK_DGRAM (files/unix_dgram.py)
            return
        if kind != SOCK_STREAM:
            raise oserror(ESOCKTNOSUPPORT)

    @staticmethod
    def _inet_create(family: int, kind: int, proto: int) -> None:
        """net/ipv4/af_inet.c inet_create (inet6_create is the same): the errors it can give."""
        if proto < 0 or proto >= _IPPROTO_MAX:
            raise oserror(EINVAL)
        if kind == _SOCK_RAW:  # the wildcard entry: any protocol but 0 (as root: CAP_NET_RAW)
            if proto == 0:
                raise oserror(EPROTONOSUPPORT)
            return
        offered = _INET_PROTOCOLS[family].get(kind)
        if offered is None:
            raise oserror(ESOCKTNOSUPPORT)
        if proto and proto not in offered:
            raise oserror(EPROTONOSUPPORT)
        if proto in _PING:
            raise oserror(EACCES)  # ping_init_sock: net.ipv4.ping_group_range is "1 0"

    # -- data -----------------------------------------------------------------
    # Linux sends and receives through sock->ops, the family's proto_ops; here Syscalls
    # (syscalls/__init__.py) maps each socket class to its family's send and receive, so a
    # call on any socket costs one lookup. Every class whose kind is "socket" is in both.
    # sendto and recvfrom each do fget and the look-up inline: as one helper called by both
    # (measured), the asyncio echo of bench_asyncio.py lost 1-2 %, its whole margin over Linux.
    SENDMSG: ClassVar[dict[type, Callable[..., int]]]
    RECVMSG: ClassVar[dict[type, Callable[..., bytes]]]

    def sendto(self, fd: int, data: bytes | memoryview, flags: int = 0, addr: tuple[Any, ...] | None = None) -> int:
        """send(2), and sendto(2) with a datagram's destination ``addr`` (a stream socket takes
        none here: CPython's stand-in answers a unix stream's address itself)."""
        try:  # fget, inline (the hottest calls)
            file = self.files[fd]
        except (KeyError, TypeError):
            raise oserror(EBADF) from None
        send = self.SENDMSG.get(file.__class__)
        if send is None:
            raise oserror(ENOTSOCK)
        return send(self, fd, file, data, flags, addr)

    def recvfrom(self, fd: int, bufsize: int, flags: int = 0) -> bytes:
        """recv(2) and recvfrom(2)'s data (recvmsg gives the source address too)."""
        try:  # fget, inline (the hottest calls)
            file = self.files[fd]
        except (KeyError, TypeError):
            raise oserror(EBADF) from None
        recv = self.RECVMSG.get(file.__class__)
        if recv is None:
            raise oserror(ENOTSOCK)
        return recv(self, fd, file, bufsize, flags)

    def _stream_send(self, fd: int, sock: Any, data: bytes | memoryview, flags: int, addr: Any = None) -> int:
        """send(2) on a stream socket: a blocking send completes fully (unix and TCP alike)."""
        if flags & ~_SEND_FLAGS:
            raise Unsupported(f"send flags {flags:#x} are not modelled")
        if self.hb.on:  # released before the first byte reaches the peer
            self.hb.release(sock.sync_tx())
        try:
            sent: int = sock.send(data, flags)
        except WouldBlock as blocked:
            sent = self.retry(f"send({fd})", lambda: sock.send(data, flags), blocked, sock)
        except BrokenPipeError:
            if not flags & MSG_NOSIGNAL:
                self._sigpipe()
            raise
        if sent == len(data) or flags & MSG_DONTWAIT or sock.nonblocking:
            return sent
        return self.finish_write(f"send({fd})", lambda rest: sock.send(rest, flags), data, sent, sock)

    def _unix_stream_recv(self, fd: int, sock: Any, bufsize: int, flags: int) -> bytes:
        if flags & ~_RECV_FLAGS:
            raise Unsupported(f"recv flags {flags:#x} are not modelled")
        data: bytes = self.retry(f"recv({fd})", lambda: sock.recv(bufsize, flags), file=sock)
        if self.hb.on:
            self.hb.acquire(sock.sync_rx())
        return data

    def shutdown(self, fd: int, how: int) -> None:
        sock = self._sock(fd)
        if self.hb.on:  # the peer reads it as EOF (or gets EPIPE)
            self.hb.release(sock.sync_tx())
        sock.shutdown(how)

    def getsockname(self, fd: int) -> tuple[int, bytes]:
        """(family, path) of the socket's own address; a socketpair's ends are unnamed."""
        sock = self._sock(fd)
        return sock.family, b""

    def getpeername(self, fd: int) -> tuple[int, bytes]:
        sock = self._sock(fd)
        return sock.family, b""

    def getsockopt(self, fd: int, level: int, optname: int, optlen: int | None = None) -> int | bytes:
        """net/core/sock.c sk_getsockopt: what the model simulates here, the rest from the table
        (``sockopts.py``). An int when ``optlen`` is None, else the bytes Linux copies for it."""
        sock = self._sock(fd)
        if level == SOL_SOCKET:
            value = self._unix_sim_get(sock, optname)
            if value is not None:
                return sockopts.shape(value, optlen)
        return sockopts.getsockopt(self, sock, level, optname, optlen)

    @staticmethod
    def _unix_sim_get(sock: UnixStreamSocket, optname: int) -> int | None:
        if optname == SO_ERROR:
            return sock.take_error()
        if optname == SO_TYPE:
            return sock.type
        if optname == SO_DOMAIN:
            return sock.family
        if optname in (SO_PROTOCOL, SO_ACCEPTCONN):
            return 0
        if optname == SO_SNDBUF:
            return sock.sndbuf
        if optname == SO_RCVBUF:
            return sock.rcvbuf
        if optname == SO_BUF_LOCK:
            return sockopts.buf_locks(sock)
        return None

    def setsockopt_null(self, fd: int, level: int, optname: int, optlen: int) -> None:
        """setsockopt(fd, level, optname, NULL, optlen): a negative or short length is EINVAL;
        every handler copies its value before it looks at the option, so the rest is EFAULT."""
        file: Any = self.fget(fd)
        if getattr(file, "kind", "") != "socket":
            raise oserror(ENOTSOCK)
        if optlen >= 1 << 31:
            raise oserror(EINVAL)  # __sys_setsockopt: optlen < 0
        sockopts.check_level(file, level)
        if optlen < 4:
            raise oserror(EINVAL)
        raise oserror(EFAULT)

    def setsockopt(self, fd: int, level: int, optname: int, value: int | bytes) -> None:
        """net/core/sock.c sk_setsockopt: the buffer sizes here, the rest from the table."""
        sock = self._sock(fd)
        if level == SOL_SOCKET and optname in _SIMULATED_SOL_SOCKET:
            val = sockopts.int_value(value)
            if optname in (SO_SNDBUF, SO_SNDBUFFORCE):
                sock.set_sndbuf(sndbuf_value(optname, val))
                sockopts.add_buf_lock(sock, SOCK_SNDBUF_LOCK)
            elif optname in (SO_RCVBUF, SO_RCVBUFFORCE):
                sock.rcvbuf = rcvbuf_value(optname, val)
                sockopts.add_buf_lock(sock, SOCK_RCVBUF_LOCK)
            elif optname == SO_BUF_LOCK:
                sockopts.set_buf_lock(sock, val)
            else:
                raise oserror(ENOPROTOOPT)  # SO_TYPE, SO_ERROR, ...: read-only
            return
        if level == SOL_SOCKET and optname == SO_LINGER:
            prev = sockopts.stored(sock, SOL_SOCKET, SO_LINGER, bytes(8))
            sockopts.put(sock, SOL_SOCKET, SO_LINGER, linger_value(value, prev))
            return
        sockopts.setsockopt(self, sock, level, optname, value)
