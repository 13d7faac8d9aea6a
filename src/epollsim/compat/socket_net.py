"""The socket object's network methods: bind, listen, accept, connect, names, makefile.

A mixin of ``socket_object.socket`` (Modules/socketmodule.c sock_bind,
sock_listen, sock_accept, sock_connect/internal_connect, sock_getsockname,
sock_recvmsg, and Lib/socket.py accept/makefile). Addresses are converted by
``_sockaddr.py`` with CPython's checks and messages, names resolved by the
model's resolver.

connect with a timeout is CPython's: the socket is non-blocking, so the call
says EINPROGRESS; then poll() for POLLOUT (with the timeout), then
getsockopt(SO_ERROR) decides (EISCONN counts as success). ``connect_ex``
returns the errno instead of raising, and EAGAIN (CPython's
SOCK_TIMEOUT_ERR) when the time runs out.
"""
from __future__ import annotations

import io
import socket as _real_socket
from typing import TYPE_CHECKING, Any, ClassVar

from ..abi.poll import POLLOUT
from ..abi.socket import SO_ERROR, SOCK_CLOEXEC, SOL_SOCKET
from ..errors import oserror
from ._convert import format_i, ns_to_ms_checked
from ._sockaddr import getsockaddrarg, makesockaddr

if TYPE_CHECKING:
    from .socket import SocketModule
    from .socket_object import socket as _Socket

_EINPROGRESS = 115
_EISCONN = 106
_EAGAIN = 11  # SOCK_TIMEOUT_ERR
_SOMAXCONN = 4096
_DEFAULT_BACKLOG = min(_SOMAXCONN, 128)  # sock_listen: "Py_MIN(SOMAXCONN, 128)"


class SocketNetMixin:
    """What a socket object does with addresses; relies on socket_object.socket's attributes."""

    __slots__ = ()
    _module: ClassVar[SocketModule]
    _fd: int
    _family: int
    _type: int
    _proto: int
    _timeout_ns: int | None

    if TYPE_CHECKING:
        def _call(self, writing: bool, op: Any, timeout_ns: int | None = None) -> Any: ...
        def gettimeout(self) -> float | None: ...
        def setblocking(self, flag: Any, /) -> None: ...
        def _recv_guts(self, bufsize: int, flags: int) -> bytes: ...
        def _recvmsg_guts(self, bufsize: int, flags: int) -> tuple[bytes, int, int, Any]: ...

    def _addr(self, address: Any, caller: str) -> Any:
        return getsockaddrarg(self._family, address, caller, self._module._resolver)

    def bind(self, address: Any, /) -> None:
        addr = self._addr(address, "bind")
        self._module._sys.bind(self._fd, addr)

    def listen(self, backlog: Any = _DEFAULT_BACKLOG, /) -> None:
        backlog = format_i(backlog)
        if backlog < 0:  # "We can't use SOMAXCONN here": a negative backlog is 0
            backlog = 0
        self._module._sys.listen(self._fd, backlog)

    def _accept(self) -> tuple[int, Any]:
        """sock_accept: accept4(SOCK_CLOEXEC), waiting for POLLIN under a timeout."""
        sys = self._module._sys
        fd, addr = self._call(False, lambda: sys.accept4(self._fd, SOCK_CLOEXEC))
        return fd, makesockaddr(self._family, addr)

    def accept(self) -> tuple[_Socket, Any]:
        """Lib/socket.py accept: the new socket inherits blocking mode as CPython decides."""
        fd, addr = self._accept()
        # Lib/socket.py: the module's socket class, not type(self) (an SSLSocket's accept wraps it after)
        sock = self._module._new_socket(self._family, self._type, self._proto, fileno=fd)
        if self._module.getdefaulttimeout() is None and self.gettimeout():
            sock.setblocking(True)
        return sock, addr

    def _connect(self, address: Any, caller: str) -> int:
        """internal_connect: 0, or the errno; raises only what raise=1 would for the caller."""
        addr = self._addr(address, caller)
        sys = self._module._sys
        err: int  # getsockopt's value without a buffer length is an int
        try:
            sys.connect(self._fd, addr)
            return 0
        except OSError as exc:
            err = exc.errno or 0
            if not (self._timeout_ns and err == _EINPROGRESS):
                if caller == "connect":
                    raise
                return err
        # sock_call_ex(connect=1): poll for POLLOUT first, then ask SO_ERROR.
        clock = sys.proc.clock
        deadline = clock.now_ns + self._timeout_ns
        while True:
            remaining = deadline - clock.now_ns
            if remaining < 0 or not sys.poll([(self._fd, POLLOUT)], ns_to_ms_checked(remaining, True))[0]:
                if caller == "connect":
                    raise TimeoutError("timed out")
                return _EAGAIN
            err = sys.getsockopt(self._fd, SOL_SOCKET, SO_ERROR)
            if err == 0 or err == _EISCONN:
                return 0
            if err == _EAGAIN:
                continue
            if caller == "connect":
                raise oserror(err)
            return err

    def connect(self, address: Any, /) -> None:
        self._connect(address, "connect")

    def connect_ex(self, address: Any, /) -> int:
        return self._connect(address, "connect_ex")

    def getsockname(self) -> Any:
        if not self._family:  # getsockaddrlen, on an object sock_initobj never ran on
            raise OSError("getsockaddrlen: bad family")
        family, addr = self._module._sys.getsockname(self._fd)
        if isinstance(addr, bytes):
            return makesockaddr(family, addr) if addr else ""
        return makesockaddr(family, addr)

    def getpeername(self) -> Any:
        if not self._family:  # getsockaddrlen, on an object sock_initobj never ran on
            raise OSError("getsockaddrlen: bad family")
        family, addr = self._module._sys.getpeername(self._fd)
        if isinstance(addr, bytes):
            return makesockaddr(family, addr) if addr else ""
        return makesockaddr(family, addr)

    def makefile(self, mode: str = "r", buffering: int | None = None, *,
                 encoding: str | None = None, errors: str | None = None, newline: str | None = None) -> Any:
        """Lib/socket.py makefile, over the real ``socket.SocketIO`` (pure Python)."""
        if not set(mode) <= {"r", "w", "b"}:
            raise ValueError(f"invalid mode {mode!r} (only r, w, b allowed)")
        writing = "w" in mode
        reading = "r" in mode or not writing
        assert reading or writing
        binary = "b" in mode
        rawmode = ""
        if reading:
            rawmode += "r"
        if writing:
            rawmode += "w"
        raw = _real_socket.SocketIO(self, rawmode)  # type: ignore[arg-type]
        self._io_refs += 1  # type: ignore[attr-defined]
        if buffering is None:
            buffering = -1
        if buffering < 0:
            buffering = io.DEFAULT_BUFFER_SIZE
        if buffering == 0:
            if not binary:
                raise ValueError("unbuffered streams must be binary")
            return raw
        buffer: Any
        if reading and writing:
            buffer = io.BufferedRWPair(raw, raw, buffering)
        elif reading:
            buffer = io.BufferedReader(raw, buffering)
        else:
            buffer = io.BufferedWriter(raw, buffering)
        if binary:
            return buffer
        encoding = io.text_encoding(encoding)  # type: ignore[attr-defined, unused-ignore]  # typeshed: 3.11+; 3.10 has it
        text = io.TextIOWrapper(buffer, encoding, errors, newline)
        text.mode = mode  # type: ignore[misc]
        return text
