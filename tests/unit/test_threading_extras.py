"""k.threading's local, Timer and friends on the model: virtual time, green-thread switches in
the middle of an attribute access, and values released when their thread ends."""
from __future__ import annotations

import gc
import weakref
from typing import Any

import pytest

import epollsim
from epollsim import Kernel
from epollsim.clock import TIMER_SLACK_NS as SLACK  # every timeout ends 50 us late

S = 1_000_000_000


class Value:
    """Something a weak reference can watch."""


def test_a_timer_fires_exactly_at_its_interval_on_virtual_time() -> None:
    k = Kernel()
    fired: list[int] = []
    t0 = k.now_ns
    timer = k.threading.Timer(2.5, lambda: fired.append(k.now_ns - t0))
    timer.start()
    timer.join()
    assert fired == [int(2.5 * S) + SLACK]  # Event.wait's futex timer slack


def test_a_timer_cancelled_halfway_ends_at_once_without_calling() -> None:
    k = Kernel()
    fired: list[int] = []
    timer = k.threading.Timer(3600, fired.append, args=[1])
    timer.start()
    k.time.sleep(1)
    timer.cancel()
    t0 = k.now_ns
    timer.join()
    assert fired == [] and k.now_ns == t0  # the hour never passed


def test_a_threads_local_values_are_released_when_it_ends() -> None:
    k = Kernel()
    data = k.threading.local()
    refs: list[weakref.ref[Value]] = []
    release = k.threading.Event()

    def worker() -> None:
        data.value = Value()
        refs.append(weakref.ref(data.value))
        release.wait()

    t = k.threading.Thread(target=worker)
    t.start()
    k.time.sleep(1)
    assert refs[0]() is not None  # alive while the thread runs
    release.set()
    t.join()
    assert refs[0]() is None


def test_a_locals_values_are_released_with_the_local() -> None:
    k = Kernel()
    data = k.threading.local()
    data.value = Value()
    ref = weakref.ref(data.value)
    del data
    gc.collect()
    assert ref() is None


def test_a_property_that_blocks_still_sees_its_own_threads_attributes() -> None:
    """Green threads switch inside the property; each access installs the right thread's dict."""
    k = Kernel()

    class Slow(k.threading.local):  # type: ignore[name-defined,misc]
        def __init__(self) -> None:
            self.name = k.threading.current_thread().name

        @property
        def slow_name(self) -> str:
            k.time.sleep(0.1)  # another thread runs, and reads its own attributes, meanwhile
            return str(self.name)

    data = Slow()
    got: list[tuple[str, str]] = []

    def read() -> None:
        got.append((k.threading.current_thread().name, data.slow_name))

    threads = [k.threading.Thread(target=read, name=f"t{i}") for i in range(3)]
    for t in threads:
        t.start()
    read()
    for t in threads:
        t.join()
    assert sorted(got) == [("MainThread", "MainThread"), ("t0", "t0"), ("t1", "t1"), ("t2", "t2")]


def test_unmodelled_threading_names_fail_loudly() -> None:
    k = Kernel()
    with pytest.raises(epollsim.Unsupported, match="^threading.settrace is not modelled by epollsim$"):
        k.threading.settrace  # noqa: B018
    with pytest.raises(AttributeError):
        k.threading.no_such_name  # noqa: B018


def test_an_uncaught_exception_in_a_thread_lets_the_others_run(capsys: pytest.CaptureFixture[str]) -> None:
    k = Kernel()
    order: list[Any] = []

    def boom() -> None:
        order.append("boom")
        raise ValueError("boom")

    t = k.threading.Thread(target=boom, name="b")
    t.start()
    t.join()
    order.append(k.threading.active_count())
    assert order == ["boom", 1]
    assert "Exception in thread b:" in capsys.readouterr().err
