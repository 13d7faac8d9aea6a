"""The socket object of the ``socket`` stand-in (Modules/socketmodule.c and Lib/socket.py).
Modules/socketmodule.c behave.

Timeouts follow CPython: ``None`` is a blocking fd; ``0`` sets O_NONBLOCK;
a positive timeout also sets O_NONBLOCK and makes each call first poll() for
readiness (sock_call_ex), failing with ``TimeoutError("timed out")`` when the
(virtual) time runs out. Note that poll() asks unix_poll, so a timed send
waits for EPOLLOUT (4 x wmem <= sndbuf) even when the kernel would still
accept the data.

Arguments are converted as socketmodule.c's PyArg_ParseTuple formats do
("i": C int, with "signed integer is greater than maximum"; "n": Py_ssize_t),
so bad arguments fail with CPython's exception and message.
"""
from __future__ import annotations

import socket as _real_socket
import warnings
from typing import TYPE_CHECKING, Any, ClassVar, NoReturn

from ..abi.fcntl import F_DUPFD_CLOEXEC, F_GETFD, F_GETFL, F_SETFD, F_SETFL, FD_CLOEXEC, O_NONBLOCK
from ..abi.poll import POLLIN, POLLOUT
from ..abi.socket import (
    SO_PROTOCOL,
    SO_TYPE,
    SOCK_CLOEXEC,
    SOCK_NONBLOCK,
    SOL_SOCKET,
)
from ..errors import Unsupported, oserror
from ._convert import (
    as_bytes,
    c_int,
    c_long,
    format_i,
    format_n,
    ns_to_ms_checked,
    time_to_ns,
    writable_buffer,
)

if TYPE_CHECKING:
    from .socket import SocketModule

_AddressFamily = _real_socket.AddressFamily  # pure-Python enums, shared so values compare and print alike
_SocketKind = _real_socket.SocketKind

_NS_PER_SEC = 1_000_000_000
_EISCONN = 106
_EINVAL = 22


def _parse_timeout(value: Any) -> int | None:
    """socket_parse_timeout: the timeout in ns, None for blocking."""
    if value is None:
        return None
    try:
        ns = time_to_ns(value, _NS_PER_SEC)
    except TypeError:
        # _PyTime_FromSecondsObject: anything but a float goes through PyLong_AsLongLong.
        raise TypeError(f"'{type(value).__name__}' object cannot be interpreted as an integer") from None
    if ns < 0:
        raise ValueError("Timeout value out of range")
    return ns



