"""select.epoll register/modify/unregister: the fd and mask conversions CPython applies and
how kernel errors surface (python-stdlib.md 1.1)."""
from __future__ import annotations

import errno
from typing import Any

import pytest
from contract_helpers import Index as _Index
from contract_helpers import raises_exactly as _raises

from epollsim.testing.backends import Backend


class _FileLike:
    def __init__(self, fd: int) -> None:
        self._fd = fd

    def fileno(self) -> int:
        return self._fd




def test_register_default_mask_is_in_pri_out(backend: Backend) -> None:
    select = backend.select
    r, w = backend.os.pipe()
    ep = select.epoll()
    ep.register(w)
    ep.register(r)
    backend.os.write(w, b"x")
    assert ep.poll(0) == [(w, select.EPOLLOUT), (r, select.EPOLLIN)]


def test_register_accepts_an_object_with_fileno(backend: Backend) -> None:
    select = backend.select
    _r, w = backend.os.pipe()
    ep = select.epoll()
    ep.register(_FileLike(w), select.EPOLLOUT)
    assert ep.poll(0) == [(w, select.EPOLLOUT)]
    ep.modify(_FileLike(w), select.EPOLLOUT | select.EPOLLWRNORM)
    assert ep.poll(0) == [(w, select.EPOLLOUT | select.EPOLLWRNORM)]
    ep.unregister(_FileLike(w))
    assert ep.poll(0) == []
    a, _b = backend.socket.socketpair()
    ep.register(a, select.EPOLLOUT)  # a socket object is file-like too
    assert ep.poll(0) == [(a.fileno(), select.EPOLLOUT)]


def test_negative_fd_is_value_error_before_any_syscall(backend: Backend) -> None:
    ep = backend.select.epoll()
    for fd in (-1, -5):
        msg = f"file descriptor cannot be a negative integer ({fd})"
        _raises(ValueError, msg, ep.register, fd)
        _raises(ValueError, msg, ep.modify, fd, 1)
        _raises(ValueError, msg, ep.unregister, fd)
        _raises(ValueError, msg, ep.register, _FileLike(fd))


def test_closed_socket_object_is_a_negative_fd(backend: Backend) -> None:
    ep = backend.select.epoll()
    a, _b = backend.socket.socketpair()
    a.close()
    _raises(ValueError, "file descriptor cannot be a negative integer (-1)", ep.register, a)


def test_fd_that_is_neither_int_nor_file_like_is_type_error(backend: Backend) -> None:
    ep = backend.select.epoll()
    msg = "argument must be an int, or have a fileno() method."
    for fd in ("x", 1.5, None, b"1"):
        _raises(TypeError, msg, ep.register, fd)
        _raises(TypeError, msg, ep.unregister, fd)


def test_fd_out_of_c_int_range_is_overflow_error(backend: Backend) -> None:
    ep = backend.select.epoll()
    for fd in (2**31, -(2**31) - 1):
        _raises(OverflowError, "Python int too large to convert to C int", ep.register, fd)


def test_true_is_fd_one(backend: Backend) -> None:
    """True converts to fd 1. What fd 1 is differs between the host and the model, so the
    test compares ``register(True)`` with ``register(1)`` instead of assuming an outcome."""
    ep = backend.select.epoll()

    def outcome(fd: Any) -> Any:
        try:
            ep.register(fd, 0)
        except OSError as e:
            return (type(e), e.errno)
        return "ok"

    first = outcome(True)
    second = outcome(1)
    if first == "ok":
        assert second == (FileExistsError, errno.EEXIST)  # the same key
        ep.unregister(True)
    else:
        assert second == first


def test_mask_is_truncated_to_32_bits(backend: Backend) -> None:
    os, select = backend.os, backend.select
    r, w = os.pipe()
    _r2, w2 = os.pipe()
    ep = select.epoll()
    ep.register(r, 2**32)  # stored as 0: only ERR and HUP
    ep.register(w2, 2**32 + 4)  # EPOLLOUT
    os.write(w, b"x")
    assert ep.poll(0) == [(w2, select.EPOLLOUT)]
    os.close(w)
    assert ep.poll(0) == [(w2, select.EPOLLOUT), (r, select.EPOLLHUP)]
    ep.modify(w2, 2**64 + 2**32 + 1)  # EPOLLIN: a write end never reports it
    ep.modify(r, 2**100 + 1)
    assert ep.poll(0) == [(r, select.EPOLLIN | select.EPOLLHUP)]


