"""timerfd (fs/timerfd.c): an hrtimer whose expirations are counted and read as a u64.

Theory of operation
-------------------
A timerfd is an hrtimer on one of the machine's clocks plus ``ticks``, the
expirations not yet read. ``poll()`` reports EPOLLIN while ticks > 0 and
nothing else, ever (no OUT, no RDNORM, no HUP).

When the hrtimer fires (timerfd_tmrproc -> timerfd_triggered) ticks goes up by
one, ``expired`` is set, and the wait queue is woken with key EPOLLIN: that
wake-up is the edge an EPOLLET interest sees. The hrtimer is *not* re-armed
there, even for a periodic timer (Linux defers it "to avoid DoS attacks
specifying a very short timer period"): a read (or timerfd_gettime, or
timerfd_settime) re-arms it with hrtimer_forward_now, which counts the
periods that went by meanwhile as overruns. So a 1 s periodic timer nobody
reads for an hour fires once, wakes once, and the next read returns 3600;
one clock timer, however long the gap. Reading resets ticks without a wake-up;
(re-)arming or disarming resets it without one too.

Time here is the timer's own clock: CLOCK_MONOTONIC and CLOCK_BOOTTIME are
the model's clock (the machine never suspends), CLOCK_REALTIME is it plus a
fixed offset (nothing sets the wall clock, so TFD_TIMER_CANCEL_ON_SET never
cancels). The *_ALARM clocks behave as their base clocks. An expiry is a
``Clock`` timer at the matching monotonic instant; arming one already due
fires it at once, as the hrtimer interrupt does when the system call
re-enables interrupts. Nothing here knows threads exist: a blocking read
raises ``WouldBlock`` and the system-call layer sleeps and retries.

Values are ktime_t nanoseconds (signed 64-bit), saturating at KTIME_MAX as
ktime_add_safe does; converting and validating the user's timespecs is the
system call's job.
"""
from __future__ import annotations

from errno import EAGAIN, EINVAL, ENOTTY

from ..abi.epoll import EPOLLIN
from ..abi.fcntl import O_NONBLOCK, O_RDWR
from ..abi.ioctl import QUEUE_REQUESTS
from ..abi.stat import ANON_INODE_MODE
from ..abi.timerfd import (
    CLOCK_REALTIME,
    CLOCK_REALTIME_ALARM,
    KTIME_MAX,
    TFD_SETTIME_FLAGS,
    TFD_TIMER_ABSTIME,
)
from ..clock import Clock, Timer, WallClock
from ..errors import oserror
from ..vfs.file import OpenFile, PollTable
from ..vfs.waitqueue import WaitQueue
from .blocking import WouldBlock


