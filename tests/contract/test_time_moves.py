"""Time moves, on both backends: a spin on the clock ends, a busy task under ``wait_for`` times
out, and every wait with a timeout ends at or after its deadline (the model: 50 us of timer
slack after it, clock.TIMER_SLACK_NS; spin.py for what a spin costs)."""
from __future__ import annotations

import asyncio
import time as _wall
from typing import Any

import pytest

from epollsim.testing.backends import Backend


def test_a_spin_on_the_monotonic_clock_ends(backend: Backend) -> None:
    t = backend.time
    wall = _wall.perf_counter()
    deadline = t.monotonic() + 0.05
    spins = 0
    while t.monotonic() < deadline:
        spins += 1
    assert t.monotonic() >= deadline and spins > 0
    assert _wall.perf_counter() - wall < 1.0


def test_a_spin_on_time_ns_and_perf_counter_ends(backend: Backend) -> None:
    t = backend.time
    wall = _wall.perf_counter()
    end_ns = t.time_ns() + 20_000_000
    while t.time_ns() < end_ns:
        pass
    end = t.perf_counter() + 0.02
    while t.perf_counter() < end:
        pass
    assert _wall.perf_counter() - wall < 1.0


async def _busy_under_wait_for(aio: Any) -> tuple[bool, float]:
    async def busy() -> None:
        while True:
            await aio.sleep(0)

    loop = aio.get_running_loop()
    start = loop.time()
    try:
        await aio.wait_for(busy(), 0.1)
    except aio.TimeoutError:  # TimeoutError itself from 3.11
        return True, loop.time() - start
    return False, loop.time() - start


def test_wait_for_times_out_a_task_that_only_yields(backend: Backend) -> None:
    wall = _wall.perf_counter()
    timed_out, elapsed = backend.asyncio.run(_busy_under_wait_for(asyncio))
    assert timed_out and 0.1 <= elapsed < 0.5
    assert _wall.perf_counter() - wall < 1.0


@pytest.mark.parametrize("timeout", [0.3, 0.001, 0.0123])
def test_elapsed_after_a_sleep_is_at_least_the_sleep(backend: Backend, timeout: float) -> None:
    t = backend.time
    t0 = t.monotonic()
    t.sleep(timeout)
    assert t.monotonic() - t0 >= timeout


def test_elapsed_after_timed_out_waits_is_at_least_the_timeout(backend: Backend) -> None:
    t = backend.time
    r, w = backend.os.pipe()
    ep = backend.select.epoll()
    ep.register(r, backend.select.EPOLLIN)
    poller = backend.select.poll()
    poller.register(r, backend.select.POLLIN)
    event = backend.threading.Event()
    lock = backend.threading.Lock()
    lock.acquire()
    waits = [
        (0.02, lambda: ep.poll(0.02)),
        (0.015, lambda: poller.poll(15)),
        (0.01, lambda: backend.select.select([r], [], [], 0.01)),
        (0.01, lambda: event.wait(0.01)),
        (0.01, lambda: lock.acquire(timeout=0.01)),
    ]
    for timeout, wait in waits:
        t0 = t.monotonic()
        result = wait()
        assert not result or result == ([], [], [])
        assert t.monotonic() - t0 >= timeout
    ep.close()
    backend.os.close(r)
    backend.os.close(w)


def test_a_socket_timeout_ends_at_or_after_its_deadline(backend: Backend) -> None:
    a, b = backend.socket.socketpair()
    a.settimeout(0.02)
    t0 = backend.time.monotonic()
    with pytest.raises(TimeoutError):
        a.recv(1)
    assert backend.time.monotonic() - t0 >= 0.02
    a.close()
    b.close()
