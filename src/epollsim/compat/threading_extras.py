"""``k.threading.local`` and ``k.threading.Barrier``: the parts of ``threading`` built on top of
the simulated threads and locks rather than on the scheduler itself.

``local`` keeps one attribute dict per (local object, green thread), as CPython's
``_thread._local`` does, and does what ``Lib/_threading_local.py`` does to use it: every
attribute access installs the current thread's dict as the object's ``__dict__`` first, so
Python's own lookup rules (descriptors, properties, methods) apply unchanged. Green threads
switch only when one blocks, and each access installs its thread's dict again, so a property
that blocks half-way cannot see another thread's attributes afterwards. A thread's first
access runs ``__init__`` again with the arguments the object was made with. The dicts live in
the threading module, keyed by thread, so a thread's values are dropped when it ends (as
CPython drops them when the thread state goes), and a local's values when the local is
collected.

``Barrier`` is CPython's algorithm (Lib/threading.py), on the kernel's Condition and Lock.
"""
from __future__ import annotations

import threading as _real_threading
import weakref
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, ClassVar

if TYPE_CHECKING:
    from .threading import ThreadingModule

# The stdlib's own exception class, so ``except threading.BrokenBarrierError`` works either way.
BrokenBarrierError = _real_threading.BrokenBarrierError

_READ_ONLY = "{!r} object attribute '__dict__' is read-only"


class _LocalImpl:
    """The state of one ``local`` object: its key and the arguments ``__init__`` gets."""

    __slots__ = ("args", "key", "kwargs", "module")

    def __init__(self, module: ThreadingModule, args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
        self.module = module
        self.key = next(module._local_keys)
        self.args = args
        self.kwargs = kwargs

    def thread_dicts(self) -> dict[int, dict[str, Any]]:
        """The current thread's dicts, one per local object, by key."""
        module = self.module
        return module._local_dicts.setdefault(module._sched.current.tid, {})


def _forget_local(dicts: dict[int, dict[int, dict[str, Any]]], key: int) -> None:
    """A local object was collected: drop its dict in every thread."""
    for per_thread in dicts.values():
        per_thread.pop(key, None)


def forget_thread(module: ThreadingModule, tid: int) -> None:
    """Thread ``tid`` ended: drop its dicts, including from a local whose ``__dict__`` is
    still the one it installed last (until another thread's access replaces it)."""
    for key, own in module._local_dicts.pop(tid, {}).items():
        obj = module._locals.get(key)
        if obj is not None and object.__getattribute__(obj, "__dict__") is own:
            object.__setattr__(obj, "__dict__", {})


def _install(self: local) -> None:
    """Make the current thread's dict ``self.__dict__``, creating it (and running __init__) first."""
    impl: _LocalImpl = object.__getattribute__(self, "_local__impl")
    dicts = impl.thread_dicts()
    own = dicts.get(impl.key)
    if own is None:
        own = dicts[impl.key] = {}
        object.__setattr__(self, "__dict__", own)
        type(self).__init__(self, *impl.args, **impl.kwargs)
    object.__setattr__(self, "__dict__", own)


class local:
    """threading.local: each thread sees only the attributes it set itself."""

    _module: ClassVar[ThreadingModule]
    __slots__ = ("_local__impl", "__dict__", "__weakref__")

    def __new__(cls, /, *args: Any, **kwargs: Any) -> local:
        if (args or kwargs) and cls.__init__ is object.__init__:
            raise TypeError("Initialization arguments are not supported")
        self = object.__new__(cls)
        module = cls._module
        impl = _LocalImpl(module, args, kwargs)
        object.__setattr__(self, "_local__impl", impl)
        # The creating thread's dict exists before __init__ runs (Python calls it next), so
        # its first access does not run __init__ a second time.
        own: dict[str, Any] = {}
        impl.thread_dicts()[impl.key] = own
        object.__setattr__(self, "__dict__", own)
        module._locals[impl.key] = self
        weakref.finalize(self, _forget_local, module._local_dicts, impl.key)
        return self

    def __getattribute__(self, name: str) -> Any:
        _install(self)
        return object.__getattribute__(self, name)

    def __setattr__(self, name: str, value: Any) -> None:
        if name == "__dict__":
            raise AttributeError(_READ_ONLY.format(type(self).__name__))
        _install(self)
        object.__setattr__(self, name, value)

    def __delattr__(self, name: str) -> None:
        if name == "__dict__":
            raise AttributeError(_READ_ONLY.format(type(self).__name__))
        _install(self)
        object.__delattr__(self, name)


class Barrier:
    """threading.Barrier: ``parties`` threads wait until all have arrived, then all go on."""

    _module: ClassVar[ThreadingModule]

    def __init__(self, parties: int, action: Callable[[], Any] | None = None, timeout: float | None = None) -> None:
        self._cond = self._module.Condition(self._module.Lock())
        self._action = action
        self._timeout = timeout
        self._parties = parties
        self._state = 0  # 0 filling, 1 draining, -1 resetting, -2 broken
        self._count = 0

    def __repr__(self) -> str:
        cls = self.__class__
        if self.broken:
            return f"<{cls.__module__}.{cls.__qualname__} at {id(self):#x}: broken>"
        return f"<{cls.__module__}.{cls.__qualname__} at {id(self):#x}: waiters={self.n_waiting}/{self.parties}>"

    def wait(self, timeout: float | None = None) -> int:
        if timeout is None:
            timeout = self._timeout
        with self._cond:
            self._enter()  # block while the barrier drains
            index = self._count
            self._count += 1
            try:
                if index + 1 == self._parties:
                    self._release()
                else:
                    self._wait(timeout)
                return index
            finally:
                self._count -= 1
                self._exit()

    def _enter(self) -> None:
        while self._state in (-1, 1):
            self._cond.wait()
        if self._state < 0:
            raise BrokenBarrierError

    def _release(self) -> None:
        try:
            if self._action:
                self._action()
            self._state = 1
            self._cond.notify_all()
        except BaseException:
            self._break()
            raise

    def _wait(self, timeout: float | None) -> None:
        if not self._cond.wait_for(lambda: self._state != 0, timeout):
            self._break()
            raise BrokenBarrierError
        if self._state < 0:
            raise BrokenBarrierError

    def _exit(self) -> None:
        if self._count == 0 and self._state in (-1, 1):
            self._state = 0
            self._cond.notify_all()

    def reset(self) -> None:
        with self._cond:
            if self._count > 0:
                if self._state in (0, -2):
                    self._state = -1
            else:
                self._state = 0
            self._cond.notify_all()

    def abort(self) -> None:
        with self._cond:
            self._break()

    def _break(self) -> None:
        self._state = -2
        self._cond.notify_all()

    @property
    def parties(self) -> int:
        return self._parties

    @property
    def n_waiting(self) -> int:
        return self._count if self._state == 0 else 0

    @property
    def broken(self) -> bool:
        return self._state == -2
