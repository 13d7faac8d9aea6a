"""Kernel selftests, single-threaded parts, on both backends.

tools/testing/selftests/filesystems/epoll/epoll_wakeup_test.c (patterns A, C and F,
epoll59 and epoll65 without threads) and
tools/testing/selftests/filesystems/eventfd/eventfd_test.c (the mainline cases).
Spec: linux-epoll.md 12.1 and 12.2.

Legend of 12.1: ``s0/s1`` and ``s2/s3`` are AF_UNIX stream socketpairs; "write s1" writes
the byte ``w`` to s1, which makes s0 readable (nothing is ever read). ``ew(E, n)`` is
``epoll_wait(E, n slots, maxevents n, timeout 0)`` and returns the count; ``poll(E)`` is
``poll()`` on the epoll fd for POLLIN with timeout 0 and returns the number of ready fds.
"""
from __future__ import annotations

import errno
import fcntl as _fcntl
import os as _os
import select as _select

import pytest

from epollsim.testing.backends import Backend

EPOLLIN, EPOLLERR, EPOLLET = _select.EPOLLIN, _select.EPOLLERR, _select.EPOLLET
ADD, MOD = 1, 3  # EPOLL_CTL_ADD, EPOLL_CTL_MOD (include/uapi/linux/eventpoll.h)
EFD_SEMAPHORE, EFD_CLOEXEC, EFD_NONBLOCK = _os.EFD_SEMAPHORE, _os.EFD_CLOEXEC, _os.EFD_NONBLOCK
O_RDWR, O_NONBLOCK = _os.O_RDWR, _os.O_NONBLOCK
F_GETFL, F_GETFD, FD_CLOEXEC = _fcntl.F_GETFL, _fcntl.F_GETFD, _fcntl.FD_CLOEXEC

EVENTFD_TEST_ITERATIONS = 100_000  # as in eventfd_test.c


def _u64(value: int) -> bytes:
    return value.to_bytes(8, "little")


def _ew(backend: Backend, ep: int, n: int) -> int:
    return len(backend.sys.epoll_wait(ep, n, 0))


def _poll(backend: Backend, ep: int) -> int:
    p = backend.select.poll()
    p.register(ep, backend.select.POLLIN)
    return len(p.poll(0))


def _socketpair(backend: Backend) -> tuple[int, int]:
    """socketpair(AF_UNIX, SOCK_STREAM, 0), as raw fds."""
    fds: tuple[int, int] = backend.sys.socketpair(1, 1, 0)
    return fds


def _write(backend: Backend, fd: int) -> None:
    assert backend.os.write(fd, b"w") == 1


# -- pattern A: single thread, one epoll ----------------------------------------


def _pattern_a(backend: Backend, *, et: bool, two: bool) -> int:
    """e0 watches s0 (and s2) with EPOLLIN (|EPOLLET); then s1 (and s3) are written."""
    e0 = backend.sys.epoll_create(1)
    pairs = [_socketpair(backend) for _ in range(2 if two else 1)]
    for s_read, _ in pairs:
        backend.sys.epoll_ctl(e0, ADD, s_read, EPOLLIN | (EPOLLET if et else 0))
    for _, s_write in pairs:
        _write(backend, s_write)
    return e0


def test_epoll1_lt_single_wait_reports_twice(backend: Backend) -> None:
    """epoll_wakeup_test.c epoll1."""
    e0 = _pattern_a(backend, et=False, two=False)
    assert [_ew(backend, e0, 1), _ew(backend, e0, 1)] == [1, 1]


def test_epoll2_et_single_wait_reports_once(backend: Backend) -> None:
    """epoll_wakeup_test.c epoll2."""
    e0 = _pattern_a(backend, et=True, two=False)
    assert [_ew(backend, e0, 1), _ew(backend, e0, 1)] == [1, 0]


def test_epoll3_lt_two_sockets_report_twice(backend: Backend) -> None:
    """epoll_wakeup_test.c epoll3."""
    e0 = _pattern_a(backend, et=False, two=True)
    assert [_ew(backend, e0, 2), _ew(backend, e0, 2)] == [2, 2]


def test_epoll4_et_two_sockets_report_once(backend: Backend) -> None:
    """epoll_wakeup_test.c epoll4."""
    e0 = _pattern_a(backend, et=True, two=True)
    assert [_ew(backend, e0, 2), _ew(backend, e0, 2)] == [2, 0]


