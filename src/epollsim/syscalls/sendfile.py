"""sendfile(2) (fs/read_write.c do_sendfile, fs/splice.c), between the model's files and from a
host regular file into a model file.

Theory of operation
-------------------
Between the model's files Linux moves almost nothing: ``do_sendfile`` checks the input (EBADF,
FMODE_READ; an offset on a file without FMODE_PREAD is ESPIPE, a negative one or count EINVAL),
then the output (EBADF, FMODE_WRITE). Into a pipe (``splice_file_to_pipe``) it first waits for
room (no reader: SIGPIPE and EPIPE; full and O_NONBLOCK: EAGAIN), then needs the input's
``splice_read``: of the model's files only a socket has one (that splice is not modelled:
``Unsupported``), the others are EINVAL; into anything else (``do_splice_direct``) an O_APPEND
output is EINVAL and the input must be a regular file or block device: pipes and sockets are
EINVAL, the anonymous-inode files (eventfd, epoll, timerfd) and /dev/null move 0 bytes when asked
for 0 and are EINVAL otherwise (no ``splice_read``). Measured on Linux 6.18.

Under ``k.patch()`` the input may be a real regular file the program opened (asyncio's
``sock_sendfile`` native path, ``socket.sendfile``): the patch's side of the fd table
(``FdTable.host_fds``) reads it with pread, the one real call made for the program, and the
model writes what it read to the output as a ``write`` would (blocking or not as the output is);
with no offset the real file's position moves on by what was sent.
"""
from __future__ import annotations

from errno import EAGAIN, EBADF, EINVAL, EPIPE, ESPIPE

from ..abi.fcntl import O_APPEND, O_NONBLOCK
from ..errors import Unsupported, oserror
from ..files.host_file import HostFile
from ..files.pipe import PipeEnd
from ..vfs.file import FMODE_READ, FMODE_WRITE
from .fd import FdCalls
from .rw import PREAD_KINDS

SEEK_CUR = 1
MAX_RW_COUNT = 0x7FFFF000  # INT_MAX & PAGE_MASK: what one call moves at most
_FIFO_OR_SOCKET = ("pipe", "socket")  # not S_ISREG nor S_ISBLK: splice_direct_to_actor's EINVAL


class SendfileCalls(FdCalls):
    __slots__ = ()

    def sendfile(self, out_fd: int, in_fd: int, offset: int | None, count: int) -> int:
        """do_sendfile: ``offset`` None uses (and moves) the input's position."""
        src = self.files.get(in_fd)
        if src is None:
            host = self.host_file(in_fd)
            if isinstance(host, HostFile):
                return self._sendfile_from_host(out_fd, host, offset, count)
            raise oserror(EBADF)
        if not src.fmode & FMODE_READ:
            raise oserror(EBADF)
        if offset is not None and src.kind not in PREAD_KINDS:
            raise oserror(ESPIPE)
        if count < 0 or offset is not None and offset < 0:
            raise oserror(EINVAL)  # rw_verify_area
        out = self.files.get(out_fd)
        if out is None or not out.fmode & FMODE_WRITE:
            raise oserror(EBADF)
        if isinstance(out, PipeEnd):  # splice_file_to_pipe: wait_for_space, then do_splice_read
            pipe = out.pipe
            if not pipe.readers:
                self._sigpipe()
                raise oserror(EPIPE)
            if len(pipe.slots) >= pipe.max_usage and out.flags & O_NONBLOCK:
                raise oserror(EAGAIN)
            if not count:
                return 0
            if src.kind == "socket":
                raise Unsupported("os.sendfile from a socket into a pipe (splice) is not modelled")
            raise oserror(EINVAL)  # do_splice_read: no splice_read
        if out.flags & O_APPEND or src.kind in _FIFO_OR_SOCKET:
            raise oserror(EINVAL)
        if not count:
            return 0
        raise oserror(EINVAL)  # no splice_read

    def _sendfile_from_host(self, out_fd: int, host: HostFile, offset: int | None, count: int) -> int:
        if host.what != "regular file":
            raise Unsupported(f"os.sendfile from a real {host.what} is not modelled")
        if count < 0 or offset is not None and offset < 0:
            raise oserror(EINVAL)
        out = self.files.get(out_fd)
        if out is None or not out.fmode & FMODE_WRITE:
            raise oserror(EBADF)
        if out.kind != "pipe" and out.flags & O_APPEND:
            raise oserror(EINVAL)
        table = self.proc.fdtable.host_fds
        assert table is not None  # host_file found the file through it
        data = table.pread(host.fd, min(count, MAX_RW_COUNT), offset)
        if not data:
            return 0
        sent = self.write(out_fd, data)
        if offset is None:
            table.lseek(host.fd, sent, SEEK_CUR)
        return sent
