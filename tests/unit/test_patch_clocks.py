"""Under k.patch() every clock is the host's virtual one: every time function and clock id, datetime's
now/utcnow/today and date.today, and real clocks held in class attributes (staticmethods too) and
default arguments; all of it exactly itself again after the patch."""
from __future__ import annotations

import datetime
import importlib
import pickle
import sched
import sys
import textwrap
import time
import types
import warnings
from collections.abc import Iterator
from typing import Any

import pytest

import epollsim
from epollsim.clock import TIMER_SLACK_NS

BOOT = datetime.datetime(2026, 1, 1)  # the simulated machine's wall clock at boot (UTC)
MADE_BEFORE = datetime.datetime(2020, 5, 17, 12, 30)

SLACK = TIMER_SLACK_NS / 1e9  # every sleep ends this late (Linux timer slack)


class Reactor:  # Twisted's style: clocks kept as class attributes when the class is made
    seconds = staticmethod(time.time)
    monotonic = time.monotonic

    def later(self, delay: float, clock: Any = time.monotonic) -> float:
        return clock() + delay


def stamp(clock: Any = time.time, *, fine: Any = time.perf_counter_ns) -> tuple[float, int]:
    return clock(), fine()


@pytest.fixture
def k() -> Iterator[epollsim.Kernel]:
    yield epollsim.Kernel()


def test_every_time_function_reads_the_virtual_clock(k: epollsim.Kernel) -> None:
    with k.patch():
        time.sleep(2.25 - SLACK)  # ends at 1002.25 exactly: a sleep ends 50 us late (timer slack)
        # time() is CPython's _PyTime_AsSecondsDouble: the ns made a double, then divided by 1e9
        mono, wall = 1002.25, 1_767_225_602_250_000_000 / 1e9
        assert wall == 1_767_225_602.2499998 != 1_767_225_602_250_000_000 / 10**9
        assert time.monotonic() == time.perf_counter() == mono
        assert time.monotonic_ns() == time.perf_counter_ns() == 1_002_250_000_000
        assert time.time() == wall and time.time_ns() == 1_767_225_602_250_000_000
        assert time.process_time() == time.thread_time() == 2.25
        assert time.process_time_ns() == time.thread_time_ns() == 2_250_000_000
        for name in ("CLOCK_MONOTONIC", "CLOCK_MONOTONIC_RAW", "CLOCK_BOOTTIME"):
            assert time.clock_gettime(getattr(time, name)) == mono
        for name in ("CLOCK_REALTIME", "CLOCK_TAI"):
            assert time.clock_gettime_ns(getattr(time, name)) == time.time_ns()
        for name in ("CLOCK_PROCESS_CPUTIME_ID", "CLOCK_THREAD_CPUTIME_ID"):
            assert time.clock_gettime_ns(getattr(time, name)) == 2_250_000_000
        assert time.gmtime()[:6] == time.localtime()[:6] == (2026, 1, 1, 0, 0, 2)
        assert time.ctime() == time.asctime() == "Thu Jan  1 00:00:02 2026"
        assert time.strftime("%Y-%m-%d %H:%M:%S") == "2026-01-01 00:00:02"


def test_datetime_reads_the_virtual_wall_clock(k: epollsim.Kernel) -> None:
    plus2 = datetime.timezone(datetime.timedelta(hours=2))
    with k.patch():
        time.sleep(90.0000125 - SLACK)
        assert datetime.datetime.now() == BOOT + datetime.timedelta(seconds=90, microseconds=12)  # floored
        # today() goes through the float time.time(), rounded half-even, as fromtimestamp does
        assert datetime.datetime.today() == BOOT + datetime.timedelta(seconds=90, microseconds=13)
        assert datetime.datetime.today() == datetime.datetime.fromtimestamp(time.time(), datetime.timezone.utc).replace(
            tzinfo=None
        )
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            assert datetime.datetime.utcnow() == datetime.datetime.now()
        assert datetime.date.today() == datetime.date(2026, 1, 1)
        aware = datetime.datetime.now(plus2)
        assert aware.tzinfo is plus2 and aware.hour == 2 and aware == datetime.datetime.now(datetime.timezone.utc)
        time.sleep(86_400)
        assert datetime.date.today() == datetime.date(2026, 1, 2)


