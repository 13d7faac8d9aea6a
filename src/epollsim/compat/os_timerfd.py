"""``os.timerfd_*`` as CPython 3.13 has them (Modules/posixmodule.c, gh-108277), on any raw layer.

The functions only convert arguments and results, CPython's way, around three
raw calls: ``timerfd_create(clockid, flags)``, ``timerfd_settime(fd, flags,
(interval_ns, value_ns)) -> old`` and ``timerfd_gettime(fd)``. The model's
``k.os`` gets them from ``k.sys``; the test suite's real backend gets them
from ctypes calls into the host's libc, since the Python this repository
runs on (3.11) has no ``os.timerfd_*`` to compare with. Measured on CPython
3.13.0:

* ``timerfd_create(clockid, /, *, flags=0)``: both C ints; the fd is always
  non-inheritable (TFD_CLOEXEC is added, PEP 446).
* ``timerfd_settime(fd, /, *, flags=0, initial=0.0, interval=0.0)``: the fd
  through PyObject_AsFileDescriptor, flags a C int, the times C doubles
  ("must be real number, not str") turned into nanoseconds rounding down
  (``_PyTime_FromSecondsDouble(..., _PyTime_ROUND_FLOOR)``: 5e-10 is 0, a
  disarm; -1e-10 is -1 ns, EINVAL from the kernel), OverflowError
  "timestamp out of range for platform time_t" past +-2**63 ns, NaN and inf
  included. The old (next expiration, interval) comes back as floats
  ``tv_sec + tv_nsec * 1e-9``.
* ``timerfd_settime_ns``: the times are C long longs (``__index__``;
  OverflowError "int too big to convert"); results are ints.
* ``timerfd_gettime(fd, /)`` and ``timerfd_gettime_ns``: (next expiration,
  interval).

A negative time reaches the kernel as a timespec with a negative tv_sec:
OSError EINVAL, not a ValueError.
"""
from __future__ import annotations

import math
from typing import Any, Protocol

from ..abi.timerfd import NSEC_PER_SEC, TFD_CLOEXEC, TFD_NONBLOCK, TFD_TIMER_ABSTIME, TFD_TIMER_CANCEL_ON_SET
from ._convert import c_int, fildes, index

_LLONG_MIN = -(1 << 63)
_LLONG_MAX = (1 << 63) - 1


class TimerfdSys(Protocol):
    """The raw calls these functions need (``k.sys``, or the real backend's ctypes calls)."""

    def timerfd_create(self, clockid: int, flags: int) -> int: ...
    def timerfd_settime(self, fd: int, flags: int, new: tuple[int, int]) -> tuple[int, int]: ...
    def timerfd_gettime(self, fd: int) -> tuple[int, int]: ...


def c_double(obj: Any) -> float:
    """Clinic's ``double`` converter (PyFloat_AsDouble): __float__, else __index__."""
    if isinstance(obj, float):
        return float(obj)
    cls = type(obj)
    if not (hasattr(cls, "__float__") or hasattr(cls, "__index__")):
        raise TypeError(f"must be real number, not {cls.__name__}")
    return float(obj)  # an int past the double range: "int too large to convert to float"


def seconds_floor_ns(seconds: float) -> int:
    """A double of seconds to nanoseconds: _PyTime_FromSecondsDouble with ROUND_FLOOR."""
    d = seconds * 1e9
    if math.isfinite(d):
        ns = math.floor(d)
        if _LLONG_MIN <= ns <= _LLONG_MAX:
            return ns
    raise OverflowError("timestamp out of range for platform time_t")


def long_long(obj: Any) -> int:
    """Clinic's ``long long`` converter (PyLong_AsLongLong through __index__)."""
    n = index(obj)
    if not _LLONG_MIN <= n <= _LLONG_MAX:
        raise OverflowError("int too big to convert")
    return n


def _seconds(ns: int) -> float:
    """TIMESPEC_TO_DOUBLE: tv_sec + tv_nsec * 1e-9, with the timespec _PyTime_AsTimespec makes."""
    sec, nsec = divmod(ns, NSEC_PER_SEC)
    return sec + nsec * 1e-9


class TimerfdFunctions:
    """The os module's timerfd functions and constants, over ``self._sys``."""

    __slots__ = ()

    @property
    def _tsys(self) -> TimerfdSys:
        return self._sys  # type: ignore[attr-defined,no-any-return]  # the stand-in's raw layer

    TFD_NONBLOCK = TFD_NONBLOCK
    TFD_CLOEXEC = TFD_CLOEXEC
    TFD_TIMER_ABSTIME = TFD_TIMER_ABSTIME
    TFD_TIMER_CANCEL_ON_SET = TFD_TIMER_CANCEL_ON_SET

    def timerfd_create(self, clockid: int, /, *, flags: int = 0) -> int:
        clockid, flags = c_int(clockid), c_int(flags)
        return self._tsys.timerfd_create(clockid, flags | TFD_CLOEXEC)

    def timerfd_settime(
        self, fd: Any, /, *, flags: int = 0, initial: float = 0.0, interval: float = 0.0
    ) -> tuple[float, float]:
        fd, flags = fildes(fd), c_int(flags)
        initial_s, interval_s = c_double(initial), c_double(interval)
        value_ns = seconds_floor_ns(initial_s)
        interval_ns = seconds_floor_ns(interval_s)
        old_interval, old_value = self._tsys.timerfd_settime(fd, flags, (interval_ns, value_ns))
        return (_seconds(old_value), _seconds(old_interval))

    def timerfd_settime_ns(self, fd: Any, /, *, flags: int = 0, initial: int = 0, interval: int = 0) -> tuple[int, int]:
        fd, flags = fildes(fd), c_int(flags)
        initial, interval = long_long(initial), long_long(interval)
        old_interval, old_value = self._tsys.timerfd_settime(fd, flags, (interval, initial))
        return (old_value, old_interval)

    def timerfd_gettime(self, fd: Any, /) -> tuple[float, float]:
        interval, value = self._tsys.timerfd_gettime(fildes(fd))
        return (_seconds(value), _seconds(interval))

    def timerfd_gettime_ns(self, fd: Any, /) -> tuple[int, int]:
        interval, value = self._tsys.timerfd_gettime(fildes(fd))
        return (value, interval)
