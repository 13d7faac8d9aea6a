"""eventfd under epoll and poll: exact masks and edges (fs/eventfd.c eventfd_poll; spec 11.3, 9).

IN while the counter is above 0, OUT while it is below 0xfffffffffffffffe, no
RDNORM/WRNORM bits. Every successful write wakes with EPOLLIN (an edge for IN
items, also when the value is 0), every successful read with EPOLLOUT.
Sources: gVisor epoll.cc, epoll-shim eventfd-ctx-test.c.
"""
from __future__ import annotations

import pytest

from epollsim.testing.backends import Backend

MAX = 0xFFFFFFFFFFFFFFFE


def _efd(backend: Backend, initval: int = 0, semaphore: bool = False) -> int:
    os = backend.os
    flags = os.EFD_NONBLOCK | (os.EFD_SEMAPHORE if semaphore else 0)
    return os.eventfd(initval, flags)


def test_fresh_eventfd_is_exactly_writable(backend: Backend) -> None:
    # gVisor AllWritable.
    select = backend.select
    ep = select.epoll()
    fds = [_efd(backend) for _ in range(3)]
    for fd in fds:
        ep.register(fd, select.EPOLLIN | select.EPOLLOUT)
    assert ep.poll(0) == [(fd, select.EPOLLOUT) for fd in fds]


def test_all_event_bits_asked_still_gives_no_rdnorm_or_wrnorm(backend: Backend) -> None:
    _os, select = backend.os, backend.select
    efd = _efd(backend, 1)
    ep = select.epoll()
    ep.register(efd, 0xFFF | select.EPOLLRDHUP)
    assert ep.poll(0) == [(efd, select.EPOLLIN | select.EPOLLOUT)]


def test_nonzero_counter_is_readable_and_writable(backend: Backend) -> None:
    # gVisor LastReadable.
    os, select = backend.os, backend.select
    fds = [_efd(backend) for _ in range(3)]
    ep = select.epoll()
    for fd in fds:
        ep.register(fd, select.EPOLLIN | select.EPOLLOUT)
    os.eventfd_write(fds[2], 1)
    got = dict(ep.poll(0))
    assert got == {
        fds[0]: select.EPOLLOUT,
        fds[1]: select.EPOLLOUT,
        fds[2]: select.EPOLLIN | select.EPOLLOUT,
    }


def test_counter_at_maximum_is_exactly_readable(backend: Backend) -> None:
    # gVisor LastNonWritable.
    os, select = backend.os, backend.select
    fds = [_efd(backend) for _ in range(3)]
    ep = select.epoll()
    for fd in fds:
        ep.register(fd, select.EPOLLIN | select.EPOLLOUT)
    os.eventfd_write(fds[2], MAX)
    assert dict(ep.poll(0)) == {fds[0]: select.EPOLLOUT, fds[1]: select.EPOLLOUT, fds[2]: select.EPOLLIN}
    assert os.eventfd_read(fds[2]) == MAX
    assert dict(ep.poll(0)) == {fd: select.EPOLLOUT for fd in fds}


@pytest.mark.parametrize("counter", [0, 1, 0xFFFFFFFF, MAX - 1])
def test_eventfd_is_writable_below_the_maximum(backend: Backend, counter: int) -> None:
    # eventfd-ctx-test.c pollout.
    os, select = backend.os, backend.select
    efd = _efd(backend)
    if counter:
        os.eventfd_write(efd, counter)
    p = select.poll()
    p.register(efd, select.POLLOUT)
    assert p.poll(0) == [(efd, select.POLLOUT)]


def test_pollin_only_when_counter_is_positive(backend: Backend) -> None:
    # eventfd-ctx-test.c pollin.
    os, select = backend.os, backend.select
    efd = _efd(backend)
    p = select.poll()
    p.register(efd, select.POLLIN)
    assert p.poll(0) == []
    os.eventfd_write(efd, 1)
    assert p.poll(0) == [(efd, select.POLLIN)]
    q = select.poll()
    q.register(efd, select.POLLIN | select.POLLOUT | select.POLLPRI | select.POLLRDNORM)
    assert q.poll(0) == [(efd, select.POLLIN | select.POLLOUT)]


def test_eventfd_ctx_epoll_walk_through(backend: Backend) -> None:
    # eventfd-ctx-test.c epoll.
    os, select = backend.os, backend.select
    efd = _efd(backend)
    ep = select.epoll()
    ep.register(efd, select.EPOLLIN | select.EPOLLET)
    assert ep.poll(0) == []
    os.eventfd_write(efd, 3)
    assert ep.poll(0) == [(efd, select.EPOLLIN)]
    assert ep.poll(0) == []
    assert os.eventfd_read(efd) == 3
    assert ep.poll(0) == []
    ep.modify(efd, select.EPOLLOUT)
    assert ep.poll(0) == [(efd, select.EPOLLOUT)]
    os.eventfd_write(efd, 0xFFFFFFFFFFFFFFFD)
    assert ep.poll(0) == [(efd, select.EPOLLOUT)]
    os.eventfd_write(efd, 1)
    assert ep.poll(0) == []


def test_every_write_is_an_epollin_edge(backend: Backend) -> None:
    os, select = backend.os, backend.select
    efd = _efd(backend)
    ep = select.epoll()
    ep.register(efd, select.EPOLLIN | select.EPOLLET)
    for value in (1, 1, 5):
        os.eventfd_write(efd, value)
        assert ep.poll(0) == [(efd, select.EPOLLIN)]
        assert ep.poll(0) == []
    os.eventfd_write(efd, 0)  # adding 0 still wakes the readers
    assert ep.poll(0) == [(efd, select.EPOLLIN)]


