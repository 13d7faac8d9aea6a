"""The flat fast path of the hot stand-in calls: ``os.read``, ``os.write`` and ``epoll``'s
``poll``, ``register``, ``modify`` and ``unregister``.

Theory of operation
-------------------
A stand-in call normally goes stand-in -> system call (``syscalls/``) -> the file's operation,
one Python frame per layer (architecture.md, "The hot path"). Here the common case goes from
the stand-in to the file's operation in one step: the arguments are exact ints (and bytes), the
fd is looked up in the process's table inline, and the file (or the ``Epoll`` in ``vfs/``) is
called directly. It does exactly what the system call would for that case, no more.

Anything unusual takes today's general path, which is the reference: an argument that needs
CPython's conversions, a number that is not open (or not of the expected kind), a call that
fails (the slow path derives the errno again, in Linux's order), and every call while

* the host's ``Syscalls`` object is not the plain class: the trace recorder
  (``trace/recorder.py``) and a preemptive schedule (``syscalls/preempt.py``) swap its class
  so that they see every system call; one ``__class__`` test per call keeps them seeing all;
* the race detector is on (``hb.on``): the data path's release/acquire stays in ``syscalls/``.

A first attempt that must wait (the file's ``WouldBlock``) or fails with EPIPE is finished by
the system-call layer's own continuation (``FdCalls._read_done``, ``FdCalls._write_failed``,
``EpollCalls._ep_poll``), so sleeping, retrying and SIGPIPE are written once.

The fast path is only ever a shortcut to the same result: the contract suites run through it
(every exact-int call), and ``tests/unit/test_fastpath.py`` checks that each call falls back
when it must and that both paths leave the same trace.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar, SupportsIndex

from mypy_extensions import mypyc_attr

from ..abi.epoll import (
    EP_MAX_EVENTS,
    EPOLL_CTL_ADD,
    EPOLL_CTL_DEL,
    EPOLL_CTL_MOD,
    EPOLLERR,
    EPOLLEXCLUSIVE,
    EPOLLHUP,
    PY_EPOLL_DEFAULT_MASK,
    PY_EPOLL_DEFAULT_MAXEVENTS,
)
from ..abi.fcntl import O_NONBLOCK
from ..files.blocking import WouldBlock
from ..syscalls import Syscalls
from ..vfs.epoll import Epoll
from ..vfs.file import FMODE_READ, FMODE_WRITE
from ._convert import INT_MAX, INT_MIN, c_int, fildes, ns_to_ms_checked, time_to_ns, unsigned_mask

# CPython allocates ``length`` bytes up front (a huge length is a MemoryError
# on the host); the model only caps the count it passes down, which changes
# nothing a test can see because no file kind returns that much at once.
READ_MAX = 0x7FFFFFFF

_U32 = 0xFFFFFFFF
_EVENT_ALWAYS = EPOLLERR | EPOLLHUP  # ep_insert/ep_modify add them to every mask
_NS_PER_S = 1_000_000_000
_PLAIN_NUMBERS = (int, float)


def closed_error() -> ValueError:
    return ValueError("I/O operation on closed epoll object")


# Compiled by mypyc (src/epollsim/_compiled.py), these are native classes that the stand-ins,
# interpreted classes, derive from.
@mypyc_attr(allow_interpreted_subclasses=True)
class FastOs:
    """``os.read`` and ``os.write`` of the ``os`` stand-in (compat/os.py): its general
    ``_read`` and ``_write`` are the slow path. The parameters say what a program may pass
    (``SupportsIndex``, as typeshed's ``os.read``); the bodies take them as ``Any`` because a
    program may pass anything, and mypyc checks a native type (``int``) at run time, which
    would pre-empt CPython's own error. (mypyc checks no protocol: ``SupportsIndex`` is
    an object to it.)"""

    __slots__ = ()
    _sys: Syscalls

    def read(self, fd_: SupportsIndex, length_: SupportsIndex, /) -> bytes:
        fd: Any = fd_
        length: Any = length_
        sys_ = self._sys
        if (
            sys_.__class__ is Syscalls
            and fd.__class__ is int
            and length.__class__ is int
            and 0 <= length <= READ_MAX
            and not sys_.hb.on
        ):
            file = sys_.files.get(fd)
            if file is not None and file.fmode & FMODE_READ:
                # Any: a kind's read may return its WouldBlock (files/blocking.py).
                read: Any = file.read
                if read is not None:  # FdCalls.read, inline
                    data: Any
                    try:
                        data = read(length)
                    except WouldBlock as blocked:
                        data = blocked
                    if data.__class__ is bytes:
                        return data
                    return sys_._read_done(fd, file, read, length, data)
        return self._read(fd, length)

    def write(self, fd_: SupportsIndex, data: Any, /) -> int:
        fd: Any = fd_
        sys_ = self._sys
        if sys_.__class__ is Syscalls and fd.__class__ is int and data.__class__ is bytes and not sys_.hb.on:
            file = sys_.files.get(fd)
            if file is not None and file.fmode & FMODE_WRITE:
                write = file.write
                if write is not None:  # FdCalls.write, inline
                    try:
                        done = write(data)
                    except (WouldBlock, BrokenPipeError) as exc:
                        done = sys_._write_failed(fd, file, write, data, exc)
                    if done < len(data) and not file.flags & O_NONBLOCK:
                        return sys_.finish_write(f"write({fd})", write, data, done, file)
                    return done
        return self._write(fd, data)

    # The general path: the stand-in's own (compat/os.py).

    def _read(self, fd: Any, length: Any, /) -> bytes:
        raise NotImplementedError

    def _write(self, fd: Any, data: Any, /) -> int:
        raise NotImplementedError


@mypyc_attr(allow_interpreted_subclasses=True)
class FastEpoll:
    """``select.epoll``'s hot methods (compat/select.py): the conversions are the stand-in's
    own exact-int checks; ``epoll_ctl`` and ``epoll_wait`` are inlined for the common case, and
    any failure is left to the system call, which raises Linux's first errno."""

    __slots__ = ("_epfd",)  # the epoll fd, -1 once closed (here: a native class's attribute)
    _sys: ClassVar[Syscalls]
    _epfd: int

    def register(self, fd: Any, eventmask: SupportsIndex = PY_EPOLL_DEFAULT_MASK) -> None:
        events: Any = eventmask
        if fd.__class__ is not int or not 0 <= fd <= INT_MAX:
            fd = fildes(fd)
        mask = events & _U32 if events.__class__ is int else unsigned_mask(events, 32)
        epfd = self._epfd
        if epfd < 0:
            raise closed_error()
        sys_ = self._sys
        if sys_.__class__ is Syscalls and not mask & EPOLLEXCLUSIVE:
            files = sys_.files
            ep = files.get(epfd)
            target = files.get(fd)
            if ep.__class__ is Epoll and target is not None and target.plain_target:
                if TYPE_CHECKING:  # what the test established
                    assert isinstance(ep, Epoll)
                user = ep.user
                if (target.fid, fd) not in ep.interests and user.watches < user.max_watches:
                    ep.insert(target, fd, mask | _EVENT_ALWAYS, fd)
                    return
        sys_.epoll_ctl(epfd, EPOLL_CTL_ADD, fd, mask, fd)

    def modify(self, fd: Any, eventmask: SupportsIndex) -> None:
        events: Any = eventmask
        if fd.__class__ is not int or not 0 <= fd <= INT_MAX:
            fd = fildes(fd)
        mask = events & _U32 if events.__class__ is int else unsigned_mask(events, 32)
        epfd = self._epfd
        if epfd < 0:
            raise closed_error()
        sys_ = self._sys
        if sys_.__class__ is Syscalls and not mask & EPOLLEXCLUSIVE:
            files = sys_.files
            ep = files.get(epfd)
            target = files.get(fd)
            if ep.__class__ is Epoll and target is not None and target.plain_target:
                if TYPE_CHECKING:  # what the test established
                    assert isinstance(ep, Epoll)
                item = ep.interests.get((target.fid, fd))
                if item is not None and not item.events & EPOLLEXCLUSIVE:
                    ep.modify(item, mask | _EVENT_ALWAYS, fd)
                    return
        sys_.epoll_ctl(epfd, EPOLL_CTL_MOD, fd, mask, fd)

    def unregister(self, fd: Any) -> None:
        if fd.__class__ is not int or not 0 <= fd <= INT_MAX:
            fd = fildes(fd)
        epfd = self._epfd
        if epfd < 0:
            raise closed_error()
        sys_ = self._sys
        if sys_.__class__ is Syscalls:
            files = sys_.files
            ep = files.get(epfd)
            target = files.get(fd)
            if ep.__class__ is Epoll and target is not None and target.plain_target:
                if TYPE_CHECKING:  # what the test established
                    assert isinstance(ep, Epoll)
                item = ep.interests.get((target.fid, fd))
                if item is not None:
                    ep.remove(item)
                    return
        sys_.epoll_ctl(epfd, EPOLL_CTL_DEL, fd, 0, fd)

    def poll(self, timeout: Any = None, maxevents: SupportsIndex = -1) -> list[tuple[int, int]]:
        most: Any = maxevents
        if most.__class__ is not int or not INT_MIN <= most <= INT_MAX:
            most = c_int(most)
        epfd = self._epfd
        if epfd < 0:
            raise closed_error()
        if timeout.__class__ is int and -2_000_000 < timeout < 2_000_000:
            ms = timeout * 1000 if timeout >= 0 else -1  # whole seconds (selectors' -1, 0): exact, in range
        elif timeout is None:
            ms = -1
        elif timeout == 0 and timeout.__class__ in _PLAIN_NUMBERS:
            ms = 0
        else:
            ms = ns_to_ms_checked(time_to_ns(timeout, _NS_PER_S), ceiling=True)
        if most < 1:
            if most != -1:
                raise ValueError(f"maxevents must be greater than 0, got {most}")
            most = PY_EPOLL_DEFAULT_MAXEVENTS
        sys_ = self._sys
        if sys_.__class__ is Syscalls:
            ep = sys_.files.get(epfd)
            if ep.__class__ is Epoll and most <= EP_MAX_EVENTS:  # EpollCalls.epoll_wait, inline
                if TYPE_CHECKING:  # what the test established
                    assert isinstance(ep, Epoll)
                events = ep.harvest(most, True) if ep.ready else []
                if events or ms == 0:
                    return events
                return sys_._ep_poll(ep, epfd, most, sys_.deadline_after_ms(ms), True)
        return sys_.epoll_wait(epfd, most, ms, True)
