"""Green threads on the model: virtual time, which sleeper wakes, determinism (deadlock reports:
test_deadlock_report.py)."""
from __future__ import annotations

import time as real_time

import pytest

import epollsim
from epollsim import Kernel
from epollsim.clock import TIMER_SLACK_NS as SLACK  # every timeout ends 50 us late

S = 1_000_000_000


def test_an_hour_of_sleep_costs_no_wall_time() -> None:
    k = Kernel()
    t0, wall = k.time.monotonic_ns(), real_time.perf_counter()
    k.time.sleep(3600)
    assert k.time.monotonic_ns() - t0 == 3600 * S + SLACK
    assert real_time.perf_counter() - wall < 1.0


def test_sleepers_wake_in_deadline_order_and_the_clock_jumps() -> None:
    k = Kernel()
    order: list[tuple[str, int]] = []
    t0 = k.now_ns

    def sleeper(name: str, secs: float) -> None:
        k.time.sleep(secs)
        order.append((name, (k.now_ns - t0) // 1_000_000))

    threads = [k.threading.Thread(target=sleeper, args=(n, s)) for n, s in (("b", 2), ("a", 1), ("c", 3))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert order == [("a", 1000), ("b", 2000), ("c", 3000)]


def test_epoll_wait_sleepers_are_woken_most_recent_first() -> None:
    """spec 6.7: epoll_wait sleepers queue at the head, so wake-one is LIFO (measured on 6.18)."""
    k = Kernel()
    a, b = k.socket.socketpair()
    ep = k.select.epoll()
    ep.register(a.fileno(), k.select.EPOLLIN | k.select.EPOLLET)
    woken: list[str] = []

    def waiter(name: str) -> None:
        ep.poll()
        woken.append(name)

    for name in "ABC":
        k.threading.Thread(target=waiter, args=(name,)).start()
        k.time.sleep(0.01)  # A blocks first, then B, then C
    for _ in range(3):
        b.send(b"x")
        k.time.sleep(0.01)
    assert woken == ["C", "B", "A"]


def test_join_with_a_timeout_gives_up_on_virtual_time() -> None:
    k = Kernel()
    ev = k.threading.Event()
    t = k.threading.Thread(target=ev.wait)
    t.start()
    t0 = k.now_ns
    t.join(timeout=2.5)
    assert t.is_alive() and k.now_ns - t0 == 2_500_000_000 + SLACK
    ev.set()
    t.join()
    assert not t.is_alive()


def test_lock_hands_over_in_arrival_order() -> None:
    k = Kernel()
    lock = k.threading.Lock()
    got: list[int] = []

    def worker(i: int) -> None:
        with lock:
            got.append(i)
            k.time.sleep(0.1)

    lock.acquire()
    threads = [k.threading.Thread(target=worker, args=(i,)) for i in range(3)]
    for t in threads:
        t.start()
    k.time.sleep(0.01)
    lock.release()
    for t in threads:
        t.join()
    assert got == [0, 1, 2]
    assert not lock.acquire(blocking=False) or lock.locked()


def _interleaving(seed: int) -> list[str]:
    k = Kernel(seed, schedule="random")
    trace: list[str] = []

    def worker(name: str) -> None:
        for i in range(3):
            trace.append(f"{name}{i}")
            k.time.sleep(0)  # a switch point

    threads = [k.threading.Thread(target=worker, args=(n,)) for n in "xyz"]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return trace


def test_the_same_seed_gives_the_same_interleaving() -> None:
    assert _interleaving(3) == _interleaving(3)
    assert len({tuple(_interleaving(seed)) for seed in range(20)}) > 1  # seeds do explore


def test_current_thread_and_identities() -> None:
    k = Kernel()
    seen: list[tuple[str, int]] = []
    t = k.threading.Thread(target=lambda: seen.append((k.threading.current_thread().name, k.threading.get_ident())), name="w")
    t.start()
    t.join()
    assert seen == [("w", t.ident)]
    assert k.threading.current_thread().name == "MainThread"
    assert k.threading.main_thread() is k.threading.current_thread()


def test_unknown_schedule_is_refused() -> None:
    with pytest.raises(ValueError, match="schedule must be"):
        epollsim.Kernel(schedule="lifo")


def test_each_thread_has_its_own_running_loop_and_asyncgen_hooks() -> None:
    """python-stdlib.md 1.5: a greenlet switch must swap what asyncio keeps per OS thread."""
    import asyncio.events
    import sys

    k = Kernel()
    seen: list[object] = []
    marker_loop = object()

    def firstiter(agen: object) -> None:
        pass

    def other() -> None:
        seen.append(asyncio.events._get_running_loop())
        seen.append(sys.get_asyncgen_hooks().firstiter)

    asyncio.events._set_running_loop(marker_loop)
    old_hooks = sys.get_asyncgen_hooks()
    sys.set_asyncgen_hooks(firstiter=firstiter)
    try:
        t = k.threading.Thread(target=other)
        t.start()
        t.join()
        assert seen == [None, None]  # the other thread saw neither
        assert asyncio.events._get_running_loop() is marker_loop  # and ours came back
        assert sys.get_asyncgen_hooks().firstiter is firstiter
    finally:
        asyncio.events._set_running_loop(None)
        sys.set_asyncgen_hooks(*old_hooks)
