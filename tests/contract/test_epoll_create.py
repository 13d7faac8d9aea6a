"""epoll_create / epoll_create1 and the epoll fd as an open file (linux-epoll.md section 3;
LTP epoll_create*, epoll-shim simple/cloexec/fcntl_fl/invalid_writes, bionic)."""
from __future__ import annotations

import errno

import pytest

from epollsim.testing.backends import Backend

EPOLL_CLOEXEC = 0o2000000
F_GETFD, F_SETFD, F_GETFL, F_SETFL, FD_CLOEXEC = 1, 2, 3, 4, 1
O_RDWR, O_NONBLOCK = 0o2, 0o4000


def _errno_of(call, *args) -> int:  # type: ignore[no-untyped-def]
    try:
        call(*args)
    except OSError as e:
        return e.errno
    return 0


def test_epoll_create_rejects_sizes_below_one(backend: Backend) -> None:
    """LTP epoll_create02; epoll-shim simple; bionic."""
    for size in (0, -1, -0x80000000):
        assert _errno_of(backend.sys.epoll_create, size) == errno.EINVAL


def test_epoll_create_accepts_any_positive_size(backend: Backend) -> None:
    """LTP epoll_create01."""
    for size in (1, 2, 0x7FFFFFFF):
        fd = backend.sys.epoll_create(size)
        assert backend.sys.epoll_wait(fd, 1, 0) == []


def test_epoll_create1_accepts_only_cloexec(backend: Backend) -> None:
    """LTP epoll_create1_02; epoll-shim simple (42)."""
    for flags in (-1, 42, EPOLL_CLOEXEC + 1, O_NONBLOCK, 1):
        assert _errno_of(backend.sys.epoll_create1, flags) == errno.EINVAL


def test_close_on_exec_only_with_epoll_cloexec(backend: Backend) -> None:
    """LTP epoll_create1_01; epoll-shim cloexec; bionic."""
    sys = backend.sys
    assert sys.fcntl(sys.epoll_create(1), F_GETFD) & FD_CLOEXEC == 0
    assert sys.fcntl(sys.epoll_create1(0), F_GETFD) & FD_CLOEXEC == 0
    assert sys.fcntl(sys.epoll_create1(EPOLL_CLOEXEC), F_GETFD) & FD_CLOEXEC == FD_CLOEXEC


def test_epoll_fd_is_o_rdwr_and_accepts_o_nonblock(backend: Backend) -> None:
    """epoll-shim fcntl_fl."""
    sys = backend.sys
    fd = sys.epoll_create1(0)
    assert sys.fcntl(fd, F_GETFL) == O_RDWR
    sys.fcntl(fd, F_SETFL, O_NONBLOCK)
    assert sys.fcntl(fd, F_GETFL) == O_RDWR | O_NONBLOCK
    assert sys.epoll_wait(fd, 1, 0) == []  # O_NONBLOCK changes nothing for epoll_wait
    _r, w = backend.os.pipe()
    sys.epoll_ctl(fd, 1, w, 0x4, 9)
    assert sys.epoll_wait(fd, 1, 0) == [(0x4, 9)]


def test_adding_a_nonblocking_eventfd_keeps_its_flags(backend: Backend) -> None:
    """epoll-shim fcntl_issue49."""
    sys = backend.sys
    efd = backend.os.eventfd(0, backend.os.EFD_NONBLOCK)
    flags = sys.fcntl(efd, F_GETFL)
    assert flags == O_RDWR | O_NONBLOCK
    ep = sys.epoll_create1(0)
    sys.epoll_ctl(ep, 1, efd, 0x1, 0)
    assert sys.fcntl(efd, F_GETFL) == flags


def test_read_and_write_on_an_epoll_fd_are_einval(backend: Backend) -> None:
    """epoll-shim invalid_writes: an epoll file has no read or write method."""
    os = backend.os
    ep = backend.select.epoll()
    for call in (lambda: os.read(ep.fileno(), 1), lambda: os.write(ep.fileno(), b"x")):
        with pytest.raises(OSError) as info:
            call()
        assert info.value.errno == errno.EINVAL


def test_epoll_fd_is_an_anonymous_inode(backend: Backend) -> None:
    ep = backend.select.epoll()  # kept alive: dropping the object would close the fd
    st = backend.os.fstat(ep.fileno())
    assert st.st_mode == 0o600  # no file-type bits: anon_inode
    assert st.st_nlink == 1


def test_fresh_epoll_reports_nothing(backend: Backend) -> None:
    """epoll-shim simple_wait; bionic; gVisor TimeoutNoFds (with a short timeout)."""
    ep = backend.select.epoll()
    assert ep.poll(0) == []
    assert ep.poll(0.001) == []
