"""epoll_pwait and epoll_pwait2 (spec 6.1, 6.2) through their public tests, on both backends:
kernel selftests epoll62 and epoll63 (12.1), LTP epoll_pwait02, 03, 05 and 06 (12.3), gVisor
EpollPwait2Timeout (12.4). Signals are not modelled, so no case here depends on one: a mask is
passed where LTP passes one, and must change nothing."""
from __future__ import annotations

import errno
import os as _os
import signal

import pytest

from epollsim.clock import TIMER_SLACK_NS as SLACK  # every timeout ends 50 us late
from epollsim.testing.backends import Backend

EPOLLIN = 0x1
ADD, DEL = 1, 2
MS, US = 1_000_000, 1_000
SIGMASK = [signal.SIGUSR1]


def _idle_epoll(backend: Backend) -> tuple[int, int]:
    """An epoll holding a socket with nothing to read (selftest: e0 ⊃LT s0); returns (ep, s1)."""
    sys = backend.sys
    s0, s1 = sys.socketpair(1, 1, 0)
    ep = sys.epoll_create(1)
    sys.epoll_ctl(ep, ADD, s0, EPOLLIN, s0)
    return ep, s1


def _elapsed_ns(backend: Backend, call: object) -> tuple[object, int]:
    t0 = backend.time.monotonic_ns()
    result = call()  # type: ignore[operator]
    return result, backend.time.monotonic_ns() - t0


def test_epoll62_pwait2_with_no_timeout_returns_the_ready_item_twice(backend: Backend) -> None:
    """Selftest epoll62: epoll1 through the raw epoll_pwait2(NULL timeout, NULL mask)."""
    ep, s1 = _idle_epoll(backend)
    backend.sys.write(s1, b"w")
    assert len(backend.sys.epoll_pwait2(ep, 1, None)) == 1
    assert len(backend.sys.epoll_pwait2(ep, 1, None)) == 1


def test_epoll63_pwait2_times_out_after_the_timespec(backend: Backend) -> None:
    """Selftest epoll63: {0 s, 10 ms}, nothing ready: 0, and at least 10 ms later."""
    ep, _ = _idle_epoll(backend)
    got, elapsed = _elapsed_ns(backend, lambda: backend.sys.epoll_pwait2(ep, 1, (0, 10 * MS)))
    assert got == [] and elapsed >= 10 * MS


def test_ltp_epoll_pwait02_with_a_mask_and_no_timeout_returns_the_ready_event(backend: Backend) -> None:
    ep, s1 = _idle_epoll(backend)
    backend.sys.write(s1, b"w")
    assert len(backend.sys.epoll_pwait(ep, 1, -1, SIGMASK)) == 1
    assert len(backend.sys.epoll_pwait2(ep, 1, None, SIGMASK)) == 1


@pytest.mark.parametrize("timeout_ms", [1, 10, 50])
def test_ltp_epoll_pwait03_nothing_ready_returns_zero_after_the_timeout(backend: Backend, timeout_ms: int) -> None:
    """LTP epoll_pwait03, both variants: never early; on the model, exactly 50 us late (timer slack)."""
    ep, _ = _idle_epoll(backend)
    for call in (
        lambda: backend.sys.epoll_pwait(ep, 1, timeout_ms, SIGMASK),
        lambda: backend.sys.epoll_pwait2(ep, 1, (0, timeout_ms * MS), SIGMASK),
    ):
        got, elapsed = _elapsed_ns(backend, call)
        assert got == [] and elapsed >= timeout_ms * MS
        if backend.is_model:
            assert elapsed == timeout_ms * MS + SLACK


@pytest.mark.parametrize("timespec", [(-1, 0), (0, -1), (0, 1_000_000_000)])
def test_ltp_epoll_pwait05_an_invalid_timespec_is_einval_before_anything_else(
    backend: Backend, timespec: tuple[int, int]
) -> None:
    """LTP epoll_pwait05; and the timespec is checked first: with a closed epfd too, EINVAL."""
    ep, _ = _idle_epoll(backend)
    for epfd in (ep, -1):
        with pytest.raises(OSError) as info:
            backend.sys.epoll_pwait2(epfd, 1, timespec)
        assert info.value.errno == errno.EINVAL
    with pytest.raises(OSError) as info:
        backend.sys.epoll_pwait2(-1, 1, (0, 0))
    assert info.value.errno == errno.EBADF


# LTP's list runs from 100 ms down; the real kernel's 100 ms waits would cost a second here.
PWAIT06_TIMEOUTS_NS = [10 * MS, MS, 100 * US, 10 * US, US, 100, 10, 1, 0]


@pytest.mark.parametrize("kind", ["pipe read end", "pipe write end", "socket", "eventfd", "epoll"])
def test_ltp_epoll_pwait06_every_short_timeout_returns(backend: Backend, kind: str) -> None:
    """LTP epoll_pwait06 (regression for d9ec7330): every kind of file, every timeout down to
    1 ns and 0, both variants: each call returns (nothing is ready), none hangs. pwait rounds
    the timeout up to whole ms, as LTP's variant 0 does; on the model each takes exactly that."""
    sys = backend.sys
    r, w = sys.pipe2(_os.O_NONBLOCK)
    s0, _s1 = sys.socketpair(1, 1, 0)
    fd = {
        "pipe read end": r,
        "pipe write end": w,
        "socket": s0,
        "eventfd": sys.eventfd2(0, 0),
        "epoll": sys.epoll_create1(0),
    }[kind]
    ep = sys.epoll_create1(0)
    sys.epoll_ctl(ep, ADD, fd, EPOLLIN, fd)
    for ns in PWAIT06_TIMEOUTS_NS:
        ms = -(-ns // MS)
        got, elapsed = _elapsed_ns(backend, lambda: sys.epoll_pwait(ep, 1, ms))  # noqa: B023
        assert got == [] and elapsed >= ms * MS
        got2, elapsed2 = _elapsed_ns(backend, lambda: sys.epoll_pwait2(ep, 1, (0, ns)))  # noqa: B023
        assert got2 == [] and elapsed2 >= ns
        if backend.is_model:
            assert (elapsed, elapsed2) == (ms * MS + SLACK if ms else 0, ns + SLACK if ns else 0)
    sys.epoll_ctl(ep, DEL, fd, None)


def test_gvisor_epoll_pwait2_timeout(backend: Backend) -> None:
    """gVisor EpollTest.EpollPwait2Timeout: {0, 0} returns at once; {0, 50 ms} (gVisor: 200 ms)
    returns 0 no earlier."""
    sys = backend.sys
    ep = sys.epoll_create1(0)
    for _ in range(3):
        sys.epoll_ctl(ep, ADD, sys.eventfd2(0, 0), EPOLLIN, 0x0102030405060708)
    got, elapsed = _elapsed_ns(backend, lambda: sys.epoll_pwait2(ep, 3, (0, 0)))
    assert got == []
    if backend.is_model:
        assert elapsed == 0
    got, elapsed = _elapsed_ns(backend, lambda: sys.epoll_pwait2(ep, 3, (0, 50 * MS)))
    assert got == [] and elapsed >= 50 * MS
