"""timerfd through CPython 3.13's os.timerfd_* (fs/timerfd.c; spec 11.4), on both backends.

On the real kernel timing is made robust three ways: timers far in the future
(they must not fire during the test), absolute deadlines already past (they
fire as the call returns), and waits with generous margins. The host's Python
is 3.11, so the real backend's ``os.timerfd_*`` are 3.13's conversions over
ctypes calls (testing/real_os.py); the errors they raise were measured on
CPython 3.13.0.
"""
from __future__ import annotations

import errno
import stat
import sys

import pytest
from contract_helpers import Index, raises_exactly

from epollsim.testing.backends import Backend

O_RDWR, O_NONBLOCK = 0o2, 0o4000
CLOCK_REALTIME, CLOCK_MONOTONIC, CLOCK_BOOTTIME = 0, 1, 7
SEC = 1_000_000_000


def _tfd(backend: Backend, clockid: int = CLOCK_MONOTONIC) -> int:
    return backend.os.timerfd_create(clockid, flags=backend.os.TFD_NONBLOCK)


def _fired_now(backend: Backend, fd: int, interval_ns: int = 0) -> None:
    """Arm ``fd`` at an absolute time long past: it expires as the call returns."""
    backend.os.timerfd_settime_ns(fd, flags=backend.os.TFD_TIMER_ABSTIME, initial=1, interval=interval_ns)


def _count(backend: Backend, fd: int) -> int:
    data = backend.os.read(fd, 8)
    assert len(data) == 8
    return int.from_bytes(data, "little")


def _errno(call: object, *args: object, **kwargs: object) -> int:
    with pytest.raises(OSError) as info:
        call(*args, **kwargs)  # type: ignore[operator]
    return info.value.errno


# -- timerfd_create --------------------------------------------------------


def test_constants_are_linuxs(backend: Backend) -> None:
    os = backend.os
    assert (os.TFD_NONBLOCK, os.TFD_CLOEXEC, os.TFD_TIMER_ABSTIME, os.TFD_TIMER_CANCEL_ON_SET) == (
        0o4000, 0o2000000, 1, 2)
    t = backend.time
    assert (t.CLOCK_REALTIME, t.CLOCK_MONOTONIC, t.CLOCK_BOOTTIME) == (0, 1, 7)


@pytest.mark.parametrize("clockid", [CLOCK_REALTIME, CLOCK_MONOTONIC, CLOCK_BOOTTIME])
def test_timerfd_is_a_blocking_non_inheritable_rdwr_anon_inode(backend: Backend, clockid: int) -> None:
    os, fcntl = backend.os, backend.fcntl
    fd = os.timerfd_create(clockid)
    assert os.get_inheritable(fd) is False  # CPython adds TFD_CLOEXEC (PEP 446)
    assert os.get_blocking(fd) is True
    assert fcntl.fcntl(fd, fcntl.F_GETFL) == O_RDWR
    assert stat.S_IMODE(os.fstat(fd).st_mode) == 0o600
    assert stat.S_IFMT(os.fstat(fd).st_mode) == 0
    assert os.timerfd_gettime(fd) == (0.0, 0.0)
    assert os.timerfd_gettime_ns(fd) == (0, 0)


def test_tfd_nonblock_sets_o_nonblock(backend: Backend) -> None:
    os, fcntl = backend.os, backend.fcntl
    fd = os.timerfd_create(CLOCK_MONOTONIC, flags=os.TFD_NONBLOCK | os.TFD_CLOEXEC)
    assert fcntl.fcntl(fd, fcntl.F_GETFL) == O_RDWR | O_NONBLOCK
    assert os.get_inheritable(fd) is False


@pytest.mark.parametrize("clockid", [2, 3, 4, 5, 6, 10, 11, 12, -1, 99])
def test_clocks_timerfd_does_not_take_are_einval(backend: Backend, clockid: int) -> None:
    # CPU-time, raw, coarse and TAI clocks, and numbers that are no clock.
    assert _errno(backend.os.timerfd_create, clockid) == errno.EINVAL


@pytest.mark.parametrize("flags", [1, 2, 0o40000, -1, 0x7FFFFFFF])
def test_create_flags_beyond_nonblock_and_cloexec_are_einval(backend: Backend, flags: int) -> None:
    assert _errno(backend.os.timerfd_create, CLOCK_MONOTONIC, flags=flags) == errno.EINVAL


