"""Calls on any fd: read, write, close, dup*, fcntl, ioctl, fstat; and creating pipes and eventfds."""
from __future__ import annotations

import os as _os
from collections.abc import Callable
from errno import EBADF, EINVAL, ESPIPE

from ..abi.eventfd import EFD_CLOEXEC, EFD_FLAGS_SET
from ..abi.fcntl import (
    F_DUPFD,
    F_DUPFD_CLOEXEC,
    F_DUPFD_QUERY,
    F_GETFD,
    F_GETFL,
    F_GETPIPE_SZ,
    F_SETFD,
    F_SETFL,
    F_SETPIPE_SZ,
    FD_CLOEXEC,
    O_ASYNC,
    O_CLOEXEC,
    O_DIRECT,
    O_LARGEFILE_KERNEL,
    O_NONBLOCK,
    O_NOTIFICATION_PIPE,
    OPEN_ONLY_FLAGS,
    SETFL_MASK,
    UNMODELLED_COMMANDS,
)
from ..abi.limits import PAGE_SIZE
from ..errors import Unsupported, oserror
from ..files.blocking import WouldBlock
from ..files.eventfd import EventFd
from ..files.null import NullDevice
from ..files.pipe import PipeEnd, make_pipe
from ..vfs.file import FMODE_READ, FMODE_WRITE, OpenFile
from .base import SyscallBase

_PIPE2_FLAGS = O_CLOEXEC | O_NONBLOCK | O_DIRECT | O_NOTIFICATION_PIPE
_SEEK_MAX = 4  # SEEK_HOLE (include/uapi/linux/fs.h)
_UINT_MAX = 0xFFFFFFFF


