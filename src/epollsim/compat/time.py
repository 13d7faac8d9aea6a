"""A stand-in for ``time`` on the kernel's virtual clock: sleeping costs no wall time."""
from __future__ import annotations

import time as _real_time
from typing import Any

from ..clock import Clock
from ..sched.scheduler import Scheduler
from ._convert import time_to_ns
from ._module import StandIn

_NS = 1_000_000_000
# The wall clock of the simulated machine at boot: 2026-01-01T00:00:00Z.
WALL_CLOCK_AT_BOOT_NS = 1_767_225_600 * _NS


class TimeModule(StandIn):
    """``k.time``: monotonic, perf_counter and time read the virtual clock; sleep waits on it."""

    _mirrors = _real_time

    def __init__(self, clock: Clock, sched: Scheduler) -> None:
        self._clock = clock
        self._sched = sched
        self._boot_ns = clock.now_ns

    def monotonic_ns(self) -> int:
        return self._clock.now_ns

    def monotonic(self) -> float:
        return self._clock.now_ns / _NS

    perf_counter_ns = monotonic_ns
    perf_counter = monotonic

    def time_ns(self) -> int:
        return WALL_CLOCK_AT_BOOT_NS + self._clock.now_ns - self._boot_ns

    def time(self) -> float:
        return self.time_ns() / _NS

    def sleep(self, secs: Any, /) -> None:
        ns = time_to_ns(secs, _NS)
        if ns < 0:
            raise ValueError("sleep length must be non-negative")
        if ns == 0:
            self._sched.yield_now()
            return
        self._sched.block([], 0, self._clock.now_ns + ns, "time.sleep()")
