"""socket, bind, listen, accept4, connect and the data calls for AF_INET/AF_INET6 sockets.

Addresses in and out are CPython-shaped tuples with the host as canonical
numeric text (``compat/_sockaddr.py`` converts): AF_INET ``(host, port)``,
AF_INET6 ``(host, port, flowinfo, scope_id)``. Calls on other sockets (the
unix socketpairs) go on to ``SocketCalls``.

An inet socket file offers: ``family``, ``type``, ``proto``, ``bind(addr,
port)``, ``listen(backlog)``, ``connect(addr, port, nonblock)`` (raising
WouldBlock to wait, then ``connect_wait()``), ``accept(nonblock)``,
``send(data, flags)``, ``recv(n, flags)``, ``shutdown(how)``,
``sockname()``, ``peername()``, ``take_error()`` and the option attributes
(``reuseaddr``, ``reuseport``, ``keepalive``, ``nodelay``, ``v6only``,
``linger``, ``sndbuf``/``rcvbuf``). SOCK_DGRAM sockets come from a
``_udp_socket(fid, family, flags, proto)`` method if a mixin provides one.
"""
from __future__ import annotations

from errno import EAFNOSUPPORT, EINVAL, ENOPROTOOPT, ENOTSOCK, EOPNOTSUPP, ESOCKTNOSUPPORT
from typing import Any

from ..abi.fcntl import O_NONBLOCK
from ..abi.inet import IPPROTO_IPV6, IPPROTO_TCP, IPV6_V6ONLY, TCP_NODELAY
from ..abi.socket import (
    AF_INET,
    AF_INET6,
    MSG_DONTWAIT,
    MSG_NOSIGNAL,
    MSG_PEEK,
    SO_ACCEPTCONN,
    SO_BUF_LOCK,
    SO_DOMAIN,
    SO_ERROR,
    SO_KEEPALIVE,
    SO_LINGER,
    SO_PROTOCOL,
    SO_RCVBUF,
    SO_RCVBUFFORCE,
    SO_REUSEADDR,
    SO_REUSEPORT,
    SO_SNDBUF,
    SO_SNDBUFFORCE,
    SO_TYPE,
    SOCK_CLOEXEC,
    SOCK_DGRAM,
    SOCK_NONBLOCK,
    SOCK_STREAM,
    SOL_SOCKET,
)
from ..errors import Unsupported, oserror
from ..files.blocking import WouldBlock
from ..files.tcp import SOMAXCONN, TcpSocket
from ..files.tcp_states import LISTEN
from . import sockopts
from .socket import (
    _SIMULATED_SOL_SOCKET,
    _SOCK_RAW,
    SocketCalls,
    rcvbuf_value,
    sndbuf_value,
)

_SEND_FLAGS = MSG_DONTWAIT | MSG_NOSIGNAL
_RECV_FLAGS = MSG_DONTWAIT | MSG_PEEK
_INET_SIMULATED = (*_SIMULATED_SOL_SOCKET, SO_REUSEADDR, SO_REUSEPORT, SO_KEEPALIVE)


def _is_inet(file: Any) -> bool:
    return getattr(file, "family", None) in (AF_INET, AF_INET6) and hasattr(file, "sockname")


