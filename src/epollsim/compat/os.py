"""A stand-in for ``os``: the fd calls of the model, with CPython's conversions and errors."""
from __future__ import annotations

import os as _real_os
import sys
from errno import EINVAL, ENOENT
from typing import Any, ClassVar

from ..abi import eventfd as _abi_eventfd
from ..abi import fcntl as _abi_fcntl
from ..abi.eventfd import EFD_CLOEXEC
from ..abi.fcntl import F_DUPFD_CLOEXEC, F_GETFD, F_GETFL, F_SETFD, F_SETFL, FD_CLOEXEC, O_CLOEXEC, O_NONBLOCK
from ..errors import Unsupported, oserror
from ..syscalls import Syscalls
from ._convert import (
    INT_MAX,
    INT_MIN,
    as_bytes,
    c_int,
    c_long,
    fildes,
    ssize_t,
    unsigned_int,
    unsigned_long_long,
)
from ._module import StandIn, copy_constants
from .fastpath import READ_MAX, FastOs
from .os_signals import OsSignalFunctions
from .os_timerfd import TimerfdFunctions


class OsModule(FastOs, TimerfdFunctions, OsSignalFunctions, StandIn):
    """``k.os``. CPython's fds are non-inheritable by default (PEP 446), and so are these."""

    _mirrors = _real_os
    # The constants set on this class after it is made (copy_constants below: abi/fcntl.py and abi/eventfd.py), where the
    # running CPython's module has them, declared for type checkers (tests/unit/test_typing.py
    # checks that the two lists agree).
    EFD_CLOEXEC: ClassVar[int]
    EFD_NONBLOCK: ClassVar[int]
    EFD_SEMAPHORE: ClassVar[int]
    O_ACCMODE: ClassVar[int]
    O_APPEND: ClassVar[int]
    O_ASYNC: ClassVar[int]
    O_CLOEXEC: ClassVar[int]
    O_CREAT: ClassVar[int]
    O_DIRECT: ClassVar[int]
    O_DIRECTORY: ClassVar[int]
    O_DSYNC: ClassVar[int]
    O_EXCL: ClassVar[int]
    O_NOATIME: ClassVar[int]
    O_NOCTTY: ClassVar[int]
    O_NOFOLLOW: ClassVar[int]
    O_NONBLOCK: ClassVar[int]
    O_PATH: ClassVar[int]
    O_RDONLY: ClassVar[int]
    O_RDWR: ClassVar[int]
    O_TRUNC: ClassVar[int]
    O_WRONLY: ClassVar[int]
    _sys: Syscalls

    def __init__(self, sys: Syscalls) -> None:
        self._sys = sys

    error = OSError
    strerror = staticmethod(_real_os.strerror)  # a message table, not a system call
    name = "posix"  # the simulated machine is Linux (asyncio's create_server reads os.name)
    fspath = staticmethod(_real_os.fspath)  # pure: str/bytes/PathLike to str/bytes

    # read and write: the flat fast path (compat/fastpath.py) first; these are its general
    # path. Exact ints and bytes skip the general conversions here too.

    def _read(self, fd: Any, length: Any, /) -> bytes:
        if fd.__class__ is not int or not INT_MIN <= fd <= INT_MAX:
            fd = c_int(fd)
        if length.__class__ is not int or not 0 <= length <= READ_MAX:
            length = ssize_t(length)
            if length < 0:
                raise oserror(EINVAL)  # os_read_impl sets errno itself: no system call
            length = min(length, READ_MAX)
        return self._sys.read(fd, length)

    def _write(self, fd: Any, data: Any, /) -> int:
        if fd.__class__ is not int or not INT_MIN <= fd <= INT_MAX:
            fd = c_int(fd)
        if data.__class__ is not bytes:
            data = as_bytes(data)
        return self._sys.write(fd, data)

    def close(self, fd: int) -> None:
        self._sys.close(c_int(fd))

    def closerange(self, fd_low: int, fd_high: int, /) -> None:
        for fd in range(c_int(fd_low), c_int(fd_high)):
            try:
                self._sys.close(fd)
            except OSError:
                pass

    def pipe(self) -> tuple[int, int]:
        return self._sys.pipe2(O_CLOEXEC)

    def pipe2(self, flags: int, /) -> tuple[int, int]:
        return self._sys.pipe2(c_int(flags))

    def dup(self, fd: int, /) -> int:
        return self._sys.fcntl(c_int(fd), F_DUPFD_CLOEXEC, 0)

    def dup2(self, fd: int, fd2: int, inheritable: bool = True) -> int:
        fd, fd2 = c_int(fd), c_int(fd2)
        if inheritable:
            return self._sys.dup2(fd, fd2)
        return self._sys.dup3(fd, fd2, O_CLOEXEC)

    def eventfd(self, initval: int, flags: int = EFD_CLOEXEC) -> int:
        return self._sys.eventfd2(unsigned_int(initval), c_int(flags))

    def eventfd_read(self, fd: Any) -> int:
        # The fd goes through the fildes converter (an int or an object with
        # fileno()), unlike os.read's plain int; glibc's eventfd_read is read(fd, 8) != 8 ? -1 : 0,
        # so a short read (a pipe holding fewer than 8 bytes, end of file) is -1 with whatever errno
        # an earlier call left: the model says 0, "[Errno 0] Error" (docs/differences.md).
        data = self._sys.read(fildes(fd), 8)
        if len(data) != 8:
            raise OSError(0, "Error")
        return int.from_bytes(data, "little")

    def eventfd_write(self, fd: Any, value: int) -> None:
        fd = fildes(fd)
        self._sys.write(fd, unsigned_long_long(value).to_bytes(8, "little"))

    def get_blocking(self, fd: int, /) -> bool:
        return not self._sys.fcntl(c_int(fd), F_GETFL) & O_NONBLOCK

    def set_blocking(self, fd: int, blocking: bool, /) -> None:
        fd = c_int(fd)
        if sys.version_info < (3, 12):  # bool(accept={int}): the int converter; 3.12 takes any truth value
            blocking = bool(c_int(blocking))
        flags = self._sys.fcntl(fd, F_GETFL)
        new = flags & ~O_NONBLOCK if blocking else flags | O_NONBLOCK
        if new != flags:
            self._sys.fcntl(fd, F_SETFL, new)

    # Vectored and positional I/O (Modules/posixmodule.c os_readv_impl, iov_setup, os_pread_impl, ...).
    def readv(self, fd: Any, buffers: Any, /) -> int:
        fd = c_int(fd)
        views = _iov_setup(buffers, "readv", writable=True)
        data = self._sys.readv(fd, [len(v) for v in views])
        _scatter(views, data)
        return len(data)

    def writev(self, fd: Any, buffers: Any, /) -> int:
        fd = c_int(fd)
        views = _iov_setup(buffers, "writev", writable=False)
        return self._sys.writev(fd, b"".join(views), len(views))

    def pread(self, fd: Any, length: Any, offset: Any, /) -> bytes:
        fd = c_int(fd)
        length = ssize_t(length)
        offset = c_long(offset)
        if length < 0:
            raise oserror(EINVAL)  # os_pread_impl sets errno itself: no system call
        return self._sys.pread(fd, length, offset)

    def pwrite(self, fd: Any, data: Any, offset: Any, /) -> int:
        fd = c_int(fd)
        data = as_bytes(data)
        offset = c_long(offset)
        return self._sys.pwrite(fd, data, offset)

    def preadv(self, fd: Any, buffers: Any, offset: Any, flags: Any = 0, /) -> int:
        """os_preadv_impl: the arguments, the sequence ("preadv2()" in its message), writable buffers."""
        fd, offset, flags = c_int(fd), c_long(offset), c_int(flags)
        views = _iov_setup(buffers, "preadv2", writable=True)
        data = self._sys.preadv(fd, [len(v) for v in views], offset, flags)
        _scatter(views, data)
        return len(data)

    def pwritev(self, fd: Any, buffers: Any, offset: Any, flags: Any = 0, /) -> int:
        fd, offset, flags = c_int(fd), c_long(offset), c_int(flags)
        views = _iov_setup(buffers, "pwritev", writable=False)
        return self._sys.pwritev(fd, b"".join(views), len(views), offset, flags)

    def sendfile(self, out_fd: Any, in_fd: Any, offset: Any, count: Any) -> int:
        """os_sendfile_impl (Linux): ``offset`` None is the input's position (syscalls/sendfile.py)."""
        out_fd, in_fd = c_int(out_fd), c_int(in_fd)
        offset = None if offset is None else c_long(offset)
        count = ssize_t(count)
        return self._sys.sendfile(out_fd, in_fd, offset, count)

    # The process's credentials (process.py): what SO_PEERCRED and SCM_CREDENTIALS carry.
    def getpid(self) -> int:
        return self._sys.proc.pid

    def getuid(self) -> int:
        return self._sys.proc.uid

    def geteuid(self) -> int:
        return self._sys.proc.uid

    def getgid(self) -> int:
        return self._sys.proc.gid

    def getegid(self) -> int:
        return self._sys.proc.gid

    def get_inheritable(self, fd: int, /) -> bool:
        return not self._sys.fcntl(c_int(fd), F_GETFD) & FD_CLOEXEC

    def set_inheritable(self, fd: int, inheritable: int, /) -> None:
        fd, inheritable = c_int(fd), c_int(inheritable)  # both clinic ints
        self._sys.fcntl(fd, F_SETFD, 0 if inheritable else FD_CLOEXEC)

    def fstat(self, fd: int) -> _real_os.stat_result:
        return self._sys.fstat(c_int(fd))

    def lseek(self, fd: int, position: int, whence: int, /) -> int:
        """os.lseek: ``position`` an off_t (a C long on Linux), ``whence`` a C int."""
        fd, position, whence = c_int(fd), c_long(position), c_int(whence)
        return self._sys.lseek(fd, position, whence & 0xFFFFFFFF)

    def isatty(self, fd: int, /) -> bool:
        """isatty(3) is ioctl(TCGETS): no file of the model is a terminal, and a closed fd is False."""
        c_int(fd)
        return False

    def open(self, path: Any, flags: int, mode: int = 0o777, *, dir_fd: int | None = None) -> int:
        """Only /dev/null exists in the model's filesystem."""
        name = _real_os.fspath(path)
        if name not in ("/dev/null", b"/dev/null") or dir_fd is not None:
            if isinstance(name, (str, bytes)) and name:
                raise Unsupported(f"os.open({name!r}): the model has no filesystem beyond /dev/null")
            raise oserror(ENOENT)
        return self._sys.open_devnull(c_int(flags) | O_CLOEXEC)


copy_constants(OsModule, _abi_fcntl, _abi_eventfd, prefixes=("O_", "EFD_"))


def _scatter(views: list[memoryview], data: bytes) -> None:
    pos = 0
    for v in views:
        n = min(len(v), len(data) - pos)
        v[:n] = data[pos : pos + n]
        pos += n


def _iov_setup(buffers: Any, name: str, writable: bool) -> list[memoryview]:
    """iov_setup: a sequence (PySequence_Check) of buffers, each writable for readv."""
    if isinstance(buffers, dict) or not hasattr(type(buffers), "__getitem__") or not hasattr(type(buffers), "__len__"):
        raise TypeError(f"{name}() arg 2 must be a sequence")
    views = []
    for item in buffers:
        if isinstance(item, str):
            raise TypeError(f"a bytes-like object is required, not '{type(item).__name__}'")
        try:
            view = memoryview(item)
        except TypeError:
            raise TypeError(f"a bytes-like object is required, not '{type(item).__name__}'") from None
        if writable and view.readonly:
            raise BufferError("Object is not writable.")
        views.append(view.cast("B") if view.c_contiguous else memoryview(view.tobytes()))
    return views
