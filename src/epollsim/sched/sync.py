"""Locks and events for green threads, built on the scheduler's one blocking primitive."""
from __future__ import annotations

from ..vfs.waitqueue import WaitQueue
from .scheduler import Scheduler


class SimLock:
    """A non-reentrant lock; waiters queue in arrival order and one wakes per release."""

    __slots__ = ("locked", "sched", "wq")

    def __init__(self, sched: Scheduler) -> None:
        self.sched = sched
        self.locked = False
        self.wq = WaitQueue()

    def acquire(self, deadline_ns: int | None, blocking: bool = True) -> bool:
        while self.locked:
            if not blocking:
                return False
            if not self.sched.block([(self.wq, "tail_exclusive")], 0, deadline_ns, "Lock.acquire()"):
                return False
        self.locked = True
        return True

    def release(self) -> None:
        if not self.locked:
            raise RuntimeError("release unlocked lock")
        self.locked = False
        self.wq.wake(0, 1)


class SimEvent:
    __slots__ = ("flag", "sched", "wq")

    def __init__(self, sched: Scheduler) -> None:
        self.sched = sched
        self.flag = False
        self.wq = WaitQueue()

    def set(self) -> None:
        self.flag = True
        self.wq.wake_all()

    def wait(self, deadline_ns: int | None) -> bool:
        if not self.flag:
            self.sched.block([(self.wq, "head")], 0, deadline_ns, "Event.wait()")
        return self.flag
