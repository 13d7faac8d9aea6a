"""timerfd and clock ABI: include/uapi/linux/timerfd.h, include/linux/timerfd.h,
include/uapi/linux/time.h, include/linux/ktime.h and include/linux/time64.h (x86-64)."""
from .fcntl import O_CLOEXEC, O_NONBLOCK

# include/uapi/linux/timerfd.h
TFD_TIMER_ABSTIME = 1 << 0
TFD_TIMER_CANCEL_ON_SET = 1 << 1
TFD_CLOEXEC = O_CLOEXEC
TFD_NONBLOCK = O_NONBLOCK

# include/linux/timerfd.h
TFD_SHARED_FCNTL_FLAGS = TFD_CLOEXEC | TFD_NONBLOCK
TFD_CREATE_FLAGS = TFD_SHARED_FCNTL_FLAGS
TFD_SETTIME_FLAGS = TFD_TIMER_ABSTIME | TFD_TIMER_CANCEL_ON_SET

# include/uapi/linux/time.h: the clock ids.
CLOCK_REALTIME = 0
CLOCK_MONOTONIC = 1
CLOCK_PROCESS_CPUTIME_ID = 2
CLOCK_THREAD_CPUTIME_ID = 3
CLOCK_MONOTONIC_RAW = 4
CLOCK_REALTIME_COARSE = 5
CLOCK_MONOTONIC_COARSE = 6
CLOCK_BOOTTIME = 7
CLOCK_REALTIME_ALARM = 8
CLOCK_BOOTTIME_ALARM = 9
CLOCK_TAI = 11

# The clocks timerfd_create accepts (fs/timerfd.c SYSCALL timerfd_create).
TIMERFD_CLOCKS = (CLOCK_REALTIME, CLOCK_MONOTONIC, CLOCK_BOOTTIME, CLOCK_REALTIME_ALARM, CLOCK_BOOTTIME_ALARM)
ALARM_CLOCKS = (CLOCK_REALTIME_ALARM, CLOCK_BOOTTIME_ALARM)

# include/vdso/time64.h and include/linux/ktime.h: a ktime_t is signed 64-bit
# nanoseconds; timespec64_to_ktime turns any tv_sec >= KTIME_SEC_MAX into
# KTIME_MAX, and ktime_add_safe saturates there.
NSEC_PER_SEC = 1_000_000_000
KTIME_MAX = (1 << 63) - 1
KTIME_SEC_MAX = KTIME_MAX // NSEC_PER_SEC
