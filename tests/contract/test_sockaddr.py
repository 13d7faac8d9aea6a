"""Socket addresses as CPython converts them (getsockaddrarg, setipaddr, makesockaddr): the
accepted forms, the order of the checks, and every exception type and message, on both backends."""
from __future__ import annotations

import errno
from typing import Any

import pytest
from contract_helpers import Index, raises_exactly

from epollsim.testing.backends import Backend


def dgram(backend: Backend, family: Any = None) -> Any:
    s = backend.socket
    return s.socket(s.AF_INET if family is None else family, s.SOCK_DGRAM)


@pytest.mark.parametrize("method", ["bind", "connect", "connect_ex"])
def test_af_inet_address_must_be_a_tuple(backend: Backend, method: str) -> None:
    sock = dgram(backend)
    call = getattr(sock, method)
    raises_exactly(TypeError, f"{method}(): AF_INET address must be tuple, not str", call, "127.0.0.1")
    raises_exactly(TypeError, f"{method}(): AF_INET address must be tuple, not list", call, ["127.0.0.1", 1])
    raises_exactly(TypeError, "AF_INET address must be a pair (host, port)", call, ("127.0.0.1",))
    raises_exactly(TypeError, "AF_INET address must be a pair (host, port)", call, ("127.0.0.1", 1, 2))
    raises_exactly(OverflowError, f"{method}(): port must be 0-65535.", call, ("127.0.0.1", 65536))
    raises_exactly(OverflowError, f"{method}(): port must be 0-65535.", call, ("127.0.0.1", -1))
    raises_exactly(OverflowError, f"{method}(): port must be 0-65535.", call, ("127.0.0.1", 2**40))


def test_af_inet_host_and_port_types(backend: Backend) -> None:
    sock = dgram(backend)
    raises_exactly(TypeError, "str, bytes or bytearray expected, not int", sock.bind, (1, 2))
    raises_exactly(TypeError, "str, bytes or bytearray expected, not NoneType", sock.bind, (None, 2))
    raises_exactly(TypeError, "host name must not contain null character", sock.bind, ("a\0b", 0))
    raises_exactly(TypeError, "'str' object cannot be interpreted as an integer", sock.bind, ("127.0.0.1", "80"))
    raises_exactly(TypeError, "'float' object cannot be interpreted as an integer", sock.bind, ("127.0.0.1", 1.0))


def test_the_host_is_resolved_before_the_port_range_is_checked(backend: Backend) -> None:
    s = backend.socket
    sock = dgram(backend)
    raises_exactly(s.gaierror, "[Errno -2] Name or service not known", sock.bind, ("nosuch.invalid", 70000))
    raises_exactly(s.gaierror, "[Errno -9] Address family for hostname not supported", sock.bind, ("::1", 70000))
    raises_exactly(s.gaierror, "[Errno -2] Name or service not known", sock.bind, ("256.1.1.1", 0))


@pytest.mark.parametrize("host", ["127.0.0.1", b"127.0.0.1", bytearray(b"127.0.0.1"), "localhost", "127.1",
                                  "0x7f.0.0.1"])
def test_af_inet_host_forms(backend: Backend, host: Any) -> None:
    sock = dgram(backend)
    sock.bind((host, Index(0)))
    assert sock.getsockname()[0] == "127.0.0.1"


@pytest.mark.parametrize(("host", "expected"), [("", "0.0.0.0"), ("0.0.0.0", "0.0.0.0")])
def test_af_inet_wildcards(backend: Backend, host: str, expected: str) -> None:
    sock = dgram(backend)
    sock.bind((host, 0))
    assert sock.getsockname()[0] == expected


def test_broadcast_names(backend: Backend) -> None:
    sock = dgram(backend)
    for host in ("<broadcast>", "255.255.255.255"):
        with pytest.raises(PermissionError) as info:  # no SO_BROADCAST: EACCES, so the name converted
            sock.sendto(b"x", (host, 9))
        assert info.value.errno == errno.EACCES
    s6 = dgram(backend, backend.socket.AF_INET6)
    raises_exactly(OSError, "address family mismatched", s6.sendto, b"x", ("<broadcast>", 9))


def test_af_inet6_address_forms_and_errors(backend: Backend) -> None:
    s = backend.socket
    sock = dgram(backend, s.AF_INET6)
    raises_exactly(TypeError, "bind(): AF_INET6 address must be tuple, not str", sock.bind, "::1")
    msg = "AF_INET6 address must be a tuple (host, port[, flowinfo[, scopeid]])"
    raises_exactly(TypeError, msg, sock.bind, ("::1",))
    raises_exactly(TypeError, msg, sock.bind, ("::1", 0, 0, 0, 0))
    raises_exactly(OverflowError, "bind(): port must be 0-65535.", sock.bind, ("::1", 70000))
    raises_exactly(OverflowError, "bind(): flowinfo must be 0-1048575.", sock.bind, ("::1", 0, -1))
    raises_exactly(OverflowError, "bind(): flowinfo must be 0-1048575.", sock.bind, ("::1", 0, 1 << 20))
    raises_exactly(TypeError, "'float' object cannot be interpreted as an integer", sock.bind, ("::1", 0, 1.0))
    raises_exactly(s.gaierror, "[Errno -9] Address family for hostname not supported", sock.bind, ("127.0.0.1", 0))
    sock.bind(("::1", 0, 1 << 32, 0))  # "I" masks: 2**32 is a flowinfo of 0
    host, port, flowinfo, scope_id = sock.getsockname()
    assert (host, flowinfo, scope_id) == ("::1", 0, 0) and port > 0


def test_af_inet6_wildcard_and_mapped(backend: Backend) -> None:
    s = backend.socket
    a = dgram(backend, s.AF_INET6)
    a.bind(("", 0))
    assert a.getsockname()[0] == "::" and len(a.getsockname()) == 4
    b = dgram(backend, s.AF_INET6)
    b.bind(("::ffff:127.0.0.1", 0))
    assert b.getsockname()[0] == "::ffff:127.0.0.1"
    c = dgram(backend, s.AF_INET)
    c.bind(("127.0.0.1", 0))
    c.sendto(b"mapped", b.getsockname()[:2])
    data, addr = b.recvfrom(10)
    assert data == b"mapped" and addr == ("::ffff:127.0.0.1", c.getsockname()[1], 0, 0)


def test_sendto_argument_forms(backend: Backend) -> None:
    s = backend.socket
    a, b = dgram(backend), dgram(backend)
    a.bind(("127.0.0.1", 0))
    assert b.sendto(b"two", a.getsockname()) == 3
    assert b.sendto(bytearray(b"three"), 0, a.getsockname()) == 5
    assert b.sendto(memoryview(b"mv"), s.MSG_DONTWAIT, a.getsockname()) == 2
    assert [a.recv(10) for _ in range(3)] == [b"two", b"three", b"mv"]
    raises_exactly(TypeError, "sendto(): AF_INET address must be tuple, not str", b.sendto, b"x", "127.0.0.1")
    raises_exactly(TypeError, "a bytes-like object is required, not 'str'", b.sendto, "x", a.getsockname())


def test_getsockname_shapes(backend: Backend) -> None:
    s = backend.socket
    four = dgram(backend)
    assert four.getsockname() == ("0.0.0.0", 0)
    six = dgram(backend, s.AF_INET6)
    assert six.getsockname() == ("::", 0, 0, 0)
