"""A stand-in for ``time`` on the kernel's virtual clock: sleeping costs no wall time."""
from __future__ import annotations

import calendar
import sys
import time as _real_time
import types
from errno import EINVAL
from typing import Any, ClassVar, SupportsIndex, cast

from ..abi import timerfd as _abi_clocks
from ..abi.timerfd import (
    CLOCK_BOOTTIME,
    CLOCK_MONOTONIC,
    CLOCK_MONOTONIC_COARSE,
    CLOCK_MONOTONIC_RAW,
    CLOCK_PROCESS_CPUTIME_ID,
    CLOCK_REALTIME,
    CLOCK_REALTIME_COARSE,
    CLOCK_TAI,
    CLOCK_THREAD_CPUTIME_ID,
)
from ..clock import REALTIME_AT_START_NS, TIMER_SLACK_NS, Clock, WallClock
from ..errors import Unsupported, oserror
from ..sched.scheduler import Scheduler
from ._convert import format_i, time_to_ns
from ._module import StandIn

_NS = 1_000_000_000
# The wall clock of the simulated machine at boot: 2026-01-01T00:00:00Z.
WALL_CLOCK_AT_BOOT_NS = REALTIME_AT_START_NS
# clock_gettime's clocks, as offsets from the model's monotonic clock (None:
# CLOCK_REALTIME's offset). Coarse clocks are exact here; CLOCK_TAI is
# CLOCK_REALTIME, as on a host whose TAI offset was never set (this CI
# machine's). The *_ALARM clocks are EINVAL (no RTC, as on the CI machine).
_CLOCK_OFFSETS: dict[int, int | None] = {
    CLOCK_MONOTONIC: 0, CLOCK_MONOTONIC_RAW: 0, CLOCK_MONOTONIC_COARSE: 0, CLOCK_BOOTTIME: 0,
    CLOCK_REALTIME: None, CLOCK_REALTIME_COARSE: None, CLOCK_TAI: None,
}
# The CPU-time clocks: a simulated thread computes in no time and a blocked one uses no
# CPU, so none would ever move; they count the virtual time since boot instead, as if the
# process had had the CPU all along (a clock that never moves would hang a program that
# waits for it to). Every thread's is the process's.
_CPU_CLOCKS = (CLOCK_PROCESS_CPUTIME_ID, CLOCK_THREAD_CPUTIME_ID)
# clock_getres: hrtimer clocks are 1 ns; the coarse clocks tick with the jiffy (HZ=250 on
# the CI machine: 4 ms; kernel/time/posix-timers.c posix_get_coarse_res).
_COARSE_RES = 0.004
_CLOCK_INFO = {
    "monotonic": ("clock_gettime(CLOCK_MONOTONIC)", True, False),
    "perf_counter": ("clock_gettime(CLOCK_MONOTONIC)", True, False),
    "time": ("clock_gettime(CLOCK_REALTIME)", False, True),
    "process_time": ("clock_gettime(CLOCK_PROCESS_CPUTIME_ID)", True, False),
    "thread_time": ("clock_gettime(CLOCK_THREAD_CPUTIME_ID)", True, False),
}