class socket:
    """socket.socket for the model's sockets; subclassed once per kernel to bind ``_module``."""

    __slots__ = ("__weakref__", "_closed", "_family", "_fd", "_proto", "_timeout_ns", "_type")
    _module: ClassVar[SocketModule]

    def __init__(self, family: Any = -1, type: Any = -1, proto: Any = -1, fileno: Any = None) -> None:
        """sock_initobj, for an existing fd (the model cannot make unconnected sockets yet)."""
        sys = self._module._sys
        self._fd = -1
        self._closed = False
        if fileno is None:
            raise Unsupported("socket.socket() is not modelled yet: use socketpair()")
        family, type, proto = format_i(family), format_i(type), format_i(proto)
        fd = format_i(fileno)
        if fd < 0:
            raise ValueError("negative file descriptor")
        # "validate that passed file descriptor is valid and a socket" (getsockname).
        addr_family, _ = sys.getsockname(fd)
        if family == -1:
            family = addr_family
        if type == -1:
            type = sys.getsockopt(fd, SOL_SOCKET, SO_TYPE)
        if proto == -1:
            proto = sys.getsockopt(fd, SOL_SOCKET, SO_PROTOCOL)
        self._init(fd, family, type, proto)

    @classmethod
    def _from_fd(cls, fd: int, family: int, type: int, proto: int) -> socket:
        """A socket object for a new fd (new_sockobject), without sock_initobj's checks."""
        sock = cls.__new__(cls)
        sock._closed = False
        sock._init(fd, family, type, proto)
        return sock

    def _init(self, fd: int, family: int, type: int, proto: int) -> None:
        """init_sockobject: SOCK_NONBLOCK in ``type`` means timeout 0, else the default timeout."""
        self._fd = fd
        self._family = family
        self._type = type & ~(SOCK_NONBLOCK | SOCK_CLOEXEC)
        self._proto = proto
        if type & SOCK_NONBLOCK:
            self._timeout_ns: int | None = 0
        else:
            self._timeout_ns = self._module._default_timeout_ns
            if self._timeout_ns is not None:
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

    @property
    def timeout(self) -> float | None:
        return self.gettimeout()

    def fileno(self) -> int:
        return self._fd

    def __repr__(self) -> str:
        # Lib/socket.py socket.__repr__ (a socketpair's ends have no laddr/raddr to show)
        closed = " [closed]" if self._closed else ""
        return (
            f"<socket.socket{closed} fd={self._fd}, family={self._family}, "
            f"type={self._type}, proto={self._proto}>"
        )

    def __getstate__(self) -> Any:
        raise TypeError(f"cannot pickle {type(self).__name__!r} object")

    def __enter__(self) -> socket:
        return self

    def __exit__(self, *args: object) -> None:
        if not self._closed:
            self.close()

    # -- lifetime -------------------------------------------------------------

    def close(self) -> None:
        """sock_close: forget the fd first, so a failing close still leaves the object closed."""
        self._closed = True
        fd, self._fd = self._fd, -1
        if fd != -1:
            self._module._sys.close(fd)

    def __del__(self) -> None:
        # sock_finalize: an object dropped while open warns and closes its fd.
        if getattr(self, "_fd", -1) != -1:
            warnings.warn(f"unclosed {self!r}", ResourceWarning, source=self, stacklevel=1)
            fd, self._fd = self._fd, -1
            try:
                self._module._sys.close(fd)
            except OSError:
                pass

    def detach(self) -> int:
        self._closed = True
        fd, self._fd = self._fd, -1
        return fd

    def dup(self) -> socket:
        fd = self._module._sys.fcntl(self._fd, F_DUPFD_CLOEXEC, 0)
        sock = type(self)(self._family, self._type, self._proto, fileno=fd)
        sock.settimeout(self.gettimeout())
        return sock

    def get_inheritable(self) -> bool:
        return not self._module._sys.fcntl(self._fd, F_GETFD) & FD_CLOEXEC

    def set_inheritable(self, inheritable: bool) -> None:
        self._module._sys.fcntl(self._fd, F_SETFD, 0 if inheritable else FD_CLOEXEC)

    # -- blocking mode --------------------------------------------------------

    def _set_nonblock(self, on: bool) -> None:
        """internal_setblocking (ioctl FIONBIO: the same O_NONBLOCK bit fcntl shows)."""
        sys = self._module._sys
        flags = sys.fcntl(self._fd, F_GETFL)
        sys.fcntl(self._fd, F_SETFL, flags | O_NONBLOCK if on else flags & ~O_NONBLOCK)

    def settimeout(self, value: Any, /) -> None:
        # The timeout is stored before the fd is touched: on a closed socket the
        # call fails with EBADF but gettimeout() already gives the new value.
        self._timeout_ns = _parse_timeout(value)
        self._set_nonblock(self._timeout_ns is not None)

    def gettimeout(self) -> float | None:
        ns = self._timeout_ns
        return None if ns is None else ns / _NS_PER_SEC

    def setblocking(self, flag: Any, /) -> None:
        block = c_long(flag)
        self._timeout_ns = None if block else 0
        self._set_nonblock(not block)

    def getblocking(self) -> bool:
        return self._timeout_ns != 0

    # -- data -----------------------------------------------------------------

    def _call(self, writing: bool, op: Any, timeout_ns: int | None = None) -> Any:
        """sock_call_ex: with a timeout, poll for readiness first, and again after EAGAIN."""
        if timeout_ns is None:
            timeout_ns = self._timeout_ns
        if not timeout_ns:  # blocking (None) or non-blocking (0): just the call
            return op()
        sys = self._module._sys
        clock = sys.proc.clock
        deadline = clock.now_ns + timeout_ns
        events = POLLOUT if writing else POLLIN
        while True:
            remaining = deadline - clock.now_ns
            if remaining < 0 or not sys.poll([(self._fd, events)], ns_to_ms_checked(remaining, True))[0]:
                raise TimeoutError("timed out")
            try:
                return op()
            except BlockingIOError:
                continue

    def send(self, data: Any, flags: Any = 0, /) -> int:
        buf = as_bytes(data)
        flags = format_i(flags)
        return self._call(True, lambda: self._module._sys.sendto(self._fd, buf, flags))

    def sendall(self, data: Any, flags: Any = 0, /) -> None:
        """sock_sendall: with a timeout, one deadline for the whole buffer."""
        buf = memoryview(as_bytes(data))
        flags = format_i(flags)
        sys = self._module._sys
        timeout = self._timeout_ns
        deadline = sys.proc.clock.now_ns + timeout if timeout else 0
        sent = 0
        while True:
            left = deadline - sys.proc.clock.now_ns if timeout else None
            if left is not None and left <= 0:
                raise TimeoutError("timed out")
            chunk = buf[sent:]
            sent += self._call(True, lambda chunk=chunk: sys.sendto(self._fd, chunk, flags), left)
            if sent >= len(buf):
                return

    def sendmsg(self, buffers: Any, ancdata: Any = (), flags: Any = 0, address: Any = None, /) -> int:
        """A stream socket sends the buffers as one message (one gathered write)."""
        data = b"".join(as_bytes(b) for b in buffers)
        if list(ancdata):
            raise Unsupported("sendmsg with ancillary data (SCM_RIGHTS) is not modelled")
        flags = format_i(flags)
        if address is not None:
            self._connected_with_address(address)
        return self._call(True, lambda: self._module._sys.sendto(self._fd, data, flags))

    def sendto(self, data: Any, flags_or_address: Any, address: Any = None, /) -> int:
        """sendto(data[, flags], address)."""
        as_bytes(data)
        if address is None:
            address = flags_or_address
        else:
            format_i(flags_or_address)
        self._connected_with_address(address)

    def _connected_with_address(self, address: Any) -> NoReturn:
        """getsockaddrarg for AF_UNIX (a path: str or bytes-like), then unix_stream_sendmsg's
        answer to a name on a connected socket: EISCONN."""
        if not isinstance(address, str):
            as_bytes(address)
        self._module._sys.fget(self._fd)
        raise oserror(_EISCONN)

    def _recv_guts(self, bufsize: int, flags: int) -> bytes:
        return self._call(False, lambda: self._module._sys.recvfrom(self._fd, bufsize, flags))

    def recv(self, bufsize: Any, flags: Any = 0, /) -> bytes:
        bufsize = format_n(bufsize)
        flags = format_i(flags)
        if bufsize < 0:
            raise ValueError("negative buffersize in recv")
        if bufsize == 0:
            return b""  # sock_recv answers an empty read itself, even on a closed socket
        return self._recv_guts(bufsize, flags)

    def recv_into(self, buffer: Any, nbytes: Any = 0, flags: Any = 0) -> int:
        view = writable_buffer(buffer, "recv_into")
        nbytes = format_n(nbytes)
        flags = format_i(flags)
        nbytes = self._into_length(view, nbytes, "recv_into", "buffer too small for requested bytes")
        if nbytes == 0:
            return 0  # as recv: no system call
        data = self._recv_guts(nbytes, flags)
        view[: len(data)] = data
        return len(data)

    def recvfrom(self, bufsize: Any, flags: Any = 0, /) -> tuple[bytes, None]:
        """recvfrom: always the system call, even for 0 bytes (which waits for data)."""
        bufsize = format_n(bufsize)
        flags = format_i(flags)
        if bufsize < 0:
            raise ValueError("negative buffersize in recvfrom")
        # An unnamed peer: the kernel reports an empty address, and CPython None.
        return self._recv_guts(bufsize, flags), None

    def recvfrom_into(self, buffer: Any, nbytes: Any = 0, flags: Any = 0) -> tuple[int, None]:
        view = writable_buffer(buffer, "recvfrom_into")
        nbytes = format_n(nbytes)
        flags = format_i(flags)
        nbytes = self._into_length(view, nbytes, "recvfrom_into", "nbytes is greater than the length of the buffer")
        data = self._recv_guts(nbytes, flags)
        view[: len(data)] = data
        return len(data), None

    @staticmethod
    def _into_length(view: memoryview, nbytes: int, method: str, too_small: str) -> int:
        if nbytes < 0:
            raise ValueError(f"negative buffersize in {method}")
        if nbytes == 0:
            nbytes = len(view)
        if len(view) < nbytes:
            raise ValueError(too_small)
        return nbytes

    def shutdown(self, how: Any, /) -> None:
        self._module._sys.shutdown(self._fd, c_int(how))

    def getsockname(self) -> str:
        self._module._sys.getsockname(self._fd)
        return ""  # makesockaddr: an unnamed AF_UNIX socket

    def getpeername(self) -> str:
        self._module._sys.getpeername(self._fd)
        return ""

    def getsockopt(self, level: Any, optname: Any, buflen: Any = None, /) -> int | bytes:
        level, optname = format_i(level), format_i(optname)
        buflen = 0 if buflen is None else format_i(buflen)  # 0: "return an int"
        if buflen < 0 or buflen > 1024:
            raise OSError("getsockopt buflen out of range")
        value = self._module._sys.getsockopt(self._fd, level, optname)
        if buflen == 0:
            return value
        # sk_getsockopt copies at most sizeof(int) bytes.
        return value.to_bytes(4, "little", signed=True)[:buflen]

    def setsockopt(self, level: Any, optname: Any, value: Any, optlen: Any = None, /) -> None:
        level, optname = format_i(level), format_i(optname)
        if optlen is not None:
            raise Unsupported("setsockopt with an option length is not modelled")
        if isinstance(value, int):
            val = format_i(value)
        else:
            raw = as_bytes(value)
            if len(raw) < 4:
                self._module._sys.fget(self._fd)
                raise oserror(_EINVAL)  # sk_setsockopt: optlen < sizeof(int)
            val = int.from_bytes(raw[:4], "little", signed=True)
        self._module._sys.setsockopt(self._fd, level, optname, val)

    # -- what the model cannot do yet ------------------------------------------

    def _unsupported(self, name: str) -> NoReturn:
        raise Unsupported(f"socket.{name}() is not modelled: the model's sockets are socketpair ends")

    def bind(self, *args: Any) -> None:
        self._unsupported("bind")

    def listen(self, *args: Any) -> None:
        self._unsupported("listen")

    def connect(self, *args: Any) -> None:
        self._unsupported("connect")

    def connect_ex(self, *args: Any) -> int:
        self._unsupported("connect_ex")

    def accept(self) -> Any:
        self._unsupported("accept")

    def recvmsg(self, *args: Any) -> Any:
        self._unsupported("recvmsg")

    def recvmsg_into(self, *args: Any) -> Any:
        self._unsupported("recvmsg_into")

    def makefile(self, *args: Any, **kwargs: Any) -> Any:
        self._unsupported("makefile")

    def sendfile(self, *args: Any, **kwargs: Any) -> Any:
        self._unsupported("sendfile")


def _intenum(value: int, enum_klass: Any) -> Any:
    try:
        return enum_klass(value)
    except ValueError:
        return value
