"""Bad arguments found by the differential fuzzer (issue 13 items 4 and 5): CPython's conversions
and glibc's wrappers, on both backends.
"""
from __future__ import annotations

import sys

import pytest
from contract_helpers import raises_exactly

from epollsim.testing.backends import Backend

INT_TOO_LARGE = "Python int too large to convert to C int"


def test_set_blocking_converts_its_flag_as_the_python_version_does(backend: Backend) -> None:
    r, w = backend.os.pipe()
    if sys.version_info < (3, 12):  # bool(accept={int}): the int converter, before the fd is used
        raises_exactly(TypeError, "'NoneType' object cannot be interpreted as an integer",
                       backend.os.set_blocking, r, None)
        raises_exactly(TypeError, "'str' object cannot be interpreted as an integer", backend.os.set_blocking, -1, "x")
        raises_exactly(OverflowError, INT_TOO_LARGE, backend.os.set_blocking, r, 2**31)
        backend.os.set_blocking(r, 2)
        assert backend.os.get_blocking(r)
    else:  # any truth value
        backend.os.set_blocking(r, None)
        assert not backend.os.get_blocking(r)
        with pytest.raises(OSError) as info:
            backend.os.set_blocking(-1, "x")
        assert info.value.errno == 9


def test_set_inheritable_takes_a_c_int(backend: Backend) -> None:
    r, w = backend.os.pipe()
    raises_exactly(TypeError, "'NoneType' object cannot be interpreted as an integer",
                   backend.os.set_inheritable, r, None)
    raises_exactly(TypeError, "'str' object cannot be interpreted as an integer", backend.os.set_inheritable, -1, "x")
    raises_exactly(OverflowError, INT_TOO_LARGE, backend.os.set_inheritable, r, 2**70)
    backend.os.set_inheritable(r, 5)
    assert backend.os.get_inheritable(r)


def test_an_epoll_object_where_an_int_is_wanted_is_named_select_epoll(backend: Backend) -> None:
    ep = backend.select.epoll()
    message = "'select.epoll' object cannot be interpreted as an integer"
    raises_exactly(TypeError, message, backend.os.fstat, ep)
    raises_exactly(TypeError, message, backend.os.read, ep, 1)
    raises_exactly(TypeError, message, backend.os.write, ep, b"x")
    raises_exactly(TypeError, message, backend.os.set_blocking, ep, True)
    raises_exactly(TypeError, message, backend.socket.socket, backend.socket.AF_INET, ep)
    p = backend.select.poll()
    raises_exactly(TypeError, "'select.poll' object cannot be interpreted as an integer", backend.os.fstat, p)
    ep.close()


def test_socket_family_type_and_proto_are_c_ints(backend: Backend) -> None:
    S = backend.socket
    if sys.version_info >= (3, 11):
        raises_exactly(OverflowError, INT_TOO_LARGE, S.socket, S.AF_INET, 2**31)
        raises_exactly(OverflowError, INT_TOO_LARGE, S.socket, 2**31, S.SOCK_STREAM)
        raises_exactly(OverflowError, INT_TOO_LARGE, S.socket, S.AF_INET, S.SOCK_STREAM, -(2**31) - 1)
    else:
        raises_exactly(OverflowError, "signed integer is greater than maximum", S.socket, S.AF_INET, 2**31)


def test_socket_fileno_is_a_c_long_cast_to_int(backend: Backend) -> None:
    """PyLong_AsSocket_t: 2**31 wraps negative, 2**32 + n is fd n, past a C long overflows."""
    S = backend.socket
    raises_exactly(ValueError, "negative file descriptor", S.socket, S.AF_INET, S.SOCK_STREAM, 0, 2**31)
    raises_exactly(ValueError, "negative file descriptor", S.socket, S.AF_INET, S.SOCK_STREAM, 0, -5)
    raises_exactly(OverflowError, "Python int too large to convert to C long", S.socket, S.AF_INET, S.SOCK_STREAM, 0,
                   2**63)
    a, b = S.socketpair()
    wrapped = S.socket(S.AF_UNIX, S.SOCK_STREAM, 0, 2**32 + a.fileno())
    assert wrapped.fileno() == a.fileno()
    wrapped.detach()


@pytest.mark.parametrize("held", [b"", b"abc", b"1234567"])
def test_eventfd_read_of_a_pipe_holding_fewer_than_8_bytes_fails(backend: Backend, held: bytes) -> None:
    """glibc's eventfd_read is read(fd, 8) != 8 ? -1 : 0; the errno is whatever an earlier call
    left (stale), so only the type is compared; the bytes are consumed."""
    r, w = backend.os.pipe()
    backend.os.write(w, held)
    if not held:
        backend.os.close(w)  # end of file: a read of 0 bytes
    with pytest.raises(OSError) as info:
        backend.os.eventfd_read(r)
    assert type(info.value) is OSError
    backend.os.set_blocking(r, False)
    if held:
        with pytest.raises(BlockingIOError):
            backend.os.read(r, 10)


def test_eventfd_read_of_a_pipe_holding_8_bytes_is_their_value(backend: Backend) -> None:
    r, w = backend.os.pipe()
    backend.os.write(w, (258).to_bytes(8, "little") + b"rest")
    assert backend.os.eventfd_read(r) == 258
    assert backend.os.read(r, 10) == b"rest"
