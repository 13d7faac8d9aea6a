"""Happens-before between green threads: one vector clock per thread, as Miri keeps them.

What synchronises (each a release by one thread, an acquire by another):

* Lock / RLock release -> a later acquire (Condition and Semaphore are built on
  Lock, as CPython builds them, so notify -> wait return and release -> acquire
  follow); Event.set -> a wait (or is_set) that sees the flag;
* Thread.start -> the child's first step; the child's last step -> join;
* write/send into a pipe, socket or eventfd -> a read/recv of that buffer, or
  a poll/select that reports input, hang-up or error on it (close and shutdown
  count as writes: the reader sees them as EOF or HUP);
* a wake-up that queues (or finds queued) an epoll interest -> the epoll_wait
  that returns that interest's event, and a file's written data -> an epoll
  interest added or modified while the file is ready.

Release: the thread's clock is joined into the object's sync clock, then the
thread starts a new epoch (its own component + 1), so what it does afterwards
is not covered by that message. Acquire: the object's sync clock is joined into
the thread's.

Clocks are only kept once race detection is on: ``start()`` runs when the
first ``epollsim.Shared`` of the kernel is created (creating it is its first
access), and every thread then gets a fresh clock that knows of no other.
Starting late is sound. Races are only checked between accesses to Shared
cells, all of which happen after ``start()``. If access ``a`` happens before
access ``b``, there is a chain from ``a`` to ``b`` of program order and
release->acquire edges, and every release in it comes after ``a`` in the one
global order the scheduler runs threads in (a thread runs alone between two
switches), hence after ``start()``, where every release and acquire is
recorded. An edge that ended before ``start()`` (a thread started earlier, a
lock passed earlier) can only order steps that touched no Shared, so missing
it loses nothing; and missing edges could only add reports, never hide one.
"""
from __future__ import annotations

from collections.abc import Mapping
from typing import Protocol

from ..vfs.vclock import HappensBefore, Syncable, VClock


class _Thread(Protocol):
    tid: int
    vclock: VClock | None


class _Threads(Protocol):
    """What the detector needs of the scheduler."""

    @property
    def current(self) -> _Thread: ...

    @property
    def threads(self) -> Mapping[int, _Thread]: ...


class RaceDetector(HappensBefore):
    """The scheduler's implementation of the release/acquire hooks."""

    __slots__ = ("sched",)

    def __init__(self, sched: _Threads) -> None:
        super().__init__()
        self.sched = sched

    def start(self) -> None:
        """Switch clocks on: every thread starts a first epoch, knowing of no other."""
        if self.on:
            return
        for tid, thread in self.sched.threads.items():
            thread.vclock = VClock()
            thread.vclock.set(tid, 1)
        self.on = True

    def release(self, obj: Syncable) -> None:
        thread = self.sched.current
        clock = thread.vclock
        assert clock is not None
        target = obj.vclock
        if target is None:
            obj.vclock = clock.copy()
        else:
            target.join(clock)
        clock.t[thread.tid] += 1  # a thread's clock always has its own component

    def acquire(self, obj: Syncable) -> None:
        source = obj.vclock
        if source is not None:
            clock = self.sched.current.vclock
            assert clock is not None
            clock.join(source)

    def fork(self, child: _Thread) -> None:
        """Thread.start: the child begins knowing everything its parent did so far."""
        parent = self.sched.current
        clock = parent.vclock
        assert clock is not None
        child.vclock = clock.copy()
        child.vclock.set(child.tid, 1)
        clock.set(parent.tid, clock.get(parent.tid) + 1)
