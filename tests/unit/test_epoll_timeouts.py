"""Model only: timed waits with nothing ready move the virtual clock by exactly the timeout
(after CPython's rounding), and a wait that could only end by an event that cannot come is a
Deadlock, not a hang."""
from __future__ import annotations

import pytest

from epollsim import Deadlock, Kernel
from epollsim.clock import TIMER_SLACK_NS as SLACK  # every timeout ends 50 us late

MS = 1_000_000


def _quiet_epoll(k: Kernel) -> tuple[object, int]:
    r, _ = k.os.pipe()
    ep = k.select.epoll()
    ep.register(r, k.select.EPOLLIN)
    return ep, r


def test_python_poll_timeout_advances_the_clock_exactly() -> None:
    k = Kernel()
    ep, _ = _quiet_epoll(k)
    t0 = k.now_ns
    assert ep.poll(0.01) == []  # type: ignore[attr-defined]
    assert k.now_ns - t0 == 10 * MS + SLACK


@pytest.mark.parametrize(
    "timeout,expected_ms",
    [(0.0001, 1), (1e-9, 1), (0.0015, 2), (0.001, 1), (1, 1000), (2.5, 2500), (True, 1000), (0, 0), (-0.0001, 0)],
)
def test_python_poll_rounds_the_timeout_up_to_whole_milliseconds(timeout: float, expected_ms: int) -> None:
    k = Kernel()
    ep, _ = _quiet_epoll(k)
    t0 = k.now_ns
    assert ep.poll(timeout) == []  # type: ignore[attr-defined]
    assert k.now_ns - t0 == (expected_ms * MS + SLACK if expected_ms else 0)  # poll(0) does not sleep


def test_raw_epoll_wait_timeout_advances_the_clock_exactly() -> None:
    k = Kernel()
    ep = k.sys.epoll_create1(0)
    t0 = k.now_ns
    assert k.sys.epoll_wait(ep, 4, 25) == []
    assert k.now_ns - t0 == 25 * MS + SLACK
    assert k.sys.epoll_wait(ep, 4, 0) == []
    assert k.now_ns - t0 == 25 * MS + SLACK


def test_ready_item_returns_without_moving_the_clock() -> None:
    k = Kernel()
    ep, _ = _quiet_epoll(k)
    _, w = k.os.pipe()
    ep.register(w, k.select.EPOLLOUT)  # type: ignore[attr-defined]
    t0 = k.now_ns
    assert ep.poll(5) == [(w, k.select.EPOLLOUT)]  # type: ignore[attr-defined]
    assert ep.poll(None) == [(w, k.select.EPOLLOUT)]  # type: ignore[attr-defined]
    assert k.now_ns == t0


@pytest.mark.parametrize("timeout", [None, -1, -0.5, -1000])
def test_python_poll_forever_with_nothing_ready_is_a_deadlock(timeout: float | None) -> None:
    k = Kernel()
    ep, _ = _quiet_epoll(k)
    t0 = k.now_ns
    with pytest.raises(Deadlock) as info:
        ep.poll(timeout)  # type: ignore[attr-defined]
    assert "epoll_wait" in str(info.value)
    assert k.now_ns == t0


@pytest.mark.parametrize("timeout_ms", [-1, -2, -0x80000000])
def test_raw_epoll_wait_forever_with_nothing_ready_is_a_deadlock(timeout_ms: int) -> None:
    k = Kernel()
    ep = k.sys.epoll_create1(0)
    with pytest.raises(Deadlock):
        k.sys.epoll_wait(ep, 1, timeout_ms)


def test_select_poll_timeout_is_milliseconds_rounded_up() -> None:
    k = Kernel()
    r, _ = k.os.pipe()
    p = k.select.poll()
    p.register(r, k.select.POLLIN)
    t0 = k.now_ns
    assert p.poll(10) == []
    assert k.now_ns - t0 == 10 * MS + SLACK
    assert p.poll(0.5) == []
    assert k.now_ns - t0 == 11 * MS + 2 * SLACK
    with pytest.raises(Deadlock):
        p.poll(-1)
    with pytest.raises(Deadlock):
        p.poll(None)


def test_waits_on_the_same_deadline_do_not_move_the_clock_backwards() -> None:
    k = Kernel()
    ep, _ = _quiet_epoll(k)
    for _ in range(3):
        ep.poll(0.003)  # type: ignore[attr-defined]
    assert k.now_ns - Kernel().now_ns == 9 * MS + 3 * SLACK
