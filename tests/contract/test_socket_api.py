"""The socket object as Lib/socket.py and Modules/socketmodule.c make it, on socketpair ends:
identity, blocking mode and timeouts, lifetime (close, detach, dup, fromfd), socket options,
and the other calls asyncio's selector loop makes (python-stdlib.md 1.4).
"""
from __future__ import annotations

import errno
import gc
import stat
import sys
from typing import Any

import pytest
from contract_helpers import AF_UNIX_STR, FLOAT_TIME_OVERFLOW, PYTIME_OVERFLOW, SOCK_STREAM_STR

from epollsim.testing.backends import Backend


def closed_socket(backend: Backend) -> Any:
    s, _ = backend.socket.socketpair()
    s.close()
    return s


# -- identity ------------------------------------------------------------------------------


def test_fileno_is_an_open_socket_fd(backend: Backend) -> None:
    a, b = backend.socket.socketpair()
    assert isinstance(a.fileno(), int) and a.fileno() >= 0
    assert a.fileno() != b.fileno()
    assert stat.S_ISSOCK(backend.os.fstat(a.fileno()).st_mode)
    assert backend.os.fstat(a.fileno()).st_mode == stat.S_IFSOCK | 0o777


def test_family_type_and_proto_are_the_enums(backend: Backend) -> None:
    socket = backend.socket
    a, _ = socket.socketpair()
    assert a.family == socket.AF_UNIX and a.family is socket.AddressFamily.AF_UNIX
    assert a.type == socket.SOCK_STREAM and a.type is socket.SocketKind.SOCK_STREAM
    assert a.proto == 0
    assert repr(a.family) == "<AddressFamily.AF_UNIX: 1>"
    assert repr(a.type) == "<SocketKind.SOCK_STREAM: 1>"
    assert str(a.family) == AF_UNIX_STR  # IntEnum.__str__: "1" from 3.11, "AddressFamily.AF_UNIX" on 3.10
    assert isinstance(a, socket.socket)
    assert type(a).__name__ == "socket" and type(a).__module__ == "socket"


def test_repr_shows_fd_family_type_proto_then_closed(backend: Backend) -> None:
    a, _ = backend.socket.socketpair()
    fd = a.fileno()
    assert repr(a) == f"<socket.socket fd={fd}, family={AF_UNIX_STR}, type={SOCK_STREAM_STR}, proto=0>"
    a.close()
    assert repr(a) == f"<socket.socket [closed] fd=-1, family={AF_UNIX_STR}, type={SOCK_STREAM_STR}, proto=0>"


def test_getsockname_and_getpeername_of_unnamed_ends_are_empty(backend: Backend) -> None:
    a, _ = backend.socket.socketpair()
    assert a.getsockname() == ""
    assert a.getpeername() == ""


def test_exception_aliases(backend: Backend) -> None:
    socket = backend.socket
    assert socket.timeout is TimeoutError
    assert socket.error is OSError


# -- blocking mode and timeouts ---------------------------------------------------------------


def test_new_socketpair_is_blocking_with_no_timeout(backend: Backend) -> None:
    a, b = backend.socket.socketpair()
    for s in (a, b):
        assert s.gettimeout() is None
        assert s.timeout is None
        assert s.getblocking() is True
        assert backend.os.get_blocking(s.fileno()) is True


def test_setblocking_false_is_timeout_zero_and_o_nonblock(backend: Backend) -> None:
    a, _ = backend.socket.socketpair()
    assert a.setblocking(False) is None
    assert a.gettimeout() == 0.0
    assert a.getblocking() is False
    assert backend.os.get_blocking(a.fileno()) is False
    a.setblocking(True)
    assert a.gettimeout() is None
    assert backend.os.get_blocking(a.fileno()) is True


@pytest.mark.parametrize(
    "value,timeout,blocking,fd_blocking",
    [(0, 0.0, False, False), (0.0, 0.0, False, False), (5, 5.0, True, False),
     (2.5, 2.5, True, False), (True, 1.0, True, False), (None, None, True, True)],
)
def test_settimeout(backend: Backend, value: Any, timeout: Any, blocking: bool, fd_blocking: bool) -> None:
    a, _ = backend.socket.socketpair()
    a.settimeout(value)
    assert a.gettimeout() == timeout
    assert a.timeout == timeout  # the read-only attribute
    assert type(a.gettimeout()) is type(timeout)
    assert a.getblocking() is blocking
    assert backend.os.get_blocking(a.fileno()) is fd_blocking  # any timeout sets O_NONBLOCK


