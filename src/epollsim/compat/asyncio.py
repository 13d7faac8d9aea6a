"""``k.asyncio``: asyncio on the model, one stand-in module per host.

Theory of operation
-------------------
CPython's own selector event loop runs on the model: ``asyncio_rebind.py``
re-creates its code over the host's stand-ins (``socket``, ``selectors``,
``os``, ``threading``, ``time``, ``signal``), and ``asyncio_loop.py`` adds what differs on a
simulated machine (the virtual clock, model threads for executors, the
model's resolver, orders fixed in every run). This module is the ``asyncio``
the user holds: the entry points that make loops (``run``, ``Runner``,
``new_event_loop``, ``get_event_loop``, the policy) are the model's.

Every other name is vetted, not forwarded wholesale: ``FORWARDED`` lists the
real asyncio's names that never reach the operating system on their own, only
through the running loop (tasks, futures, ``gather``/``wait``/``wait_for``,
``sleep``, timeouts, TaskGroups, locks and queues, the streams functions, the
protocol and transport base classes, the exceptions); under a model loop they
run on the model. Any other name the real asyncio has (subprocesses, child
watchers, its submodules, names a newer Python adds) raises ``Unsupported``
when looked up, so nothing falls through to the host; a name asyncio lacks is
an ``AttributeError``.
"""
from __future__ import annotations

import asyncio
import asyncio.events as _events
import asyncio.runners as _runners
import functools
import itertools
import sys
from collections.abc import Callable, Coroutine, Iterator
from typing import TYPE_CHECKING, Any, Generic, TypeAlias, TypeVar

from ._module import StandIn, copy_constants
from .asyncio_loop import EventLoopPolicy, Future, Task, ThreadPoolExecutor, _ModelLoop
from .asyncio_rebind import rebased_loop_classes, rebased_runner
from .module_view import ModuleView

if TYPE_CHECKING:
    from .os import OsModule
    from .selectors import SelectorsModule
    from .signal import SignalModule
    from .socket import SocketModule
    from .threading import ThreadingModule
    from .time import TimeModule

# The real asyncio's names that reach the system only through the running loop (or not at all).
# Names a Python version lacks are skipped; everything else asyncio has raises Unsupported.
FORWARDED: tuple[str, ...] = (
    # exceptions and constants
    "CancelledError", "InvalidStateError", "TimeoutError", "IncompleteReadError", "LimitOverrunError",
    "SendfileNotAvailableError", "BrokenBarrierError", "QueueEmpty", "QueueFull", "QueueShutDown",
    "ALL_COMPLETED", "FIRST_COMPLETED", "FIRST_EXCEPTION",
    # tasks, futures and waiting (Task and Future themselves are the model's)
    "get_running_loop", "_get_running_loop", "_set_running_loop",
    "create_task", "current_task", "all_tasks", "ensure_future", "isfuture", "wrap_future",
    "iscoroutine", "iscoroutinefunction", "gather", "shield", "wait", "wait_for", "as_completed",
    "sleep", "timeout", "timeout_at", "Timeout", "TaskGroup", "to_thread", "run_coroutine_threadsafe",
    "eager_task_factory", "create_eager_task_factory",
    "_enter_task", "_leave_task", "_register_task", "_unregister_task", "_register_eager_task",
    "_unregister_eager_task", "_swap_current_task",
    # synchronisation and queues
    "Lock", "Event", "Condition", "Semaphore", "BoundedSemaphore", "Barrier",
    "Queue", "PriorityQueue", "LifoQueue",
    # streams (through the running loop)
    "StreamReader", "StreamWriter", "StreamReaderProtocol",
    "open_connection", "start_server", "open_unix_connection", "start_unix_server",
    # protocols, transports and the loop's abstract interfaces
    "BaseProtocol", "Protocol", "BufferedProtocol", "DatagramProtocol", "SubprocessProtocol",
    "BaseTransport", "ReadTransport", "WriteTransport", "Transport", "DatagramTransport",
    "SubprocessTransport", "AbstractEventLoop", "AbstractEventLoopPolicy", "AbstractServer",
    "BaseEventLoop", "Server", "Handle", "TimerHandle",
)


class _Forwarded:
    """A vetted name of the real asyncio (looked up on use, so a monkeypatch shows through)."""

    __slots__ = ("name",)

    def __init__(self, name: str) -> None:
        self.name = name

    def __get__(self, obj: object, owner: type | None = None) -> Any:
        return getattr(asyncio, self.name)


_T = TypeVar("_T")  # what a coroutine returns

if TYPE_CHECKING:

    class _Same(Generic[_T]):
        """What a forwarded name reads as, to the type checker: the real object's type."""

        def __get__(self, obj: object, owner: type | None = None) -> _T: ...

    def _forwarded(value: _T) -> _Same[_T]: ...


# The module's class attributes below shadow these names inside its body.
_Policy: TypeAlias = EventLoopPolicy
_Executor: TypeAlias = ThreadPoolExecutor
_Task: TypeAlias = Task
_Future: TypeAlias = Future


