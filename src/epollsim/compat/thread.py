"""A stand-in for ``_thread``, the C half of ``threading``, whose threads are the kernel's green
threads: what ``threading.Thread`` itself and code below it (CPython's socket tests,
``_thread.start_new_thread`` clients) start threads with.

Theory of operation
-------------------
CPython's ``threading.Thread.start`` is Python code over a few ``_thread`` calls, and
which ones changed in 3.13:

- 3.10-3.12: ``start_new_thread(self._bootstrap, ())`` runs the thread; its
  ``_bootstrap_inner`` takes a lock from ``_set_sentinel()`` (the "tstate lock")
  that the interpreter releases when the OS thread's state is deleted, and
  ``join``/``is_alive`` acquire it.
- 3.13: ``start_joinable_thread(self._bootstrap, handle=self._handle, daemon=...)``
  with a ``_ThreadHandle`` made in ``__init__``; ``join``/``is_alive`` ask the handle.

Here each of those is the model's: a started function runs on a new green thread
(``Scheduler.spawn``), the sentinel is a model ``Lock`` released when that green
thread's function returns, and a handle is done at the same point. So a
``threading.Thread`` subclass defined before the patch (deriving from the real
class) runs its own ``start``/``join``/``is_alive`` unchanged on a model thread,
as long as the patch has also given ``threading``'s private copies of these
names (patch_threads.py). Such a thread object is recorded as its thread's in
``k.threading`` (``current_thread()``, ``enumerate()``); a thread started with a
bare ``start_new_thread`` gets a ``Dummy-N`` thread object on first
``current_thread()``, as CPython's ``_DummyThread``.

An exception escaping a bare ``start_new_thread`` function is reported as
CPython's ``thread_run`` does (``sys.unraisablehook``, "Exception ignored in thread
started by"); ``SystemExit`` ends the thread silently.

Not modelled: ``interrupt_main`` (signals: ``Unsupported``) and stacks (``stack_size``
checks and stores the size, as CPython does, and no thread uses it); 3.13's ``_shutdown``
(interpreter shutdown) raises ``Unsupported``.
"""
from __future__ import annotations

import _thread as _real_thread
import sys
import threading as _real_threading
import traceback
from collections.abc import Callable
from types import SimpleNamespace
from typing import Any

from ..errors import Unsupported
from ..sched.sync import SimEvent
from ..sched.thread import DEAD
from ._module import StandIn, copy_constants
from .threading import ThreadingModule
from .threading_locks import _deadline

_RealThread = _real_threading.Thread  # the real class (the patch swaps threading.Thread later)
_real_get_ident = _real_thread.get_ident


class ThreadHandle:
    """``_thread._ThreadHandle`` (3.13): what ``Thread.join`` and ``is_alive`` ask."""

    __slots__ = ("_done", "_module", "ident")

    def __init__(self, module: ThreadingModule, ident: int | None = None) -> None:
        self._module = module
        self._done = SimEvent(module._sched)
        self.ident = ident

    def is_done(self) -> bool:
        return self._done.flag

    def _set_done(self) -> None:
        self._done.set()

    def join(self, timeout: float | None = None) -> None:
        if self.ident is None:
            raise RuntimeError("thread not started")
        if self.ident == self._module._sched.current.tid and not self._done.flag:
            raise RuntimeError("Cannot join current thread")
        self._done.wait(_deadline(self._module._clock, timeout))

    def __repr__(self) -> str:
        return f"<_thread._ThreadHandle object: ident={self.ident}>"