def test_epoll5_lt_poll_does_not_consume(backend: Backend) -> None:
    """epoll_wakeup_test.c epoll5."""
    e0 = _pattern_a(backend, et=False, two=False)
    assert [_poll(backend, e0), _ew(backend, e0, 1), _poll(backend, e0), _ew(backend, e0, 1)] == [1, 1, 1, 1]


def test_epoll6_et_poll_then_wait_consumes(backend: Backend) -> None:
    """epoll_wakeup_test.c epoll6."""
    e0 = _pattern_a(backend, et=True, two=False)
    assert [_poll(backend, e0), _ew(backend, e0, 1), _poll(backend, e0), _ew(backend, e0, 1)] == [1, 1, 0, 0]


def test_epoll7_lt_two_sockets_poll_does_not_consume(backend: Backend) -> None:
    """epoll_wakeup_test.c epoll7."""
    e0 = _pattern_a(backend, et=False, two=True)
    assert [_poll(backend, e0), _ew(backend, e0, 2), _poll(backend, e0), _ew(backend, e0, 2)] == [1, 2, 1, 2]


def test_epoll8_et_two_sockets_poll_then_wait_consumes(backend: Backend) -> None:
    """epoll_wakeup_test.c epoll8."""
    e0 = _pattern_a(backend, et=True, two=True)
    assert [_poll(backend, e0), _ew(backend, e0, 2), _poll(backend, e0), _ew(backend, e0, 2)] == [1, 2, 0, 0]


# -- pattern C: single thread, two-level nest e0 > e1 > s0 ------------------------


def _pattern_c(backend: Backend, *, outer_et: bool, inner_et: bool) -> int:
    """e1 watches s0 (EPOLLIN, |ET if inner_et), e0 watches e1 (|ET if outer_et); write s1."""
    sys = backend.sys
    e0, e1 = sys.epoll_create(1), sys.epoll_create(1)
    s0, s1 = _socketpair(backend)
    sys.epoll_ctl(e1, ADD, s0, EPOLLIN | (EPOLLET if inner_et else 0))
    sys.epoll_ctl(e0, ADD, e1, EPOLLIN | (EPOLLET if outer_et else 0))
    _write(backend, s1)
    return e0


def _wait_twice(backend: Backend, e0: int) -> list[int]:
    return [_ew(backend, e0, 1), _ew(backend, e0, 1)]


def _poll_wait_twice(backend: Backend, e0: int) -> list[int]:
    return [_poll(backend, e0), _ew(backend, e0, 1), _poll(backend, e0), _ew(backend, e0, 1)]


def test_epoll17_nested_lt_over_lt_reports_twice(backend: Backend) -> None:
    """epoll_wakeup_test.c epoll17."""
    assert _wait_twice(backend, _pattern_c(backend, outer_et=False, inner_et=False)) == [1, 1]


def test_epoll18_nested_lt_over_et_reports_twice(backend: Backend) -> None:
    """epoll_wakeup_test.c epoll18 (e1's ET item is never harvested from e1, so e1 stays readable)."""
    assert _wait_twice(backend, _pattern_c(backend, outer_et=False, inner_et=True)) == [1, 1]


def test_epoll19_nested_et_over_lt_reports_once(backend: Backend) -> None:
    """epoll_wakeup_test.c epoll19."""
    assert _wait_twice(backend, _pattern_c(backend, outer_et=True, inner_et=False)) == [1, 0]


def test_epoll20_nested_et_over_et_reports_once(backend: Backend) -> None:
    """epoll_wakeup_test.c epoll20."""
    assert _wait_twice(backend, _pattern_c(backend, outer_et=True, inner_et=True)) == [1, 0]


def test_epoll21_nested_lt_over_lt_poll_does_not_consume(backend: Backend) -> None:
    """epoll_wakeup_test.c epoll21."""
    assert _poll_wait_twice(backend, _pattern_c(backend, outer_et=False, inner_et=False)) == [1, 1, 1, 1]


def test_epoll22_nested_lt_over_et_poll_does_not_consume(backend: Backend) -> None:
    """epoll_wakeup_test.c epoll22."""
    assert _poll_wait_twice(backend, _pattern_c(backend, outer_et=False, inner_et=True)) == [1, 1, 1, 1]


