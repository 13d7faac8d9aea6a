"""epoll-shim test/eventfd-ctx-test.c, its Linux expectations, on both backends (spec 12.5)."""
from __future__ import annotations

import errno

from epollsim.testing.backends import Backend

from ._shim import (
    ADD,
    EFD_CLOEXEC,
    EFD_NONBLOCK,
    EFD_SEMAPHORE,
    EPOLL_CLOEXEC,
    EPOLLET,
    EPOLLIN,
    EPOLLOUT,
    MOD,
    POLLIN,
    POLLOUT,
    U64_MAX,
    UINT_MAX,
    _errno,
    _revents,
)

# == eventfd-ctx-test.c =================================================================


def test_epoll_shim_eventfd_constants(backend: Backend) -> None:
    """eventfd-ctx-test.c eventfd__constants."""
    assert backend.os.EFD_CLOEXEC == backend.os.O_CLOEXEC
    assert backend.os.EFD_NONBLOCK == backend.os.O_NONBLOCK


def test_epoll_shim_eventfd_pollin(backend: Backend) -> None:
    """eventfd-ctx-test.c eventfd__pollin."""
    flags = EFD_CLOEXEC | EFD_NONBLOCK | EFD_SEMAPHORE
    assert _revents(backend, backend.os.eventfd(0, flags), POLLIN) == 0
    assert _revents(backend, backend.os.eventfd(1, flags), POLLIN) == POLLIN


def test_epoll_shim_eventfd_pollout(backend: Backend) -> None:
    """eventfd-ctx-test.c eventfd__pollout."""
    os, flags = backend.os, EFD_CLOEXEC | EFD_NONBLOCK
    assert _revents(backend, os.eventfd(0, flags), POLLOUT) == POLLOUT
    assert _revents(backend, os.eventfd(1, flags), POLLOUT) == POLLOUT
    efd = os.eventfd(UINT_MAX, flags)
    assert _revents(backend, efd, POLLOUT) == POLLOUT
    os.eventfd_write(efd, U64_MAX - 2 - UINT_MAX)  # counter U64_MAX - 2: still writable
    assert _revents(backend, efd, POLLOUT) == POLLOUT
    os.eventfd_write(efd, 1)  # counter U64_MAX - 1, the maximum
    assert _revents(backend, efd, POLLOUT) == 0
    assert _errno(os.eventfd_write, efd, 1) == errno.EAGAIN
    assert os.eventfd_read(efd) == U64_MAX - 1


def test_epoll_shim_eventfd_argument_checks(backend: Backend) -> None:
    """eventfd-ctx-test.c eventfd__argument_checks (without the part on a regular file)."""
    os, sys = backend.os, backend.sys
    assert _errno(os.eventfd, 0, EFD_CLOEXEC | EFD_NONBLOCK | EFD_SEMAPHORE | 42) == errno.EINVAL
    efd = os.eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)
    assert _errno(sys.write, efd, b"\0\0") == errno.EINVAL
    assert _errno(sys.read, efd, 2) == errno.EINVAL
    assert _errno(os.eventfd_read, efd) == errno.EAGAIN
    os.eventfd_write(efd, 3)
    assert os.eventfd_read(efd) == 3
    os.close(efd)
    assert _errno(os.eventfd_write, efd, 3) == errno.EBADF
    assert _errno(os.eventfd_read, efd) == errno.EBADF


def test_epoll_shim_eventfd_write(backend: Backend) -> None:
    """eventfd-ctx-test.c eventfd__write."""
    os = backend.os
    efd = os.eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)
    assert _errno(os.eventfd_write, efd, U64_MAX) == errno.EINVAL
    os.eventfd_write(efd, U64_MAX - 1)
    assert _errno(os.eventfd_write, efd, 1) == errno.EAGAIN
    assert _errno(os.eventfd_write, efd, 1) == errno.EAGAIN
    assert _revents(backend, efd, POLLIN) == POLLIN
    assert os.eventfd_read(efd) == U64_MAX - 1
    assert _revents(backend, efd, POLLIN) == 0


def test_epoll_shim_eventfd_read(backend: Backend) -> None:
    """eventfd-ctx-test.c eventfd__read."""
    os = backend.os
    efd = os.eventfd(3, EFD_CLOEXEC | EFD_NONBLOCK | EFD_SEMAPHORE)
    assert _revents(backend, efd, POLLIN) == POLLIN
    assert [os.eventfd_read(efd) for _ in range(3)] == [1, 1, 1]
    assert _errno(os.eventfd_read, efd) == errno.EAGAIN
    assert _revents(backend, efd, POLLIN) == 0


def test_epoll_shim_eventfd_write_read(backend: Backend) -> None:
    """eventfd-ctx-test.c eventfd__write_read."""
    os = backend.os
    efd = os.eventfd(6, EFD_CLOEXEC | EFD_NONBLOCK)
    assert _revents(backend, efd, POLLIN) == POLLIN
    assert os.eventfd_read(efd) == 6
    assert _revents(backend, efd, POLLIN) == 0
    os.eventfd_write(efd, 2)
    assert _revents(backend, efd, POLLIN) == POLLIN
    assert os.eventfd_read(efd) == 2
    assert _errno(os.eventfd_read, efd) == errno.EAGAIN
    assert _revents(backend, efd, POLLIN) == 0


def test_epoll_shim_eventfd_write_read_semaphore(backend: Backend) -> None:
    """eventfd-ctx-test.c eventfd__write_read_semaphore."""
    os = backend.os
    efd = os.eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK | EFD_SEMAPHORE)
    assert _revents(backend, efd, POLLIN) == 0
    os.eventfd_write(efd, 2)
    assert _revents(backend, efd, POLLIN) == POLLIN
    assert [os.eventfd_read(efd), os.eventfd_read(efd)] == [1, 1]
    assert _errno(os.eventfd_read, efd) == errno.EAGAIN
    assert _revents(backend, efd, POLLIN) == 0


def test_epoll_shim_eventfd_stat(backend: Backend) -> None:
    """eventfd-ctx-test.c eventfd__stat (fstat succeeds; its contents are not checked)."""
    backend.os.fstat(backend.os.eventfd(5, EFD_CLOEXEC | EFD_NONBLOCK | EFD_SEMAPHORE))


def test_epoll_shim_eventfd_epoll(backend: Backend) -> None:
    """eventfd-ctx-test.c eventfd__epoll."""
    os, sys = backend.os, backend.sys
    ep = sys.epoll_create1(EPOLL_CLOEXEC)
    efd = os.eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)
    sys.epoll_ctl(ep, ADD, efd, EPOLLIN | EPOLLET, efd)
    assert sys.epoll_wait(ep, 1, 0) == []
    os.eventfd_write(efd, 3)
    assert sys.epoll_wait(ep, 1, 0) == [(EPOLLIN, efd)]
    assert sys.epoll_wait(ep, 1, 0) == []
    assert os.eventfd_read(efd) == 3
    assert sys.epoll_wait(ep, 1, 0) == []
    sys.epoll_ctl(ep, MOD, efd, EPOLLOUT, efd)
    assert sys.epoll_wait(ep, 1, 0) == [(EPOLLOUT, efd)]
    os.eventfd_write(efd, U64_MAX - 2)
    assert sys.epoll_wait(ep, 1, 0) == [(EPOLLOUT, efd)]
    os.eventfd_write(efd, 1)  # the counter is at its maximum: not writable
    assert sys.epoll_wait(ep, 1, 0) == []
