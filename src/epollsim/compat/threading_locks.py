"""The locks and events of the ``threading`` stand-in (threading.py): Lock, RLock, Condition,
Semaphore, BoundedSemaphore and Event, over the scheduler's SimLock and SimEvent (sched/sync.py),
with CPython's attribute names, reprs and errors; and the futex-wait deadline they share."""
from __future__ import annotations

import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, ClassVar

from ..clock import TIMER_SLACK_NS, Clock
from ..sched.sync import SimEvent, SimLock
from ._convert import time_to_ns

if TYPE_CHECKING:
    from .threading import ThreadingModule

_NS = 1_000_000_000
_NO_OWNER = object()  # Condition._is_owned: a lock with no _owner attribute (not an RLock)


def _deadline(clock: Clock, timeout: Any) -> int | None:
    """The hard expiry of a futex wait (a lock, an event, a join) of ``timeout`` seconds:
    futex_wait's hrtimer has the task's timer_slack_ns (futex_setup_timer)."""
    if timeout is None or timeout < 0:
        return None
    ns = time_to_ns(timeout, _NS)
    return clock.expiry(ns, TIMER_SLACK_NS) if ns > 0 else clock.now_ns


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
        self._lock = SimLock(self._module._sched, "RLock.acquire()")
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

    def __repr__(self) -> str:
        return f"<Condition({self._lock}, {len(self._waiters)})>"

    def _is_owned(self) -> bool:
        """Whether the current thread holds the lock (Lib/threading.py Condition._is_owned)."""
        owner = getattr(self._lock, "_owner", _NO_OWNER)
        if owner is not _NO_OWNER:  # an RLock knows its owner
            return bool(owner == self._module._sched.current.tid)
        if self._lock.acquire(False):
            self._lock.release()
            return False
        return True

    def wait(self, timeout: float | None = None) -> bool:
        if not self._is_owned():
            raise RuntimeError("cannot wait on un-acquired lock")
        waiter = self._module.Lock()
        waiter._lock.what, waiter._lock.names_owner = "Condition.wait()", False  # for deadlock reports
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
        if not self._is_owned():
            raise RuntimeError("cannot notify on un-acquired lock")
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

    if sys.version_info >= (3, 11):  # 3.11 gave Semaphore and Event a repr with their state

        def __repr__(self) -> str:
            cls = type(self)
            return f"<{cls.__module__}.{cls.__qualname__} at {id(self):#x}: value={self._value}>"


class BoundedSemaphore(Semaphore):
    """A semaphore whose value may never go above its initial value."""

    def __init__(self, value: int = 1) -> None:
        super().__init__(value)
        self._initial_value = value

    def release(self, n: int = 1) -> None:
        if n < 1:
            raise ValueError("n must be one or more")
        with self._cond:
            if self._value + n > self._initial_value:
                raise ValueError("Semaphore released too many times")
            self._value += n
            self._cond.notify(n)

    if sys.version_info >= (3, 11):

        def __repr__(self) -> str:
            cls = type(self)
            return (f"<{cls.__module__}.{cls.__qualname__} at {id(self):#x}: "
                    f"value={self._value}/{self._initial_value}>")


class Event:
    _module: ClassVar[ThreadingModule]

    # The attributes are CPython's names (its _cond is a Condition, the model's a SimEvent), so an
    # Event made with __new__ alone fails as CPython's does: is_set on _flag, the rest on _cond.

    def __init__(self) -> None:
        self._cond = SimEvent(self._module._sched)
        self._flag = False

    def is_set(self) -> bool:
        return self._flag

    def set(self) -> None:
        self._cond.set()
        self._flag = True

    def clear(self) -> None:
        self._cond.flag = False
        self._flag = False

    def wait(self, timeout: float | None = None) -> bool:
        return self._cond.wait(_deadline(self._module._clock, timeout))

    if sys.version_info >= (3, 11):

        def __repr__(self) -> str:
            cls = type(self)
            return f"<{cls.__module__}.{cls.__qualname__} at {id(self):#x}: {'set' if self._flag else 'unset'}>"
