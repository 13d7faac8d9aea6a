"""Calls on any fd: read, write, close, dup*, fcntl, fstat; and creating pipes and eventfds."""
from __future__ import annotations

import os as _os
from errno import EBADF, EINVAL

from ..abi.eventfd import EFD_CLOEXEC, EFD_FLAGS_SET
from ..abi.fcntl import (
    F_DUPFD,
    F_DUPFD_CLOEXEC,
    F_GETFD,
    F_GETFL,
    F_GETPIPE_SZ,
    F_SETFD,
    F_SETFL,
    F_SETPIPE_SZ,
    FD_CLOEXEC,
    O_APPEND,
    O_CLOEXEC,
    O_DIRECT,
    O_NONBLOCK,
    O_NOTIFICATION_PIPE,
    SETFL_MASK,
)
from ..abi.limits import PAGE_SIZE
from ..errors import Unsupported, oserror
from ..files.eventfd import EventFd
from ..files.pipe import PipeEnd, make_pipe
from ..files.null import NullDevice
from ..vfs.file import FMODE_READ, FMODE_WRITE, OpenFile
from .base import SyscallBase

_PIPE2_FLAGS = O_CLOEXEC | O_NONBLOCK | O_DIRECT | O_NOTIFICATION_PIPE
_UINT_MAX = 0xFFFFFFFF


class FdCalls(SyscallBase):
    __slots__ = ()

    def read(self, fd: int, count: int) -> bytes:
        file = self.fget(fd)
        if not file.fmode & FMODE_READ:
            raise oserror(EBADF)
        read = file.read
        if read is None:
            raise oserror(EINVAL)
        return self.retry(f"read({fd})", lambda: read(count))

    def write(self, fd: int, data: bytes) -> int:
        file = self.fget(fd)
        if not file.fmode & FMODE_WRITE:
            raise oserror(EBADF)
        write = file.write
        if write is None:
            raise oserror(EINVAL)
        return self.retry(f"write({fd})", lambda: write(data))

    def close(self, fd: int) -> None:
        self.proc.fdtable.close(fd)

    def dup(self, fd: int) -> int:
        return self.proc.fdtable.install(self.fget(fd), cloexec=False)

    def dup2(self, oldfd: int, newfd: int) -> int:
        file = self.fget(oldfd)
        if oldfd == newfd:
            return newfd
        self.proc.fdtable.replace(newfd, file, cloexec=False)
        return newfd

    def dup3(self, oldfd: int, newfd: int, flags: int) -> int:
        if flags & ~O_CLOEXEC:
            raise oserror(EINVAL)
        if oldfd == newfd:
            raise oserror(EINVAL)
        file = self.fget(oldfd)
        self.proc.fdtable.replace(newfd, file, cloexec=bool(flags & O_CLOEXEC))
        return newfd

    def fcntl(self, fd: int, cmd: int, arg: int = 0) -> int:
        """fs/fcntl.c do_fcntl, for the commands the model knows."""
        file = self.fget(fd)
        table = self.proc.fdtable
        if cmd == F_GETFD:
            return FD_CLOEXEC if fd in table.cloexec else 0
        if cmd == F_SETFD:
            if arg & FD_CLOEXEC:
                table.cloexec.add(fd)
            else:
                table.cloexec.discard(fd)
            return 0
        if cmd == F_GETFL:
            return file.flags
        if cmd == F_SETFL:
            if arg & SETFL_MASK & ~(O_NONBLOCK | O_APPEND):
                raise Unsupported(f"fcntl(F_SETFL) with flags {arg:#o} is not modelled")
            keep = file.flags & ~(O_NONBLOCK | O_APPEND)
            file.flags = keep | (arg & (O_NONBLOCK | O_APPEND))
            return 0
        if cmd in (F_DUPFD, F_DUPFD_CLOEXEC):
            if arg < 0 or arg >= table.nofile:
                raise oserror(EINVAL)
            return table.install(file, cloexec=cmd == F_DUPFD_CLOEXEC, minfd=arg)
        if cmd in (F_GETPIPE_SZ, F_SETPIPE_SZ):
            if not isinstance(file, PipeEnd):
                raise oserror(EBADF)
            if cmd == F_GETPIPE_SZ:
                return file.pipe.max_usage * PAGE_SIZE
            return file.pipe.set_size(arg & _UINT_MAX, self.proc.privileged)
        raise Unsupported(f"fcntl command {cmd} is not modelled")

    def fstat(self, fd: int) -> _os.stat_result:
        file = self.fget(fd)
        now = self.proc.clock.now_ns
        seconds = now // 1_000_000_000
        return _os.stat_result(
            (file.st_mode, file.fid, 0, 1, 0, 0, 0, seconds, seconds, seconds),
            {"st_blksize": PAGE_SIZE, "st_blocks": 0, "st_rdev": 0,
             "st_atime_ns": now, "st_mtime_ns": now, "st_ctime_ns": now},
        )

    # -- creating files -------------------------------------------------------

    def pipe2(self, flags: int = 0) -> tuple[int, int]:
        if flags & ~_PIPE2_FLAGS:
            raise oserror(EINVAL)
        if flags & (O_DIRECT | O_NOTIFICATION_PIPE):
            raise Unsupported("packet-mode and notification pipes are not modelled")
        r, w = make_pipe(self.proc.fids, bool(flags & O_NONBLOCK))
        return self._install_pair(r, w, bool(flags & O_CLOEXEC))

    def eventfd2(self, initval: int, flags: int) -> int:
        if flags & ~EFD_FLAGS_SET:
            raise oserror(EINVAL)
        file = EventFd(next(self.proc.fids), initval & _UINT_MAX, flags)
        return self.proc.fdtable.install(file, cloexec=bool(flags & EFD_CLOEXEC))

    def open_devnull(self, flags: int) -> int:
        """open("/dev/null", flags): the one path the model can open."""
        file = NullDevice(next(self.proc.fids), flags & ~O_CLOEXEC)
        return self.proc.fdtable.install(file, cloexec=bool(flags & O_CLOEXEC))