def test_create_argument_conversions(backend: Backend) -> None:
    os = backend.os
    raises_exactly(TypeError, "'str' object cannot be interpreted as an integer", os.timerfd_create, "1")
    raises_exactly(TypeError, "'float' object cannot be interpreted as an integer", os.timerfd_create, 1.0)
    raises_exactly(OverflowError, "Python int too large to convert to C int", os.timerfd_create, 2**40)
    raises_exactly(OverflowError, "Python int too large to convert to C int", os.timerfd_create, 1, flags=2**40)
    fd = os.timerfd_create(Index(CLOCK_MONOTONIC), flags=Index(os.TFD_NONBLOCK))
    assert os.get_blocking(fd) is False


# -- timerfd_settime / timerfd_gettime ---------------------------------------


def test_settime_returns_the_old_setting_and_gettime_counts_down(backend: Backend) -> None:
    os = backend.os
    fd = _tfd(backend)
    assert os.timerfd_settime(fd, initial=100, interval=0.25) == (0.0, 0.0)
    value, interval = os.timerfd_gettime(fd)
    assert 99.0 < value <= 100.0 and interval == 0.25
    value_ns, interval_ns = os.timerfd_gettime_ns(fd)
    assert 99 * SEC < value_ns <= 100 * SEC and interval_ns == SEC // 4
    old_value, old_interval = os.timerfd_settime_ns(fd, initial=50 * SEC, interval=7 * SEC + 1)
    assert 99 * SEC < old_value <= value_ns and old_interval == SEC // 4
    old = os.timerfd_settime(fd)  # initial 0: disarm
    assert 49.0 < old[0] <= 50.0 and old[1] == 7.000000001
    assert os.timerfd_gettime_ns(fd) == (0, 0)


def test_a_disarmed_timer_never_fires(backend: Backend) -> None:
    os = backend.os
    fd = _tfd(backend)
    os.timerfd_settime(fd, initial=100)
    os.timerfd_settime(fd, initial=0, interval=1)  # an interval alone does not arm it
    assert os.timerfd_gettime_ns(fd) == (0, SEC)
    assert _errno(os.read, fd, 8) == errno.EAGAIN


def test_seconds_round_down_to_nanoseconds(backend: Backend) -> None:
    os = backend.os
    fd = _tfd(backend)
    os.timerfd_settime(fd, initial=100, interval=1.5e-9)
    assert os.timerfd_gettime_ns(fd)[1] == 1
    os.timerfd_settime(fd, initial=5e-10)  # rounds to 0: disarmed
    assert os.timerfd_gettime_ns(fd) == (0, 0)
    # -1e-10 s rounds down to -1 ns, a timespec with a negative tv_sec.
    assert _errno(os.timerfd_settime, fd, initial=-1e-10) == errno.EINVAL


def test_absolute_time_on_the_timers_own_clock(backend: Backend) -> None:
    os, time = backend.os, backend.time
    for clockid in (CLOCK_MONOTONIC, CLOCK_REALTIME, CLOCK_BOOTTIME):
        fd = _tfd(backend, clockid)
        deadline = time.clock_gettime_ns(clockid) + 100 * SEC
        os.timerfd_settime_ns(fd, flags=os.TFD_TIMER_ABSTIME, initial=deadline)
        value, _ = os.timerfd_gettime_ns(fd)
        assert 99 * SEC < value <= 100 * SEC


def test_cancel_on_set_is_accepted_and_a_wall_clock_that_is_not_set_never_cancels(backend: Backend) -> None:
    os, time = backend.os, backend.time
    fd = _tfd(backend, CLOCK_REALTIME)
    flags = os.TFD_TIMER_ABSTIME | os.TFD_TIMER_CANCEL_ON_SET
    os.timerfd_settime_ns(fd, flags=flags, initial=time.clock_gettime_ns(CLOCK_REALTIME) + 100 * SEC)
    assert _errno(os.read, fd, 8) == errno.EAGAIN
    # Without TFD_TIMER_ABSTIME the flag is accepted and means nothing.
    os.timerfd_settime(fd, flags=os.TFD_TIMER_CANCEL_ON_SET, initial=100)


