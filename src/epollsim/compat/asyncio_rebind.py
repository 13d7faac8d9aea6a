"""CPython's selector event loop, rebound over one host's stand-ins (used by ``asyncio_loop.py``).

Theory of operation
-------------------
asyncio's selector loop reaches the operating system only through the module
globals of three files: ``base_events`` (``socket.socket``, ``socket.getaddrinfo``,
``socket.inet_pton``, ``threading.get_ident``, ``threading.Thread``, ``os.name``,
``time.get_clock_info``), ``selector_events`` (``socket.socketpair`` for the
self-pipe, ``selectors.DefaultSelector``) and ``unix_events`` (``socket.socket``
for AF_UNIX, and ``os.fstat``/``os.set_blocking``/``os.read``/``os.write`` in
the pipe transports, and ``signal`` for ``add_signal_handler``: the
host's wake-up fd and handlers). Everything else in asyncio (tasks, futures, streams,
timeouts, TaskGroups, transports over an already-made socket) works on
whatever loop it is handed.

So each host gets its own copy of exactly that code, *rebound*: for each of the
three modules we make a namespace that is a copy of the module's globals with
``socket``, ``selectors``, ``os``, ``threading`` and ``time`` replaced by the
host's stand-ins, and re-create every function defined in the module over that
namespace (same code object, same defaults and closure; only ``__globals__``
differs). The loop classes and the pipe transports are re-created as subclasses
of the originals whose methods are the rebound functions. The code that runs is
CPython's, line for line, for whatever version is installed; nothing in the real
modules changes, so real loops in other OS threads are unaffected and two hosts'
loops can run side by side.

The rebased classes keep ``super()`` working: each inherits from its original
*and* from the rebased copy of its original's base, which C3 linearises as
``Loop, R(_UnixSelectorEventLoop), _UnixSelectorEventLoop, R(BaseSelectorEventLoop),
BaseSelectorEventLoop, R(BaseEventLoop), BaseEventLoop, AbstractEventLoop``. A
rebound method's ``super()`` still names its original class, and the class after
an original in that order is the rebased copy of its base: every call, direct or
through ``super()``, runs rebound code, and ``isinstance(loop,
asyncio.SelectorEventLoop)`` holds.

The file-system steps of ``unix_events`` and ``base_events``
-------------------------------------------------------------
``create_unix_server`` and ``create_datagram_endpoint(family=AF_UNIX,
local_addr=path)`` look at the path before binding (``os.stat``, and
``os.remove`` of a stale socket file left by an earlier server), and Python
3.13's servers unlink their path when they close. The model has no file
system: a path exists only as an entry in the host's table of AF_UNIX names
(``net/unix_names.py``). So the ``os`` that ``unix_events`` sees is
``UnixEventsOs`` (and so is ``base_events``'s): the host's ``os`` stand-in, plus ``stat``/``lstat``,
``remove`` and ``unlink`` answered from that table. A path a socket bound
(still bound, or left behind by a closed socket, as a socket file is) stats
as a socket (``S_IFSOCK | 0o755``, Linux's mode under umask 022, with an
inode number that stays the same until the path is unlinked), and removing
it frees the name; every other path does not exist (``FileNotFoundError``,
ENOENT, naming the path, as CPython raises it). Nothing else in asyncio
reaches these calls.
"""
from __future__ import annotations

import asyncio.base_events as _base_events
import asyncio.selector_events as _selector_events
import asyncio.unix_events as _unix_events
import itertools
import os as _real_os
import types
import weakref
from collections.abc import Iterator
from errno import ENOENT
from typing import TYPE_CHECKING, Any

from ..abi.stat import S_IFSOCK

if TYPE_CHECKING:
    from .os import OsModule


# -- rebinding the stdlib's code over a host's stand-ins -------------------------------


def _rebind_function(fn: types.FunctionType, namespace: dict[str, Any]) -> types.FunctionType:
    new = types.FunctionType(fn.__code__, namespace, fn.__name__, fn.__defaults__, fn.__closure__)
    new.__kwdefaults__ = fn.__kwdefaults__
    new.__qualname__ = fn.__qualname__
    new.__doc__ = fn.__doc__
    new.__module__ = fn.__module__
    new.__dict__.update(fn.__dict__)
    return new


