"""``datetime``'s clock reads on the model's wall clock: ``datetime.now``, ``utcnow``, ``today``, ``date.today``.

These are the only calls of ``datetime`` that read a clock; everything else is
arithmetic on the values they return. The functions here return the real
``datetime`` types (or the subclass they are called on), built from the
model's CLOCK_REALTIME (``time_ns()`` of the host's ``time`` stand-in) the way
Modules/_datetimemodule.c builds them: ``now`` and ``utcnow`` floor the
nanoseconds to microseconds (datetime_best_possible), ``today`` goes through the
float ``time.time()`` rounded half-even (date_today -> fromtimestamp). The
simulated machine's time zone is UTC, so local time is UTC.

patch_clocks.py installs them into the C types for the patch's duration.
"""
from __future__ import annotations

import datetime as _dt
import math
import sys
import warnings
from collections.abc import Callable
from typing import Any

from .time import as_seconds_double

_US = 1_000_000


def _utc_fields(secs: int) -> tuple[int, int, int, int, int, int]:
    day, rem = divmod(secs, 86_400)
    date = _dt.date.fromordinal(_dt.date(1970, 1, 1).toordinal() + day)
    hour, rem = divmod(rem, 3600)
    minute, second = divmod(rem, 60)
    return date.year, date.month, date.day, hour, minute, second


class DatetimeClocks:
    """``datetime.datetime.now``/``utcnow``/``today`` and ``datetime.date.today`` on a virtual clock."""

    def __init__(self, time_ns: Callable[[], int]) -> None:
        self._time_ns = time_ns  # the host's CLOCK_REALTIME: its time stand-in's time_ns

    def _from_ns(self, cls: Any, ns: int, tz: Any) -> Any:
        secs, us = divmod(ns // 1000, _US)  # _PyTime_ROUND_FLOOR
        return cls(*_utc_fields(secs), us, tz)

    def now(self, cls: Any, tz: Any = None) -> Any:
        if tz is not None and not isinstance(tz, _dt.tzinfo):
            raise TypeError(
                f"tzinfo argument must be None or of a tzinfo subclass, not type '{type(tz).__name__}'"
            )
        value = self._from_ns(cls, self._time_ns(), tz)
        return value if tz is None else tz.fromutc(value)

    def utcnow(self, cls: Any) -> Any:
        if sys.version_info >= (3, 12):
            warnings.warn(
                "datetime.datetime.utcnow() is deprecated and scheduled for removal in a future "
                "version. Use timezone-aware objects to represent datetimes in UTC: "
                "datetime.datetime.now(datetime.UTC).",
                DeprecationWarning, stacklevel=3,
            )
        return self._from_ns(cls, self._time_ns(), None)

    def today(self, cls: Any) -> Any:
        t = as_seconds_double(self._time_ns())  # time.time()
        if not issubclass(cls, _dt.datetime):
            return cls(*_utc_fields(math.floor(t))[:3])  # date_fromtimestamp: _PyTime_ROUND_FLOOR
        frac, whole = math.modf(t)  # datetime.fromtimestamp: _PyTime_ROUND_HALF_EVEN
        secs, us = int(whole), round(frac * 1e6)
        if us >= _US:
            secs, us = secs + 1, us - _US
        elif us < 0:
            secs, us = secs - 1, us + _US
        return cls(*_utc_fields(secs), us)
