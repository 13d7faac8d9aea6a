"""Pipes under epoll: poll masks and the wake-ups that make EPOLLET edges (spec 11.1, 13.5).

* every write call is an edge for read-end items once the pipe has been polled,
  even with data already buffered;
* the write end is woken only when a read frees a slot of a full pipe;
* the masks are exact: IN|RDNORM for the read end, OUT|WRNORM for the write end,
  never RDHUP or PRI.
"""
from __future__ import annotations

import pytest

from epollsim.testing.backends import Backend

PAGE = 4096


def _pipe(backend: Backend) -> tuple[int, int]:
    return backend.os.pipe2(backend.os.O_NONBLOCK)


def test_empty_pipe_read_end_reports_nothing_write_end_exactly_out(backend: Backend) -> None:
    select = backend.select
    r, w = _pipe(backend)
    ep = select.epoll()
    ep.register(r, select.EPOLLIN | select.EPOLLOUT | select.EPOLLPRI | select.EPOLLRDHUP)
    assert ep.poll(0) == []
    ep.register(w, select.EPOLLIN | select.EPOLLOUT | select.EPOLLPRI | select.EPOLLRDHUP)
    assert ep.poll(0) == [(w, select.EPOLLOUT)]


def test_pipe_masks_include_rdnorm_and_wrnorm_when_asked(backend: Backend) -> None:
    os, select = backend.os, backend.select
    r, w = _pipe(backend)
    ep = select.epoll()
    ep.register(r, 0xFFF)
    ep.register(w, 0xFFF)
    os.write(w, b"x")
    got = dict(ep.poll(0))
    assert got == {r: select.EPOLLIN | select.EPOLLRDNORM, w: select.EPOLLOUT | select.EPOLLWRNORM}


def test_simple_poll_with_edge_triggering(backend: Backend) -> None:
    # epoll-shim pipe-test.c simple_poll.
    select = backend.select
    r, w = _pipe(backend)
    ep = select.epoll()
    ep.register(r, select.EPOLLIN | select.EPOLLET)
    assert ep.poll(0) == []
    ep.register(w, select.EPOLLOUT | select.EPOLLET)
    assert ep.poll(0) == [(w, select.EPOLLOUT)]
    assert ep.poll(0) == []


def test_level_triggered_read_end_reports_until_drained(backend: Backend) -> None:
    os, select = backend.os, backend.select
    r, w = _pipe(backend)
    ep = select.epoll()
    ep.register(r, select.EPOLLIN)
    os.write(w, b"ab")
    assert ep.poll(0) == [(r, select.EPOLLIN)]
    assert ep.poll(0) == [(r, select.EPOLLIN)]
    os.read(r, 1)
    assert ep.poll(0) == [(r, select.EPOLLIN)]
    os.read(r, 1)
    assert ep.poll(0) == []


def test_every_write_is_an_edge_for_a_polled_pipe(backend: Backend) -> None:
    os, select = backend.os, backend.select
    r, w = _pipe(backend)
    ep = select.epoll()
    ep.register(r, select.EPOLLIN | select.EPOLLET)
    for i in range(1, 4):
        os.write(w, b"x")
        assert ep.poll(0) == [(r, select.EPOLLIN)]
        assert ep.poll(0) == []
    assert os.read(r, 10) == b"xxx"


def test_partial_read_is_not_an_edge_for_the_read_end(backend: Backend) -> None:
    # tst-epoll.c: read 1 of 2 bytes, epoll_wait(0) = 0 although poll() says readable.
    os, select = backend.os, backend.select
    r, w = _pipe(backend)
    ep = select.epoll()
    ep.register(r, select.EPOLLIN | select.EPOLLET)
    os.write(w, b"a")
    os.write(w, b"b")
    assert ep.poll(0) == [(r, select.EPOLLIN)]
    os.read(r, 1)
    assert ep.poll(0) == []
    p = select.poll()
    p.register(r, select.POLLIN)
    assert p.poll(0) == [(r, select.POLLIN)]


def test_empty_write_is_not_an_edge(backend: Backend) -> None:
    os, select = backend.os, backend.select
    r, w = _pipe(backend)
    ep = select.epoll()
    ep.register(r, select.EPOLLIN | select.EPOLLET)
    os.write(w, b"x")
    assert ep.poll(0) == [(r, select.EPOLLIN)]
    os.write(w, b"")
    assert ep.poll(0) == []


def test_write_that_fails_with_eagain_is_still_an_edge(backend: Backend) -> None:
    os, select = backend.os, backend.select
    r, w = _pipe(backend)
    ep = select.epoll()
    ep.register(r, select.EPOLLIN | select.EPOLLET)
    os.write(w, b"x" * 65536)
    assert ep.poll(0) == [(r, select.EPOLLIN)]
    assert ep.poll(0) == []
    with pytest.raises(BlockingIOError):
        os.write(w, b"y")
    assert ep.poll(0) == [(r, select.EPOLLIN)]


def test_writes_do_not_wake_the_write_end(backend: Backend) -> None:
    os, select = backend.os, backend.select
    _r, w = _pipe(backend)
    ep = select.epoll()
    ep.register(w, select.EPOLLOUT | select.EPOLLET)
    assert ep.poll(0) == [(w, select.EPOLLOUT)]
    os.write(w, b"x")
    assert ep.poll(0) == []


