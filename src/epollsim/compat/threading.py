"""A stand-in for ``threading`` whose threads are the kernel's green threads.

The subset here: Thread (start, join with timeout, name, ident, native_id,
daemon, is_alive), Timer, local, current_thread, main_thread, enumerate,
active_count, get_ident, get_native_id, excepthook, Lock, RLock, Condition,
Semaphore, BoundedSemaphore, Event and Barrier; any other name of
``threading`` raises Unsupported. A thread runs until it blocks in a system
call, a sleep, a join, a lock or an event; then the scheduler picks the next
one. An exception that ends a thread goes to ``k.threading.excepthook``, as
CPython's goes to ``threading.excepthook``.
"""
from __future__ import annotations

import itertools
import sys
import threading as _real_threading
import traceback
import weakref
from collections.abc import Callable
from typing import Any, ClassVar

import greenlet

from ..clock import TIMER_SLACK_NS, Clock
from ..sched.scheduler import Scheduler
from ..sched.sync import SimEvent, SimLock
from ..sched.thread import DEAD, GreenThread
from ._convert import time_to_ns
from ._module import StandIn, copy_constants, on_first_use
from .threading_extras import Barrier, BrokenBarrierError, forget_thread, local

_NS = 1_000_000_000
_NO_OWNER = object()  # Condition._is_owned: a lock with no _owner attribute (not an RLock)


def _deadline(clock: Clock, timeout: Any) -> int | None:
    """The hard expiry of a futex wait (a lock, an event, a join) of ``timeout`` seconds:
    futex_wait's hrtimer has the task's timer_slack_ns (futex_setup_timer)."""
    if timeout is None or timeout < 0:
        return None
    ns = time_to_ns(timeout, _NS)
    return clock.expiry(ns, TIMER_SLACK_NS) if ns > 0 else clock.now_ns


class Thread:
    """threading.Thread; subclassed once per kernel to bind ``_module``."""

    _module: ClassVar[ThreadingModule]
    _initialized: ClassVar[bool] = False  # CPython's class default: an object __init__ never ran on

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
        if name:
            name = str(name)
        else:  # as CPython 3.10+ names them: "Thread-3 (worker)"
            name = f"Thread-{next(self._module._thread_names)}"
            if target is not None:
                try:
                    name += f" ({target.__name__})"
                except AttributeError:
                    pass
        self._name = name
        self._daemonic = bool(daemon)
        self._green: GreenThread | None = None
        self._initialized = True

    def run(self) -> None:
        if self._target is not None:
            self._target(*self._args, **self._kwargs)

    def _check_initialized(self) -> None:
        """CPython's ``assert self._initialized, "Thread.__init__() not called"``."""
        if not self._initialized:
            raise AssertionError("Thread.__init__() not called")

    def start(self) -> None:
        if not self._initialized:
            raise RuntimeError("thread.__init__() not called")
        if self._green is not None:
            raise RuntimeError("threads can only be started once")
        sched = self._module._sched
        self._green = sched.spawn(self._bootstrap, self._name, self.daemon)
        self._module._objects[self._green.tid] = self

    def _bootstrap(self) -> None:
        """The thread's body, as CPython's Thread._bootstrap_inner: run, then report an
        uncaught exception through excepthook, then drop the thread's ``local`` values."""
        try:
            self.run()
        except greenlet.GreenletExit:  # the kernel is being collected: not the program's error
            raise
        except BaseException as exc:
            if self._green is not None:
                self._green.exc = exc  # what the thread died of, for traces
            self._module._invoke_excepthook(self)
        finally:
            if self._green is not None:
                forget_thread(self._module, self._green.tid)

    @property
    def daemon(self) -> bool:
        self._check_initialized()
        return self._daemonic

    @daemon.setter
    def daemon(self, daemonic: bool) -> None:
        if not self._initialized:
            raise RuntimeError("Thread.__init__() not called")
        if self._green is not None:
            raise RuntimeError("cannot set daemon status of active thread")
        self._daemonic = daemonic

    @property
    def name(self) -> str:
        self._check_initialized()
        return self._green.name if self._green else (self._name or "Thread")

    @name.setter
    def name(self, name: str) -> None:
        self._check_initialized()
        self._name = str(name)
        if self._green is not None:
            self._green.name = self._name

    @property
    def ident(self) -> int | None:
        self._check_initialized()
        return self._green.tid if self._green else None

    @property
    def native_id(self) -> int | None:
        """The simulated kernel's thread id (the model has no pid: the same number as ident)."""
        return self._green.tid if self._green else None

    def is_alive(self) -> bool:
        self._check_initialized()
        return self._green is not None and self._green.state != DEAD

    def join(self, timeout: float | None = None) -> None:
        if not self._initialized:
            raise RuntimeError("Thread.__init__() not called")
        green = self._green
        if green is None:
            raise RuntimeError("cannot join thread before it is started")
        if green is self._module._sched.current:
            raise RuntimeError("cannot join current thread")
        deadline = _deadline(self._module._clock, timeout)
        sched = self._module._sched
        while green.state != DEAD:
            if not sched.block_on(green.exit_queue, "head", 0, deadline, f"join({green.name})"):
                return
        if sched.hb.on:  # everything the thread did happens before join returns
            sched.hb.acquire(green)

    def __repr__(self) -> str:
        """Lib/threading.py Thread.__repr__: class name, name, state, " daemon", the ident."""
        if not self._initialized:  # CPython's assert (raised, not asserted: pytest rewrites asserts here)
            raise AssertionError("Thread.__init__() was not called")
        state = "started" if self.is_alive() else ("stopped" if self._green else "initial")
        if self._daemonic:
            state += " daemon"
        if self._green is not None:
            state += f" {self._green.tid}"
        return f"<{type(self).__name__}({self.name}, {state})>"


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


