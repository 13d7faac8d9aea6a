"""Timing choices: what a non-default schedule chooses besides which thread runs next.

Theory of operation
-------------------
On Linux the order of events on one thread comes from timing: which of three
connections' segments reaches the server first, whether a sleeper's timer or a
packet comes first. Under the default ``fifo`` schedule the model's timing is
fixed (a segment on loopback or a zero-latency path arrives before its send
returns; a timer fires ``TIMER_SLACK_NS`` after its deadline), so a one-thread
asyncio program runs the same way under every seed. Under a non-default
schedule the seed also chooses, within what Linux allows:

* each segment's (and datagram's) **extra one-way latency**, in
  ``Kernel(latency=(lo, hi))`` seconds (default ``DEFAULT_JITTER``, 0 to 5 us,
  loopback included), on top of the path's own latency
  (``Network.set_latency``). Packets of one flow (one TCP connection, one UDP
  4-tuple, in one direction) never overtake each other: a flow's delivery
  time is monotonic (net/network.py). A packet whose chosen delay is 0, with
  nothing of its flow in flight, is delivered before its send returns, as
  under ``fifo``;
* where in its **slack window** a timed wait's hrtimer fires
  (``Clock.slack_choice``; the window is ``timer_slack_ns``, or poll/select/
  epoll_wait's ``select_estimate_accuracy``): between ``SLACK_FLOOR_NS`` after
  the soft expiry (the earliest a woken task gets back to user space) and the
  hard expiry (kernel/time/hrtimer.c: a range timer fires anywhere between
  them, earlier when another interrupt runs the queue);
* and, only when asked (``Kernel(call_cost=(lo, hi))`` seconds; none by
  default), the **virtual time each system call, clock read and
  ``Thread.start`` costs** the thread that makes it, at its preemption point
  (``preempt.py``): the clock moves on by that much, timers due on the way
  firing (``run_for``), so a thread spinning on non-blocking calls sees time
  pass. Only a preemptive schedule has those points: ``fifo`` refuses it.

Who chooses, so that thread choices and timing choices come from one place:
``"random"`` and PCT draw uniformly from the kernel's seeded generator
(PCT's priorities are drawn from it too); a chooser object offering
``choose_timing(n)`` picks one of n levels, index 0 being ``fifo``'s timing
(the lowest latency, the ``TIMER_SLACK_NS`` slack) and 1 the other end (the
highest latency, the earliest firing); a chooser with only ``choose_preempt``
(``Systematic``) is asked there, so bounded systematic search counts a timing
departure as one departure from the default, like a preemption, and explores
two levels of each. Other choosers (``ChoiceList``, ``Deviations``,
Hypothesis's) choose no timing: their recorded schedules replay as before.
A range with ``lo == hi`` is no choice at all and asks nobody.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ..clock import TIMER_SLACK_NS
from .pct import PCT

# The default extra latency under a non-default schedule, in seconds: a few microseconds of
# jitter, about what a loopback round trip through the softirq takes.
DEFAULT_JITTER = (0.0, 5e-6)
# The earliest a timed wait ends after its soft expiry: the hrtimer interrupt and the wake-up
# take a little time, and a clock read after sleep(x) must have moved by at least x in floating
# point (1000 s of uptime has about 0.1 ns of resolution as a float).
SLACK_FLOOR_NS = 1_000
NS_PER_SEC = 1_000_000_000


def _ns(seconds: Any) -> int:
    if not isinstance(seconds, (int, float)) or seconds < 0:
        raise ValueError(f"a latency or a cost is a number of seconds >= 0, not {seconds!r}")
    return round(seconds * NS_PER_SEC)


def _range_ns(what: str, given: Any) -> tuple[int, int]:
    if not isinstance(given, tuple) or len(given) != 2:
        raise TypeError(f"{what} must be a (lo, hi) tuple of seconds, not {given!r}")
    lo, hi = _ns(given[0]), _ns(given[1])
    if lo > hi:
        raise ValueError(f"{what} range {given!r}: lo must not exceed hi")
    return lo, hi


class Timing:
    """One kernel's timing choices (``Kernel.timing``): ``latency()``, ``slack(width)``, ``call_cost()``."""

    __slots__ = ("lo_ns", "hi_ns", "cost_lo_ns", "cost_hi_ns", "_draw", "_level", "explores")

    def __init__(self, schedule: object, rng: Any, latency: tuple[float, float] | None = None,
                 call_cost: tuple[float, float] | None = None) -> None:
        # How the schedule chooses: a uniform draw (random, PCT), or one of n levels (a chooser).
        self._draw: Callable[[int, int], int] | None = None
        self._level: Callable[[int], int] | None = None
        if schedule == "random" or schedule == "pct" or isinstance(schedule, PCT):
            self._draw = rng.randrange
        elif not isinstance(schedule, str):
            self._level = getattr(schedule, "choose_timing", None) or getattr(schedule, "choose_preempt", None)
        # Whether timing is chosen at all: never under fifo, nor under a chooser that cannot.
        self.explores = self._draw is not None or self._level is not None
        if latency is None:
            latency = DEFAULT_JITTER if self.explores else (0.0, 0.0)
        self.lo_ns, self.hi_ns = _range_ns("latency", latency)
        self.cost_lo_ns, self.cost_hi_ns = _range_ns("call_cost", call_cost or (0.0, 0.0))

    @property
    def jitters(self) -> bool:
        """Whether packets get an extra latency (a range to choose in, or a fixed one)."""
        return self.hi_ns > 0

    def latency(self) -> int:
        """The extra one-way latency of one packet, in ns, within [lo, hi]."""
        return self._choose(self.lo_ns, self.hi_ns)

    def call_cost(self) -> int:
        """The virtual time one system call, clock read or Thread.start costs, in ns."""
        return self._choose(self.cost_lo_ns, self.cost_hi_ns)

    def _choose(self, lo: int, hi: int) -> int:
        if lo == hi:
            return lo
        if self._draw is not None:
            return self._draw(lo, hi + 1)
        if self._level is not None:
            return hi if self._level(2) else lo
        return lo

    def slack(self, width: int) -> int:
        """Where in a slack window of ``width`` ns a timed wait's timer fires (``Clock.slack_choice``)."""
        if self._draw is not None:
            return self._draw(SLACK_FLOOR_NS, width + 1)
        assert self._level is not None
        return SLACK_FLOOR_NS if self._level(2) else TIMER_SLACK_NS
