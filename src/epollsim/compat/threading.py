"""A stand-in for ``threading`` whose threads are the kernel's green threads.

The subset here: Thread (start, join with timeout, name, ident, daemon,
is_alive), current_thread, get_ident, Lock and Event. A thread runs until it
blocks in a system call, a sleep, a join, a lock or an event; then the
scheduler picks the next one.
"""
from __future__ import annotations

import threading as _real_threading
from collections.abc import Callable
from typing import Any, ClassVar

from ..clock import Clock
from ..sched.scheduler import DEAD, GreenThread, Scheduler
from ..sched.sync import SimEvent, SimLock
from ._convert import time_to_ns
from ._module import StandIn

_NS = 1_000_000_000


def _deadline(clock: Clock, timeout: Any) -> int | None:
    if timeout is None or timeout < 0:
        return None
    return clock.now_ns + time_to_ns(timeout, _NS)


class Thread:
    """threading.Thread; subclassed once per kernel to bind ``_module``."""

    _module: ClassVar[ThreadingModule]

    def __init__(
        self,
        group: None = None,
        target: Callable[..., Any] | None = None,
        name: str | None = None,
        args: tuple[Any, ...] = (),
        kwargs: dict[str, Any] | None = None,
        *,
        daemon: bool | None = None,
    ) -> None:
        self._target = target
        self._args = args
        self._kwargs = kwargs or {}
        self._name = name
        self.daemon = bool(daemon)
        self._green: GreenThread | None = None

    def run(self) -> None:
        if self._target is not None:
            self._target(*self._args, **self._kwargs)

    def start(self) -> None:
        if self._green is not None:
            raise RuntimeError("threads can only be started once")
        sched = self._module._sched
        self._green = sched.spawn(self.run, self._name, self.daemon)
        self._module._objects[self._green.tid] = self

    @property
    def name(self) -> str:
        return self._green.name if self._green else (self._name or "Thread")

    @property
    def ident(self) -> int | None:
        return self._green.tid if self._green else None

    def is_alive(self) -> bool:
        return self._green is not None and self._green.state != DEAD

    def join(self, timeout: float | None = None) -> None:
        green = self._green
        if green is None:
            raise RuntimeError("cannot join thread before it is started")
        if green is self._module._sched.current:
            raise RuntimeError("cannot join current thread")
        deadline = _deadline(self._module._clock, timeout)
        while green.state != DEAD:
            if not self._module._sched.block(
                [(green.exit_queue, "head")], 0, deadline, f"join({green.name})"
            ):
                return

    def __repr__(self) -> str:
        state = "started" if self.is_alive() else ("stopped" if self._green else "initial")
        return f"<Thread({self.name}, {state})>"


class Lock:
    _module: ClassVar[ThreadingModule]

    def __init__(self) -> None:
        self._lock = SimLock(self._module._sched)

    def acquire(self, blocking: bool = True, timeout: float = -1) -> bool:
        return self._lock.acquire(_deadline(self._module._clock, timeout), blocking)

    def release(self) -> None:
        self._lock.release()

    def locked(self) -> bool:
        return self._lock.locked

    __enter__ = acquire

    def __exit__(self, *exc: object) -> None:
        self.release()


class Event:
    _module: ClassVar[ThreadingModule]

    def __init__(self) -> None:
        self._event = SimEvent(self._module._sched)

    def is_set(self) -> bool:
        return self._event.flag

    def set(self) -> None:
        self._event.set()

    def clear(self) -> None:
        self._event.flag = False

    def wait(self, timeout: float | None = None) -> bool:
        return self._event.wait(_deadline(self._module._clock, timeout))


class ThreadingModule(StandIn):
    """``k.threading``."""

    _mirrors = _real_threading

    def __init__(self, clock: Clock, sched: Scheduler) -> None:
        self._clock = clock
        self._sched = sched
        self._objects: dict[int, Thread] = {}
        bind = {"_module": self}
        self.Thread = type("Thread", (Thread,), bind)
        self.Lock = type("Lock", (Lock,), bind)
        self.Event = type("Event", (Event,), bind)
        main = self.Thread(name="MainThread")
        main._green = sched.main
        self._objects[sched.main.tid] = main

    def current_thread(self) -> Thread:
        return self._objects[self._sched.current.tid]

    def get_ident(self) -> int:
        return self._sched.current.tid

    def main_thread(self) -> Thread:
        return self._objects[self._sched.main.tid]
