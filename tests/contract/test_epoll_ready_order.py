"""The order epoll_wait reports ready items in (linux-epoll.md sections 5, 6.4 and 7).

The ready list is FIFO by the time an item was (last) queued; a level-triggered item that was
reported goes back to the tail (round robin); an item found not ready at harvest is dropped
without using up a slot of ``maxevents``.
"""
from __future__ import annotations

from collections import Counter

from epollsim.testing.backends import Backend


def _pipes(backend: Backend, n: int) -> list[tuple[int, int]]:
    return [backend.os.pipe() for _ in range(n)]


def test_ready_list_is_fifo_by_time_of_readiness(backend: Backend) -> None:
    os, select = backend.os, backend.select
    pipes = _pipes(backend, 4)
    ep = select.epoll()
    for r, _ in pipes:
        ep.register(r, select.EPOLLIN)
    for i in (2, 0, 3, 1):
        os.write(pipes[i][1], b"x")
    assert ep.poll(0) == [(pipes[i][0], select.EPOLLIN) for i in (2, 0, 3, 1)]
    # Level-triggered and all still ready: the same order again.
    assert ep.poll(0) == [(pipes[i][0], select.EPOLLIN) for i in (2, 0, 3, 1)]


def test_a_queued_item_does_not_move_when_it_gets_more_data(backend: Backend) -> None:
    os, select = backend.os, backend.select
    (a, wa), (b, wb) = _pipes(backend, 2)
    ep = select.epoll()
    ep.register(a, select.EPOLLIN)
    ep.register(b, select.EPOLLIN)
    os.write(wa, b"1")
    os.write(wb, b"1")
    os.write(wa, b"2")  # a is already queued: it keeps its place ahead of b
    assert ep.poll(0) == [(a, select.EPOLLIN), (b, select.EPOLLIN)]


def test_round_robin_with_maxevents_one(backend: Backend) -> None:
    os, select = backend.os, backend.select
    pipes = _pipes(backend, 3)
    ep = select.epoll()
    for r, w in pipes:
        ep.register(r, select.EPOLLIN)
        os.write(w, b"x")
    fds = [r for r, _ in pipes]
    got = [ep.poll(0, 1) for _ in range(7)]
    assert got == [[(fds[i % 3], select.EPOLLIN)] for i in range(7)]


def test_round_robin_with_maxevents_two_of_three(backend: Backend) -> None:
    os, select = backend.os, backend.select
    pipes = _pipes(backend, 3)
    ep = select.epoll()
    for r, w in pipes:
        ep.register(r, select.EPOLLIN)
        os.write(w, b"x")
    a, b, c = (r for r, _ in pipes)
    names = {a: "A", b: "B", c: "C"}
    calls = ["".join(names[fd] for fd, _ in ep.poll(0, 2)) for _ in range(4)]
    assert calls == ["AB", "CA", "BC", "AB"]


def test_round_robin_with_maxevents_two_of_four(backend: Backend) -> None:
    os, select = backend.os, backend.select
    pipes = _pipes(backend, 4)
    ep = select.epoll()
    for r, w in pipes:
        ep.register(r, select.EPOLLIN)
        os.write(w, b"x")
    a, b, c, d = (r for r, _ in pipes)
    assert [fd for fd, _ in ep.poll(0, 2)] == [a, b]
    assert [fd for fd, _ in ep.poll(0, 2)] == [c, d]
    assert [fd for fd, _ in ep.poll(0, 2)] == [a, b]


def test_stale_items_do_not_count_against_maxevents(backend: Backend) -> None:
    """LTP epoll_wait13: 13 ready pipes, 5 quiet ones, maxevents 3, drain what is reported."""
    os, select = backend.os, backend.select
    ready = _pipes(backend, 13)
    quiet = _pipes(backend, 5)
    ep = select.epoll()
    for r, _ in ready + quiet:
        ep.register(r, select.EPOLLIN)
    for _, w in ready:
        os.write(w, b"x")
    counts, seen = [], []
    while True:
        events = ep.poll(0, 3)
        if not events:
            break
        counts.append(len(events))
        for fd, mask in events:
            assert mask == select.EPOLLIN
            assert os.read(fd, 1) == b"x"
            seen.append(fd)
    assert counts == [3, 3, 3, 3, 1]
    assert seen == [r for r, _ in ready]  # FIFO, no pipe twice, no quiet pipe


def test_round_robin_reports_every_ready_fd_equally(backend: Backend) -> None:
    """LTP epoll_wait14: 13 always-ready pipes, maxevents 3, 52 events: each fd 4 times."""
    os, select = backend.os, backend.select
    pipes = _pipes(backend, 13)
    ep = select.epoll()
    for r, w in pipes:
        os.write(w, b"x")
        ep.register(r, select.EPOLLIN)
    order = []
    while len(order) < 52:
        events = ep.poll(0, 3)
        assert len(events) == 3
        order.extend(fd for fd, _ in events)
    fds = [r for r, _ in pipes]
    order = order[:52]
    assert Counter(order) == {fd: 4 for fd in fds}
    assert order == fds * 4  # a strict rotation


def test_items_ready_at_add_are_queued_in_add_order(backend: Backend) -> None:
    _os, select = backend.os, backend.select
    pipes = _pipes(backend, 3)
    ep = select.epoll()
    writers = [pipes[i][1] for i in (1, 2, 0)]  # not in fd order
    for w in writers:
        ep.register(w, select.EPOLLOUT)  # a write end is writable at once
    assert ep.poll(0) == [(w, select.EPOLLOUT) for w in writers]


