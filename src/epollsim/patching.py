"""``k.patch()``: run unmodified code on the model, gevent-style, scoped to a ``with`` block.

Theory of operation
-------------------
Code reaches the system through module attributes (``socket.socket``,
``time.monotonic``) and through names it copied out of them at import
(``from time import monotonic``). A patch replaces both, the way gevent's
monkey patching and pyfakefs do, and puts every one back on exit:

1. **The modules, in place.** ``os``'s fd calls (``OS_FD_CALLS``: read, write,
   close, pipe, dup, eventfd...) become the host's; then (patch_fds/) the
   process gets one fd number space shared with the real one: real files
   keep real fds, the process is never given a number the model holds (the
   model's numbers are reserved), and each fd call of ``os``, ``fcntl`` and
   ``io.open`` goes to the side that owns its number. The rest of ``os``
   (paths, environment) stays real. For each public name of the real ``socket``, ``select``,
   ``selectors``, ``time``, ``threading`` and ``fcntl`` that belongs to that
   module (its ``__module__`` is the module or its C half: ``_socket``,
   ``_thread``), the module's attribute becomes the host's stand-in's. A C
   function or type the stand-in does not model becomes a stub that raises
   ``Unsupported`` when called (a class stub also refuses to be subclassed), so
   nothing reaches the host's network or clock. Constants, exception classes
   and names imported from elsewhere (``socket.IntEnum``) stay: they are the
   same either way. So does Python code in those modules that the stand-in
   lacks (``socket.SocketIO``), and ``STDLIB_CODE`` (``socket.create_connection``,
   ``create_server``, ``getfqdn``, ``has_dualstack_ipv6``): its globals *are*
   the patched module, so it runs on the model too, and looks each name up at
   call time, where a test's ``unittest.mock.patch`` finds it. The model's own
   code (its asyncio loop) looks the socket module's names up there too while
   the patch is active (``compat/module_view.py``).
2. **Names copied out, everywhere.** Every module in ``sys.modules`` (sorted by
   name; except epollsim's own, the six patched modules, asyncio, and the test
   and debugging tools listed in ``SKIP``) is scanned for globals that *are* (by
   identity) one of the replaced objects, and those are rebound. ``queue``'s
   ``from time import monotonic as time`` becomes the virtual clock, so a
   ``Queue.get(timeout=...)`` on model threads times out on virtual time.
   Methods of the real socket class that libraries keep in closures and class
   attributes (trio's socket class wraps ``socket.socket.send`` at import)
   become the model class's methods too (``patch_methods.py``).
3. **asyncio.** asyncio keeps its own internals consistent (it refers to the
   patched modules by attribute), so only its entry points change: the event
   loop policy becomes the host's (``asyncio.run``, ``new_event_loop`` and
   ``get_event_loop`` make model loops, one current loop per model thread), and
   ``asyncio.SelectorEventLoop``/``DefaultEventLoopPolicy`` are the model's.
   ``queue.SimpleQueue`` (C, blocks the OS thread) becomes the stdlib's
   pure-Python one, built on the patched ``threading``, so
   ``concurrent.futures.ThreadPoolExecutor`` runs on model threads. ``_thread``
   and ``threading``'s private copies of it become the model's (patch_threads.py),
   so a ``Thread`` subclass defined before the patch, deriving from the real class,
   starts a model thread too, and thread-locals held in module globals are per model
   thread; nothing starts a real process (patch_processes.py).

4. **Randomness, clocks and garbage collection** (``patch_random.py``,
   ``patch_clocks.py``, ``patch_gc.py``, each entered with one call below): the
   seed fixes every random draw, every clock is virtual (``datetime`` too, and
   clocks held in class attributes and default arguments), and the cyclic
   collector runs only at deterministic points.
5. **The seal.** Last, a watchdog OS thread of the patch's own starts
   (patch_escapes.py): a real socket or OS thread made while the patch is active
   (a C extension's) makes the exit raise ``EscapeError`` naming it, and a model
   thread stuck in a real blocking call (a real lock made before the patch) is
   reported with the object and the line, and woken with an error there.

On exit every recorded assignment is undone in reverse order, restoring the
identical objects, and modules imported during the patch are scanned once more
so none keeps a stand-in. Patches do not nest: entering a second one while one
is active raises ``RuntimeError``. The patch is process-wide while active (as
gevent's is): real OS threads running meanwhile see the model too.
"""
from __future__ import annotations

