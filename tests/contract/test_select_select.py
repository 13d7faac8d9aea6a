"""select.select on both backends: readiness sets, errors, and a wait woken by another thread."""
from __future__ import annotations

import errno

import pytest

from epollsim.testing.backends import Backend


def test_select_sorts_fds_into_readable_writable_exceptional(backend: Backend) -> None:
    os, select = backend.os, backend.select
    r, w = os.pipe()
    assert select.select([r], [w], [r, w], 0) == ([], [w], [])
    os.write(w, b"x")
    assert select.select([r], [w], [r, w], 0) == ([r], [w], [])
    os.close(w)
    assert select.select([r], [], [], 0) == ([r], [], [])


def test_select_returns_the_objects_it_was_given(backend: Backend) -> None:
    a, b = backend.socket.socketpair()
    b.send(b"x")
    readable, writable, _ = backend.select.select([a], [a, b], [], 0)
    assert readable == [a] and writable == [a, b]


@pytest.mark.parametrize(
    ("args", "exc", "message"),
    [
        (([], [], [], -1), ValueError, "timeout must be non-negative"),
        (([-1], [], [], 0), ValueError, "file descriptor cannot be a negative integer (-1)"),
        (([1024], [], [], 0), ValueError, "filedescriptor out of range in select()"),
        ((["x"], [], [], 0), TypeError, "argument must be an int, or have a fileno() method."),
        (([], [], [], "1"), TypeError, "timeout must be a float or None"),
        (([], [], [], float("nan")), ValueError, "Invalid value NaN (not a number)"),
    ],
)
def test_select_argument_errors(backend: Backend, args: tuple, exc: type, message: str) -> None:
    with pytest.raises(exc) as info:
        backend.select.select(*args)
    assert str(info.value) == message


def test_select_on_a_closed_fd_is_ebadf(backend: Backend) -> None:
    r, w = backend.os.pipe()
    backend.os.close(r)
    with pytest.raises(OSError) as info:
        backend.select.select([r], [], [], 0)
    assert info.value.errno == errno.EBADF


def test_a_blocked_select_is_woken_by_another_thread(backend: Backend) -> None:
    r, w = backend.os.pipe()
    t = backend.threading.Thread(target=lambda: (backend.time.sleep(0.05), backend.os.write(w, b"x")))
    t.start()
    assert backend.select.select([r], [], [], 5) == ([r], [], [])
    t.join()


def test_a_writable_socket_in_the_read_set_alone_does_not_end_the_wait(backend: Backend) -> None:
    # do_select asks each fd only for the sets it is in.
    a, b = backend.socket.socketpair()
    t = backend.threading.Thread(target=lambda: (backend.time.sleep(0.05), a.send(b"x")))
    t.start()
    assert backend.select.select([b], [], [], 5) == ([b], [], [])
    t.join()
