"""The socket module's functions: address text (inet_*), byte order, getaddrinfo/getnameinfo on
loopback and numeric hosts, services, gethostby*, with CPython's exact results and errors.

Only lookups that do not depend on the machine's /etc/hosts beyond ``127.0.0.1 localhost`` are
compared here; the model's own hosts are tested in tests/unit/test_resolver.py.
"""
from __future__ import annotations

import errno
import sys
from typing import Any

import pytest
from contract_helpers import Index, raises_exactly

from epollsim.testing.backends import Backend

# -- inet_pton / inet_ntop / inet_aton / inet_ntoa ---------------------------------------------

PTON4 = ["1.2.3.4", "0.0.0.0", "255.255.255.255", "01.2.3.4", "1.2.3", "1.2.3.4 ", "256.1.1.1",
         "0x1.2.3.4", "", "1.2.3.04", "1..2.3", "1.2.3.4.", "1.2.3.4.5", " 1.2.3.4", "١.2.3.4"]
PTON6 = ["::", "::1", "1::", "1:2:3:4:5:6:7:8", "1:2:3:4:5:6:7:8:9", "::ffff:1.2.3.4", "::1.2.3.4",
         "1::2::3", ":1::", "1::2:", "fe80::1%lo", "12345::", "0:0:0:0:0:0:0:0", "::0001", "::00001",
         "1:2:3:4:5:6:1.2.3.4", "1:2:3:4:5:6:7:1.2.3.4", "::1.2.3.04", "ABCD::", "1:2:3:4:5:6:7::",
         "::1:2:3:4:5:6:7", "::1:2:3:4:5:6:7:8", "1:2:3:4:5:6:7:8::", ":::", "g::", "::ffff:1.2.3"]
ATON = ["1.2.3.4", "127.1", "1", "0x7f.1", "0377.0.0.1", "1.2.3.4 junk", "1.2.3.4\tx", "256.0.0.1",
        "1.2.3.4.5", "", " 1.2.3.4", "4294967295", "4294967296", "1.16777215", "1.16777216", "09.1.1.1",
        "0x", "1.2.3.", "1.65535.1", "1.2.65535", "1.2.65536", "0X1F.0", "1.2.3.4x", "+1.2.3.4"]
PACKED6 = [bytes(16), bytes(15) + b"\1", bytes(10) + b"\xff\xff\1\2\3\4", bytes(12) + b"\1\2\3\4",
           b"\1" + bytes(15), b"\0\1" + bytes(12) + b"\0\1", bytes(range(16)), b"\0\1\0\0\0\1" + bytes(10),
           bytes(11) + b"\1\1\2\3\4", bytes(12) + b"\0\0\0\2", bytes(8) + b"\0\0\xff\xff\1\2\3\4",
           b"\0\1\0\0\0\0\0\1\0\0\0\0\0\0\0\1", b"\xfe\x80" + bytes(13) + b"\1"]


def _outcome(call: Any, *args: Any) -> Any:
    try:
        return ("ok", call(*args))
    except Exception as exc:  # noqa: BLE001 - the outcome is compared whole
        return (type(exc).__name__, str(exc))


@pytest.mark.parametrize("text", PTON4)
def test_inet_pton_ipv4(backend: Backend, text: str) -> None:
    expected = {"1.2.3.4": b"\1\2\3\4", "0.0.0.0": bytes(4), "255.255.255.255": b"\xff" * 4}
    got = _outcome(backend.socket.inet_pton, backend.socket.AF_INET, text)
    if text in expected:
        assert got == ("ok", expected[text])
    else:
        assert got == ("OSError", "illegal IP address string passed to inet_pton")


@pytest.mark.parametrize("text", PTON6)
def test_inet_pton_ipv6_matches_glibc(backend: Backend, text: str) -> None:
    import socket as real

    assert _outcome(backend.socket.inet_pton, backend.socket.AF_INET6, text) == _outcome(
        real.inet_pton, real.AF_INET6, text
    )


