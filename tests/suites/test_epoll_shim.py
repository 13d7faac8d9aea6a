"""epoll-shim's test suite (jiixyj/epoll-shim, test/), its Linux expectations, on both backends.

epoll-test.c, tst-epoll.c, socketpair-test.c, pipe-test.c and eventfd-ctx-test.c, the
single-threaded cases. Spec: linux-epoll.md 12.5. Raw calls go through ``backend.sys``
(``data`` is the u64 of ``struct epoll_event``, ``events=None`` a NULL pointer). Waits of
-1 on something already ready become 0; waits that must time out take 10 ms.
Not here: TCP, timerfd, signalfd, FIFO and thread cases (the model has none of these yet).
"""
from __future__ import annotations

import errno

import pytest

from epollsim.testing.backends import Backend

from ._shim import (
    ADD,
    AF_UNIX,
    BAD_OP,
    DEL,
    EFD_CLOEXEC,
    EFD_NONBLOCK,
    EP_MAX_EVENTS,
    EPOLL_CLOEXEC,
    EPOLLERR,
    EPOLLET,
    EPOLLHUP,
    EPOLLIN,
    EPOLLONESHOT,
    EPOLLOUT,
    EPOLLRDHUP,
    F_GETFD,
    F_GETFL,
    F_SETFL,
    FD_CLOEXEC,
    MOD,
    O_CLOEXEC,
    O_NONBLOCK,
    O_RDWR,
    POLLIN,
    POLLOUT,
    SHUT_RD,
    SHUT_WR,
    SOCK_NB,
    SOCK_STREAM,
    TIMEOUT_MS,
    _errno,
    _masks,
    _pipe_ep,
    _revents,
)

# == epoll-test.c ======================================================================


def test_epoll_shim_simple(backend: Backend) -> None:
    """epoll-test.c epoll__simple."""
    sys = backend.sys
    sys.close(sys.epoll_create1(EPOLL_CLOEXEC))
    assert _errno(sys.epoll_create, 0) == errno.EINVAL
    assert sys.epoll_create(1) >= 0
    assert _errno(sys.epoll_create1, 42) == errno.EINVAL


def test_epoll_shim_invalid_op(backend: Backend) -> None:
    """epoll-test.c epoll__invalid_op, with Linux >= 6.15's epoll_wait order (EBADF before EINVAL)."""
    sys = backend.sys
    invalid_fd = 0xBEEF
    fd = sys.epoll_create1(EPOLL_CLOEXEC)
    for op in (ADD, DEL, MOD, BAD_OP):
        assert _errno(sys.epoll_ctl, fd, op, fd, EPOLLIN) == errno.EINVAL
    # A NULL event is read first for every op but DEL.
    assert [_errno(sys.epoll_ctl, fd, op, fd, None) for op in (ADD, DEL, MOD, BAD_OP)] == [
        errno.EFAULT, errno.EINVAL, errno.EFAULT, errno.EFAULT]
    sys.close(fd)
    fd = sys.epoll_create1(EPOLL_CLOEXEC)
    for op in (ADD, DEL, MOD, BAD_OP):
        assert _errno(sys.epoll_ctl, fd, op, invalid_fd, EPOLLIN) == errno.EBADF
    assert [_errno(sys.epoll_ctl, fd, op, invalid_fd, None) for op in (ADD, DEL, MOD, BAD_OP)] == [
        errno.EFAULT, errno.EBADF, errno.EFAULT, errno.EFAULT]
    sys.close(fd)
    fd, fd2 = sys.epoll_create1(EPOLL_CLOEXEC), sys.epoll_create1(EPOLL_CLOEXEC)
    assert [_errno(sys.epoll_ctl, fd, op, fd2, EPOLLIN) for op in (DEL, MOD, BAD_OP)] == [
        errno.ENOENT, errno.ENOENT, errno.EINVAL]
    assert [_errno(sys.epoll_ctl, fd, op, fd2, None) for op in (ADD, DEL, MOD, BAD_OP)] == [
        errno.EFAULT, errno.ENOENT, errno.EFAULT, errno.EFAULT]
    sys.epoll_ctl(fd, ADD, fd2, POLLIN)
    sys.epoll_ctl(fd, DEL, fd2, 0xFFFFFFFF)
    sys.close(fd2)
    sys.close(fd)
    assert _errno(sys.epoll_ctl, fd, ADD, fd2, None) == errno.EFAULT
    assert _errno(sys.epoll_ctl, fd, ADD, fd2, EPOLLIN) == errno.EBADF
    # epoll-shim expects EINVAL, EINVAL, EBADF: the order before 6.15.
    assert [_errno(sys.epoll_wait, fd, n, 0) for n in (-1, 0, 1)] == [errno.EBADF] * 3