def test_write_end_edge_only_when_a_full_pipe_frees_a_slot(backend: Backend) -> None:
    os, select = backend.os, backend.select
    r, w = _pipe(backend)
    ep = select.epoll()
    ep.register(w, select.EPOLLOUT | select.EPOLLET)
    assert ep.poll(0) == [(w, select.EPOLLOUT)]
    while True:
        try:
            os.write(w, b"x")
        except BlockingIOError:
            break
    assert ep.poll(0) == []
    os.read(r, 1)
    assert ep.poll(0) == []
    os.read(r, PAGE - 2)
    assert ep.poll(0) == []
    os.read(r, 1)  # the first page is free: full -> not full
    assert ep.poll(0) == [(w, select.EPOLLOUT)]
    os.read(r, PAGE)  # frees another slot, but the pipe was not full
    assert ep.poll(0) == []


def test_reading_from_a_pipe_that_is_not_full_is_no_write_edge(backend: Backend) -> None:
    os, select = backend.os, backend.select
    r, w = _pipe(backend)
    os.write(w, b"x" * (3 * PAGE))
    ep = select.epoll()
    ep.register(w, select.EPOLLOUT | select.EPOLLET)
    assert ep.poll(0) == [(w, select.EPOLLOUT)]
    os.read(r, 3 * PAGE)
    assert ep.poll(0) == []


def test_level_triggered_write_end_silent_while_full(backend: Backend) -> None:
    # LTP epoll_wait01 case 2: a full pipe reports only the read end.
    os, select = backend.os, backend.select
    r, w = _pipe(backend)
    ep = select.epoll()
    ep.register(r, select.EPOLLIN)
    ep.register(w, select.EPOLLOUT)
    assert ep.poll(0, 1) == [(w, select.EPOLLOUT)]
    os.write(w, b"x" * 65536)
    assert ep.poll(0) == [(r, select.EPOLLIN)]
    assert ep.poll(0) == [(r, select.EPOLLIN)]
    os.read(r, 65536)
    assert ep.poll(0) == [(w, select.EPOLLOUT)]


def test_ltp_epoll_wait06_edge_triggered_walk_through(backend: Backend) -> None:
    os, select, fcntl = backend.os, backend.select, backend.fcntl
    r, w = _pipe(backend)
    assert fcntl.fcntl(w, fcntl.F_SETPIPE_SZ, PAGE) == PAGE
    ep = select.epoll()
    ep.register(r, select.EPOLLIN | select.EPOLLET)
    ep.register(w, select.EPOLLOUT | select.EPOLLET)
    assert os.write(w, b"x" * PAGE) == PAGE
    with pytest.raises(BlockingIOError):
        os.write(w, b"x" * PAGE)
    # The write end was queued at ADD, but the harvest re-polls it: full, dropped.
    assert ep.poll(0, 1) == [(r, select.EPOLLIN)]
    assert ep.poll(0, 1) == []
    assert len(os.read(r, PAGE // 2)) == PAGE // 2
    assert ep.poll(0, 1) == []
    assert len(os.read(r, PAGE // 2)) == PAGE // 2
    assert ep.poll(0, 1) == [(w, select.EPOLLOUT)]
    assert ep.poll(0, 1) == []


def test_epoll_wait01_small_write_reports_both_ends(backend: Backend) -> None:
    os, select = backend.os, backend.select
    r, w = _pipe(backend)
    ep = select.epoll()
    ep.register(r, select.EPOLLIN)
    ep.register(w, select.EPOLLOUT)
    os.write(w, b"Testing\0")
    assert sorted(ep.poll(0, 2)) == sorted([(r, select.EPOLLIN), (w, select.EPOLLOUT)])


def test_ltp_epoll_ctl01_write_end_registered_for_in_is_never_readable(backend: Backend) -> None:
    os, select = backend.os, backend.select
    r, w = _pipe(backend)
    ep = select.epoll()
    ep.register(r, select.EPOLLIN)
    ep.register(w, select.EPOLLIN)
    os.write(w, b"test\0")
    assert ep.poll(0) == [(r, select.EPOLLIN)]
    os.read(r, 5)
    ep.modify(w, select.EPOLLOUT)
    os.write(w, b"test\0")
    assert sorted(ep.poll(0)) == sorted([(r, select.EPOLLIN), (w, select.EPOLLOUT)])


def test_raw_epoll_reports_pipe_events_with_data(backend: Backend) -> None:
    sys = backend.sys
    select = backend.select
    r, w = sys.pipe2(0o4000)
    epfd = sys.epoll_create1(0)
    sys.epoll_ctl(epfd, 1, r, select.EPOLLIN | select.EPOLLET, 0x123456789ABCDEF0)
    assert sys.epoll_wait(epfd, 4, 0) == []
    sys.write(w, b"x")
    assert sys.epoll_wait(epfd, 4, 0) == [(select.EPOLLIN, 0x123456789ABCDEF0)]
    sys.write(w, b"y")
    assert sys.epoll_wait(epfd, 4, 0) == [(select.EPOLLIN, 0x123456789ABCDEF0)]
    assert sys.epoll_wait(epfd, 4, 0) == []
    sys.close(epfd)
    sys.close(r)
    sys.close(w)