import asyncio
import asyncio.events as _asyncio_events
import asyncio.unix_events as _unix_events
import concurrent.futures.thread  # noqa: F401  (imported lazily otherwise: inside a patch its locks would be the model's)
import importlib
import os
import queue as _queue
import sys
import types
from collections.abc import Callable, MutableMapping
from typing import Any, Protocol

from . import patch_clocks, patch_gc, patch_hashes, patch_random
from .errors import EscapeError, Unsupported
from .patch_escapes import Seal
from .patch_fds import SharedFds
from .patch_fds.hosts import routed_fd_calls
from .patch_hosts import HostRouter
from .patch_libraries import fresh_library_state
from .patch_methods import method_swaps, rebind_methods
from .patch_processes import refuse_processes
from .patch_threads import model_locals, patch_threads

# The modules patched in place, with the modules their names may come from.
PATCHED: dict[str, tuple[str, ...]] = {
    "socket": ("socket", "_socket"),
    "select": ("select",),
    "selectors": ("selectors",),
    "time": ("time",),
    "threading": ("threading", "_thread"),
    "fcntl": ("fcntl",),
    "signal": ("signal", "_signal"),
}

# Python code of the patched modules that stays the stdlib's even where the stand-in has its own:
# it reaches the system only through its module's globals, which the patch replaces, so it runs
# on the model, and a test's ``mock.patch("socket.socket")`` or ``mock.patch("socket.getaddrinfo")``
# reaches it as it reaches CPython's (``create_connection`` looks ``socket`` up at call time).
STDLIB_CODE: dict[str, tuple[str, ...]] = {
    "socket": ("create_connection", "create_server", "getfqdn", "has_dualstack_ipv6"),
}

# The fd calls of ``os`` the model offers, patched by name: ``os`` as a whole stays
# real (paths, environment, processes), but a read, write or close of an fd number
# must reach the model's fd table, never the real one (where the same number may be
# the test runner's own file). timerfd_* exist in ``os`` from Python 3.13.
OS_FD_CALLS: tuple[str, ...] = (
    "read", "write", "close", "closerange", "pipe", "pipe2", "dup", "dup2", "lseek", "isatty", "eventfd",
    "eventfd_read", "eventfd_write", "get_blocking", "set_blocking", "get_inheritable", "set_inheritable", "fstat",
    "timerfd_create", "timerfd_settime", "timerfd_settime_ns", "timerfd_gettime", "timerfd_gettime_ns",
    "kill", "killpg",  # signals to the process: the host's (compat/os_signals.py), never the real one
    "readv", "writev", "pread", "pwrite", "preadv", "pwritev", "lseek", "sendfile",
)

# Modules whose globals are never rebound: epollsim (it holds the real modules on
# purpose), the patched modules and asyncio (their internals refer to each other
# by attribute and must stay consistent), and the tools running the test.
SKIP: tuple[str, ...] = (
    "epollsim", "greenlet", "asyncio", "_threading_local", *PATCHED,
    "_pytest", "pytest", "pluggy", "coverage", "hypothesis", "_hypothesis_pytestplugin",
    "pydevd", "_pydevd_bundle", "_pydev_bundle", "debugpy", "faulthandler", "importlib",
)


class PatchTarget(Protocol):
    """A host's stand-ins (``Host`` satisfies this)."""

    os: Any
    socket: Any
    select: Any
    selectors: Any
    time: Any
    threading: Any
    asyncio: Any
    fcntl: Any
    process: Any  # its scheduler: which thread patches, and on which host each thread runs
    entropy: Any
    signal: Any


_active: list[Patch] = []  # at most one


