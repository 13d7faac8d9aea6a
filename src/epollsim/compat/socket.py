"""A stand-in for ``socket``: socketpair() and the socket object's calls, as Lib/socket.py and
Modules/socketmodule.c behave.

Timeouts follow CPython: ``None`` is a blocking fd; ``0`` sets O_NONBLOCK;
a positive timeout also sets O_NONBLOCK and makes each call first poll() for
readiness, failing with ``TimeoutError("timed out")`` when the (virtual)
time runs out.
"""
from __future__ import annotations

import socket as _real_socket
from errno import EAGAIN, EBADF
from typing import Any, ClassVar

from ..abi import socket as _abi_socket
from ..abi.fcntl import F_DUPFD_CLOEXEC, F_GETFL, F_SETFL, O_NONBLOCK
from ..abi.poll import POLLIN, POLLOUT
from ..abi.socket import AF_UNIX, SO_DOMAIN, SO_TYPE, SOCK_CLOEXEC, SOCK_NONBLOCK, SOCK_STREAM, SOL_SOCKET
from ..errors import Unsupported, oserror
from ..syscalls import Syscalls
from ._convert import as_bytes, c_int, ns_to_ms_checked, time_to_ns
from ._module import StandIn, copy_constants

_AddressFamily = _real_socket.AddressFamily  # pure-Python enums, shared so values compare and print alike
_SocketKind = _real_socket.SocketKind


def _parse_timeout(value: Any) -> float | None:
    """socket_parse_timeout."""
    if value is None:
        return None
    try:
        ns = time_to_ns(value, 1_000_000_000)
    except TypeError:
        raise TypeError("Timeout value must be int, float or None") from None
    if ns < 0:
        raise ValueError("Timeout value out of range")
    return ns / 1_000_000_000