def test_epoll23_nested_et_over_lt_poll_then_wait_consumes(backend: Backend) -> None:
    """epoll_wakeup_test.c epoll23."""
    assert _poll_wait_twice(backend, _pattern_c(backend, outer_et=True, inner_et=False)) == [1, 1, 0, 0]


def test_epoll24_nested_et_over_et_poll_then_wait_consumes(backend: Backend) -> None:
    """epoll_wakeup_test.c epoll24."""
    assert _poll_wait_twice(backend, _pattern_c(backend, outer_et=True, inner_et=True)) == [1, 1, 0, 0]


# -- pattern F: single thread, two leaves e0 > e1 > s0, e0 > e2 > s2 ---------------


def _pattern_f(backend: Backend, *, et: bool) -> int:
    sys = backend.sys
    e0, e1, e2 = sys.epoll_create(1), sys.epoll_create(1), sys.epoll_create(1)
    s0, s1 = _socketpair(backend)
    s2, s3 = _socketpair(backend)
    sys.epoll_ctl(e1, ADD, s0, EPOLLIN)
    sys.epoll_ctl(e2, ADD, s2, EPOLLIN)
    sys.epoll_ctl(e0, ADD, e1, EPOLLIN | (EPOLLET if et else 0))
    sys.epoll_ctl(e0, ADD, e2, EPOLLIN | (EPOLLET if et else 0))
    _write(backend, s1)
    _write(backend, s3)
    return e0


def test_epoll49_two_leaves_lt_reports_twice(backend: Backend) -> None:
    """epoll_wakeup_test.c epoll49."""
    e0 = _pattern_f(backend, et=False)
    assert [_ew(backend, e0, 2), _ew(backend, e0, 2)] == [2, 2]


def test_epoll50_two_leaves_et_reports_once(backend: Backend) -> None:
    """epoll_wakeup_test.c epoll50."""
    e0 = _pattern_f(backend, et=True)
    assert [_ew(backend, e0, 2), _ew(backend, e0, 2)] == [2, 0]


def test_epoll51_two_leaves_lt_poll_does_not_consume(backend: Backend) -> None:
    """epoll_wakeup_test.c epoll51."""
    e0 = _pattern_f(backend, et=False)
    assert [_poll(backend, e0), _ew(backend, e0, 2), _poll(backend, e0), _ew(backend, e0, 2)] == [1, 2, 1, 2]


def test_epoll52_two_leaves_et_poll_then_wait_consumes(backend: Backend) -> None:
    """epoll_wakeup_test.c epoll52."""
    e0 = _pattern_f(backend, et=True)
    assert [_poll(backend, e0), _ew(backend, e0, 2), _poll(backend, e0), _ew(backend, e0, 2)] == [1, 2, 0, 0]


# -- epoll59 and epoll65, single-threaded -----------------------------------------


def test_epoll59_mod_requeues_always_ready_et_eventfd(backend: Backend) -> None:
    """epoll_wakeup_test.c epoll59 (bugzilla 205933), the waiter and the MOD thread interleaved."""
    sys = backend.sys
    e0 = sys.epoll_create1(0)
    f = sys.eventfd2(1, 0)  # always readable
    mask = EPOLLIN | EPOLLERR | EPOLLET
    sys.epoll_ctl(e0, ADD, f, mask)
    assert _ew(backend, e0, 1) == 1  # ready at ADD, so queued once
    assert _ew(backend, e0, 1) == 0  # ET: consumed, and nothing wakes the eventfd
    for _ in range(3000):
        sys.epoll_ctl(e0, MOD, f, mask)  # MOD of a ready, unqueued ET item queues it again
        assert _ew(backend, e0, 1) == 1


def test_epoll65_zero_timeout_wait_on_ready_lt_eventfd_never_returns_zero(backend: Backend) -> None:
    """epoll_wakeup_test.c epoll65 (no false "nothing ready"), one thread instead of 64."""
    sys = backend.sys
    e0 = sys.epoll_create(1)
    f = sys.eventfd2(0, 0)
    sys.epoll_ctl(e0, ADD, f, EPOLLIN)
    assert sys.write(f, _u64(99)) == 8
    assert all(_ew(backend, e0, 1) == 1 for _ in range(3000))


# -- eventfd_test.c (mainline cases) ----------------------------------------------


