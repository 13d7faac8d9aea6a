"""Anonymous pipes (fs/pipe.c), with the slot accounting epoll users can observe.

Theory of operation
-------------------
A pipe is a ring of ``max_usage`` slots (16 by default), each one 4096-byte
page holding a run of unread bytes that starts ``offset`` bytes into the page.
Capacity is counted in slots, not bytes:

* a write first *merges* ``n % 4096`` bytes into the last slot when the pipe
  is not empty and they fit behind that slot's data in its page, then fills
  fresh slots of up to 4096 bytes while slots are free. So 1-byte writes pack
  a page before starting the next, a 5000-byte write into an empty pipe takes
  two slots, and a write of at most PIPE_BUF bytes is atomic (it merges whole
  or takes one fresh slot whole);
* the write end is writable (EPOLLOUT) while a slot is free, so a pipe filled
  by 1-byte writes stays unwritable until a whole page (4096 bytes) is read.

The model keeps each slot as the ``bytes`` written into its page, including
bytes already read; only the oldest slot can have been partly read, so one
``head_offset`` says where its unread data starts, and a page's length is
exactly "offset + len" for the merge check.

Wake-ups, which are the edges EPOLLET sees:

* every write of n > 0 bytes wakes the readers' queue with EPOLLIN|EPOLLRDNORM
  if the pipe was empty, or if the pipe has ever been polled (``poll_usage``:
  "Epoll nonsensically wants a wakeup whether the pipe was already empty or
  not"), even when the write fails with EAGAIN or EPIPE;
* a read wakes the writers' queue with EPOLLOUT|EPOLLWRNORM only when it frees
  a slot of a pipe that was full;
* when the last reader or the last writer goes (not both), both queues are
  woken with no key, so every watcher re-polls: the read end then reports HUP
  (plus IN while data remains), the write end ERR (plus OUT if a slot is free).

Not modelled: packet mode (O_DIRECT), notification pipes, FIFOs in a
filesystem, splice, and the per-user page limits (pipe-user-pages-soft).
SIGPIPE is sent by the syscall layer (``SyscallBase._sigpipe``) when a write fails with EPIPE.
"""
from __future__ import annotations

from collections import deque
from collections.abc import Iterator
from errno import EAGAIN, EBUSY, EINVAL, ENOTTY, EPERM, EPIPE

from ..abi.epoll import EPOLLERR, EPOLLHUP, EPOLLIN, EPOLLOUT, EPOLLRDNORM, EPOLLWRNORM
from ..abi.fcntl import O_NONBLOCK, O_RDONLY, O_WRONLY
from ..abi.ioctl import FIONREAD, TIOCOUTQ
from ..abi.limits import PAGE_SIZE, PIPE_DEF_BUFFERS, PIPE_MAX_SIZE
from ..abi.stat import PIPEFS_DEV, S_IFIFO
from ..errors import oserror
from ..vfs.file import FMODE_READ, FMODE_WRITE, OpenFile, PollTable
from ..vfs.vclock import VClock
from ..vfs.waitqueue import WaitQueue
from .blocking import WouldBlock

_IN = EPOLLIN | EPOLLRDNORM
_OUT = EPOLLOUT | EPOLLWRNORM


