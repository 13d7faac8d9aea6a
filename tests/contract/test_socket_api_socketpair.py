"""socket.socketpair() and the raw socketpair(2): flags, and the errors in Linux's order
(net/socket.c __sys_socketpair, __sock_create; unix_create; inet_create; sock_no_socketpair).
"""
from __future__ import annotations

import errno

import pytest
from contract_helpers import AF_UNIX_STR, SOCK_STREAM_STR

from epollsim.testing.backends import Backend

AF_UNSPEC, AF_UNIX, AF_INET, AF_INET6 = 0, 1, 2, 10
SOCK_STREAM, SOCK_DGRAM, SOCK_RAW, SOCK_RDM, SOCK_SEQPACKET = 1, 2, 3, 4, 5
SOCK_NONBLOCK, SOCK_CLOEXEC = 0o4000, 0o2000000
IPPROTO_TCP, IPPROTO_UDP = 6, 17


def test_socketpair_defaults_to_unix_stream(backend: Backend) -> None:
    socket = backend.socket
    a, _ = socket.socketpair()
    assert (a.family, a.type, a.proto) == (socket.AF_UNIX, socket.SOCK_STREAM, 0)
    a2, _ = socket.socketpair(None)  # Lib/socket.py: None means AF_UNIX
    assert a2.family == socket.AF_UNIX


def test_socketpair_sock_nonblock_gives_timeout_zero_and_a_plain_type(backend: Backend) -> None:
    socket, os = backend.socket, backend.os
    a, b = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM | socket.SOCK_NONBLOCK)
    for s in (a, b):
        assert s.gettimeout() == 0.0
        assert s.getblocking() is False
        assert os.get_blocking(s.fileno()) is False
        assert s.type == socket.SOCK_STREAM  # the flag is masked off the type
        assert repr(s) == f"<socket.socket fd={s.fileno()}, family={AF_UNIX_STR}, type={SOCK_STREAM_STR}, proto=0>"
    with pytest.raises(BlockingIOError):
        a.recv(1)


def test_socketpair_protocol_may_be_pf_unix(backend: Backend) -> None:
    socket = backend.socket
    a, b = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM, socket.AF_UNIX)
    assert a.proto == 1  # what the caller passed, as CPython records it
    a.send(b"x")
    assert b.recv(1) == b"x"


def test_raw_socketpair_flags(backend: Backend) -> None:
    sys, os = backend.sys, backend.os
    a, b = sys.socketpair(AF_UNIX, SOCK_STREAM, 0)
    assert os.get_inheritable(a) is True  # the raw call: no SOCK_CLOEXEC unless asked
    assert os.get_blocking(b) is True
    c, d = sys.socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0)
    assert os.get_inheritable(c) is False and os.get_inheritable(d) is False
    assert os.get_blocking(c) is False and os.get_blocking(d) is False


def test_socketpair_af_inet_is_eopnotsupp(backend: Backend) -> None:
    socket = backend.socket
    for family in (socket.AF_INET, socket.AF_INET6):
        with pytest.raises(OSError) as info:
            socket.socketpair(family)
        assert info.value.errno == errno.EOPNOTSUPP
        assert info.value.strerror == "Operation not supported"
        assert type(info.value) is OSError


@pytest.mark.parametrize(
    "family,type,proto,code",
    [
        # __sys_socketpair: unknown flags first
        (AF_UNIX, SOCK_STREAM | 0x100, 0, errno.EINVAL),
        (99, SOCK_STREAM | 0x100, 0, errno.EINVAL),
        (AF_UNIX, -1, 0, errno.EINVAL),
        # __sock_create: the family's range, then the type's
        (99, SOCK_STREAM, 0, errno.EAFNOSUPPORT),
        (-1, SOCK_STREAM, 0, errno.EAFNOSUPPORT),
        (46, SOCK_STREAM, 0, errno.EAFNOSUPPORT),
        (AF_UNSPEC, 11, 0, errno.EINVAL),
        (AF_UNSPEC, SOCK_STREAM, 0, errno.EAFNOSUPPORT),
        (AF_UNIX, 15, 0, errno.EINVAL),
        # unix_create: the protocol, then the type
        (AF_UNIX, SOCK_STREAM, IPPROTO_TCP, errno.EPROTONOSUPPORT),
        (AF_UNIX, SOCK_STREAM, -1, errno.EPROTONOSUPPORT),
        (AF_UNIX, 0, IPPROTO_TCP, errno.EPROTONOSUPPORT),
        (AF_UNIX, 0, 0, errno.ESOCKTNOSUPPORT),
        (AF_UNIX, SOCK_RDM, 0, errno.ESOCKTNOSUPPORT),
        (AF_UNIX, 10, 0, errno.ESOCKTNOSUPPORT),
        # inet_create, then sock_no_socketpair
        (AF_INET, SOCK_STREAM, 0, errno.EOPNOTSUPP),
        (AF_INET, SOCK_STREAM, IPPROTO_TCP, errno.EOPNOTSUPP),
        (AF_INET, SOCK_DGRAM, 0, errno.EOPNOTSUPP),
        (AF_INET6, SOCK_DGRAM, IPPROTO_UDP, errno.EOPNOTSUPP),
        (AF_INET, SOCK_STREAM, -1, errno.EINVAL),
        (AF_INET, SOCK_STREAM, 263, errno.EINVAL),
        (AF_INET, SOCK_STREAM, IPPROTO_UDP, errno.EPROTONOSUPPORT),
        (AF_INET6, SOCK_DGRAM, IPPROTO_TCP, errno.EPROTONOSUPPORT),
        (AF_INET, SOCK_RAW, 0, errno.EPROTONOSUPPORT),
        (AF_INET, 0, 0, errno.ESOCKTNOSUPPORT),
        (AF_INET6, SOCK_RDM, 0, errno.ESOCKTNOSUPPORT),
        (AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0, errno.EOPNOTSUPP),
    ],
)
def test_raw_socketpair_errors(backend: Backend, family: int, type: int, proto: int, code: int) -> None:
    with pytest.raises(OSError) as info:
        backend.sys.socketpair(family, type, proto)
    assert info.value.errno == code


def test_socketpair_arguments_must_fit_a_c_int(backend: Backend) -> None:
    socket = backend.socket
    with pytest.raises(OverflowError, match=r"^signed integer is greater than maximum$"):
        socket.socketpair(2**40)
    with pytest.raises(TypeError, match=r"^'float' object cannot be interpreted as an integer$"):
        socket.socketpair(1.5)
    with pytest.raises(OverflowError, match=r"^signed integer is greater than maximum$"):
        socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM, 2**40)


def test_failed_socketpair_leaves_no_fds(backend: Backend) -> None:
    os = backend.os
    r, w = os.pipe()
    os.close(r)
    os.close(w)
    with pytest.raises(OSError):
        backend.sys.socketpair(AF_INET, SOCK_STREAM, 0)
    r2, w2 = os.pipe()
    assert (r2, w2) == (r, w)  # the lowest numbers are still free
