"""System calls as preemption points: the Syscalls class a host gets under a preemptive schedule.

Under a preemptive schedule (random, PCT: sched/pct.py, systematic) every system call is a point
where another runnable thread may run first (``Scheduler.preempt``), as on a
machine with several CPUs and a preemptive kernel. The default schedule pays
nothing for it: the host's ``sys`` object is given a subclass whose every
system call first calls ``preempt()`` (the trace recorder swaps classes the
same way), so the stand-ins' calls go through it unchanged.
"""
from __future__ import annotations

import functools
import inspect
import types
from collections.abc import Callable
from typing import Any

from .base import SyscallBase

# SyscallBase's public helpers (fd lookup, the retry loop...) are not system calls.
_HELPERS = frozenset(name for name in dir(SyscallBase) if not name.startswith("_"))


def syscall_names(cls: type) -> list[str]:
    """The public methods of a Syscalls class that are system calls, in name order."""
    return [
        name for name in dir(cls)
        if not name.startswith("_") and name not in _HELPERS
        and isinstance(inspect.getattr_static(cls, name), types.FunctionType)
    ]


# Each preempting wrapper -> the system call it wraps (the tracer records the call after the
# preemption point, not around it: trace/recorder.py).
_ORIGINAL: dict[Callable[..., Any], Callable[..., Any]] = {}


def _preempting(fn: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(fn)
    def call(sys_: Any, *args: Any, **kwargs: Any) -> Any:
        sys_.proc.sched.preempt()
        return fn(sys_, *args, **kwargs)

    _ORIGINAL[call] = fn
    return call


def unpreempted(fn: Callable[..., Any]) -> Callable[..., Any] | None:
    """The system call a preempting wrapper wraps, or None if ``fn`` is not one."""
    return _ORIGINAL.get(fn)


@functools.cache
def preemptive_class(cls: type) -> type:
    """``cls`` with every system call a preemption point."""
    namespace: dict[str, Any] = {"__slots__": (), "__module__": cls.__module__, "__doc__": cls.__doc__}
    for name in syscall_names(cls):
        namespace[name] = _preempting(getattr(cls, name))
    return type(cls.__name__, (cls,), namespace)
