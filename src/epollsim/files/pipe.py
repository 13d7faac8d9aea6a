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
SIGPIPE is not raised: CPython ignores it, so writes see EPIPE.
"""
from __future__ import annotations

from collections import deque
from collections.abc import Iterator
from errno import EAGAIN, EBUSY, EINVAL, EPERM, EPIPE

from ..abi.epoll import EPOLLERR, EPOLLHUP, EPOLLIN, EPOLLOUT, EPOLLRDNORM, EPOLLWRNORM
from ..abi.fcntl import O_NONBLOCK, O_RDONLY, O_WRONLY
from ..abi.limits import PAGE_SIZE, PIPE_DEF_BUFFERS, PIPE_MAX_SIZE
from ..abi.stat import S_IFIFO
from ..errors import oserror
from ..vfs.file import FMODE_READ, FMODE_WRITE, OpenFile, PollTable
from ..vfs.waitqueue import WaitQueue
from .blocking import WouldBlock

_IN = EPOLLIN | EPOLLRDNORM
_OUT = EPOLLOUT | EPOLLWRNORM


class Slot:
    """One pipe_buffer: unread bytes ``data`` starting ``offset`` bytes into a page."""

    __slots__ = ("data", "offset")

    def __init__(self, data: bytes) -> None:
        self.data = bytearray(data)
        self.offset = 0


class Pipe:
    """struct pipe_inode_info: what both ends share."""

    __slots__ = ("ino", "max_usage", "nbytes", "poll_usage", "rd_wait", "readers", "slots", "wr_wait", "writers")

    def __init__(self, ino: int = 0) -> None:
        self.ino = ino  # both ends are one inode: fstat gives them the same st_ino
        self.slots: deque[Slot] = deque()
        self.max_usage = PIPE_DEF_BUFFERS
        self.nbytes = 0
        self.readers = 0
        self.writers = 0
        self.rd_wait = WaitQueue()
        self.wr_wait = WaitQueue()
        self.poll_usage = False

    def write(self, data: bytes, nonblock: bool) -> int:
        """anon_pipe_write for one call: bytes written, or EAGAIN/EPIPE/WouldBlock."""
        total = len(data)
        if total == 0:
            return 0
        slots = self.slots
        if not self.readers:
            if self.poll_usage:
                self.rd_wait.wake(_IN, 1)
            raise oserror(EPIPE)
        was_empty = not slots
        done = 0
        chars = total & (PAGE_SIZE - 1)
        if chars and not was_empty:
            last = slots[-1]
            if last.offset + len(last.data) + chars <= PAGE_SIZE:
                last.data += data[:chars]
                done = chars
        max_usage = self.max_usage
        while done < total and len(slots) < max_usage:
            chunk = data[done : done + PAGE_SIZE]
            slots.append(Slot(chunk))
            done += len(chunk)
        self.nbytes += done
        if was_empty or self.poll_usage:
            self.rd_wait.wake(_IN, 1)
        if done:
            return done
        if nonblock:
            raise oserror(EAGAIN)
        raise WouldBlock(self.wr_wait, _OUT, "pipe is full")

    def read(self, n: int, nonblock: bool) -> bytes:
        """anon_pipe_read for one call."""
        slots = self.slots
        if n == 0:
            return b""
        if not slots:
            if not self.writers:
                return b""
            if nonblock:
                raise oserror(EAGAIN)
            raise WouldBlock(self.rd_wait, _IN, "pipe is empty")
        out = bytearray()
        wake_writer = False
        while n and slots:
            slot = slots[0]
            take = slot.data[:n]
            del slot.data[:n]
            slot.offset += len(take)
            out += take
            n -= len(take)
            if not slot.data:
                wake_writer |= len(slots) >= self.max_usage
                slots.popleft()
        self.nbytes -= len(out)
        if wake_writer:
            self.wr_wait.wake(_OUT, 1)
        return bytes(out)

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

    def read(self, n: int, nonblock: bool = False) -> bytes:  # type: ignore[override]
        return self.pipe.read(n, nonblock or bool(self.flags & O_NONBLOCK))

    def write(self, data: bytes, nonblock: bool = False) -> int:  # type: ignore[override]
        return self.pipe.write(data, nonblock or bool(self.flags & O_NONBLOCK))

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

