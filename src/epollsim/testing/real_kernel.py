"""``RealKernel``: the host's own modules behind an ``epollsim.Kernel``'s names (``--epollsim-real``)."""
from __future__ import annotations

import signal
import threading
from typing import Any

import pytest


class RealKernel:
    """NOT A SIMULATION: the host's kernel, offered where tests expect an ``epollsim.Kernel``.

    Under ``--epollsim-real`` the ``kernel`` fixture is one of these: ``os``,
    ``select``, ``socket``, ``fcntl``, ``time``, ``threading`` (and ``sys``,
    the raw calls) are the real modules (``select.epoll`` and ``socket.socketpair``
    wrapped so that whatever the test leaves open is closed afterwards, as
    ``epollsim.testing.backends.RealBackend`` does). Reading anything
    model-only (``kernel.sched``, ``kernel.describe_epoll``, ...) skips the test.
    """

    is_real = True

    def __init__(self) -> None:
        from .backends import RealBackend

        backend = RealBackend()
        self._backend = backend
        self.os = backend.host_os  # not backend.os, which adds 3.13's os.timerfd_* on older Pythons
        self.select = backend.select
        self.socket = backend.socket
        self.fcntl = backend.fcntl
        self.time = backend.time
        self.threading = backend.threading
        self.sys = backend.sys
        import asyncio

        self.asyncio = asyncio  # the host's: an async test's loop (``kernel.asyncio.run``, a loop factory)

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__"):
            raise AttributeError(name)
        pytest.skip(f"kernel.{name} exists only on the model; this test cannot run with --epollsim-real")

    def cleanup(self) -> None:
        self._backend.cleanup()

    def __repr__(self) -> str:
        return "<RealKernel: the host's kernel, not a simulation>"


class RealRunTimeout(TimeoutError):
    """A test ran longer than ``--epollsim-real-timeout`` on the real kernel (a deadlock, there)."""


class time_limit:
    """SIGALRM after ``seconds`` raises ``RealRunTimeout`` in the test (main thread only)."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.previous: Any = None
        self.armed = seconds > 0 and threading.current_thread() is threading.main_thread()

    def _expired(self, signum: int, frame: Any) -> None:
        raise RealRunTimeout(
            f"the test ran longer than {self.seconds:g} s on the real kernel (--epollsim-real-timeout); "
            "threads it left blocked stay blocked"
        )

    def __enter__(self) -> None:
        if self.armed:
            self.previous = signal.signal(signal.SIGALRM, self._expired)
            signal.setitimer(signal.ITIMER_REAL, self.seconds)

    def __exit__(self, *exc: Any) -> None:
        if self.armed:
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, self.previous)