def test_inet_pton_ipv6_results(backend: Backend) -> None:
    s = backend.socket
    assert s.inet_pton(s.AF_INET6, "::ffff:1.2.3.4") == bytes(10) + b"\xff\xff\1\2\3\4"
    assert s.inet_pton(s.AF_INET6, "1:2:3:4:5:6:7::") == bytes.fromhex("0001000200030004000500060007 0000")
    raises_exactly(OSError, "illegal IP address string passed to inet_pton", s.inet_pton, s.AF_INET6, "1::2::3")


def test_inet_pton_argument_errors(backend: Backend) -> None:
    s = backend.socket
    err = raises_exactly(OSError, "[Errno 97] Address family not supported by protocol", s.inet_pton, 99, "1.2.3.4")
    assert isinstance(err, OSError) and err.errno == errno.EAFNOSUPPORT
    raises_exactly(TypeError, "inet_pton() argument 2 must be str, not bytes", s.inet_pton, s.AF_INET, b"1.2.3.4")
    raises_exactly(TypeError, "'str' object cannot be interpreted as an integer", s.inet_pton, "x", "1")
    raises_exactly(ValueError, "embedded null character", s.inet_pton, s.AF_INET, "1.2.3.4\0")


@pytest.mark.parametrize("packed", PACKED6)
def test_inet_ntop_ipv6_matches_glibc(backend: Backend, packed: bytes) -> None:
    import socket as real

    assert backend.socket.inet_ntop(backend.socket.AF_INET6, packed) == real.inet_ntop(real.AF_INET6, packed)


def test_inet_ntop_results_and_errors(backend: Backend) -> None:
    s = backend.socket
    assert s.inet_ntop(s.AF_INET6, bytes(10) + b"\xff\xff\1\2\3\4") == "::ffff:1.2.3.4"
    assert s.inet_ntop(s.AF_INET6, b"\0\1\0\0\0\1" + bytes(10)) == "1:0:1::"
    assert s.inet_ntop(s.AF_INET6, bytes(12) + b"\0\0\0\2") == "::2"
    assert s.inet_ntop(s.AF_INET, bytearray(b"abcd")) == "97.98.99.100"
    raises_exactly(ValueError, "invalid length of packed IP address string", s.inet_ntop, s.AF_INET, b"\1\2\3")
    raises_exactly(ValueError, "invalid length of packed IP address string", s.inet_ntop, s.AF_INET6, b"\1\2\3")
    raises_exactly(ValueError, "unknown address family 99", s.inet_ntop, 99, b"\1\2\3\4")
    raises_exactly(TypeError, "a bytes-like object is required, not 'str'", s.inet_ntop, s.AF_INET, "abcd")


@pytest.mark.parametrize("text", ATON)
def test_inet_aton_matches_glibc(backend: Backend, text: str) -> None:
    import socket as real

    assert _outcome(backend.socket.inet_aton, text) == _outcome(real.inet_aton, text)


def test_inet_aton_forms(backend: Backend) -> None:
    s = backend.socket
    assert s.inet_aton("127.1") == b"\x7f\0\0\1"
    assert s.inet_aton("0x7f.1") == b"\x7f\0\0\1"
    assert s.inet_aton("1.2.3.4 junk") == b"\1\2\3\4"
    raises_exactly(OSError, "illegal IP address string passed to inet_aton", s.inet_aton, "256.0.0.1")
    argument = "argument" if sys.version_info >= (3, 13) else "argument 1"  # 3.13: Argument Clinic
    raises_exactly(TypeError, f"inet_aton() {argument} must be str, not bytes", s.inet_aton, b"1.2.3.4")
    raises_exactly(ValueError, "embedded null character", s.inet_aton, "1.2.3.4\0")