class Pipe:
    """struct pipe_inode_info: what both ends share."""

    __slots__ = (
        "head_offset", "ino", "max_usage", "nbytes", "poll_usage", "rd_blocked", "rd_wait", "readers",
        "slots", "vclock", "wr_wait", "writers",
    )

    def __init__(self, ino: int = 0) -> None:
        self.ino = ino  # both ends are one inode: fstat gives them the same st_ino
        self.slots: deque[bytes] = deque()  # each: the bytes written into one page
        self.head_offset = 0  # bytes of slots[0] already read
        self.max_usage = PIPE_DEF_BUFFERS
        self.nbytes = 0
        self.readers = 0
        self.writers = 0
        self.rd_wait = WaitQueue()
        self.wr_wait = WaitQueue()
        self.poll_usage = False
        self.vclock: VClock | None = None  # happens-before: writes release, reads acquire
        self.rd_blocked: WouldBlock | None = None  # what a blocking read of an empty pipe returns

    def set_size(self, size: int, privileged: bool) -> int:
        """pipe_set_size (F_SETPIPE_SZ, ``size`` an unsigned int): the new size in bytes."""
        if size > 1 << 31:
            raise oserror(EINVAL)
        nr_slots = max(1, _roundup_pow_of_two(max(size, PAGE_SIZE)) // PAGE_SIZE)
        if nr_slots > self.max_usage and size > PIPE_MAX_SIZE and not privileged:
            raise oserror(EPERM)
        if len(self.slots) > nr_slots:
            raise oserror(EBUSY)
        self.max_usage = nr_slots
        self.wr_wait.wake(0, 1)
        return nr_slots * PAGE_SIZE


def _roundup_pow_of_two(n: int) -> int:
    return 1 << (n - 1).bit_length()


class PipeEnd(OpenFile):
    """One end of a pipe: the read end is O_RDONLY, the write end O_WRONLY."""

    __slots__ = ("pipe",)

    kind = "pipe"
    st_mode = S_IFIFO | 0o600
    st_dev = PIPEFS_DEV
    shared_ino = 0  # the pipe's inode (PipeInode.ino), both ends

    def __init__(self, fid: int, pipe: Pipe, flags: int) -> None:
        super().__init__(fid, flags)
        self.pipe = pipe
        if self.fmode & FMODE_READ:
            pipe.readers += 1
        if self.fmode & FMODE_WRITE:
            pipe.writers += 1

    def poll(self, pt: PollTable) -> int:
        """pipe_poll."""
        pipe = self.pipe
        pipe.poll_usage = True
        fmode = self.fmode
        if pt is not None:
            if fmode & FMODE_READ:
                pt(pipe.rd_wait)
            if fmode & FMODE_WRITE:
                pt(pipe.wr_wait)
        mask = 0
        if fmode & FMODE_READ:
            if pipe.slots:
                mask = _IN
            if not pipe.writers:
                mask |= EPOLLHUP
        if fmode & FMODE_WRITE:
            if len(pipe.slots) < pipe.max_usage:
                mask |= _OUT
            if not pipe.readers:
                mask |= EPOLLERR
        return mask

    def write(self, data: bytes, nonblock: bool = False) -> int:
        """anon_pipe_write, one pass: bytes written, or EAGAIN/EPIPE/WouldBlock if none."""
        total = len(data)
        if total == 0:
            return 0
        pipe = self.pipe
        if not pipe.readers:
            if pipe.poll_usage:
                pipe.rd_wait.wake(_IN, 1)
            raise oserror(EPIPE)
        slots = pipe.slots
        if not slots and total <= PAGE_SIZE and data.__class__ is bytes:
            # A small write into an empty pipe (which always has a free slot): one page
            # takes it all, and the readers are woken.
            slots.append(data)
            pipe.nbytes += total
            if pipe.rd_wait.entries:
                pipe.rd_wait.wake(_IN, 1)
            return total
        was_empty = not slots
        done = 0
        chars = total & (PAGE_SIZE - 1)
        if chars and not was_empty and len(slots[-1]) + chars <= PAGE_SIZE:
            slots[-1] += data[:chars]  # the merge: append into the last page
            done = chars
        if done < total:
            max_usage = pipe.max_usage
            if total - done <= PAGE_SIZE and len(slots) < max_usage:
                slots.append(data if done == 0 and data.__class__ is bytes else bytes(data[done:]))
                done = total
            else:
                while done < total and len(slots) < max_usage:
                    chunk = bytes(data[done : done + PAGE_SIZE])
                    slots.append(chunk)
                    done += len(chunk)
        pipe.nbytes += done
        if was_empty or pipe.poll_usage:
            pipe.rd_wait.wake(_IN, 1)
        if done:
            return done
        if nonblock or self.flags & O_NONBLOCK:
            raise oserror(EAGAIN)
        raise WouldBlock(pipe.wr_wait, _OUT, "pipe is full", "tail_exclusive")

    def read(self, n: int, nonblock: bool = False) -> bytes | WouldBlock:  # type: ignore[override]
        """anon_pipe_read, one pass: consumes from the oldest slot on. On a blocking,
        empty pipe it returns (not raises: files/blocking.py) the pipe's WouldBlock."""
        if n == 0:
            return b""
        pipe = self.pipe
        slots = pipe.slots
        if not slots:
            if not pipe.writers:
                return b""
            if nonblock or self.flags & O_NONBLOCK:
                raise oserror(EAGAIN)
            blocked = pipe.rd_blocked
            if blocked is None:
                blocked = pipe.rd_blocked = WouldBlock(pipe.rd_wait, _IN, "pipe is empty", "tail_exclusive")
            return blocked
        page = slots[0]
        offset = pipe.head_offset
        if offset + n < len(page):  # served by the oldest slot, which stays
            pipe.head_offset = offset + n
            pipe.nbytes -= n
            return page[offset : offset + n]
        if offset + n == len(page) or len(slots) == 1:  # the rest of the oldest slot, which goes
            wake_writer = len(slots) >= pipe.max_usage
            slots.popleft()
            pipe.head_offset = 0
            pipe.nbytes -= len(page) - offset
            if wake_writer:
                pipe.wr_wait.wake(_OUT, 1)
            return page[offset:] if offset else page
        parts = []
        wake_writer = False
        got = 0
        while got < n and slots:
            page = slots[0]
            take = page[offset : offset + n - got] if offset or len(page) > n - got else page
            parts.append(take)
            got += len(take)
            offset += len(take)
            if offset < len(page):
                break
            # The slot is empty: release it, waking writers if the pipe was full.
            wake_writer |= len(slots) >= pipe.max_usage
            slots.popleft()
            offset = 0
        pipe.head_offset = offset
        pipe.nbytes -= got
        if wake_writer:
            pipe.wr_wait.wake(_OUT, 1)
        return parts[0] if len(parts) == 1 else b"".join(parts)

    def unread_bytes(self) -> int | None:
        return self.pipe.nbytes if self.fmode & FMODE_READ else None

    def ioctl(self, request: int) -> int:
        """pipe_ioctl: FIONREAD is the bytes in the pipe, asked of either end; any other
        request is -ENOIOCTLCMD, which vfs_ioctl turns into ENOTTY."""
        if request == FIONREAD:
            return self.pipe.nbytes
        if request == TIOCOUTQ:
            raise oserror(ENOTTY)
        return super().ioctl(request)

    def sync_tx(self) -> Pipe:  # both ends' messages go through the one buffer
        return self.pipe

    def sync_rx(self) -> Pipe:
        return self.pipe

    def release(self) -> None:
        """pipe_release: the last reader or writer going wakes everyone, keyless."""
        pipe = self.pipe
        if self.fmode & FMODE_READ:
            pipe.readers -= 1
        if self.fmode & FMODE_WRITE:
            pipe.writers -= 1
        if (not pipe.readers) != (not pipe.writers):
            pipe.rd_wait.wake_all()
            pipe.wr_wait.wake_all()


def make_pipe(fids: Iterator[int], nonblock: bool) -> tuple[PipeEnd, PipeEnd]:
    pipe = Pipe()
    extra = O_NONBLOCK if nonblock else 0
    r = PipeEnd(next(fids), pipe, O_RDONLY | extra)
    pipe.ino = r.fid
    return r, PipeEnd(next(fids), pipe, O_WRONLY | extra)

