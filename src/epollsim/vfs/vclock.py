"""Vector clocks, as opaque values the files carry for the race detector (see sched/hb.py).

Happens-before is tracked the way Miri tracks it (src/concurrency/data_race.rs):
every green thread has a vector clock, and an object through which one thread
can pass a message to another (a pipe's buffer, a socket's receive queue, an
eventfd's counter, an epoll interest, a lock, an event) keeps a *sync clock*
in a ``vclock`` attribute. The sender *releases* into it (joins its clock in,
then starts a new epoch of its own), the receiver *acquires* it (joins it into
its own clock).

Nothing here knows about threads. ``vfs/`` and ``files/`` only ever store and
merge ``VClock`` values and call the two hooks of ``HappensBefore``, which the
scheduler implements; the hooks are only called once ``HappensBefore.on`` is
true (the first ``epollsim.Shared`` switches it on), so a kernel that never
checks for races pays one attribute test per hot call and nothing more.
"""
from __future__ import annotations

from typing import Protocol


class VClock:
    """A vector clock: ``t[tid]`` is the latest epoch of thread ``tid`` known here (0: none).

    A list indexed by thread id (ids are small and never reused), so joins are
    a walk over a few ints and never depend on object identity.
    """

    __slots__ = ("t",)

    def __init__(self, t: list[int] | None = None) -> None:
        self.t: list[int] = t if t is not None else []

    def get(self, tid: int) -> int:
        t = self.t
        return t[tid] if tid < len(t) else 0

    def set(self, tid: int, epoch: int) -> None:
        t = self.t
        if tid >= len(t):
            t.extend([0] * (tid + 1 - len(t)))
        t[tid] = epoch

    def join(self, other: VClock) -> None:
        """self = max(self, other), component by component."""
        a, b = self.t, other.t
        if a == b:  # the common case: nothing new since the last message
            return
        if len(a) < len(b):
            a.extend([0] * (len(b) - len(a)))
        for i, v in enumerate(b):
            if v > a[i]:
                a[i] = v

    def copy(self) -> VClock:
        return VClock(list(self.t))

    def __repr__(self) -> str:
        return f"VClock({self.t})"


class Syncable(Protocol):
    """Anything that carries a sync clock: None until something is released into it."""

    vclock: VClock | None


def merge(dst: Syncable, src: Syncable) -> None:
    """Join ``src``'s sync clock into ``dst``'s (no thread involved)."""
    clock = src.vclock
    if clock is None:
        return
    if dst.vclock is None:
        dst.vclock = clock.copy()
    else:
        dst.vclock.join(clock)


class HappensBefore:
    """The race detector as the lower layers see it; this base is inert (never switched on).

    Callers test ``on`` before calling a hook, so the hooks themselves need no test.
    """

    __slots__ = ("on",)

    def __init__(self) -> None:
        self.on = False

    def release(self, obj: Syncable) -> None:
        """The running thread sends a message through ``obj``."""

    def acquire(self, obj: Syncable) -> None:
        """The running thread receives whatever was released into ``obj``."""


#: The hooks for objects built without a kernel (unit tests of vfs/ and files/).
INERT = HappensBefore()