def test_mask_accepts_index_objects_and_rejects_others(backend: Backend) -> None:
    select = backend.select
    r, w = backend.os.pipe()
    ep = select.epoll()
    ep.register(w, _Index(select.EPOLLOUT))
    assert ep.poll(0) == [(w, select.EPOLLOUT)]
    for bad, name in ((1.0, "float"), ("1", "str"), (None, "NoneType")):
        msg = f"'{name}' object cannot be interpreted as an integer"
        _raises(TypeError, msg, ep.register, r, bad)
        _raises(TypeError, msg, ep.modify, w, bad)


def test_minus_one_mask_is_einval_because_it_includes_exclusive(backend: Backend) -> None:
    ep = backend.select.epoll()
    r, _ = backend.os.pipe()
    with pytest.raises(OSError) as info:
        ep.register(r, -1)
    assert type(info.value) is OSError
    assert info.value.errno == errno.EINVAL


def test_kernel_errors_map_to_oserror_subclasses(backend: Backend) -> None:
    os, select = backend.os, backend.select
    ep = select.epoll()
    r, w = os.pipe()
    ep.register(r, select.EPOLLIN)
    with pytest.raises(FileExistsError) as info:
        ep.register(r, select.EPOLLIN)
    assert info.value.errno == errno.EEXIST
    with pytest.raises(FileNotFoundError) as info:
        ep.modify(w, select.EPOLLOUT)
    assert info.value.errno == errno.ENOENT
    with pytest.raises(FileNotFoundError):
        ep.unregister(w)
    null = os.open("/dev/null", os.O_RDWR)
    with pytest.raises(PermissionError) as info:
        ep.register(null)
    assert info.value.errno == errno.EPERM
    with pytest.raises(PermissionError):
        ep.unregister(null)
    with pytest.raises(OSError) as info:
        ep.register(ep.fileno())
    assert type(info.value) is OSError and info.value.errno == errno.EINVAL


def test_fd_not_open_is_ebadf_for_register_and_unregister(backend: Backend) -> None:
    os = backend.os
    ep = backend.select.epoll()
    r, w = os.pipe()
    os.close(w)
    os.close(r)
    for call in (ep.register, ep.unregister, lambda fd: ep.modify(fd, 1)):
        with pytest.raises(OSError) as info:
            call(r)
        assert type(info.value) is OSError
        assert info.value.errno == errno.EBADF
        assert info.value.strerror == "Bad file descriptor"


def test_exclusive_rules_at_the_python_level(backend: Backend) -> None:
    select = backend.select
    ep = select.epoll()
    r, w = backend.os.pipe()
    with pytest.raises(OSError) as info:
        ep.register(r, select.EPOLLEXCLUSIVE | select.EPOLLONESHOT | select.EPOLLIN)
    assert info.value.errno == errno.EINVAL
    ep.register(r, select.EPOLLEXCLUSIVE | select.EPOLLIN)
    with pytest.raises(OSError) as info:
        ep.modify(r, select.EPOLLIN)
    assert info.value.errno == errno.EINVAL
    ep.unregister(r)
    backend.os.write(w, b"x")
    ep.register(r, select.EPOLLEXCLUSIVE | select.EPOLLIN | select.EPOLLET)
    assert ep.poll(0) == [(r, select.EPOLLIN)]


def test_fileno_method_results_are_checked(backend: Backend) -> None:
    ep = backend.select.epoll()

    class Returns:
        def __init__(self, value: Any) -> None:
            self.value = value

        def fileno(self) -> Any:
            return self.value

    class Raises:
        def fileno(self) -> int:
            raise RuntimeError("no fd")

    _raises(TypeError, "fileno() returned a non-integer", ep.register, Returns(1.0))
    _raises(TypeError, "fileno() returned a non-integer", ep.register, Returns("3"))
    _raises(OverflowError, "Python int too large to convert to C int", ep.register, Returns(2**31))
    _raises(ValueError, "file descriptor cannot be a negative integer (-7)", ep.register, Returns(-7))
    _raises(RuntimeError, "no fd", ep.register, Raises())
    _, w = backend.os.pipe()
    ep.register(Returns(w), backend.select.EPOLLOUT)
    assert ep.poll(0) == [(w, backend.select.EPOLLOUT)]


def test_another_epoll_object_is_file_like(backend: Backend) -> None:
    select = backend.select
    outer, inner = select.epoll(), select.epoll()
    _, w = backend.os.pipe()
    inner.register(w, select.EPOLLOUT)
    outer.register(inner, select.EPOLLIN)
    assert outer.poll(0) == [(inner.fileno(), select.EPOLLIN)]
    outer.unregister(inner)
    assert outer.poll(0) == []