def test_inet_ntoa(backend: Backend) -> None:
    s = backend.socket
    assert s.inet_ntoa(b"\1\2\3\4") == "1.2.3.4"
    assert s.inet_ntoa(bytearray(b"\1\2\3\4")) == "1.2.3.4"
    raises_exactly(OSError, "packed IP wrong length for inet_ntoa", s.inet_ntoa, b"\1\2\3")
    raises_exactly(TypeError, "a bytes-like object is required, not 'str'", s.inet_ntoa, "abcd")


# -- byte order -------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["htons", "ntohs"])
def test_16_bit_byte_order(backend: Backend, name: str) -> None:
    f = getattr(backend.socket, name)
    assert f(1) == 256 and f(0x1234) == 0x3412 and f(True) == 256 and f(Index(1)) == 256
    raises_exactly(OverflowError, f"{name}: can't convert negative Python int to C 16-bit unsigned integer", f, -1)
    raises_exactly(OverflowError, f"{name}: Python int too large to convert to C 16-bit unsigned integer", f, 65536)
    if sys.version_info >= (3, 13):  # Argument Clinic's int converter: one message
        raises_exactly(OverflowError, "Python int too large to convert to C int", f, 2**32)
        raises_exactly(OverflowError, "Python int too large to convert to C int", f, -(2**64))
    else:
        raises_exactly(OverflowError, "signed integer is greater than maximum", f, 2**32)
        raises_exactly(OverflowError, "Python int too large to convert to C long", f, 2**64)
    raises_exactly(TypeError, "'float' object cannot be interpreted as an integer", f, 1.5)


@pytest.mark.parametrize("name", ["htonl", "ntohl"])
def test_32_bit_byte_order(backend: Backend, name: str) -> None:
    f = getattr(backend.socket, name)
    assert f(1) == 1 << 24 and f(0x12345678) == 0x78563412 and f(True) == 1 << 24
    raises_exactly(OverflowError, "can't convert negative value to unsigned int", f, -1)
    raises_exactly(OverflowError, "int larger than 32 bits", f, 2**32)
    raises_exactly(OverflowError, "Python int too large to convert to C unsigned long", f, 2**64)
    raises_exactly(TypeError, "expected int, float found", f, 1.5)
    raises_exactly(TypeError, "expected int, Index found", f, Index(1))


# -- getaddrinfo --------------------------------------------------------------------------------


def _gai(backend: Backend, *args: Any, **kwargs: Any) -> list[Any]:
    return backend.socket.getaddrinfo(*args, **kwargs)


def test_getaddrinfo_numeric_ipv4_gives_stream_dgram_raw(backend: Backend) -> None:
    s = backend.socket
    assert _gai(backend, "127.0.0.1", 80) == [
        (s.AddressFamily.AF_INET, s.SocketKind.SOCK_STREAM, 6, "", ("127.0.0.1", 80)),
        (s.AddressFamily.AF_INET, s.SocketKind.SOCK_DGRAM, 17, "", ("127.0.0.1", 80)),
        (s.AddressFamily.AF_INET, s.SocketKind.SOCK_RAW, 0, "", ("127.0.0.1", 80)),
    ]
    first = _gai(backend, "127.0.0.1", 80)[0]
    assert first[0] is s.AddressFamily.AF_INET and first[1] is s.SocketKind.SOCK_STREAM


def test_getaddrinfo_numeric_ipv6(backend: Backend) -> None:
    s = backend.socket
    assert _gai(backend, "::1", 5000, type=s.SOCK_DGRAM) == [
        (s.AddressFamily.AF_INET6, s.SocketKind.SOCK_DGRAM, 17, "", ("::1", 5000, 0, 0))
    ]
    assert _gai(backend, "fe80::1%1", 80, s.AF_INET6, s.SOCK_STREAM)[0][4] == ("fe80::1", 80, 0, 1)
    assert _gai(backend, "fe80::1%lo", 80, s.AF_INET6, s.SOCK_STREAM)[0][4] == ("fe80::1", 80, 0, 1)
    assert _gai(backend, "::ffff:127.0.0.1", 80, s.AF_INET6, s.SOCK_STREAM)[0][4] == ("::ffff:127.0.0.1", 80, 0, 0)
    assert _gai(backend, "::ffff:1.2.3.4", 80, s.AF_INET, s.SOCK_STREAM, 0, s.AI_CANONNAME)[0][3:] == (
        "::ffff:1.2.3.4", ("1.2.3.4", 80))
    assert _gai(backend, "127.0.0.1", 80, s.AF_INET6, s.SOCK_STREAM, 0, s.AI_V4MAPPED)[0][4] == (
        "::ffff:127.0.0.1", 80, 0, 0)