def test_huge_values_saturate_at_ktime_max(backend: Backend) -> None:
    os, time = backend.os, backend.time
    fd = _tfd(backend)
    os.timerfd_settime_ns(fd, initial=2**63 - 1)  # now + that: saturates at KTIME_MAX
    now = time.clock_gettime_ns(CLOCK_MONOTONIC)
    value, _ = os.timerfd_gettime_ns(fd)
    assert 0 <= (2**63 - 1) - now - value < 10 * SEC
    os.timerfd_settime(fd, initial=9.2e9)  # within range: 9.2e18 ns from now
    assert 9.2e18 - 10 * SEC < os.timerfd_gettime_ns(fd)[0] <= 9.2e18


@pytest.mark.parametrize("spec", [{"initial": -1}, {"interval": -1}, {"initial": 1, "interval": -1}])
def test_negative_times_are_einval(backend: Backend, spec: dict[str, int]) -> None:
    os = backend.os
    fd = _tfd(backend)
    assert _errno(os.timerfd_settime_ns, fd, **spec) == errno.EINVAL
    assert _errno(os.timerfd_settime, fd, **spec) == errno.EINVAL
    assert _errno(os.timerfd_settime_ns, fd, initial=-(2**63)) == errno.EINVAL


def test_settime_checks_flags_and_times_before_the_fd(backend: Backend) -> None:
    os = backend.os
    r, w = os.pipe()
    closed = _tfd(backend)
    os.close(closed)
    assert _errno(os.timerfd_settime, closed, flags=4) == errno.EINVAL
    assert _errno(os.timerfd_settime, closed, flags=-1) == errno.EINVAL
    assert _errno(os.timerfd_settime, closed, initial=-1) == errno.EINVAL
    assert _errno(os.timerfd_settime, closed, initial=1) == errno.EBADF
    assert _errno(os.timerfd_settime, r, initial=1) == errno.EINVAL  # not a timerfd
    assert _errno(os.timerfd_gettime, closed) == errno.EBADF
    assert _errno(os.timerfd_gettime_ns, w) == errno.EINVAL


def test_settime_argument_conversions(backend: Backend) -> None:
    os = backend.os
    fd = _tfd(backend)
    raises_exactly(TypeError, "must be real number, not str", os.timerfd_settime, fd, initial="1")
    raises_exactly(TypeError, "must be real number, not NoneType", os.timerfd_settime, fd, interval=None)
    raises_exactly(TypeError, "'float' object cannot be interpreted as an integer",
                   os.timerfd_settime_ns, fd, initial=1.5)
    raises_exactly(TypeError, "'str' object cannot be interpreted as an integer", os.timerfd_settime, fd, flags="1")
    for value in (1e10, -1e300, float("nan"), float("inf"), 10**12):
        raises_exactly(OverflowError, "timestamp out of range for platform time_t",
                       os.timerfd_settime, fd, initial=value)
    raises_exactly(OverflowError, "int too large to convert to float", os.timerfd_settime, fd, initial=10**400)
    raises_exactly(OverflowError, "int too big to convert", os.timerfd_settime_ns, fd, initial=2**63)
    raises_exactly(OverflowError, "int too big to convert", os.timerfd_settime_ns, fd, interval=-(2**63) - 1)
    raises_exactly(ValueError, "file descriptor cannot be a negative integer (-1)", os.timerfd_gettime, -1)
    raises_exactly(TypeError, "argument must be an int, or have a fileno() method.", os.timerfd_settime, "3")
    # Ints with __index__ are numbers to both; the fd may be any object with fileno().
    os.timerfd_settime(fd, initial=Index(100))
    assert 99 * SEC < os.timerfd_gettime_ns(fd)[0] <= 100 * SEC

    class HasFileno:
        def fileno(self) -> int:
            return fd

    assert os.timerfd_settime_ns(HasFileno(), initial=0)[0] > 0


# -- read and write ------------------------------------------------------------


def test_read_of_an_unexpired_nonblocking_timer_is_eagain(backend: Backend) -> None:
    os = backend.os
    fd = _tfd(backend)
    with pytest.raises(BlockingIOError) as info:
        os.read(fd, 8)
    assert info.value.errno == errno.EAGAIN
    os.timerfd_settime(fd, initial=100)
    assert _errno(os.read, fd, 8) == errno.EAGAIN


@pytest.mark.parametrize("fired", [False, True])
def test_read_shorter_than_8_bytes_is_einval(backend: Backend, fired: bool) -> None:
    os = backend.os
    fd = _tfd(backend)
    if fired:
        _fired_now(backend, fd)
    for n in (0, 1, 7):
        assert _errno(os.read, fd, n) == errno.EINVAL


