"""The virtual clock of the simulated machine (CLOCK_MONOTONIC, in nanoseconds) and its timers.

Theory of operation
-------------------
The clock only moves forward, and only when the scheduler says so: when no
thread can run, it jumps to the earliest pending timer. So a run costs no wall
time and is the same on every machine.

A timer is a callback at a deadline, the model's hrtimer: a sleeping thread's
timeout, a timerfd's expiry, a packet arriving after the network's latency.
Timers live in one heap keyed by ``(deadline, seq)``, so two timers due at the
same instant fire in the order they were armed. When the clock reaches a
deadline, every timer due by then fires before any thread runs again (as
expired hrtimers all run in one interrupt), including timers that a callback
arms for a time already past. A cancelled timer stays in the heap and is
dropped when it reaches the top; it never moves the clock.
"""
from __future__ import annotations

import heapq
import itertools
from collections.abc import Callable
from fractions import Fraction
from typing import Any

from .errors import KernelBug

# The simulated machine has been up for a while, as real ones are: a clock
# that starts at 0 hides bugs that treat 0 as "no deadline".
BOOT_MONOTONIC_NS = 1_000_000_000_000
# CLOCK_REALTIME when the clock starts: 2026-01-01T00:00:00Z. Nothing in the
# model sets the wall clock, so CLOCK_REALTIME is CLOCK_MONOTONIC plus a fixed
# offset (and CLOCK_BOOTTIME is CLOCK_MONOTONIC: the machine never suspends).
REALTIME_AT_START_NS = 1_767_225_600 * 1_000_000_000


# Timer slack (hrtimer ranges): a sleeper's hrtimer may fire anywhere from its
# soft expiry (the deadline asked for) to its hard expiry (soft + slack); on an
# idle machine it fires at the hard one, the clock event device being
# programmed for the earliest hard expiry (kernel/time/hrtimer.c
# hrtimer_reprogram, __hrtimer_run_queues), and earlier when another interrupt
# runs the queue first. The model fires every sleeper TIMER_SLACK_NS after its
# soft expiry (Clock.expiry): the hard expiry of nanosleep and futex waits, and
# inside poll/select/epoll_wait's window, which is never narrower. So a wait of
# x ends x + 50 us later, and times printed to the millisecond stay round
# (an idle Linux ends a 1 s epoll_wait 1 ms late, at its hard expiry).
#
# include/linux/init_task.h (INIT_TASK): .timer_slack_ns = 50000, inherited by
# every normal task: the slack of nanosleep/clock_nanosleep and futex waits.
TIMER_SLACK_NS = 50_000
# fs/select.c MAX_SLACK: poll/select/epoll_wait's slack is at most 100 ms.
MAX_SLACK_NS = 100 * 1_000_000


def select_estimate_accuracy(timeout_ns: int) -> int:
    """fs/select.c select_estimate_accuracy (and __estimate_accuracy) for a normal task
    (nice 0, not real-time): 0.1 % of the time left, at most MAX_SLACK, at least
    timer_slack_ns. The slack of poll, select, epoll_wait (ep_poll) and epoll_pwait2."""
    slack = timeout_ns // 1000 if timeout_ns > 0 else 0
    if slack > MAX_SLACK_NS:
        slack = MAX_SLACK_NS
    return slack if slack > TIMER_SLACK_NS else TIMER_SLACK_NS


class Timer:
    """One armed callback; ``cancel()`` disarms it (hrtimer_cancel)."""

    __slots__ = ("deadline_ns", "callback", "arg", "active")

    def __init__(self, deadline_ns: int, callback: Callable[[Any], None], arg: Any) -> None:
        self.deadline_ns = deadline_ns
        self.callback = callback
        self.arg = arg
        self.active = True

    def cancel(self) -> None:
        self.active = False

    def __repr__(self) -> str:
        state = "armed" if self.active else "cancelled"
        return f"<Timer at {self.deadline_ns} ns {state}>"


