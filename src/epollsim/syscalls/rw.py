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

preadv2 and pwritev2 (os.preadv, os.pwritev) take the same path: an offset of -1 is readv or
writev at the file's position (do_readv), any other negative one EINVAL, and otherwise pread's
ESPIPE for a file without FMODE_PREAD, before vfs_readv's checks. Their ``flags`` (RWF_*) are
checked after the buffers and only when there is something to move (kiocb_set_rw_flags): bits
Linux 6.18 does not define are EOPNOTSUPP, RWF_APPEND with RWF_NOAPPEND EINVAL, RWF_ATOMIC and
RWF_DONTCACHE EOPNOTSUPP (no model file can), RWF_NOWAIT makes the call non-blocking (every
model file with read_iter/write_iter has FMODE_NOWAIT); an eventfd's write has no write_iter
(do_loop_readv_writev: any flag but RWF_HIPRI is EOPNOTSUPP). The rest change nothing here.

Position: none of the model's files has one. Pipes and sockets have no
FMODE_LSEEK/FMODE_PREAD: lseek, pread and pwrite are ESPIPE. eventfd, epoll
and timerfd use noop_llseek (lseek returns 0, and the position stays 0) but
have no FMODE_PREAD (ESPIPE); /dev/null's null_lseek returns 0 and it reads
and writes at any offset as it does without one. pread64 and pwrite64 refuse
a negative offset (EINVAL) before they look at the fd; lseek checks the fd,
then ``whence`` (above SEEK_MAX = 4: EINVAL), then the file.
"""
from __future__ import annotations

from errno import EAGAIN, EBADF, EINVAL, EOPNOTSUPP, ESPIPE

from ..errors import oserror
from ..files.blocking import WouldBlock
from ..vfs.file import FMODE_READ, FMODE_WRITE, OpenFile
from .fd import FdCalls

UIO_MAXIOV = 1024  # include/uapi/linux/uio.h
SEEK_MAX = 4  # SEEK_HOLE (include/uapi/linux/fs.h)
_NO_LSEEK = ("pipe", "socket")  # no FMODE_LSEEK: vfs_llseek says ESPIPE
PREAD_KINDS = ("/dev/null",)  # FMODE_PREAD | FMODE_PWRITE: files opened by path (do_dentry_open)
# include/uapi/linux/fs.h, as of Linux 6.18 (RWF_SUPPORTED)
RWF_HIPRI, RWF_NOWAIT, RWF_APPEND, RWF_NOAPPEND, RWF_ATOMIC, RWF_DONTCACHE = 0x1, 0x8, 0x10, 0x20, 0x40, 0x80
RWF_SUPPORTED = 0x1FF  # ... RWF_NOSIGNAL (0x100)
_LOOP_WRITE = ("eventfd",)  # a .write and no .write_iter: do_loop_readv_writev


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
        if file.kind not in PREAD_KINDS:
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


    # -- preadv2, pwritev2 ----------------------------------------------------

    def _pv_file(self, fd: int, offset: int, mode: int, iovcnt: int) -> OpenFile:
        """do_preadv / do_pwritev (or do_readv / do_writev for offset -1), then vfs_readv's checks."""
        if offset != -1:
            self._positional(fd, offset, mode)
        return self._iov_file(fd, mode, iovcnt)

    @staticmethod
    def _rw_flags(file: OpenFile, flags: int, write: bool) -> bool:
        """kiocb_set_rw_flags (or do_loop_readv_writev's check): True for RWF_NOWAIT."""
        if not flags:
            return False
        if write and file.kind in _LOOP_WRITE:
            if flags & ~RWF_HIPRI:
                raise oserror(EOPNOTSUPP)
            return False
        if flags & ~RWF_SUPPORTED:
            raise oserror(EOPNOTSUPP)
        if flags & RWF_APPEND and flags & RWF_NOAPPEND:
            raise oserror(EINVAL)
        if flags & (RWF_ATOMIC | RWF_DONTCACHE):
            raise oserror(EOPNOTSUPP)  # FMODE_CAN_ATOMIC_WRITE, FOP_DONTCACHE: no model file has them
        return bool(flags & RWF_NOWAIT)

    def preadv(self, fd: int, sizes: list[int], offset: int, flags: int) -> bytes:
        """preadv2(2) into buffers of ``sizes`` bytes: the bytes read (the caller scatters them)."""
        file = self._pv_file(fd, offset, FMODE_READ, len(sizes))
        total = sum(sizes)
        if not total:
            return b""
        if not self._rw_flags(file, flags, write=False):
            return self.read(fd, total)
        read = file.read
        assert read is not None  # _iov_file checked
        try:
            data = read(total)
        except WouldBlock:
            raise oserror(EAGAIN) from None
        if isinstance(data, WouldBlock):  # IOCB_NOWAIT: never wait
            raise oserror(EAGAIN)
        if self.hb.on:
            self.hb.acquire(file.sync_rx())
        return data

    def pwritev(self, fd: int, data: bytes, iovcnt: int, offset: int, flags: int) -> int:
        """pwritev2(2) of ``iovcnt`` buffers, gathered in ``data``."""
        file = self._pv_file(fd, offset, FMODE_WRITE, iovcnt)
        if not data:
            return 0
        if not self._rw_flags(file, flags, write=True):
            return self.write(fd, data)
        write = file.write
        assert write is not None
        if self.hb.on:
            self.hb.release(file.sync_tx())
        try:
            return write(data)  # IOCB_NOWAIT: what fits, never a wait for the rest
        except WouldBlock:
            raise oserror(EAGAIN) from None