def test_write_is_einval(backend: Backend) -> None:
    os = backend.os
    fd = _tfd(backend)
    assert _errno(os.write, fd, (1).to_bytes(8, "little")) == errno.EINVAL
    assert _errno(os.write, fd, b"x") == errno.EINVAL


def test_an_absolute_time_already_past_expires_at_once_and_a_read_takes_it(backend: Backend) -> None:
    os = backend.os
    fd = _tfd(backend)
    _fired_now(backend, fd)
    assert os.read(fd, 100) == (1).to_bytes(8, "little")  # 8 bytes, however large the buffer
    assert _errno(os.read, fd, 8) == errno.EAGAIN  # a one-shot timer: never again
    assert os.timerfd_gettime_ns(fd) == (0, 0)


def test_a_periodic_timer_counts_every_period_since_its_first_expiry(backend: Backend) -> None:
    os, time = backend.os, backend.time
    fd = _tfd(backend)
    _fired_now(backend, fd, interval_ns=SEC)  # first expiry at 1 ns after boot
    count = _count(backend, fd)
    expected = (time.clock_gettime_ns(CLOCK_MONOTONIC) - 1) // SEC + 1
    assert expected - 1 <= count <= expected
    value, interval = os.timerfd_gettime_ns(fd)
    assert 0 < value <= SEC and interval == SEC


def test_settime_of_an_expired_periodic_timer_returns_the_time_to_its_next_period(backend: Backend) -> None:
    os = backend.os
    fd = _tfd(backend)
    _fired_now(backend, fd, interval_ns=10 * SEC)
    value, interval = os.timerfd_settime_ns(fd, initial=0)
    assert 0 < value <= 10 * SEC and interval == 10 * SEC


def test_rearming_clears_the_expirations(backend: Backend) -> None:
    os = backend.os
    fd = _tfd(backend)
    _fired_now(backend, fd)
    os.timerfd_settime(fd, initial=100)
    assert _errno(os.read, fd, 8) == errno.EAGAIN
    _fired_now(backend, fd)
    os.timerfd_settime(fd, initial=0)
    assert _errno(os.read, fd, 8) == errno.EAGAIN


def test_a_blocking_read_waits_for_the_expiry(backend: Backend) -> None:
    os, time = backend.os, backend.time
    fd = os.timerfd_create(CLOCK_MONOTONIC)
    start = time.monotonic_ns()
    os.timerfd_settime(fd, initial=0.05)
    assert _count(backend, fd) == 1
    assert time.monotonic_ns() - start >= SEC // 20


# -- epoll and poll ------------------------------------------------------------


def test_poll_mask_is_exactly_epollin_while_expirations_are_unread(backend: Backend) -> None:
    # epoll-shim realtime_timer: an IN|OUT registration reports exactly IN.
    os, select = backend.os, backend.select
    fd = _tfd(backend)
    ep = select.epoll()
    ep.register(fd, select.EPOLLIN | select.EPOLLOUT | select.EPOLLRDHUP | select.EPOLLPRI)
    p = select.poll()
    p.register(fd, select.POLLIN | select.POLLOUT | select.POLLPRI)
    assert ep.poll(0) == [] and p.poll(0) == []
    os.timerfd_settime(fd, initial=100)
    assert ep.poll(0) == [] and p.poll(0) == []
    _fired_now(backend, fd)
    assert ep.poll(0) == [(fd, select.EPOLLIN)]
    assert ep.poll(0) == [(fd, select.EPOLLIN)]  # level-triggered: until read
    assert p.poll(0) == [(fd, select.POLLIN)]
    _count(backend, fd)
    assert ep.poll(0) == [] and p.poll(0) == []


def test_epoll_wait_is_woken_by_the_expiry(backend: Backend) -> None:
    os, select, time = backend.os, backend.select, backend.time
    fd = _tfd(backend)
    ep = select.epoll()
    ep.register(fd, select.EPOLLIN)
    start = time.monotonic_ns()
    os.timerfd_settime(fd, initial=0.05)
    assert ep.poll(5) == [(fd, select.EPOLLIN)]
    assert time.monotonic_ns() - start >= SEC // 20
    assert _count(backend, fd) == 1


