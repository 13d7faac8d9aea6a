"""epoll-shim test/pipe-test.c, its Linux expectations, on both backends (spec 12.5)."""
from __future__ import annotations

import os as _os

import pytest

from epollsim.testing.backends import Backend

from ._shim import (
    EPOLLERR,
    EPOLLET,
    EPOLLHUP,
    EPOLLIN,
    EPOLLOUT,
    EPOLLRDHUP,
    F_GETFL,
    O_CLOEXEC,
    O_NONBLOCK,
    PIPE_BUF,
    POLLERR,
    POLLIN,
    POLLOUT,
    _fill_pipe_by_bytes,
    _masks,
    _pipe_ep,
    _revents,
)

# == pipe-test.c ========================================================================


def test_epoll_shim_pipe_simple_poll(backend: Backend) -> None:
    """pipe-test.c pipe__simple_poll."""
    sys = backend.sys
    r, w = sys.pipe2(O_CLOEXEC | O_NONBLOCK)
    assert _revents(backend, r, POLLIN) == 0
    assert _masks(backend, _pipe_ep(backend, r, EPOLLIN | EPOLLET)) == []
    assert _revents(backend, w, POLLOUT) == POLLOUT
    ep = _pipe_ep(backend, w, EPOLLOUT | EPOLLET)
    assert [_masks(backend, ep), _masks(backend, ep)] == [[EPOLLOUT], []]


def test_epoll_shim_pipe_poll_write_end_after_read_end_close(backend: Backend) -> None:
    """pipe-test.c pipe__poll_write_end_after_read_end_close."""
    sys = backend.sys
    r, w = sys.pipe2(O_CLOEXEC | O_NONBLOCK)
    ep = _pipe_ep(backend, w, EPOLLOUT | EPOLLET)
    sys.close(r)
    assert _revents(backend, w, POLLOUT) == POLLOUT | POLLERR
    assert [_masks(backend, ep), _masks(backend, ep)] == [[EPOLLOUT | EPOLLERR], []]


@pytest.mark.parametrize(
    "bytes_read, mask, expected",
    [
        pytest.param(0, EPOLLOUT | EPOLLET, EPOLLERR, id="full"),
        pytest.param(0, EPOLLET, EPOLLERR, id="full_hup"),
        pytest.param(1, EPOLLOUT | EPOLLET, EPOLLERR, id="full_minus_1b"),
        pytest.param(PIPE_BUF - 1, EPOLLOUT | EPOLLET, EPOLLERR, id="full_minus_511b"),
        pytest.param(PIPE_BUF, EPOLLOUT | EPOLLET, EPOLLOUT | EPOLLERR, id="full_minus_512b"),
    ],
)
def test_epoll_shim_pipe_poll_full_write_end_after_read_end_close(
    backend: Backend, bytes_read: int, mask: int, expected: int
) -> None:
    """pipe-test.c pipe__poll_full*_write_end_after_read_end_close (full, _hup, minus 1b/511b/512b)."""
    # Linux's PIPE_BUF is 4096, so the 511b/512b variants read 4095 and 4096 bytes: a pipe
    # filled by 1-byte writes is writable again only once a whole page is free.
    sys = backend.sys
    r, w = sys.pipe2(O_CLOEXEC | O_NONBLOCK)
    assert _fill_pipe_by_bytes(backend, w) == 65536
    for _ in range(bytes_read):
        assert sys.read(r, 1) == b"\0"
    ep = _pipe_ep(backend, w, mask)
    sys.close(r)
    assert _revents(backend, w, mask & POLLOUT) == expected
    assert [_masks(backend, ep), _masks(backend, ep)] == [[expected], []]


def test_epoll_shim_pipe_event_poll(backend: Backend) -> None:
    """pipe-test.c pipe__pipe_event_poll."""
    sys = backend.sys
    r, w = sys.pipe2(O_CLOEXEC | O_NONBLOCK)
    ep = _pipe_ep(backend, w, EPOLLIN | EPOLLOUT | EPOLLET)
    assert _masks(backend, ep) == [EPOLLOUT]
    _fill_pipe_by_bytes(backend, w)
    assert _masks(backend, ep) == []
    for _ in range(PIPE_BUF - 1):
        assert sys.read(r, 1) == b"\0"
    assert _masks(backend, ep) == []  # no page is free yet
    assert sys.read(r, 1) == b"\0"
    assert _masks(backend, ep) == [EPOLLOUT]  # a page was freed in a full pipe
    assert sys.read(r, 1) == b"\0"
    assert _masks(backend, ep) == []
    sys.close(r)
    assert _masks(backend, ep) == [EPOLLOUT | EPOLLERR]


