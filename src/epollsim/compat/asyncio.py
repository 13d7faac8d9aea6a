"""An asyncio event loop that runs on the model: CPython's own selector loop, resolved against a host.

Theory of operation
-------------------
asyncio's selector loop reaches the operating system only through the module
globals of three files: ``base_events`` (``socket.socket``, ``socket.getaddrinfo``,
``socket.inet_pton``, ``threading.get_ident``, ``threading.Thread``, ``os.name``,
``time.get_clock_info``), ``selector_events`` (``socket.socketpair`` for the
self-pipe, ``selectors.DefaultSelector``) and ``unix_events`` (``socket.socket``
for AF_UNIX, and ``os.fstat``/``os.set_blocking``/``os.read``/``os.write`` in
the pipe transports). Everything else in asyncio (tasks, futures, streams,
timeouts, TaskGroups, transports over an already-made socket) works on
whatever loop it is handed.

So each host gets its own copy of exactly that code, *rebound*: for each of the
three modules we make a namespace that is a copy of the module's globals with
``socket``, ``selectors``, ``os``, ``threading`` and ``time`` replaced by the
host's stand-ins, and re-create every function defined in the module over that
namespace (same code object, same defaults and closure; only ``__globals__``
differs). The loop classes and the pipe transports are re-created as subclasses
of the originals whose methods are the rebound functions. The code that runs is
CPython's, line for line, for whatever version is installed; nothing in the real
modules changes, so real loops in other OS threads are unaffected and two hosts'
loops can run side by side.

The rebased classes keep ``super()`` working: each inherits from its original
*and* from the rebased copy of its original's base, which C3 linearises as
``Loop, R(_UnixSelectorEventLoop), _UnixSelectorEventLoop, R(BaseSelectorEventLoop),
BaseSelectorEventLoop, R(BaseEventLoop), BaseEventLoop, AbstractEventLoop``. A
rebound method's ``super()`` still names its original class, and the class after
an original in that order is the rebased copy of its base: every call, direct or
through ``super()``, runs rebound code, and ``isinstance(loop,
asyncio.SelectorEventLoop)`` holds.

On top of that, ``EventLoop`` (one class per host) changes what must differ on a
simulated machine:

- ``time()`` is the virtual clock, so ``_run_once`` computes its select timeout
  on virtual time; the selector is the host's ``EpollSelector``, whose ``select``
  blocks the green thread in the model's ``epoll_wait``, and when nothing else can
  run the clock jumps: ``asyncio.sleep(3600)`` takes no wall time.
- ``run_in_executor`` defaults to ``ThreadPoolExecutor`` over model threads; its
  results come back through ``call_soon_threadsafe``, i.e. the model's
  socketpair self-pipe.
- ``getaddrinfo``/``getnameinfo`` call the host's resolver directly (no thread:
  the model's resolver never waits).
- signal handlers and subprocesses raise ``Unsupported``; ``sock_sendfile``
  falls back to send (no ``os.sendfile`` in the model).
- orders that the real loop takes from memory addresses or PYTHONHASHSEED are
  fixed: tasks and futures hash by creation number (so ``asyncio.wait``'s sets
  and the end-of-run cancellation iterate alike in every run), open async
  generators are closed in first-use order, and ``create_server`` binds in
  ``getaddrinfo``'s order.

Per-thread interpreter state (the running loop, asyncgen hooks) is swapped by
the scheduler on every green-thread switch, and switches only happen inside
``select()``, between task steps: several loops run at once in several model
threads.
"""
from __future__ import annotations

import asyncio
import asyncio.base_events as _base_events
import asyncio.events as _events
import asyncio.exceptions as _exceptions
import asyncio.selector_events as _selector_events
import asyncio.unix_events as _unix_events
import concurrent.futures
import functools
import itertools
import types
import weakref
from collections import deque
from collections.abc import Callable, Coroutine, Iterator
from typing import TYPE_CHECKING, Any, TypeAlias

from ..errors import Unsupported

if TYPE_CHECKING:
    from .os import OsModule
    from .selectors import SelectorsModule
    from .socket import SocketModule
    from .threading import ThreadingModule
    from .time import TimeModule


# -- rebinding the stdlib's code over a host's stand-ins -------------------------------


