"""A stand-in for ``select``: ``epoll`` and ``poll`` objects as Modules/selectmodule.c makes them.

The quirks are CPython's, reproduced on purpose: ``epoll()`` always asks for
EPOLL_CLOEXEC; timeouts are seconds rounded *up* to whole milliseconds (so
``poll(-0.0001)`` does not block while ``poll(-1)`` waits forever);
``maxevents=-1`` means 1023; event masks are cut to 32 bits; ``close()``
never raises; ``fromfd(-1)`` creates a new instance; every method of a closed
object raises ``ValueError``. Events come back as ``(fd, mask)`` with ``fd``
the low 32 bits of the stored data, as CPython stores ``data.fd``.
"""
from __future__ import annotations

import select as _real_select
from errno import ENOENT
from typing import Any, ClassVar

from ..abi import epoll as _abi_epoll
from ..abi import poll as _abi_poll
from ..abi.epoll import (
    EPOLL_CLOEXEC,
    EPOLL_CTL_ADD,
    EPOLL_CTL_DEL,
    EPOLL_CTL_MOD,
    PY_EPOLL_DEFAULT_MASK,
    PY_EPOLL_DEFAULT_MAXEVENTS,
)
from ..abi.poll import POLLIN, POLLOUT, POLLPRI
from ..errors import oserror
from ..syscalls import Syscalls
from ._convert import c_int, fildes, ns_to_ms_checked, time_to_ns, unsigned_mask, unsigned_short
from ._module import StandIn, copy_constants

_NS_PER_S = 1_000_000_000
_NS_PER_MS = 1_000_000


def _closed() -> ValueError:
    return ValueError("I/O operation on closed epoll object")


def _data_fd(data: int) -> int:
    fd = data & 0xFFFFFFFF
    return fd - (1 << 32) if fd >= 1 << 31 else fd


class epoll:  # noqa: N801 - the stdlib's name
    """select.epoll; subclassed once per kernel to bind ``_sys``."""

    __slots__ = ("_epfd",)
    _sys: ClassVar[Syscalls]

    def __init__(self, sizehint: int = -1, flags: int = 0) -> None:
        self._epfd = -1
        sizehint = c_int(sizehint)
        flags = c_int(flags)
        if sizehint != -1 and sizehint <= 0:
            raise ValueError("negative sizehint")
        if flags and flags != EPOLL_CLOEXEC:
            raise OSError("invalid flags")
        self._epfd = self._sys.epoll_create1(EPOLL_CLOEXEC)

    @classmethod
    def fromfd(cls, fd: int, /) -> epoll:
        """Wrap an epoll fd without checking it; -1 creates a new instance (as CPython does)."""
        fd = c_int(fd)
        obj = cls.__new__(cls)
        obj._epfd = cls._sys.epoll_create1(EPOLL_CLOEXEC) if fd == -1 else fd
        return obj

    @property
    def closed(self) -> bool:
        return self._epfd < 0

    def close(self) -> None:
        fd, self._epfd = self._epfd, -1
        if fd >= 0:
            try:
                self._sys.close(fd)
            except OSError:
                pass  # CPython never reports close(2)'s errors here

    def fileno(self) -> int:
        if self._epfd < 0:
            raise _closed()
        return self._epfd

    def _ctl(self, op: int, fd: int, mask: int) -> None:
        if self._epfd < 0:
            raise _closed()
        self._sys.epoll_ctl(self._epfd, op, fd, mask, fd)

    def register(self, fd: Any, eventmask: int = PY_EPOLL_DEFAULT_MASK) -> None:
        fd = fildes(fd)
        self._ctl(EPOLL_CTL_ADD, fd, unsigned_mask(eventmask, 32))

    def modify(self, fd: Any, eventmask: int) -> None:
        fd = fildes(fd)
        self._ctl(EPOLL_CTL_MOD, fd, unsigned_mask(eventmask, 32))

    def unregister(self, fd: Any) -> None:
        fd = fildes(fd)
        self._ctl(EPOLL_CTL_DEL, fd, 0)

    def poll(self, timeout: Any = None, maxevents: int = -1) -> list[tuple[int, int]]:
        maxevents = c_int(maxevents)
        epfd = self._epfd
        if epfd < 0:
            raise _closed()
        ms = -1
        if timeout is not None:
            ms = ns_to_ms_checked(time_to_ns(timeout, _NS_PER_S), ceiling=True)
        if maxevents == -1:
            maxevents = PY_EPOLL_DEFAULT_MAXEVENTS
        elif maxevents < 1:
            raise ValueError(f"maxevents must be greater than 0, got {maxevents}")
        return [(_data_fd(data), events) for events, data in self._sys.epoll_wait(epfd, maxevents, ms)]

    def __enter__(self) -> epoll:
        if self._epfd < 0:
            raise _closed()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"<select.epoll fd={self._epfd} (epollsim)>"


class poll:  # noqa: N801 - the stdlib's name
    """The object select.poll() returns; fds are polled in registration order, as CPython's dict keeps them."""

    __slots__ = ("_fds", "_running")
    _sys: ClassVar[Syscalls]

    def __init__(self) -> None:
        self._fds: dict[int, int] = {}
        self._running = False

    def register(self, fd: Any, eventmask: int = POLLIN | POLLPRI | POLLOUT) -> None:
        fd = fildes(fd)
        self._fds[fd] = unsigned_short(eventmask)

    def modify(self, fd: Any, eventmask: int) -> None:
        fd = fildes(fd)
        mask = unsigned_short(eventmask)
        if fd not in self._fds:
            raise oserror(ENOENT)
        self._fds[fd] = mask

    def unregister(self, fd: Any) -> None:
        fd = fildes(fd)
        if fd not in self._fds:
            raise KeyError(fd)
        del self._fds[fd]

    def poll(self, timeout: Any = None) -> list[tuple[int, int]]:
        ms = -1
        if timeout is not None:
            ms = ns_to_ms_checked(time_to_ns(timeout, _NS_PER_MS), ceiling=False)
        if self._running:
            raise RuntimeError("concurrent poll() invocation")
        fds = list(self._fds.items())
        self._running = True
        try:
            revents = self._sys.poll(fds, ms)
        finally:
            self._running = False
        return [(fd, rev) for (fd, _), rev in zip(fds, revents) if rev]


class SelectModule(StandIn):
    """``k.select``."""

    _mirrors = _real_select
    error = OSError

    def __init__(self, sys: Syscalls) -> None:
        self._sys = sys
        self.epoll = type("epoll", (epoll,), {"__slots__": (), "_sys": sys})
        self._poll_cls = type("poll", (poll,), {"__slots__": (), "_sys": sys})

    def poll(self) -> poll:
        return self._poll_cls()


copy_constants(SelectModule, _abi_epoll, _abi_poll, prefixes=("EPOLL", "POLL"))
