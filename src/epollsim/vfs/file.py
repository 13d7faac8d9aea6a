"""The open file description ("struct file") every kind of file builds on.

An open file description is what ``open``/``pipe``/``socketpair`` create and
what fd numbers point at. Several fd numbers can share one (``dup``), and the
model counts its references explicitly, as the kernel does with ``f_count``:
the fd table holds one per fd number, and (later) a thread blocked in a call
holds one for the duration. When the last one goes, ``fput`` first removes
every epoll interest watching the file, silently (fs/eventpoll.c
eventpoll_release, called by __fput before the file's own release), and only
then runs the kind's ``release``, whose wake-ups therefore never reach those
interests.

A kind answers ``poll(pt)`` with its current mask as a pure function of its
state; when ``pt`` is given it also hooks ``pt`` on each wait queue a change
would be announced on (poll_wait). ``read``/``write`` are ``None`` for kinds
that have no such method (the syscall then fails with EINVAL, as vfs_read does).
``ioctl(request)`` is the kind's unlocked_ioctl for the requests that answer
an int (``abi/ioctl.py``); a kind that does not override it knows none.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, ClassVar, Optional

from ..abi.fcntl import O_ACCMODE, O_NONBLOCK, O_RDONLY, O_RDWR, O_WRONLY
from ..abi.poll import DEFAULT_POLLMASK
from ..abi.stat import ANON_INODE_INO, ANON_INODEFS_DEV
from ..errors import KernelBug, Unsupported

if TYPE_CHECKING:
    from .epoll import Interest
    from .vclock import Syncable, VClock
    from .waitqueue import WaitQueue

# poll_wait's queueing procedure: called with each wait queue to hook.
PollTable = Optional[Callable[["WaitQueue"], None]]  # noqa: UP045 (a runtime alias: 3.10 needs Optional)

FMODE_READ = 1
FMODE_WRITE = 2

_FMODE_OF_ACCMODE = {O_RDONLY: FMODE_READ, O_WRONLY: FMODE_WRITE, O_RDWR: FMODE_READ | FMODE_WRITE}


class OpenFile:
    """One open file description. Subclasses are the file kinds (``files/``)."""

    __slots__ = ("f_ep", "fid", "flags", "fmode", "refs", "vclock")

    #: short name of the kind, for traces and messages ("pipe", "eventfd", ...)
    kind: ClassVar[str] = "file"
    #: st_mode, st_dev and st_rdev as fstat reports them (abi/stat.py); the anonymous inode's by default
    st_mode: ClassVar[int] = 0
    st_dev: ClassVar[int] = ANON_INODEFS_DEV
    st_rdev: ClassVar[int] = 0
    #: the st_ino every description of the kind shares (anon_inodefs' one inode); 0: one per file
    shared_ino: ClassVar[int] = ANON_INODE_INO
    #: False for files with no poll method: epoll_ctl refuses them with EPERM
    pollable: ClassVar[bool] = True
    #: pollable and not an epoll: epoll_ctl needs no further checks for it
    plain_target: ClassVar[bool] = True
    #: the kind's llseek is noop_llseek (fs/read_write.c), or null_lseek: lseek answers 0.
    #: Otherwise (pipes, sockets) the file has no FMODE_LSEEK and lseek is ESPIPE.
    noop_llseek: ClassVar[bool] = False

    def __init__(self, fid: int, flags: int) -> None:
        self.fid = fid  # never reused, gives every description a stable name
        self.refs = 0
        self.flags = flags  # f_flags: access mode, O_NONBLOCK, ...
        self.fmode = _FMODE_OF_ACCMODE[flags & O_ACCMODE]
        # Interests watching this file, in every epoll (struct file f_ep):
        # a dict used as an ordered set.
        self.f_ep: dict[Interest, None] = {}
        # The sync clock of what a read of this file receives (vfs/vclock.py), for kinds
        # whose data lives in the description itself (eventfd, a socket's receive queue).
        self.vclock: VClock | None = None

    @property
    def nonblocking(self) -> bool:
        return bool(self.flags & O_NONBLOCK)

    def poll(self, pt: PollTable) -> int:
        return DEFAULT_POLLMASK

    # A kind that supports read/write overrides these with methods
    # read(n) -> bytes and write(data) -> int.
    read: Callable[[int], bytes] | None = None
    write: Callable[[bytes], int] | None = None

    def unread_bytes(self) -> int | None:
        """Bytes a read could return now, where the kind counts bytes (for diagnoses)."""
        return None

    def ioctl(self, request: int) -> int:
        """The file's unlocked_ioctl for a request that answers an int (FIONREAD, TIOCOUTQ).

        Returns the int Linux writes through the argument pointer, or raises
        the errno. A kind overrides this for the requests it models and
        defers to it for the rest: what the model does not know is never
        guessed (Linux may answer it in do_vfs_ioctl or the file's own ioctl).
        """
        raise Unsupported(f"ioctl request {request:#x} on a {self.kind} is not modelled")

    # Happens-before (vfs/vclock.py): the object a write into this file releases into,
    # and the one a read from it acquires. A kind whose data goes elsewhere (a pipe's
    # shared buffer, a socket's peer) says where; a kind that carries no messages
    # between threads (a timer) keeps these and is never released into.
    def sync_tx(self) -> Syncable:
        return self

    def sync_rx(self) -> Syncable:
        return self

    def release(self) -> None:
        """The last reference went: let go of the kind's resources and wake peers."""

    def host_crashed(self) -> None:
        """Its host crashed (Host.crash): nothing of it may act again. Kinds with timers stop them."""

    def get(self) -> OpenFile:
        self.refs += 1
        return self

    def put(self) -> None:
        """fput: drop one reference; on the last, eventpoll_release then release."""
        self.refs -= 1
        if self.refs > 0:
            return
        if self.refs < 0:
            raise KernelBug(f"{self!r} released twice")
        for item in tuple(self.f_ep):
            item.ep.remove(item)
        self.release()

    def __repr__(self) -> str:
        return f"<{self.kind} #{self.fid}>"