def test_write_of_zero_to_a_zero_counter_wakes_but_reports_nothing(backend: Backend) -> None:
    os, select = backend.os, backend.select
    efd = _efd(backend)
    ep = select.epoll()
    ep.register(efd, select.EPOLLIN | select.EPOLLET)
    os.eventfd_write(efd, 0)
    assert ep.poll(0) == []


def test_every_read_is_an_epollout_edge(backend: Backend) -> None:
    os, select = backend.os, backend.select
    efd = _efd(backend, 5, semaphore=True)
    ep = select.epoll()
    ep.register(efd, select.EPOLLOUT | select.EPOLLET)
    assert ep.poll(0) == [(efd, select.EPOLLOUT)]
    assert ep.poll(0) == []
    for _ in range(2):
        assert os.eventfd_read(efd) == 1
        assert ep.poll(0) == [(efd, select.EPOLLOUT)]
        assert ep.poll(0) == []


def test_epollout_only_item_ignores_writes(backend: Backend) -> None:
    os, select = backend.os, backend.select
    efd = _efd(backend)
    ep = select.epoll()
    ep.register(efd, select.EPOLLOUT | select.EPOLLET)
    assert ep.poll(0) == [(efd, select.EPOLLOUT)]
    os.eventfd_write(efd, 1)
    assert ep.poll(0) == []


def test_failed_read_and_write_are_not_edges(backend: Backend) -> None:
    os, select = backend.os, backend.select
    efd = _efd(backend)
    ep = select.epoll()
    ep.register(efd, select.EPOLLIN | select.EPOLLOUT | select.EPOLLET)
    assert ep.poll(0) == [(efd, select.EPOLLOUT)]
    with pytest.raises(BlockingIOError):
        os.eventfd_read(efd)
    assert ep.poll(0) == []
    os.eventfd_write(efd, MAX)
    assert ep.poll(0) == [(efd, select.EPOLLIN)]
    with pytest.raises(BlockingIOError):
        os.eventfd_write(efd, 1)
    with pytest.raises(OSError):
        os.write(efd, b"\0" * 4)
    assert ep.poll(0) == []


def test_gvisor_edge_triggered_out_sequence(backend: Backend) -> None:
    # gVisor EdgeTriggered: 1; 0; write/read back the maximum; 1; 0.
    os, select = backend.os, backend.select
    efd = _efd(backend)
    ep = select.epoll()
    ep.register(efd, select.EPOLLOUT | select.EPOLLET)
    assert len(ep.poll(0)) == 1
    assert ep.poll(0) == []
    os.eventfd_write(efd, MAX)
    assert os.eventfd_read(efd) == MAX
    assert ep.poll(0) == [(efd, select.EPOLLOUT)]
    assert ep.poll(0) == []


def test_gvisor_oneshot_and_edge_triggered(backend: Backend) -> None:
    os, select = backend.os, backend.select
    efd = _efd(backend)
    ep = select.epoll()
    ep.register(efd, select.EPOLLOUT | select.EPOLLET | select.EPOLLONESHOT)
    assert len(ep.poll(0)) == 1
    assert ep.poll(0) == []
    os.eventfd_write(efd, MAX)
    assert os.eventfd_read(efd) == MAX
    assert ep.poll(0) == []


def test_closing_a_registered_eventfd_reports_nothing(backend: Backend) -> None:
    # gVisor CloseFile; spec 9: the item goes before the release's HUP wake-up.
    os, select = backend.os, backend.select
    efd = _efd(backend)
    ep = select.epoll()
    ep.register(efd, select.EPOLLOUT)
    assert ep.poll(0) == [(efd, select.EPOLLOUT)]
    os.close(efd)
    assert ep.poll(0) == []


def test_closing_a_registered_eventfd_with_hup_asked_reports_nothing(backend: Backend) -> None:
    os, select = backend.os, backend.select
    efd = _efd(backend)
    other = _efd(backend, 1)
    ep = select.epoll()
    ep.register(efd, select.EPOLLHUP | select.EPOLLET)
    ep.register(other, select.EPOLLIN)
    os.close(efd)
    assert ep.poll(0) == [(other, select.EPOLLIN)]


def test_closing_one_of_two_descriptors_keeps_reporting_under_the_old_number(backend: Backend) -> None:
    os, select = backend.os, backend.select
    efd = _efd(backend)
    dup = os.dup(efd)
    ep = select.epoll()
    ep.register(efd, select.EPOLLIN)
    os.close(efd)
    os.eventfd_write(dup, 1)
    assert ep.poll(0) == [(efd, select.EPOLLIN)]
    os.close(dup)
    assert ep.poll(0) == []


def test_adding_a_nonblocking_eventfd_keeps_its_flags(backend: Backend) -> None:
    # epoll-shim epoll__fcntl_issue49.
    _os, select, fcntl = backend.os, backend.select, backend.fcntl
    efd = _efd(backend)
    before = fcntl.fcntl(efd, fcntl.F_GETFL)
    ep = select.epoll()
    ep.register(efd, select.EPOLLIN)
    assert fcntl.fcntl(efd, fcntl.F_GETFL) == before == 0o2 | 0o4000
