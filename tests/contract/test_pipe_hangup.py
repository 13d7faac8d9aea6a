"""Closing one end of a pipe: HUP on the read end, ERR on the write end (fs/pipe.c pipe_release).

When the last reader or the last writer goes (not both), both wait queues
are woken with no key, so every item re-polls: the read end reports HUP
(plus IN while data remains), the write end ERR (plus OUT while a slot is
free). HUP and ERR are reported whatever the registered mask. Sources:
gVisor PipeReaderHupAfterWriterClosed / PipeWriterErrAfterReaderClosed,
epoll-shim pipe-test.c, LTP epoll_wait11/12. Also select.poll's masks.
"""
from __future__ import annotations

import pytest

from epollsim.testing.backends import Backend

PAGE = 4096


def _pipe(backend: Backend) -> tuple[int, int]:
    return backend.os.pipe2(backend.os.O_NONBLOCK)


def _fill_by_one_byte_writes(backend: Backend, w: int) -> None:
    while True:
        try:
            backend.os.write(w, b"x")
        except BlockingIOError:
            return


def test_read_end_registered_with_no_events_gets_exactly_hup(backend: Backend) -> None:
    os, select = backend.os, backend.select
    r, w = _pipe(backend)
    ep = select.epoll()
    ep.register(r, 0)
    assert ep.poll(0) == []
    os.close(w)
    assert ep.poll(0) == [(r, select.EPOLLHUP)]
    assert ep.poll(0) == [(r, select.EPOLLHUP)]  # level-triggered: stays


def test_write_end_registered_for_err_gets_exactly_err(backend: Backend) -> None:
    os, select = backend.os, backend.select
    r, w = _pipe(backend)
    ep = select.epoll()
    ep.register(w, select.EPOLLERR)
    assert ep.poll(0) == []
    os.close(r)
    assert ep.poll(0) == [(w, select.EPOLLERR)]


def test_empty_pipe_read_end_gets_hup_without_in_or_rdhup(backend: Backend) -> None:
    # epoll-shim no_epollin_on_closed_empty_pipe.
    os, select = backend.os, backend.select
    r, w = _pipe(backend)
    ep = select.epoll()
    ep.register(r, select.EPOLLIN | select.EPOLLRDHUP)
    os.close(w)
    assert ep.poll(0) == [(r, select.EPOLLHUP)]


def test_read_end_with_data_gets_in_and_hup_then_hup_after_drain(backend: Backend) -> None:
    os, select = backend.os, backend.select
    r, w = _pipe(backend)
    ep = select.epoll()
    ep.register(r, select.EPOLLIN | select.EPOLLRDHUP)
    os.write(w, b"x")
    os.close(w)
    assert ep.poll(0) == [(r, select.EPOLLIN | select.EPOLLHUP)]
    assert os.read(r, 10) == b"x"
    assert ep.poll(0) == [(r, select.EPOLLHUP)]
    assert os.read(r, 10) == b""


def test_writer_close_is_an_edge_for_an_edge_triggered_read_end(backend: Backend) -> None:
    os, select = backend.os, backend.select
    r, w = _pipe(backend)
    ep = select.epoll()
    ep.register(r, select.EPOLLIN | select.EPOLLET)
    os.write(w, b"x")
    assert ep.poll(0) == [(r, select.EPOLLIN)]
    assert ep.poll(0) == []
    os.close(w)
    assert ep.poll(0) == [(r, select.EPOLLIN | select.EPOLLHUP)]
    assert ep.poll(0) == []


def test_write_end_of_empty_pipe_gets_out_and_err_after_reader_close(backend: Backend) -> None:
    # epoll-shim poll_write_end_after_read_end_close.
    os, select = backend.os, backend.select
    r, w = _pipe(backend)
    ep = select.epoll()
    ep.register(w, select.EPOLLOUT | select.EPOLLET)
    assert ep.poll(0) == [(w, select.EPOLLOUT)]
    os.close(r)
    assert ep.poll(0) == [(w, select.EPOLLOUT | select.EPOLLERR)]
    assert ep.poll(0) == []