def test_epoll_shim_invalid_op2(backend: Backend) -> None:
    """epoll-test.c epoll__invalid_op2, with Linux >= 6.15's order (EBADF first for both)."""
    sys = backend.sys
    fd = sys.epoll_create1(EPOLL_CLOEXEC)
    sys.close(fd)
    assert _errno(sys.epoll_wait, fd, EP_MAX_EVENTS, 0) == errno.EBADF
    assert _errno(sys.epoll_wait, fd, EP_MAX_EVENTS + 1, 0) == errno.EBADF  # EINVAL before 6.15
    live = sys.epoll_create1(EPOLL_CLOEXEC)
    assert _errno(sys.epoll_wait, live, EP_MAX_EVENTS + 1, 0) == errno.EINVAL


def test_epoll_shim_simple_wait(backend: Backend) -> None:
    """epoll-test.c epoll__simple_wait."""
    ep = backend.sys.epoll_create1(EPOLL_CLOEXEC)
    assert backend.sys.epoll_wait(ep, 1, 1) == []
    assert backend.sys.epoll_wait(ep, 1, 0) == []


def test_epoll_shim_recursive_register(backend: Backend) -> None:
    """epoll-test.c epoll__recursive_register."""
    sys = backend.sys
    ep, ep_inner = sys.epoll_create1(EPOLL_CLOEXEC), sys.epoll_create1(EPOLL_CLOEXEC)
    sys.epoll_ctl(ep, ADD, ep_inner, EPOLLOUT)
    sys.epoll_ctl(ep, MOD, ep_inner, EPOLLIN)
    sys.epoll_ctl(ep, DEL, ep_inner, None)
    assert _errno(sys.epoll_ctl, ep, DEL, ep_inner, None) == errno.ENOENT


@pytest.mark.parametrize("kind", ["pipe", "socketpair"])
def test_epoll_shim_simple_epollin(backend: Backend, kind: str) -> None:
    """epoll-test.c epoll__simple_epollin (fd_pipe and fd_domain_socket; not fd_tcp_socket)."""
    sys = backend.sys
    ep = sys.epoll_create1(EPOLL_CLOEXEC)
    fds = sys.pipe2(O_CLOEXEC) if kind == "pipe" else sys.socketpair(AF_UNIX, SOCK_STREAM, 0)
    sys.epoll_ctl(ep, ADD, fds[0], EPOLLIN, fds[0])
    assert sys.write(fds[1], b"\0") == 1
    assert sys.epoll_wait(ep, 1, 0) == [(EPOLLIN, fds[0])]


def test_epoll_shim_remove_nonexistent(backend: Backend) -> None:
    """epoll-test.c epoll__remove_nonexistent."""
    r, _ = backend.sys.pipe2(O_CLOEXEC)
    assert _errno(backend.sys.epoll_ctl, _pipe_ep(backend), DEL, r, None) == errno.ENOENT


def test_epoll_shim_add_remove(backend: Backend) -> None:
    """epoll-test.c epoll__add_remove."""
    r, _ = backend.sys.pipe2(O_CLOEXEC)
    backend.sys.epoll_ctl(_pipe_ep(backend, r, EPOLLIN), DEL, r, None)