def _rebind_member(value: Any, namespace: dict[str, Any]) -> Any:
    if isinstance(value, types.FunctionType):
        return _rebind_function(value, namespace)
    if isinstance(value, (staticmethod, classmethod)) and isinstance(value.__func__, types.FunctionType):
        return type(value)(_rebind_function(value.__func__, namespace))
    return None


def _rebase_class(original: type, namespace: dict[str, Any], rebased_base: type | None) -> type:
    """A subclass of ``original`` (and of ``rebased_base``) whose methods run over ``namespace``."""
    members: dict[str, Any] = {"__module__": original.__module__, "__qualname__": original.__qualname__}
    for name, value in vars(original).items():
        rebound = _rebind_member(value, namespace)
        if rebound is not None:
            members[name] = rebound
    bases = (original,) if rebased_base is None else (original, rebased_base)
    return type(original.__name__, bases, members)


def _rebound_module(module: types.ModuleType, replacements: dict[str, Any]) -> dict[str, Any]:
    """A copy of ``module``'s globals with ``replacements``, its own functions rebound to it."""
    # Iterate over a snapshot: a collection while rebinding may run a finalizer whose warning
    # adds __warningregistry__ to the module's globals (an unclosed real loop's ResourceWarning).
    originals = dict(vars(module))
    namespace = dict(originals)
    namespace.update(replacements)
    for name, value in originals.items():
        if isinstance(value, types.FunctionType) and value.__module__ == module.__name__:
            namespace[name] = _rebind_function(value, namespace)
    return namespace


def rebased_loop_classes(
    socket: Any, selectors: Any, os: Any, threading: Any, time: Any, signal: Any
) -> type:
    """The rebased ``_UnixSelectorEventLoop`` for one host (see the module comment)."""
    unix_os = UnixEventsOs(os)
    base_ns = _rebound_module(
        _base_events,
        # The one set() in base_events dedups create_server's addrinfos and then binds in
        # iteration order, which for str addresses follows PYTHONHASHSEED; the model binds in
        # getaddrinfo's order instead, so fd numbers and traces do not depend on the hash seed.
        {"socket": socket, "os": unix_os, "threading": threading, "time": time, "set": dict.fromkeys,
         "weakref": _weakref_with_ordered_set},
    )
    sel_ns = _rebound_module(_selector_events, {"socket": socket, "selectors": selectors})
    unix_ns = _rebound_module(
        _unix_events,
        {"socket": socket, "selectors": selectors, "os": unix_os, "threading": threading, "signal": signal},
    )
    r_base = _rebase_class(_base_events.BaseEventLoop, base_ns, None)
    r_sel = _rebase_class(_selector_events.BaseSelectorEventLoop, sel_ns, r_base)
    for name in ("_UnixReadPipeTransport", "_UnixWritePipeTransport"):
        unix_ns[name] = _rebase_class(getattr(_unix_events, name), unix_ns, None)
    r_unix = _rebase_class(_unix_events._UnixSelectorEventLoop, unix_ns, r_sel)
    base_ns["BaseEventLoop"] = r_base
    sel_ns["BaseSelectorEventLoop"] = r_sel
    unix_ns["_UnixSelectorEventLoop"] = unix_ns["SelectorEventLoop"] = r_unix
    return r_unix


def rebased_runner(signal: Any, threading: Any) -> Any:
    """``asyncio.Runner`` (3.11+) rebound over a host's ``signal`` and ``threading``."""
    import asyncio.runners as _runners

    namespace = _rebound_module(_runners, {"signal": signal, "threading": threading})
    return _rebase_class(_runners.Runner, namespace, None)  # type: ignore[attr-defined, unused-ignore]  # 3.11+ (absent on 3.10, where nothing calls this)


