"""The raw system calls of the *real* kernel, through ctypes, shaped like ``Kernel.sys``.

Only tests use this: it is the oracle the model's ``k.sys`` is compared with.
(The model itself never calls the real kernel.) Errors become ``OSError``
with the real errno, exactly as the model raises them.
"""
from __future__ import annotations

import ctypes
import os
import select
from collections.abc import Iterable
from typing import Any

_libc = ctypes.CDLL(None, use_errno=True)


class EpollEvent(ctypes.Structure):
    _pack_ = 1  # struct epoll_event is packed on x86-64
    _fields_ = [("events", ctypes.c_uint32), ("data", ctypes.c_uint64)]


def _check(result: int) -> int:
    if result < 0:
        code = ctypes.get_errno()
        raise OSError(code, os.strerror(code))
    return result


class Timespec(ctypes.Structure):
    _fields_ = [("tv_sec", ctypes.c_long), ("tv_nsec", ctypes.c_long)]


class Itimerspec(ctypes.Structure):
    _fields_ = [("it_interval", Timespec), ("it_value", Timespec)]


def _timespec(ns: int) -> Timespec:
    """_PyTime_AsTimespec: floor division, so -1 ns is (-1 s, 999999999 ns)."""
    sec, nsec = divmod(ns, 1_000_000_000)
    return Timespec(sec, nsec)


def _ns(ts: Timespec) -> int:
    return int(ts.tv_sec) * 1_000_000_000 + int(ts.tv_nsec)


_libc.epoll_ctl.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_int, ctypes.c_void_p]
_libc.epoll_wait.argtypes = [ctypes.c_int, ctypes.c_void_p, ctypes.c_int, ctypes.c_int]
_libc.epoll_pwait.argtypes = [ctypes.c_int, ctypes.c_void_p, ctypes.c_int, ctypes.c_int, ctypes.c_void_p]
_libc.epoll_pwait2.argtypes = [ctypes.c_int, ctypes.c_void_p, ctypes.c_int, ctypes.c_void_p, ctypes.c_void_p]


class Sigset(ctypes.Structure):
    _fields_ = [("val", ctypes.c_ulong * 16)]  # glibc's sigset_t: 1024 bits


def _sigset(signals: Iterable[int] | None) -> Any:
    """A pointer to a sigset_t holding ``signals``, or NULL for None."""
    if signals is None:
        return None
    mask = Sigset()
    for sig in signals:
        mask.val[(sig - 1) // 64] |= 1 << ((sig - 1) % 64)
    return ctypes.byref(mask)
_libc.send.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_size_t, ctypes.c_int]
_libc.send.restype = ctypes.c_ssize_t
_libc.recv.argtypes = [ctypes.c_int, ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int]
_libc.recv.restype = ctypes.c_ssize_t


