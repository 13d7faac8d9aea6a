"""timerfd_create, timerfd_settime and timerfd_gettime (fs/timerfd.c), on nanoseconds.

``timerfd_settime(fd, flags, (interval_ns, value_ns))`` takes the
``struct itimerspec`` as two signed nanosecond counts, in the struct's order
(it_interval, it_value), and returns the old one the same way;
``timerfd_gettime(fd)`` returns the current one. A negative count is a
timespec with a negative tv_sec: EINVAL, as itimerspec64_valid answers. Reading
the expiration count is ``read(fd, 8)``.
"""
from __future__ import annotations

from errno import EINVAL

from ..abi.timerfd import (
    KTIME_MAX,
    KTIME_SEC_MAX,
    NSEC_PER_SEC,
    TFD_CLOEXEC,
    TFD_CREATE_FLAGS,
    TFD_SETTIME_FLAGS,
    TIMERFD_CLOCKS,
)
from ..errors import oserror
from ..files.timerfd import TimerFd
from .base import SyscallBase


def _ktime(ns: int) -> int:
    """timespec64_to_ktime: a tv_sec at or past KTIME_SEC_MAX is KTIME_MAX."""
    return KTIME_MAX if ns // NSEC_PER_SEC >= KTIME_SEC_MAX else ns


class TimerfdCalls(SyscallBase):
    __slots__ = ()

    def timerfd_create(self, clockid: int, flags: int) -> int:
        """Flags and clock first (EINVAL), then the fd (EMFILE).

        The *_ALARM clocks need CAP_WAKE_ALARM (EPERM without it); the model's
        process holds it, as root on the CI machine does, and they behave as
        CLOCK_REALTIME and CLOCK_BOOTTIME (the machine never suspends).
        """
        if flags & ~TFD_CREATE_FLAGS or clockid not in TIMERFD_CLOCKS:
            raise oserror(EINVAL)
        file = TimerFd(next(self.proc.fids), self.proc.clock, clockid, flags, self.proc.wall)
        return self.proc.fdtable.install(file, cloexec=bool(flags & TFD_CLOEXEC))

    def timerfd_settime(self, fd: int, flags: int, new: tuple[int, int]) -> tuple[int, int]:
        """do_timerfd_settime: flags and the itimerspec (EINVAL) before the fd (EBADF),
        then "not a timerfd" (EINVAL)."""
        interval_ns, value_ns = new
        if flags & ~TFD_SETTIME_FLAGS or interval_ns < 0 or value_ns < 0:
            raise oserror(EINVAL)
        file = self._timerfd(fd)
        return file.settime(flags, _ktime(interval_ns), _ktime(value_ns))

    def timerfd_gettime(self, fd: int) -> tuple[int, int]:
        return self._timerfd(fd).gettime()

    def _timerfd(self, fd: int) -> TimerFd:
        file = self.fget(fd)
        if not isinstance(file, TimerFd):
            raise oserror(EINVAL)
        return file