@pytest.mark.parametrize(
    "value,exc,message",
    [
        (-1, ValueError, "Timeout value out of range"),
        (-0.5, ValueError, "Timeout value out of range"),
        ("5", TypeError, "'str' object cannot be interpreted as an integer"),
        (float("nan"), ValueError, "Invalid value NaN (not a number)"),
        (float("inf"), OverflowError, FLOAT_TIME_OVERFLOW),
        (10**30, OverflowError, PYTIME_OVERFLOW),
    ],
)
def test_settimeout_errors(backend: Backend, value: Any, exc: type, message: str) -> None:
    a, _ = backend.socket.socketpair()
    with pytest.raises(exc) as info:
        a.settimeout(value)
    assert str(info.value) == message
    assert a.gettimeout() is None  # unchanged


@pytest.mark.skipif(sys.version_info >= (3, 12), reason="CPython 3.12 takes the flag's truth")
def test_setblocking_takes_an_integer(backend: Backend) -> None:
    a, _ = backend.socket.socketpair()
    with pytest.raises(TypeError, match=r"^'float' object cannot be interpreted as an integer$"):
        a.setblocking(0.5)
    with pytest.raises(TypeError, match=r"^'NoneType' object cannot be interpreted as an integer$"):
        a.setblocking(None)
    a.setblocking(0)
    assert a.gettimeout() == 0.0
    a.setblocking(2**40)
    assert a.gettimeout() is None


@pytest.mark.skipif(sys.version_info < (3, 12), reason="before 3.12 the flag is a C long")
def test_setblocking_takes_the_flags_truth(backend: Backend) -> None:
    a, _ = backend.socket.socketpair()
    for flag, blocking in ((0.5, True), (0.0, False), (None, False), ("x", True), (2**70, True), ([], False)):
        a.setblocking(flag)
        assert a.getblocking() is blocking, flag


def test_default_timeout_applies_to_new_sockets(backend: Backend) -> None:
    socket = backend.socket
    assert socket.getdefaulttimeout() is None
    socket.setdefaulttimeout(2.5)
    try:
        assert socket.getdefaulttimeout() == 2.5
        a, _ = socket.socketpair()
        assert a.gettimeout() == 2.5
        assert backend.os.get_blocking(a.fileno()) is False
        n, _ = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM | socket.SOCK_NONBLOCK)
        assert n.gettimeout() == 0.0  # SOCK_NONBLOCK wins over the default
    finally:
        socket.setdefaulttimeout(None)
    with pytest.raises(ValueError, match=r"^Timeout value out of range$"):
        socket.setdefaulttimeout(-1)


# -- lifetime ----------------------------------------------------------------------------------


def test_close_is_idempotent_and_sets_fileno_minus_one(backend: Backend) -> None:
    a, _ = backend.socket.socketpair()
    fd = a.fileno()
    a.close()
    a.close()
    assert a.fileno() == -1
    with pytest.raises(OSError) as info:
        backend.os.fstat(fd)
    assert info.value.errno == errno.EBADF


@pytest.mark.parametrize(
    "call",
    [
        lambda s: s.send(b"x"),
        lambda s: s.send(b""),
        lambda s: s.sendall(b"x"),
        lambda s: s.recv(1),
        lambda s: s.recv_into(bytearray(3)),
        lambda s: s.shutdown(0),
        lambda s: s.getsockopt(1, 4),
        lambda s: s.setblocking(False),
        lambda s: s.settimeout(1),
        lambda s: s.dup(),
        lambda s: s.get_inheritable(),
        lambda s: s.getsockname(),
    ],
    ids=["send", "send-empty", "sendall", "recv", "recv_into", "shutdown", "getsockopt",
         "setblocking", "settimeout", "dup", "get_inheritable", "getsockname"],
)
def test_calls_on_a_closed_socket_are_ebadf(backend: Backend, call: Any) -> None:
    s = closed_socket(backend)
    with pytest.raises(OSError) as info:
        call(s)
    assert info.value.errno == errno.EBADF
    assert info.value.strerror == "Bad file descriptor"


