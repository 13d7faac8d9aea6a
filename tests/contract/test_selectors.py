"""selectors on both backends: the stdlib's classes over the real kernel, the model's over the model.

Every selector class Linux has (Epoll, Poll, Select and the default), with pipes and socketpairs:
register/modify/unregister, select with timeout 0 and a short wait, the exact errors, get_map,
and a closed selector.
"""
from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from contract_helpers import raises_exactly

from epollsim.testing.backends import Backend

CLASSES = ["EpollSelector", "PollSelector", "SelectSelector", "DefaultSelector"]


@pytest.fixture(params=CLASSES)
def sel(request: pytest.FixtureRequest, backend: Backend) -> Iterator[Any]:
    selector = getattr(backend.selectors, request.param)()
    try:
        yield selector
    finally:
        selector.close()


def ready(sel: Any, timeout: float | None = 0) -> list[tuple[Any, Any, int]]:
    """(fileobj, data, events) for each ready key, in fd order (Select reports in set order)."""
    return sorted(((key.fileobj, key.data, ev) for key, ev in sel.select(timeout)), key=lambda t: str(t[0]))


def test_default_selector_is_epoll_and_linux_has_no_kqueue_or_devpoll(backend: Backend) -> None:
    s = backend.selectors
    assert s.DefaultSelector is s.EpollSelector
    assert issubclass(s.EpollSelector, s.BaseSelector)
    assert not hasattr(s, "KqueueSelector") and not hasattr(s, "DevpollSelector")
    assert (s.EVENT_READ, s.EVENT_WRITE) == (1, 2)


def test_pipe_readiness_through_register_modify_unregister(backend: Backend, sel: Any) -> None:
    os, selectors = backend.os, backend.selectors
    r, w = os.pipe()
    key = sel.register(r, selectors.EVENT_READ, "reader")
    assert key == selectors.SelectorKey(r, r, selectors.EVENT_READ, "reader")
    assert sel.register(w, selectors.EVENT_WRITE).data is None
    assert ready(sel) == [(w, None, selectors.EVENT_WRITE)]
    os.write(w, b"x")
    assert ready(sel) == [(r, "reader", selectors.EVENT_READ), (w, None, selectors.EVENT_WRITE)]
    # modify with the same events only replaces the data
    assert sel.modify(r, selectors.EVENT_READ, "again").data == "again"
    assert sel.get_key(r).data == "again"
    # asking the reader for writability too: a pipe's read end is never writable
    sel.modify(r, selectors.EVENT_READ | selectors.EVENT_WRITE, "both")
    assert ready(sel)[0] == (r, "both", selectors.EVENT_READ)
    assert sel.unregister(w).fd == w
    assert ready(sel) == [(r, "both", selectors.EVENT_READ)]
    os.read(r, 1)
    assert ready(sel) == []
    assert sel.select(0.01) == []


def test_writer_hangup_wakes_a_reader_and_a_write_only_interest_is_masked(backend: Backend, sel: Any) -> None:
    os, selectors = backend.os, backend.selectors
    r, w = os.pipe()
    sel.register(r, selectors.EVENT_READ)
    os.close(w)
    assert ready(sel) == [(r, None, selectors.EVENT_READ)]


def test_socketpair_ends_by_object(backend: Backend, sel: Any) -> None:
    selectors = backend.selectors
    a, b = backend.socket.socketpair()
    sel.register(a, selectors.EVENT_READ | selectors.EVENT_WRITE, "a")
    sel.register(b, selectors.EVENT_READ, "b")
    assert [(k.fileobj is a, k.data, ev) for k, ev in sel.select(0)] == [(True, "a", selectors.EVENT_WRITE)]
    b.send(b"ping")
    assert [(k.data, ev) for k, ev in sel.select(0)] == [("a", selectors.EVENT_READ | selectors.EVENT_WRITE)]
    assert a.recv(10) == b"ping"
    a.close()
    # a closed socket can still be unregistered (found by identity in the map)
    assert sel.unregister(a).data == "a"
    assert [(k.data, ev) for k, ev in sel.select(0)] == [("b", selectors.EVENT_READ)]  # the hangup
    b.close()