class Timer(Thread):
    """threading.Timer: a thread that calls ``function`` after ``interval`` seconds of virtual
    time, unless ``cancel()`` comes first (CPython's implementation, on the kernel's Event)."""

    def __init__(
        self,
        interval: float,
        function: Callable[..., Any],
        args: Any = None,
        kwargs: dict[str, Any] | None = None,
    ) -> None:
        Thread.__init__(self)
        self.interval = interval
        self.function = function
        self.args = args if args is not None else []
        self.kwargs = kwargs if kwargs is not None else {}
        self.finished = self._module.Event()

    def cancel(self) -> None:
        """Stop the timer if it hasn't finished yet."""
        self.finished.set()

    def run(self) -> None:
        self.finished.wait(self.interval)
        if not self.finished.is_set():
            self.function(*self.args, **self.kwargs)
        self.finished.set()


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


ThreadObject = Thread  # for annotations inside ThreadingModule, whose "Thread" is its own subclass


class ThreadingModule(StandIn):
    """``k.threading``."""

    _mirrors = _real_threading

    def __init__(self, clock: Clock, sched: Scheduler) -> None:
        self._clock = clock
        self._sched = sched

    # This kernel's subclasses of the classes above (``_module`` bound), each made on first
    # use (compat/_module.py on_first_use): a kernel of an exploration that never takes a
    # Lock does not pay the ~5 us of its type(). Timer and BoundedSemaphore subclass this
    # kernel's Thread and Semaphore, as threading's do: isinstance(timer, k.threading.Thread).
    Thread = on_first_use(lambda m: type("Thread", (Thread,), {"_module": m, "__module__": "threading"}))
    # Lock and RLock are C types of ``_thread`` in CPython (trio asserts RLock's module is "_thread").
    Lock = on_first_use(lambda m: type("Lock", (Lock,), {"_module": m, "__module__": "_thread"}))
    Event = on_first_use(lambda m: type("Event", (Event,), {"_module": m, "__module__": "threading"}))
    RLock = on_first_use(lambda m: type("RLock", (RLock,), {"_module": m, "__module__": "_thread"}))
    Condition = on_first_use(lambda m: type("Condition", (Condition,), {"_module": m, "__module__": "threading"}))
    Semaphore = on_first_use(lambda m: type("Semaphore", (Semaphore,), {"_module": m, "__module__": "threading"}))
    BoundedSemaphore = on_first_use(
        lambda m: type("BoundedSemaphore", (BoundedSemaphore, m.Semaphore), {"_module": m, "__module__": "threading"})
    )
    Timer = on_first_use(lambda m: type("Timer", (Timer, m.Thread), {"_module": m, "__module__": "threading"}))
    Barrier = on_first_use(lambda m: type("Barrier", (Barrier,), {"_module": m, "__module__": "threading"}))
    # Named as CPython's C type is (tp_name "_thread._local"), so its messages and repr match.
    local = on_first_use(
        lambda m: type("_thread._local", (local,), {"_module": m, "__qualname__": "_local", "__module__": "_thread"})
    )

    @on_first_use
    def _objects(self) -> dict[int, ThreadObject]:
        """The Thread object of each thread started (by tid), the main thread's from the start."""
        main = self.Thread(name="MainThread")
        main._green = self._sched.main
        return {self._sched.main.tid: main}

    # Per-thread ``local`` values: thread id -> {local's key: its attribute dict}.
    _local_dicts: on_first_use[dict[int, dict[int, dict[str, Any]]]] = on_first_use(lambda m: {})
    _locals: on_first_use[weakref.WeakValueDictionary[int, Any]] = on_first_use(
        lambda m: weakref.WeakValueDictionary()
    )
    _local_keys = on_first_use(lambda m: itertools.count())
    _thread_names = on_first_use(lambda m: itertools.count(1))  # threading._counter

    def current_thread(self) -> ThreadObject:
        try:
            return self._objects[self._sched.current.tid]
        except KeyError:  # a thread started by _thread.start_new_thread: CPython's _DummyThread
            dummy = self.Thread(name=f"Dummy-{next(self._thread_names)}", daemon=True)
            dummy._green = self._sched.current
            dummy._green.name = dummy._name
            self._objects[dummy._green.tid] = dummy
            return dummy

    def get_ident(self) -> int:
        return self._sched.current.tid

    def main_thread(self) -> ThreadObject:
        return self._objects[self._sched.main.tid]

    def get_native_id(self) -> int:
        return self._sched.current.tid

    def enumerate(self) -> list[ThreadObject]:
        """Every thread started and not yet ended, main thread included, in start order."""
        return [t for t in self._objects.values() if t.is_alive()]

    def active_count(self) -> int:
        return len(self.enumerate())

    # The stdlib's own types, so ``except threading.BrokenBarrierError`` works either way.
    BrokenBarrierError = BrokenBarrierError
    ThreadError = _real_threading.ThreadError
    ExceptHookArgs = _real_threading.ExceptHookArgs
    TIMEOUT_MAX = _real_threading.TIMEOUT_MAX

    def excepthook(self, args: Any, /) -> None:
        """The default: print the thread's name and the traceback to stderr, except for
        SystemExit, which ends a thread silently (CPython's _thread._excepthook)."""
        if args.exc_type is SystemExit or sys.stderr is None:
            return
        name = args.thread.name if args.thread is not None else self.get_ident()
        print(f"Exception in thread {name}:", file=sys.stderr, flush=True)
        traceback.print_exception(args.exc_type, args.exc_value, args.exc_traceback, file=sys.stderr)
        sys.stderr.flush()

    __excepthook__ = excepthook

    def _invoke_excepthook(self, thread: ThreadObject) -> None:
        """Call ``k.threading.excepthook`` (whatever it is now) for the exception being handled;
        if the hook itself fails, report that through sys.excepthook (CPython's invoke_excepthook)."""
        try:
            self.excepthook(self.ExceptHookArgs([*sys.exc_info(), thread]))
        except Exception as exc:
            exc.__suppress_context__ = True
            print("Exception in threading.excepthook:", file=sys.stderr, flush=True)
            sys.excepthook(*sys.exc_info())


# Any other name of ``threading`` raises Unsupported (the classes above are per-kernel
# instance attributes, which take precedence).
copy_constants(ThreadingModule, prefixes=())
