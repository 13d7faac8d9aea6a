"""socket, bind, listen, connect, accept4 and names for AF_UNIX sockets made by socket().

A mixin placed before InetCalls: each call takes a ``UnixSocket`` (files/unix_socket.py)
and hands every other file on. Addresses in and out are the raw sun_path bytes
(``compat/_sockaddr.py`` converts): a path, NUL + an abstract name, or empty.
``unlink`` removes a bound path from the host's names (the model has no files).
"""
from __future__ import annotations

from errno import ECONNREFUSED, EINVAL, EISCONN, EOPNOTSUPP
from typing import Any

from ..abi.fcntl import O_NONBLOCK
from ..abi.socket import (
    AF_UNIX,
    SO_ACCEPTCONN,
    SOCK_CLOEXEC,
    SOCK_NONBLOCK,
    SOCK_STREAM,
    SOCK_TYPE_MASK,
    SOL_SOCKET,
)
from ..errors import Unsupported, oserror
from ..files.blocking import WouldBlock
from ..files.unix_dgram import UnixDgramSocket
from ..files.unix_socket import LISTEN, UnixSocket, find_listener
from ..files.unix_stream import UnixStreamSocket
from ..net.unix_names import UnixNames
from . import sockopts
from .inet import InetCalls


class UnixCalls(InetCalls):
    __slots__ = ()

    def _unix_socket(self, type: int) -> int:
        """unix_create (the checks ran in socket()): a stream or a datagram socket."""
        stack = self.proc.net
        if stack is None:
            raise Unsupported("this process has no network stack (no AF_UNIX names)")
        flags = O_NONBLOCK if type & SOCK_NONBLOCK else 0
        sock: UnixSocket | UnixDgramSocket
        if type & SOCK_TYPE_MASK == SOCK_STREAM:
            sock = UnixSocket(next(self.proc.fids), flags, stack.unix_names, stack.rng)
        else:  # SOCK_DGRAM (and SOCK_RAW, which unix_create makes a datagram socket)
            sock = UnixDgramSocket(next(self.proc.fids), flags, stack.unix_names, stack.rng)
        return self.proc.fdtable.install(sock, bool(type & SOCK_CLOEXEC))

    def _unix_path(self, addr: Any) -> bytes:
        """The sun_path of a unix address; a sockaddr of another family (an AF_INET socket object
        on a unix fd) fails unix_validate_addr's sun_family check: EINVAL."""
        if not isinstance(addr, (bytes, bytearray, memoryview)):
            raise oserror(EINVAL)
        return bytes(addr)

    def _names(self) -> UnixNames:
        stack = self.proc.net
        if stack is None:
            raise Unsupported("this process has no network stack (no AF_UNIX names)")
        return stack.unix_names

    def bind(self, fd: int, addr: Any) -> None:
        """unix_bind, for a socketpair end too (it has no name yet, so it may take one)."""
        file = self.fget(fd)
        if not isinstance(file, (UnixStreamSocket, UnixDgramSocket)):
            return super().bind(fd, addr)
        path = self._unix_path(addr)
        if file.names is None:  # a socketpair end: the host's names from now on
            file.names = self._names()
            file.rng = self.proc.net.rng  # type: ignore[union-attr]
        file.bind(path)
        return None

    def listen(self, fd: int, backlog: int) -> None:
        file = self.fget(fd)
        if isinstance(file, UnixDgramSocket):
            raise oserror(EOPNOTSUPP)
        if not isinstance(file, UnixSocket):
            if isinstance(file, UnixStreamSocket):  # a socketpair end: connected, so not listenable
                raise oserror(EINVAL)
            return super().listen(fd, backlog)
        if backlog & 0xFFFFFFFF > 4096:  # __sys_listen: capped at net.core.somaxconn
            backlog = 4096
        file.listen(backlog)
        return None

    def connect(self, fd: int, addr: Any) -> None:
        file = self.fget(fd)
        if isinstance(file, UnixDgramSocket):
            path = self._unix_path(addr)
            if not path:
                raise oserror(EINVAL)
            if file.names is None:  # a socketpair end of a process with no names: nothing to find
                raise oserror(ECONNREFUSED)
            file.connect(path)
            return None
        if not isinstance(file, UnixStreamSocket):
            return super().connect(fd, addr)
        path = self._unix_path(addr)
        if not path:
            raise oserror(EINVAL)  # unix_validate_addr: no name
        if not isinstance(file, UnixSocket):
            return self._connect_pair_end(fd, file, path)
        sock = file
        fid = next(self.proc.fids)
        try:
            sock.connect(path, sock.nonblocking, fid)
        except WouldBlock as blocked:
            self.retry(f"connect({fd})", lambda: sock.connect(path, False, fid), blocked, sock, timeo=False)
        return None

    def _connect_pair_end(self, fd: int, file: UnixStreamSocket, path: bytes) -> None:
        """unix_stream_connect from a socketpair end: the name is looked up (ENOENT, ECONNREFUSED,
        a full backlog waited for) before the end's own state says EISCONN."""
        names = self._names()
        try:
            find_listener(names, path, file.nonblocking)
        except WouldBlock as blocked:
            self.retry(f"connect({fd})", lambda: find_listener(names, path, False), blocked, file)
        raise oserror(EISCONN)

    def accept4(self, fd: int, flags: int = 0) -> tuple[int, Any]:
        file = self.fget(fd)
        if isinstance(file, UnixDgramSocket):
            raise oserror(EOPNOTSUPP)
        if not isinstance(file, UnixStreamSocket):
            return super().accept4(fd, flags)
        if flags & ~(SOCK_NONBLOCK | SOCK_CLOEXEC):
            raise oserror(EINVAL)
        if not isinstance(file, UnixSocket):
            raise oserror(EINVAL)  # unix_accept: a socketpair end is not listening
        sock = file
        try:
            child = sock.accept(sock.nonblocking)
        except WouldBlock as blocked:
            child = self.retry(f"accept({fd})", lambda: sock.accept(False), blocked, sock)
        if flags & SOCK_NONBLOCK:
            child.flags |= O_NONBLOCK
        newfd = self.proc.fdtable.install(child, bool(flags & SOCK_CLOEXEC))
        peer = child.peer
        return newfd, (peer.name or b"") if isinstance(peer, UnixSocket) else b""

    def getsockname(self, fd: int) -> tuple[int, Any]:
        file = self.fget(fd)
        if not isinstance(file, (UnixStreamSocket, UnixDgramSocket)):
            return super().getsockname(fd)
        return AF_UNIX, file.sockname()

    def getpeername(self, fd: int) -> tuple[int, Any]:
        file = self.fget(fd)
        if not isinstance(file, (UnixStreamSocket, UnixDgramSocket)):
            return super().getpeername(fd)
        return AF_UNIX, file.peername()

    def getsockopt(self, fd: int, level: int, optname: int, optlen: int | None = None) -> Any:
        """SO_ACCEPTCONN of a listening AF_UNIX socket is 1; the rest as for a socketpair end."""
        file = self.fget(fd)
        if isinstance(file, UnixSocket) and level == SOL_SOCKET and optname == SO_ACCEPTCONN:
            return sockopts.shape(int(file.state == LISTEN), optlen)
        return super().getsockopt(fd, level, optname, optlen)

    def unlink(self, path: bytes) -> None:
        """unlink(2) of a socket path the host's names hold (ENOENT for any other path)."""
        stack = self.proc.net
        if stack is None:
            raise Unsupported("this process has no network stack (no AF_UNIX names)")
        stack.unix_names.unlink(bytes(path))
