"""Locks and events for green threads, built on the scheduler's one blocking primitive."""
from __future__ import annotations

from functools import partial

from ..vfs.vclock import VClock
from ..vfs.waitqueue import WaitQueue
from .scheduler import Scheduler
from .thread import GreenThread


class SimLock:
    """A non-reentrant lock; waiters queue in arrival order and one wakes per release."""

    __slots__ = ("hb", "locked", "names_owner", "owner", "sched", "vclock", "what", "wq")

    def __init__(self, sched: Scheduler, what: str = "Lock.acquire()", names_owner: bool = True) -> None:
        self.sched = sched
        self.locked = False
        # For deadlock reports: what a waiter waits in, and (unless it is a Condition's
        # private waiter lock, which its own waiter holds) which thread holds the lock.
        self.what = what
        self.names_owner = names_owner
        self.owner: GreenThread | None = None
        self.wq = WaitQueue()
        self.hb = sched.hb
        self.vclock: VClock | None = None  # released into by release, acquired by acquire

    def acquire(self, deadline_ns: int | None, blocking: bool = True) -> bool:
        while self.locked:
            if not blocking:
                return False
            hint = partial(self._holder, self.sched.current)
            if not self.sched.block_on(self.wq, "tail_exclusive", 0, deadline_ns, self.what, hint):
                return False
        self.locked = True
        self.owner = self.sched.current
        if self.hb.on:
            self.hb.acquire(self)
        return True

    def release(self) -> None:
        if not self.locked:
            raise RuntimeError("release unlocked lock")
        if self.hb.on:
            self.hb.release(self)
        self.locked = False
        self.owner = None
        self.wq.wake(0, 1)

    def _holder(self, waiter: GreenThread) -> str | None:
        owner = self.owner
        if owner is None or not self.names_owner:
            return None
        return f"the lock is held by {'this thread itself' if owner is waiter else owner.name}"


class SimEvent:
    __slots__ = ("flag", "hb", "sched", "vclock", "wq")

    def __init__(self, sched: Scheduler) -> None:
        self.sched = sched
        self.flag = False
        self.wq = WaitQueue()
        self.hb = sched.hb
        self.vclock: VClock | None = None  # released into by set, acquired by a wait that sees it

    def set(self) -> None:
        if self.hb.on:
            self.hb.release(self)
        self.flag = True
        self.wq.wake_all()

    def wait(self, deadline_ns: int | None) -> bool:
        while not self.flag:  # a wake-up without the flag set is a signal's: wait on (PEP 475)
            if not self.sched.block_on(self.wq, "head", 0, deadline_ns, "Event.wait()"):
                break
        return self.is_set()

    def is_set(self) -> bool:
        """The flag; seeing it set orders this thread after every set() so far."""
        if self.flag and self.hb.on:
            self.hb.acquire(self)
        return self.flag
