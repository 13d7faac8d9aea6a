"""Observations: what a program sees of the system, recorded at the stand-in boundary.

``python -m epollsim diff`` (``diff.py``) runs one program twice, on the real
kernel and on the model, and compares what it saw. What it saw is the
sequence of calls it made to ``os`` (the fd calls), ``select``, ``selectors``,
``socket`` and ``time``, each with its arguments and its result or exception,
recorded by the same wrappers on both sides:

- ``RecordingModule(module, name, recorder)`` stands for a module (the real
  one or a host's stand-in): functions are wrapped; a class is replaced by a
  subclass whose public methods are wrapped (``socket.socket``, the
  ``selectors`` classes), or, when the class cannot be subclassed
  (``select.epoll`` in C), by a factory returning a ``Proxy`` whose methods
  are wrapped; objects a call returns that belong to a wrapped class are
  adopted (their ``__class__`` becomes the recording subclass: a model
  ``socketpair``'s sockets), or proxied (``select.poll()``'s poll object).
- ``RecordingPatch(target, recorder)``: ``patching.Patch`` with a target
  made of recording modules, so an unmodified program runs through them; on
  the real side (``real=True``) nothing else is touched (real threads, real
  asyncio). The fd calls of ``os`` (``OS_CALLS``) are patched, and so
  recorded, as ``Patch`` patches them.
- Only calls made *by the program* are recorded: the caller's frame must be in
  the program's directory (not the standard library calling itself, not
  epollsim, not installed packages). So ``socket.create_connection`` is one
  observation on both sides, whatever it does inside.

Values are recorded as text, normalised where the two sides legitimately
differ: times (``time.monotonic()``, ...) are ``<time>`` (only that the call
was made is compared), ephemeral ports (32768 and up) are ``<port>``, objects
are ``<socket fd=N>`` (no addresses), ``os.fstat`` keeps the file type and
size. fd numbers are compared exactly: the model numbers fds like Linux, and
the real side runs in a fresh interpreter with only 0, 1 and 2 open. Thread
names drop the ``(target)`` suffix CPython adds.
"""
from __future__ import annotations

import inspect
import os
import re
import sys
import sysconfig
import types
from dataclasses import dataclass
from typing import Any

from .patching import OS_FD_CALLS, Patch

# The fd calls of ``os`` that are recorded: the ones a patch hands to the model.
OS_CALLS = OS_FD_CALLS
# The classes whose instances record their method calls.
RECORDED_CLASSES = frozenset({
    "socket", "SocketType", "epoll", "DefaultSelector", "EpollSelector", "PollSelector", "SelectSelector",
})
TIME_CALLS = {"time", "time_ns", "monotonic", "monotonic_ns", "perf_counter", "perf_counter_ns"}
EPHEMERAL = range(32768, 61000)  # Linux's ip_local_port_range
SHOWN = 64  # bytes of a buffer shown


@dataclass
class Observation:
    """One call the program made: ``call`` (with its arguments) and ``result``, as text."""

    thread: str
    call: str
    result: str
    site: str  # "prog.py:12"

    def key(self) -> tuple[str, str]:
        return (self.call, self.result)

    def as_dict(self) -> dict[str, str]:
        return {"thread": self.thread, "call": self.call, "result": self.result, "site": self.site}


def thread_key(name: str) -> str:
    """``Thread-1 (worker)`` (CPython 3.10+) and ``Thread-1`` are the same thread."""
    return re.sub(r"^(Thread-\d+) \(.*\)$", r"\1", name)


# -- formatting -------------------------------------------------------------------------------