@pytest.mark.parametrize("change_udata", [True, False])
def test_epoll_shim_add_existing(backend: Backend, change_udata: bool) -> None:
    """epoll-test.c epoll__add_existing."""
    sys = backend.sys
    ep = sys.epoll_create1(EPOLL_CLOEXEC)
    r, w = sys.pipe2(O_CLOEXEC)
    sys.epoll_ctl(ep, ADD, r, EPOLLIN, 42)
    data = 43 if change_udata else 42
    assert _errno(sys.epoll_ctl, ep, ADD, r, EPOLLIN, data) == errno.EEXIST
    assert _errno(sys.epoll_ctl, ep, ADD, r, EPOLLIN, data) == errno.EEXIST
    sys.write(w, b"\0")
    assert sys.epoll_wait(ep, 1, 0) == [(EPOLLIN, 42)]


def test_epoll_shim_modify_existing(backend: Backend) -> None:
    """epoll-test.c epoll__modify_existing (interest 0 still listens for ERR and HUP only)."""
    sys = backend.sys
    ep = sys.epoll_create1(EPOLL_CLOEXEC)
    r, w = sys.pipe2(O_CLOEXEC)
    sys.epoll_ctl(ep, ADD, r, EPOLLIN, r)
    sys.epoll_ctl(ep, MOD, r, 0, r)
    sys.write(w, b"\0")
    assert sys.epoll_wait(ep, 1, TIMEOUT_MS) == []
    sys.epoll_ctl(ep, MOD, r, EPOLLIN, 42)
    assert sys.epoll_wait(ep, 1, 0) == [(EPOLLIN, 42)]


def test_epoll_shim_modify_nonexisting(backend: Backend) -> None:
    """epoll-test.c epoll__modify_nonexisting."""
    r, _ = backend.sys.pipe2(O_CLOEXEC)
    assert _errno(backend.sys.epoll_ctl, _pipe_ep(backend), MOD, r, EPOLLIN, r) == errno.ENOENT


@pytest.mark.parametrize("do_write_data", [False, True])
def test_epoll_shim_no_epollin_on_closed_empty_pipe(backend: Backend, do_write_data: bool) -> None:
    """epoll-test.c epoll__no_epollin_on_closed_empty_pipe (and pipes never report RDHUP)."""
    sys = backend.sys
    ep = sys.epoll_create1(EPOLL_CLOEXEC)
    r, w = sys.pipe2(O_CLOEXEC)
    sys.epoll_ctl(ep, ADD, r, EPOLLIN | EPOLLRDHUP, r)
    if do_write_data:
        sys.write(w, b"\0")
    sys.close(w)
    assert sys.epoll_wait(ep, 1, 0) == [(EPOLLHUP | (EPOLLIN if do_write_data else 0), r)]
    assert sys.read(r, 1) == (b"\0" if do_write_data else b"")


def test_epoll_shim_write_to_pipe_until_full(backend: Backend) -> None:
    """epoll-test.c epoll__write_to_pipe_until_full."""
    sys = backend.sys
    ep = sys.epoll_create1(EPOLL_CLOEXEC)
    r, w = sys.pipe2(O_CLOEXEC)
    backend.fcntl.fcntl(w, F_SETFL, O_NONBLOCK)
    sys.epoll_ctl(ep, ADD, w, EPOLLOUT, w)
    assert sys.epoll_wait(ep, 1, 0) == [(EPOLLOUT, w)]
    with pytest.raises(BlockingIOError):
        while True:
            sys.write(w, bytes(512))
    assert sys.epoll_wait(ep, 1, TIMEOUT_MS) == []
    sys.epoll_ctl(ep, ADD, r, EPOLLIN, r)
    assert sys.epoll_wait(ep, 1, 0) == [(EPOLLIN, r)]


def test_epoll_shim_epollerr_on_closed_pipe(backend: Backend) -> None:
    """epoll-test.c epoll__epollerr_on_closed_pipe."""
    sys = backend.sys
    ep = sys.epoll_create1(EPOLL_CLOEXEC)
    r, w = sys.pipe2(O_CLOEXEC)
    sys.epoll_ctl(ep, ADD, w, EPOLLOUT, w)
    assert sys.epoll_wait(ep, 1, 0) == [(EPOLLOUT, w)]
    sys.write(w, bytes(512))
    sys.close(r)
    assert sys.epoll_wait(ep, 1, 0) == [(EPOLLOUT | EPOLLERR, w)]