class TimeModule(StandIn):
    """``k.time``: monotonic, perf_counter and time read the virtual clock; sleep waits on it."""

    _mirrors = _real_time
    # The constants set on this class after it is made (the loop below: abi/timerfd.py), where the
    # running CPython's module has them, declared for type checkers (tests/unit/test_typing.py
    # checks that the two lists agree).
    CLOCK_BOOTTIME: ClassVar[int]
    CLOCK_MONOTONIC: ClassVar[int]
    CLOCK_MONOTONIC_RAW: ClassVar[int]
    CLOCK_PROCESS_CPUTIME_ID: ClassVar[int]
    CLOCK_REALTIME: ClassVar[int]
    CLOCK_TAI: ClassVar[int]
    CLOCK_THREAD_CPUTIME_ID: ClassVar[int]

    def __init__(self, clock: Clock, sched: Scheduler) -> None:
        self._clock = clock
        self._sched = sched
        self._boot_ns = clock.now_ns
        # The first host's wall clock; a thread of another host reads that host's (Host.start).
        self.wall = WallClock(clock)
        # Every clock read goes through the scheduler's meter: reading again and again
        # moves the clock on (sched/spin.py), so a spin on a deadline ends.
        self._read = sched.spin.read

    def monotonic_ns(self) -> int:
        return self._read()

    def monotonic(self) -> float:
        return self._read() / _NS

    perf_counter_ns = monotonic_ns
    perf_counter = monotonic

    def get_clock_info(self, name: str, /) -> Any:
        """The clocks as the model keeps them: nanosecond steps, never adjusted but ``time``
        (the implementation is the call Linux's CPython names, on the virtual clock)."""
        if name not in _CLOCK_INFO:
            raise ValueError("unknown clock")
        implementation, monotonic, adjustable = _CLOCK_INFO[name]
        return types.SimpleNamespace(
            implementation=implementation, monotonic=monotonic, adjustable=adjustable, resolution=1e-09,
        )

    def process_time_ns(self) -> int:
        return self._clock.now_ns - self._boot_ns  # see _CPU_CLOCKS

    def process_time(self) -> float:
        return self.process_time_ns() / _NS

    thread_time_ns = process_time_ns
    thread_time = process_time

    def time_ns(self) -> int:
        self._read()  # the spin meter (sched/spin.py): reading again and again moves the clock on
        host = self._sched.current.host  # CLOCK_REALTIME of the host the running thread is on
        return (self.wall if host is None else host.wall).now_ns()

    def clock_gettime_ns(self, clk_id: Any, /) -> int:
        clk_id = _clock_id(clk_id)
        if clk_id not in _CLOCK_OFFSETS:
            if clk_id in _CPU_CLOCKS:
                return self.process_time_ns()
            raise oserror(EINVAL)
        offset = _CLOCK_OFFSETS[clk_id]
        return self.time_ns() if offset is None else self._read() + offset

    def clock_getres(self, clk_id: Any, /) -> float:
        clk_id = _clock_id(clk_id)
        if clk_id in (CLOCK_MONOTONIC_COARSE, CLOCK_REALTIME_COARSE):
            return _COARSE_RES
        if clk_id not in _CLOCK_OFFSETS and clk_id not in _CPU_CLOCKS:
            raise oserror(EINVAL)
        return 1e-09

    def clock_gettime(self, clk_id: Any, /) -> float:
        sec, nsec = divmod(self.clock_gettime_ns(clk_id), _NS)
        return sec + nsec * 1e-9  # CPython: tp.tv_sec + tp.tv_nsec * 1e-9

    def time(self) -> float:
        return as_seconds_double(self.time_ns())

    def sleep(self, secs: float | SupportsIndex, /) -> None:  # a float or an int-like (time_to_ns)
        if (secs.__class__ is int or secs.__class__ is float) and secs == 0:
            self._sched.yield_now()  # sleep(0), the usual hand-over, without the conversion
            return
        ns = time_to_ns(secs, _NS)
        if ns < 0:
            raise ValueError("sleep length must be non-negative")
        if ns == 0:
            self._sched.yield_now()
            return
        # clock_nanosleep (CPython's pysleep): the hrtimer ends timer_slack_ns after the deadline.
        deadline = self._clock.expiry(ns, TIMER_SLACK_NS)
        while self._sched.block([], 0, deadline, "time.sleep()"):
            pass  # woken before the deadline: a signal's handler ran; sleep the rest (PEP 475)

    # -- calendar conversions: the simulated machine's clock is UTC -------------------
    # Pure conversions of a given time (the real C functions, taken at import, so an
    # active patch does not turn them into these); without an argument they read the
    # virtual wall clock. TZ is UTC, so localtime is gmtime and there is no DST.

    struct_time = _real_time.struct_time
    timezone = altzone = daylight = 0
    tzname = ("UTC", "UTC")

    def gmtime(self, secs: Any = None, /) -> _real_time.struct_time:
        return _gmtime(self.time() if secs is None else secs)

    localtime = gmtime

    def mktime(self, t: Any, /) -> float:
        if not isinstance(t, tuple):  # struct_time is a tuple
            raise TypeError("Tuple or struct_time argument required")
        return float(calendar.timegm(self.struct_time(t)))

    def asctime(self, t: Any = None, /) -> str:
        return _asctime(self.gmtime() if t is None else t)

    def ctime(self, secs: Any = None, /) -> str:
        return _asctime(self.gmtime(secs))

    def strftime(self, format: str, t: Any = None, /) -> str:
        return _strftime(format, self.gmtime() if t is None else t)

    strptime = staticmethod(_real_time.strptime)


def as_seconds_double(ns: int) -> float:
    """Nanoseconds as CPython's float seconds (pytime.c _PyTime_AsSecondsDouble): the int made a
    double, then divided; not ``ns / 10**9``, which rounds once, not twice (they differ past 2**53 ns,
    where CLOCK_REALTIME is)."""
    return ns / 1e9 if ns % _NS else float(ns // _NS)


def _clock_id(clk_id: Any) -> int:
    """The clk_id argument's conversion (3.13: time_clockid_converter; before: "i")."""
    if sys.version_info >= (3, 13):  # time_clockid_converter turns every failure into this
        try:
            clk_id = format_i(clk_id)
        except (TypeError, OverflowError):
            raise TypeError(f"clk_id should be integer, not {type(clk_id).__name__}") from None
    else:
        clk_id = format_i(clk_id)
    if clk_id < 0:  # a CPU clock of a given process or thread (clock_getcpuclockid)
        raise Unsupported("the CPU-time clocks of other processes and threads are not modelled by epollsim")
    return cast(int, clk_id)  # format_i's


_gmtime = _real_time.gmtime
_asctime = _real_time.asctime
_strftime = _real_time.strftime


# time's CLOCK_* constants, Linux's numbers, where the real module has them.
for _name, _value in vars(_abi_clocks).items():
    if _name.startswith("CLOCK_") and hasattr(_real_time, _name):
        setattr(TimeModule, _name, _value)
