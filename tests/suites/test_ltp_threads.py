"""LTP epoll_wait02, 11, 12, 15 and 16 (spec 12.3): the cases that block, on both backends.

LTP's forked children become threads. A child's own references to the parent's files (what fork
gives it) are dup()s made before it starts, so the parent closing its fds leaves the open file
descriptions alive through the child's, as after fork. Phases are 50 ms apart."""
from __future__ import annotations

import errno
import os as _os
from typing import Any

import pytest

from epollsim.clock import TIMER_SLACK_NS as SLACK  # every timeout ends 50 us late
from epollsim.testing.backends import Backend

EPOLLIN, EPOLLOUT, EPOLLERR, EPOLLHUP = 0x1, 0x4, 0x8, 0x10
EPOLLEXCLUSIVE, EPOLLET = 1 << 28, 1 << 31
ADD = 1
O_NONBLOCK = _os.O_NONBLOCK
PHASE = 0.05
NS = 1_000_000_000


def _start(backend: Backend, fn: Any, *args: Any) -> Any:
    t = backend.threading.Thread(target=fn, args=args)
    t.start()
    return t


def _fill(backend: Backend, w: int) -> int:
    """Write to a non-blocking pipe until it is full; how many bytes went in."""
    total = 0
    while True:
        try:
            total += backend.sys.write(w, b"x" * 4096)
        except OSError as exc:
            assert exc.errno == errno.EAGAIN
            return total


@pytest.mark.parametrize("timeout_ms", [1, 10, 50])
def test_ltp_epoll_wait02_nothing_ready_returns_zero_after_the_timeout(backend: Backend, timeout_ms: int) -> None:
    """LTP epoll_wait02: never early; on the model, exactly on time."""
    sys = backend.sys
    r, _w = sys.pipe2(0)
    ep = sys.epoll_create(1)
    sys.epoll_ctl(ep, ADD, r, EPOLLIN, r)
    t0 = backend.time.monotonic_ns()
    assert sys.epoll_wait(ep, 1, timeout_ms) == []
    elapsed = backend.time.monotonic_ns() - t0
    assert elapsed >= timeout_ms * 1_000_000
    if backend.is_model:
        assert elapsed == timeout_ms * 1_000_000 + SLACK


def test_ltp_epoll_wait11_a_blocked_waiter_gets_hup_when_the_last_writer_goes(backend: Backend) -> None:
    """LTP epoll_wait11: the parent closes the write end, the read end and the epoll; the child,
    blocked in epoll_wait on its own reference, gets EPOLLHUP with the read end's data."""
    sys = backend.sys
    r, w = sys.pipe2(0)
    ep = sys.epoll_create(1)
    sys.epoll_ctl(ep, ADD, r, EPOLLIN, r)
    child_r, child_ep = sys.dup(r), sys.dup(ep)  # what fork would have given the child
    got: list[list[tuple[int, int]]] = []
    t = _start(backend, lambda: got.append(sys.epoll_wait(child_ep, 1, 5000)))
    backend.time.sleep(PHASE)
    assert got == []
    for fd in (w, r, ep):
        sys.close(fd)
    t.join()
    assert got == [[(EPOLLHUP, r)]]
    sys.close(child_r)


def test_ltp_epoll_wait12_a_blocked_waiter_gets_err_when_the_last_reader_goes(backend: Backend) -> None:
    """LTP epoll_wait12: a full pipe's write end; the last reader's close reports EPOLLERR only
    (the pipe is still full, so no EPOLLOUT)."""
    sys = backend.sys
    r, w = sys.pipe2(O_NONBLOCK)
    assert _fill(backend, w) == 65536
    ep = sys.epoll_create(1)
    sys.epoll_ctl(ep, ADD, w, EPOLLOUT, w)
    child_w, child_ep = sys.dup(w), sys.dup(ep)
    got: list[list[tuple[int, int]]] = []
    t = _start(backend, lambda: got.append(sys.epoll_wait(child_ep, 1, 5000)))
    backend.time.sleep(PHASE)
    assert got == []
    for fd in (r, w, ep):
        sys.close(fd)
    t.join()
    assert got == [[(EPOLLERR, w)]]
    sys.close(child_w)


def test_ltp_epoll_wait15_one_write_wakes_a_sleeper_in_every_epoll(backend: Backend) -> None:
    """LTP epoll_wait15: eight epolls, each with the pipe's read end EPOLLIN|EPOLLET and one
    sleeper: one write wakes all eight."""
    sys = backend.sys
    r, w = sys.pipe2(O_NONBLOCK)
    results: list[int] = []

    def child() -> None:
        ep = sys.epoll_create1(0)
        sys.epoll_ctl(ep, ADD, r, EPOLLIN | EPOLLET, r)
        results.append(len(sys.epoll_wait(ep, 1, 2000)))

    threads = [_start(backend, child) for _ in range(8)]
    backend.time.sleep(PHASE)
    assert sys.write(w, b"x") == 1
    for t in threads:
        t.join()
    assert results == [1] * 8


def test_ltp_epoll_wait16_each_write_wakes_exactly_one_exclusive_epoll(backend: Backend) -> None:
    """LTP epoll_wait16: the same eight epolls with EPOLLEXCLUSIVE: each write wakes exactly one
    more sleeper, round after round."""
    sys = backend.sys
    r, w = sys.pipe2(O_NONBLOCK)
    woken: list[int] = []

    def child() -> None:
        ep = sys.epoll_create1(0)
        sys.epoll_ctl(ep, ADD, r, EPOLLIN | EPOLLET | EPOLLEXCLUSIVE, r)
        woken.append(len(sys.epoll_wait(ep, 1, 8000)))

    threads = [_start(backend, child) for _ in range(8)]
    backend.time.sleep(PHASE)
    for round_ in range(1, 9):
        assert sys.write(w, b"x") == 1
        for _ in range(100):  # until one child reports (at most 1 s)
            if len(woken) >= round_:
                break
            backend.time.sleep(0.01)
        backend.time.sleep(PHASE)  # time enough for a second one to show up, if one did
        assert woken == [1] * round_, f"round {round_}"
        assert sys.read(r, 1) == b"x"
    for t in threads:
        t.join()