def test_epoll_shim_remove_closed(backend: Backend) -> None:
    """epoll-test.c epoll__remove_closed."""
    sys = backend.sys
    r, w = sys.pipe2(O_CLOEXEC)
    ep = _pipe_ep(backend, r, EPOLLIN)
    sys.close(r)
    sys.close(w)
    assert _errno(sys.epoll_ctl, ep, DEL, r, EPOLLIN) == errno.EBADF


def test_epoll_shim_remove_closed_when_same_fd_open(backend: Backend) -> None:
    """epoll-test.c epoll__remove_closed_when_same_fd_open."""
    sys = backend.sys
    r, w = sys.pipe2(O_CLOEXEC)
    ep = _pipe_ep(backend, r, EPOLLIN)
    sys.close(r)
    sys.close(w)
    assert sys.pipe2(O_CLOEXEC) == (r, w)  # the lowest free numbers again
    assert _errno(sys.epoll_ctl, ep, DEL, r, EPOLLIN) == errno.ENOENT


def test_epoll_shim_add_different_file_with_same_fd_value(backend: Backend) -> None:
    """epoll-test.c epoll__add_different_file_with_same_fd_value (the write comes before the wait)."""
    sys = backend.sys
    r, w = sys.pipe2(O_CLOEXEC)
    ep = _pipe_ep(backend, r, EPOLLIN)
    sys.close(r)
    sys.close(w)
    assert _errno(sys.epoll_ctl, ep, DEL, r, EPOLLIN) == errno.EBADF
    assert sys.pipe2(O_CLOEXEC) == (r, w)
    sys.epoll_ctl(ep, ADD, r, EPOLLIN)
    sys.write(w, b"\0")
    assert len(sys.epoll_wait(ep, 1, 0)) == 1


def test_epoll_shim_invalid_writes(backend: Backend) -> None:
    """epoll-test.c epoll__invalid_writes (the epoll part; no signalfd or timerfd in the model)."""
    fd = backend.sys.epoll_create1(EPOLL_CLOEXEC)
    assert _errno(backend.sys.write, fd, b"\0") == errno.EINVAL
    assert _errno(backend.sys.read, fd, 1) == errno.EINVAL


def test_epoll_shim_cloexec(backend: Backend) -> None:
    """epoll-test.c epoll__cloexec (epoll and eventfd; no timerfd or signalfd in the model)."""
    sys, fcntl = backend.sys, backend.fcntl
    assert fcntl.fcntl(sys.epoll_create1(EPOLL_CLOEXEC), F_GETFD) & FD_CLOEXEC != 0
    assert fcntl.fcntl(sys.epoll_create1(0), F_GETFD) & FD_CLOEXEC == 0
    assert fcntl.fcntl(sys.eventfd2(0, EFD_CLOEXEC), F_GETFD) & FD_CLOEXEC != 0
    assert fcntl.fcntl(sys.eventfd2(0, 0), F_GETFD) & FD_CLOEXEC == 0


def test_epoll_shim_fcntl_fl(backend: Backend) -> None:
    """epoll-test.c epoll__fcntl_fl (epoll and eventfd; no timerfd or signalfd in the model)."""
    sys, fcntl = backend.sys, backend.fcntl
    assert fcntl.fcntl(sys.epoll_create1(0), F_GETFL) == O_RDWR
    fd = sys.epoll_create1(0)
    fcntl.fcntl(fd, F_SETFL, fcntl.fcntl(fd, F_GETFL) | O_NONBLOCK)
    assert fcntl.fcntl(fd, F_GETFL) == O_RDWR | O_NONBLOCK
    assert fcntl.fcntl(sys.eventfd2(0, 0), F_GETFL) == O_RDWR
    assert fcntl.fcntl(sys.eventfd2(0, EFD_NONBLOCK), F_GETFL) == O_RDWR | O_NONBLOCK