def _rebind_function(fn: types.FunctionType, namespace: dict[str, Any]) -> types.FunctionType:
    new = types.FunctionType(fn.__code__, namespace, fn.__name__, fn.__defaults__, fn.__closure__)
    new.__kwdefaults__ = fn.__kwdefaults__
    new.__qualname__ = fn.__qualname__
    new.__doc__ = fn.__doc__
    new.__module__ = fn.__module__
    new.__dict__.update(fn.__dict__)
    return new


def _rebind_member(value: Any, namespace: dict[str, Any]) -> Any:
    if isinstance(value, types.FunctionType):
        return _rebind_function(value, namespace)
    if isinstance(value, (staticmethod, classmethod)) and isinstance(value.__func__, types.FunctionType):
        return type(value)(_rebind_function(value.__func__, namespace))
    return None


def _rebase_class(original: type, namespace: dict[str, Any], rebased_base: type | None) -> type:
    """A subclass of ``original`` (and of ``rebased_base``) whose methods run over ``namespace``."""
    members: dict[str, Any] = {"__module__": original.__module__, "__qualname__": original.__qualname__}
    for name, value in vars(original).items():
        rebound = _rebind_member(value, namespace)
        if rebound is not None:
            members[name] = rebound
    bases = (original,) if rebased_base is None else (original, rebased_base)
    return type(original.__name__, bases, members)


def _rebound_module(module: types.ModuleType, replacements: dict[str, Any]) -> dict[str, Any]:
    """A copy of ``module``'s globals with ``replacements``, its own functions rebound to it."""
    namespace = dict(vars(module))
    namespace.update(replacements)
    for name, value in vars(module).items():
        if isinstance(value, types.FunctionType) and value.__module__ == module.__name__:
            namespace[name] = _rebind_function(value, namespace)
    return namespace


def _rebased_loop_classes(
    socket: Any, selectors: Any, os: Any, threading: Any, time: Any
) -> type:
    """The rebased ``_UnixSelectorEventLoop`` for one host (see the module comment)."""
    base_ns = _rebound_module(
        _base_events,
        # The one set() in base_events dedups create_server's addrinfos and then binds in
        # iteration order, which for str addresses follows PYTHONHASHSEED; the model binds in
        # getaddrinfo's order instead, so fd numbers and traces do not depend on the hash seed.
        {"socket": socket, "os": os, "threading": threading, "time": time, "set": dict.fromkeys,
         "weakref": _weakref_with_ordered_set},
    )
    sel_ns = _rebound_module(_selector_events, {"socket": socket, "selectors": selectors})
    unix_ns = _rebound_module(
        _unix_events, {"socket": socket, "selectors": selectors, "os": os, "threading": threading}
    )
    r_base = _rebase_class(_base_events.BaseEventLoop, base_ns, None)
    r_sel = _rebase_class(_selector_events.BaseSelectorEventLoop, sel_ns, r_base)
    for name in ("_UnixReadPipeTransport", "_UnixWritePipeTransport"):
        unix_ns[name] = _rebase_class(getattr(_unix_events, name), unix_ns, None)
    r_unix = _rebase_class(_unix_events._UnixSelectorEventLoop, unix_ns, r_sel)
    base_ns["BaseEventLoop"] = r_base
    sel_ns["BaseSelectorEventLoop"] = r_sel
    unix_ns["_UnixSelectorEventLoop"] = unix_ns["SelectorEventLoop"] = r_unix
    return r_unix


# -- an executor over model threads -------------------------------------------------------


