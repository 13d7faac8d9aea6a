"""The fd table (fs/file.c): lowest free numbers, dup/dup2/dup3, close, and epoll lifetime (spec 9).

Fd numbers are asserted only relative to each other: the real process has
other fds open. EMFILE is tested on the model only (tests/unit/test_fdtable.py).
"""
from __future__ import annotations

import errno

import pytest

from epollsim.testing.backends import Backend

O_CLOEXEC = 0o2000000


def _pipe(backend: Backend) -> tuple[int, int]:
    return backend.os.pipe2(backend.os.O_NONBLOCK)


def test_new_fds_get_the_lowest_free_number(backend: Backend) -> None:
    os = backend.os
    a, _b = _pipe(backend)
    c, _d = _pipe(backend)
    os.close(a)
    os.close(c)
    e = os.eventfd(0)
    assert e == min(a, c)
    f = os.eventfd(0)
    assert f == max(a, c)


def test_dup_returns_the_lowest_free_number(backend: Backend) -> None:
    os = backend.os
    r, _w = _pipe(backend)
    _x, y = _pipe(backend)
    os.close(r)
    assert os.dup(y) == r


def test_dup_shares_the_open_file_description(backend: Backend) -> None:
    os = backend.os
    r, w = _pipe(backend)
    w2 = os.dup(w)
    os.write(w2, b"via dup")
    assert os.read(r, 100) == b"via dup"
    os.set_blocking(w2, True)
    assert os.get_blocking(w) is True  # O_NONBLOCK lives in the description


def test_dup_is_not_inheritable_in_cpython(backend: Backend) -> None:
    os, fcntl = backend.os, backend.fcntl
    r, _w = os.pipe2(0)
    assert os.get_inheritable(r) is True
    d = os.dup(r)
    assert os.get_inheritable(d) is False
    assert fcntl.fcntl(d, fcntl.F_GETFD) == fcntl.FD_CLOEXEC


def test_raw_dup_is_inheritable(backend: Backend) -> None:
    os, fcntl, sys = backend.os, backend.fcntl, backend.sys
    r, _w = os.pipe()
    d = sys.dup(r)
    assert fcntl.fcntl(d, fcntl.F_GETFD) == 0


def test_dup2_is_inheritable_by_default(backend: Backend) -> None:
    os = backend.os
    r, _w = os.pipe()
    x, _y = os.pipe()
    os.close(x)
    assert os.dup2(r, x) == x
    assert os.get_inheritable(x) is True


def test_dup2_inheritable_false_sets_cloexec(backend: Backend) -> None:
    os, fcntl = backend.os, backend.fcntl
    r, _w = os.pipe2(0)
    x, _y = os.pipe2(0)
    assert os.dup2(r, x, inheritable=False) == x
    assert os.get_inheritable(x) is False
    assert fcntl.fcntl(x, fcntl.F_GETFD) == fcntl.FD_CLOEXEC


def test_dup2_onto_itself_returns_it_and_keeps_its_flag(backend: Backend) -> None:
    os = backend.os
    r, _w = os.pipe()  # close-on-exec
    assert os.dup2(r, r) == r
    assert os.get_inheritable(r) is False


def test_dup2_onto_itself_non_inheritable_is_einval(backend: Backend) -> None:
    # CPython uses dup3(fd, fd, O_CLOEXEC) for inheritable=False.
    os = backend.os
    r, _w = os.pipe()
    with pytest.raises(OSError) as info:
        os.dup2(r, r, inheritable=False)
    assert info.value.errno == errno.EINVAL


def test_dup2_of_a_closed_fd_onto_itself_is_ebadf(backend: Backend) -> None:
    os = backend.os
    r, _w = os.pipe()
    os.close(r)
    with pytest.raises(OSError) as info:
        os.dup2(r, r)
    assert info.value.errno == errno.EBADF


def test_dup2_onto_an_open_fd_closes_it_silently(backend: Backend) -> None:
    os = backend.os
    r1, w1 = _pipe(backend)
    r2, w2 = _pipe(backend)
    assert os.dup2(w1, w2) == w2
    # The second pipe's only write end is gone: its reader sees EOF.
    assert os.read(r2, 1) == b""
    os.write(w2, b"to pipe 1")
    assert os.read(r1, 100) == b"to pipe 1"


def test_dup2_onto_the_last_reference_drops_its_epoll_registrations(backend: Backend) -> None:
    os, select = backend.os, backend.select
    efd = os.eventfd(1, os.EFD_NONBLOCK)
    r, w = _pipe(backend)
    ep = select.epoll()
    ep.register(efd, select.EPOLLIN)
    assert ep.poll(0) == [(efd, select.EPOLLIN)]
    os.dup2(r, efd)  # the eventfd's last reference goes
    assert ep.poll(0) == []
    os.write(w, b"x")  # efd now names the pipe's read end, which was never added
    assert ep.poll(0) == []
    with pytest.raises(FileNotFoundError) as info:
        ep.unregister(efd)
    assert info.value.errno == errno.ENOENT