def test_epoll_shim_fcntl_issue49(backend: Backend) -> None:
    """epoll-test.c epoll__fcntl_issue49 (registering an O_NONBLOCK eventfd leaves its F_GETFL alone)."""
    sys, fcntl = backend.sys, backend.fcntl
    efd = sys.eventfd2(0, EFD_NONBLOCK | EFD_CLOEXEC)
    before = fcntl.fcntl(efd, F_GETFL)
    sys.epoll_ctl(sys.epoll_create1(EPOLL_CLOEXEC), ADD, efd, EPOLLIN, efd)
    assert fcntl.fcntl(efd, F_GETFL) == before == O_RDWR | O_NONBLOCK


# == tst-epoll.c (from OSv) =============================================================


def test_epoll_shim_osv_epolloneshot(backend: Backend) -> None:
    """tst-epoll.c epollfd_osv__epolloneshot."""
    sys = backend.sys
    ep = sys.epoll_create(1)
    r, w = sys.pipe2(0)
    mask = EPOLLIN | EPOLLONESHOT
    sys.epoll_ctl(ep, ADD, r, mask, 123)
    sys.write(w, b"\0")
    assert len(sys.epoll_wait(ep, 1024, 0)) == 1
    sys.write(w, b"\0")
    assert sys.epoll_wait(ep, 1024, 0) == []  # disarmed: the new write is not delivered
    sys.epoll_ctl(ep, MOD, r, mask, 123)  # re-arms
    assert len(sys.epoll_wait(ep, 1024, 0)) == 1
    assert _errno(sys.epoll_ctl, ep, ADD, r, mask, 123) == errno.EEXIST  # still registered
    sys.epoll_ctl(ep, DEL, r, mask, 123)


def test_epoll_shim_osv_some_tests(backend: Backend) -> None:
    """tst-epoll.c epollfd_osv__some_tests, without the thread part."""
    sys = backend.sys
    ep = sys.epoll_create(1)
    r, w = sys.pipe2(0)
    assert sys.epoll_wait(ep, 1024, 0) == []
    assert _errno(sys.epoll_wait, r, 1024, 0) == errno.EINVAL
    sys.epoll_ctl(ep, ADD, r, EPOLLIN, 123)
    assert sys.epoll_wait(ep, 1024, 0) == []
    sys.write(w, b"N")
    assert _revents(backend, r, POLLIN) & POLLIN
    assert sys.epoll_wait(ep, 1024, 0) == [(EPOLLIN, 123)]
    assert sys.epoll_wait(ep, 1024, 0) == [(EPOLLIN, 123)]  # again: not EPOLLET
    assert sys.read(r, 1) == b"N"
    assert sys.epoll_wait(ep, 1024, 0) == []
    assert sys.epoll_wait(ep, 1024, TIMEOUT_MS) == []
    # EPOLLET, set through EPOLL_CTL_MOD.
    sys.epoll_ctl(ep, MOD, r, EPOLLIN | EPOLLET, 456)
    assert sys.epoll_wait(ep, 1024, 0) == []
    sys.write(w, b"N")
    assert sys.epoll_wait(ep, 1024, 0) == [(EPOLLIN, 456)]
    assert sys.epoll_wait(ep, 1024, 0) == []
    assert sys.epoll_wait(ep, 1024, TIMEOUT_MS) == []
    sys.write(w, b"N")  # a new write is a new edge on Linux ("false positive (fine)")
    assert sys.epoll_wait(ep, 1024, 0) == [(EPOLLIN, 456)]
    assert sys.read(r, 1) == b"N"
    assert sys.epoll_wait(ep, 1024, 0) == []
    assert _revents(backend, r, POLLIN) & POLLIN  # but poll() still finds data
    assert sys.read(r, 1) == b"N"
    s2 = sys.dup(r)
    sys.epoll_ctl(ep, ADD, s2, EPOLLIN | EPOLLET, 456)
    sys.epoll_ctl(ep, DEL, s2, EPOLLIN | EPOLLET, 456)
    assert _errno(sys.epoll_ctl, ep, ADD, r, EPOLLIN | EPOLLET, 456) == errno.EEXIST


# == socketpair-test.c ==================================================================


