"""Constants and helpers shared by the epoll-shim test files."""
from __future__ import annotations

import fcntl as _fcntl
import os as _os
import select as _select
import socket as _socket
from collections.abc import Callable

import pytest

from epollsim.testing.backends import Backend

EPOLLIN, EPOLLOUT, EPOLLERR, EPOLLHUP = _select.EPOLLIN, _select.EPOLLOUT, _select.EPOLLERR, _select.EPOLLHUP
EPOLLRDHUP, EPOLLET, EPOLLONESHOT = _select.EPOLLRDHUP, _select.EPOLLET, _select.EPOLLONESHOT
EPOLL_CLOEXEC = _select.EPOLL_CLOEXEC
POLLIN, POLLOUT, POLLERR = _select.POLLIN, _select.POLLOUT, _select.POLLERR
ADD, DEL, MOD, BAD_OP = 1, 2, 3, 42  # EPOLL_CTL_*, and the invalid op epoll-shim uses
EP_MAX_EVENTS = 0x7FFFFFFF // 12  # INT_MAX / sizeof(struct epoll_event), packed on x86-64
O_CLOEXEC, O_NONBLOCK, O_RDWR = _os.O_CLOEXEC, _os.O_NONBLOCK, _os.O_RDWR
EFD_CLOEXEC, EFD_NONBLOCK, EFD_SEMAPHORE = _os.EFD_CLOEXEC, _os.EFD_NONBLOCK, _os.EFD_SEMAPHORE
F_GETFD, F_GETFL, F_SETFL, FD_CLOEXEC = _fcntl.F_GETFD, _fcntl.F_GETFL, _fcntl.F_SETFL, _fcntl.FD_CLOEXEC
AF_UNIX, SOCK_STREAM = _socket.AF_UNIX, _socket.SOCK_STREAM
SOCK_NB = SOCK_STREAM | _socket.SOCK_CLOEXEC | _socket.SOCK_NONBLOCK
SHUT_RD, SHUT_WR = _socket.SHUT_RD, _socket.SHUT_WR
UINT_MAX, U64_MAX = 0xFFFFFFFF, 0xFFFFFFFFFFFFFFFF
PIPE_BUF = 4096  # Linux
TIMEOUT_MS = 10


def _errno(call: Callable[..., object], *args: object) -> int:
    """The errno of the OSError that ``call(*args)`` raises."""
    with pytest.raises(OSError) as info:
        call(*args)
    assert info.value.errno is not None
    return info.value.errno


def _masks(backend: Backend, ep: int, timeout: int = 0) -> list[int]:
    """The event masks one ``epoll_wait(ep, 32 slots, timeout)`` returns."""
    return [events for events, _ in backend.sys.epoll_wait(ep, 32, timeout)]


def _revents(backend: Backend, fd: int, events: int) -> int:
    return backend.sys.poll([(fd, events)], 0)[0]


def _fill_pipe_by_bytes(backend: Backend, w: int) -> int:
    """``while (write(p[1], &c, 1) == 1)``, then EAGAIN."""
    n = 0
    while True:
        try:
            backend.sys.write(w, b"\0")
        except BlockingIOError:
            return n
        n += 1


def _pipe_ep(backend: Backend, add_fd: int | None = None, mask: int = 0) -> int:
    ep = backend.sys.epoll_create1(EPOLL_CLOEXEC)
    if add_fd is not None:
        backend.sys.epoll_ctl(ep, ADD, add_fd, mask)
    return ep


