"""CPython's select.epoll object: constructor, close/closed/fileno, fromfd and the context
manager (python-stdlib.md 1.1). Registration arguments: test_select_epoll_register.py."""
from __future__ import annotations

import errno
import gc
import pickle

import pytest
from contract_helpers import Index as _Index
from contract_helpers import raises_exactly as _raises

from epollsim.testing.backends import Backend

CLOSED = "I/O operation on closed epoll object"




# -- constructor ---------------------------------------------------------------


def test_sizehint_minus_one_or_positive_is_accepted(backend: Backend) -> None:
    select = backend.select
    for ep in (select.epoll(), select.epoll(-1), select.epoll(1), select.epoll(sizehint=0x7FFFFFFF)):
        assert ep.poll(0) == []


def test_sizehint_zero_or_below_minus_one_is_negative_sizehint(backend: Backend) -> None:
    for sizehint in (0, -2, -0x80000000):
        e = _raises(ValueError, "negative sizehint", backend.select.epoll, sizehint)
        assert e.args == ("negative sizehint",)
    _raises(ValueError, "negative sizehint", backend.select.epoll, 0, 1)  # checked before flags


def test_sizehint_and_flags_are_c_ints(backend: Backend) -> None:
    select = backend.select
    msg = "'float' object cannot be interpreted as an integer"
    _raises(TypeError, msg, select.epoll, 1.0)
    _raises(TypeError, msg, select.epoll, flags=1.0)
    _raises(OverflowError, "Python int too large to convert to C int", select.epoll, 2**31)
    _raises(OverflowError, "Python int too large to convert to C int", select.epoll, flags=2**31)
    select.epoll(_Index(3), _Index(0)).close()


def test_invalid_flags_is_an_oserror_without_errno(backend: Backend) -> None:
    select = backend.select
    for flags in (1, select.EPOLL_CLOEXEC | 1, -1):
        with pytest.raises(OSError) as info:
            select.epoll(flags=flags)
        assert type(info.value) is OSError
        assert info.value.args == ("invalid flags",)
        assert info.value.errno is None
    select.epoll(flags=0).close()
    select.epoll(flags=select.EPOLL_CLOEXEC).close()


def test_new_epoll_fd_is_not_inheritable(backend: Backend) -> None:
    select, os = backend.select, backend.os
    for ep in (select.epoll(), select.epoll(flags=0), select.epoll(flags=select.EPOLL_CLOEXEC)):
        assert os.get_inheritable(ep.fileno()) is False


def test_epoll_type_cannot_be_subclassed_or_pickled(backend: Backend) -> None:
    ep = backend.select.epoll()
    with pytest.raises(TypeError) as info:
        type("Sub", (type(ep),), {})
    assert str(info.value) == "type 'select.epoll' is not an acceptable base type"
    with pytest.raises(TypeError) as info:
        pickle.dumps(ep)
    assert str(info.value) == "cannot pickle 'select.epoll' object"


# -- close, closed, fileno, context manager ------------------------------------------------


def test_close_is_idempotent_and_sets_closed(backend: Backend) -> None:
    ep = backend.select.epoll()
    assert ep.closed is False
    fd = ep.fileno()
    assert ep.close() is None
    assert ep.closed is True
    assert ep.close() is None
    with pytest.raises(OSError) as info:
        backend.os.fstat(fd)
    assert info.value.errno == errno.EBADF


def test_close_never_raises_even_when_the_fd_is_already_closed(backend: Backend) -> None:
    ep = backend.select.epoll()
    backend.os.close(ep.fileno())
    assert ep.closed is False  # the object does not know
    assert ep.close() is None
    assert ep.closed is True