def fmt(value: Any, depth: int = 0) -> str:
    if value is None or isinstance(value, bool | float | str):
        return repr(value)
    if isinstance(value, int):
        return repr(int(value))  # enums as their numbers: AF_UNIX and 1 are the same observation
    if isinstance(value, bytes | bytearray | memoryview):
        data = bytes(value)
        return repr(data[:SHOWN]) + (f"...({len(data)} bytes)" if len(data) > SHOWN else "")
    if isinstance(value, os.stat_result):
        return f"stat(mode={value.st_mode:#o}, size={value.st_size})"
    if isinstance(value, tuple | list) and depth < 4:
        if isinstance(value, tuple) and len(value) in (2, 4) and isinstance(value[0], str) \
                and isinstance(value[1], int) and value[1] in EPHEMERAL:
            value = (value[0], "<port>", *value[2:])  # an address with an ephemeral port
            return "(" + ", ".join(v if v == "<port>" else fmt(v, depth + 1) for v in value) + ")"
        inner = ", ".join(fmt(v, depth + 1) for v in value)
        name = type(value).__name__ if isinstance(value, tuple) and hasattr(value, "_fields") else ""
        return f"{name}({inner})" if name else (f"({inner}{',' if len(value) == 1 else ''})"
                                                 if isinstance(value, tuple) else f"[{inner}]")
    if isinstance(value, dict):
        return "{" + ", ".join(f"{fmt(k, depth + 1)}: {fmt(v, depth + 1)}" for k, v in value.items()) + "}"
    fileno = getattr(value, "fileno", None)
    if callable(fileno):
        try:
            return f"<{_kind(value)} fd={fileno()}>"
        except (OSError, ValueError):
            return f"<{_kind(value)} closed>"
    return f"<{type(value).__name__}>"


def _kind(value: Any) -> str:
    base = value.target if isinstance(value, Proxy) else value
    return type(base).__name__


def fmt_error(exc: BaseException) -> str:
    errno = getattr(exc, "errno", None)
    if isinstance(exc, OSError) and errno:
        return f"raised {type(exc).__name__}: [Errno {errno}] {exc.strerror}"
    return f"raised {type(exc).__name__}: {exc}"


def fmt_call(name: str, args: tuple[Any, ...], kwargs: dict[str, Any]) -> str:
    parts = [fmt(a) for a in args] + [f"{k}={fmt(v)}" for k, v in kwargs.items()]
    return f"{name}({', '.join(parts)})"


# -- recording --------------------------------------------------------------------------------


def _excluded_dirs() -> tuple[str, ...]:
    paths = sysconfig.get_paths()
    dirs = {paths.get(k, "") for k in ("stdlib", "platstdlib", "purelib", "platlib")}
    dirs.add(os.path.dirname(os.path.abspath(__file__)))
    return tuple(sorted(d + os.sep for d in dirs if d))