class _Attributes:
    """A class's attributes as a mapping, so ``Patch._assign`` sets and restores one (a class's
    ``vars()`` is read-only)."""

    __slots__ = ("obj",)

    def __init__(self, obj: object) -> None:
        self.obj = obj

    def __getitem__(self, name: str) -> Any:
        return getattr(self.obj, name)

    def __setitem__(self, name: str, value: Any) -> None:
        setattr(self.obj, name, value)


def _skipped(module_name: str, skip: tuple[str, ...], prefixes: tuple[str, ...]) -> bool:
    # str methods over tuples made once: the scan asks this of every module, several times a patch
    return module_name in skip or module_name.startswith(prefixes)


def _unsupported(qualname: str, original: Any) -> Any:
    """A stand-in for a name the model does not simulate: fails loudly when used."""
    message = f"{qualname} is not modelled by epollsim"

    if isinstance(original, type):
        def refuse_new(cls: type, *args: Any, **kwargs: Any) -> Any:
            raise Unsupported(message)

        def refuse_subclass(cls: type, /, **kwargs: Any) -> None:
            raise Unsupported(message)

        return type(original.__name__, (), {
            "__new__": refuse_new, "__init_subclass__": classmethod(refuse_subclass),
            "__module__": original.__module__, "__doc__": message,
        })

    def refuse(*args: Any, **kwargs: Any) -> Any:
        raise Unsupported(message)

    refuse.__name__ = refuse.__qualname__ = getattr(original, "__name__", qualname)
    refuse.__doc__ = message
    return refuse


def _is_replaceable(value: Any) -> bool:
    """Objects whose copies elsewhere are rebound: functions and classes (not constants)."""
    if isinstance(value, type):
        return not issubclass(value, BaseException)
    return callable(value) and not isinstance(value, types.ModuleType)


def _is_python(value: Any) -> bool:
    """Python code (not C): it reaches the system only through its module's patched globals."""
    if isinstance(value, type):
        return any(isinstance(member, types.FunctionType) for member in vars(value).values())
    return isinstance(value, types.FunctionType)


