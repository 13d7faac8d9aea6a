"""Blocking calls woken by another thread, on both backends (phases 50 ms apart, so the real
kernel's timing is robust)."""
from __future__ import annotations

from typing import Any

from epollsim.testing.backends import Backend

PHASE = 0.05


def _start(backend: Backend, fn: Any) -> Any:
    t = backend.threading.Thread(target=fn)
    t.start()
    return t


def test_blocked_reader_is_woken_by_a_write(backend: Backend) -> None:
    os = backend.os
    r, w = os.pipe()
    got: list[bytes] = []
    t = _start(backend, lambda: got.append(os.read(r, 100)))
    backend.time.sleep(PHASE)
    assert got == []  # still blocked
    os.write(w, b"hello")
    t.join()
    assert got == [b"hello"]


def test_two_level_triggered_waiters_both_wake_on_one_write(backend: Backend) -> None:
    """Kernel selftest epoll64: the harvest that re-queues an LT item wakes the next sleeper."""
    a, b = backend.socket.socketpair()
    ep = backend.select.epoll()
    ep.register(a.fileno(), backend.select.EPOLLIN)
    results: list[list[Any]] = []
    threads = [_start(backend, lambda: results.append(ep.poll(5))) for _ in range(2)]
    backend.time.sleep(PHASE)
    b.send(b"w")
    for t in threads:
        t.join()
    assert results == [[(a.fileno(), backend.select.EPOLLIN)]] * 2


def test_one_edge_triggered_event_wakes_one_waiter(backend: Backend) -> None:
    """Kernel selftest epoll10, with the second waiter's timeout in place of SIGUSR1."""
    a, b = backend.socket.socketpair()
    ep = backend.select.epoll()
    ep.register(a.fileno(), backend.select.EPOLLIN | backend.select.EPOLLET)
    results: list[int] = []
    threads = [_start(backend, lambda: results.append(len(ep.poll(4 * PHASE)))) for _ in range(2)]
    backend.time.sleep(PHASE)
    b.send(b"w")
    for t in threads:
        t.join()
    assert sorted(results) == [0, 1]


def test_closing_the_fd_does_not_end_a_blocked_read(backend: Backend) -> None:
    """A blocked reader holds its description: close(fd) by another thread neither wakes it
    nor takes the reader away, so a later write still reaches it."""
    os = backend.os
    r, w = os.pipe()
    got: list[bytes] = []
    t = _start(backend, lambda: got.append(os.read(r, 100)))
    backend.time.sleep(PHASE)
    os.close(r)
    backend.time.sleep(PHASE)
    assert got == []
    assert os.write(w, b"x") == 1  # no EPIPE: the sleeping reader still counts
    t.join()
    assert got == [b"x"]


def test_epollexclusive_wakes_one_of_two_epolls_with_sleepers(backend: Backend) -> None:
    """LTP epoll_wait16's rule (spec 4.5): one write reaches the sleepers of only one of the
    epolls that hold an EPOLLEXCLUSIVE interest on the pipe."""
    os, sel = backend.os, backend.select
    r, w = os.pipe2(os.O_NONBLOCK)
    eps = [sel.epoll(), sel.epoll()]
    for ep in eps:
        ep.register(r, sel.EPOLLIN | sel.EPOLLET | sel.EPOLLEXCLUSIVE)
    woken: list[int] = []
    threads = [_start(backend, lambda ep=ep: woken.append(len(ep.poll(4 * PHASE)))) for ep in eps]
    backend.time.sleep(PHASE)
    os.write(w, b"x")
    for t in threads:
        t.join()
    assert sorted(woken) == [0, 1]


def test_without_epollexclusive_every_epoll_wakes(backend: Backend) -> None:
    os, sel = backend.os, backend.select
    r, w = os.pipe2(os.O_NONBLOCK)
    eps = [sel.epoll(), sel.epoll()]
    for ep in eps:
        ep.register(r, sel.EPOLLIN | sel.EPOLLET)
    woken: list[int] = []
    threads = [_start(backend, lambda ep=ep: woken.append(len(ep.poll(4 * PHASE)))) for ep in eps]
    backend.time.sleep(PHASE)
    os.write(w, b"x")
    for t in threads:
        t.join()
    assert woken == [1, 1]


def test_a_timed_wait_with_nothing_ready_returns_empty_after_the_timeout(backend: Backend) -> None:
    r, _w = backend.os.pipe()
    ep = backend.select.epoll()
    ep.register(r, backend.select.EPOLLIN)
    t0 = backend.time.monotonic_ns()
    assert ep.poll(PHASE) == []
    assert backend.time.monotonic_ns() - t0 >= PHASE * 1_000_000_000
