"""``epollsim.Shared``: a memory cell whose every access is checked for data races.

A program marks the state its threads share by keeping it in ``Shared`` cells:
``counter = epollsim.Shared(0, name="counter")``, then ``counter.get()`` and
``counter.set(v)`` (or ``counter.value``). Each access is checked against the
vector clocks of ``hb.py``, FastTrack-style: the cell remembers its last write
(thread, epoch, place) and, since then, each thread's last read. A write must
happen after the last write and after every read since; a read after the last
write. When one does not, the run stops with ``DataRace`` naming both threads
and both places, whatever the interleaving happened to be: two accesses with
nothing ordering them race even if the schedule ran them far apart.

The cell finds its kernel through the thread that creates it (the scheduler
that owns the running greenlet), and creating the first one switches the
kernel's clocks on. Using it from a thread of another kernel, or outside any,
is an error.
"""
from __future__ import annotations

import os
import sys
from typing import Generic, TypeVar

import greenlet

from ..errors import DataRace, EpollsimError
from .scheduler import Scheduler, current_scheduler

T = TypeVar("T")

_NO_ORDER = "with no happens-before between them (no lock, event, join, or file write/read orders them)"

# Where the program made an access: the innermost frame outside the epollsim package.
# Diagnostics only: the places are reported, never acted on.
_PACKAGE_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__))) + os.sep

Place = tuple[str, int]  # (file name, line)


def _caller() -> Place:
    frame = sys._getframe(2)
    while frame.f_back is not None and frame.f_code.co_filename.startswith(_PACKAGE_DIR):
        frame = frame.f_back
    return frame.f_code.co_filename, frame.f_lineno


def _show(place: Place) -> str:
    return f"{os.path.basename(place[0])}:{place[1]}"


class Shared(Generic[T]):
    """A value shared between the kernel's threads, checked for data races on every access."""

    __slots__ = ("_created", "_name", "_reads", "_sched", "_value", "_write")

    def __init__(self, value: T, name: str | None = None) -> None:
        sched = current_scheduler()
        if sched is None:
            raise EpollsimError(
                "epollsim.Shared must be created by a thread of a Kernel (none runs here)"
            )
        self._sched: Scheduler = sched
        self._name = name
        self._value = value
        sched.hb.start()
        place = _caller()
        self._created = place
        me = sched.current
        assert me.vclock is not None
        # The last write: (thread id, its epoch then, place, verb); creating is writing.
        self._write: tuple[int, int, Place, str] = (me.tid, me.vclock.get(me.tid), place, "created")
        # Each thread's last read since that write: thread id -> (epoch, place).
        self._reads: dict[int, tuple[int, Place]] = {}

    def get(self) -> T:
        """Read the value: races with a write no happens-before orders before this read."""
        sched = self._running()
        me = sched.current
        clock = me.vclock
        assert clock is not None
        here = _caller()
        wtid, wepoch, wplace, wverb = self._write
        if wtid != me.tid and clock.get(wtid) < wepoch:
            self._race((wtid, wverb, wplace), (me.tid, "read", here))
        self._reads[me.tid] = (clock.get(me.tid), here)
        return self._value

    def set(self, value: T) -> None:
        """Write the value: races with any earlier access not ordered before this write."""
        sched = self._running()
        me = sched.current
        clock = me.vclock
        assert clock is not None
        here = _caller()
        wtid, wepoch, wplace, wverb = self._write
        if wtid != me.tid and clock.get(wtid) < wepoch:
            self._race((wtid, wverb, wplace), (me.tid, "wrote", here))
        for rtid, (repoch, rplace) in self._reads.items():
            if rtid != me.tid and clock.get(rtid) < repoch:
                self._race((rtid, "read", rplace), (me.tid, "wrote", here))
        self._write = (me.tid, clock.get(me.tid), here, "wrote")
        self._reads.clear()
        self._value = value

    value = property(get, set)

    def __repr__(self) -> str:
        return f"<Shared {self._label()}: {self._value!r}>"

    # -- internals ------------------------------------------------------------

    def _label(self) -> str:
        return repr(self._name) if self._name is not None else f"(created at {_show(self._created)})"

    def _running(self) -> Scheduler:
        sched = self._sched
        if sched.current.glet is not greenlet.getcurrent():
            raise EpollsimError(f"Shared {self._label()} used outside the threads of the kernel it belongs to")
        return sched

    def _race(self, earlier: tuple[int, str, Place], later: tuple[int, str, Place]) -> None:
        threads = self._sched.threads
        first = (threads[earlier[0]].name, earlier[1], _show(earlier[2]))
        second = (threads[later[0]].name, later[1], _show(later[2]))
        message = (
            f"data race on Shared {self._label()}: {first[0]} {first[1]} it at {first[2]} "
            f"and {second[0]} {second[1]} it at {second[2]} {_NO_ORDER}"
        )
        # A race ends the program, as undefined behaviour ends it under Miri: raised in
        # the main thread, so the code that runs the program (a test, explore) sees it.
        self._sched.fail(DataRace(message, first, second))
