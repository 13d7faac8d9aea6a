"""The base of every stand-in module: names the real module has but the model lacks fail loudly."""
from __future__ import annotations

import types
from collections.abc import Callable
from typing import Any, Generic, TypeVar, overload

from ..errors import Unsupported

T = TypeVar("T")


class on_first_use(Generic[T]):  # noqa: N801 (used like functools.cached_property)
    """An attribute each instance computes with ``factory(instance)`` the first time it is read.

    The value is then stored in the instance's ``__dict__``, where every later read
    finds it before this (non-data) descriptor: after the first read it costs what any
    attribute costs. ``functools.cached_property`` without the lock, and usable with a
    factory defined outside the class, so a stand-in's attribute can be named like the
    class it subclasses (``Thread = on_first_use(lambda m: type("Thread", (Thread,), ...))``).

    Why: an exploration makes a Kernel per seed, thousands a second, and most programs
    never touch most of a kernel's per-kernel classes (``type()`` costs 3-10 us each) or
    modules (``k.asyncio``, ``k.selectors``).
    """

    __slots__ = ("factory", "name")

    def __init__(self, factory: Callable[[Any], T]) -> None:
        self.factory = factory
        self.name = ""

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name

    @overload
    def __get__(self, obj: None, owner: type | None = None) -> on_first_use[T]: ...

    @overload
    def __get__(self, obj: object, owner: type | None = None) -> T: ...

    def __get__(self, obj: object, owner: type | None = None) -> Any:
        if obj is None:
            return self
        value = self.factory(obj)
        obj.__dict__[self.name] = value
        return value


class _Unmodelled:
    """A name the real module has and the model does not: reading it raises ``Unsupported``."""

    __slots__ = ("qualname",)

    def __init__(self, qualname: str) -> None:
        self.qualname = qualname

    def __get__(self, obj: object, owner: type | None = None) -> Any:
        raise Unsupported(f"{self.qualname} is not modelled by epollsim")


class StandIn:
    """A stand-in module bound to one kernel.

    Looking up a name the real module has and the stand-in does not raises
    ``Unsupported`` (so a program never silently reaches the host); any
    other unknown name is an ordinary AttributeError.
    """

    # The unmodelled names are ``_Unmodelled`` class attributes (set by copy_constants),
    # not a __getattr__: a class with __getattr__ gets no method-call caching in
    # CPython, which cost every k.os.write(...) about 45 ns.
    _mirrors: types.ModuleType  # the real module, consulted only for its list of names


def copy_constants(cls: type, *sources: types.ModuleType, prefixes: tuple[str, ...]) -> None:
    """Give ``cls`` the abi constants named with ``prefixes`` that its real module also has.

    The values come from epollsim's abi (Linux's numbers), never from the host.
    """
    real = cls._mirrors  # type: ignore[attr-defined]
    for src in sources:
        for name, value in vars(src).items():
            if name.startswith(prefixes) and isinstance(value, int) and hasattr(real, name):
                if name not in vars(cls):
                    setattr(cls, name, value)
    for name in dir(real):
        if not name.startswith("__") and not any(name in vars(c) for c in cls.__mro__):
            setattr(cls, name, _Unmodelled(f"{real.__name__}.{name}"))