def test_epoll_shim_pipe_fifo_reads_on_anonymous_pipe(backend: Backend) -> None:
    """pipe-test.c pipe__fifo_reads, on an anonymous pipe (the model has no FIFOs)."""
    sys = backend.sys
    r, w = sys.pipe2(O_CLOEXEC | O_NONBLOCK)
    _fill_pipe_by_bytes(backend, w)
    for _ in range(PIPE_BUF + 1):
        assert sys.read(r, 1) == b"\0"
    ep = _pipe_ep(backend, r, EPOLLIN | EPOLLRDHUP | EPOLLET)
    assert _masks(backend, ep) == [EPOLLIN]
    with pytest.raises(BlockingIOError):
        while True:
            sys.read(r, 1)
    assert _masks(backend, ep) == []


def test_epoll_shim_pipe_fifo_read_eof_wakeups_on_anonymous_pipe(backend: Backend) -> None:
    """pipe-test.c pipe__fifo_read_eof_wakeups, on an anonymous pipe (the model has no FIFOs)."""
    sys = backend.sys
    r, w = sys.pipe2(O_CLOEXEC | O_NONBLOCK)
    ep = _pipe_ep(backend, r, EPOLLIN | EPOLLRDHUP | EPOLLET)
    assert _masks(backend, ep) == []
    sys.close(w)
    assert _masks(backend, ep) == [EPOLLHUP]
    assert sys.read(r, 1) == b""  # reading at EOF is no new edge
    assert _masks(backend, ep) == []


def test_epoll_shim_pipe_closed_read_end(backend: Backend) -> None:
    """pipe-test.c pipe__closed_read_end."""
    sys = backend.sys
    r, w = sys.pipe2(O_CLOEXEC | O_NONBLOCK)
    sys.close(r)
    for mask, expected in [
        (EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET, [[EPOLLOUT | EPOLLERR], []]),
        (EPOLLIN | EPOLLRDHUP | EPOLLET, [[EPOLLERR], []]),
        (EPOLLET, [[EPOLLERR], []]),
        (0, [[EPOLLERR]] * 3),  # level-triggered
    ]:
        ep = _pipe_ep(backend, w, mask)
        assert [_masks(backend, ep) for _ in expected] == expected
        sys.close(ep)


def test_epoll_shim_pipe_closed_read_end_register_before_close(backend: Backend) -> None:
    """pipe-test.c pipe__closed_read_end_register_before_close."""
    sys = backend.sys
    r, w = sys.pipe2(O_CLOEXEC | O_NONBLOCK)
    assert backend.fcntl.fcntl(r, F_GETFL) & _os.O_ACCMODE == _os.O_RDONLY
    assert backend.fcntl.fcntl(w, F_GETFL) & _os.O_ACCMODE == _os.O_WRONLY
    ep = _pipe_ep(backend, w, EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET)
    sys.close(r)
    assert _masks(backend, ep) == [EPOLLOUT | EPOLLERR]


def test_epoll_shim_pipe_closed_write_end(backend: Backend) -> None:
    """pipe-test.c pipe__closed_write_end."""
    sys = backend.sys
    r, w = sys.pipe2(O_CLOEXEC | O_NONBLOCK)
    _fill_pipe_by_bytes(backend, w)
    sys.close(w)
    for mask, expected in [
        (EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET, EPOLLIN | EPOLLHUP),
        (EPOLLOUT | EPOLLET, EPOLLHUP),
        (EPOLLET, EPOLLHUP),
    ]:
        ep = _pipe_ep(backend, r, mask)
        assert [_masks(backend, ep), _masks(backend, ep)] == [[expected], []]
        sys.close(ep)


def test_epoll_shim_pipe_closed_write_end_register_before_close(backend: Backend) -> None:
    """pipe-test.c pipe__closed_write_end_register_before_close."""
    sys = backend.sys
    r, w = sys.pipe2(O_CLOEXEC | O_NONBLOCK)
    ep = _pipe_ep(backend, r, EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET)
    _fill_pipe_by_bytes(backend, w)
    sys.close(w)
    assert _masks(backend, ep) == [EPOLLIN | EPOLLHUP]
