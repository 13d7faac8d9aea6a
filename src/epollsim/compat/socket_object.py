"""The socket object of the ``socket`` stand-in (Modules/socketmodule.c and Lib/socket.py):
making one, its identity, lifetime, blocking mode, shutdown and options.

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
import sys
import warnings
from errno import ENOTSOCK
from typing import TYPE_CHECKING, Any, ClassVar

from ..abi.fcntl import F_DUPFD_CLOEXEC, F_GETFD, F_GETFL, F_SETFD, F_SETFL, FD_CLOEXEC, O_NONBLOCK
from ..abi.socket import (
    AF_INET,
    SO_PROTOCOL,
    SO_TYPE,
    SOCK_CLOEXEC,
    SOCK_NONBLOCK,
    SOCK_STREAM,
    SOL_SOCKET,
)
from ..errors import oserror
from ._convert import (
    as_bytes,
    c_int,
    c_long,
    format_i,
    time_to_ns,
    tp_name,
    unsigned_mask,
)
from .socket_data import SocketDataMixin
from .socket_msg import SocketMsgMixin
from .socket_net import SocketNetMixin

if TYPE_CHECKING:
    from enum import IntEnum

    from .socket import SocketModule

_AddressFamily = _real_socket.AddressFamily  # pure-Python enums, shared so values compare and print alike
_SocketKind = _real_socket.SocketKind

_NS_PER_SEC = 1_000_000_000
# sock_initobj's family, type and proto: Argument Clinic's int converter from 3.11 on, "i" before.
_init_int = c_int if sys.version_info >= (3, 11) else format_i


def _parse_timeout(value: Any) -> int | None:
    """socket_parse_timeout: the timeout in ns, None for blocking."""
    if value is None:
        return None
    try:
        ns = time_to_ns(value, _NS_PER_SEC)
    except TypeError:
        # _PyTime_FromSecondsObject: anything but a float goes through PyLong_AsLongLong.
        raise TypeError(f"'{tp_name(value)}' object cannot be interpreted as an integer") from None
    if ns < 0:
        raise ValueError("Timeout value out of range")
    return ns



class socket(SocketDataMixin, SocketMsgMixin, SocketNetMixin):
    """socket.socket for the model's sockets; subclassed once per kernel to bind ``_module``.

    The data calls (send, recv and their kin) are in ``socket_data.py``, the network
    methods (bind, listen, accept, connect, names, recvmsg, makefile) in ``socket_net.py``.
    """

    __slots__ = ("__weakref__", "_closed", "_family", "_fd", "_io_refs", "_proto", "_timeout_ns", "_type")
    _module: ClassVar[SocketModule]

    def __new__(cls, *args: Any, **kwargs: Any) -> socket:
        """sock_new: no fd (-1), family, type and proto 0, no timeout; sock_initobj (__init__)
        does the rest, so an object made with __new__ alone reprs and fails as CPython's."""
        self = super().__new__(cls)
        self._fd = -1
        self._family = self._type = self._proto = 0
        self._timeout_ns = None
        return self  # _closed and _io_refs stay unset, as Lib/socket.py's slots are until __init__

    def __init__(self, family: Any = -1, type: Any = -1, proto: Any = -1, fileno: Any = None) -> None:
        """sock_initobj: a new socket (always SOCK_CLOEXEC), or one for an existing fd."""
        sys = self._module._sys
        self._fd = -1
        self._closed = False
        self._io_refs = 0
        family, type, proto = _init_int(family), _init_int(type), _init_int(proto)
        if fileno is None:
            if family == -1:
                family = AF_INET
            if type == -1:
                type = SOCK_STREAM
            if proto == -1:
                proto = 0
            fd = sys.socket(family, type | SOCK_CLOEXEC, proto)
            self._init(fd, family, type, proto)
            return
        # PyLong_AsSocket_t: a C long cast to the C int SOCKET_T (2**31 wraps negative, 2**32 + 5 is 5).
        fd = (c_long(fileno) + 0x80000000) % 0x100000000 - 0x80000000
        if fd < 0:
            raise ValueError("negative file descriptor")
        # "validate that passed file descriptor is valid and a socket" (getsockname).
        if fd not in sys.files and sys.host_file(fd) is not None:
            raise oserror(ENOTSOCK)  # a real regular file, under a patch (real sockets: Unsupported)
        addr_family, _ = sys.getsockname(fd)
        if family == -1:
            family = addr_family
        if type == -1:
            type = sys.getsockopt(fd, SOL_SOCKET, SO_TYPE)
        if proto == -1:
            proto = sys.getsockopt(fd, SOL_SOCKET, SO_PROTOCOL)
        self._init(fd, family, type, proto)

    @classmethod
    def _from_fd(cls, fd: int, family: int, type: int, proto: int, module: Any = None) -> socket:
        """A socket object for a new fd (new_sockobject), without sock_initobj's checks; ``module``:
        the host's stand-in, where the class is several hosts' (patch_hosts.py)."""
        sock = cls.__new__(cls, _module=module)
        sock._closed = False
        sock._io_refs = 0
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
    def family(self) -> int:  # an AddressFamily member, or a plain int for a family without one
        return _intenum(self._family, _AddressFamily)

    @property
    def type(self) -> int:  # a SocketKind member, or a plain int
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
        # family and type are the enums, shown by str() (Lib/socket.py's %s): the number from
        # 3.11, the member's name ("AddressFamily.AF_UNIX") on 3.10, whose IntEnum.__str__ was Enum's
        closed = " [closed]" if getattr(self, "_closed", False) else ""
        text = (
            f"<{type(self).__module__}.{type(self).__qualname__}{closed} fd={self._fd}, family={self.family!s}, "
            f"type={self.type!s}, proto={self._proto}"
        )
        if not closed:
            for label, get in (("laddr", self.getsockname), ("raddr", self.getpeername)):
                try:
                    addr = get()
                except OSError:
                    continue
                if addr:
                    text += f", {label}={addr}"
        return text + ">"

    def _c_repr(self) -> str:
        """sock_repr (Modules/socketmodule.c): ``_socket.socket``'s own repr, numbers only."""
        return f"<socket object, fd={self._fd}, family={self._family}, type={self._type}, proto={self._proto}>"

    def __getstate__(self) -> Any:
        raise TypeError(f"cannot pickle {type(self).__name__!r} object")

    def __enter__(self) -> socket:
        return self

    def __exit__(self, *args: object) -> None:
        if not self._closed:
            self.close()

    # -- lifetime -------------------------------------------------------------

    def close(self) -> None:
        """Lib/socket.py close: the fd stays open while makefile() objects use it."""
        self._closed = True
        if self._io_refs <= 0:
            self._real_close()

    def _decref_socketios(self) -> None:
        if self._io_refs > 0:
            self._io_refs -= 1
        if self._closed:
            self.close()

    def _real_close(self) -> None:
        """sock_close: forget the fd first, so a failing close still leaves the object closed."""
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
        cls = type(self)
        sock = cls.__new__(cls, _module=self._module)  # on this socket's host (patch_hosts.py)
        sock.__init__(self._family, self._type, self._proto, fileno=fd)  # type: ignore[misc]
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
        # 3.12 takes the flag's truth (PyObject_IsTrue); before, a C long.
        block = bool(flag) if sys.version_info >= (3, 12) else c_long(flag)
        self._timeout_ns = None if block else 0
        self._set_nonblock(not block)

    def getblocking(self) -> bool:
        return self._timeout_ns != 0

    # -- shutdown and options ------------------------------------------------

    def shutdown(self, how: Any, /) -> None:
        self._module._sys.shutdown(self._fd, c_int(how))

    def getsockopt(self, level: Any, optname: Any, buflen: Any = None, /) -> int | bytes:
        """sock_getsockopt: without ``buflen`` a C int read into a zeroed int (4 bytes), else
        the bytes the kernel wrote into a ``buflen`` buffer."""
        level, optname = format_i(level), format_i(optname)
        buflen = 0 if buflen is None else format_i(buflen)  # 0: "return an int"
        if buflen < 0 or buflen > 1024:
            raise OSError("getsockopt buflen out of range")
        if buflen == 0:
            raw = self._module._sys.getsockopt(self._fd, level, optname, 4)
            return int.from_bytes(bytes(raw).ljust(4, b"\0"), "little", signed=True)
        return bytes(self._module._sys.getsockopt(self._fd, level, optname, buflen))

    def setsockopt(self, level: Any, optname: Any, value: Any, optlen: Any = None, /) -> None:
        """sock_setsockopt tries three argument formats in turn: "iii" (a C int), "iiO!I" (None and
        an option length: a NULL pointer) and "iiy*" (a buffer); the last one's error is the one raised."""
        val: int | bytes | None
        if optlen is None:
            try:
                level, optname, val = format_i(level), format_i(optname), format_i(value)
            except (TypeError, OverflowError):
                level, optname = format_i(level), format_i(optname)
                val = as_bytes(value)  # the system call checks the length for the option
            self._module._sys.setsockopt(self._fd, level, optname, val)
            return
        try:
            if value is not None:
                raise TypeError
            level, optname, size = format_i(level), format_i(optname), unsigned_mask(optlen, 32)
        except (TypeError, OverflowError):
            raise TypeError("setsockopt() takes exactly 3 arguments (4 given)") from None
        self._module._sys.setsockopt_null(self._fd, level, optname, size)

    # -- what the model cannot do yet ------------------------------------------

    # Lib/socket.py's own code, which only calls this object's methods and the file's.
    _check_sendfile_params = _real_socket.socket._check_sendfile_params  # type: ignore[attr-defined]  # private

    def sendfile(self, file: Any, offset: int = 0, count: int | None = None) -> int:
        """socket.sendfile: its send() fallback (_sendfile_use_send), as where os.sendfile is missing:
        the file (a host file) is read and sent through the model's send."""
        return _real_socket.socket._sendfile_use_send(self, file, offset, count)  # type: ignore[attr-defined,no-any-return]


def _intenum(value: int, enum_klass: type[IntEnum]) -> int:
    try:
        return enum_klass(value)
    except ValueError:
        return value