class ThreadPoolExecutor(concurrent.futures.Executor):
    """concurrent.futures.ThreadPoolExecutor's behaviour on model threads; bound per kernel.

    Workers start lazily, one per submission while none is idle, up to
    ``max_workers`` (default 5: ``min(32, cpu_count + 4)`` on the simulated
    one-CPU machine), and take work in submission order.
    """

    _threading: ThreadingModule

    def __init__(
        self,
        max_workers: int | None = None,
        thread_name_prefix: str = "",
        initializer: Callable[..., Any] | None = None,
        initargs: tuple[Any, ...] = (),
    ) -> None:
        if max_workers is None:
            max_workers = 5
        if max_workers <= 0:
            raise ValueError("max_workers must be greater than 0")
        if initializer is not None and not callable(initializer):
            raise TypeError("initializer must be a callable")
        self._max_workers = max_workers
        self._prefix = thread_name_prefix or f"ThreadPoolExecutor-{id(self) & 0xFFFF:x}"
        self._initializer = initializer
        self._initargs = initargs
        self._cond = self._threading.Condition(self._threading.Lock())
        self._work: deque[tuple[concurrent.futures.Future[Any], Callable[..., Any], tuple[Any, ...], dict[str, Any]]]
        self._work = deque()
        self._threads: list[Any] = []
        self._idle = 0
        self._shutdown = False

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> concurrent.futures.Future[Any]:
        with self._cond:
            if self._shutdown:
                raise RuntimeError("cannot schedule new futures after shutdown")
            future: concurrent.futures.Future[Any] = concurrent.futures.Future()
            self._work.append((future, fn, args, kwargs))
            if self._idle <= len(self._work) - 1 and len(self._threads) < self._max_workers:
                name = f"{self._prefix}_{len(self._threads)}"
                thread = self._threading.Thread(target=self._worker, name=name, daemon=True)
                self._threads.append(thread)
                thread.start()
            self._cond.notify()
        return future

    def _worker(self) -> None:
        if self._initializer is not None:
            self._initializer(*self._initargs)
        while True:
            with self._cond:
                while not self._work:
                    if self._shutdown:
                        return
                    self._idle += 1
                    self._cond.wait()
                    self._idle -= 1
                future, fn, args, kwargs = self._work.popleft()
            if not future.set_running_or_notify_cancel():
                continue
            try:
                result = fn(*args, **kwargs)
            except BaseException as exc:
                future.set_exception(exc)
            else:
                future.set_result(result)

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        with self._cond:
            self._shutdown = True
            if cancel_futures:
                while self._work:
                    self._work.popleft()[0].cancel()
            self._cond.notify_all()
        if wait:
            for thread in self._threads:
                thread.join()


# -- tasks and futures that hash alike in every run ----------------------------------------
# asyncio keeps tasks and futures in sets (asyncio.wait's done/pending, all_tasks, which
# asyncio.run cancels at the end, in set order): with the default identity hash their order
# follows memory addresses. The model's loop makes tasks and futures whose hash is a creation
# number instead (equality stays identity), so every such order is the same in every run.


class Task(asyncio.Task):  # type: ignore[misc]
    __slots__ = ("_epollsim_seq",)
    _epollsim_seqs: Iterator[int]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self._epollsim_seq = next(self._epollsim_seqs)  # before Task.__init__ registers it in a set
        super().__init__(*args, **kwargs)

    def __hash__(self) -> int:
        return self._epollsim_seq


class Future(asyncio.Future):  # type: ignore[misc]
    __slots__ = ("_epollsim_seq",)
    _epollsim_seqs: Iterator[int]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self._epollsim_seq = next(self._epollsim_seqs)
        super().__init__(*args, **kwargs)

    def __hash__(self) -> int:
        return self._epollsim_seq


class _OrderedWeakSet:
    """The ``weakref.WeakSet`` of a loop's live async generators, iterated in first-use order
    (``shutdown_asyncgens`` closes them in that order, not in address order)."""

    def __init__(self) -> None:
        self._refs: dict[weakref.ref[Any], None] = {}

    def add(self, item: Any) -> None:
        self._refs[weakref.ref(item, self._refs.pop)] = None  # type: ignore[arg-type]

    def discard(self, item: Any) -> None:
        self._refs.pop(weakref.ref(item), None)

    def clear(self) -> None:
        self._refs.clear()

    def __len__(self) -> int:
        return len(self._refs)

    def __iter__(self) -> Iterator[Any]:
        return iter([item for item in (ref() for ref in list(self._refs)) if item is not None])


# base_events uses weakref only for the loop's set of async generators.
_weakref_with_ordered_set = types.SimpleNamespace(**{**vars(weakref), "WeakSet": _OrderedWeakSet})


# -- the loop -------------------------------------------------------------------------------