class socket:  # noqa: N801 - the stdlib's name
    """socket.socket for the model's sockets; subclassed once per kernel to bind ``_module``."""

    __slots__ = ("_fd", "_family", "_type", "_proto", "_timeout", "__weakref__")
    _module: ClassVar[SocketModule]

    def __init__(self, family: int = -1, type: int = -1, proto: int = -1, fileno: int | None = None) -> None:
        sys = self._module._sys
        self._fd = -1
        if fileno is None:
            raise Unsupported("socket.socket() is not modelled yet: use socketpair()")
        fd = c_int(fileno)
        if fd < 0:
            raise ValueError("negative file descriptor")
        if family == -1:
            family = sys.getsockopt(fd, SOL_SOCKET, SO_DOMAIN)
        if type == -1:
            type = sys.getsockopt(fd, SOL_SOCKET, SO_TYPE)
        if proto == -1:
            proto = 0
        self._fd = fd
        self._family = family
        self._type = type & ~(SOCK_NONBLOCK | SOCK_CLOEXEC)
        self._proto = proto
        if type & SOCK_NONBLOCK:
            self._timeout: float | None = 0.0
        else:
            self._timeout = self._module._default_timeout
            if self._timeout is not None:
                self._set_nonblock(True)

    # -- identity -------------------------------------------------------------

    @property
    def family(self) -> Any:
        return _intenum(self._family, _AddressFamily)

    @property
    def type(self) -> Any:
        return _intenum(self._type, _SocketKind)

    @property
    def proto(self) -> int:
        return self._proto

    def fileno(self) -> int:
        return self._fd

    def __repr__(self) -> str:
        closed = " [closed]" if self._fd == -1 else ""
        return (
            f"<socket.socket{closed} fd={self._fd}, family={self._family}, "
            f"type={self._type}, proto={self._proto}>"
        )

    def __enter__(self) -> socket:
        return self

    def __exit__(self, *args: object) -> None:
        self.close()

    # -- lifetime -------------------------------------------------------------

    def close(self) -> None:
        fd, self._fd = self._fd, -1
        if fd != -1:
            self._module._sys.close(fd)

    def detach(self) -> int:
        fd, self._fd = self._fd, -1
        return fd

    def dup(self) -> socket:
        fd = self._module._sys.fcntl(self._fd, F_DUPFD_CLOEXEC, 0)
        sock = type(self)(self._family, self._type, self._proto, fileno=fd)
        sock.settimeout(self.gettimeout())
        return sock

    # -- blocking mode --------------------------------------------------------

    def _set_nonblock(self, on: bool) -> None:
        sys = self._module._sys
        flags = sys.fcntl(self._fd, F_GETFL)
        sys.fcntl(self._fd, F_SETFL, flags | O_NONBLOCK if on else flags & ~O_NONBLOCK)

    def settimeout(self, value: Any) -> None:
        timeout = _parse_timeout(value)
        self._timeout = timeout
        if self._fd != -1:
            self._set_nonblock(timeout is not None)

    def gettimeout(self) -> float | None:
        return self._timeout

    def setblocking(self, flag: bool) -> None:
        self.settimeout(None if flag else 0.0)

    def getblocking(self) -> bool:
        return self._timeout != 0.0

    # -- data -----------------------------------------------------------------

    def _call(self, writing: bool, op: Any) -> Any:
        """sock_call_ex: with a timeout, poll for readiness first, and again after EAGAIN."""
        timeout = self._timeout
        if not timeout:
            return op()
        sys = self._module._sys
        clock = sys.proc.clock
        deadline = clock.now_ns + int(timeout * 1_000_000_000)
        events = POLLOUT if writing else POLLIN
        while True:
            remaining = deadline - clock.now_ns
            if remaining < 0 or not sys.poll([(self._fd, events)], ns_to_ms_checked(remaining, False))[0]:
                raise TimeoutError("timed out")
            try:
                return op()
            except BlockingIOError:
                continue

    def send(self, data: Any, flags: int = 0, /) -> int:
        buf = as_bytes(data)
        flags = c_int(flags)
        return self._call(True, lambda: self._module._sys.sendto(self._fd, buf, flags))

    def sendall(self, data: Any, flags: int = 0, /) -> None:
        buf = as_bytes(data)
        flags = c_int(flags)
        sent = 0
        while sent < len(buf):
            chunk = buf[sent:]
            sent += self._call(True, lambda: self._module._sys.sendto(self._fd, chunk, flags))

    def recv(self, bufsize: int, flags: int = 0, /) -> bytes:
        bufsize = bufsize.__index__()
        flags = c_int(flags)
        if bufsize < 0:
            raise ValueError("negative buffersize in recv")
        if bufsize == 0:
            return b""  # Linux returns 0 for a zero-length recv on these sockets
        return self._call(False, lambda: self._module._sys.recvfrom(self._fd, bufsize, flags))

    def recv_into(self, buffer: Any, nbytes: int = 0, flags: int = 0) -> int:
        view = memoryview(buffer).cast("B")
        nbytes = nbytes.__index__()
        if nbytes < 0:
            raise ValueError("negative buffersize in recv_into")
        if nbytes == 0:
            nbytes = len(view)
        if len(view) < nbytes:
            raise ValueError("buffer too small for requested bytes")
        data = self.recv(nbytes, flags)
        view[: len(data)] = data
        return len(data)

    def shutdown(self, how: int, /) -> None:
        self._module._sys.shutdown(self._fd, c_int(how))

    def getsockopt(self, level: int, optname: int, buflen: int | None = None, /) -> int:
        if buflen is not None:
            raise Unsupported("getsockopt with a buffer length is not modelled")
        return self._module._sys.getsockopt(self._fd, c_int(level), c_int(optname))


def _intenum(value: int, enum_klass: Any) -> Any:
    try:
        return enum_klass(value)
    except ValueError:
        return value


class SocketModule(StandIn):
    """``k.socket``."""

    _mirrors = _real_socket

    # The exception classes are the real ones, so ``except socket.timeout`` works either way.
    error = OSError
    timeout = TimeoutError
    herror = _real_socket.herror
    gaierror = _real_socket.gaierror
    AddressFamily = _AddressFamily
    SocketKind = _SocketKind

    def __init__(self, sys: Syscalls) -> None:
        self._sys = sys
        self._default_timeout: float | None = None
        self.socket = type("socket", (socket,), {"__slots__": (), "_module": self})
        self.SocketType = self.socket

    def socketpair(self, family: int = AF_UNIX, type: int = SOCK_STREAM, proto: int = 0) -> tuple[socket, socket]:
        family, type, proto = c_int(family), c_int(type), c_int(proto)
        a, b = self._sys.socketpair(family, type | SOCK_CLOEXEC, proto)
        return (
            self.socket(family, type, proto, fileno=a),
            self.socket(family, type, proto, fileno=b),
        )

    def fromfd(self, fd: int, family: int, type: int, proto: int = 0) -> socket:
        nfd = self._sys.fcntl(c_int(fd), F_DUPFD_CLOEXEC, 0)
        return self.socket(family, type, proto, fileno=nfd)

    def getdefaulttimeout(self) -> float | None:
        return self._default_timeout

    def setdefaulttimeout(self, timeout: Any) -> None:
        self._default_timeout = _parse_timeout(timeout)


copy_constants(SocketModule, _abi_socket, prefixes=("AF_", "SOCK_", "SHUT_", "SOL_", "SO_", "MSG_"))