def test_edge_triggered_a_periodic_timer_nobody_reads_wakes_once(backend: Backend) -> None:
    """The hrtimer is not re-armed when it fires (timerfd_tmrproc returns HRTIMER_NORESTART):
    a read, or timerfd_gettime, forwards it. Until then there is no further expiry to wake on."""
    select, time = backend.select, backend.time
    fd = _tfd(backend)
    ep = select.epoll()
    ep.register(fd, select.EPOLLIN | select.EPOLLET)
    _fired_now(backend, fd, interval_ns=SEC // 20)
    assert ep.poll(0) == [(fd, select.EPOLLIN)]
    time.sleep(0.25)  # five periods go by, unread
    assert ep.poll(0) == []  # no edge: nothing fired
    assert _count(backend, fd) >= 5
    # The read re-armed it: the next period is an edge again.
    assert ep.poll(5) == [(fd, select.EPOLLIN)]


def test_edge_triggered_gettime_rearms_a_periodic_timer(backend: Backend) -> None:
    os, select, time = backend.os, backend.select, backend.time
    fd = _tfd(backend)
    ep = select.epoll()
    ep.register(fd, select.EPOLLIN | select.EPOLLET)
    _fired_now(backend, fd, interval_ns=SEC // 20)
    assert ep.poll(0) == [(fd, select.EPOLLIN)]
    time.sleep(0.25)
    value, _ = os.timerfd_gettime_ns(fd)  # forwards the timer; the missed periods stay counted
    assert 0 < value <= SEC // 20
    assert ep.poll(5) == [(fd, select.EPOLLIN)]  # a new expiry, a new edge, still unread
    assert _count(backend, fd) >= 6


def test_edge_triggered_rearming_takes_readiness_away_without_an_edge(backend: Backend) -> None:
    os, select = backend.os, backend.select
    fd = _tfd(backend)
    ep = select.epoll()
    ep.register(fd, select.EPOLLIN | select.EPOLLET)
    _fired_now(backend, fd)
    os.timerfd_settime(fd, initial=100)  # the edge was queued, but the harvest finds nothing
    assert ep.poll(0) == []
    _fired_now(backend, fd)
    assert ep.poll(0) == [(fd, select.EPOLLIN)]


def test_closing_a_watched_timerfd_reports_nothing(backend: Backend) -> None:
    os, select = backend.os, backend.select
    fd = _tfd(backend)
    ep = select.epoll()
    ep.register(fd, select.EPOLLIN)
    os.timerfd_settime(fd, initial=0.05)
    os.close(fd)
    assert ep.poll(0.2) == []


# -- the clocks, through time.clock_gettime --------------------------------------


def test_clock_gettime_reads_the_clocks_timerfds_run_on(backend: Backend) -> None:
    time = backend.time
    before = time.monotonic_ns()
    mono = time.clock_gettime_ns(time.CLOCK_MONOTONIC)
    assert before <= mono <= time.monotonic_ns()
    before = time.time_ns()
    assert before <= time.clock_gettime_ns(time.CLOCK_REALTIME) <= time.time_ns()
    boot = time.clock_gettime_ns(time.CLOCK_BOOTTIME)
    assert boot >= mono
    assert isinstance(time.clock_gettime(time.CLOCK_MONOTONIC), float)


def test_clock_gettime_errors(backend: Backend) -> None:
    time = backend.time
    for clk_id in (10, 12, 99):  # not clocks (the alarm clocks depend on the host having an RTC)
        assert _errno(time.clock_gettime, clk_id) == errno.EINVAL
        assert _errno(time.clock_gettime_ns, clk_id) == errno.EINVAL
    if sys.version_info >= (3, 13):  # time_clockid_converter: every failure is one TypeError
        raises_exactly(TypeError, "clk_id should be integer, not str", time.clock_gettime, "1")
        raises_exactly(TypeError, "clk_id should be integer, not float", time.clock_gettime_ns, 1.0)
        raises_exactly(TypeError, "clk_id should be integer, not int", time.clock_gettime, 2**40)
    else:
        raises_exactly(TypeError, "'str' object cannot be interpreted as an integer", time.clock_gettime, "1")
        raises_exactly(TypeError, "'float' object cannot be interpreted as an integer", time.clock_gettime_ns, 1.0)
        raises_exactly(OverflowError, "signed integer is greater than maximum", time.clock_gettime, 2**40)