class ThreadModule(StandIn):
    """``_thread`` on the model (installed by ``k.patch()``; see the module comment)."""

    _mirrors = _real_thread

    def __init__(self, threading: ThreadingModule) -> None:
        self._threading = threading
        self._sched = threading._sched
        self._sentinels: dict[int, list[Any]] = {}  # green thread id -> its tstate locks
        self._stack_size = 0
        self._os_ident = _real_get_ident()  # the OS thread the model's threads run on
        self.started: list[Any] = []  # the threading.Thread objects of the real class started here

    # -- starting threads ------------------------------------------------------------

    def _spawn(self, function: Callable[..., Any], args: tuple[Any, ...], kwargs: dict[str, Any],
               handle: ThreadHandle | None, daemon: bool) -> int:
        owner = getattr(function, "__self__", None)
        thread = owner if isinstance(owner, _RealThread) and function.__name__ == "_bootstrap" else None
        name = thread.name if thread is not None else None

        def body() -> None:
            try:
                function(*args, **kwargs)
            except SystemExit:
                pass
            except BaseException as exc:
                if thread is not None:  # Thread._bootstrap reports its own; this is interpreter teardown
                    raise
                _unraisable(exc, function)
            finally:
                for lock in self._sentinels.pop(self._sched.current.tid, ()):
                    if lock.locked():
                        lock.release()
                if handle is not None:
                    handle._set_done()

        green = self._sched.spawn(body, name, daemon)
        if handle is not None:
            handle.ident = green.tid
        if thread is not None:
            self._threading._objects[green.tid] = thread
            self.started.append(thread)
        return green.tid

    def start_new_thread(self, function: Any, args: Any, kwargs: Any = None, /) -> int:
        """Run ``function(*args, **kwargs)`` on a new model thread; return its ident."""
        if not callable(function):
            raise TypeError("first arg must be callable")
        if not isinstance(args, tuple):
            raise TypeError("2nd arg must be a tuple")
        if kwargs is not None and not isinstance(kwargs, dict):
            raise TypeError("optional 3rd arg must be a dictionary")
        return self._spawn(function, args, kwargs or {}, None, True)

    start_new = start_new_thread

    if sys.version_info >= (3, 13):

        def start_joinable_thread(self, function: Any, handle: object = None, daemon: bool = True) -> ThreadHandle:
            if not callable(function):
                raise TypeError("thread function must be callable")
            if handle is None:
                handle = ThreadHandle(self._threading)
            elif not isinstance(handle, ThreadHandle):
                raise Unsupported(
                    "_thread.start_joinable_thread: this Thread object was made before k.patch() (its "
                    "_thread._ThreadHandle is the real one): make the Thread object inside the patch"
                )
            self._spawn(function, (), {}, handle, daemon)
            return handle

        def _ThreadHandle(self) -> ThreadHandle:  # noqa: N802 (_thread's name)
            return ThreadHandle(self._threading)

        def _make_thread_handle(self, ident: int) -> ThreadHandle:
            return ThreadHandle(self._threading, ident)

        def _get_main_thread_ident(self) -> int:
            return self._sched.main.tid

        def _shutdown(self) -> None:
            raise Unsupported("_thread._shutdown (interpreter shutdown) is not modelled by epollsim")

    def _set_sentinel(self) -> Any:
        """A lock released when the calling model thread's function returns (the tstate lock)."""
        lock = self._threading.Lock()
        self._sentinels.setdefault(self._sched.current.tid, []).append(lock)
        return lock

    # -- the rest of _thread -----------------------------------------------------------

    def allocate_lock(self) -> Any:
        return self._threading.Lock()

    allocate = allocate_lock

    @property
    def LockType(self) -> type:  # noqa: N802 (_thread's name)
        return self._threading.Lock

    lock = LockType  # 3.13's name for the type

    @property
    def RLock(self) -> type:  # noqa: N802
        return self._threading.RLock

    @property
    def _local(self) -> type:
        return self._threading.local

    def get_ident(self) -> int:
        """The model thread's id; in a real OS thread other than the model's (one that was
        running when the patch began, as the patch is process-wide), its real ident, so its
        own ``threading`` bookkeeping (``Thread._delete``) still finds it."""
        ident = _real_get_ident()
        return self._sched.current.tid if ident == self._os_ident else ident

    def get_native_id(self) -> int:
        return self._sched.current.tid

    def _count(self) -> int:
        """The number of live threads other than the main one."""
        return sum(1 for t in self._sched.threads.values() if t.state != DEAD) - 1

    def daemon_threads_allowed(self) -> bool:
        return True

    def _is_main_interpreter(self) -> bool:
        return True

    def stack_size(self, size: int = 0, /) -> int:
        if size != 0 and size < 32768:
            raise ValueError(f"size not valid: {size} bytes")
        old, self._stack_size = self._stack_size, size
        return old

    def exit(self) -> None:
        raise SystemExit

    exit_thread = exit

    def interrupt_main(self, signum: int = 2, /) -> None:
        raise Unsupported("_thread.interrupt_main is not modelled by epollsim: signals are the host's")

    @property
    def _excepthook(self) -> Callable[[Any], None]:
        return self._threading.excepthook

    error = RuntimeError
    TIMEOUT_MAX = _real_thread.TIMEOUT_MAX
    _ExceptHookArgs = _real_thread._ExceptHookArgs

    def __repr__(self) -> str:
        return "<module '_thread' (epollsim)>"


def _unraisable(exc: BaseException, function: Any) -> None:
    """Report what escaped a bare ``start_new_thread`` function, as CPython's thread_run does."""
    hook = sys.unraisablehook
    if sys.version_info >= (3, 13):
        err_msg, obj = f"Exception ignored in thread started by {function!r}", None
    else:
        err_msg, obj = "Exception ignored in thread started by", function
    if hook is not sys.__unraisablehook__:  # a program's (or pytest's) hook: it reads attributes
        hook(SimpleNamespace(exc_type=type(exc), exc_value=exc, exc_traceback=exc.__traceback__,
                             err_msg=err_msg, object=obj))
        return
    if sys.stderr is None:
        return
    print(f"{err_msg}: {obj!r}" if obj is not None else f"{err_msg}:", file=sys.stderr)
    traceback.print_exception(type(exc), exc, exc.__traceback__, file=sys.stderr)
    sys.stderr.flush()


copy_constants(ThreadModule, prefixes=())  # any other name of _thread: Unsupported