class RealSys:
    """``k.sys`` for the host kernel (x86-64 Linux)."""

    def epoll_create(self, size: int) -> int:
        return _check(_libc.epoll_create(ctypes.c_int(size)))

    def epoll_create1(self, flags: int) -> int:
        return _check(_libc.epoll_create1(ctypes.c_int(flags)))

    def epoll_ctl(self, epfd: int, op: int, fd: int, events: int | None, data: int = 0) -> None:
        if events is None:
            ptr = None
        else:
            ev = EpollEvent(events & 0xFFFFFFFF, data & 0xFFFFFFFFFFFFFFFF)
            ptr = ctypes.addressof(ev)
        _check(_libc.epoll_ctl(epfd, op, fd, ptr))

    def epoll_wait(self, epfd: int, maxevents: int, timeout_ms: int) -> list[tuple[int, int]]:
        buf = (EpollEvent * max(1, min(maxevents, 4096)))()
        n = _check(_libc.epoll_wait(epfd, ctypes.addressof(buf), maxevents, timeout_ms))
        return [(buf[i].events, buf[i].data) for i in range(n)]

    def epoll_pwait(
        self, epfd: int, maxevents: int, timeout_ms: int, sigmask: Iterable[int] | None = None
    ) -> list[tuple[int, int]]:
        buf = (EpollEvent * max(1, min(maxevents, 4096)))()
        mask = _sigset(sigmask)
        n = _check(_libc.epoll_pwait(epfd, ctypes.addressof(buf), maxevents, timeout_ms, mask))
        return [(buf[i].events, buf[i].data) for i in range(n)]

    def epoll_pwait2(
        self, epfd: int, maxevents: int, timeout: tuple[int, int] | None, sigmask: Iterable[int] | None = None
    ) -> list[tuple[int, int]]:
        buf = (EpollEvent * max(1, min(maxevents, 4096)))()
        ts = None if timeout is None else ctypes.byref(Timespec(*timeout))
        n = _check(_libc.epoll_pwait2(epfd, ctypes.addressof(buf), maxevents, ts, _sigset(sigmask)))
        return [(buf[i].events, buf[i].data) for i in range(n)]

    def pipe2(self, flags: int = 0) -> tuple[int, int]:
        return os.pipe2(flags)

    def eventfd2(self, initval: int, flags: int) -> int:
        return _check(_libc.eventfd(ctypes.c_uint(initval), ctypes.c_int(flags)))

    def timerfd_create(self, clockid: int, flags: int) -> int:
        return _check(_libc.timerfd_create(ctypes.c_int(clockid), ctypes.c_int(flags)))

    def timerfd_settime(self, fd: int, flags: int, new: tuple[int, int]) -> tuple[int, int]:
        """``new`` and the result are (interval_ns, value_ns), as ``k.sys`` has them."""
        spec = Itimerspec(_timespec(new[0]), _timespec(new[1]))
        old = Itimerspec()
        _check(_libc.timerfd_settime(ctypes.c_int(fd), ctypes.c_int(flags), ctypes.byref(spec), ctypes.byref(old)))
        return _ns(old.it_interval), _ns(old.it_value)

    def timerfd_gettime(self, fd: int) -> tuple[int, int]:
        cur = Itimerspec()
        _check(_libc.timerfd_gettime(ctypes.c_int(fd), ctypes.byref(cur)))
        return _ns(cur.it_interval), _ns(cur.it_value)

    def read(self, fd: int, count: int) -> bytes:
        return os.read(fd, count)

    def write(self, fd: int, data: bytes) -> int:
        return os.write(fd, data)

    def close(self, fd: int) -> None:
        os.close(fd)

    def dup(self, fd: int) -> int:
        return _check(_libc.dup(fd))

    def dup2(self, oldfd: int, newfd: int) -> int:
        return _check(_libc.dup2(oldfd, newfd))

    def dup3(self, oldfd: int, newfd: int, flags: int) -> int:
        return _check(_libc.dup3(oldfd, newfd, flags))

    def fcntl(self, fd: int, cmd: int, arg: int = 0) -> int:
        return _check(_libc.fcntl(fd, cmd, ctypes.c_long(arg)))

    def ioctl(self, fd: int, request: int) -> int:
        """ioctl(fd, request, &value) for the requests that answer an int: the value."""
        value = ctypes.c_int(0)
        _check(_libc.ioctl(fd, ctypes.c_ulong(request & 0xFFFFFFFF), ctypes.byref(value)))
        return value.value

    def socketpair(self, family: int, type: int, proto: int) -> tuple[int, int]:
        fds = (ctypes.c_int * 2)()
        _check(_libc.socketpair(family, type, proto, fds))
        return fds[0], fds[1]

    def sendto(self, fd: int, data: bytes, flags: int = 0) -> int:
        return _check(_libc.send(fd, data, len(data), flags))

    def recvfrom(self, fd: int, bufsize: int, flags: int = 0) -> bytes:
        buf = ctypes.create_string_buffer(max(1, bufsize))
        n = _check(_libc.recv(fd, buf, bufsize, flags))
        return buf.raw[:n]

    def shutdown(self, fd: int, how: int) -> None:
        _check(_libc.shutdown(fd, how))

    def getsockopt(self, fd: int, level: int, optname: int) -> int:
        value = ctypes.c_int()
        size = ctypes.c_uint32(ctypes.sizeof(value))
        _check(_libc.getsockopt(fd, level, optname, ctypes.byref(value), ctypes.byref(size)))
        return value.value

    def poll(self, fds: list[tuple[int, int]], timeout_ms: int) -> list[int]:
        p = select.poll()
        for fd, events in fds:
            p.register(fd, events)
        got = dict(p.poll(timeout_ms))
        return [got.get(fd, 0) for fd, _ in fds]