def test_write_end_after_512_bytes_and_reader_close_gets_out_and_err(backend: Backend) -> None:
    # epoll-shim epollerr_on_closed_pipe.
    os, select = backend.os, backend.select
    r, w = _pipe(backend)
    ep = select.epoll()
    ep.register(w, select.EPOLLOUT)
    assert ep.poll(0) == [(w, select.EPOLLOUT)]
    os.write(w, b"x" * 512)
    os.close(r)
    assert ep.poll(0) == [(w, select.EPOLLOUT | select.EPOLLERR)]


@pytest.mark.parametrize("mask_name", ["OUT|ET", "ET"])
def test_full_pipe_write_end_gets_err_alone_after_reader_close(backend: Backend, mask_name: str) -> None:
    # epoll-shim poll_full_write_end_after_read_end_close (and _hup), LTP epoll_wait12.
    os, select = backend.os, backend.select
    mask = {"OUT|ET": select.EPOLLOUT | select.EPOLLET, "ET": select.EPOLLET}[mask_name]
    r, w = _pipe(backend)
    _fill_by_one_byte_writes(backend, w)
    ep = select.epoll()
    ep.register(w, mask)
    assert ep.poll(0) == []
    os.close(r)
    assert ep.poll(0) == [(w, select.EPOLLERR)]
    assert ep.poll(0) == []


@pytest.mark.parametrize("drained, expected_out", [(1, False), (4095, False), (4096, True)])
def test_write_end_of_nearly_full_pipe_after_reader_close(
    backend: Backend, drained: int, expected_out: bool
) -> None:
    # epoll-shim pipe__poll_full_minus_1b / _511b / _512b (in 8-byte units there).
    os, select = backend.os, backend.select
    r, w = _pipe(backend)
    _fill_by_one_byte_writes(backend, w)
    os.read(r, drained)
    ep = select.epoll()
    ep.register(w, select.EPOLLOUT | select.EPOLLET)
    os.close(r)
    want = select.EPOLLERR | (select.EPOLLOUT if expected_out else 0)
    assert ep.poll(0) == [(w, want)]
    assert ep.poll(0) == []


@pytest.mark.parametrize(
    "mask_name, want_name",
    [("IN|OUT|RDHUP|ET", "OUT|ERR"), ("IN|RDHUP|ET", "ERR"), ("ET", "ERR")],
)
def test_write_end_registered_after_reader_closed(backend: Backend, mask_name: str, want_name: str) -> None:
    # epoll-shim closed_read_end: the ADD itself finds the error.
    os, select = backend.os, backend.select

    def bits(name: str) -> int:
        return sum(getattr(select, "EPOLL" + part) for part in name.split("|"))

    r, w = _pipe(backend)
    os.close(r)
    ep = select.epoll()
    ep.register(w, bits(mask_name))
    assert ep.poll(0) == [(w, bits(want_name))]
    assert ep.poll(0) == []


def test_level_triggered_mask_zero_reports_err_on_every_wait(backend: Backend) -> None:
    os, select = backend.os, backend.select
    r, w = _pipe(backend)
    os.close(r)
    ep = select.epoll()
    ep.register(w, 0)
    for _ in range(3):
        assert ep.poll(0) == [(w, select.EPOLLERR)]


@pytest.mark.parametrize(
    "mask_name, want_name",
    [("IN|OUT|RDHUP|ET", "IN|HUP"), ("OUT|ET", "HUP"), ("ET", "HUP")],
)
def test_full_pipe_read_end_registered_after_writer_closed(backend: Backend, mask_name: str, want_name: str) -> None:
    # epoll-shim closed_write_end.
    os, select = backend.os, backend.select

    def bits(name: str) -> int:
        return sum(getattr(select, "EPOLL" + part) for part in name.split("|"))

    r, w = _pipe(backend)
    _fill_by_one_byte_writes(backend, w)
    os.close(w)
    ep = select.epoll()
    ep.register(r, bits(mask_name))
    assert ep.poll(0) == [(r, bits(want_name))]
    assert ep.poll(0) == []


