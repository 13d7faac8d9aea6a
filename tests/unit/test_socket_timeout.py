"""Model only: a socket call with a positive timeout that nothing can satisfy raises
TimeoutError('timed out') after moving the virtual clock by the timeout (CPython's poll() is
given ceil(timeout in ms)); with no timeout it is a Deadlock, not a hang."""
from __future__ import annotations

import pytest

from epollsim import Deadlock, Kernel
from epollsim.clock import TIMER_SLACK_NS as SLACK  # every timeout ends 50 us late

MS = 1_000_000


def _pair(k: Kernel, timeout: float | None) -> tuple[object, object]:
    a, b = k.socket.socketpair()
    a.settimeout(timeout)
    return a, b


def test_recv_timeout_advances_the_clock_by_the_timeout() -> None:
    k = Kernel()
    a, _peer = _pair(k, 5)
    t0 = k.now_ns
    with pytest.raises(TimeoutError) as info:
        a.recv(10)  # type: ignore[attr-defined]
    assert info.value.args == ("timed out",)
    assert k.now_ns - t0 == 5000 * MS + SLACK


@pytest.mark.parametrize("timeout,expected_ms", [(0.01, 10), (0.0015, 2), (1e-9, 1), (2.5, 2500)])
def test_recv_timeout_is_rounded_up_to_whole_milliseconds(timeout: float, expected_ms: int) -> None:
    k = Kernel()
    a, _peer = _pair(k, timeout)
    t0 = k.now_ns
    with pytest.raises(TimeoutError):
        a.recv(10)  # type: ignore[attr-defined]
    assert k.now_ns - t0 == expected_ms * MS + SLACK


def test_recv_with_data_does_not_move_the_clock() -> None:
    k = Kernel()
    a, b = _pair(k, 5)
    b.send(b"x")  # type: ignore[attr-defined]
    t0 = k.now_ns
    assert a.recv(10) == b"x"  # type: ignore[attr-defined]
    assert k.now_ns == t0


def test_timed_send_on_an_unwritable_socket_times_out() -> None:
    k = Kernel()
    a, _peer = _pair(k, 0.25)
    for _ in range(24):
        a.send(b"x" * 1024)  # type: ignore[attr-defined]
    t0 = k.now_ns
    with pytest.raises(TimeoutError):
        a.send(b"x")  # type: ignore[attr-defined]
    assert k.now_ns - t0 == 250 * MS + SLACK


def test_sendall_has_one_deadline_for_the_whole_buffer() -> None:
    k = Kernel()
    a, _peer = _pair(k, 1)
    t0 = k.now_ns
    with pytest.raises(TimeoutError):
        a.sendall(b"x" * 300000)  # type: ignore[attr-defined]
    assert k.now_ns - t0 == 1000 * MS + SLACK


def test_blocking_recv_with_nothing_to_wake_it_is_a_deadlock() -> None:
    k = Kernel()
    a, _peer = _pair(k, None)
    t0 = k.now_ns
    with pytest.raises(Deadlock, match=r"recv"):
        a.recv(10)  # type: ignore[attr-defined]
    assert k.now_ns == t0


def test_blocking_send_into_a_full_socket_is_a_deadlock() -> None:
    k = Kernel()
    a, _peer = _pair(k, None)
    with pytest.raises(Deadlock, match=r"send"):
        a.sendall(b"x" * 300000)  # type: ignore[attr-defined]


def test_blocking_send_that_fits_partly_does_not_return_a_partial_count() -> None:
    """Linux's blocking send sleeps for memory between buffers; it never returns short."""
    k = Kernel()
    a, _peer = _pair(k, None)
    with pytest.raises(Deadlock):
        a.send(b"x" * 300000)  # type: ignore[attr-defined]


def test_timeouts_do_not_touch_the_clock_for_nonblocking_sockets() -> None:
    k = Kernel()
    a, _peer = _pair(k, 0)
    t0 = k.now_ns
    with pytest.raises(BlockingIOError):
        a.recv(10)  # type: ignore[attr-defined]
    assert k.now_ns == t0
