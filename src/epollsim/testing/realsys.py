"""The raw system calls of the *real* kernel, through ctypes, shaped like ``Kernel.sys``.

Only tests use this: it is the oracle the model's ``k.sys`` is compared with.
(The model itself never calls the real kernel.) Errors become ``OSError``
with the real errno, exactly as the model raises them.
"""
from __future__ import annotations

import ctypes
import os
import select

_libc = ctypes.CDLL(None, use_errno=True)


class EpollEvent(ctypes.Structure):
    _pack_ = 1  # struct epoll_event is packed on x86-64
    _fields_ = [("events", ctypes.c_uint32), ("data", ctypes.c_uint64)]


def _check(result: int) -> int:
    if result < 0:
        code = ctypes.get_errno()
        raise OSError(code, os.strerror(code))
    return result


_libc.epoll_ctl.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_int, ctypes.c_void_p]
_libc.epoll_wait.argtypes = [ctypes.c_int, ctypes.c_void_p, ctypes.c_int, ctypes.c_int]
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

    def pipe2(self, flags: int = 0) -> tuple[int, int]:
        return os.pipe2(flags)

    def eventfd2(self, initval: int, flags: int) -> int:
        return _check(_libc.eventfd(ctypes.c_uint(initval), ctypes.c_int(flags)))

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
