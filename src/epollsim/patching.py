"""``k.patch()``: run unmodified code on the model, gevent-style, scoped to a ``with`` block.

Theory of operation
-------------------
Code reaches the system through module attributes (``socket.socket``,
``time.monotonic``) and through names it copied out of them at import
(``from time import monotonic``). A patch replaces both, the way gevent's
monkey patching and pyfakefs do, and puts every one back on exit:

1. **The modules, in place.** ``os``'s fd calls (``OS_FD_CALLS``: read, write,
   close, pipe, dup, eventfd...) become the host's, so an fd number never
   reaches the real fd table; the rest of ``os`` (paths, environment) stays
   real. For each public name of the real ``socket``, ``select``,
   ``selectors``, ``time``, ``threading`` and ``fcntl`` that belongs to that
   module (its ``__module__`` is the module or its C half: ``_socket``,
   ``_thread``), the module's attribute becomes the host's stand-in's. A C
   function or type the stand-in does not model becomes a stub that raises
   ``Unsupported`` when called (a class stub also refuses to be subclassed), so
   nothing reaches the host's network or clock. Constants, exception classes
   and names imported from elsewhere (``socket.IntEnum``) stay: they are the
   same either way. So does Python code in those modules that the stand-in
   lacks (``socket.SocketIO``, ``socket.getfqdn``): its globals *are* the
   patched module, so it runs on the model too.
2. **Names copied out, everywhere.** Every module in ``sys.modules`` (sorted by
   name; except epollsim's own, the six patched modules, asyncio, and the test
   and debugging tools listed in ``SKIP``) is scanned for globals that *are* (by
   identity) one of the replaced objects, and those are rebound. ``queue``'s
   ``from time import monotonic as time`` becomes the virtual clock, so a
   ``Queue.get(timeout=...)`` on model threads times out on virtual time.
3. **asyncio.** asyncio keeps its own internals consistent (it refers to the
   patched modules by attribute), so only its entry points change: the event
   loop policy becomes the host's (``asyncio.run``, ``new_event_loop`` and
   ``get_event_loop`` make model loops, one current loop per model thread), and
   ``asyncio.SelectorEventLoop``/``DefaultEventLoopPolicy`` are the model's.
   ``queue.SimpleQueue`` (C, blocks the OS thread) becomes the stdlib's
   pure-Python one, built on the patched ``threading``, so
   ``concurrent.futures.ThreadPoolExecutor`` runs on model threads. And
   ``threading._start_new_thread`` (3.13: ``_start_joinable_thread``) refuses: a
   ``Thread`` subclass defined before the patch derives from the real class and
   would start a real OS thread.

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
import threading
import types
from typing import Any, Protocol

from .errors import Unsupported

# The modules patched in place, with the modules their names may come from.
PATCHED: dict[str, tuple[str, ...]] = {
    "socket": ("socket", "_socket"),
    "select": ("select",),
    "selectors": ("selectors",),
    "time": ("time",),
    "threading": ("threading", "_thread"),
    "fcntl": ("fcntl",),
}

# The fd calls of ``os`` the model offers, patched by name: ``os`` as a whole stays
# real (paths, environment, processes), but a read, write or close of an fd number
# must reach the model's fd table, never the real one (where the same number may be
# the test runner's own file). timerfd_* exist in ``os`` from Python 3.13.
OS_FD_CALLS: tuple[str, ...] = (
    "read", "write", "close", "closerange", "pipe", "pipe2", "dup", "dup2", "eventfd", "eventfd_read",
    "eventfd_write", "get_blocking", "set_blocking", "get_inheritable", "set_inheritable", "fstat",
    "timerfd_create", "timerfd_settime", "timerfd_settime_ns", "timerfd_gettime", "timerfd_gettime_ns",
    "readv", "writev", "pread", "pwrite", "lseek", "sendfile",
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


_active: list[Patch] = []  # at most one


def _skipped(module_name: str, skip: tuple[str, ...]) -> bool:
    return any(module_name == s or module_name.startswith(s + ".") for s in skip)


def _unsupported(qualname: str, original: Any) -> Any:
    """A stand-in for a name the model does not simulate: fails loudly when used."""
    message = f"{qualname} is not modelled by epollsim"

    if isinstance(original, type):
        def refuse_new(cls: type, *args: Any, **kwargs: Any) -> Any:
            raise Unsupported(message)

        def refuse_subclass(cls: type, **kwargs: Any) -> None:
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


def _refuse_real_thread(*args: Any, **kwargs: Any) -> Any:
    raise Unsupported(
        "a real OS thread is not modelled by epollsim: this Thread class derives from the real "
        "threading.Thread (it was defined before the patch); use threading.Thread inside the patch"
    )


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
        # (namespace, name, original), in the order they were assigned
        self._undo: list[tuple[dict[str, Any], str, Any]] = []
        # id(original) -> (original, replacement), for the scan of other modules
        self._swaps: dict[int, tuple[Any, Any]] = {}

    def __enter__(self) -> Patch:
        if _active:
            raise RuntimeError(
                f"epollsim: a patch for {_active[0].host!r} is already active; patches do not nest "
                "(leave it before entering another)"
            )
        _active.append(self)
        try:
            self._patch_modules()
            self._patch_extras()
            self._rebind_copies()
        except BaseException:
            self._restore()
            raise
        return self

    def __exit__(self, *exc: object) -> None:
        self._restore()

    @property
    def active(self) -> bool:
        return bool(_active) and _active[0] is self

    # -- entering -----------------------------------------------------------------------

    def _assign(self, namespace: dict[str, Any], name: str, value: Any) -> None:
        self._undo.append((namespace, name, namespace[name]))
        namespace[name] = value

    def _patch_modules(self) -> None:
        for module_name, owners in PATCHED.items():
            real = importlib.import_module(module_name)
            stand_in = getattr(self.host, module_name)
            namespace = vars(real)
            for name in sorted(namespace):
                original = namespace[name]
                if name.startswith("_") or getattr(original, "__module__", None) not in owners:
                    continue
                try:
                    replacement = getattr(stand_in, name)
                except (Unsupported, AttributeError):
                    if not _is_replaceable(original) or _is_python(original):
                        continue  # a constant, or Python code whose globals are the patched module
                    replacement = _unsupported(f"{module_name}.{name}", original)
                if replacement is original or (not _is_replaceable(original) and replacement == original):
                    continue  # the same object, or the same constant (keep socket.AF_INET an enum)
                self._assign(namespace, name, replacement)
                if _is_replaceable(original):
                    self._swaps[id(original)] = (original, replacement)
        namespace = vars(os)
        for name in OS_FD_CALLS:
            original = namespace.get(name)
            if original is not None:
                replacement = getattr(self.host.os, name)
                self._assign(namespace, name, replacement)
                self._swaps[id(original)] = (original, replacement)

    def _patch_extras(self) -> None:
        model = self.host.asyncio
        self._assign(vars(_asyncio_events), "_event_loop_policy", model.EventLoopPolicy())
        for namespace in (vars(asyncio), vars(_unix_events)):
            self._assign(namespace, "SelectorEventLoop", model.EventLoop)
            self._assign(namespace, "DefaultEventLoopPolicy", model.EventLoopPolicy)
        self._assign(vars(_queue), "SimpleQueue", _queue._PySimpleQueue)  # type: ignore[attr-defined]
        # A threading.Thread subclass made before the patch still derives from the real class;
        # its start() would make a real OS thread. Refuse that instead.
        # (Thread.start calls _start_new_thread; 3.13 renamed it _start_joinable_thread.)
        start = "_start_joinable_thread" if sys.version_info >= (3, 13) else "_start_new_thread"
        self._assign(vars(threading), start, _refuse_real_thread)

    def _module_namespaces(self) -> list[tuple[str, dict[str, Any]]]:
        found = []
        for name, module in sorted(sys.modules.items(), key=lambda item: item[0]):
            if isinstance(module, types.ModuleType) and not _skipped(name, self.skip):
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

    # -- leaving ------------------------------------------------------------------------

    def _restore(self) -> None:
        try:
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
        finally:
            if self in _active:
                _active.remove(self)

    def __repr__(self) -> str:
        return f"<epollsim patch for {self.host!r}{' (active)' if self.active else ''}>"
