"""The two backends every contract test runs on: the host's real kernel and the model.

A ``Backend`` offers ``os``, ``select``, ``socket``, ``fcntl`` (modules, or
the model's stand-ins) and ``sys`` (the raw calls). ``cleanup()`` closes
what a test left open: on the real kernel it closes the socket and epoll
objects the test created (so a late garbage collection can never close a
number a later test reuses) and then every fd number that was not open
before the test. Sockets are remembered weakly, so dropping one closes it
on both backends alike; epoll objects cannot be weakly referenced, so the
real backend keeps them open until cleanup (a test that drops an epoll
object should make it through ``type(ep)`` to see CPython's closing).
"""
from __future__ import annotations

import asyncio as _asyncio
import fcntl as _fcntl
import gc
import os as _os
import resource
import select as _select
import selectors as _selectors
import signal as _signal
import socket as _socket
import threading as _threading
import time as _time
import weakref
from collections.abc import Iterable
from typing import Any

from ..kernel import Kernel
from .real_os import real_os
from .realsys import RealSys


class _Tracking:
    """Forwards to a real module, remembering the objects that own fds."""

    def __init__(self, module: Any, owned: list[Any]) -> None:
        self._module = module
        self._owned = owned

    def __getattr__(self, name: str) -> Any:
        # The real backend *is* the host's modules: forwarding is the point here.
        return getattr(self._module, name)


class _TrackedEpollType:
    """Stands for ``select.epoll`` (calls and ``fromfd``), remembering each object made."""

    def __init__(self, owned: list[Any]) -> None:
        self._owned = owned

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        ep = _select.epoll(*args, **kwargs)
        self._owned.append(ep)
        return ep

    def fromfd(self, fd: int) -> Any:
        ep = _select.epoll.fromfd(fd)
        self._owned.append(ep)
        return ep


class _RealSelect(_Tracking):
    def __init__(self, module: Any, owned: list[Any]) -> None:
        super().__init__(module, owned)
        self.epoll = _TrackedEpollType(owned)


class _AnySocketMeta(type):
    """Every real socket object (a socketpair's too) is an instance of the tracking class."""

    def __instancecheck__(cls, obj: Any) -> bool:
        return isinstance(obj, _socket.socket)


class _RealSocket(_Tracking):
    def __init__(self, module: Any, owned: list[Any]) -> None:
        super().__init__(module, owned)

        class socket(_socket.socket, metaclass=_AnySocketMeta):
            """The real socket class, remembering each object (accepted ones too) weakly."""

            __slots__ = ()

            def __init__(self, *args: Any, **kwargs: Any) -> None:
                super().__init__(*args, **kwargs)
                owned.append(weakref.ref(self))

            def accept(self) -> tuple[Any, Any]:
                fd, addr = self._accept()  # type: ignore[attr-defined]
                sock = socket(self.family, self.type, self.proto, fileno=fd)
                if _socket.getdefaulttimeout() is None and self.gettimeout():
                    sock.setblocking(True)
                return sock, addr

        socket.__module__ = "socket"  # reprs read as the real class's: <socket.socket fd=...>
        socket.__qualname__ = "socket"
        self.socket = socket
        self.SocketType = socket

    def socketpair(self, *args: Any, **kwargs: Any) -> Any:
        pair = _socket.socketpair(*args, **kwargs)
        # Weakly: a test that drops a socket must see it closed, as CPython closes it.
        self._owned.extend(weakref.ref(s) for s in pair)
        return pair

    def create_connection(self, *args: Any, **kwargs: Any) -> Any:
        sock = _socket.create_connection(*args, **kwargs)
        self._owned.append(weakref.ref(sock))
        return sock

    def create_server(self, *args: Any, **kwargs: Any) -> Any:
        sock = _socket.create_server(*args, **kwargs)
        self._owned.append(weakref.ref(sock))
        return sock


class Backend:
    name: str
    os: Any
    select: Any
    selectors: Any
    asyncio: Any
    socket: Any
    fcntl: Any
    sys: Any
    threading: Any
    time: Any
    signal: Any
    kernel: Kernel | None

    @property
    def is_model(self) -> bool:
        return self.kernel is not None

    def cleanup(self, made: Iterable[int] = ()) -> None:
        pass

    def __repr__(self) -> str:
        return f"<Backend {self.name}>"