def test_datetime_types_stay_themselves(k: epollsim.Kernel) -> None:
    class Stamp(datetime.datetime):
        pass

    class Day(datetime.date):
        pass

    with k.patch():
        now = datetime.datetime.now()
        assert type(now) is datetime.datetime and isinstance(MADE_BEFORE, datetime.datetime)
        assert pickle.loads(pickle.dumps(now)) == now
        assert now - MADE_BEFORE == BOOT - MADE_BEFORE
        assert type(Stamp.now()) is Stamp and type(Stamp.today()) is Stamp and type(Day.today()) is Day
        assert Stamp.now() == now


def test_datetime_errors_and_warnings_are_the_real_ones(k: epollsim.Kernel) -> None:
    def error(fn: Any, *args: Any) -> tuple[type, str]:
        with pytest.raises(Exception) as info:
            fn(*args)
        return type(info.value), str(info.value)

    real = error(datetime.datetime.now, 5)
    with k.patch():
        assert error(datetime.datetime.now, 5) == real
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            datetime.datetime.utcnow()
    if sys.version_info >= (3, 12):
        assert [w.category for w in caught] == [DeprecationWarning] and caught[0].filename == __file__
    else:
        assert caught == []


def test_clocks_held_in_classes_and_defaults_are_virtual(k: epollsim.Kernel) -> None:
    with k.patch():
        time.sleep(5 - SLACK)
        assert Reactor.seconds() == Reactor().seconds() == 1_767_225_605.0
        assert Reactor.monotonic() == Reactor().monotonic() == 1005.0
        assert Reactor().later(1) == 1006.0
        assert stamp() == (1_767_225_605.0, 1_005_000_000_000)
        assert sched.scheduler().timefunc() == 1005.0  # sched's default: from time import monotonic as _time
    assert Reactor.seconds() > 1_767_225_605.0 + 3600  # real time: the machine's clock is past 2026-01-01
    assert vars(Reactor)["seconds"].__func__ is time.time and vars(Reactor)["monotonic"] is time.monotonic
    assert Reactor.later.__defaults__ == (time.monotonic,) and Reactor.later.__defaults__[0] is time.monotonic
    assert stamp.__defaults__[0] is time.time and stamp.__kwdefaults__["fine"] is time.perf_counter_ns  # type: ignore[index]


def test_a_module_imported_inside_gets_the_real_clocks_back(k: epollsim.Kernel, tmp_path: Any) -> None:
    (tmp_path / "late_reactor.py").write_text(textwrap.dedent("""
        import time
        class Reactor:
            seconds = staticmethod(time.time)
        def stamp(clock=time.monotonic):
            return clock()
    """))
    sys.path.insert(0, str(tmp_path))
    try:
        with k.patch():
            late = importlib.import_module("late_reactor")
            assert late.Reactor.seconds() == 1_767_225_600.0 and late.stamp() == 1000.0
        assert vars(late.Reactor)["seconds"].__func__ is time.time
        assert late.stamp.__defaults__[0] is time.monotonic
    finally:
        sys.path.remove(str(tmp_path))
        sys.modules.pop("late_reactor", None)


def test_everything_is_itself_again_after_the_patch(k: epollsim.Kernel) -> None:
    methods = {cls: dict(vars(cls)) for cls in (datetime.datetime, datetime.date)}
    with k.patch():
        assert datetime.datetime.now().year == 2026
    for cls, before in methods.items():
        assert all(vars(cls)[name] is value for name, value in before.items())
    assert abs(datetime.datetime.now().timestamp() - time.time()) < 60
    assert isinstance(datetime.datetime.now, types.BuiltinMethodType)
