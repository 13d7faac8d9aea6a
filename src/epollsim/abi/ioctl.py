"""ioctl request numbers (x86-64 and the generic ABI): include/uapi/asm-generic/ioctls.h,
include/uapi/linux/sockios.h.

The model answers only the queue-size requests, which every kind of file it
has can be asked: FIONREAD (how much a read would find) and TIOCOUTQ (what is
still queued for output). Sockets know them by their other names.
"""

TIOCOUTQ = 0x5411  # asm-generic/ioctls.h
FIONREAD = 0x541B  # asm-generic/ioctls.h
SIOCINQ = FIONREAD  # linux/sockios.h
SIOCOUTQ = TIOCOUTQ  # linux/sockios.h

#: The requests whose answer is an int the kernel writes through the argument pointer.
QUEUE_REQUESTS = (FIONREAD, TIOCOUTQ)

NAMES = {FIONREAD: "FIONREAD", TIOCOUTQ: "TIOCOUTQ"}