class Recorder:
    """Collects the observations of the calls made from files under ``program_dir``."""

    def __init__(self, program_dir: str, thread_name: Any) -> None:
        self.program_dir = os.path.abspath(program_dir) + os.sep
        self.thread_name = thread_name  # a function: the running thread's name
        self.observations: list[Observation] = []
        self._excluded = _excluded_dirs()
        self._subclasses: dict[type, type] = {}  # wrapped class -> its recording subclass
        self._proxied: set[type] = set()  # classes whose instances are proxied

    def site(self, frame: Any) -> str | None:
        """``file:line`` of the caller when it is the program's code, else None (not recorded)."""
        if frame is None:
            return None
        filename = os.path.abspath(frame.f_code.co_filename)
        if not filename.startswith(self.program_dir) or filename.startswith(self._excluded):
            return None
        return f"{os.path.basename(filename)}:{frame.f_lineno}"

    def call(self, name: str, fn: Any, args: tuple[Any, ...], kwargs: dict[str, Any], frame: Any,
             timed: bool = False) -> Any:
        site = self.site(frame)
        if site is None:
            return self.adopt(fn(*args, **kwargs))
        text = fmt_call(name, args, kwargs)
        try:
            result = fn(*args, **kwargs)
        except BaseException as exc:
            if not isinstance(exc, GeneratorExit | KeyboardInterrupt) and type(exc).__module__ != "greenlet":
                self._add(text, fmt_error(exc), site)
            raise
        result = self.adopt(result)
        self._add(text, "<time>" if timed else fmt(result), site)
        return result

    def _add(self, call: str, result: str, site: str) -> None:
        try:
            thread = thread_key(str(self.thread_name()))
        except Exception:  # noqa: BLE001 - a thread being torn down
            thread = "?"
        self.observations.append(Observation(thread, call, result, site))

    def adopt(self, value: Any, depth: int = 0) -> Any:
        """Make returned objects of wrapped classes record their method calls too."""
        cls = type(value)
        sub = self._subclasses.get(cls)
        if sub is not None:
            try:
                value.__class__ = sub
            except TypeError:
                pass
            return value
        if cls in self._proxied:
            return Proxy(value, self)
        if depth < 2 and isinstance(value, tuple) and not hasattr(value, "_fields"):
            adopted = tuple(self.adopt(v, depth + 1) for v in value)
            if any(a is not v for a, v in zip(adopted, value)):
                return adopted
        return value

    def subclass(self, cls: type, label: str) -> type:
        """A subclass of ``cls`` recording its public methods and its construction (as ``label``)."""
        found = self._subclasses.get(cls)
        if found is not None:
            return found
        recorder = self
        namespace: dict[str, Any] = {"__slots__": (), "__module__": cls.__module__, "__qualname__": cls.__qualname__,
                                     "__doc__": cls.__doc__}
        for name in dir(cls):
            if name.startswith("_"):
                continue
            attr = inspect.getattr_static(cls, name, None)
            if isinstance(attr, types.FunctionType | types.MethodDescriptorType):
                namespace[name] = _method(recorder, cls.__name__, name, attr)

        meta = type(cls)

        def __call__(klass: type, *args: Any, **kwargs: Any) -> Any:  # noqa: N807
            return recorder.call(label, lambda *a, **k: meta.__call__(klass, *a, **k), args, kwargs,
                                 sys._getframe(1))

        recording_meta = type(f"Recording{meta.__name__}", (meta,), {"__call__": __call__})
        sub: type | None
        try:
            sub = recording_meta(cls.__name__, (cls,), namespace)
        except TypeError:
            sub = None
        if sub is None:
            raise TypeError(f"{cls!r} cannot be subclassed")
        self._subclasses[cls] = sub
        return sub

    def proxy_type(self, cls: type) -> None:
        self._proxied.add(cls)


def _method(recorder: Recorder, owner: str, name: str, fn: Any) -> Any:
    def recorded(self: Any, *args: Any, **kwargs: Any) -> Any:
        return recorder.call(f"{_label(self, owner)}.{name}", lambda *a, **k: fn(self, *a, **k), args, kwargs,
                             sys._getframe(1))

    recorded.__name__ = recorded.__qualname__ = name
    return recorded


def _label(obj: Any, owner: str) -> str:
    """``socket(fd=3)``: the object a method is called on, by its fd (no addresses)."""
    try:
        base: Any = type(obj).__mro__[1]
        fileno = base.fileno(obj) if not isinstance(obj, Proxy) else obj.target.fileno()
    except Exception:  # noqa: BLE001 - closed, or no fd at all
        return owner
    return f"{owner}(fd={fileno})"


class Proxy:
    """Stands for an object whose class cannot be subclassed (a real ``select.epoll``, a poll
    object): its public methods record, everything else is the object's."""

    __slots__ = ("target", "_recorder")

    def __init__(self, target: Any, recorder: Recorder) -> None:
        object.__setattr__(self, "target", target)
        object.__setattr__(self, "_recorder", recorder)

    def __getattr__(self, name: str) -> Any:
        value = getattr(self.target, name)
        if name.startswith("_") or not callable(value) or name == "fileno":
            return value
        recorder = self._recorder
        label = f"{_label(self, type(self.target).__name__)}.{name}"

        def recorded(*args: Any, **kwargs: Any) -> Any:
            return recorder.call(label, value, args, kwargs, sys._getframe(1))

        return recorded

    def fileno(self) -> int:
        return int(self.target.fileno())

    def __enter__(self) -> Any:
        self.target.__enter__()
        return self

    def __exit__(self, *exc: Any) -> Any:
        return self.target.__exit__(*exc)

    def __repr__(self) -> str:
        return repr(self.target)