def test_getaddrinfo_localhost_ipv4(backend: Backend) -> None:
    s = backend.socket
    assert _gai(backend, "localhost", 80, s.AF_INET, s.SOCK_STREAM) == [
        (s.AddressFamily.AF_INET, s.SocketKind.SOCK_STREAM, 6, "", ("127.0.0.1", 80))
    ]
    assert _gai(backend, "LOCALHOST", 0, s.AF_INET, s.SOCK_STREAM)[0][4] == ("127.0.0.1", 0)
    assert _gai(backend, "localhost", 80, s.AF_INET, s.SOCK_STREAM, 0, s.AI_CANONNAME)[0][3] == "localhost"
    assert _gai(backend, host="localhost", port=0, family=s.AF_INET, type=s.SOCK_STREAM)[0][4] == ("127.0.0.1", 0)


def test_getaddrinfo_without_host(backend: Backend) -> None:
    s = backend.socket
    loop = [(f, t) for f, t, *_ in _gai(backend, None, 80)]
    assert loop[0] == (s.AddressFamily.AF_INET6, s.SocketKind.SOCK_STREAM)
    assert [sa for *_, sa in _gai(backend, None, 80)] == [("::1", 80, 0, 0)] * 3 + [("127.0.0.1", 80)] * 3
    assert [sa for *_, sa in _gai(backend, None, 80, flags=s.AI_PASSIVE)] == [("0.0.0.0", 80)] * 3 + [
        ("::", 80, 0, 0)] * 3
    assert _gai(backend, None, 80, s.AF_INET6, s.SOCK_STREAM, 0, s.AI_PASSIVE)[0][4] == ("::", 80, 0, 0)
    assert _gai(backend, "*", "80", s.AF_INET, s.SOCK_STREAM)[0][4] == ("127.0.0.1", 80)