def test_every_method_of_a_closed_object_raises_value_error(backend: Backend) -> None:
    r, _ = backend.os.pipe()
    ep = backend.select.epoll()
    ep.close()
    _raises(ValueError, CLOSED, ep.fileno)
    _raises(ValueError, CLOSED, ep.poll)
    _raises(ValueError, CLOSED, ep.poll, 0)
    _raises(ValueError, CLOSED, ep.poll, "bad timeout")  # closed is checked before the timeout
    _raises(ValueError, CLOSED, ep.poll, 0, 0)  # and before maxevents' range
    _raises(ValueError, CLOSED, ep.register, r)
    _raises(ValueError, CLOSED, ep.modify, r, 1)
    _raises(ValueError, CLOSED, ep.unregister, r)
    _raises(ValueError, CLOSED, ep.__enter__)
    assert ep.__exit__(None, None, None) is None


def test_argument_conversion_comes_before_the_closed_check(backend: Backend) -> None:
    ep = backend.select.epoll()
    ep.close()
    msg = "'float' object cannot be interpreted as an integer"
    _raises(ValueError, "file descriptor cannot be a negative integer (-1)", ep.register, -1)
    _raises(TypeError, msg, ep.register, 0, 1.0)
    _raises(TypeError, msg, ep.poll, 0, 1.0)


def test_context_manager_returns_the_object_and_closes_it(backend: Backend) -> None:
    with backend.select.epoll() as ep:
        assert ep.closed is False
        fd = ep.fileno()
        assert ep.poll(0) == []
    assert ep.closed is True
    with pytest.raises(OSError):
        backend.os.fstat(fd)
    _raises(ValueError, CLOSED, ep.__enter__)


def test_context_manager_closes_on_exception(backend: Backend) -> None:
    with pytest.raises(KeyError), backend.select.epoll() as ep:
        raise KeyError("x")
    assert ep.closed is True


# -- fromfd ----------------------------------------------------------------------


def test_fromfd_wraps_an_existing_epoll(backend: Backend) -> None:
    os, select = backend.os, backend.select
    ep = select.epoll()
    r, w = os.pipe()
    ep.register(r, select.EPOLLIN)
    dup = os.dup(ep.fileno())
    other = type(ep).fromfd(dup)
    try:
        assert other.fileno() == dup
        assert other.closed is False
        os.write(w, b"x")
        assert other.poll(0) == [(r, select.EPOLLIN)]
        other.unregister(r)  # the same instance
        assert ep.poll(0) == []
    finally:
        other.close()
    with pytest.raises(OSError):
        os.fstat(dup)  # the wrapper owned the fd


def test_fromfd_minus_one_creates_a_new_epoll(backend: Backend) -> None:
    ep = backend.select.epoll()
    new = type(ep).fromfd(-1)
    try:
        assert new.fileno() >= 0
        assert new.fileno() != ep.fileno()
        assert backend.os.get_inheritable(new.fileno()) is False
        assert new.poll(0) == []
    finally:
        new.close()


def test_fromfd_other_negative_numbers_fail_with_oserror(backend: Backend) -> None:
    """CPython raises PyErr_SetFromErrno with nothing having set errno, so the real errno is
    whatever the thread's last failing call left (0 in a fresh thread); only the type is stable."""
    cls = type(backend.select.epoll())
    for fd in (-2, -5):
        with pytest.raises(OSError) as info:
            cls.fromfd(fd)
        assert type(info.value) is OSError


def test_fromfd_does_not_validate_the_fd(backend: Backend) -> None:
    os = backend.os
    r, w = os.pipe()
    cls = type(backend.select.epoll())
    wrapper = cls.fromfd(r)  # a pipe, not an epoll: accepted
    try:
        with pytest.raises(OSError) as info:
            wrapper.poll(0)
        assert info.value.errno == errno.EINVAL
        with pytest.raises(OSError) as info:
            wrapper.register(w)
        assert info.value.errno == errno.EINVAL
    finally:
        wrapper.close()
    with pytest.raises(OSError):
        os.fstat(r)
    _raises(TypeError, "'float' object cannot be interpreted as an integer", cls.fromfd, 1.0)


def test_dropping_an_epoll_object_closes_its_fd(backend: Backend) -> None:
    epoll_type = type(backend.select.epoll())  # the class itself: the real backend tracks calls
    ep = epoll_type()
    number = ep.fileno()
    del ep
    gc.collect()
    r, _ = backend.os.pipe()
    assert r == number  # the lowest free number again