class RecordingModule:
    """A module (real, or a host's stand-in) whose calls record: see the module comment."""

    def __init__(self, module: Any, name: str, recorder: Recorder, only: tuple[str, ...] | None = None) -> None:
        self._module = module
        self._name = name
        self._recorder = recorder
        self._only = only
        self._cache: dict[str, Any] = {}

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__"):
            raise AttributeError(name)
        try:
            return self._cache[name]
        except KeyError:
            pass
        value = getattr(self._module, name)
        wrapped = self._wrap(name, value)
        self._cache[name] = wrapped
        return wrapped

    def _wrap(self, name: str, value: Any) -> Any:
        recorder, label = self._recorder, f"{self._name}.{name}"
        if name.startswith("_") or (self._only is not None and name not in self._only):
            return value
        if isinstance(value, type):
            if name not in RECORDED_CLASSES:
                return value  # exceptions, enums, helpers (socket.SocketIO is called from C: no caller to see)
            label = f"{self._name}.{value.__name__}"  # socket.SocketType is socket.socket
            try:
                return recorder.subclass(value, label)
            except TypeError:
                return self._factory(label, value)
        if not callable(value) or isinstance(value, types.ModuleType):
            return value
        if self._name == "select" and name == "poll":
            return self._factory(label, value)
        timed = self._name == "time" and name in TIME_CALLS

        def recorded(*args: Any, **kwargs: Any) -> Any:
            return recorder.call(label, value, args, kwargs, sys._getframe(1), timed)

        recorded.__name__ = recorded.__qualname__ = name
        return recorded

    def _factory(self, label: str, make: Any) -> Any:
        """For a class that cannot be subclassed: calls (and ``fromfd``) return recording proxies."""
        recorder = self._recorder

        def create(*args: Any, **kwargs: Any) -> Any:
            def made(*a: Any, **k: Any) -> Any:
                obj = make(*a, **k)
                recorder.proxy_type(type(obj))
                return obj
            return recorder.call(label, made, args, kwargs, sys._getframe(1))

        create.__name__ = create.__qualname__ = label.rpartition(".")[2]
        fromfd = getattr(make, "fromfd", None)
        if fromfd is not None:
            def create_fromfd(fd: int) -> Any:
                def made(n: int) -> Any:
                    obj = fromfd(n)
                    recorder.proxy_type(type(obj))
                    return obj
                return recorder.call(f"{label}.fromfd", made, (fd,), {}, sys._getframe(1))
            create.fromfd = create_fromfd  # type: ignore[attr-defined]
        return create


class RecordingTarget:
    """What ``RecordingPatch`` installs: recording modules over ``base``'s (a host, or the real modules)."""

    def __init__(self, base: Any, recorder: Recorder) -> None:
        self.socket = RecordingModule(base.socket, "socket", recorder)
        self.select = RecordingModule(base.select, "select", recorder)
        self.selectors = RecordingModule(base.selectors, "selectors", recorder)
        self.time = RecordingModule(base.time, "time", recorder, only=("sleep", *sorted(TIME_CALLS)))
        self.os = RecordingModule(base.os, "os", recorder, only=OS_CALLS)
        self.fcntl = RecordingModule(base.fcntl, "fcntl", recorder, only=("fcntl", "ioctl"))
        self.threading = base.threading
        self.signal = base.signal
        self.asyncio = getattr(base, "asyncio", None)
        # A simulated host's (None for the real modules: the seal of patch_gc/patch_random/patch_clocks
        # then leaves randomness, datetime and garbage collection real).
        self.process = getattr(base, "process", None)
        self.entropy = getattr(base, "entropy", None)


class RecordingPatch(Patch):
    """``Patch`` over a ``RecordingTarget``, also patching ``os``'s fd calls; ``real=True``
    patches nothing but the recorded modules (real threads and asyncio stay real)."""

    def __init__(self, target: RecordingTarget, real: bool = False) -> None:
        super().__init__(target)
        self.real = real

    def _patch_extras(self) -> None:
        if not self.real:
            super()._patch_extras()

    def _share_fds(self) -> None:
        """No shared number space: the diff compares the model's numbers, from a fresh table,
        with the real run's, and every fd call of the program must be recorded on the model."""
