"""Sequence hashes, under ``k.patch()``, for library objects that programs keep in sets.

Theory of operation
-------------------
A set iterates in hash order, and an object with no ``__hash__`` of its own
hashes by its address: an order that differs between two processes, and between
two runs in one process. Where a library iterates such a set and the order
shows, the trace of a seed varies. anyio's asyncio backend is one: a
``CancelScope`` delivers a cancellation to its child scopes in the order of its
``_child_scopes`` set, so when httpx's connect timeout cancels anyio's two
happy-eyeballs attempts, which socket closes first (and, in some address
layouts, whether a later request waits for ever on a worker thread) follows
memory addresses. trio is another: a cancel wakes the tasks of a
``CancelStatus`` in the order of its set of tasks.

While the patch is active, the classes in ``SEQ_HASHED`` hash as the model's
asyncio ``Task`` and ``Future`` do (compat/asyncio_loop.py): by a number drawn
from a counter the first time an instance is hashed; equality stays identity.
The program is deterministic, so the order of first hashes is too. The
classes use ``__slots__``, so the number is kept beside the instance, in a dict
by ``id``, with a weak reference whose callback drops it when the instance dies
(a later object at the same address draws a fresh number). On exit the class's
own hash comes back.

Entry comes before the modules are swapped. A listed module whose library is
loaded but which is not imported yet (anyio imports its asyncio backend on
first use) is imported then. A library first imported inside the patch keeps
its addresses' order; and an instance put into a set before the patch would not
be found in it inside (it would hash differently): the patch is entered before
the program runs.
"""
from __future__ import annotations

import importlib
import itertools
import sys
import weakref
from collections.abc import Callable
from typing import Any, Protocol

# (module, class) of library objects whose address-ordered sets are iterated where it shows.
SEQ_HASHED: tuple[tuple[str, str], ...] = (
    ("anyio._backends._asyncio", "CancelScope"),  # CancelScope._deliver_cancellation: _child_scopes
    ("trio._core._run", "Task"),  # CancelStatus._tasks: a cancel wakes its tasks in this set's order
    ("trio._core._run", "CancelStatus"),  # CancelStatus._children, walked by recalculate()
)


class _Patch(Protocol):
    def at_exit(self, undo: Callable[[], None]) -> None: ...


class SeqHash:
    """A ``__hash__`` drawing numbers from one counter, kept by ``id`` while each instance lives."""

    def __init__(self) -> None:
        self.numbers: dict[int, tuple[int, weakref.ref[Any]]] = {}
        self.counter = itertools.count(1)

    def __call__(self, obj: Any) -> int:
        key = id(obj)
        entry = self.numbers.get(key)
        if entry is None:
            numbers = self.numbers
            entry = numbers[key] = (next(self.counter), weakref.ref(obj, lambda ref: numbers.pop(key, None)))
        return entry[0]

    def method(self) -> Callable[[Any], int]:
        def __hash__(obj: Any) -> int:  # noqa: N807 (the slot's name)
            return self(obj)

        return __hash__


def enter(patch: _Patch) -> None:
    """Give the listed classes sequence hashes until the patch exits."""
    for module_name, class_name in SEQ_HASHED:
        if module_name not in sys.modules and module_name.partition(".")[0] in sys.modules:
            try:  # the library is loaded and would import this part on first use: now, before the swaps
                importlib.import_module(module_name)
            except ImportError:
                continue
        cls = getattr(sys.modules.get(module_name), class_name, None)
        if not isinstance(cls, type):
            continue
        had = "__hash__" in cls.__dict__
        original = cls.__dict__.get("__hash__")
        setattr(cls, "__hash__", SeqHash().method())  # noqa: B010 (mypy: a method is not assignable)

        def leave(cls: type = cls, had: bool = had, original: Any = original) -> None:
            if had:
                setattr(cls, "__hash__", original)  # noqa: B010
            else:
                delattr(cls, "__hash__")

        patch.at_exit(leave)
