"""``signal.setitimer``, ``getitimer`` and ``alarm``: ITIMER_REAL on the virtual clock.

kernel/time/itimer.c keeps one real-time interval timer per process; when it
expires (it_real_fn) SIGALRM goes to the process and a periodic timer is armed
again. Here it is a timer of the kernel's clock, so ``alarm(3)`` fires after three
virtual seconds, and the signal reaches the host's handlers as any other does
(sched/signals.py). Times are timevals, as the system call takes them:
microseconds, rounded up from a float (timeval_from_double); getitimer truncates
to microseconds and reports 1 us for a timer due but not yet fired
(itimer_get_remtime). ``alarm`` is glibc's, over setitimer: the old remainder
rounded to the nearest second, never 0 while one was set. ITIMER_VIRTUAL and
ITIMER_PROF count CPU time, which the model does not have: ``Unsupported``.
"""
from __future__ import annotations

import os as _real_os
import signal as _real_signal
from errno import EINVAL
from typing import Any

from ..abi.signal import ITIMER_PROF, ITIMER_REAL, ITIMER_VIRTUAL, SIGALRM
from ..clock import Clock
from ..errors import Unsupported
from ..sched.signals import SI_KERNEL, SignalState
from ._convert import c_int, time_to_ns

_NS = 1_000_000_000
_US = 1_000


class ItimerFunctions:
    """The interval-timer functions of a ``signal`` stand-in (its ``_clock`` and ``_state``)."""

    _clock: Clock
    _state: SignalState
    _alarm: Any  # the armed ITIMER_REAL: (clock timer, interval ns), or None

    def setitimer(self, which: Any, seconds: Any, interval: Any = 0.0, /) -> tuple[float, float]:
        which = c_int(which)
        value_ns = _timeval_ns(seconds)
        interval_ns = _timeval_ns(interval)
        if which in (ITIMER_VIRTUAL, ITIMER_PROF):
            raise Unsupported("setitimer's CPU-time timers (ITIMER_VIRTUAL, ITIMER_PROF) are not modelled by epollsim")
        if which != ITIMER_REAL or value_ns < 0 or interval_ns < 0:
            raise _real_signal.ItimerError(EINVAL, _real_os.strerror(EINVAL))
        old = self._itimer_real()
        if self._alarm is not None:
            self._alarm[0].cancel()
            self._alarm = None
        if value_ns:
            self._arm(self._clock.now_ns + value_ns, interval_ns)
        return old

    def getitimer(self, which: Any, /) -> tuple[float, float]:
        which = c_int(which)
        if which in (ITIMER_VIRTUAL, ITIMER_PROF):
            raise Unsupported("getitimer's CPU-time timers (ITIMER_VIRTUAL, ITIMER_PROF) are not modelled by epollsim")
        if which != ITIMER_REAL:
            raise _real_signal.ItimerError(EINVAL, _real_os.strerror(EINVAL))
        return self._itimer_real()

    def alarm(self, seconds: Any, /) -> int:
        """alarm(2) as glibc makes it of setitimer: the old remainder rounded to the nearest second,
        but never 0 while one was set."""
        seconds = c_int(seconds)
        old_ns = 0 if self._alarm is None else max(self._alarm[0].deadline_ns - self._clock.now_ns, _US)
        self.setitimer(ITIMER_REAL, seconds & 0xFFFFFFFF)
        sec, usec = divmod(old_ns // _US, 1_000_000)
        return sec + 1 if usec >= 500_000 or (sec == 0 and usec > 0) else sec

    def _arm(self, deadline_ns: int, interval_ns: int) -> None:
        self._alarm = (self._clock.call_at(deadline_ns, self._expire, interval_ns), interval_ns)

    def _expire(self, interval_ns: int) -> None:
        """it_real_fn: SIGALRM to the process; a periodic timer is re-armed first."""
        self._alarm = None
        if interval_ns:
            self._arm(self._clock.now_ns + interval_ns, interval_ns)
        self._state.kill(SIGALRM, code=SI_KERNEL)

    def _itimer_real(self) -> tuple[float, float]:
        """(remaining, interval) in seconds, as getitimer's timevals (microseconds, truncated;
        an expired-but-armed timer reports 1 us: itimer_get_remtime)."""
        if self._alarm is None:
            return (0.0, 0.0)
        timer, interval_ns = self._alarm
        remaining = max(timer.deadline_ns - self._clock.now_ns, _US)
        return (_timeval_float(remaining), _timeval_float(interval_ns))


def _timeval_ns(value: Any) -> int:
    """timeval_from_double: seconds to a timeval (microseconds, rounded up), in ns."""
    ns = time_to_ns(value, _NS)
    us = -(-ns // _US)
    return us * _US


def _timeval_float(ns: int) -> float:
    sec, usec = divmod(ns // _US, 1_000_000)
    return sec + usec / 1e6  # CPython's itimer_retval: tv_sec + tv_usec / 1000000.0
