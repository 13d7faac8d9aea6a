"""time's clocks beyond the ones timerfds run on: the CPU-time clocks, clock_getres and get_clock_info,
as Linux and CPython give them."""
from __future__ import annotations

import errno

import pytest

from epollsim.testing.backends import Backend

CLOCK_REALTIME_COARSE = 5
CLOCK_MONOTONIC_COARSE = 6


def _errno(fn: object, *args: object) -> int | None:
    try:
        fn(*args)  # type: ignore[operator]
    except OSError as e:
        return e.errno
    return None


def test_clock_getres_of_every_clock(backend: Backend) -> None:
    time = backend.time
    for name in ("CLOCK_REALTIME", "CLOCK_MONOTONIC", "CLOCK_MONOTONIC_RAW", "CLOCK_BOOTTIME", "CLOCK_TAI",
                 "CLOCK_PROCESS_CPUTIME_ID", "CLOCK_THREAD_CPUTIME_ID"):
        assert time.clock_getres(getattr(time, name)) == 1e-09, name
    # The coarse clocks tick with the jiffy: 4 ms on the CI machine (HZ=250).
    assert time.clock_getres(CLOCK_REALTIME_COARSE) == time.clock_getres(CLOCK_MONOTONIC_COARSE) == 0.004


def test_clock_getres_errors(backend: Backend) -> None:
    time = backend.time
    for clk_id in (10, 12, 99):
        assert _errno(time.clock_getres, clk_id) == errno.EINVAL


@pytest.mark.parametrize("name", ["monotonic", "perf_counter", "time", "process_time", "thread_time"])
def test_get_clock_info(backend: Backend, name: str) -> None:
    info = backend.time.get_clock_info(name)
    expected = {
        "monotonic": ("clock_gettime(CLOCK_MONOTONIC)", True, False),
        "perf_counter": ("clock_gettime(CLOCK_MONOTONIC)", True, False),
        "time": ("clock_gettime(CLOCK_REALTIME)", False, True),
        "process_time": ("clock_gettime(CLOCK_PROCESS_CPUTIME_ID)", True, False),
        "thread_time": ("clock_gettime(CLOCK_THREAD_CPUTIME_ID)", True, False),
    }[name]
    assert (info.implementation, info.monotonic, info.adjustable, info.resolution) == (*expected, 1e-09)


def test_get_clock_info_of_an_unknown_clock(backend: Backend) -> None:
    with pytest.raises(ValueError, match="^unknown clock$"):
        backend.time.get_clock_info("sundial")


def test_cpu_time_clocks_never_go_back(backend: Backend) -> None:
    time = backend.time
    for ns, seconds, clk_id in ((time.process_time_ns, time.process_time, time.CLOCK_PROCESS_CPUTIME_ID),
                                (time.thread_time_ns, time.thread_time, time.CLOCK_THREAD_CPUTIME_ID)):
        first = ns()
        assert isinstance(first, int) and first >= 0
        assert isinstance(seconds(), float)
        time.sleep(0.001)
        assert first <= time.clock_gettime_ns(clk_id) <= ns()
        assert isinstance(time.clock_gettime(clk_id), float)
