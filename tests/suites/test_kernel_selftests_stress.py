"""epoll_wakeup_test.c epoll59, 60, 61 and 65 (spec 12.1) with their threads, on both backends.

The selftest's counts are cut to what keeps the suite fast (its 100000 iterations become a few
hundred), its spin loops on shared counters become Events and Barriers, and its SIGUSR1
"stop" becomes a fixed number of rounds; what each checks is unchanged. epoll61 is also run on
the model with the wake-up and the timeout at the very same instant, under many schedules."""
from __future__ import annotations

import os as _os
from collections import Counter
from typing import Any

import epollsim
from epollsim import Kernel
from epollsim.testing.backends import Backend

from ._kernel_backend import KernelBackend

EPOLLIN, EPOLLERR, EPOLLHUP, EPOLLET = 0x1, 0x8, 0x10, 0x80000000
ADD, MOD = 1, 3
EFD_NONBLOCK = _os.O_NONBLOCK
MS = 0.001


def _u64(value: int) -> bytes:
    return value.to_bytes(8, "little")


def _start(backend: Backend, fn: Any, *args: Any) -> Any:
    t = backend.threading.Thread(target=fn, args=args)
    t.start()
    return t


def test_epoll59_mod_by_another_thread_wakes_the_waiter_every_time(backend: Backend) -> None:
    """A MOD of a ready, unqueued ET item queues a new event and wakes the sleeper (bz 205933).
    Each of the main thread's waits after the first sleeps until the other thread's MOD."""
    rounds = 200
    sys = backend.sys
    ep = sys.epoll_create1(0)
    efd = sys.eventfd2(1, 0)  # always readable
    mask = EPOLLIN | EPOLLERR | EPOLLET
    sys.epoll_ctl(ep, ADD, efd, mask, 0)
    go, done = backend.threading.Event(), backend.threading.Event()

    def modder() -> None:
        for _ in range(rounds):
            if not go.wait(5):
                return
            go.clear()
            sys.epoll_ctl(ep, MOD, efd, mask, 0)
            done.set()

    t = _start(backend, modder)
    for i in range(rounds):
        assert len(sys.epoll_wait(ep, 1, 1000)) == 1, f"wait {i} got nothing"
        if i:
            assert done.wait(5)
            done.clear()
        go.set()
    t.join()


def test_epoll60_n_events_reach_n_distinct_sleepers(backend: Backend) -> None:
    """Ten ET eventfds, ten sleepers: each round's ten writes wake ten distinct sleepers, and each
    gets a different fd (reading it succeeds: no fd is reported twice)."""
    n, rounds = 10, 20
    sys, threading = backend.sys, backend.threading
    ep = sys.epoll_create1(0)
    efds = [sys.eventfd2(0, EFD_NONBLOCK) for _ in range(n)]
    for fd in efds:
        sys.epoll_ctl(ep, ADD, fd, EPOLLIN | EPOLLET, fd)
    counted_in, counted_out = threading.Barrier(n + 1, timeout=10), threading.Barrier(n + 1, timeout=10)
    got: list[int] = []
    errors: list[BaseException] = []

    def waiter() -> None:
        for _ in range(rounds):
            counted_in.wait()
            try:
                events = sys.epoll_pwait(ep, 1, 2000, [])  # the selftest's empty mask
                assert len(events) == 1, events
                fd = events[0][1]
                assert sys.read(fd, 8) == _u64(1)
                got.append(fd)
            except Exception as exc:
                errors.append(exc)
            counted_out.wait()

    threads = [_start(backend, waiter) for _ in range(n)]
    for _ in range(rounds):
        counted_in.wait()
        backend.time.sleep(MS)
        for fd in efds:
            assert sys.write(fd, _u64(1)) == 8
        counted_out.wait()
        assert errors == []
        assert sorted(got) == sorted(efds)
        got.clear()
    for t in threads:
        t.join()


def _epoll61_round(backend: Backend, ep: int, efd: int, a_sleep: float) -> tuple[bool, int]:
    """A writes after ``a_sleep``; B waits 11 ms and passes on what it got; C waits for good.
    Returns (B got the event, how many events C got); C must not be left waiting."""
    sys = backend.sys
    got_b: list[int] = []
    got_c: list[int] = []

    def a() -> None:
        backend.time.sleep(a_sleep)
        sys.write(efd, _u64(1))

    def b() -> None:
        events = sys.epoll_wait(ep, 1, 11)
        got_b.append(len(events))
        if events:
            sys.write(efd, _u64(1))

    def c() -> None:
        got_c.append(len(sys.epoll_wait(ep, 1, 5000)))  # the selftest's -1, bounded

    threads = [_start(backend, fn) for fn in (a, b, c)]
    for t in threads:
        t.join()
    return bool(got_b[0]), got_c[0]


def _epoll61_setup(backend: Backend) -> tuple[int, int]:
    sys = backend.sys
    ep = sys.epoll_create1(0)
    efd = sys.eventfd2(0, EFD_NONBLOCK)
    sys.epoll_ctl(ep, ADD, efd, EPOLLIN | EPOLLET | EPOLLERR | EPOLLHUP, 0)
    return ep, efd


def test_epoll61_a_timeout_racing_a_wake_up_loses_no_event(backend: Backend) -> None:
    """Whether B or C gets A's write, C always ends up with an event: the write reaches B or
    C, and a B that got it writes again. Every thread ends (the selftest's 1000 iterations
    would take 11 s on the real kernel; 10 here, 200 on the model)."""
    ep, efd = _epoll61_setup(backend)
    for _ in range(200 if backend.is_model else 10):
        _b_got_it, c_events = _epoll61_round(backend, ep, efd, 10.95 * MS)
        assert c_events == 1


def test_epoll61_wake_up_and_timeout_at_the_same_instant_under_many_schedules() -> None:
    """On the model the write can land at exactly B's deadline: B, made runnable by its timer
    and picked by the wake-up in the same instant, must still harvest (spec 6.3). Under random
    schedules both ways happen, and C always gets an event."""
    outcomes: Counter[bool] = Counter()

    def program(k: Kernel) -> None:
        backend = KernelBackend(k)
        ep, efd = _epoll61_setup(backend)
        b_got_it, c_events = _epoll61_round(backend, ep, efd, 11 * MS)
        assert c_events == 1
        outcomes[b_got_it] += 1

    result = epollsim.explore(program, seeds=range(200))
    assert result.ok, str(result)
    assert set(outcomes) == {True, False}, outcomes


def test_epoll65_a_ready_level_triggered_eventfd_never_reads_as_not_ready(backend: Backend) -> None:
    """Many threads polling with timeout 0 at once: every call reports the LT eventfd, even while
    another thread's harvest has it off the ready list (the 2025 "false negative" fix)."""
    n, calls = 8, 300
    sys = backend.sys
    ep = sys.epoll_create(1)
    efd = sys.eventfd2(0, 0)
    sys.epoll_ctl(ep, ADD, efd, EPOLLIN, 0)
    assert sys.write(efd, _u64(99)) == 8
    failures: list[int] = []

    def poller() -> None:
        for i in range(calls):
            if len(sys.epoll_wait(ep, 1, 0)) != 1:
                failures.append(i)
            if i % 10 == 0:
                backend.time.sleep(0)  # let the others in (the model never preempts)

    threads = [_start(backend, poller) for _ in range(n)]
    for t in threads:
        t.join()
    assert failures == []