class TimerFd(OpenFile):
    __slots__ = (
        "clock", "clockid", "wall", "ticks", "expired", "interval_ns", "expires_ns", "timer",
        "settime_flags", "wqh",
    )

    kind = "timerfd"
    noop_llseek = True
    st_mode = ANON_INODE_MODE

    def __init__(self, fid: int, clock: Clock, clockid: int, flags: int, wall: WallClock | None = None) -> None:
        super().__init__(fid, O_RDWR | (flags & O_NONBLOCK))
        self.clock = clock
        self.clockid = clockid
        # A CLOCK_REALTIME timer runs on its host's wall clock (its offset and drift);
        # the others on CLOCK_MONOTONIC (BOOTTIME is the same: the machine never suspends).
        realtime = clockid in (CLOCK_REALTIME, CLOCK_REALTIME_ALARM)
        self.wall = (wall if wall is not None else WallClock(clock)) if realtime else None
        self.ticks = 0  # expirations not yet read
        self.expired = False  # the hrtimer fired and has not been forwarded since
        self.interval_ns = 0  # tintv; 0 for a one-shot timer
        self.expires_ns = 0  # the hrtimer's expiry, on this timer's clock
        self.timer: Timer | None = None  # the armed clock timer, if any
        self.settime_flags = 0  # for describe(), as fdinfo shows it
        self.wqh = WaitQueue()

    # -- the hrtimer ---------------------------------------------------------

    def now_ns(self) -> int:
        """This timer's clock, now."""
        return self.clock.now_ns if self.wall is None else self.wall.now_ns()

    def _start(self) -> None:
        """hrtimer_start at ``expires_ns`` (absolute): fire now if already due."""
        deadline = self.expires_ns if self.wall is None else self.wall.monotonic_at(self.expires_ns)
        if deadline <= self.clock.now_ns:
            self._triggered(None)
        else:
            self.timer = self.clock.call_at(deadline, self._triggered)

    def host_crashed(self) -> None:
        self._cancel()

    def _cancel(self) -> None:
        if self.timer is not None:
            self.timer.cancel()
            self.timer = None

    def _triggered(self, _arg: object) -> None:
        """timerfd_tmrproc -> timerfd_triggered: count it and wake, never re-arm."""
        self.timer = None
        self.expired = True
        self.ticks += 1
        if self.wqh.entries:
            self.wqh.wake(EPOLLIN, 1)  # wake_up_locked_poll(&ctx->wqh, EPOLLIN)

    def _forward_now(self) -> int:
        """hrtimer_forward_now(interval): move the expiry past now; the periods it skipped."""
        now = self.now_ns()
        delta = now - self.expires_ns
        if delta < 0:
            return 0
        interval = self.interval_ns  # never below hrtimer_resolution (1 ns with high-res timers)
        overruns = 1
        if delta >= interval:
            overruns = delta // interval
            self.expires_ns = min(self.expires_ns + interval * overruns, KTIME_MAX)
            if self.expires_ns > now:
                return overruns
            overruns += 1
        self.expires_ns = min(self.expires_ns + interval, KTIME_MAX)
        return overruns

    def _remaining_ns(self) -> int:
        """timerfd_get_remaining: time to the expiry, 0 once it has passed (or when disarmed)."""
        return max(self.expires_ns - self.now_ns(), 0)

    # -- the system calls ----------------------------------------------------

    def poll(self, pt: PollTable) -> int:
        if pt is not None:
            pt(self.wqh)
        return EPOLLIN if self.ticks else 0

    def read(self, n: int, nonblock: bool = False) -> bytes:
        """timerfd_read_iter: the expirations since the last read, as 8 native-endian bytes."""
        if n < 8:
            raise oserror(EINVAL)
        if not self.ticks:
            if nonblock or self.flags & O_NONBLOCK:
                raise oserror(EAGAIN)
            what = "timerfd has not expired" if self.timer is not None else "timerfd is disarmed"
            # wait_event_interruptible_locked_irq: a non-exclusive sleeper at the tail.
            raise WouldBlock(self.wqh, EPOLLIN, what, "tail")
        ticks = self.ticks
        if self.expired and self.interval_ns:
            ticks += self._forward_now() - 1
            self._start()
        self.expired = False
        self.ticks = 0
        return ticks.to_bytes(8, "little")

    def settime(self, flags: int, interval_ns: int, value_ns: int) -> tuple[int, int]:
        """do_timerfd_settime after the argument checks: re-program, return the old
        (interval, value). ``value_ns`` 0 disarms; ticks are reset without a wake-up."""
        self._cancel()
        if self.expired and self.interval_ns:
            self._forward_now()  # the old value is the time to the next period
        old = (self.interval_ns, self._remaining_ns())
        # timerfd_setup
        self.expired = False
        self.ticks = 0
        self.interval_ns = interval_ns
        self.expires_ns = value_ns
        if value_ns:
            if not flags & TFD_TIMER_ABSTIME:
                self.expires_ns = min(self.now_ns() + value_ns, KTIME_MAX)  # ktime_add_safe
            self._start()
        self.settime_flags = flags & TFD_SETTIME_FLAGS
        return old

    def gettime(self) -> tuple[int, int]:
        """do_timerfd_gettime: (interval, time to the next expiry); re-arms a periodic
        timer that fired, keeping the periods it missed in ticks."""
        if self.expired and self.interval_ns:
            self.expired = False
            self.ticks += self._forward_now() - 1
            self._start()
        return (self.interval_ns, self._remaining_ns())

    def ioctl(self, request: int) -> int:
        """timerfd_ioctl: anything but TFD_IOC_SET_TICKS (not modelled) is ENOTTY."""
        if request in QUEUE_REQUESTS:
            raise oserror(ENOTTY)
        return super().ioctl(request)

    def release(self) -> None:
        """timerfd_release: hrtimer_cancel. No wake-up: nobody is told."""
        self._cancel()

    def describe(self) -> str:
        """What /proc/<pid>/fdinfo shows for it (timerfd_show)."""
        value = self._remaining_ns()
        return (
            f"clockid: {self.clockid}\nticks: {self.ticks}\nsettime flags: 0{self.settime_flags:o}\n"
            f"it_value: ({value // 1_000_000_000}, {value % 1_000_000_000})\n"
            f"it_interval: ({self.interval_ns // 1_000_000_000}, {self.interval_ns % 1_000_000_000})"
        )
