"""eventfd (fs/eventfd.c): a 64-bit counter with Linux's poll and wake-up rules.

Readable (EPOLLIN) while the counter is above 0, writable (EPOLLOUT) while it
is below 0xfffffffffffffffe, EPOLLERR at 0xffffffffffffffff (which write()
can never reach). Every successful write, even of 0, wakes the queue with
EPOLLIN, and every successful read wakes it with EPOLLOUT: those are the edges
EPOLLET sees. Values cross the boundary as 8 native-endian (x86-64: little)
bytes: a write must pass exactly 8 (Linux >= 6.4), a read at least 8. Closing
an eventfd wakes its queue with EPOLLHUP, but by then epoll has already
forgotten it (see vfs/file.py).
"""
from __future__ import annotations

from errno import EAGAIN, EINVAL, ENOTTY

from ..abi.epoll import EPOLLERR, EPOLLHUP, EPOLLIN, EPOLLOUT
from ..abi.eventfd import EFD_SEMAPHORE, EVENTFD_MAX
from ..abi.fcntl import O_NONBLOCK, O_RDWR
from ..abi.ioctl import QUEUE_REQUESTS
from ..abi.stat import ANON_INODE_MODE
from ..errors import oserror
from ..vfs.file import OpenFile, PollTable
from ..vfs.waitqueue import WaitQueue
from .blocking import WouldBlock

ULLONG_MAX = 0xFFFFFFFFFFFFFFFF


class EventFd(OpenFile):
    __slots__ = ("count", "semaphore", "wqh")

    kind = "eventfd"
    noop_llseek = True
    st_mode = ANON_INODE_MODE

    def __init__(self, fid: int, initval: int, flags: int) -> None:
        super().__init__(fid, O_RDWR | (flags & O_NONBLOCK))
        self.count = initval
        self.semaphore = bool(flags & EFD_SEMAPHORE)
        self.wqh = WaitQueue()

    def poll(self, pt: PollTable) -> int:
        if pt is not None:
            pt(self.wqh)
        count = self.count
        mask = 0
        if count > 0:
            mask = EPOLLIN
        if count == ULLONG_MAX:
            mask |= EPOLLERR
        if count < EVENTFD_MAX:
            mask |= EPOLLOUT
        return mask

    def ioctl(self, request: int) -> int:
        """eventfd_fops has no unlocked_ioctl: vfs_ioctl answers ENOTTY."""
        if request in QUEUE_REQUESTS:
            raise oserror(ENOTTY)
        return super().ioctl(request)

    def read(self, n: int, nonblock: bool = False) -> bytes:
        if n < 8:
            raise oserror(EINVAL)
        if not self.count:
            if nonblock or self.flags & O_NONBLOCK:
                raise oserror(EAGAIN)
            raise WouldBlock(self.wqh, EPOLLIN, "eventfd counter is 0")
        value = 1 if self.semaphore else self.count
        self.count -= value
        if self.wqh.entries:
            self.wqh.wake(EPOLLOUT, 1)
        return value.to_bytes(8, "little")

    def write(self, data: bytes, nonblock: bool = False) -> int:
        # Exactly 8 bytes: since Linux 6.4 ("eventfd: strictly check the count
        # parameter of eventfd_write") a longer buffer is EINVAL too, where
        # older kernels read the first 8 bytes. Reads still accept >= 8.
        if len(data) != 8:
            raise oserror(EINVAL)
        value = int.from_bytes(data, "little")
        if value == ULLONG_MAX:
            raise oserror(EINVAL)
        if ULLONG_MAX - self.count <= value:
            if nonblock or self.flags & O_NONBLOCK:
                raise oserror(EAGAIN)
            raise WouldBlock(self.wqh, EPOLLOUT, "eventfd counter would overflow")
        self.count += value
        if self.wqh.entries:
            self.wqh.wake(EPOLLIN, 1)
        return 8

    def release(self) -> None:
        self.wqh.wake(EPOLLHUP, 1)
