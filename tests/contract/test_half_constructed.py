"""Objects made with ``cls.__new__(cls)`` and never initialised (issue 13 item 6): they work, or
fail, as CPython's do.
"""
from __future__ import annotations

import re
import select as _select
import socket as _real_socket
import sys
from typing import Any

import pytest
from contract_helpers import raises_exactly

from epollsim.testing.backends import Backend


def _epoll_class(backend: Backend) -> Any:
    return backend.select.epoll if backend.is_model else _select.epoll


def test_epoll_new_alone_is_a_working_epoll(backend: Backend) -> None:
    """pyepoll_new is the whole constructor: there is no __init__ to skip."""
    cls = _epoll_class(backend)
    ep = cls.__new__(cls)
    try:
        assert not ep.closed
        r, w = backend.os.pipe()
        ep.register(w, _select.EPOLLOUT)
        assert ep.poll(0) == [(w, _select.EPOLLOUT)]
        assert re.fullmatch(r"<select.epoll object at 0x[0-9a-f]+>", repr(ep)), repr(ep)
    finally:
        ep.close()
    assert ep.closed


def test_epoll_new_converts_its_arguments(backend: Backend) -> None:
    cls = _epoll_class(backend)
    raises_exactly(ValueError, "negative sizehint", cls.__new__, cls, -2)
    raises_exactly(TypeError, "'str' object cannot be interpreted as an integer", cls.__new__, cls, "x")


def test_socket_new_reprs_with_no_fd_and_zero_family(backend: Backend) -> None:
    cls = backend.socket.socket
    sock = cls.__new__(cls)
    family = _real_socket.AddressFamily(0)  # shown by str(): "0" from 3.11, "AddressFamily.AF_UNSPEC" on 3.10
    assert repr(sock) == f"<socket.socket fd=-1, family={family!s}, type=0, proto=0>"
    assert sock.fileno() == -1
    assert sock.gettimeout() is None
    assert (sock.family, sock.type, sock.proto) == (0, 0, 0)
    raises_exactly(OSError, "getsockaddrlen: bad family", sock.getsockname)
    name = "socket.socket" if sys.version_info >= (3, 13) else "socket"  # 3.13 names the module of the type
    raises_exactly(AttributeError, f"'{name}' object has no attribute '_io_refs'", sock.close)


def test_thread_new_refuses_everything_until_init(backend: Backend) -> None:
    cls = backend.threading.Thread
    t = cls.__new__(cls)
    raises_exactly(AssertionError, "Thread.__init__() was not called", repr, t)
    raises_exactly(AssertionError, "Thread.__init__() not called", t.is_alive)
    raises_exactly(AssertionError, "Thread.__init__() not called", getattr, t, "name")
    raises_exactly(AssertionError, "Thread.__init__() not called", getattr, t, "daemon")
    raises_exactly(RuntimeError, "thread.__init__() not called", t.start)
    raises_exactly(RuntimeError, "Thread.__init__() not called", t.join)
    raises_exactly(RuntimeError, "Thread.__init__() not called", setattr, t, "daemon", True)


def test_thread_repr_shows_daemon_and_ident(backend: Backend) -> None:
    t = backend.threading.Thread(target=lambda: None, name="w", daemon=True)
    assert repr(t) == "<Thread(w, initial daemon)>"
    t.start()
    t.join()
    assert re.fullmatch(r"<Thread\(w, stopped daemon \d+\)>", repr(t)), repr(t)
    raises_exactly(RuntimeError, "cannot set daemon status of active thread", setattr, t, "daemon", False)


def test_event_new_fails_on_cpythons_attributes(backend: Backend) -> None:
    cls = backend.threading.Event
    e = cls.__new__(cls)
    raises_exactly(AttributeError, "'Event' object has no attribute '_flag'", e.is_set)
    raises_exactly(AttributeError, "'Event' object has no attribute '_cond'", e.set)
    raises_exactly(AttributeError, "'Event' object has no attribute '_cond'", e.clear)
    raises_exactly(AttributeError, "'Event' object has no attribute '_cond'", e.wait, 0)
    if sys.version_info >= (3, 11):
        raises_exactly(AttributeError, "'Event' object has no attribute '_flag'", repr, e)


def test_condition_new_fails_on_its_lock(backend: Backend) -> None:
    cls = backend.threading.Condition
    c = cls.__new__(cls)
    for call in (repr, lambda c: c.notify(), lambda c: c.wait(0), lambda c: c.__enter__()):
        raises_exactly(AttributeError, "'Condition' object has no attribute '_lock'", call, c)
    raises_exactly(AttributeError, "'Condition' object has no attribute '_waiters'", c.notify_all)
    raises_exactly(AttributeError, "'Condition' object has no attribute 'acquire'", getattr, c, "acquire")


def test_condition_wait_and_notify_need_the_lock(backend: Backend) -> None:
    for lock in (None, backend.threading.Lock()):
        c = backend.threading.Condition(lock)
        raises_exactly(RuntimeError, "cannot notify on un-acquired lock", c.notify)
        raises_exactly(RuntimeError, "cannot wait on un-acquired lock", c.wait, 0)
        with c:
            c.notify_all()
            assert c.wait(0) is False
    assert repr(backend.threading.Condition(backend.threading.Lock())).startswith("<Condition(<")


@pytest.mark.parametrize("name", ["Semaphore", "BoundedSemaphore"])
def test_semaphore_new_fails_on_its_condition(backend: Backend, name: str) -> None:
    cls = getattr(backend.threading, name)
    s = cls.__new__(cls)
    raises_exactly(AttributeError, f"'{name}' object has no attribute '_cond'", s.acquire)
    raises_exactly(AttributeError, f"'{name}' object has no attribute '_cond'", s.release)
    if sys.version_info >= (3, 11):
        raises_exactly(AttributeError, f"'{name}' object has no attribute '_value'", repr, s)


@pytest.mark.skipif(sys.version_info < (3, 11), reason="3.11 gave Event and Semaphore a repr")
def test_event_and_semaphore_reprs_show_their_state(backend: Backend) -> None:
    T = backend.threading
    e, s, b = T.Event(), T.Semaphore(2), T.BoundedSemaphore(3)
    b.acquire()
    e.set()
    shown = [re.sub(r"^<[\w.]+\.(\w+) at 0x[0-9a-f]+", r"<\1", repr(x)) for x in (e, s, b)]
    assert shown == ["<Event: set>", "<Semaphore: value=2>", "<BoundedSemaphore: value=2/3>"]
