"""epoll_wait(2) through the raw call: argument checks in the Linux >= 6.15 order
(linux-epoll.md 6.1), timeouts that cannot block, and what one call returns."""
from __future__ import annotations

import errno

from epollsim.testing.backends import Backend

ADD, DEL, MOD = 1, 2, 3
EPOLLIN, EPOLLOUT = 0x1, 0x4
EPOLLET = 1 << 31
# INT_MAX / sizeof(struct epoll_event); the struct is packed to 12 bytes on x86-64.
EP_MAX_EVENTS = 0x7FFFFFFF // 12


def _errno_of(call, *args) -> int:  # type: ignore[no-untyped-def]
    try:
        call(*args)
    except OSError as e:
        return e.errno
    return 0


def test_closed_epfd_is_ebadf_whatever_maxevents_is(backend: Backend) -> None:
    """Linux >= 6.15 checks the fd first (before 6.15: EINVAL for bad maxevents)."""
    sys = backend.sys
    ep = sys.epoll_create1(0)
    sys.close(ep)
    for maxevents in (-1, 0, 1, EP_MAX_EVENTS, EP_MAX_EVENTS + 1, 0x7FFFFFFF, -0x80000000):
        assert _errno_of(sys.epoll_wait, ep, maxevents, 0) == errno.EBADF
    assert _errno_of(sys.epoll_wait, -1, 1, 0) == errno.EBADF


def test_maxevents_out_of_range_is_einval(backend: Backend) -> None:
    sys = backend.sys
    ep = sys.epoll_create1(0)
    for maxevents in (-1, 0, EP_MAX_EVENTS + 1, 0x7FFFFFFF, -0x80000000):
        assert _errno_of(sys.epoll_wait, ep, maxevents, 0) == errno.EINVAL
    assert sys.epoll_wait(ep, EP_MAX_EVENTS, 0) == []  # the largest allowed value


def test_maxevents_is_checked_before_the_fd_kind(backend: Backend) -> None:
    sys = backend.sys
    r, _ = backend.os.pipe()
    assert _errno_of(sys.epoll_wait, r, 0, 0) == errno.EINVAL
    assert _errno_of(sys.epoll_wait, r, EP_MAX_EVENTS + 1, 0) == errno.EINVAL


def test_waiting_on_a_fd_that_is_not_an_epoll_is_einval(backend: Backend) -> None:
    """OSv tst-epoll ("epoll_wait on a pipe fd") and LTP epoll_wait03 (epfd not an epoll)."""
    os, sys = backend.os, backend.sys
    r, w = os.pipe()
    null = os.open("/dev/null", os.O_RDWR)
    efd = os.eventfd(1)
    for fd in (r, w, null, efd):
        assert _errno_of(sys.epoll_wait, fd, 1, 0) == errno.EINVAL


def test_empty_epoll_returns_nothing_at_once_or_after_a_short_timeout(backend: Backend) -> None:
    """epoll-shim simple_wait, bionic: wait(0) and a 1 ms / 10 ms wait on an empty instance."""
    sys = backend.sys
    ep = sys.epoll_create1(0)
    assert sys.epoll_wait(ep, 1, 0) == []
    assert sys.epoll_wait(ep, 1, 1) == []
    assert sys.epoll_wait(ep, 8, 10) == []


def test_positive_timeout_with_nothing_ready_returns_nothing(backend: Backend) -> None:
    """LTP epoll_wait02 shape: a registered, quiet pipe; a 10 ms wait returns 0 events."""
    sys = backend.sys
    ep = sys.epoll_create1(0)
    r, _ = backend.os.pipe()
    sys.epoll_ctl(ep, ADD, r, EPOLLIN, r)
    assert sys.epoll_wait(ep, 1, 10) == []  # the model's virtual clock: tests/unit/test_epoll_timeouts.py


def test_any_negative_timeout_returns_at_once_when_something_is_ready(backend: Backend) -> None:
    sys = backend.sys
    ep = sys.epoll_create1(0)
    _r, w = backend.os.pipe()
    sys.epoll_ctl(ep, ADD, w, EPOLLOUT, 7)
    for timeout in (-1, -2, -0x80000000):
        assert sys.epoll_wait(ep, 1, timeout) == [(EPOLLOUT, 7)]