class AsyncioModule(StandIn):
    """``k.asyncio``: asyncio with the host's event loop.

    ``run``, ``new_event_loop``, ``Runner``, ``EventLoop`` (also
    ``SelectorEventLoop``), ``ThreadPoolExecutor``, ``EventLoopPolicy`` and
    ``get_event_loop``/``set_event_loop`` (over this module's own policy) are the
    model's; the real asyncio's helpers in ``FORWARDED`` are its own (they reach the
    system only through the running loop, the model's); the rest raise ``Unsupported``.
    """

    _mirrors = asyncio

    if TYPE_CHECKING:
        # For the type checker: each forwarded name (set on the class below) reads as the real
        # asyncio's object of that name, with its signature (its overloads too).
        CancelledError = _forwarded(asyncio.CancelledError)
        InvalidStateError = _forwarded(asyncio.InvalidStateError)
        TimeoutError = _forwarded(asyncio.TimeoutError)
        IncompleteReadError = _forwarded(asyncio.IncompleteReadError)
        LimitOverrunError = _forwarded(asyncio.LimitOverrunError)
        SendfileNotAvailableError = _forwarded(asyncio.SendfileNotAvailableError)
        QueueEmpty = _forwarded(asyncio.QueueEmpty)
        QueueFull = _forwarded(asyncio.QueueFull)
        ALL_COMPLETED = _forwarded(asyncio.ALL_COMPLETED)
        FIRST_COMPLETED = _forwarded(asyncio.FIRST_COMPLETED)
        FIRST_EXCEPTION = _forwarded(asyncio.FIRST_EXCEPTION)
        get_running_loop = _forwarded(asyncio.get_running_loop)
        create_task = _forwarded(asyncio.create_task)
        current_task = _forwarded(asyncio.current_task)
        all_tasks = _forwarded(asyncio.all_tasks)
        ensure_future = _forwarded(asyncio.ensure_future)
        isfuture = _forwarded(asyncio.isfuture)
        wrap_future = _forwarded(asyncio.wrap_future)
        iscoroutine = _forwarded(asyncio.iscoroutine)
        iscoroutinefunction = _forwarded(asyncio.iscoroutinefunction)
        gather = _forwarded(asyncio.gather)
        shield = _forwarded(asyncio.shield)
        wait = _forwarded(asyncio.wait)
        wait_for = _forwarded(asyncio.wait_for)
        as_completed = _forwarded(asyncio.as_completed)
        sleep = _forwarded(asyncio.sleep)
        to_thread = _forwarded(asyncio.to_thread)
        run_coroutine_threadsafe = _forwarded(asyncio.run_coroutine_threadsafe)
        Lock = _forwarded(asyncio.Lock)
        Event = _forwarded(asyncio.Event)
        Condition = _forwarded(asyncio.Condition)
        Semaphore = _forwarded(asyncio.Semaphore)
        BoundedSemaphore = _forwarded(asyncio.BoundedSemaphore)
        Queue = _forwarded(asyncio.Queue)
        PriorityQueue = _forwarded(asyncio.PriorityQueue)
        LifoQueue = _forwarded(asyncio.LifoQueue)
        StreamReader = _forwarded(asyncio.StreamReader)
        StreamWriter = _forwarded(asyncio.StreamWriter)
        StreamReaderProtocol = _forwarded(asyncio.StreamReaderProtocol)
        open_connection = _forwarded(asyncio.open_connection)
        start_server = _forwarded(asyncio.start_server)
        open_unix_connection = _forwarded(asyncio.open_unix_connection)
        start_unix_server = _forwarded(asyncio.start_unix_server)
        BaseProtocol = _forwarded(asyncio.BaseProtocol)
        Protocol = _forwarded(asyncio.Protocol)
        BufferedProtocol = _forwarded(asyncio.BufferedProtocol)
        DatagramProtocol = _forwarded(asyncio.DatagramProtocol)
        SubprocessProtocol = _forwarded(asyncio.SubprocessProtocol)
        BaseTransport = _forwarded(asyncio.BaseTransport)
        ReadTransport = _forwarded(asyncio.ReadTransport)
        WriteTransport = _forwarded(asyncio.WriteTransport)
        Transport = _forwarded(asyncio.Transport)
        DatagramTransport = _forwarded(asyncio.DatagramTransport)
        SubprocessTransport = _forwarded(asyncio.SubprocessTransport)
        AbstractEventLoop = _forwarded(asyncio.AbstractEventLoop)
        AbstractEventLoopPolicy = _forwarded(asyncio.AbstractEventLoopPolicy)
        AbstractServer = _forwarded(asyncio.AbstractServer)
        BaseEventLoop = _forwarded(asyncio.BaseEventLoop)
        Server = _forwarded(asyncio.Server)
        Handle = _forwarded(asyncio.Handle)
        TimerHandle = _forwarded(asyncio.TimerHandle)
        if sys.version_info >= (3, 11):
            BrokenBarrierError = _forwarded(asyncio.BrokenBarrierError)
            timeout = _forwarded(asyncio.timeout)
            timeout_at = _forwarded(asyncio.timeout_at)
            Timeout = _forwarded(asyncio.Timeout)
            TaskGroup = _forwarded(asyncio.TaskGroup)
            Barrier = _forwarded(asyncio.Barrier)
        if sys.version_info >= (3, 12):
            eager_task_factory = _forwarded(asyncio.eager_task_factory)
            create_eager_task_factory = _forwarded(asyncio.create_eager_task_factory)
        if sys.version_info >= (3, 13):
            QueueShutDown = _forwarded(asyncio.QueueShutDown)

    def __init__(
        self,
        socket: SocketModule,
        selectors: SelectorsModule,
        os: OsModule,
        threading: ThreadingModule,
        time: TimeModule,
        signal: SignalModule,
    ) -> None:
        self._signal = signal
        self._socket = socket
        self._socket_view = ModuleView(socket)  # socket's names where CPython's asyncio reads them
        self._selectors = selectors
        self._os = os
        self._threading = threading
        self._time = time

    # The classes are made on first use: rebinding asyncio's code costs about half a
    # millisecond, and most kernels (an exploration's thousands) never run a loop.

    @functools.cached_property
    def EventLoop(self) -> type[asyncio.AbstractEventLoop]:  # noqa: N802 (asyncio's name)
        rebased = rebased_loop_classes(
            self._socket_view, self._selectors, self._os, self._threading, self._time, self._signal
        )
        # loop.time() is the model's time.monotonic itself (called once per loop iteration).
        attrs = {"_host_asyncio": self, "__module__": "asyncio", "time": staticmethod(self._time.monotonic)}
        return type("EventLoop", (_ModelLoop, rebased), attrs)

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

    if sys.version_info >= (3, 11):  # asyncio.Runner is new in 3.11: absent on 3.10, as there

        def Runner(  # noqa: N802 (asyncio's name)
            self, *, debug: bool | None = None, loop_factory: Callable[[], Any] | None = None
        ) -> asyncio.Runner:
            """``asyncio.Runner`` whose default loop factory is the model's."""
            return self._Runner(debug=debug, loop_factory=loop_factory or self.EventLoop)

        @functools.cached_property
        def _Runner(self) -> type[asyncio.Runner]:  # noqa: N802
            """asyncio.Runner rebound over the host's ``signal`` and ``threading``: the SIGINT
            handler it sets while running (a KeyboardInterrupt cancels the main task) is the
            host's, never the real process's."""
            runner: type[asyncio.Runner] = rebased_runner(self._signal, self._threading)
            return runner

    def run(self, main: Coroutine[Any, Any, _T], *, debug: bool | None = None) -> _T:
        """``asyncio.run(main)`` on a new model loop, in the calling model thread."""
        if _events._get_running_loop() is not None:
            raise RuntimeError("asyncio.run() cannot be called from a running event loop")
        if sys.version_info < (3, 11):
            return self._run_310(main, debug)
        with self._Runner(debug=debug, loop_factory=self.EventLoop) as runner:
            return runner.run(main)

    def _run_310(self, main: Coroutine[Any, Any, _T], debug: bool | None) -> _T:
        # Python 3.10 has no Runner: its asyncio.run, line for line, with the loop the model's
        # (and, as the Runner above with a loop factory, leaving this module's policy alone).
        if not asyncio.iscoroutine(main):
            raise ValueError(f"a coroutine was expected, got {main!r}")
        loop = self.EventLoop()
        try:
            if debug is not None:
                loop.set_debug(debug)
            return loop.run_until_complete(main)
        finally:
            try:
                _runners._cancel_all_tasks(loop)  # type: ignore[attr-defined]
                loop.run_until_complete(loop.shutdown_asyncgens())
                loop.run_until_complete(loop.shutdown_default_executor())
            finally:
                loop.close()

    def set_event_loop_policy(self, policy: _Policy | None) -> None:
        """Sets this module's policy (``None``: a new model policy), never the process's."""
        if policy is not None and not isinstance(policy, _events.AbstractEventLoopPolicy):
            if sys.version_info < (3, 11):  # 3.10 checks with an assert (3.11 made it a TypeError)
                if __debug__:
                    raise AssertionError
            else:
                raise TypeError(
                    f"policy must be an instance of AbstractEventLoopPolicy or None, not '{type(policy).__name__}'"
                )
        self._policy = policy if policy is not None else self.EventLoopPolicy()

    def __repr__(self) -> str:
        return "<module 'asyncio' (epollsim)>"


for _name in FORWARDED:
    if hasattr(asyncio, _name) and _name not in vars(AsyncioModule):
        setattr(AsyncioModule, _name, _Forwarded(_name))
copy_constants(AsyncioModule, prefixes=())  # every other name of the real asyncio: Unsupported
