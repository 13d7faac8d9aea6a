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
from typing import Any, ClassVar, SupportsIndex

from ..abi import epoll as _abi_epoll
from ..abi import poll as _abi_poll
from ..abi.epoll import (
    EPOLL_CLOEXEC,
    EPOLLERR,
    EPOLLHUP,
    EPOLLIN,
    EPOLLOUT,
    EPOLLPRI,
    EPOLLRDBAND,
    EPOLLRDNORM,
    EPOLLWRBAND,
    EPOLLWRNORM,
)
from ..abi.limits import PIPE_BUF
from ..abi.poll import POLLIN, POLLOUT, POLLPRI
from ..errors import oserror
from ..syscalls import Syscalls
from ._convert import (
    c_int,
    fildes,
    ns_to_ms_checked,
    time_to_ns,
    unsigned_short,
)
from ._module import StandIn, copy_constants, on_first_use
from .fastpath import FastEpoll, closed_error

_NS_PER_S = 1_000_000_000
_NS_PER_MS = 1_000_000


class epoll(FastEpoll):
    """select.epoll; subclassed once per kernel to bind ``_sys``."""

    __slots__ = ()  # _epfd: FastEpoll's
    _sys: ClassVar[Syscalls]
    _tp_name: ClassVar[str] = "select.epoll"  # how CPython's messages name the C type

    def __new__(cls, sizehint: Any = -1, flags: Any = 0) -> epoll:
        """pyepoll_new, the type's tp_new: the whole constructor (there is no __init__), so
        ``epoll.__new__(epoll)`` alone is a working epoll, as CPython's is."""
        self = super().__new__(cls)  # FastEpoll.__new__: a native class when compiled
        self._epfd = -1
        sizehint = c_int(sizehint)
        flags = c_int(flags)
        if sizehint != -1 and sizehint <= 0:
            raise ValueError("negative sizehint")
        if flags and flags != EPOLL_CLOEXEC:
            raise OSError("invalid flags")
        self._epfd = cls._sys.epoll_create1(EPOLL_CLOEXEC)
        return self

    def __init_subclass__(cls, **kwargs: Any) -> None:
        # SelectModule binds one direct subclass per kernel; anything deriving from that is
        # a program's own subclass, which CPython's static type refuses.
        if any(base is not epoll and issubclass(base, epoll) for base in cls.__bases__):
            raise TypeError("type 'select.epoll' is not an acceptable base type")
        super().__init_subclass__(**kwargs)

    def __reduce_ex__(self, protocol: Any) -> Any:
        raise TypeError("cannot pickle 'select.epoll' object")

    @classmethod
    def fromfd(cls, fd: int, /) -> epoll:
        """Wrap an epoll fd without checking it; -1 creates a new instance (as CPython does)."""
        fd = c_int(fd)
        if fd < -1:
            # newPyEpoll_Object stores the number, sees it is negative and raises
            # PyErr_SetFromErrno with nothing having set errno: OSError(0, 'Error').
            raise OSError(0, "Error")
        if fd == -1:
            return cls()
        obj = super().__new__(cls)
        obj._epfd = fd
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
            raise closed_error()
        return self._epfd

    # register, modify, unregister and poll: the flat fast path (compat/fastpath.py). As
    # Argument Clinic does, they convert the arguments before the closed check.

    def __del__(self) -> None:
        # pyepoll_dealloc: CPython closes the fd when the object goes, silently.
        if self._epfd >= 0:
            self.close()

    def __enter__(self) -> epoll:
        if self._epfd < 0:
            raise closed_error()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"<select.epoll object at {id(self):#x}>"  # the C type's default repr


class poll:
    """The object select.poll() returns; fds are polled in registration order, as CPython's dict keeps them."""

    __slots__ = ("_fds", "_running")
    _sys: ClassVar[Syscalls]
    _tp_name: ClassVar[str] = "select.poll"
    _fds: dict[int, int]
    _running: bool

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        # Only select.poll() makes these (CPython's type has no tp_new).
        raise TypeError("cannot create 'select.poll' instances")

    @classmethod
    def _create(cls) -> poll:
        obj = object.__new__(cls)
        obj._fds = {}
        obj._running = False
        return obj

    def __init_subclass__(cls, **kwargs: Any) -> None:
        if any(base is not poll and issubclass(base, poll) for base in cls.__bases__):
            raise TypeError("type 'select.poll' is not an acceptable base type")
        super().__init_subclass__(**kwargs)

    def __reduce_ex__(self, protocol: Any) -> Any:
        raise TypeError("cannot pickle 'select.poll' object")

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

    def poll(self, timeout: float | SupportsIndex | None = None) -> list[tuple[int, int]]:
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


_PollObject = poll  # inside SelectModule, "poll" is the method