def test_get_map_is_a_live_read_only_mapping(backend: Backend, sel: Any) -> None:
    r, w = backend.os.pipe()
    mapping = sel.get_map()
    assert len(mapping) == 0
    sel.register(r, backend.selectors.EVENT_READ)
    assert len(mapping) == 1 and list(mapping) == [r]
    assert mapping[r].fd == r
    with pytest.raises(KeyError) as info:
        mapping[w]
    assert info.value.args == (f"{w!r} is not registered",)
    with pytest.raises(TypeError):
        mapping[r] = None  # type: ignore[index]


def test_errors_are_the_stdlibs(backend: Backend, sel: Any) -> None:
    selectors = backend.selectors
    r, w = backend.os.pipe()
    raises_exactly(ValueError, "Invalid events: 0", sel.register, r, 0)
    raises_exactly(ValueError, "Invalid events: 4", sel.register, r, 4)
    raises_exactly(ValueError, "Invalid file descriptor: -1", sel.register, -1, selectors.EVENT_READ)
    raises_exactly(ValueError, "Invalid file object: 'x'", sel.register, "x", selectors.EVENT_READ)
    sel.register(r, selectors.EVENT_READ)
    with pytest.raises(KeyError) as info:
        sel.register(r, selectors.EVENT_READ)
    assert info.value.args == (f"{r!r} (FD {r}) is already registered",)
    with pytest.raises(KeyError) as info:
        sel.unregister(w)
    assert info.value.args == (f"{w!r} is not registered",)
    with pytest.raises(KeyError) as info:
        sel.modify(w, selectors.EVENT_READ)
    assert info.value.args == (f"{w!r} is not registered",)
    with pytest.raises(KeyError) as info:
        sel.get_key(w)
    assert info.value.args == (f"{w!r} is not registered",)
    # modify does not check the mask (the poll-like selectors just drop the unknown bits)


def test_closed_fd_unregisters_silently(backend: Backend, sel: Any) -> None:
    r, w = backend.os.pipe()
    sel.register(r, backend.selectors.EVENT_READ)
    backend.os.close(r)
    assert sel.unregister(r).fd == r  # EpollSelector swallows the OSError
    backend.os.close(w)


def test_a_closed_selector(backend: Backend, sel: Any) -> None:
    r, w = backend.os.pipe()
    sel.register(r, backend.selectors.EVENT_READ)
    sel.close()
    raises_exactly(RuntimeError, "Selector is closed", sel.get_key, r)
    assert sel.get_map() is None
    sel.close()  # twice is fine


def test_epoll_selector_fileno_is_an_epoll(backend: Backend) -> None:
    with backend.selectors.EpollSelector() as sel:
        ep_fd = sel.fileno()
        r, w = backend.os.pipe()
        sel.register(r, backend.selectors.EVENT_READ)
        outer = backend.select.epoll()
        outer.register(ep_fd, backend.select.EPOLLIN)
        assert outer.poll(0) == []
        backend.os.write(w, b"x")
        assert outer.poll(0) == [(ep_fd, backend.select.EPOLLIN)]
        outer.close()


def test_select_waits_for_another_thread(backend: Backend, sel: Any) -> None:
    r, w = backend.os.pipe()
    sel.register(r, backend.selectors.EVENT_READ, "r")
    t = backend.threading.Thread(target=lambda: (backend.time.sleep(0.05), backend.os.write(w, b"x")))
    t.start()
    start = backend.time.monotonic()
    assert [(k.data, ev) for k, ev in sel.select(5)] == [("r", backend.selectors.EVENT_READ)]
    assert 0.04 < backend.time.monotonic() - start < 4
    t.join()


def test_select_timeout_elapses(backend: Backend, sel: Any) -> None:
    r, w = backend.os.pipe()
    sel.register(r, backend.selectors.EVENT_READ)
    start = backend.time.monotonic()
    assert sel.select(0.05) == []
    assert backend.time.monotonic() - start >= 0.0499