def test_a_ready_level_triggered_item_is_never_missed_by_a_zero_timeout(backend: Backend) -> None:
    """Selftest epoll65, sequentially: every wait(0) with a ready LT eventfd returns it."""
    os, sys = backend.os, backend.sys
    ep = sys.epoll_create(1)
    efd = os.eventfd(0)
    sys.epoll_ctl(ep, ADD, efd, EPOLLIN, efd)
    os.eventfd_write(efd, 99)
    for _ in range(200):
        assert sys.epoll_wait(ep, 1, 0) == [(EPOLLIN, efd)]


def test_maxevents_limits_one_call(backend: Backend) -> None:
    sys = backend.sys
    ep = sys.epoll_create1(0)
    ends = [backend.os.pipe()[1] for _ in range(5)]
    for i, w in enumerate(ends):
        sys.epoll_ctl(ep, ADD, w, EPOLLOUT, i)
    assert sys.epoll_wait(ep, 2, 0) == [(EPOLLOUT, 0), (EPOLLOUT, 1)]
    assert sys.epoll_wait(ep, 5, 0) == [(EPOLLOUT, i) for i in (2, 3, 4, 0, 1)]
    assert sys.epoll_wait(ep, 100, 0) == [(EPOLLOUT, i) for i in (2, 3, 4, 0, 1)]


def test_edge_triggered_items_beyond_maxevents_stay_queued(backend: Backend) -> None:
    os, sys = backend.os, backend.sys
    ep = sys.epoll_create1(0)
    pipes = [os.pipe() for _ in range(3)]
    for i, (r, w) in enumerate(pipes):
        sys.epoll_ctl(ep, ADD, r, EPOLLIN | EPOLLET, i)
        os.write(w, b"x")
    assert sys.epoll_wait(ep, 2, 0) == [(EPOLLIN, 0), (EPOLLIN, 1)]
    assert sys.epoll_wait(ep, 2, 0) == [(EPOLLIN, 2)]
    assert sys.epoll_wait(ep, 2, 0) == []


def test_ltp_epoll_ctl01_add_modify_delete_seen_through_wait(backend: Backend) -> None:
    os, sys = backend.os, backend.sys
    ep = sys.epoll_create(2)
    r, w = os.pipe()
    sys.epoll_ctl(ep, ADD, r, EPOLLIN, r)
    sys.epoll_ctl(ep, ADD, w, EPOLLIN, w)  # a write end is never readable
    os.write(w, b"test\0")
    assert sys.epoll_wait(ep, 2, 0) == [(EPOLLIN, r)]
    os.read(r, 5)
    sys.epoll_ctl(ep, MOD, w, EPOLLOUT, w)
    os.write(w, b"test\0")
    assert sorted(sys.epoll_wait(ep, 2, 0)) == sorted([(EPOLLIN, r), (EPOLLOUT, w)])
    os.read(r, 5)
    sys.epoll_ctl(ep, DEL, w, None)
    os.write(w, b"test\0")
    assert sys.epoll_wait(ep, 2, 0) == [(EPOLLIN, r)]
    os.read(r, 5)
    sys.epoll_ctl(ep, DEL, r, None)
    assert sys.epoll_wait(ep, 2, 0) == []


def test_epoll_create_size_and_create1_flags(backend: Backend) -> None:
    """epoll_create(<= 0) and epoll_create1(unknown flags) are EINVAL (LTP, epoll-shim)."""
    sys = backend.sys
    for size in (0, -1):
        assert _errno_of(sys.epoll_create, size) == errno.EINVAL
    for flags in (-1, 42, 0o2000000 + 1):
        assert _errno_of(sys.epoll_create1, flags) == errno.EINVAL
    for fd in (sys.epoll_create(1), sys.epoll_create(0x7FFFFFFF), sys.epoll_create1(0)):
        assert sys.epoll_wait(fd, 1, 0) == []