class FdCalls(SyscallBase):
    __slots__ = ()

    def read(self, fd: int, count: int) -> bytes:
        file = self.files.get(fd)
        if file is None or not file.fmode & FMODE_READ:
            raise oserror(EBADF)
        read = file.read
        if read is None:
            raise oserror(EINVAL)
        data: bytes | WouldBlock
        try:
            data = read(count)
        except WouldBlock as blocked:
            data = blocked
        return self._read_done(fd, file, read, count, data)

    def _read_done(
        self, fd: int, file: OpenFile, read: Callable[[int], bytes], count: int, data: bytes | WouldBlock
    ) -> bytes:
        """The rest of read after the kind's first attempt: sleep and retry if it would block
        (raised or returned: files/blocking.py), and the race detector's acquire. Shared with
        the stand-ins' fast path (compat/fastpath.py)."""
        if isinstance(data, WouldBlock):
            data = self._read_wait(fd, file, read, count, data)
        if self.hb.on:  # the reader receives what the writers sent
            self.hb.acquire(file.sync_rx())
        return data

    def _read_wait(
        self, fd: int, file: OpenFile, read: Callable[[int], bytes], count: int, blocked: WouldBlock
    ) -> bytes:
        """``retry`` for read, written out: the kind's read may return its WouldBlock."""
        sched = self.proc.sched
        file.get()  # fdget: another thread's close() does not release it under the sleeper
        try:
            while True:
                # What it waits for, as parts ("read(fd): why", formatted only if asked: sched/thread.py).
                sched.block_on(blocked.queue, blocked.how, blocked.key, None, ("read", fd, blocked.what))
                data: bytes | WouldBlock
                try:
                    data = read(count)
                except WouldBlock as wb:
                    data = wb
                if not isinstance(data, WouldBlock):
                    return data
                blocked = data
        finally:
            file.put()

    def write(self, fd: int, data: bytes) -> int:
        file = self.files.get(fd)
        if file is None or not file.fmode & FMODE_WRITE:
            raise oserror(EBADF)
        write = file.write
        if write is None:
            raise oserror(EINVAL)
        if self.hb.on:  # before any byte is visible, so a reader of the first byte is ordered
            self.hb.release(file.sync_tx())
        try:
            done = write(data)
        except (WouldBlock, BrokenPipeError) as exc:
            done = self._write_failed(fd, file, write, data, exc)
        if done < len(data) and not file.flags & O_NONBLOCK:
            return self.finish_write(f"write({fd})", write, data, done, file)
        return done

    def _write_failed(
        self, fd: int, file: OpenFile, write: Callable[[bytes], int], data: bytes, exc: Exception
    ) -> int:
        """The kind's first attempt at a write raised ``exc``: sleep and retry (WouldBlock), or
        SIGPIPE and fail (EPIPE). Shared with the stand-ins' fast path (compat/fastpath.py)."""
        if isinstance(exc, WouldBlock):
            return self.retry(f"write({fd})", lambda: write(data), exc, file)
        self._sigpipe()
        raise exc

    def close(self, fd: int) -> None:
        if self.hb.on:  # the peer's reader sees it as EOF (or HUP, EPIPE): a message too
            file = self.files.get(fd)
            if file is not None:
                self.hb.release(file.sync_tx())
        self.proc.fdtable.close(fd)

    def dup(self, fd: int) -> int:
        return self.proc.fdtable.install(self.fget(fd), cloexec=False)

    def dup2(self, oldfd: int, newfd: int) -> int:
        """fs/file.c dup2: onto itself it only checks that ``oldfd`` is open (flags unchanged)."""
        file = self.fget(oldfd)
        if oldfd == newfd:
            return newfd
        self.proc.fdtable.replace(newfd, file, cloexec=False)
        return newfd

    def dup3(self, oldfd: int, newfd: int, flags: int) -> int:
        """fs/file.c ksys_dup3: flags, then oldfd == newfd (EINVAL), then the numbers (EBADF)."""
        if flags & ~O_CLOEXEC:
            raise oserror(EINVAL)
        if oldfd == newfd:
            raise oserror(EINVAL)
        file = self.fget(oldfd)
        self.proc.fdtable.replace(newfd, file, cloexec=bool(flags & O_CLOEXEC))
        return newfd

    def fcntl(self, fd: int, cmd: int, arg: int = 0) -> int:
        """fs/fcntl.c do_fcntl, for the commands the model knows.

        A command Linux has but the model does not (locks, leases, owners,
        seals, ...) is ``Unsupported``; a number that is no command at all
        is EINVAL, as do_fcntl's default case answers.
        """
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
            return self._setfl(file, arg & _UINT_MAX)
        if cmd in (F_DUPFD, F_DUPFD_CLOEXEC):
            if arg < 0 or arg >= table.nofile:
                raise oserror(EINVAL)
            return table.install(file, cloexec=cmd == F_DUPFD_CLOEXEC, minfd=arg)
        if cmd == F_DUPFD_QUERY:
            # Linux >= 6.10: is ``arg`` a descriptor of the same open file description?
            other = self.files.get(arg)
            if other is None:
                raise oserror(EBADF)
            return int(other is file)
        if cmd in (F_GETPIPE_SZ, F_SETPIPE_SZ):
            if not isinstance(file, PipeEnd):
                raise oserror(EBADF)
            if cmd == F_GETPIPE_SZ:
                return file.pipe.max_usage * PAGE_SIZE
            return file.pipe.set_size(arg & _UINT_MAX, self.proc.privileged)
        if cmd in UNMODELLED_COMMANDS:
            raise Unsupported(f"fcntl command {UNMODELLED_COMMANDS[cmd]} is not modelled")
        raise oserror(EINVAL)

    def ioctl(self, fd: int, request: int) -> int:
        """fs/ioctl.c ioctl, for the requests that answer an int through the argument
        pointer (``abi/ioctl.py``: FIONREAD, TIOCOUTQ): returns that int.

        The fd is looked up first (EBADF); then the open file answers (its
        unlocked_ioctl, ``OpenFile.ioctl``). do_vfs_ioctl's own requests
        (FIONBIO, FIOCLEX, ...) and every other request are ``Unsupported``:
        the model never guesses what a file it does not know would say.
        """
        file = self.fget(fd)
        return file.ioctl(request & _UINT_MAX)

    @staticmethod
    def _setfl(file: OpenFile, arg: int) -> int:
        """fs/fcntl.c setfl: only the SETFL_MASK bits change; the rest of ``arg`` is ignored."""
        if (arg ^ file.flags) & O_ASYNC:
            raise Unsupported("fcntl(F_SETFL) changing O_ASYNC (SIGIO) is not modelled")
        if arg & O_DIRECT:
            if isinstance(file, PipeEnd):
                raise Unsupported("packet-mode pipes (O_DIRECT) are not modelled")
            raise oserror(EINVAL)  # no kind in the model has FMODE_CAN_ODIRECT
        file.flags = (arg & SETFL_MASK) | (file.flags & ~SETFL_MASK)
        return 0

    def fstat(self, fd: int) -> _os.stat_result:
        file = self.fget(fd)
        now = self.proc.clock.now_ns
        seconds = now // 1_000_000_000
        # The kind's shared inode (anon_inodefs', /dev/null's), else the pipe's (both ends) or the socket's.
        ino = file.shared_ino or (file.pipe.ino if isinstance(file, PipeEnd) else file.fid)
        return _os.stat_result(
            (file.st_mode, ino, file.st_dev, 1, 0, 0, 0, seconds, seconds, seconds),
            {"st_blksize": PAGE_SIZE, "st_blocks": 0, "st_rdev": file.st_rdev,
             "st_atime_ns": now, "st_mtime_ns": now, "st_ctime_ns": now},
        )

    def lseek(self, fd: int, offset: int, whence: int) -> int:
        """fs/read_write.c ksys_lseek: EBADF, then a whence past SEEK_MAX (EINVAL), then the kind.

        No kind in the model has a file position: pipes and sockets have no
        FMODE_LSEEK (ESPIPE); the rest use noop_llseek or null_lseek, which
        answer 0 whatever is asked.
        """
        file = self.fget(fd)
        if not 0 <= whence <= _SEEK_MAX:
            raise oserror(EINVAL)
        if not file.noop_llseek:
            raise oserror(ESPIPE)
        return 0

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
        """open("/dev/null", flags): the one path the model can open.

        f_flags keeps what open(2) keeps: not O_CLOEXEC (a descriptor flag),
        not the creation flags (do_dentry_open clears O_CREAT|O_EXCL|O_NOCTTY|
        O_TRUNC), and O_LARGEFILE is forced on 64-bit (force_o_largefile).
        """
        f_flags = (flags & ~(O_CLOEXEC | OPEN_ONLY_FLAGS)) | O_LARGEFILE_KERNEL
        file = NullDevice(next(self.proc.fids), f_flags)
        return self.proc.fdtable.install(file, cloexec=bool(flags & O_CLOEXEC))

