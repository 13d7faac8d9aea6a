"""The object select.poll() returns: register/modify/unregister/poll, POLLNVAL, and
CPython's conversions of masks and millisecond timeouts. Calls that could block on the host
always have a ready fd registered."""
from __future__ import annotations

import decimal
import errno
import pickle

import pytest
from contract_helpers import FLOAT_TIME_OVERFLOW, PYTIME_OVERFLOW
from contract_helpers import raises_exactly as _raises

from epollsim.testing.backends import Backend


class _FileLike:
    def __init__(self, fd: int) -> None:
        self._fd = fd

    def fileno(self) -> int:
        return self._fd


def test_register_modify_unregister_and_poll(backend: Backend) -> None:
    os, select = backend.os, backend.select
    r, w = os.pipe()
    p = select.poll()
    p.register(r, select.POLLIN)
    assert p.poll(0) == []
    os.write(w, b"x")
    assert p.poll(0) == [(r, select.POLLIN)]
    p.modify(r, select.POLLOUT)  # a read end is never writable
    assert p.poll(0) == []
    p.modify(r, select.POLLIN | select.POLLRDNORM)
    assert p.poll(0) == [(r, select.POLLIN | select.POLLRDNORM)]
    p.unregister(r)
    assert p.poll(0) == []


def test_results_follow_registration_order(backend: Backend) -> None:
    os, select = backend.os, backend.select
    r, w = os.pipe()
    os.write(w, b"x")
    p = select.poll()
    p.register(w, select.POLLOUT)
    p.register(r, select.POLLIN)
    assert p.poll(0) == [(w, select.POLLOUT), (r, select.POLLIN)]
    p.register(w, select.POLLOUT | select.POLLWRNORM)  # re-register: keeps its place
    assert p.poll(0) == [(w, select.POLLOUT | select.POLLWRNORM), (r, select.POLLIN)]
    p.unregister(w)
    p.register(w)  # default mask IN|PRI|OUT; now last
    assert p.poll(0) == [(r, select.POLLIN), (w, select.POLLOUT)]


def test_default_mask_is_in_pri_out(backend: Backend) -> None:
    os, select = backend.os, backend.select
    r, w = os.pipe()
    os.write(w, b"x")
    p = select.poll()
    p.register(r)
    p.register(w)
    assert p.poll(0) == [(r, select.POLLIN), (w, select.POLLOUT)]


def test_hangup_and_error_are_reported_even_when_not_requested(backend: Backend) -> None:
    os, select = backend.os, backend.select
    r, w = os.pipe()
    r2, w2 = os.pipe()
    p = select.poll()
    p.register(r, 0)
    p.register(w2, 0)
    assert p.poll(0) == []
    os.close(w)
    os.close(r2)
    assert p.poll(0) == [(r, select.POLLHUP), (w2, select.POLLERR)]
    p.modify(w2, select.POLLOUT)
    assert p.poll(0) == [(r, select.POLLHUP), (w2, select.POLLOUT | select.POLLERR)]


def test_closed_fd_reports_pollnval(backend: Backend) -> None:
    os, select = backend.os, backend.select
    r, w = os.pipe()
    p = select.poll()
    p.register(r, select.POLLIN)
    p.register(w, select.POLLOUT)
    os.close(r)
    assert p.poll(0) == [(r, select.POLLNVAL), (w, select.POLLOUT | select.POLLERR)]
    p.modify(r, 0)
    assert p.poll(0)[0] == (r, select.POLLNVAL)  # whatever the mask


def test_register_accepts_file_like_objects_and_true(backend: Backend) -> None:
    os, select = backend.os, backend.select
    _r, w = os.pipe()
    p = select.poll()
    p.register(_FileLike(w), select.POLLOUT)
    assert p.poll(0) == [(w, select.POLLOUT)]
    p.unregister(_FileLike(w))
    p.register(True, 0)  # fd 1, whatever it is: poll reports it under 1
    p.unregister(1)
    assert p.poll(0) == []


def test_negative_and_non_int_fds(backend: Backend) -> None:
    p = backend.select.poll()
    _raises(ValueError, "file descriptor cannot be a negative integer (-1)", p.register, -1)
    _raises(ValueError, "file descriptor cannot be a negative integer (-3)", p.modify, -3, 1)
    _raises(ValueError, "file descriptor cannot be a negative integer (-1)", p.unregister, -1)
    msg = "argument must be an int, or have a fileno() method."
    for fd in (1.5, "x", None):
        _raises(TypeError, msg, p.register, fd)
    _raises(OverflowError, "Python int too large to convert to C int", p.register, 2**31)


