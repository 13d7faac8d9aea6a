"""The real backend's ``os``: the host's module, plus CPython 3.13's ``os.timerfd_*`` on older Pythons.

Python 3.11 has no ``os.timerfd_*``. So that the contract tests can call them
on both backends, the real backend's ``os`` adds them, shaped exactly as
3.13's (compat/os_timerfd.py does the argument conversions, as for the
model) on top of ctypes calls into the host's libc (``RealSys``). On 3.13
and later the host's own functions are used unchanged.
"""
from __future__ import annotations

import types
from typing import Any

from ..compat.os_timerfd import TimerfdFunctions
from .realsys import RealSys


class RealOsWithTimerfd(TimerfdFunctions):
    """Every name of the real ``os``, plus the timerfd functions and TFD_* constants."""

    def __init__(self, module: types.ModuleType, sys: RealSys) -> None:
        self._module = module
        self._sys = sys

    def __getattr__(self, name: str) -> Any:
        # The real backend *is* the host's module: forwarding is the point here.
        return getattr(self._module, name)


def real_os(module: types.ModuleType, sys: RealSys) -> Any:
    if hasattr(module, "timerfd_create"):
        return module
    return RealOsWithTimerfd(module, sys)
