"""The model's event loop class, its executor over model threads, and its policy.

Theory of operation
-------------------
``asyncio_rebind.py`` makes, per host, CPython's own ``_UnixSelectorEventLoop``
rebound over the host's stand-ins. ``EventLoop`` (one class per host, made by
``AsyncioModule``) mixes ``_ModelLoop`` in before it, changing what must differ
on a simulated machine:

- ``time()`` is the virtual clock, so ``_run_once`` computes its select timeout
  on virtual time; the selector is the host's ``EpollSelector``, whose ``select``
  blocks the green thread in the model's ``epoll_wait``, and when nothing else can
  run the clock jumps: ``asyncio.sleep(3600)`` takes no wall time.
- ``run_in_executor`` defaults to ``ThreadPoolExecutor`` over model threads; its
  results come back through ``call_soon_threadsafe``, i.e. the model's
  socketpair self-pipe.
- ``getaddrinfo``/``getnameinfo`` call ``socket.getaddrinfo``/``getnameinfo``
  directly (no thread: the model's resolver never waits), looked up at call
  time where CPython's loop looks them up (``module_view.py``), so a test's
  mock of them reaches the model's loop.
- signal handlers are CPython's own (``add_signal_handler`` over the host's
  ``signal``: its wake-up fd is the loop's self-pipe); subprocesses raise
  ``Unsupported``; ``sock_sendfile`` of a real file under ``k.patch()`` takes CPython's
  native path over the model's ``os.sendfile``, of anything else falls back to send.
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
import asyncio.events as _events
import asyncio.exceptions as _exceptions
import concurrent.futures
import sys
from collections import deque
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any, cast

from ..errors import NotModelled

if TYPE_CHECKING:
    from .asyncio import AsyncioModule
    from .threading import ThreadingModule


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
# follows memory addresses. The model's loop makes tasks and futures whose hash is a number
# drawn from the kernel's counter the first time they are hashed (equality stays identity).
# The program is deterministic, so the order of first hashes is too, and every such set
# order is the same in every run. Drawing at the first hash, not in __init__, leaves
# construction to the C types (a future per await is the loop's hottest allocation); a task
# is hashed by Task.__init__ itself, when it registers in asyncio's set of all tasks.


def _seq_hash(self: Any) -> int:
    try:
        return self._epollsim_seq  # type: ignore[no-any-return]
    except AttributeError:
        seq = self._epollsim_seq = next(self._epollsim_seqs)
        return seq  # type: ignore[no-any-return]


class Task(asyncio.Task):  # type: ignore[type-arg]  # the C type, subclassed bare as at run time
    __slots__ = ("_epollsim_seq",)
    _epollsim_seqs: Iterator[int]
    __hash__ = _seq_hash


class Future(asyncio.Future):  # type: ignore[type-arg]  # the C type, subclassed bare as at run time
    __slots__ = ("_epollsim_seq",)
    _epollsim_seqs: Iterator[int]
    __hash__ = _seq_hash


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

    def create_future(self) -> asyncio.Future[Any]:
        return self._host_asyncio.Future(loop=self)  # type: ignore[arg-type]  # a mixin of the loop

    if sys.version_info >= (3, 11):

        def create_task(self, coro: Any, *, name: str | None = None, context: Any = None) -> asyncio.Task[Any]:
            if self._task_factory is not None:  # type: ignore[attr-defined]
                return super().create_task(coro, name=name, context=context)  # type: ignore[misc,no-any-return]
            self._check_closed()  # type: ignore[attr-defined]
            task: Any = self._host_asyncio.Task(coro, loop=self, name=name, context=context)  # type: ignore[arg-type]
            if task._source_traceback:
                del task._source_traceback[-1]
            return cast("asyncio.Task[Any]", task)

    else:  # Python 3.10: tasks take no context (added in 3.11)

        def create_task(self, coro: Any, *, name: str | None = None) -> asyncio.Task[Any]:
            if self._task_factory is not None:  # type: ignore[attr-defined]
                return super().create_task(coro, name=name)  # type: ignore[misc,no-any-return]
            self._check_closed()  # type: ignore[attr-defined]
            task: Any = self._host_asyncio.Task(coro, loop=self, name=name)  # type: ignore[arg-type]
            if task._source_traceback:
                del task._source_traceback[-1]
            return cast("asyncio.Task[Any]", task)

    def run_in_executor(self, executor: Any, func: Callable[..., Any], *args: Any) -> Any:
        if executor is None and self._default_executor is None and not self._executor_shutdown_called:
            if not self.is_closed():  # type: ignore[attr-defined]
                self._default_executor = self._host_asyncio.ThreadPoolExecutor(thread_name_prefix="asyncio")
        return super().run_in_executor(executor, func, *args)  # type: ignore[misc]

    async def getaddrinfo(
        self, host: Any, port: Any, *, family: int = 0, type: int = 0, proto: int = 0, flags: int = 0
    ) -> list[Any]:
        # socket.getaddrinfo as CPython's loop finds it at call time (a test's mock included).
        return self._host_asyncio._socket_view.getaddrinfo(host, port, family, type, proto, flags)  # type: ignore[no-any-return]

    async def getnameinfo(self, sockaddr: Any, flags: int = 0) -> tuple[str, str]:
        return self._host_asyncio._socket_view.getnameinfo(sockaddr, flags)  # type: ignore[no-any-return]

    def _make_subprocess_transport(self, *args: Any, **kwargs: Any) -> Any:
        raise NotModelled("asyncio subprocesses are not modelled by epollsim: there are no real processes")

    async def _sock_sendfile_native(self, sock: Any, file: Any, offset: Any, count: Any) -> Any:
        # A real regular file under k.patch(): CPython's own native path, over the model's
        # os.sendfile (which reads the file with pread). Anything else falls back to reading
        # the file and sock_sendall, as CPython does wherever os.sendfile cannot serve.
        try:
            fileno = file.fileno()
        except (AttributeError, OSError, ValueError):
            fileno = None
        if fileno is None or self._host_asyncio._os._sys.host_file(fileno) is None:
            raise _exceptions.SendfileNotAvailableError("os.sendfile() of a model file is not modelled by epollsim")
        return await super()._sock_sendfile_native(sock, file, offset, count)  # type: ignore[misc]

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
            if sys.version_info < (3, 11):  # 3.10 checks with an assert (3.11 made it a TypeError)
                if __debug__:
                    raise AssertionError
            else:
                raise TypeError(f"loop must be an instance of AbstractEventLoop or None, not '{type(loop).__name__}'")
        self._loops[tid] = loop

    def new_event_loop(self) -> Any:
        return self._host_asyncio.EventLoop()

    def get_child_watcher(self) -> Any:
        raise NotModelled("asyncio child watchers are not modelled by epollsim: there are no real processes")

    def set_child_watcher(self, watcher: Any) -> None:
        raise NotModelled("asyncio child watchers are not modelled by epollsim: there are no real processes")