class Clock:
    """The kernel's one virtual clock (``k.clock``): CLOCK_MONOTONIC in ns, and the timers armed on it.

    ``now_ns`` is what ``k.time.monotonic_ns()`` reads (it starts at 1000 s of
    uptime); CLOCK_REALTIME is ``now_ns + realtime_offset_ns``. The clock moves
    only forward: when no thread can run, the scheduler jumps it to the next
    timer's deadline; a test may move it itself with ``advance_to``.
    """

    __slots__ = ("now_ns", "realtime_offset_ns", "_timers", "_seq", "slack_choice")

    def __init__(self, start_ns: int = BOOT_MONOTONIC_NS) -> None:
        self.now_ns = start_ns
        # Where in a timeout's slack window its timer fires: None is TIMER_SLACK_NS after
        # the soft expiry; a callable given the window's width in ns returns the offset
        # (0 to width), for schedules that explore timing.
        self.slack_choice: Callable[[int], int] | None = None
        self.realtime_offset_ns = REALTIME_AT_START_NS - start_ns  # CLOCK_REALTIME - CLOCK_MONOTONIC
        self._timers: list[tuple[int, int, Timer]] = []
        self._seq = itertools.count()

    def advance_to(self, deadline_ns: int) -> None:
        """Move the clock to ``deadline_ns`` (ns of CLOCK_MONOTONIC), without firing timers.

        The timers now due fire when the scheduler next looks (``fire_due``).
        Moving backwards is a bug (``KernelBug``).
        """
        if deadline_ns < self.now_ns:
            raise KernelBug(f"clock moved backwards: {deadline_ns} < {self.now_ns}")
        self.now_ns = deadline_ns

    def expiry(self, timeout_ns: int, slack_ns: int = TIMER_SLACK_NS) -> int:
        """When a wait of ``timeout_ns`` from now ends: its soft expiry plus where in its
        ``slack_ns`` window the timer fires (see TIMER_SLACK_NS)."""
        choice = self.slack_choice
        if choice is None:
            return self.now_ns + timeout_ns + TIMER_SLACK_NS
        offset = choice(slack_ns)
        if not 0 <= offset <= slack_ns:
            raise KernelBug(f"timer slack {offset} ns outside its window of {slack_ns} ns")
        return self.now_ns + timeout_ns + offset

    def call_at(self, deadline_ns: int, callback: Callable[[Any], None], arg: Any = None) -> Timer:
        """Arm ``callback(arg)`` to run when the clock reaches ``deadline_ns``."""
        timer = Timer(deadline_ns, callback, arg)
        heapq.heappush(self._timers, (deadline_ns, next(self._seq), timer))
        return timer

    def next_deadline(self) -> int | None:
        """The earliest armed timer's deadline, or None when none is armed."""
        timers = self._timers
        while timers and not timers[0][2].active:
            heapq.heappop(timers)
        return timers[0][0] if timers else None

    def fire_due(self) -> None:
        """Run every armed timer whose deadline has been reached, earliest first."""
        timers = self._timers
        while timers and timers[0][0] <= self.now_ns:
            timer = heapq.heappop(timers)[2]
            if timer.active:
                timer.active = False
                timer.callback(timer.arg)

    def advance_to_next_timer(self) -> bool:
        """Jump to the earliest armed timer and fire what is due; False if none is armed."""
        deadline = self.next_deadline()
        if deadline is None:
            return False
        if deadline > self.now_ns:
            self.now_ns = deadline
        self.fire_due()
        return True

    def pending(self) -> int:
        """How many armed timers are waiting (for statistics and tests)."""
        return sum(1 for _, _, timer in self._timers if timer.active)


class WallClock:
    """One host's CLOCK_REALTIME: the kernel's wall clock plus ``offset_ns``, running at ``1 + drift``.

    Hosts' clocks disagree as real machines' do (``Kernel.add_host(name, clock_offset=...,
    clock_drift=...)``): ``time.time()``, ``datetime`` and CLOCK_REALTIME timerfds of the
    host read this clock. The drift is kept as a fraction, so the arithmetic on ns stays
    exact (a float holds 53 bits; nanoseconds since 1970 need 61). With no offset and no
    drift it reads what every host read before: CLOCK_MONOTONIC plus the fixed offset.
    """

    __slots__ = ("clock", "offset_ns", "drift", "epoch_ns")

    def __init__(self, clock: Clock, offset_ns: int = 0, drift: float = 0.0) -> None:
        self.clock = clock
        self.offset_ns = clock.realtime_offset_ns + offset_ns  # CLOCK_REALTIME - CLOCK_MONOTONIC at epoch_ns
        self.drift = Fraction(drift).limit_denominator(10**9)
        self.epoch_ns = clock.now_ns  # from when the drift accumulates

    def now_ns(self) -> int:
        now = self.clock.now_ns
        if not self.drift:
            return now + self.offset_ns
        return now + self.offset_ns + (now - self.epoch_ns) * self.drift.numerator // self.drift.denominator

    def monotonic_at(self, real_ns: int) -> int:
        """The first CLOCK_MONOTONIC instant at which this clock reads at least ``real_ns``."""
        if not self.drift:
            return real_ns - self.offset_ns
        num, den = self.drift.numerator, self.drift.denominator
        # real = m + off + (m - e) * num / den, for m: ceil((real - off) * den + e * num) / (den + num))
        return -(-((real_ns - self.offset_ns) * den + self.epoch_ns * num) // (den + num))
