"""Threads from any ``Thread`` class, and ``_thread``, on the model under ``k.patch()``.

``threading`` is Python code over ``_thread`` (compat/thread.py tells how its
``Thread.start``, ``join`` and ``is_alive`` use it in 3.10-3.13). The patch makes
``threading``'s public names the model's (patching.py); here it also makes every
name of the real ``_thread`` module the model's, and ``threading``'s private copies
of them (``_start_new_thread``, ``_allocate_lock``, ``_set_sentinel``, 3.13's
``_start_joinable_thread`` and ``_ThreadHandle``, ...), and gives those
originals to the patch's scan so copies held by other modules (``functools.RLock``,
``reprlib``'s ``get_ident``) are rebound too. Then a ``threading.Thread`` subclass
defined before the patch still runs the real class's ``start``, but what that
calls starts a model green thread, and its ``_started`` event, tstate lock or
handle are the model's: the thread runs under the deterministic schedule,
joins, and reports ``ident``/``native_id`` as model threads do. So do
``concurrent.futures`` workers and threads started with ``_thread.start_new_thread``.

``threading._counter`` (which names threads "Thread-N") becomes the model's
counter, so names do not depend on how many real threads the process made before.

Thread-local objects a module made before the patch (trio's ``GLOBAL_RUN_CONTEXT``, an
instance of a ``threading.local`` subclass, says whether a ``trio.run`` is running in
this thread) keep one value per *OS* thread, so two model threads would share one:
a module global that is a real ``_thread._local`` becomes, while the patch is active,
a fresh model ``local`` of a class with the same name and attributes (``local_swaps``);
the original, with its values, comes back on exit.

On exit, real-class threads started inside that are still registered in the
real ``threading``'s ``_active``/``_limbo`` (they never finished) are removed, and so
are their model locks from ``_shutdown_locks`` (3.10-3.12), so the interpreter's
shutdown never waits on a model lock.
"""
from __future__ import annotations

import _thread
import itertools
import sys
import threading
from collections.abc import Callable, MutableMapping
from typing import Any

from .compat.thread import ThreadModule
from .compat.threading import ThreadingModule
from .errors import Unsupported

_REAL_LOCAL: type = _thread._local  # kept at import: under the patch ``_thread._local`` is the model's
_TYPE_SLOTS = ("__dict__", "__weakref__", "__slots__")  # a class's own machinery, not copied to another

Assign = Callable[[MutableMapping[str, Any], str, Any], None]

# Libraries' functions that name the OS thread through ctypes with a thread's ident: trio's thread
# cache calls ``pthread_setname_np(thread.ident, name)``. A model thread's ident is no pthread_t (libc
# would crash on it) and a model thread has no OS thread to name: each is None under the patch, which
# these libraries read as "naming is not available on this platform".
OS_THREAD_NAMERS: tuple[tuple[str, str], ...] = (("trio._core._thread_cache", "set_os_thread_name"),)

# Libraries' module-level caches of idle worker threads. One made before the patch may hold real OS
# threads (trio keeps a worker idle for 10 s after a ``to_thread``), and a job handed to one would run
# on the real thread beside the model. Under the patch each is a fresh, empty cache of the same class,
# looked up at call time (trio's ``start_thread_soon``), whose workers are model threads; the original
# comes back on exit.
THREAD_CACHES: tuple[tuple[str, str], ...] = (("trio._core._thread_cache", "THREAD_CACHE"),)
# Libraries' module-level counters that number the worker threads they name ("Trio thread 3"): each
# starts again from 0 under every patch, so a seed's thread names (in its trace) do not depend on
# how many workers earlier runs in the process started.
THREAD_COUNTERS: tuple[tuple[str, str], ...] = (("trio._core._thread_cache", "name_counter"),)


def _stub(qualname: str) -> Callable[..., Any]:
    def refuse(*args: Any, **kwargs: Any) -> Any:
        raise Unsupported(f"{qualname} is not modelled by epollsim")

    return refuse


