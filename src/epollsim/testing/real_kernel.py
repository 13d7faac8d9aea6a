"""``RealKernel``: the host's own modules behind an ``epollsim.Kernel``'s names (``--epollsim-real``)."""
from __future__ import annotations

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

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__"):
            raise AttributeError(name)
        pytest.skip(f"kernel.{name} exists only on the model; this test cannot run with --epollsim-real")

    def cleanup(self) -> None:
        self._backend.cleanup()

    def __repr__(self) -> str:
        return "<RealKernel: the host's kernel, not a simulation>"