def test_dup2_onto_a_registered_fd_with_another_reference_keeps_reporting(backend: Backend) -> None:
    os, select = backend.os, backend.select
    efd = os.eventfd(0, os.EFD_NONBLOCK)
    keep = os.dup(efd)
    r, _w = _pipe(backend)
    ep = select.epoll()
    ep.register(efd, select.EPOLLIN)
    os.dup2(r, efd)
    os.eventfd_write(keep, 1)
    assert ep.poll(0) == [(efd, select.EPOLLIN)]  # the old number, the old file


def test_dup2_rejects_bad_target_numbers(backend: Backend) -> None:
    os = backend.os
    r, _w = os.pipe()
    for target in (-1, 1 << 30):
        with pytest.raises(OSError) as info:
            os.dup2(r, target)
        assert info.value.errno == errno.EBADF
    with pytest.raises(OverflowError) as over:
        os.dup2(r, 1 << 31)
    assert str(over.value) == "Python int too large to convert to C int"


def test_raw_dup3_rules(backend: Backend) -> None:
    os, fcntl, sys = backend.os, backend.fcntl, backend.sys
    r, _w = os.pipe()
    x, _y = os.pipe()
    for args in ((r, r, 0), (r, x, 1), (r, x, 0o4000)):
        with pytest.raises(OSError) as info:
            sys.dup3(*args)
        assert info.value.errno == errno.EINVAL
    assert sys.dup3(r, x, 0) == x
    assert fcntl.fcntl(x, fcntl.F_GETFD) == 0
    assert sys.dup3(r, x, O_CLOEXEC) == x
    assert fcntl.fcntl(x, fcntl.F_GETFD) == fcntl.FD_CLOEXEC


def test_raw_dup2_onto_itself_returns_it(backend: Backend) -> None:
    os, sys = backend.os, backend.sys
    r, _w = os.pipe()
    assert sys.dup2(r, r) == r
    os.close(r)
    with pytest.raises(OSError) as info:
        sys.dup2(r, r)
    assert info.value.errno == errno.EBADF


def test_close_twice_is_ebadf(backend: Backend) -> None:
    os = backend.os
    r, _w = os.pipe()
    os.close(r)
    with pytest.raises(OSError) as info:
        os.close(r)
    assert info.value.errno == errno.EBADF
    assert info.value.strerror == "Bad file descriptor"


@pytest.mark.parametrize("call", ["read", "write", "fstat", "dup", "get_blocking", "get_inheritable"])
def test_calls_on_a_closed_fd_are_ebadf(backend: Backend, call: str) -> None:
    os = backend.os
    _r, w = os.pipe()
    os.close(w)
    fd = w
    thunk = {
        "read": lambda: os.read(fd, 1),
        "write": lambda: os.write(fd, b"x"),
        "fstat": lambda: os.fstat(fd),
        "dup": lambda: os.dup(fd),
        "get_blocking": lambda: os.get_blocking(fd),
        "get_inheritable": lambda: os.get_inheritable(fd),
    }[call]
    with pytest.raises(OSError) as info:
        thunk()
    assert info.value.errno == errno.EBADF


def test_negative_fds_are_ebadf(backend: Backend) -> None:
    os = backend.os
    for thunk in (lambda: os.close(-1), lambda: os.dup(-1), lambda: os.fstat(-1), lambda: os.read(-1, 1)):
        with pytest.raises(OSError) as info:
            thunk()
        assert info.value.errno == errno.EBADF


def test_a_closed_number_is_reused_for_a_different_file(backend: Backend) -> None:
    os, _select = backend.os, backend.select
    r, _w = _pipe(backend)
    os.close(r)
    efd = os.eventfd(7, os.EFD_NONBLOCK)
    assert efd == r
    assert os.eventfd_read(efd) == 7


def test_epoll_registration_dies_with_the_file_not_the_number(backend: Backend) -> None:
    # epoll-shim remove_closed_when_same_fd_open / add_different_file_with_same_fd_value.
    os, select = backend.os, backend.select
    r, w = _pipe(backend)
    ep = select.epoll()
    ep.register(r, select.EPOLLIN)
    os.close(r)
    os.close(w)
    with pytest.raises(OSError) as info:
        ep.unregister(r)
    assert info.value.errno == errno.EBADF
    r2, w2 = _pipe(backend)
    assert (r2, w2) == (r, w)
    with pytest.raises(FileNotFoundError):
        ep.unregister(r2)
    ep.register(r2, select.EPOLLIN)
    os.write(w2, b"x")
    assert ep.poll(0) == [(r2, select.EPOLLIN)]


def test_fds_of_every_kind_share_one_numbering(backend: Backend) -> None:
    os, select, socket = backend.os, backend.select, backend.socket
    r, w = _pipe(backend)
    ep = select.epoll()
    a, b = socket.socketpair()
    efd = os.eventfd(0)
    fds = [r, w, ep.fileno(), a.fileno(), b.fileno(), efd]
    assert len(set(fds)) == len(fds)
    os.close(r)
    os.close(efd)
    assert os.dup(w) == min(r, efd)
