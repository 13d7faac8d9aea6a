"""Vectored and positional I/O: readv, writev, pread64, pwrite64, lseek (fs/read_write.c).

Theory of operation
-------------------
readv and writev are one read or write of the iovecs' total (vfs_readv and
vfs_writev hand the whole iov_iter to the file's read_iter/write_iter), so
the model gathers the buffers and makes one call: a pipe's PIPE_BUF
atomicity applies to the total, a datagram is one datagram, a blocking
stream write completes the total. The checks come in Linux's order: the fd
(EBADF), its mode (EBADF), a file with no read or write (EINVAL), then
import_iovec's limit (more than UIO_MAXIOV = 1024 buffers is EINVAL), and a
total of 0 returns 0 without asking the file (so an eventfd's 8-byte minimum
is not reached).

Position: none of the model's files has one. Pipes and sockets have no
FMODE_LSEEK/FMODE_PREAD: lseek, pread and pwrite are ESPIPE. eventfd, epoll
and timerfd use noop_llseek (lseek returns 0, and the position stays 0) but
have no FMODE_PREAD (ESPIPE); /dev/null's null_lseek returns 0 and it reads
and writes at any offset as it does without one. pread64 and pwrite64 refuse
a negative offset (EINVAL) before they look at the fd; lseek checks the fd,
then ``whence`` (above SEEK_MAX = 4: EINVAL), then the file.
"""
from __future__ import annotations

from errno import EBADF, EINVAL, ESPIPE

from ..errors import oserror
from ..vfs.file import FMODE_READ, FMODE_WRITE, OpenFile
from .fd import FdCalls

UIO_MAXIOV = 1024  # include/uapi/linux/uio.h
SEEK_MAX = 4  # SEEK_HOLE (include/uapi/linux/fs.h)
_NO_LSEEK = ("pipe", "socket")  # no FMODE_LSEEK: vfs_llseek says ESPIPE
_PREAD = ("/dev/null",)  # FMODE_PREAD | FMODE_PWRITE: files opened by path (do_dentry_open)


class VectorCalls(FdCalls):
    __slots__ = ()

    def _iov_file(self, fd: int, mode: int, iovcnt: int) -> OpenFile:
        file = self.files.get(fd)
        if file is None or not file.fmode & mode:
            raise oserror(EBADF)
        if (file.read if mode == FMODE_READ else file.write) is None:
            raise oserror(EINVAL)
        if iovcnt > UIO_MAXIOV:
            raise oserror(EINVAL)
        return file

    def readv(self, fd: int, sizes: list[int]) -> bytes:
        """readv(2) into buffers of ``sizes`` bytes: the bytes read (the caller scatters them)."""
        self._iov_file(fd, FMODE_READ, len(sizes))
        total = sum(sizes)
        if not total:
            return b""
        return self.read(fd, total)

    def writev(self, fd: int, data: bytes, iovcnt: int) -> int:
        """writev(2) of ``iovcnt`` buffers, gathered in ``data``: one write of the total."""
        self._iov_file(fd, FMODE_WRITE, iovcnt)
        if not data:
            return 0
        return self.write(fd, data)

    def _positional(self, fd: int, offset: int, mode: int) -> OpenFile:
        if offset < 0:
            raise oserror(EINVAL)
        file = self.fget(fd)
        if file.kind not in _PREAD:
            raise oserror(ESPIPE)
        if not file.fmode & mode:
            raise oserror(EBADF)
        return file

    def pread(self, fd: int, count: int, offset: int) -> bytes:
        """pread64: a file with no position is ESPIPE."""
        self._positional(fd, offset, FMODE_READ)
        return self.read(fd, count)

    def pwrite(self, fd: int, data: bytes, offset: int) -> int:
        self._positional(fd, offset, FMODE_WRITE)
        return self.write(fd, data)

