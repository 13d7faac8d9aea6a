"""epoll ABI: include/uapi/linux/eventpoll.h and fs/eventpoll.c."""
from __future__ import annotations

import enum

EPOLL_CTL_ADD = 1
EPOLL_CTL_DEL = 2
EPOLL_CTL_MOD = 3

EPOLLIN = 0x001
EPOLLPRI = 0x002
EPOLLOUT = 0x004
EPOLLERR = 0x008
EPOLLHUP = 0x010
EPOLLNVAL = 0x020
EPOLLRDNORM = 0x040
EPOLLRDBAND = 0x080
EPOLLWRNORM = 0x100
EPOLLWRBAND = 0x200
EPOLLMSG = 0x400
EPOLLRDHUP = 0x2000
EPOLLEXCLUSIVE = 1 << 28
EPOLLWAKEUP = 1 << 29
EPOLLONESHOT = 1 << 30
EPOLLET = 1 << 31

# O_CLOEXEC on x86, arm and the generic ABI (include/uapi/asm-generic/fcntl.h).
EPOLL_CLOEXEC = 0o2000000

# fs/eventpoll.c: the bits that steer epoll itself and are never reported.
EP_PRIVATE_BITS = EPOLLWAKEUP | EPOLLONESHOT | EPOLLET | EPOLLEXCLUSIVE
# fs/eventpoll.c: the only bits allowed beside EPOLLEXCLUSIVE.
EPOLLEXCLUSIVE_OK_BITS = (
    EPOLLIN | EPOLLOUT | EPOLLERR | EPOLLHUP | EPOLLWAKEUP | EPOLLET | EPOLLEXCLUSIVE
)
# fs/eventpoll.c: the IN/OUT part of a wake-up key, as EPOLLEXCLUSIVE reads it.
EPOLLINOUT_BITS = EPOLLIN | EPOLLOUT
# fs/eventpoll.c: maximum nesting of epoll-in-epoll edges.
EP_MAX_NESTS = 4
# fs/eventpoll.c: INT_MAX / sizeof(struct epoll_event); the struct is packed
# to 12 bytes on x86-64.
EP_MAX_EVENTS = 0x7FFFFFFF // 12

# The default mask CPython's epoll.register uses (Modules/selectmodule.c).
PY_EPOLL_DEFAULT_MASK = EPOLLIN | EPOLLPRI | EPOLLOUT
# FD_SETSIZE - 1: what CPython's epoll.poll(maxevents=-1) asks for.
PY_EPOLL_DEFAULT_MAXEVENTS = 1023


class EpollFlag(enum.IntFlag):
    """The event bits, for printing masks as ``EPOLLIN|EPOLLOUT``."""

    EPOLLIN = EPOLLIN
    EPOLLPRI = EPOLLPRI
    EPOLLOUT = EPOLLOUT
    EPOLLERR = EPOLLERR
    EPOLLHUP = EPOLLHUP
    EPOLLNVAL = EPOLLNVAL
    EPOLLRDNORM = EPOLLRDNORM
    EPOLLRDBAND = EPOLLRDBAND
    EPOLLWRNORM = EPOLLWRNORM
    EPOLLWRBAND = EPOLLWRBAND
    EPOLLMSG = EPOLLMSG
    EPOLLRDHUP = EPOLLRDHUP
    EPOLLEXCLUSIVE = EPOLLEXCLUSIVE
    EPOLLWAKEUP = EPOLLWAKEUP
    EPOLLONESHOT = EPOLLONESHOT
    EPOLLET = EPOLLET


def mask_name(mask: int) -> str:
    """``EPOLLIN|EPOLLOUT`` for 5, ``0`` for 0; unknown bits are shown in hex."""
    if not mask:
        return "0"
    names = [f.name for f in EpollFlag if f.value & mask and f.name]
    rest = mask & ~sum(f.value for f in EpollFlag)
    if rest:
        names.append(hex(rest))
    return "|".join(names)