def patch_threads(threading_model: ThreadingModule, assign: Assign,
                  swaps: dict[int, tuple[Any, Any]]) -> Callable[[], None]:
    """Install the model's ``_thread`` (see the module comment); return the cleanup for exit."""
    model = ThreadModule(threading_model)
    replaced: dict[int, Any] = {}  # id(original) -> replacement
    namespace = vars(_thread)
    for name in sorted(namespace):
        if name.startswith("__"):
            continue
        original = namespace[name]
        try:
            replacement = getattr(model, name)
        except Unsupported:
            replacement = _stub(f"_thread.{name}")
        if replacement is original or (not callable(original) and replacement == original):
            continue  # TIMEOUT_MAX, error (RuntimeError), _ExceptHookArgs: the same either way
        assign(namespace, name, replacement)
        replaced[id(original)] = replacement
        swaps[id(original)] = (original, replacement)
    # threading's private copies (public ones were replaced by the patch already).
    namespace = vars(threading)
    for name in sorted(namespace):
        value = namespace[name]
        if name.startswith("_") and not name.startswith("__") and id(value) in replaced \
                and swaps[id(value)][0] is value:
            assign(namespace, name, replaced[id(value)])
    assign(namespace, "_counter", lambda: next(threading_model._thread_names))
    # threading's own bookkeeping of real threads still running (Thread._delete) needs their real
    # ident: the model's _thread.get_ident gives it to them (compat/thread.py).
    assign(namespace, "get_ident", model.get_ident)
    assign(namespace, "stack_size", model.stack_size)  # threading's is _thread's (k.threading has none)
    for module_name, name in OS_THREAD_NAMERS:
        module = sys.modules.get(module_name)
        if module is not None and vars(module).get(name) is not None:
            assign(vars(module), name, None)
    for module_name, name in THREAD_CACHES:
        module = sys.modules.get(module_name)
        cache = vars(module).get(name) if module is not None else None
        if cache is not None:
            assign(vars(module), name, type(cache)())
    for module_name, name in THREAD_COUNTERS:
        module = sys.modules.get(module_name)
        if module is not None and isinstance(vars(module).get(name), itertools.count):
            assign(vars(module), name, itertools.count())

    def cleanup() -> None:
        started = {id(t) for t in model.started}
        for registry in (threading._active, threading._limbo):  # type: ignore[attr-defined]
            for key, thread in list(registry.items()):
                if id(thread) in started:
                    del registry[key]
        locks = getattr(threading, "_shutdown_locks", None)
        if locks is not None:  # 3.10-3.12: drop model locks (their threads never ended)
            model_locks = {lock for lock in locks if isinstance(lock, threading_model.Lock)}
            locks.difference_update(model_locks)  # (removal: no order is observed)

    return cleanup


def _subclasses(cls: type) -> set[type]:
    """``cls`` and every class derived from it, at any depth."""
    found: set[type] = {cls}
    todo: list[type] = [cls]
    while todo:
        subs: list[type] = todo.pop().__subclasses__()
        for sub in subs:
            if sub not in found:
                found.add(sub)
                todo.append(sub)
    return found


def model_locals(threading_model: ThreadingModule,
                 namespaces: list[tuple[str, dict[str, Any]]], assign: Assign) -> None:
    """Module globals that are real thread-local objects become fresh model ones (see the module comment)."""
    classes: dict[type, type] = {}
    made: dict[int, Any] = {}  # id(original) -> its model local: modules that copied it share it
    kinds = _subclasses(_REAL_LOCAL)  # type tests only: isinstance asks a lazy proxy's __class__ (it may import)
    for _, namespace in namespaces:
        found = [(name, value) for name, value in namespace.items() if type(value) in kinds]
        for name, value in found:
            if id(value) in made:
                assign(namespace, name, made[id(value)])
                continue
            cls = type(value)
            model_class = classes.get(cls)
            if model_class is None:
                attributes: dict[str, Any] = {}
                for base in reversed(cls.__mro__[:cls.__mro__.index(_REAL_LOCAL)]):
                    attributes.update((k, v) for k, v in vars(base).items() if k not in _TYPE_SLOTS)
                model_class = classes[cls] = type(cls.__name__, (threading_model.local,), attributes)
            try:
                replacement = model_class()
            except TypeError:  # its __init__ wants the arguments the original got, unknown here
                continue
            made[id(value)] = replacement
            assign(namespace, name, replacement)