def test_one_write_reports_dups_of_one_file_in_reverse_registration_order(backend: Backend) -> None:
    """Hooks are added at the head of the pipe's wait queue: the newest registration runs first."""
    os, select = backend.os, backend.select
    r, w = os.pipe()
    d1 = os.dup(r)
    d2 = os.dup(r)
    ep = select.epoll()
    for fd in (r, d1, d2):
        ep.register(fd, select.EPOLLIN)
    assert ep.poll(0) == []
    os.write(w, b"x")
    assert ep.poll(0) == [(d2, select.EPOLLIN), (d1, select.EPOLLIN), (r, select.EPOLLIN)]


def test_dups_already_ready_at_add_are_reported_in_add_order(backend: Backend) -> None:
    os, select = backend.os, backend.select
    r, w = os.pipe()
    os.write(w, b"x")
    d1 = os.dup(r)
    d2 = os.dup(r)
    ep = select.epoll()
    for fd in (d1, r, d2):
        ep.register(fd, select.EPOLLIN)
    assert ep.poll(0) == [(d1, select.EPOLLIN), (r, select.EPOLLIN), (d2, select.EPOLLIN)]


def test_two_pipes_written_b_then_a_are_reported_b_then_a(backend: Backend) -> None:
    os, select = backend.os, backend.select
    (a, wa), (b, wb) = _pipes(backend, 2)
    ep = select.epoll()
    ep.register(a, select.EPOLLIN)
    ep.register(b, select.EPOLLIN)
    os.write(wb, b"x")
    os.write(wa, b"x")
    assert ep.poll(0) == [(b, select.EPOLLIN), (a, select.EPOLLIN)]


def test_last_readable_eventfd_keeps_its_place(backend: Backend) -> None:
    """gVisor LastReadable: three eventfds registered IN|OUT; writing the last one does not move it."""
    os, select = backend.os, backend.select
    efds = [os.eventfd(0) for _ in range(3)]
    ep = select.epoll()
    for fd in efds:
        ep.register(fd, select.EPOLLIN | select.EPOLLOUT)
    os.eventfd_write(efds[2], 1)
    assert ep.poll(0, 3) == [
        (efds[0], select.EPOLLOUT),
        (efds[1], select.EPOLLOUT),
        (efds[2], select.EPOLLIN | select.EPOLLOUT),
    ]


def test_last_non_writable_eventfd(backend: Backend) -> None:
    """gVisor LastNonWritable: a counter at 0xfffffffffffffffe is readable but not writable."""
    os, select = backend.os, backend.select
    efds = [os.eventfd(0) for _ in range(3)]
    ep = select.epoll()
    for fd in efds:
        ep.register(fd, select.EPOLLIN | select.EPOLLOUT)
    os.eventfd_write(efds[2], 0xFFFFFFFFFFFFFFFE)
    assert ep.poll(0, 3) == [
        (efds[0], select.EPOLLOUT),
        (efds[1], select.EPOLLOUT),
        (efds[2], select.EPOLLIN),
    ]
    assert os.eventfd_read(efds[2]) == 0xFFFFFFFFFFFFFFFE
    assert ep.poll(0, 3) == [(fd, select.EPOLLOUT) for fd in efds]


def test_stale_write_end_is_dropped_and_read_end_reported(backend: Backend) -> None:
    """LTP epoll_wait01: the three cases, with a non-blocking pipe so nothing can block."""
    os, select = backend.os, backend.select
    r, w = os.pipe2(os.O_NONBLOCK)
    ep = select.epoll()
    ep.register(r, select.EPOLLIN)
    ep.register(w, select.EPOLLOUT)
    # Case 1: only the write end is ready.
    assert ep.poll(0, 1) == [(w, select.EPOLLOUT)]
    # Case 2: fill the pipe. The ready list is [w (stale), r]: w is dropped, r reported.
    filled = 0
    while True:
        try:
            filled += os.write(w, b"x" * 4096)
        except BlockingIOError:
            break
    assert filled == 65536
    assert ep.poll(0, 1) == [(r, select.EPOLLIN)]
    assert ep.poll(0) == [(r, select.EPOLLIN)]  # w was really dropped
    while filled:
        filled -= len(os.read(r, 4096))
    # Case 3: a small write makes both ends ready.
    os.write(w, b"Testing")
    assert sorted(ep.poll(0, 2)) == sorted([(r, select.EPOLLIN), (w, select.EPOLLOUT)])


def test_harvest_order_after_reads_free_the_full_pipe(backend: Backend) -> None:
    """Draining a full pipe queues the write end behind the (stale) read end."""
    os, select = backend.os, backend.select
    r, w = os.pipe2(os.O_NONBLOCK)
    ep = select.epoll()
    ep.register(r, select.EPOLLIN)
    ep.register(w, select.EPOLLOUT)
    ep.poll(0)
    os.write(w, b"x" * 65536)
    assert ep.poll(0) == [(r, select.EPOLLIN)]
    os.read(r, 65536)
    os.write(w, b"y")
    assert ep.poll(0) == [(r, select.EPOLLIN), (w, select.EPOLLOUT)]