def test_mask_is_a_checked_unsigned_short(backend: Backend) -> None:
    r, _ = backend.os.pipe()
    p = backend.select.poll()
    for call in (p.register, p.modify):
        _raises(ValueError, "value must be positive", call, r, -1)
        _raises(OverflowError, "Python int too large for C unsigned short", call, r, 0x10000)
        _raises(OverflowError, "Python int too large to convert to C unsigned long", call, r, 2**64)
        for bad in (1.0, "1", None):
            _raises(TypeError, "an integer is required", call, r, bad)
    p.register(r, 0xFFFF)
    p.register(r, True)


def test_index_objects_are_not_masks(backend: Backend) -> None:
    class Index:
        def __index__(self) -> int:
            return 1

    r, _ = backend.os.pipe()
    _raises(TypeError, "an integer is required", backend.select.poll().register, r, Index())


def test_modify_of_an_unregistered_fd_is_file_not_found(backend: Backend) -> None:
    r, _ = backend.os.pipe()
    p = backend.select.poll()
    with pytest.raises(FileNotFoundError) as info:
        p.modify(r, 1)
    assert info.value.errno == errno.ENOENT
    assert info.value.args == (errno.ENOENT, "No such file or directory")
    _raises(ValueError, "value must be positive", p.modify, r, -1)  # the mask is converted first


def test_unregister_of_an_unregistered_fd_is_key_error(backend: Backend) -> None:
    r, _ = backend.os.pipe()
    p = backend.select.poll()
    with pytest.raises(KeyError) as info:
        p.unregister(r)
    assert info.value.args == (r,)
    p.register(r)
    p.unregister(r)
    with pytest.raises(KeyError):
        p.unregister(r)


def test_timeouts_in_milliseconds(backend: Backend) -> None:
    _, w = backend.os.pipe()
    p = backend.select.poll()
    p.register(w, backend.select.POLLOUT)
    out = [(w, backend.select.POLLOUT)]
    for timeout in (None, -1, -0.5, -1000, 0, 0.5, 1, 1.5, True, False, 0x7FFFFFFF):
        assert p.poll(timeout) == out


def test_short_timeouts_with_nothing_ready_return_empty(backend: Backend) -> None:
    r, _ = backend.os.pipe()
    p = backend.select.poll()
    p.register(r, backend.select.POLLIN)
    for timeout in (0, 0.0, 0.5, 1, 10, -0.0):
        assert p.poll(timeout) == []
    assert backend.select.poll().poll(0) == []  # nothing registered


def test_timeout_errors(backend: Backend) -> None:
    _, w = backend.os.pipe()
    p = backend.select.poll()
    p.register(w, backend.select.POLLOUT)
    for timeout in ("1", decimal.Decimal(1), b"1", [0]):
        _raises(TypeError, "timeout must be an integer or None", p.poll, timeout)
    _raises(ValueError, "Invalid value NaN (not a number)", p.poll, float("nan"))
    for timeout in (float("inf"), 1e300, float("-inf")):
        _raises(OverflowError, FLOAT_TIME_OVERFLOW, p.poll, timeout)
    for timeout in (2**31, 1e10, -(2**31) - 1):
        _raises(OverflowError, "timeout is too large", p.poll, timeout)
    for timeout in (2**63, 2**70, -(2**70)):
        _raises(OverflowError, PYTIME_OVERFLOW, p.poll, timeout)


def test_poll_objects_cannot_be_created_subclassed_or_pickled(backend: Backend) -> None:
    p = backend.select.poll()
    _raises(TypeError, "cannot create 'select.poll' instances", type(p))
    _raises(TypeError, "type 'select.poll' is not an acceptable base type", type, "Sub", (type(p),), {})
    _raises(TypeError, "cannot pickle 'select.poll' object", pickle.dumps, p)


def test_poll_on_an_eventfd(backend: Backend) -> None:
    os, select = backend.os, backend.select
    efd = os.eventfd(0)
    p = select.poll()
    p.register(efd, select.POLLIN | select.POLLOUT | select.POLLRDNORM | select.POLLWRNORM)
    assert p.poll(0) == [(efd, select.POLLOUT)]  # eventfd never sets RDNORM/WRNORM
    os.eventfd_write(efd, 1)
    assert p.poll(0) == [(efd, select.POLLIN | select.POLLOUT)]