def test_eventfd_check_flag_rdwr(backend: Backend) -> None:
    """eventfd_test.c eventfd_check_flag_rdwr."""
    fd = backend.sys.eventfd2(0, 0)
    assert backend.fcntl.fcntl(fd, F_GETFL) == O_RDWR


def test_eventfd_check_flag_cloexec(backend: Backend) -> None:
    """eventfd_test.c eventfd_check_flag_cloexec."""
    fd = backend.sys.eventfd2(0, EFD_CLOEXEC)
    assert backend.fcntl.fcntl(fd, F_GETFD) == FD_CLOEXEC


def test_eventfd_check_flag_nonblock(backend: Backend) -> None:
    """eventfd_test.c eventfd_check_flag_nonblock."""
    fd = backend.sys.eventfd2(0, EFD_NONBLOCK)
    flags = backend.fcntl.fcntl(fd, F_GETFL)
    assert flags & EFD_NONBLOCK == EFD_NONBLOCK
    assert flags & O_RDWR == O_RDWR


def test_eventfd_check_flag_cloexec_and_nonblock(backend: Backend) -> None:
    """eventfd_test.c eventfd_check_flag_cloexec_and_nonblock."""
    fd = backend.sys.eventfd2(0, EFD_CLOEXEC | EFD_NONBLOCK)
    flags = backend.fcntl.fcntl(fd, F_GETFL)
    assert flags & EFD_NONBLOCK == EFD_NONBLOCK
    assert flags & O_RDWR == O_RDWR
    assert backend.fcntl.fcntl(fd, F_GETFD) == FD_CLOEXEC


def test_eventfd_check_flag_semaphore_behaves_as_semaphore(backend: Backend) -> None:
    """eventfd_test.c eventfd_check_flag_semaphore (fdinfo is not observable: the behaviour is checked)."""
    sys = backend.sys
    fd = sys.eventfd2(0, EFD_SEMAPHORE)
    assert backend.fcntl.fcntl(fd, F_GETFL) & O_RDWR == O_RDWR
    assert sys.write(fd, _u64(2)) == 8
    assert sys.read(fd, 8) == _u64(1)  # a semaphore read takes one unit, not the whole counter
    assert sys.read(fd, 8) == _u64(1)


def test_eventfd_check_write(backend: Backend) -> None:
    """eventfd_test.c eventfd_check_write."""
    sys = backend.sys
    fd = sys.eventfd2(0, 0)
    with pytest.raises(OSError) as info:
        sys.write(fd, _u64(1)[:4])
    assert info.value.errno == errno.EINVAL
    assert sys.write(fd, _u64(1)) == 8
    with pytest.raises(OSError) as info:
        sys.write(fd, _u64(0xFFFFFFFFFFFFFFFF))
    assert info.value.errno == errno.EINVAL


def test_eventfd_check_read(backend: Backend) -> None:
    """eventfd_test.c eventfd_check_read."""
    sys = backend.sys
    fd = sys.eventfd2(1, 0)
    with pytest.raises(OSError) as info:
        sys.read(fd, 4)
    assert info.value.errno == errno.EINVAL
    assert sys.read(fd, 8) == _u64(1)


def test_eventfd_check_read_with_nonsemaphore(backend: Backend) -> None:
    """eventfd_test.c eventfd_check_read_with_nonsemaphore."""
    sys = backend.sys
    fd = sys.eventfd2(0, EFD_NONBLOCK)
    one = _u64(1)
    assert all(sys.write(fd, one) == 8 for _ in range(EVENTFD_TEST_ITERATIONS))
    assert sys.read(fd, 8) == _u64(EVENTFD_TEST_ITERATIONS)
    with pytest.raises(BlockingIOError) as info:
        sys.read(fd, 8)
    assert info.value.errno == errno.EAGAIN


def test_eventfd_check_read_with_semaphore(backend: Backend) -> None:
    """eventfd_test.c eventfd_check_read_with_semaphore."""
    sys = backend.sys
    fd = sys.eventfd2(0, EFD_SEMAPHORE | EFD_NONBLOCK)
    one = _u64(1)
    assert all(sys.write(fd, one) == 8 for _ in range(EVENTFD_TEST_ITERATIONS))
    assert all(sys.read(fd, 8) == one for _ in range(EVENTFD_TEST_ITERATIONS))
    with pytest.raises(BlockingIOError) as info:
        sys.read(fd, 8)
    assert info.value.errno == errno.EAGAIN
