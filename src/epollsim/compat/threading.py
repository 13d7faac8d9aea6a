"""A stand-in for ``threading`` whose threads are the kernel's green threads.

The subset here: Thread (start, join with timeout, name, ident, daemon,
is_alive), current_thread, get_ident, main_thread, Lock, RLock, Condition,
Semaphore and Event. A thread runs until it
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


class RLock:
    """A reentrant lock: the owner may acquire it again; each acquire needs a release."""

    _module: ClassVar[ThreadingModule]

    def __init__(self) -> None:
        self._lock = SimLock(self._module._sched)
        self._owner: int | None = None
        self._count = 0

    def acquire(self, blocking: bool = True, timeout: float = -1) -> bool:
        me = self._module._sched.current.tid
        if self._owner == me:
            self._count += 1
            return True
        if not self._lock.acquire(_deadline(self._module._clock, timeout), blocking):
            return False
        self._owner, self._count = me, 1
        return True

    def release(self) -> None:
        if self._owner != self._module._sched.current.tid:
            raise RuntimeError("cannot release un-acquired lock")
        self._count -= 1
        if not self._count:
            self._owner = None
            self._lock.release()

    __enter__ = acquire

    def __exit__(self, *exc: object) -> None:
        self.release()


class Condition:
    """threading.Condition, with CPython's algorithm: one waiter lock per waiting thread."""

    _module: ClassVar[ThreadingModule]

    def __init__(self, lock: Any = None) -> None:
        self._lock = lock if lock is not None else self._module.RLock()
        self.acquire = self._lock.acquire
        self.release = self._lock.release
        self._waiters: list[Lock] = []

    def __enter__(self) -> bool:
        return bool(self._lock.__enter__())

    def __exit__(self, *exc: object) -> None:
        self._lock.__exit__(*exc)

    def wait(self, timeout: float | None = None) -> bool:
        waiter = self._module.Lock()
        waiter.acquire()
        self._waiters.append(waiter)
        self._lock.release()
        try:
            got = waiter.acquire(True, -1 if timeout is None else timeout)
            if not got and waiter in self._waiters:
                self._waiters.remove(waiter)
            return got
        finally:
            self._lock.acquire()

    def wait_for(self, predicate: Callable[[], Any], timeout: float | None = None) -> Any:
        clock = self._module._clock
        end = None if timeout is None else clock.now_ns + time_to_ns(timeout, _NS)
        result = predicate()
        while not result:
            remaining = None if end is None else (end - clock.now_ns) / _NS
            if remaining is not None and remaining <= 0:
                break
            self.wait(remaining)
            result = predicate()
        return result

    def notify(self, n: int = 1) -> None:
        for waiter in self._waiters[:n]:
            self._waiters.remove(waiter)
            waiter.release()

    def notify_all(self) -> None:
        self.notify(len(self._waiters))


class Semaphore:
    _module: ClassVar[ThreadingModule]

    def __init__(self, value: int = 1) -> None:
        if value < 0:
            raise ValueError("semaphore initial value must be >= 0")
        self._cond = self._module.Condition(self._module.Lock())
        self._value = value

    def acquire(self, blocking: bool = True, timeout: float | None = None) -> bool:
        if not blocking and timeout is not None:
            raise ValueError("can't specify timeout for non-blocking acquire")
        with self._cond:
            if not blocking:
                if not self._value:
                    return False
            elif not self._cond.wait_for(lambda: self._value, timeout):
                return False
            self._value -= 1
            return True

    def release(self, n: int = 1) -> None:
        if n < 1:
            raise ValueError("n must be one or more")
        with self._cond:
            self._value += n
            self._cond.notify(n)

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
        self.RLock = type("RLock", (RLock,), bind)
        self.Condition = type("Condition", (Condition,), bind)
        self.Semaphore = type("Semaphore", (Semaphore,), bind)
        main = self.Thread(name="MainThread")
        main._green = sched.main
        self._objects[sched.main.tid] = main

    def current_thread(self) -> Thread:
        return self._objects[self._sched.current.tid]

    def get_ident(self) -> int:
        return self._sched.current.tid

    def main_thread(self) -> Thread:
        return self._objects[self._sched.main.tid]