def test_epoll_shim_simple_socketpair(backend: Backend) -> None:
    """socketpair-test.c socketpair__simple_socketpair."""
    sys = backend.sys
    p0, p1 = sys.socketpair(AF_UNIX, SOCK_STREAM, 0)
    assert _revents(backend, p0, POLLIN) == 0
    assert _masks(backend, _pipe_ep(backend, p0, EPOLLIN)) == []
    assert _revents(backend, p1, POLLOUT) == POLLOUT
    assert _masks(backend, _pipe_ep(backend, p1, EPOLLOUT)) == [EPOLLOUT]


def test_epoll_shim_simple_edge_triggering(backend: Backend) -> None:
    """socketpair-test.c socketpair__simple_edge_triggering, all twelve steps."""
    sys = backend.sys
    p0, p1 = sys.socketpair(AF_UNIX, SOCK_NB, 0)
    ep = _pipe_ep(backend, p0, EPOLLOUT | EPOLLET)

    def step(expected: list[int]) -> None:
        assert [_masks(backend, ep) for _ in expected] == [[m] if m else [] for m in expected]

    step([EPOLLOUT, 0])  # 1
    sys.epoll_ctl(ep, MOD, p0, EPOLLIN | EPOLLRDHUP | EPOLLOUT | EPOLLET)
    step([EPOLLOUT, 0])  # 2
    assert sys.write(p1, b"\0") == 1
    step([EPOLLIN | EPOLLOUT, 0])  # 3
    assert sys.read(p0, 1) == b"\0"
    assert _errno(sys.read, p0, 1) == errno.EAGAIN
    step([0])  # 4
    sys.shutdown(p1, SHUT_WR)
    step([EPOLLIN | EPOLLRDHUP | EPOLLOUT, 0])  # 5
    sys.epoll_ctl(ep, MOD, p0, EPOLLRDHUP | EPOLLOUT | EPOLLET)
    step([EPOLLRDHUP | EPOLLOUT, 0])  # 6
    sys.shutdown(p0, SHUT_RD)
    step([EPOLLRDHUP | EPOLLOUT, 0])  # 7
    sys.shutdown(p0, SHUT_WR)
    step([EPOLLRDHUP | EPOLLOUT | EPOLLHUP, 0])  # 8
    sys.epoll_ctl(ep, MOD, p0, EPOLLET)
    step([EPOLLHUP, 0])  # 9
    sys.epoll_ctl(ep, MOD, p0, 0)
    step([EPOLLHUP, EPOLLHUP])  # 10: level-triggered
    sys.epoll_ctl(ep, MOD, p0, EPOLLOUT)
    step([EPOLLOUT | EPOLLHUP, EPOLLOUT | EPOLLHUP])  # 11
    sys.epoll_ctl(ep, MOD, p0, EPOLLOUT | EPOLLET)
    step([EPOLLOUT | EPOLLHUP, 0])  # 12


def test_epoll_shim_socketpair_epollhup(backend: Backend) -> None:
    """socketpair-test.c socketpair__epollhup."""
    sys = backend.sys
    p0, p1 = sys.socketpair(AF_UNIX, SOCK_NB, 0)
    ep = _pipe_ep(backend, p0, EPOLLET)
    assert _masks(backend, ep) == []
    sys.shutdown(p1, SHUT_WR)
    assert _masks(backend, ep) == []
    sys.shutdown(p0, SHUT_WR)
    assert _masks(backend, ep) == [EPOLLHUP]
    assert _masks(backend, ep) == []


def test_epoll_shim_socketpair_epollrdhup(backend: Backend) -> None:
    """socketpair-test.c socketpair__epollrdhup."""
    sys = backend.sys
    p0, p1 = sys.socketpair(AF_UNIX, SOCK_NB, 0)
    ep = _pipe_ep(backend, p0, EPOLLRDHUP)
    assert _masks(backend, ep) == []
    sys.shutdown(p1, SHUT_WR)
    assert [_masks(backend, ep), _masks(backend, ep)] == [[EPOLLRDHUP]] * 2
    sys.shutdown(p0, SHUT_WR)
    assert [_masks(backend, ep), _masks(backend, ep)] == [[EPOLLRDHUP | EPOLLHUP]] * 2