def test_getaddrinfo_ports_and_services(backend: Backend) -> None:
    s = backend.socket
    one = lambda port, **kw: _gai(backend, "127.0.0.1", port, s.AF_INET, s.SOCK_STREAM, **kw)[0][4][1]  # noqa: E731
    assert one(None) == 0 and one("") == 0 and one("*") == 0
    assert one(" 80") == 80 and one(b"80") == 80 and one("http") == 80
    assert one(70000) == 70000 & 0xFFFF  # strtoul, then htons
    assert [t for _, t, *_ in _gai(backend, "127.0.0.1", "http", s.AF_INET)] == [s.SocketKind.SOCK_STREAM]
    assert [t for _, t, *_ in _gai(backend, "127.0.0.1", "domain", s.AF_INET)] == [
        s.SocketKind.SOCK_STREAM, s.SocketKind.SOCK_DGRAM]
    assert _gai(backend, "127.0.0.1", 80, s.AF_INET, 0, 17)[0][1:3] == (s.SocketKind.SOCK_DGRAM, 17)
    assert _gai(backend, "127.0.0.1", None, s.AF_INET, s.SOCK_RAW, 99)[0][1:3] == (s.SocketKind.SOCK_RAW, 99)
    assert _gai(backend, "127.0.0.1", 0, s.AF_INET, s.SOCK_SEQPACKET)[0][1:3] == (s.SocketKind.SOCK_SEQPACKET, 132)


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (("nosuch.invalid", 80), -2, "Name or service not known"),
        (("", 80), -2, "Name or service not known"),
        ((None, None), -2, "Name or service not known"),
        (("localhost", 80, 0, 0, 0, 4), -2, "Name or service not known"),  # AI_NUMERICHOST
        (("127.0.0.1 ", 80, 2, 1), -2, "Name or service not known"),
        (("::1%lo", 80, 10, 1), -2, "Name or service not known"),
        (("127.0.0.1", "http", 2, 1, 0, 1024), -2, "Name or service not known"),  # AI_NUMERICSERV
        (("127.0.0.1", "nosuchsvc"), -8, "Servname not supported for ai_socktype"),
        (("127.0.0.1", 80, 2, 3), -8, "Servname not supported for ai_socktype"),  # SOCK_RAW + a port
        (("127.0.0.1", -1, 2, 1), -8, "Servname not supported for ai_socktype"),
        (("127.0.0.1", "http", 2, 2), -8, "Servname not supported for ai_socktype"),
        (("127.0.0.1", 80, 2, 0, 99), -8, "Servname not supported for ai_socktype"),
        (("127.0.0.1", 80, 2, 99), -7, "ai_socktype not supported"),
        (("127.0.0.1", 80, 2, 1, 17), -7, "ai_socktype not supported"),
        (("127.0.0.1", 80, 12345), -6, "ai_family not supported"),
        (("127.0.0.1", 80, 1), -6, "ai_family not supported"),
        (("127.0.0.1", 80, 10), -9, "Address family for hostname not supported"),
        (("::1", 80, 2), -9, "Address family for hostname not supported"),
        (("127.0.0.1", 80, 2, 0, 0, 0x10000), -1, "Bad value for ai_flags"),
        ((None, 80, 2, 0, 0, 2), -1, "Bad value for ai_flags"),  # AI_CANONNAME without a host
    ],
)
def test_getaddrinfo_errors(backend: Backend, args: tuple[Any, ...], code: int, message: str) -> None:
    err = raises_exactly(backend.socket.gaierror, f"[Errno {code}] {message}", backend.socket.getaddrinfo, *args)
    assert err.args == (code, message)


def test_getaddrinfo_argument_errors(backend: Backend) -> None:
    s = backend.socket
    raises_exactly(TypeError, "getaddrinfo() argument 1 must be string or None", s.getaddrinfo, 1, 80)
    raises_exactly(OSError, "Int or String expected", s.getaddrinfo, "127.0.0.1", 80.0)
    raises_exactly(OSError, "Int or String expected", s.getaddrinfo, "127.0.0.1", True)
    if sys.version_info >= (3, 12):  # the int goes on as its decimal string (gh-74895)
        raises_exactly(s.gaierror, "[Errno -8] Servname not supported for ai_socktype", s.getaddrinfo, "127.0.0.1", 2**70)
    else:
        raises_exactly(OverflowError, "Python int too large to convert to C long", s.getaddrinfo, "127.0.0.1", 2**70)
    raises_exactly(TypeError, "'str' object cannot be interpreted as an integer", s.getaddrinfo, "localhost", 0, "x")
    raises_exactly(OverflowError, "signed integer is greater than maximum", s.getaddrinfo, "localhost", 0, 2**31)


# -- getnameinfo, services, host names ----------------------------------------------------------


def test_getnameinfo(backend: Backend) -> None:
    s = backend.socket
    assert s.getnameinfo(("127.0.0.1", 80), 0) == ("localhost", "http")
    assert s.getnameinfo(("127.0.0.1", 80), s.NI_NUMERICHOST | s.NI_NUMERICSERV) == ("127.0.0.1", "80")
    assert s.getnameinfo(("127.0.0.1", 53), s.NI_DGRAM) == ("localhost", "domain")
    assert s.getnameinfo(("127.0.0.1", 80), s.NI_DGRAM) == ("localhost", "80")
    assert s.getnameinfo(("127.0.0.1", 12345), 0) == ("localhost", "12345")
    assert s.getnameinfo(("127.0.0.1", 70000), 0) == ("localhost", "4464")
    assert s.getnameinfo(("192.0.2.200", 80), 0) == ("192.0.2.200", "http")
    assert s.getnameinfo(("::1", 443, 0, 0), s.NI_NUMERICHOST) == ("::1", "https")


