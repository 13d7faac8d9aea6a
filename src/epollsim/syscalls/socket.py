"""socketpair, send, recv, shutdown and getsockopt for AF_UNIX stream pairs."""
from __future__ import annotations

from errno import EAFNOSUPPORT, EINVAL, ENOTSOCK, EOPNOTSUPP, EPROTONOSUPPORT

from ..abi.socket import (
    AF_INET,
    AF_INET6,
    AF_UNIX,
    MSG_DONTWAIT,
    MSG_NOSIGNAL,
    MSG_PEEK,
    SO_ACCEPTCONN,
    SO_DOMAIN,
    SO_ERROR,
    SO_PROTOCOL,
    SO_RCVBUF,
    SO_SNDBUF,
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
from ..files.unix_stream import UnixStreamSocket, make_socketpair
from .base import SyscallBase

_SEND_FLAGS = MSG_DONTWAIT | MSG_NOSIGNAL
_RECV_FLAGS = MSG_DONTWAIT | MSG_PEEK


class SocketCalls(SyscallBase):
    __slots__ = ()

    def _sock(self, fd: int) -> UnixStreamSocket:
        file = self.fget(fd)
        if not isinstance(file, UnixStreamSocket):
            raise oserror(ENOTSOCK)
        return file

    def socketpair(self, family: int, type: int, proto: int) -> tuple[int, int]:
        kind = type & SOCK_TYPE_MASK
        if type & ~(SOCK_TYPE_MASK | SOCK_NONBLOCK | SOCK_CLOEXEC):
            raise oserror(EINVAL)
        if family in (AF_INET, AF_INET6):
            raise oserror(EOPNOTSUPP)
        if family != AF_UNIX:
            raise oserror(EAFNOSUPPORT)
        if kind in (SOCK_DGRAM, SOCK_SEQPACKET):
            raise Unsupported("AF_UNIX SOCK_DGRAM and SOCK_SEQPACKET socketpairs are not modelled")
        if kind != SOCK_STREAM:
            raise oserror(EINVAL)  # include/linux/net.h: other kinds (unix_create: ESOCKTNOSUPPORT)
        if proto not in (0, AF_UNIX):
            raise oserror(EPROTONOSUPPORT)
        fids = self.proc.fids
        a, b = make_socketpair(next(fids), next(fids), type & SOCK_NONBLOCK)
        return self._install_pair(a, b, bool(type & SOCK_CLOEXEC))

    def sendto(self, fd: int, data: bytes, flags: int = 0) -> int:
        sock = self._sock(fd)
        if flags & ~_SEND_FLAGS:
            raise Unsupported(f"send flags {flags:#x} are not modelled")
        return self.retry(f"send({fd})", lambda: sock.send(data, flags))

    def recvfrom(self, fd: int, bufsize: int, flags: int = 0) -> bytes:
        sock = self._sock(fd)
        if flags & ~_RECV_FLAGS:
            raise Unsupported(f"recv flags {flags:#x} are not modelled")
        return self.retry(f"recv({fd})", lambda: sock.recv(bufsize, flags))

    def shutdown(self, fd: int, how: int) -> None:
        self._sock(fd).shutdown(how)

    def getsockopt(self, fd: int, level: int, optname: int) -> int:
        sock = self._sock(fd)
        if level != SOL_SOCKET:
            raise Unsupported(f"getsockopt level {level} is not modelled")
        if optname == SO_ERROR:
            return sock.take_error()
        if optname == SO_TYPE:
            return sock.type
        if optname == SO_DOMAIN:
            return sock.family
        if optname == SO_PROTOCOL:
            return 0
        if optname == SO_ACCEPTCONN:
            return 0
        if optname == SO_SNDBUF:
            return sock.sndbuf
        if optname == SO_RCVBUF:
            return sock.rcvbuf
        raise Unsupported(f"getsockopt(SOL_SOCKET, {optname}) is not modelled")