def test_a_closed_socket_still_answers_what_needs_no_fd(backend: Backend) -> None:
    socket = backend.socket
    s = closed_socket(backend)
    assert s.recv(0) == b""
    assert s.recv_into(bytearray(0)) == 0
    assert s.detach() == -1
    assert s.family == socket.AF_UNIX
    with pytest.raises(OSError):
        s.settimeout(3)
    assert s.gettimeout() == 3.0  # stored before the fd was touched
    assert s.getblocking() is True


def test_detach_returns_the_fd_which_stays_open(backend: Backend) -> None:
    os = backend.os
    a, b = backend.socket.socketpair()
    fd = a.fileno()
    assert a.detach() == fd
    assert a.fileno() == -1
    assert repr(a) == f"<socket.socket [closed] fd=-1, family={AF_UNIX_STR}, type={SOCK_STREAM_STR}, proto=0>"
    a.close()  # closes nothing
    assert os.write(fd, b"still here") == 10
    assert b.recv(100) == b"still here"
    os.close(fd)


def test_dup_shares_the_socket_and_copies_the_timeout(backend: Backend) -> None:
    os = backend.os
    a, b = backend.socket.socketpair()
    a.settimeout(4)
    d = a.dup()
    assert d.fileno() != a.fileno()
    assert (d.family, d.type, d.proto) == (a.family, a.type, a.proto)
    assert d.gettimeout() == 4.0
    assert os.get_inheritable(d.fileno()) is False
    a.close()
    d.send(b"via dup")
    assert b.recv(100) == b"via dup"
    d.close()
    assert b.recv(100) == b""  # the last reference went


def test_context_manager_closes(backend: Backend) -> None:
    a, _ = backend.socket.socketpair()
    with a as entered:
        assert entered is a
        assert a.fileno() >= 0
    assert a.fileno() == -1
    with a:  # entering a closed socket is fine, and leaving it closes nothing
        pass


def test_fromfd_duplicates_and_takes_the_given_identity(backend: Backend) -> None:
    socket, os = backend.socket, backend.os
    a, b = socket.socketpair()
    a.setblocking(False)
    f = socket.fromfd(a.fileno(), socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        assert f.fileno() not in (a.fileno(), -1)
        assert (f.family, f.type, f.proto) == (socket.AF_UNIX, socket.SOCK_STREAM, 0)
        assert os.get_inheritable(f.fileno()) is False
        assert f.gettimeout() is None  # the default, although the shared O_NONBLOCK stays set
        assert os.get_blocking(f.fileno()) is False
        f.send(b"x")
        assert b.recv(10) == b"x"
    finally:
        f.close()


def test_socket_from_a_fileno_finds_family_type_and_proto(backend: Backend) -> None:
    socket, os = backend.socket, backend.os
    a, _ = socket.socketpair()
    s = socket.socket(fileno=os.dup(a.fileno()))
    try:
        assert (s.family, s.type, s.proto) == (socket.AF_UNIX, socket.SOCK_STREAM, 0)
        assert s.gettimeout() is None
    finally:
        s.close()


def test_socket_from_a_bad_fileno(backend: Backend) -> None:
    socket, os = backend.socket, backend.os
    r, _ = os.pipe()
    with pytest.raises(OSError) as info:
        socket.socket(fileno=r)
    assert info.value.errno == errno.ENOTSOCK
    with pytest.raises(OSError) as info:
        socket.socket(socket.AF_UNIX, socket.SOCK_STREAM, 0, fileno=r)
    assert info.value.errno == errno.ENOTSOCK
    with pytest.raises(ValueError, match=r"^negative file descriptor$"):
        socket.socket(fileno=-1)


def test_socketpair_ends_are_not_inheritable(backend: Backend) -> None:
    a, b = backend.socket.socketpair()
    assert backend.os.get_inheritable(a.fileno()) is False
    assert b.get_inheritable() is False
    a.set_inheritable(True)
    assert a.get_inheritable() is True
    assert backend.os.get_inheritable(a.fileno()) is True


# -- socket options --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name,value",
    [("SO_TYPE", 1), ("SO_ERROR", 0), ("SO_SNDBUF", 212992), ("SO_RCVBUF", 212992),
     ("SO_DOMAIN", 1), ("SO_PROTOCOL", 0), ("SO_ACCEPTCONN", 0)],
)
def test_getsockopt(backend: Backend, name: str, value: int) -> None:
    socket = backend.socket
    a, _ = socket.socketpair()
    assert a.getsockopt(socket.SOL_SOCKET, getattr(socket, name)) == value


