"""The patch's clocks: every clock a program can read is the host's virtual one while the patch is active.

Theory of operation
-------------------
``time``'s functions are replaced with the rest of the patched modules, and the
patch's scan rebinds module globals holding them (``from time import monotonic``).
Two more places hold clocks:

1. **datetime's C types.** ``datetime.datetime.now``/``utcnow`` and
   ``date.today`` (which ``datetime.today`` inherits) read the real clock in C,
   and the types' attributes cannot be set. freezegun swaps the *classes*
   (``FakeDatetime``, a subclass whose metaclass answers ``isinstance`` for real
   datetimes), which breaks ``type(x) is datetime`` and pickles name the fake
   class; time-machine patches the C functions from a C extension. Here the
   types' own dictionaries get the model's classmethods (``compat/datetime.py``),
   as time-machine's effect, from Python: the dict behind the read-only
   ``mappingproxy`` is reached through ``gc.get_referents`` and the type's
   method cache is invalidated with ``PyType_Modified`` (ctypes). The types stay
   themselves, so ``isinstance``, pickling, arithmetic and every ``datetime``
   made before the patch are untouched; exit puts the C methods back.
2. **Clocks held in class attributes and default arguments** (Twisted's
   ``seconds = staticmethod(time.time)``, ``sched.scheduler(timefunc=monotonic)``):
   every class and function *defined* in each scanned module (so each is seen
   once) is searched for a replaced clock (or entropy, socket or select) function: a class
   attribute that is one, or a ``staticmethod`` of one, and a function's or
   method's ``__defaults__``/``__kwdefaults__`` holding one. Each is rebound to
   the replacement; on exit they are put back, and the same search with the
   mapping reversed gives the originals to the classes and functions of modules
   imported during the patch. The search walks every module (10-20 ms in a test
   process with 400 modules), once on entry.

Not reached: clocks held in instances (an object built before the patch that
stored ``time.monotonic``), closures, containers, nested classes, and classes
defined during the patch in a module imported before it (they keep the virtual
clock after exit).
"""
from __future__ import annotations

import ctypes
import datetime
import gc
import os
import sys
import types
from collections.abc import Callable, Iterable
from typing import Any, Protocol

from .compat.datetime import DatetimeClocks

# The functions whose copies in classes and defaults are rebound: time's, the entropy's, and the
# network's (Twisted's ``GAIResolver.__init__(..., getaddrinfo=getaddrinfo)`` holds the real resolver).
_HELD_MODULES = ("time", "socket", "_socket", "select")
# Py_TPFLAGS_HEAPTYPE without Py_TPFLAGS_IMMUTABLETYPE: a class whose attributes can be set.
_HEAPTYPE = 1 << 9
_SETTABLE = _HEAPTYPE | 1 << 8
_HELD_ENTROPY = tuple(f for f in (getattr(os, "urandom", None), getattr(os, "getrandom", None)) if f is not None)


class _Patch(Protocol):
    host: Any

    def at_exit(self, undo: Callable[..., object]) -> None: ...

    def swapped(self) -> dict[int, tuple[Any, Any]]: ...

    def _module_namespaces(self) -> list[tuple[str, dict[str, Any]]]: ...


def _type_dict(cls: type) -> dict[str, Any]:
    """The dict behind ``cls.__dict__`` (a read-only mappingproxy), as ``gc`` sees it."""
    (namespace,) = gc.get_referents(vars(cls))
    assert isinstance(namespace, dict)
    return namespace


def _set_type_attr(cls: type, name: str, value: Any) -> None:
    _type_dict(cls)[name] = value
    ctypes.pythonapi.PyType_Modified(ctypes.py_object(cls))