def _open_fds() -> set[int]:
    """The fds open in this process. The listing of /proc/self/fd names the fd the listing
    itself used for a moment; keep only the numbers still open afterwards."""
    open_now = set()
    for name in _os.listdir("/proc/self/fd"):
        try:
            _fcntl.fcntl(int(name), _fcntl.F_GETFD)
        except OSError:
            continue
        open_now.add(int(name))
    return open_now


def real_nofile() -> int:
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0]


class RealBackend(Backend):
    name = "real"
    kernel = None

    def __init__(self) -> None:
        self._before = _open_fds()
        self._owned: list[Any] = []
        self.sys = RealSys()
        self.os = real_os(_os, self.sys)  # with 3.13's os.timerfd_* on older Pythons
        self.host_os = _os  # the host's own module, unwrapped
        self.fcntl = _fcntl
        self.select = _RealSelect(_select, self._owned)
        self.selectors = _selectors  # tests close their selectors (the epoll inside is real)
        self.asyncio = _asyncio
        self.socket = _RealSocket(_socket, self._owned)
        self.threading = _threading
        self.time = _time
        self._signal_state: dict[int, Any] | None = None
        self._signal_mask: set[Any] = set()

    @property
    def signal(self) -> Any:
        """The real signal module; the handlers and the wake-up fd a test changes are put back
        at cleanup (read on first use: most tests never touch signals)."""
        if self._signal_state is None:
            self._signal_state = {sig: _signal.getsignal(sig) for sig in _signal.valid_signals()}
            self._signal_mask = _signal.pthread_sigmask(_signal.SIG_BLOCK, [])
        return _signal

    def _restore_signals(self) -> None:
        state = self._signal_state
        if state is None:
            return
        self._signal_state = None
        _signal.set_wakeup_fd(-1)
        for sig in _signal.sigpending():  # taken, not delivered: a test's blocked signal must not kill pytest
            _signal.sigwait({sig})
        _signal.pthread_sigmask(_signal.SIG_SETMASK, self._signal_mask)
        for sig, handler in state.items():
            if handler is not None and _signal.getsignal(sig) is not handler:
                _signal.signal(sig, handler)

    def cleanup(self, made: Iterable[int] = ()) -> None:
        """Close what the test left open: its objects, then ``made`` (raw fd numbers it created, as
        a differential machine knows them), then every other number new since the test began."""
        self._restore_signals()
        for obj in self._owned:
            if isinstance(obj, weakref.ref):
                obj = obj()
                if obj is None:
                    continue
            try:
                obj.close()
            except OSError:
                pass
        self._owned.clear()
        left = _open_fds() - self._before
        for fd in sorted(left & set(made)):  # raw numbers: no object owns them, so no collection
            _os.close(fd)
        left -= set(made)
        if left:  # an owner in a reference cycle would close its fd late, in a later test: now instead
            gc.collect()  # (only then: a full collection costs ~0.1 s in a process as big as pytest's)
            left = _open_fds() - self._before
        for fd in sorted(left):
            try:
                _os.close(fd)
            except OSError:
                pass


class ModelBackend(Backend):
    name = "model"

    def __init__(self, seed: int = 0, **kernel_options: Any) -> None:
        kernel_options.setdefault("nofile", real_nofile())
        self.kernel = Kernel(seed, **kernel_options)
        self.os = self.kernel.os
        self.select = self.kernel.select
        self.selectors = self.kernel.selectors
        self.asyncio = self.kernel.asyncio
        self.socket = self.kernel.socket
        self.fcntl = self.kernel.fcntl
        self.sys = self.kernel.sys
        self.threading = self.kernel.threading
        self.time = self.kernel.time
        self.signal = self.kernel.signal


def make_backend(name: str, **kernel_options: Any) -> Backend:
    if name == "real":
        return RealBackend()
    if name == "model":
        return ModelBackend(**kernel_options)
    raise ValueError(f"unknown backend {name!r}")