class _ModelLoop:
    """What differs on the model; mixed in before the rebased stdlib loop (see the module comment)."""

    _host_asyncio: AsyncioModule
    _default_executor: Any
    _executor_shutdown_called: bool
    _clock_resolution: float

    def __init__(self, selector: Any = None) -> None:
        if selector is None:
            selector = self._host_asyncio._selectors.EpollSelector()
        super().__init__(selector)  # type: ignore[call-arg]
        self._clock_resolution = 1e-09

    def time(self) -> float:
        return self._host_asyncio._time.monotonic()

    def create_future(self) -> asyncio.Future[Any]:
        return self._host_asyncio.Future(loop=self)

    def create_task(self, coro: Any, *, name: str | None = None, context: Any = None) -> asyncio.Task[Any]:
        if self._task_factory is not None:  # type: ignore[attr-defined]
            return super().create_task(coro, name=name, context=context)  # type: ignore[misc,no-any-return]
        self._check_closed()  # type: ignore[attr-defined]
        task: Any = self._host_asyncio.Task(coro, loop=self, name=name, context=context)
        if task._source_traceback:
            del task._source_traceback[-1]
        return task

    def run_in_executor(self, executor: Any, func: Callable[..., Any], *args: Any) -> Any:
        if executor is None and self._default_executor is None and not self._executor_shutdown_called:
            if not self.is_closed():  # type: ignore[attr-defined]
                self._default_executor = self._host_asyncio.ThreadPoolExecutor(thread_name_prefix="asyncio")
        return super().run_in_executor(executor, func, *args)  # type: ignore[misc]

    async def getaddrinfo(
        self, host: Any, port: Any, *, family: int = 0, type: int = 0, proto: int = 0, flags: int = 0
    ) -> list[Any]:
        return self._host_asyncio._socket.getaddrinfo(host, port, family, type, proto, flags)  # type: ignore[no-any-return]

    async def getnameinfo(self, sockaddr: Any, flags: int = 0) -> tuple[str, str]:
        return self._host_asyncio._socket.getnameinfo(sockaddr, flags)  # type: ignore[no-any-return]

    def add_signal_handler(self, sig: int, callback: Callable[..., Any], *args: Any) -> None:
        raise Unsupported("loop.add_signal_handler is not modelled by epollsim: there are no signals")

    def _make_subprocess_transport(self, *args: Any, **kwargs: Any) -> Any:
        raise Unsupported("asyncio subprocesses are not modelled by epollsim")

    async def _sock_sendfile_native(self, sock: Any, file: Any, offset: Any, count: Any) -> Any:
        # Lets sock_sendfile fall back to reading the file and sock_sendall, as it does
        # wherever os.sendfile is missing.
        raise _exceptions.SendfileNotAvailableError("os.sendfile() is not modelled by epollsim")

    def __repr__(self) -> str:
        return (
            f"<epollsim EventLoop running={self.is_running()} "  # type: ignore[attr-defined]
            f"closed={self.is_closed()} debug={self.get_debug()}>"  # type: ignore[attr-defined]
        )


class EventLoopPolicy(_events.BaseDefaultEventLoopPolicy):
    """A policy whose loops are the model's, one current loop per model thread (for ``patch()``).

    The stdlib's policy keeps the current loop in a ``threading.local``, which
    green threads would share; this one keys it by the model's thread id.
    """

    _host_asyncio: AsyncioModule

    def __init__(self) -> None:
        self._loops: dict[int, Any] = {}
        self._set_called: dict[int, bool] = {}

    def get_event_loop(self) -> Any:
        tid = self._host_asyncio._threading.get_ident()
        loop = self._loops.get(tid)
        if loop is None and not self._set_called.get(tid) and tid == self._host_asyncio._threading.main_thread().ident:
            loop = self._loops[tid] = self.new_event_loop()
        if loop is None:
            name = self._host_asyncio._threading.current_thread().name
            raise RuntimeError(f"There is no current event loop in thread {name!r}.")
        return loop

    def set_event_loop(self, loop: Any) -> None:
        tid = self._host_asyncio._threading.get_ident()
        self._set_called[tid] = True
        if loop is not None and not isinstance(loop, _events.AbstractEventLoop):
            raise TypeError(f"loop must be an instance of AbstractEventLoop or None, not '{type(loop).__name__}'")
        self._loops[tid] = loop

    def new_event_loop(self) -> Any:
        return self._host_asyncio.EventLoop()

    def get_child_watcher(self) -> Any:
        raise Unsupported("asyncio child watchers are not modelled by epollsim")

    def set_child_watcher(self, watcher: Any) -> None:
        raise Unsupported("asyncio child watchers are not modelled by epollsim")


# The module's class attributes below shadow these names inside its body.
_Policy: TypeAlias = EventLoopPolicy
_Executor: TypeAlias = ThreadPoolExecutor
_Task: TypeAlias = Task
_Future: TypeAlias = Future