def test_getnameinfo_errors(backend: Backend) -> None:
    s = backend.socket
    raises_exactly(s.gaierror, "[Errno -1] Bad value for ai_flags", s.getnameinfo, ("127.0.0.1", 80), 99999)
    raises_exactly(s.gaierror, "[Errno -2] Name or service not known", s.getnameinfo, ("192.0.2.200", 80),
                   s.NI_NAMEREQD)
    raises_exactly(s.gaierror, "[Errno -2] Name or service not known", s.getnameinfo, ("localhost", 80), 0)
    raises_exactly(s.gaierror, "[Errno -8] Servname not supported for ai_socktype", s.getnameinfo,
                   ("127.0.0.1", -1), 0)
    raises_exactly(OSError, "IPv4 sockaddr must be 2 tuple", s.getnameinfo, ("127.0.0.1", 80, 0), 0)
    raises_exactly(TypeError, "getnameinfo() argument 1 must be a tuple", s.getnameinfo, "x", 0)
    raises_exactly(TypeError, "'str' object cannot be interpreted as an integer", s.getnameinfo, "x", "bad")
    for bad in ((1, 80), ("127.0.0.1",), (b"127.0.0.1", 80)):
        raises_exactly(TypeError, "getnameinfo(): illegal sockaddr argument", s.getnameinfo, bad, 0)
    raises_exactly(ValueError, "embedded null character", s.getnameinfo, ("a\0", 80), 0)
    raises_exactly(OverflowError, "getnameinfo(): flowinfo must be 0-1048575.", s.getnameinfo, ("::1", 80, 2**20), 0)
    raises_exactly(TypeError, "'str' object cannot be interpreted as an integer", s.getnameinfo, ("127.0.0.1", "80"), 0)


def test_services(backend: Backend) -> None:
    s = backend.socket
    assert s.getservbyname("http") == 80 and s.getservbyname("http", "tcp") == 80
    assert s.getservbyname("domain", "udp") == 53 and s.getservbyname("www") == 80
    assert s.getservbyport(80) == "http" and s.getservbyport(53, "udp") == "domain"
    raises_exactly(OSError, "service/proto not found", s.getservbyname, "http", "udp")
    raises_exactly(OSError, "service/proto not found", s.getservbyname, "nosuch")
    raises_exactly(TypeError, "getservbyname() argument 1 must be str, not bytes", s.getservbyname, b"http")
    raises_exactly(OSError, "port/proto not found", s.getservbyport, 80, "udp")
    raises_exactly(OSError, "port/proto not found", s.getservbyport, 7777)
    raises_exactly(OverflowError, "getservbyport: port must be 0-65535.", s.getservbyport, -1)
    raises_exactly(OverflowError, "getservbyport: port must be 0-65535.", s.getservbyport, 70000)
    assert s.getprotobyname("tcp") == 6 and s.getprotobyname("udp") == 17
    raises_exactly(OSError, "protocol not found", s.getprotobyname, "nosuch")