class _OrderedWeakSet:
    """The ``weakref.WeakSet`` of a loop's live async generators, iterated in first-use order
    (``shutdown_asyncgens`` closes them in that order, not in address order)."""

    def __init__(self) -> None:
        self._refs: dict[weakref.ref[Any], None] = {}

    def add(self, item: Any) -> None:
        self._refs[weakref.ref(item, self._refs.pop)] = None

    def discard(self, item: Any) -> None:
        self._refs.pop(weakref.ref(item), None)

    def clear(self) -> None:
        self._refs.clear()

    def __len__(self) -> int:
        return len(self._refs)

    def __iter__(self) -> Iterator[Any]:
        return iter([item for item in (ref() for ref in list(self._refs)) if item is not None])


# base_events uses weakref only for the loop's set of async generators.
_weakref_with_ordered_set = types.SimpleNamespace(**{**vars(weakref), "WeakSet": _OrderedWeakSet})


# -- the file-system calls unix_events makes, over the host's AF_UNIX names --------------------

_SOCKET_FILE_MODE = S_IFSOCK | 0o755  # unix_bind's mknod: S_IFSOCK | 0777 & ~umask (022)
_PAGE_SIZE = 4096


class UnixEventsOs:
    """The ``os`` global of a host's rebound ``unix_events``: its ``os`` stand-in, with
    ``stat``/``lstat``/``remove``/``unlink`` over the host's AF_UNIX names (see above)."""

    def __init__(self, os: OsModule) -> None:
        self._os = os
        # path -> (the socket last seen bound there, or None, and its inode number)
        self._inodes: dict[bytes, tuple[Any, int]] = {}
        self._next_ino = itertools.count(0x10000)

    def __getattr__(self, name: str) -> Any:
        # Everything else is the host's os stand-in (which refuses what it does not model).
        return getattr(self._os, name)

    # The native sock_sendfile path (a real file the program opened, under k.patch()) sizes the
    # file and sets its position at the end: on the real file; any other number is the model's.
    SEEK_SET, SEEK_CUR, SEEK_END = _real_os.SEEK_SET, _real_os.SEEK_CUR, _real_os.SEEK_END

    def _host_fds(self, fd: Any) -> Any:
        sys = self._os._sys
        return sys.proc.fdtable.host_fds if sys.host_file(fd) is not None else None

    def fstat(self, fd: Any) -> _real_os.stat_result:
        table = self._host_fds(fd)
        return self._os.fstat(fd) if table is None else table.fstat(fd)

    def lseek(self, fd: Any, position: Any, whence: Any) -> int:
        table = self._host_fds(fd)
        return self._os.lseek(fd, position, whence) if table is None else table.lseek(fd, position, whence)

    def _path(self, path: Any) -> tuple[bytes, Any]:
        name = _real_os.fspath(path)  # pure: str/bytes/PathLike, CPython's TypeError otherwise
        return _real_os.fsencode(name), name

    def _names(self) -> Any:
        net = self._os._sys.proc.net
        return None if net is None else net.unix_names

    def stat(self, path: Any, *, dir_fd: int | None = None, follow_symlinks: bool = True) -> _real_os.stat_result:
        key, name = self._path(path)
        names = self._names()
        if names is None or key not in names.paths:
            self._inodes.pop(key, None)
            raise FileNotFoundError(ENOENT, _real_os.strerror(ENOENT), name)
        sock = names.paths[key]
        seen = self._inodes.get(key)
        if seen is None or (sock is not None and seen[0] is not sock):
            seen = self._inodes[key] = (sock, next(self._next_ino))  # a new socket file
        now = self._os._sys.proc.clock.now_ns
        seconds = now // 1_000_000_000
        return _real_os.stat_result(
            (_SOCKET_FILE_MODE, seen[1], 0, 1, 0, 0, 0, seconds, seconds, seconds),
            {"st_blksize": _PAGE_SIZE, "st_blocks": 0, "st_rdev": 0,
             "st_atime_ns": now, "st_mtime_ns": now, "st_ctime_ns": now},
        )

    def lstat(self, path: Any, *, dir_fd: int | None = None) -> _real_os.stat_result:
        return self.stat(path)

    def unlink(self, path: Any, *, dir_fd: int | None = None) -> None:
        key, name = self._path(path)
        names = self._names()
        if names is None or key not in names.paths:
            raise FileNotFoundError(ENOENT, _real_os.strerror(ENOENT), name)
        names.unlink(key)
        self._inodes.pop(key, None)

    remove = unlink

