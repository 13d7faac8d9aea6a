"""The patch's socket methods: methods of the real socket class held outside its module are the model's.

Theory of operation
-------------------
The patch replaces ``socket.socket`` (patching.py), and its scan rebinds module
globals that are the real class. Libraries also keep the real class's *methods*
(``_socket.socket.send``, ``socket.socket.accept``): trio's ``_SocketType``
builds its async methods at import with ``_make_simple_sock_method_wrapper(
_stdlib_socket.socket.send, ...)``, so each method is a closure whose cell holds
the C method descriptor, later called as ``fn(self._sock, data)`` on what is now
a model socket (``TypeError: descriptor 'send' for '_socket.socket' objects
doesn't apply to a 'socket' object``).

1. **The swaps.** Each method of the real class and its C base (``vars()`` of
   each class in its MRO but ``object``) maps to the model class's attribute of
   the same name (found along the model class's MRO), or to a stub raising
   ``Unsupported`` where the model has none (``sendmsg_afalg``).
2. **Where they are held.** Every function defined in each scanned module, and
   every function, ``staticmethod`` and ``classmethod`` defined in a class
   defined there (patch_clocks.py's walk: each is seen once), has its closure
   cells searched; a cell holding a real method gets the model's. Class
   attributes that *are* a real method (``send = socket.socket.send``) are
   rebound too. On exit the cells and attributes get the originals back, and
   the same search with the mapping reversed gives the real methods to modules
   imported during the patch (trio imported inside it).

Not reached: methods held in instances, containers, or closures of functions
that are not module or class attributes (a closure's closure).
"""
from __future__ import annotations

import socket as _real_socket
import sys
import types
from collections.abc import Callable, Iterable
from typing import Any, Protocol

_REAL_SOCKET: type = _real_socket.socket  # kept at import: under the patch ``socket.socket`` is the model's
_HEAPTYPE = 1 << 9
_SETTABLE = _HEAPTYPE | 1 << 8  # a heap type without Py_TPFLAGS_IMMUTABLETYPE: its attributes can be set


class _Patch(Protocol):
    def at_exit(self, undo: Callable[..., object]) -> None: ...

    def _module_namespaces(self) -> list[tuple[str, dict[str, Any]]]: ...


def method_swaps(model_class: type, unsupported: Callable[[str, Any], Any]) -> dict[int, tuple[Any, Any]]:
    """id(real method) -> (real method, the model class's) for the real socket class's methods."""
    swaps: dict[int, tuple[Any, Any]] = {}
    for real_class in _REAL_SOCKET.__mro__[:-1]:
        for name, method in sorted(vars(real_class).items()):
            if name.startswith("__") or not callable(method) or isinstance(method, type):
                continue
            for cls in model_class.__mro__:
                if name in vars(cls):
                    replacement = vars(cls)[name]
                    break
            else:
                replacement = unsupported(f"socket.socket.{name}", method)
            swaps[id(method)] = (method, replacement)
    return swaps


def _rebind(namespaces: Iterable[tuple[str, dict[str, Any]]], swaps: dict[int, tuple[Any, Any]]) -> list[
    Callable[[], None]
]:
    """Rebind closure cells and class attributes holding a key of ``swaps``; the undos."""
    undo: list[Callable[..., None]] = []  # lambdas binding the loop's values as defaults
    function = types.FunctionType
    ids = swaps.keys()

    def cells(fn: types.FunctionType) -> None:
        for cell in fn.__closure__ or ():
            try:
                held = cell.cell_contents
            except ValueError:  # an empty cell
                continue
            found = swaps.get(id(held))
            if found is not None and found[0] is held:
                cell.cell_contents = found[1]
                undo.append(lambda cell=cell, held=held: setattr(cell, "cell_contents", held))

    def members(cls: type) -> None:
        for name, member in list(vars(cls).items()):
            kind = type(member)
            if kind is staticmethod or kind is classmethod:
                member = member.__func__
                kind = type(member)
            if kind is function:
                if member.__closure__:
                    cells(member)
            elif id(member) in ids and swaps[id(member)][0] is member:
                setattr(cls, name, swaps[id(member)][1])
                undo.append(lambda name=name, member=member: setattr(cls, name, member))

    for module_name, namespace in namespaces:
        for value in list(namespace.values()):
            kind = type(value)
            if kind is function:
                if value.__closure__ and value.__module__ == module_name:
                    cells(value)
            elif isinstance(value, type) and value.__flags__ & _SETTABLE == _HEAPTYPE:
                if value.__module__ == module_name:  # defined here, so seen once
                    members(value)
    return undo


def rebind_methods(patch: _Patch, swaps: dict[int, tuple[Any, Any]]) -> None:
    """After the patch's scan: the real socket class's methods held in closures and class attributes."""
    undo = _rebind(patch._module_namespaces(), swaps)
    before = set(sys.modules)  # names, for membership only

    def leave() -> None:
        while undo:
            undo.pop()()
        if any(name not in before for name in list(sys.modules)):
            back: dict[int, tuple[Any, Any]] = {}
            for old, new in swaps.values():  # the first real class's wins: socket.socket.close over _socket's
                back.setdefault(id(new), (new, old))
            _rebind([(name, ns) for name, ns in patch._module_namespaces() if name not in before], back)

    patch.at_exit(leave)
