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

from ..clock import Clock
from ..sched.scheduler import Scheduler
from ..sched.thread import DEAD, GreenThread
from ._module import StandIn, copy_constants, on_first_use
from .threading_extras import Barrier, BrokenBarrierError, forget_thread, local
from .threading_locks import BoundedSemaphore, Condition, Event, Lock, RLock, Semaphore, _deadline


class Thread:
    """threading.Thread; subclassed once per kernel to bind ``_module``."""

    _module: ClassVar[ThreadingModule]
    _initialized: bool = False  # CPython's class default: an object __init__ never ran on

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
    Thread: on_first_use[type[Thread]] = on_first_use(
        lambda m: type("Thread", (Thread,), {"_module": m, "__module__": "threading"})
    )
    # Lock and RLock are C types of ``_thread`` in CPython (trio asserts RLock's module is "_thread").
    Lock: on_first_use[type[Lock]] = on_first_use(
        lambda m: type("Lock", (Lock,), {"_module": m, "__module__": "_thread"})
    )
    Event: on_first_use[type[Event]] = on_first_use(
        lambda m: type("Event", (Event,), {"_module": m, "__module__": "threading"})
    )
    RLock: on_first_use[type[RLock]] = on_first_use(
        lambda m: type("RLock", (RLock,), {"_module": m, "__module__": "_thread"})
    )
    Condition: on_first_use[type[Condition]] = on_first_use(
        lambda m: type("Condition", (Condition,), {"_module": m, "__module__": "threading"})
    )
    Semaphore: on_first_use[type[Semaphore]] = on_first_use(
        lambda m: type("Semaphore", (Semaphore,), {"_module": m, "__module__": "threading"})
    )
    BoundedSemaphore: on_first_use[type[BoundedSemaphore]] = on_first_use(
        lambda m: type("BoundedSemaphore", (BoundedSemaphore, m.Semaphore), {"_module": m, "__module__": "threading"})
    )
    Timer: on_first_use[type[Timer]] = on_first_use(
        lambda m: type("Timer", (Timer, m.Thread), {"_module": m, "__module__": "threading"})
    )
    Barrier: on_first_use[type[Barrier]] = on_first_use(
        lambda m: type("Barrier", (Barrier,), {"_module": m, "__module__": "threading"})
    )
    # Named as CPython's C type is (tp_name "_thread._local"), so its messages and repr match.
    local: on_first_use[type[local]] = on_first_use(
        lambda m: type("_thread._local", (local,), {"_module": m, "__qualname__": "_local", "__module__": "_thread"})
    )

    @on_first_use
    def _objects(self) -> dict[int, ThreadObject | _real_threading.Thread]:  # the real class's: compat/thread.py
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

    def current_thread(self) -> ThreadObject | _real_threading.Thread:
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

    _first_host: Any = None  # the kernel's first host, where threads of no host run (Kernel sets it)

    def main_thread(self) -> ThreadObject | _real_threading.Thread:
        """The running thread's host's main thread: the one ``Host.start_main`` started, where its
        signals go and ``signal.signal`` may be called; the kernel's main thread before that."""
        host = self._sched.current.host or self._first_host
        main = self._sched.main if host is None else host.process.signals.main
        return self._objects[main.tid]

    def get_native_id(self) -> int:
        return self._sched.current.tid

    def enumerate(self) -> list[ThreadObject | _real_threading.Thread]:
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