class AsyncioModule:
    """``k.asyncio``: asyncio with the host's event loop.

    ``run``, ``new_event_loop``, ``Runner``, ``EventLoop`` (also
    ``SelectorEventLoop``), ``ThreadPoolExecutor``, ``EventLoopPolicy`` and
    ``get_event_loop``/``set_event_loop`` (over this module's own policy) are the
    model's. Every other name is the real asyncio's: tasks, futures, streams,
    ``sleep``, ``wait_for``, ``timeout``, ``TaskGroup``, ``gather`` and the rest reach
    the system only through the running loop, which is the model's.
    """

    def __init__(
        self,
        socket: SocketModule,
        selectors: SelectorsModule,
        os: OsModule,
        threading: ThreadingModule,
        time: TimeModule,
    ) -> None:
        self._socket = socket
        self._selectors = selectors
        self._os = os
        self._threading = threading
        self._time = time

    # The classes are made on first use: rebinding asyncio's code costs about half a
    # millisecond, and most kernels (an exploration's thousands) never run a loop.

    @functools.cached_property
    def EventLoop(self) -> type[asyncio.AbstractEventLoop]:  # noqa: N802 (asyncio's name)
        rebased = _rebased_loop_classes(self._socket, self._selectors, self._os, self._threading, self._time)
        return type("EventLoop", (_ModelLoop, rebased), {"_host_asyncio": self, "__module__": "asyncio"})

    @property
    def SelectorEventLoop(self) -> type[asyncio.AbstractEventLoop]:  # noqa: N802
        return self.EventLoop

    @functools.cached_property
    def ThreadPoolExecutor(self) -> type[_Executor]:  # noqa: N802
        bind = {"_threading": self._threading, "__module__": "asyncio"}
        return type("ThreadPoolExecutor", (ThreadPoolExecutor,), bind)

    @functools.cached_property
    def EventLoopPolicy(self) -> type[_Policy]:  # noqa: N802
        return type("EventLoopPolicy", (EventLoopPolicy,), {"_host_asyncio": self, "__module__": "asyncio"})

    @property
    def DefaultEventLoopPolicy(self) -> type[_Policy]:  # noqa: N802
        return self.EventLoopPolicy

    @functools.cached_property
    def _policy(self) -> _Policy:
        return self.EventLoopPolicy()

    @functools.cached_property
    def _seqs(self) -> Iterator[int]:
        return itertools.count(1)

    @functools.cached_property
    def Task(self) -> type[_Task]:  # noqa: N802
        return type("Task", (Task,), {"_epollsim_seqs": self._seqs, "__slots__": (), "__module__": "asyncio"})

    @functools.cached_property
    def Future(self) -> type[_Future]:  # noqa: N802
        return type("Future", (Future,), {"_epollsim_seqs": self._seqs, "__slots__": (), "__module__": "asyncio"})

    def new_event_loop(self) -> asyncio.AbstractEventLoop:
        """A new event loop on the model (not made current, as with ``asyncio.new_event_loop``)."""
        return self.EventLoop()

    # The current-loop functions use this module's own policy, never the process's.

    def get_event_loop_policy(self) -> _Policy:
        return self._policy

    def get_event_loop(self) -> asyncio.AbstractEventLoop:
        running = _events._get_running_loop()
        return running if running is not None else self._policy.get_event_loop()

    def set_event_loop(self, loop: asyncio.AbstractEventLoop | None) -> None:
        self._policy.set_event_loop(loop)

    def get_child_watcher(self) -> Any:
        return self._policy.get_child_watcher()

    def set_child_watcher(self, watcher: Any) -> None:
        self._policy.set_child_watcher(watcher)

    def Runner(self, *, debug: bool | None = None, loop_factory: Callable[[], Any] | None = None) -> asyncio.Runner:
        """``asyncio.Runner`` whose default loop factory is the model's."""
        return asyncio.Runner(debug=debug, loop_factory=loop_factory or self.EventLoop)

    def run(self, main: Coroutine[Any, Any, Any], *, debug: bool | None = None) -> Any:
        """``asyncio.run(main)`` on a new model loop, in the calling model thread."""
        if _events._get_running_loop() is not None:
            raise RuntimeError("asyncio.run() cannot be called from a running event loop")
        with asyncio.Runner(debug=debug, loop_factory=self.EventLoop) as runner:
            return runner.run(main)

    def __getattr__(self, name: str) -> Any:
        # asyncio's own functions and classes work on any loop: forward to the real module.
        return getattr(asyncio, name)

    def __repr__(self) -> str:
        return "<module 'asyncio' (epollsim)>"