def enter(patch: _Patch) -> None:
    if getattr(patch.host, "process", None) is None:  # not a simulated host: datetime stays real
        return
    clocks = DatetimeClocks(patch.host.time.time_ns)

    def now(cls: Any, tz: Any = None) -> Any:
        return clocks.now(cls, tz)

    def utcnow(cls: Any) -> Any:
        return clocks.utcnow(cls)

    def today(cls: Any) -> Any:
        return clocks.today(cls)

    for cls, fn in ((datetime.datetime, now), (datetime.datetime, utcnow), (datetime.date, today)):
        name = fn.__name__
        original = vars(cls)[name]
        fn.__doc__ = original.__doc__
        fn.__qualname__ = f"{cls.__name__}.{name}"
        _set_type_attr(cls, name, classmethod(fn))
        patch.at_exit(lambda cls=cls, name=name, original=original: _set_type_attr(cls, name, original))


def _held(patch: _Patch) -> dict[int, tuple[Any, Any]]:
    return {
        key: (old, new) for key, (old, new) in patch.swapped().items()
        if getattr(old, "__module__", None) in _HELD_MODULES or any(old is f for f in _HELD_ENTROPY)
    }


def _rebind(namespaces: Iterable[tuple[str, dict[str, Any]]], swaps: dict[int, tuple[Any, Any]]) -> list[
    Callable[[], None]
]:
    """Rebind every class attribute and default argument that is a key of ``swaps``; the undos.

    Every module's namespace is walked (10,000 globals and 12,000 class members in a test
    process), so the common case, nothing to rebind, is decided by type tests and C-level
    set operations on ids."""
    undo: list[Callable[..., None]] = []  # lambdas binding the loop's values as defaults
    function = types.FunctionType
    ids = swaps.keys()

    def swap_of(value: Any) -> Any:
        found = swaps.get(id(value))
        return found[1] if found is not None and found[0] is value else None

    def defaults(fn: types.FunctionType) -> None:
        old = fn.__defaults__
        if old and not ids.isdisjoint(map(id, old)) and any(swap_of(v) is not None for v in old):
            fn.__defaults__ = tuple(swap_of(v) or v for v in old)
            undo.append(lambda: setattr(fn, "__defaults__", old))
        kw = fn.__kwdefaults__
        if kw and not ids.isdisjoint(map(id, kw.values())) and any(swap_of(v) is not None for v in kw.values()):
            fn.__kwdefaults__ = {k: swap_of(v) or v for k, v in kw.items()}
            undo.append(lambda: setattr(fn, "__kwdefaults__", kw))

    def members(cls: type) -> None:
        found = []
        for name, member in vars(cls).items():
            kind = type(member)
            if kind is function:
                if member.__defaults__ or member.__kwdefaults__:
                    found.append((name, member))
            elif kind is staticmethod or kind is classmethod or id(member) in ids:
                found.append((name, member))
        for name, member in found:
            kind = type(member)
            if kind is function:
                defaults(member)
                continue
            if kind is staticmethod or kind is classmethod:
                inner = member.__func__
                if type(inner) is function:
                    defaults(inner)
                    continue
                new = swap_of(inner)
                new = kind(new) if new is not None else None
            else:
                new = swap_of(member)
            if new is not None:
                try:
                    setattr(cls, name, new)
                except (TypeError, AttributeError):  # a metaclass that refuses (an Enum's member)
                    continue
                undo.append(lambda name=name, member=member: setattr(cls, name, member))

    for module_name, namespace in namespaces:
        for value in list(namespace.values()):
            kind = type(value)
            if kind is function:
                if (value.__defaults__ or value.__kwdefaults__) and value.__module__ == module_name:
                    defaults(value)
            elif isinstance(value, type) and value.__flags__ & _SETTABLE == _HEAPTYPE:
                if value.__module__ == module_name:  # defined here, so seen once
                    members(value)
    return undo


def rebind_held(patch: _Patch) -> None:
    """After the patch's own scan: clocks held in class attributes and default arguments."""
    swaps = _held(patch)
    namespaces = patch._module_namespaces()
    undo = _rebind(namespaces, swaps)
    before = set(sys.modules)  # names, for membership only

    def leave() -> None:
        while undo:
            undo.pop()()
        # Classes and functions of modules imported during the patch hold replacements: originals.
        if any(name not in before for name in list(sys.modules)):
            back = {id(new): (new, old) for old, new in swaps.values()}
            _rebind([(name, ns) for name, ns in patch._module_namespaces() if name not in before], back)

    patch.at_exit(leave)

