"""Helpers for the loopback TCP contract tests: masks through epoll, connected pairs, settling.

On the real kernel a loopback packet is processed before the sending call
returns almost always; ``settled_mask`` still polls with a short timeout
until the expected mask shows (or the time runs out), so a slow CI machine
does not fail a test the model passes. On the model it answers at once:
virtual time does not pass unless a thread blocks.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from epollsim.testing.backends import Backend

IN, PRI, OUT, ERR, HUP = 0x1, 0x2, 0x4, 0x8, 0x10
RDNORM, RDBAND, WRNORM, WRBAND, RDHUP = 0x40, 0x80, 0x100, 0x200, 0x2000
ET = 1 << 31
STD = IN | OUT | RDHUP


def mask(backend: Backend, sock: Any, interest: int = STD) -> int:
    """What a fresh epoll registration of ``sock`` reports right now."""
    ep = backend.select.epoll()
    try:
        ep.register(sock.fileno(), interest)
        events = ep.poll(0)
    finally:
        ep.close()
    return events[0][1] if events else 0


def settled_mask(backend: Backend, sock: Any, want: int, interest: int = STD) -> int:
    """The mask, after waiting (real kernel only, up to 2 s) for it to become ``want``."""
    got = mask(backend, sock, interest)
    if backend.is_model or got == want:
        return got
    deadline = backend.time.monotonic() + 2.0
    while got != want and backend.time.monotonic() < deadline:
        backend.time.sleep(0.005)
        got = mask(backend, sock, interest)
    return got


def listener(backend: Backend, family: Any = None, host: str = "127.0.0.1", backlog: int = 16) -> Any:
    socket = backend.socket
    sock = socket.socket(family if family is not None else socket.AF_INET, socket.SOCK_STREAM)
    sock.bind((host, 0))
    sock.listen(backlog)
    return sock


def connected_pair(backend: Backend, family: Any = None, host: str = "127.0.0.1") -> tuple[Any, Any]:
    """(client, server) ends of one loopback connection, both non-blocking; the listener is closed."""
    socket = backend.socket
    lsock = listener(backend, family, host)
    client = socket.socket(lsock.family, socket.SOCK_STREAM)
    client.connect(lsock.getsockname())
    server, _ = lsock.accept()
    lsock.close()
    client.setblocking(False)
    server.setblocking(False)
    return client, server


def wait_readable(backend: Backend, sock: Any, timeout: float = 2.0) -> None:
    """Block (virtual time on the model) until ``sock`` polls readable."""
    ep = backend.select.epoll()
    try:
        ep.register(sock.fileno(), IN)
        ep.poll(timeout)
    finally:
        ep.close()


FIONREAD, TIOCOUTQ = 0x541B, 0x5411  # include/uapi/asm-generic/ioctls.h (SIOCINQ, SIOCOUTQ)


def inq(backend: Backend, fd: Any) -> int:
    """ioctl(SIOCINQ): bytes queued to read."""
    return int.from_bytes(backend.fcntl.ioctl(fd, FIONREAD, b"\0" * 4), "little", signed=True)


def outq(backend: Backend, fd: Any) -> int:
    """ioctl(SIOCOUTQ): on TCP, bytes written and not yet acknowledged (a FIN counts one)."""
    return int.from_bytes(backend.fcntl.ioctl(fd, TIOCOUTQ, b"\0" * 4), "little", signed=True)


def settled(backend: Backend, ask: Any, fd: Any, want: int) -> int:
    """``ask(backend, fd)``, after waiting (real kernel only, up to 2 s) for it to become ``want``."""
    got = ask(backend, fd)
    if backend.is_model or got == want:
        return got
    deadline = backend.time.monotonic() + 2.0
    while got != want and backend.time.monotonic() < deadline:
        backend.time.sleep(0.005)
        got = ask(backend, fd)
    return got


class Late(Exception):
    """A check meant for the delayed-ACK interval came later: the process was descheduled."""


class AckWindow:
    """Checks that must land inside the 40 ms delayed-ACK interval that ``start`` opens.

    On the real kernel a check made more than 30 ms after ``start`` proves
    nothing (the timer may have fired), so it raises ``Late`` and
    ``on_a_fresh_pair`` runs the test again. On the model no time passes.
    """

    LIMIT_S = 0.03

    def __init__(self, backend: Backend) -> None:
        self.backend = backend
        self.opened = 0.0

    def start(self) -> None:
        self.opened = self.backend.time.monotonic()

    def check(self) -> None:
        if not self.backend.is_model and self.backend.time.monotonic() - self.opened > self.LIMIT_S:
            raise Late

    def outq(self, sock: Any) -> int:
        value = outq(self.backend, sock)
        self.check()
        return value

    def inq(self, sock: Any) -> int:
        value = inq(self.backend, sock)
        self.check()
        return value


def on_a_fresh_pair(test: Callable[[Backend, Any, Any, AckWindow], None]) -> Callable[[Backend], None]:
    """Run ``test(backend, client, server, window)`` on a new loopback pair, closed afterwards; and
    again, on another pair (up to five times), when one of its ``AckWindow`` checks came late."""

    def run(backend: Backend) -> None:
        for _ in range(5):
            client, server = connected_pair(backend)
            try:
                return test(backend, client, server, AckWindow(backend))
            except Late:
                continue
            finally:
                client.close()
                server.close()
        pytest.fail("descheduled for more than 30 ms inside the delayed-ACK interval five times")

    run.__name__, run.__qualname__, run.__doc__ = test.__name__, test.__qualname__, test.__doc__
    run.__module__ = test.__module__
    return run
