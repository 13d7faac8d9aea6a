"""eventfd ABI: include/uapi/linux/eventfd.h."""
from .fcntl import O_CLOEXEC, O_NONBLOCK

EFD_SEMAPHORE = 1
EFD_NONBLOCK = O_NONBLOCK
EFD_CLOEXEC = O_CLOEXEC
EFD_FLAGS_SET = EFD_SEMAPHORE | EFD_NONBLOCK | EFD_CLOEXEC
# fs/eventfd.c: the counter never reaches ULLONG_MAX through write().
EVENTFD_MAX = 0xFFFFFFFFFFFFFFFE