class InetCalls(SocketCalls):
    __slots__ = ()

    def _inet(self, fd: int) -> Any:
        file: Any = self.fget(fd)
        if not _is_inet(file):
            raise oserror(ENOTSOCK) if getattr(file, "kind", "") != "socket" else oserror(EOPNOTSUPP)
        return file

    def _tcp(self, fd: int) -> TcpSocket:
        file: Any = self.fget(fd)
        if not isinstance(file, TcpSocket):
            if getattr(file, "kind", "") == "socket":
                raise oserror(EOPNOTSUPP)
            raise oserror(ENOTSOCK)
        return file

    # -- creation -------------------------------------------------------------

    def socket(self, family: int, type: int, proto: int = 0) -> int:
        """net/socket.c __sys_socket: the flags, then __sock_create, then inet_create."""
        kind = self._sock_kind(family, type)
        if family not in (AF_INET, AF_INET6):
            if family == 0:
                raise oserror(EAFNOSUPPORT)
            if family == 1:
                self._unix_create(kind, proto)
                make_unix = getattr(self, "_unix_socket", None)  # syscalls/unix.py
                if make_unix is not None:
                    return int(make_unix(type))
            raise Unsupported(f"socket() of address family {family} is not modelled (only AF_INET/AF_INET6)")
        self._inet_create(family, kind, proto)
        if kind == _SOCK_RAW:
            raise Unsupported("raw sockets are not modelled")
        stack = self.proc.net
        if stack is None:
            raise Unsupported("this process has no network stack")
        fid = next(self.proc.fids)
        flags = O_NONBLOCK if type & SOCK_NONBLOCK else 0
        if kind == SOCK_STREAM:
            if proto not in (0, IPPROTO_TCP):
                raise Unsupported("MPTCP sockets are not modelled")
            file: Any = TcpSocket(fid, flags, family, stack, self.proc.clock, self.proc.fids)
        elif kind == SOCK_DGRAM:
            make = getattr(self, "_udp_socket", None)
            if make is None:
                raise Unsupported("UDP sockets are not modelled yet")
            file = make(fid, family, flags, proto)
        else:
            raise oserror(ESOCKTNOSUPPORT)
        return self.proc.fdtable.install(file, bool(type & SOCK_CLOEXEC))

    # -- addresses ------------------------------------------------------------

    def bind(self, fd: int, addr: tuple[Any, ...]) -> None:
        sock = self._inet(fd)
        sock.bind(addr[0], addr[1])

    def listen(self, fd: int, backlog: int) -> None:
        """__sys_listen: the backlog capped at net.core.somaxconn (a negative one too)."""
        sock = self._inet(fd)
        if not isinstance(sock, TcpSocket):
            raise oserror(EOPNOTSUPP)
        if backlog & 0xFFFFFFFF > SOMAXCONN:
            backlog = SOMAXCONN
        sock.listen(backlog)

    def connect(self, fd: int, addr: tuple[Any, ...]) -> None:
        sock = self._inet(fd)
        nonblock = sock.nonblocking
        try:
            sock.connect(addr[0], addr[1], nonblock)
        except WouldBlock as blocked:
            self.retry(f"connect({fd})", sock.connect_wait, blocked, sock, timeo=False)

    def accept4(self, fd: int, flags: int = 0) -> tuple[int, tuple[Any, ...]]:
        """__sys_accept4: flags limited to SOCK_NONBLOCK|SOCK_CLOEXEC (EINVAL), then inet_accept."""
        if flags & ~(SOCK_NONBLOCK | SOCK_CLOEXEC):
            raise oserror(EINVAL)
        sock = self._tcp(fd)
        nonblock = sock.nonblocking
        try:
            child = sock.accept(nonblock)
        except WouldBlock as blocked:
            child = self.retry(f"accept({fd})", lambda: sock.accept(False), blocked, sock)
        if flags & SOCK_NONBLOCK:
            child.flags |= O_NONBLOCK
        newfd = self.proc.fdtable.install(child, bool(flags & SOCK_CLOEXEC))
        if self.hb.on:
            self.hb.acquire(child.sync_rx())
        return newfd, self._shape(child, child.peername())

    @staticmethod
    def _shape(sock: Any, addr: tuple[str, int]) -> tuple[Any, ...]:
        if sock.family == AF_INET6:
            return (addr[0], addr[1], 0, 0)
        return addr

    def getsockname(self, fd: int) -> tuple[int, Any]:
        file: Any = self.fget(fd)
        if not _is_inet(file):
            return super().getsockname(fd)
        return file.family, self._shape(file, file.sockname())

    def getpeername(self, fd: int) -> tuple[int, Any]:
        file: Any = self.fget(fd)
        if not _is_inet(file):
            return super().getpeername(fd)
        return file.family, self._shape(file, file.peername())

    # -- data -----------------------------------------------------------------

    def _tcp_recv(self, fd: int, sock: TcpSocket, bufsize: int, flags: int) -> bytes:
        """tcp_recvmsg (sendto's TCP side is SocketCalls._stream_send)."""
        if flags & ~_RECV_FLAGS:
            raise Unsupported(f"recv flags {flags:#x} are not modelled")
        try:
            data = sock.recv(bufsize, flags)
        except WouldBlock as blocked:
            data = self.retry(f"recv({fd})", lambda: sock.recv(bufsize, flags), blocked, sock)
        if self.hb.on:
            self.hb.acquire(sock.sync_rx())
        return data

    def shutdown(self, fd: int, how: int) -> None:
        file: Any = self.fget(fd)
        if not _is_inet(file):
            return super().shutdown(fd, how)
        if self.hb.on:
            self.hb.release(file.sync_tx())
        file.shutdown(how)
        return None

    # -- options --------------------------------------------------------------

    def getsockopt(self, fd: int, level: int, optname: int, optlen: int | None = None) -> Any:
        """sk_getsockopt, do_tcp_getsockopt, do_ipv6_getsockopt for what the model simulates; the
        rest from the table (``sockopts.py``)."""
        file: Any = self.fget(fd)
        if not _is_inet(file):
            return super().getsockopt(fd, level, optname, optlen)
        sock = file
        value: Any = None
        if level == SOL_SOCKET:
            if optname == SO_ERROR:
                value = sock.take_error()
            elif optname == SO_TYPE:
                value = sock.type
            elif optname == SO_DOMAIN:
                value = sock.family
            elif optname == SO_PROTOCOL:
                value = sock.proto
            elif optname == SO_ACCEPTCONN:
                value = int(getattr(sock, "state", 0) == LISTEN)
            elif optname == SO_SNDBUF:
                value = sock.sndbuf
            elif optname == SO_RCVBUF:
                value = sock.rcvbuf
            elif optname == SO_REUSEADDR:
                value = int(sock.reuseaddr)
            elif optname == SO_REUSEPORT:
                value = int(sock.reuseport)
            elif optname == SO_KEEPALIVE:
                value = int(sock.keepalive)
            elif optname == SO_BUF_LOCK:
                value = sockopts.buf_locks(sock)
            elif optname == SO_LINGER:
                onoff, secs = sock.linger
                value = onoff.to_bytes(4, "little", signed=True) + secs.to_bytes(4, "little", signed=True)
        elif level == IPPROTO_TCP and sock.type == SOCK_STREAM and optname == TCP_NODELAY:
            value = int(sock.nodelay)
        elif level == IPPROTO_IPV6 and sock.family == AF_INET6 and optname == IPV6_V6ONLY:
            value = int(sock.v6only)
        if value is not None:
            return sockopts.shape(value, optlen)
        return sockopts.getsockopt(self, sock, level, optname, optlen)

    def setsockopt(self, fd: int, level: int, optname: int, value: int | bytes) -> None:
        """sk_setsockopt, do_tcp_setsockopt, do_ipv6_setsockopt for what the model simulates; the
        rest from the table. ``value`` an int (a C int) or the raw bytes."""
        file: Any = self.fget(fd)
        if not _is_inet(file):
            return super().setsockopt(fd, level, optname, value)
        sock = file
        if level == SOL_SOCKET and optname == SO_LINGER:
            raw = value if isinstance(value, bytes) else value.to_bytes(4, "little", signed=True)
            if len(raw) < 8:
                raise oserror(EINVAL)
            onoff = int.from_bytes(raw[:4], "little", signed=True)
            secs = int.from_bytes(raw[4:8], "little", signed=True)
            sock.linger = (1 if onoff else 0, max(0, secs) if onoff else sock.linger[1])
            return None
        if level == SOL_SOCKET and optname in _INET_SIMULATED:
            val = sockopts.int_value(value)
            if optname in (SO_SNDBUF, SO_SNDBUFFORCE):
                sock.sndbuf = sndbuf_value(optname, val)
                sock.sndbuf_locked = True
                write_space = getattr(sock, "_write_space", None)
                if write_space is not None:
                    write_space()
            elif optname in (SO_RCVBUF, SO_RCVBUFFORCE):
                sock.rcvbuf = rcvbuf_value(optname, val)
                sock.rcvbuf_locked = True
            elif optname == SO_REUSEADDR:
                sock.reuseaddr = bool(val)
            elif optname == SO_REUSEPORT:
                sock.reuseport = bool(val)
            elif optname == SO_KEEPALIVE:
                sock.keepalive = bool(val)
            elif optname == SO_BUF_LOCK:
                sockopts.set_buf_lock(sock, val)
            else:
                raise oserror(ENOPROTOOPT)  # SO_TYPE, SO_ERROR, ...: read-only
            return None
        if level == IPPROTO_TCP and sock.type == SOCK_STREAM and optname == TCP_NODELAY:
            sock.set_nodelay(bool(sockopts.int_value(value)))
            return None
        if level == IPPROTO_IPV6 and sock.family == AF_INET6 and optname == IPV6_V6ONLY:
            val = sockopts.int_value(value)
            if sock.sockname()[1]:  # do_ipv6_setsockopt: not once bound
                raise oserror(EINVAL)
            sock.v6only = bool(val)
            return None
        sockopts.setsockopt(self, sock, level, optname, value)
        return None
