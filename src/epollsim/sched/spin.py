"""Time that moves while a thread spins on the clock.

Theory of operation
-------------------
The virtual clock moves when no thread can run (the scheduler jumps it to the
next timer), so running costs no time. A program that waits by reading the
clock, ``while time.monotonic() < deadline: pass``, or an asyncio task that
loops on ``await asyncio.sleep(0)`` under ``wait_for`` (the loop reads
``loop.time()`` once per iteration), would then never see its deadline: on
Linux the reads themselves take time.

The rule, deterministic and free for programs that do not spin: a clock read
by the thread that made the previous read, at the instant that read returned,
is a *repeated* read. The first ``FREE_READS`` repeated reads in a row cost
nothing (so a program reading the clock even many times between two waits sees
the round numbers it always saw); each further one moves the clock on before
it reads it, by 1 us, then 2, 4, ... doubling up to ``MAX_STEP_NS`` (100 us),
as if the thread had been computing meanwhile. Timers that fall due on the way
fire in order, as hrtimer interrupts would during a busy thread: sleepers time
out, segments arrive. A read by another thread, or at an instant the clock
reached by other means (a wait, a timer jump), starts the count again.

So a spin on a deadline 1 s ahead ends after about 11,000 reads, and a busy
``wait_for(..., 0.1)`` times out after about 2,000 loop iterations: well
under a second of wall time each. Only clock reads cost time: a thread that
spins on something else (a flag, non-blocking calls that fail with EAGAIN)
still never sees the clock move (docs/differences.md).
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .scheduler import Scheduler

FREE_READS = 1000  # repeated reads in a row that cost nothing
FIRST_STEP_NS = 1_000  # what the first costly read costs; each next one twice as much ...
MAX_STEP_NS = 100_000  # ... up to this


class SpinMeter:
    """The clock reads of one kernel: ``read()`` is CLOCK_MONOTONIC, moved on first if spinning."""

    __slots__ = ("sched", "clock", "at", "who", "repeats")

    def __init__(self, sched: Scheduler) -> None:
        self.sched = sched
        self.clock = sched.clock
        self.at = -1  # the instant the last read returned
        self.who: Any = None  # the thread that made it
        self.repeats = 0  # repeated reads in a row so far

    def read(self) -> int:
        """The monotonic clock in ns, as a program's clock read sees it."""
        sched = self.sched
        if sched.preemptive:
            sched.preempt()  # a clock read is a preemption point (Scheduler.preempt)
        now: int = self.clock.now_ns
        current = sched.current
        if now != self.at or current is not self.who:
            self.at = now
            self.who = current
            self.repeats = 0
            return now
        self.repeats = repeats = self.repeats + 1
        if repeats <= FREE_READS:
            return now
        step = FIRST_STEP_NS << min(repeats - FREE_READS - 1, 7)
        self.sched.run_for(step if step < MAX_STEP_NS else MAX_STEP_NS)
        self.at = now = self.clock.now_ns
        return now