# fs/select.c: which poll bits make an fd readable, writable or "exceptional" for select().
_POLLIN_SET = EPOLLRDNORM | EPOLLRDBAND | EPOLLIN | EPOLLHUP | EPOLLERR
_POLLOUT_SET = EPOLLWRBAND | EPOLLWRNORM | EPOLLOUT | EPOLLERR
_POLLEX_SET = EPOLLPRI
_FD_SETSIZE = 1024


def _select_fds(objs: Any) -> list[tuple[Any, int]]:
    pairs = []
    for obj in objs:
        fd = fildes(obj)
        if fd >= _FD_SETSIZE:
            raise ValueError("filedescriptor out of range in select()")
        pairs.append((obj, fd))
    return pairs


class SelectModule(StandIn):
    """``k.select``."""

    _mirrors = _real_select
    # The constants set on this class after it is made (copy_constants below: abi/epoll.py and abi/poll.py), where the
    # running CPython's module has them, declared for type checkers (tests/unit/test_typing.py
    # checks that the two lists agree).
    EPOLLERR: ClassVar[int]
    EPOLLET: ClassVar[int]
    EPOLLEXCLUSIVE: ClassVar[int]
    EPOLLHUP: ClassVar[int]
    EPOLLIN: ClassVar[int]
    EPOLLMSG: ClassVar[int]
    EPOLLONESHOT: ClassVar[int]
    EPOLLOUT: ClassVar[int]
    EPOLLPRI: ClassVar[int]
    EPOLLRDBAND: ClassVar[int]
    EPOLLRDHUP: ClassVar[int]
    EPOLLRDNORM: ClassVar[int]
    EPOLLWRBAND: ClassVar[int]
    EPOLLWRNORM: ClassVar[int]
    EPOLL_CLOEXEC: ClassVar[int]
    POLLERR: ClassVar[int]
    POLLHUP: ClassVar[int]
    POLLIN: ClassVar[int]
    POLLMSG: ClassVar[int]
    POLLNVAL: ClassVar[int]
    POLLOUT: ClassVar[int]
    POLLPRI: ClassVar[int]
    POLLRDBAND: ClassVar[int]
    POLLRDHUP: ClassVar[int]
    POLLRDNORM: ClassVar[int]
    POLLWRBAND: ClassVar[int]
    POLLWRNORM: ClassVar[int]
    error = OSError
    PIPE_BUF = PIPE_BUF

    def __init__(self, sys: Syscalls) -> None:
        self._sys = sys

    # This host's subclasses binding ``_sys``, made on first use (compat/_module.py).
    # Named as the stdlib's types are (type(select.poll()) is select.poll).
    epoll: on_first_use[type[epoll]] = on_first_use(
        lambda m: type("epoll", (epoll,), {"__slots__": (), "_sys": m._sys, "__module__": "select"})
    )
    _poll_cls: on_first_use[type[_PollObject]] = on_first_use(
        lambda m: type("poll", (poll,), {"__slots__": (), "_sys": m._sys, "__module__": "select"})
    )

    def poll(self) -> _PollObject:
        return self._poll_cls._create()

    def select(
        self, rlist: Any, wlist: Any, xlist: Any, timeout: float | SupportsIndex | None = None, /
    ) -> tuple[list[Any], ...]:
        """select.select over the model's poll: the objects of each list that are ready."""
        if timeout is None:
            ms = -1
        else:
            try:
                ns = time_to_ns(timeout, _NS_PER_S)
            except TypeError:
                raise TypeError("timeout must be a float or None") from None
            if ns < 0:
                raise ValueError("timeout must be non-negative")
            ms = ns_to_ms_checked(ns, ceiling=True)
        lists = [_select_fds(rlist), _select_fds(wlist), _select_fds(xlist)]
        # do_select asks each fd only for the sets it is in: a writable fd in rlist alone
        # does not end the wait.
        wanted: dict[int, int] = {}
        for pairs, bits in zip(lists, (_POLLIN_SET, _POLLOUT_SET, _POLLEX_SET)):
            for _, fd in pairs:
                wanted[fd] = wanted.get(fd, 0) | bits
        fds = sorted(wanted)
        for fd in fds:
            self._sys.poll_target(fd)  # do_select: a closed fd is EBADF, not POLLNVAL
        polled = dict(zip(fds, self._sys.poll([(fd, wanted[fd]) for fd in fds], ms)))
        return tuple(
            [obj for obj, fd in pairs if polled[fd] & bits]
            for pairs, bits in zip(lists, (_POLLIN_SET, _POLLOUT_SET, _POLLEX_SET))
        )


copy_constants(SelectModule, _abi_epoll, _abi_poll, prefixes=("EPOLL", "POLL"))