def test_getsockopt_with_a_buffer_length_returns_bytes(backend: Backend) -> None:
    socket = backend.socket
    a, _ = socket.socketpair()
    assert a.getsockopt(socket.SOL_SOCKET, socket.SO_TYPE, 4) == b"\x01\x00\x00\x00"
    assert a.getsockopt(socket.SOL_SOCKET, socket.SO_TYPE, 8) == b"\x01\x00\x00\x00"
    assert a.getsockopt(socket.SOL_SOCKET, socket.SO_TYPE, 1) == b"\x01"
    assert a.getsockopt(socket.SOL_SOCKET, socket.SO_TYPE, 0) == 1  # 0 means "an int"
    for bad in (-1, 1025):
        with pytest.raises(OSError) as info:
            a.getsockopt(socket.SOL_SOCKET, socket.SO_TYPE, bad)
        assert info.value.args == ("getsockopt buflen out of range",)


def test_getsockopt_errors(backend: Backend) -> None:
    socket = backend.socket
    a, _ = socket.socketpair()
    with pytest.raises(OSError) as info:
        a.getsockopt(6, 1)  # a TCP option: AF_UNIX has no protocol level
    assert info.value.errno == errno.EOPNOTSUPP
    with pytest.raises(OSError) as info:
        a.getsockopt(socket.SOL_SOCKET, 999)
    assert info.value.errno == errno.ENOPROTOOPT
    with pytest.raises(OverflowError, match=r"^signed integer is greater than maximum$"):
        a.getsockopt(socket.SOL_SOCKET, 2**40)
    with pytest.raises(TypeError, match=r"^'str' object cannot be interpreted as an integer$"):
        a.getsockopt(socket.SOL_SOCKET, "x")


# -- the rest of what asyncio calls ----------------------------------------------------------


def test_recvfrom_and_recvfrom_into_give_no_address(backend: Backend) -> None:
    a, b = backend.socket.socketpair()
    a.send(b"hello")
    assert b.recvfrom(3) == (b"hel", None)
    buf = bytearray(4)
    assert b.recvfrom_into(buf) == (2, None)
    assert buf == bytearray(b"lo\0\0")


def test_sendmsg_gathers_the_buffers(backend: Backend) -> None:
    a, b = backend.socket.socketpair()
    assert a.sendmsg([b"ab", bytearray(b"cd"), memoryview(b"ef")]) == 6
    assert b.recv(100) == b"abcdef"


def test_sendto_with_an_address_on_a_connected_socket_is_eisconn(backend: Backend) -> None:
    a, _ = backend.socket.socketpair()
    with pytest.raises(OSError) as info:
        a.sendto(b"x", b"\0some-abstract-name")
    assert info.value.errno == errno.EISCONN


def test_os_read_and_write_work_on_socket_fds(backend: Backend) -> None:
    os = backend.os
    a, b = backend.socket.socketpair()
    assert os.write(a.fileno(), b"raw") == 3
    assert os.read(b.fileno(), 100) == b"raw"
    assert os.read(b.fileno(), 0) == b""


def test_dropping_an_open_socket_warns_and_closes_its_fd(backend: Backend) -> None:
    a, b = backend.socket.socketpair()
    c, d = (type(a)(fileno=backend.os.dup(s.fileno())) for s in (a, b))  # untracked objects
    number = c.fileno()
    with pytest.warns(ResourceWarning, match="unclosed"):
        del c
        gc.collect()
    r, _ = backend.os.pipe()
    assert r == number
    d.close()