def test_gethostbyname_family(backend: Backend) -> None:
    s = backend.socket
    assert s.gethostbyname("localhost") == "127.0.0.1"
    assert s.gethostbyname(b"localhost") == "127.0.0.1"
    assert s.gethostbyname("") == "0.0.0.0"
    assert s.gethostbyname("<broadcast>") == "255.255.255.255"
    assert s.gethostbyname("127.1") == "127.0.0.1"
    assert s.gethostbyname_ex("localhost") == ("localhost", [], ["127.0.0.1"])
    assert s.gethostbyname_ex("127.0.0.1") == ("127.0.0.1", [], ["127.0.0.1"])
    assert s.gethostbyaddr("127.0.0.1") == ("localhost", [], ["127.0.0.1"])
    raises_exactly(s.gaierror, "[Errno -9] Address family for hostname not supported", s.gethostbyname, "::1")
    raises_exactly(s.gaierror, "[Errno -2] Name or service not known", s.gethostbyname, "nosuch.invalid")
    raises_exactly(s.herror, "[Errno 3] Unknown server error", s.gethostbyname_ex, "")
    raises_exactly(s.herror, "[Errno 1] Unknown host", s.gethostbyaddr, "<broadcast>")
    raises_exactly(OSError, "wildcard resolved to multiple address", s.gethostbyaddr, "")
    raises_exactly(TypeError, "gethostbyname() argument 1 must be str, bytes or bytearray, not int",
                   s.gethostbyname, 1)
    assert s.getfqdn("nosuch.invalid") == "nosuch.invalid"
    assert s.getfqdn("127.0.0.1") == "localhost"


def test_gethostname_is_a_name_getfqdn_resolves(backend: Backend) -> None:
    s = backend.socket
    name = s.gethostname()
    assert isinstance(name, str) and name
    assert isinstance(s.getfqdn(), str)
    assert s.has_ipv6 is True


# -- create_connection / create_server ------------------------------------------------------------


def test_create_server_and_create_connection(backend: Backend) -> None:
    s = backend.socket
    srv = s.create_server(("127.0.0.1", 0))
    assert srv.getsockopt(s.SOL_SOCKET, s.SO_REUSEADDR) == 1
    assert srv.getsockopt(s.SOL_SOCKET, s.SO_ACCEPTCONN) == 1
    cli = s.create_connection(srv.getsockname(), timeout=5, source_address=("127.0.0.1", 0))
    assert cli.gettimeout() == 5.0
    conn, addr = srv.accept()
    assert addr == cli.getsockname() and cli.getpeername() == srv.getsockname()
    conn.close()
    cli.close()
    err = raises_exactly(OSError, "[Errno 98] Address already in use (while attempting to bind on address "
                         f"{srv.getsockname()!r})", s.create_server, srv.getsockname())
    assert err.errno == errno.EADDRINUSE
    srv.close()


def test_create_connection_reports_the_last_error(backend: Backend) -> None:
    s = backend.socket
    probe = s.socket(s.AF_INET, s.SOCK_STREAM)
    probe.bind(("127.0.0.1", 0))
    port = probe.getsockname()[1]
    probe.close()
    with pytest.raises(ConnectionRefusedError):
        s.create_connection(("127.0.0.1", port))
    if sys.version_info < (3, 11):  # all_errors is new in 3.11
        with pytest.raises(TypeError, match="unexpected keyword argument 'all_errors'"):
            s.create_connection(("127.0.0.1", port), all_errors=True)
        return
    with pytest.raises(ExceptionGroup) as info:  # noqa: F821 - Python 3.11+
        s.create_connection(("127.0.0.1", port), all_errors=True)
    assert [type(e) for e in info.value.exceptions] == [ConnectionRefusedError]


def test_create_server_dualstack(backend: Backend) -> None:
    s = backend.socket
    assert s.has_dualstack_ipv6() is True
    srv = s.create_server(("", 0), family=s.AF_INET6, dualstack_ipv6=True)
    assert srv.getsockopt(s.IPPROTO_IPV6, s.IPV6_V6ONLY) == 0
    cli = s.create_connection(("127.0.0.1", srv.getsockname()[1]))
    conn, addr = srv.accept()
    assert addr[0] == "::ffff:127.0.0.1" and addr[1] == cli.getsockname()[1]
    conn.close()
    cli.close()
    only6 = s.create_server(("::1", 0), family=s.AF_INET6)
    assert only6.getsockopt(s.IPPROTO_IPV6, s.IPV6_V6ONLY) == 1
    with pytest.raises(ValueError, match="dualstack_ipv6 requires AF_INET6 family"):
        s.create_server(("", 0), dualstack_ipv6=True)
    srv.close()
    only6.close()