def test_read_end_registered_before_writer_close_gets_in_and_hup(backend: Backend) -> None:
    # epoll-shim closed_write_end_register_before_close.
    os, select = backend.os, backend.select
    r, w = _pipe(backend)
    _fill_by_one_byte_writes(backend, w)
    ep = select.epoll()
    ep.register(r, select.EPOLLIN | select.EPOLLOUT | select.EPOLLRDHUP | select.EPOLLET)
    assert ep.poll(0) == [(r, select.EPOLLIN)]
    os.close(w)
    assert ep.poll(0) == [(r, select.EPOLLIN | select.EPOLLHUP)]
    assert ep.poll(0) == []


def test_closing_a_dup_of_the_write_end_is_not_a_hangup(backend: Backend) -> None:
    os, select = backend.os, backend.select
    r, w = _pipe(backend)
    w2 = os.dup(w)
    ep = select.epoll()
    ep.register(r, 0)
    os.close(w)
    assert ep.poll(0) == []
    os.close(w2)
    assert ep.poll(0) == [(r, select.EPOLLHUP)]


def test_registered_write_end_vanishes_when_closed_and_read_end_hangs_up(backend: Backend) -> None:
    os, select = backend.os, backend.select
    r, w = _pipe(backend)
    ep = select.epoll()
    ep.register(w, select.EPOLLOUT)
    ep.register(r, select.EPOLLIN)
    assert ep.poll(0) == [(w, select.EPOLLOUT)]
    os.close(w)
    assert ep.poll(0) == [(r, select.EPOLLHUP)]


def test_select_poll_masks_of_both_ends(backend: Backend) -> None:
    os, select = backend.os, backend.select
    r, w = _pipe(backend)
    p = select.poll()
    p.register(r, select.POLLIN | select.POLLPRI | select.POLLOUT)
    p.register(w, select.POLLIN | select.POLLPRI | select.POLLOUT)
    assert p.poll(0) == [(w, select.POLLOUT)]
    os.write(w, b"x")
    assert p.poll(0) == [(r, select.POLLIN), (w, select.POLLOUT)]
    q = select.poll()
    q.register(r, select.POLLRDNORM)
    q.register(w, select.POLLWRNORM)
    assert q.poll(0) == [(r, select.POLLRDNORM), (w, select.POLLWRNORM)]


def test_select_poll_full_pipe_write_end_reports_nothing(backend: Backend) -> None:
    os, select = backend.os, backend.select
    _r, w = _pipe(backend)
    os.write(w, b"x" * 65536)
    p = select.poll()
    p.register(w, select.POLLOUT)
    assert p.poll(0) == []


def test_select_poll_reports_hup_and_err_even_when_not_asked(backend: Backend) -> None:
    os, select = backend.os, backend.select
    r, w = _pipe(backend)
    os.write(w, b"x")
    r2, w2 = _pipe(backend)
    os.close(w)
    os.close(r2)
    p = select.poll()
    p.register(r, select.POLLIN)
    p.register(w2, select.POLLOUT)
    assert p.poll(0) == [(r, select.POLLIN | select.POLLHUP), (w2, select.POLLOUT | select.POLLERR)]
    q = select.poll()
    q.register(r, 0)
    q.register(w2, 0)
    assert q.poll(0) == [(r, select.POLLHUP), (w2, select.POLLERR)]


def test_select_poll_of_a_closed_fd_is_pollnval(backend: Backend) -> None:
    os, select = backend.os, backend.select
    r, _w = _pipe(backend)
    p = select.poll()
    p.register(r, select.POLLIN)
    os.close(r)
    assert p.poll(0) == [(r, select.POLLNVAL)]