class Patch:
    """The context manager ``k.patch()`` returns; see the module comment."""

    def __init__(self, host: PatchTarget, skip: tuple[str, ...] = ()) -> None:
        self.host = host
        self.skip = SKIP + tuple(skip)
        self._skip_prefixes = tuple(s + "." for s in self.skip)
        # (namespace, name, original), in the order they were assigned
        self._undo: list[tuple[MutableMapping[str, Any] | _Attributes, str, Any]] = []
        # id(original) -> (original, replacement), for the scan of other modules
        self._swaps: dict[int, tuple[Any, Any]] = {}
        self._thread: Any = None  # the thread that entered, and the host it ran on before
        self._thread_host: Any = None
        self._router: HostRouter | None = None  # with several hosts: names answer per thread's host
        # undo actions that are not assignments to a namespace, run first on exit, newest first
        self._exit_hooks: list[Callable[..., object]] = []  # called with no arguments; results ignored
        self._cleanups: list[Callable[[], None]] = []  # run on exit, after the assignments are undone
        self._seal: Seal | None = None
        self._sealed = False  # the model's threads and processes are installed: watch for escapes
        self._fds: SharedFds | None = None  # the fd number space shared with the real process

    def __enter__(self) -> Patch:
        if _active:
            raise RuntimeError(
                f"epollsim: a patch for {_active[0].host!r} is already active; patches do not nest "
                "(leave it before entering another)"
            )
        _active.append(self)
        process = self.host.process  # None: a recording of the real kernel (observe.py), no threads to place
        if process is not None:
            sched = process.sched
            self._thread, self._thread_host = sched.current, sched.current.host
            if self._thread_host is None:
                self._thread.host = self.host  # the patching thread, and those it starts, run on this host
            hosts = getattr(self.host, "hosts", {})
            self._router = HostRouter(sched, self.host, hosts, self._assign) if len(hosts) > 1 else None
        try:
            patch_gc.enter(self)  # first: every object made before the patch is frozen, collection off
            patch_hashes.enter(self)  # before the swaps: it may import a part of a loaded library
            self._patch_modules()
            self._patch_extras()
            self._patch_ssl()
            self._share_fds()
            patch_random.enter(self)
            patch_random.reseed_held(self)
            patch_clocks.enter(self)
            self._rebind_copies()
            model_locals(self.host.threading, self._module_namespaces(), self._assign)
            patch_clocks.rebind_held(self)
            self._rebind_methods()
            patch_gc.collect_at_exit(self)
            if self._sealed:  # the watchdog, started last: escapes are loud (patch_escapes.py)
                sched = self.host.threading._sched
                self._seal = Seal(lambda: sched.current.name)
        except BaseException:
            self._restore()
            raise
        return self

    def __exit__(self, *exc: object) -> None:
        try:
            problem = self._seal.close() if self._seal is not None else None
        finally:
            self._seal = None
            self._restore()
        if problem is not None:
            raise EscapeError(problem)

    @property
    def active(self) -> bool:
        return bool(_active) and _active[0] is self

    # -- entering -----------------------------------------------------------------------

    def _assign(self, namespace: MutableMapping[str, Any] | _Attributes, name: str, value: Any) -> None:
        self._undo.append((namespace, name, namespace[name]))
        namespace[name] = value

    def replace(self, namespace: dict[str, Any], name: str, value: Any) -> None:
        """``namespace[name] = value`` until exit, and copies of the original in other modules'
        globals rebound to ``value`` too."""
        original = namespace[name]
        self._assign(namespace, name, value)
        self._swaps[id(original)] = (original, value)

    def at_exit(self, undo: Callable[..., object]) -> None:
        """Run ``undo`` on exit, before the assignments are undone (newest first)."""
        self._exit_hooks.append(undo)

    def swapped(self) -> dict[int, tuple[Any, Any]]:
        """id(original) -> (original, replacement) for every object replaced so far."""
        return self._swaps

    def _patch_modules(self) -> None:
        for module_name, owners in PATCHED.items():
            real = importlib.import_module(module_name)
            stand_in = getattr(self.host, module_name)
            namespace = vars(real)
            if "_patched_into" in vars(stand_in):  # the model's code looks names up in the real module
                self._assign(vars(stand_in), "_patched_into", real)
            for name in sorted(namespace):
                original = namespace[name]
                if name.startswith("_") or getattr(original, "__module__", None) not in owners:
                    continue
                if name in STDLIB_CODE.get(module_name, ()):
                    continue
                try:
                    replacement = getattr(stand_in, name)
                except (Unsupported, AttributeError):
                    if not _is_replaceable(original) or _is_python(original):
                        continue  # a constant, or Python code whose globals are the patched module
                    replacement = _unsupported(f"{module_name}.{name}", original)
                if replacement is original or (not _is_replaceable(original) and replacement == original):
                    continue  # the same object, or the same constant (keep socket.AF_INET an enum)
                if self._router is not None and _is_replaceable(original):
                    replacement = self._router.route(module_name, name, replacement)
                self._assign(namespace, name, replacement)
                if _is_replaceable(original):
                    self._swaps[id(original)] = (original, replacement)
        namespace = vars(os)
        for name in OS_FD_CALLS:
            original = namespace.get(name)
            if original is not None:
                replacement = getattr(self.host.os, name)
                if self._router is not None:
                    replacement = self._router.route("os", name, replacement)
                self._assign(namespace, name, replacement)
                self._swaps[id(original)] = (original, replacement)

    def _patch_extras(self) -> None:
        model, router = self.host.asyncio, self._router
        policy = model.EventLoopPolicy() if router is None else router.policy()
        self._assign(vars(_asyncio_events), "_event_loop_policy", policy)
        loop, policy_class = model.EventLoop, model.EventLoopPolicy
        if router is not None:
            loop = router.route("asyncio", "EventLoop", loop)
            policy_class = router.route("asyncio", "EventLoopPolicy", policy_class)
        for namespace in (vars(asyncio), vars(_unix_events)):
            self._assign(namespace, "SelectorEventLoop", loop)
            self._assign(namespace, "DefaultEventLoopPolicy", policy_class)
        self._assign(vars(_queue), "SimpleQueue", _queue._PySimpleQueue)  # type: ignore[attr-defined]
        # _thread and threading's private copies of it: any Thread class runs on model threads.
        self._cleanups.append(patch_threads(self.host.threading, self._assign, self._swaps))
        refuse_processes(self._assign, self._swaps)  # no real process, ever (patch_processes.py)
        self._cleanups.append(fresh_library_state(self._assign))  # Twisted's reserved fd (patch_libraries.py)
        self._sealed = True

    def _patch_ssl(self) -> None:
        """TLS over the model's sockets: ``wrap_socket`` makes the host's SSLSocket (compat/ssl_socket.py)."""
        ssl = sys.modules.get("ssl")
        model = getattr(self.host.socket, "_SSLSocket", None)  # None: a recording of the real kernel
        if ssl is None or model is None:
            return  # (asyncio imports ssl where OpenSSL exists: without it there is nothing to wrap with)
        real = ssl.SSLSocket  # the model's _create serves every host's sockets
        self._assign(_Attributes(ssl.SSLContext), "sslsocket_class", model)
        self._assign(vars(ssl), "SSLSocket", model)
        self._swaps[id(real)] = (real, model)

    def _share_fds(self) -> None:
        """One fd number space with the real process (patch_fds/): the fd calls of ``os``,
        ``fcntl`` and ``io`` go to the side that owns the number."""
        process = getattr(self.host, "process", None)
        if process is None:  # a target without a model (diff's real side)
            return
        self._fds = SharedFds(self.host, process.fdtable)
        calls = self._fds.enter(self._original)
        if self._router is not None:  # several hosts: each call on the running thread's host's table
            calls = routed_fd_calls(self._fds, calls, self._router.host)
        for namespace, name, original, replacement in calls:
            self._assign(namespace, name, replacement)
            self._swaps[id(original)] = (original, replacement)

    def _original(self, namespace: dict[str, Any], name: str) -> Any:
        """What ``namespace[name]`` was before this patch assigned it."""
        for assigned, assigned_name, original in self._undo:
            if assigned is namespace and assigned_name == name:
                return original
        return namespace[name]

    def _module_namespaces(self) -> list[tuple[str, dict[str, Any]]]:
        found = []
        for name, module in sorted(sys.modules.items(), key=lambda item: item[0]):
            if isinstance(module, types.ModuleType) and not _skipped(name, self.skip, self._skip_prefixes):
                namespace = getattr(module, "__dict__", None)
                if isinstance(namespace, dict):
                    found.append((name, namespace))
        return found

    def _rebind_copies(self) -> None:
        swaps = self._swaps
        for _, namespace in self._module_namespaces():
            for name, value in list(namespace.items()):
                swap = swaps.get(id(value))
                if swap is not None and swap[0] is value:
                    self._assign(namespace, name, swap[1])

    def _rebind_methods(self) -> None:
        """The real socket class's methods held in closures and class attributes (trio's): the model's."""
        model = getattr(self.host.socket, "socket", None)
        if getattr(self.host, "process", None) is None or not isinstance(model, type):
            return  # a recording of the real kernel: its sockets are real
        rebind_methods(self, method_swaps(model, _unsupported))

    # -- leaving ------------------------------------------------------------------------

    def _restore(self) -> None:
        try:
            try:
                while self._exit_hooks:
                    self._exit_hooks.pop()()
            finally:
                while self._undo:
                    namespace, name, original = self._undo.pop()
                    namespace[name] = original
            # Modules imported during the patch copied stand-ins: give them the originals.
            back = {id(new): (new, old) for old, new in self._swaps.values()}
            for _, namespace in self._module_namespaces():
                for name, value in list(namespace.items()):
                    swap = back.get(id(value))
                    if swap is not None and swap[0] is value:
                        namespace[name] = swap[1]
            self._swaps.clear()
            while self._cleanups:
                self._cleanups.pop()()
        finally:
            if self._thread is not None and self._thread_host is None:
                self._thread.host = None
            if self._fds is not None:
                self._fds.exit()
                self._fds = None
            if self in _active:
                _active.remove(self)

    def __repr__(self) -> str:
        return f"<epollsim patch for {self.host!r}{' (active)' if self.active else ''}>"
