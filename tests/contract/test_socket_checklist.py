"""Issue 4's list of socket methods, module functions, options and error classes, checked name by
name on both backends: each exists on the module and on a socket object, and one pass over a
loopback connection and a datagram exchange uses every one of them once, with the same results."""
from __future__ import annotations

import errno
import socket as real_socket
from typing import Any

import pytest

from epollsim.testing.backends import Backend

SOCKET_METHODS = [
    "bind", "listen", "accept", "connect", "connect_ex", "getsockname", "getpeername", "setsockopt",
    "getsockopt", "send", "sendall", "sendmsg", "sendto", "recv", "recv_into", "recvfrom", "recvmsg",
    "shutdown", "close", "settimeout", "gettimeout", "setblocking", "makefile", "dup", "detach", "fileno",
]
SOCKET_ATTRIBUTES = ["family", "type", "proto"]
MODULE_FUNCTIONS = [
    "socket", "socketpair", "create_connection", "create_server", "getaddrinfo", "getnameinfo",
    "gethostname", "inet_pton", "inet_ntop",
]
ERROR_CLASSES = ["error", "timeout", "herror", "gaierror"]
CONSTANTS = [
    "AF_INET", "AF_INET6", "AF_UNIX", "SOCK_STREAM", "SOCK_DGRAM", "SOCK_NONBLOCK", "SOCK_CLOEXEC",
    "SOL_SOCKET", "IPPROTO_TCP", "IPPROTO_IPV6", "SO_REUSEADDR", "SO_REUSEPORT", "SO_KEEPALIVE",
    "TCP_NODELAY", "SO_SNDBUF", "SO_RCVBUF", "SO_ERROR", "SO_TYPE", "SO_LINGER", "IPV6_V6ONLY",
    "SHUT_RD", "SHUT_WR", "SHUT_RDWR", "SOMAXCONN",
]


def test_every_named_function_constant_and_error_class_exists(backend: Backend) -> None:
    s = backend.socket
    for name in MODULE_FUNCTIONS:
        assert callable(getattr(s, name)), name
    for name in CONSTANTS:
        assert getattr(s, name) == getattr(real_socket, name), name
    for name in ERROR_CLASSES:
        assert getattr(s, name) is getattr(real_socket, name), name
    for family, kind in [(s.AF_INET, s.SOCK_STREAM), (s.AF_INET6, s.SOCK_DGRAM), (s.AF_UNIX, s.SOCK_STREAM)]:
        sock = s.socket(family, kind)
        for name in SOCKET_METHODS:
            assert callable(getattr(sock, name)), name
        assert (sock.family, sock.type, sock.proto) == (family, kind, 0)
        sock.close()


def test_every_named_method_once_over_tcp(backend: Backend) -> None:
    s = backend.socket
    seen: list[Any] = []
    lsock = s.socket(s.AF_INET, s.SOCK_STREAM | s.SOCK_CLOEXEC)
    lsock.setsockopt(s.SOL_SOCKET, s.SO_REUSEADDR, 1)
    lsock.bind(("127.0.0.1", 0))
    lsock.listen(8)
    addr = lsock.getsockname()
    client = s.socket(s.AF_INET, s.SOCK_STREAM | s.SOCK_NONBLOCK)
    seen.append(client.connect_ex(addr))  # EINPROGRESS, then SO_ERROR says how it went
    client.settimeout(5)
    lsock.settimeout(5)
    conn, peer = lsock.accept()
    seen.append(peer == client.getsockname() and conn.getpeername() == client.getsockname())
    seen.append(client.getsockopt(s.SOL_SOCKET, s.SO_ERROR))
    for level, option in [(s.SOL_SOCKET, s.SO_KEEPALIVE), (s.IPPROTO_TCP, s.TCP_NODELAY)]:
        conn.setsockopt(level, option, 1)
        seen.append(conn.getsockopt(level, option) != 0)
    conn.setsockopt(s.SOL_SOCKET, s.SO_SNDBUF, 65536)
    conn.setsockopt(s.SOL_SOCKET, s.SO_RCVBUF, 65536)
    seen.append((conn.getsockopt(s.SOL_SOCKET, s.SO_SNDBUF), conn.getsockopt(s.SOL_SOCKET, s.SO_RCVBUF)))
    seen.append(conn.getsockopt(s.SOL_SOCKET, s.SO_TYPE) == s.SOCK_STREAM)
    client.send(b"one ")
    client.sendall(b"two ")
    client.sendmsg([b"thr", b"ee "])
    got = b""
    while len(got) < 14:
        got += conn.recv(14 - len(got))
    seen.append(got)
    buf = bytearray(4)
    client.send(b"four")
    seen.append((conn.recv_into(buf), bytes(buf)))
    client.send(b"five")
    seen.append(conn.recvmsg(10)[0])
    client.send(b"six")
    seen.append(conn.recvfrom(10))  # a stream: no address
    twin = conn.dup()
    writer = twin.makefile("wb")
    writer.write(b"from a file\n")
    writer.flush()
    writer.close()
    seen.append(client.makefile("rb").readline())
    client.shutdown(s.SHUT_WR)
    seen.append(conn.recv(10))  # the FIN
    fd = twin.detach()
    seen.append((twin.fileno(), fd >= 0))
    s.socket(fileno=fd).close()
    for sock in (conn, client, lsock):
        sock.close()
    seen.append(s.socket().connect_ex(addr))  # nobody listens now
    assert seen == [
        errno.EINPROGRESS, True, 0, True, True, (131072, 131072), True,
        b"one two three ", (4, b"four"), b"five", (b"six", None), b"from a file\n", b"", (-1, True),
        errno.ECONNREFUSED,
    ]


def test_every_named_method_once_over_udp_and_the_module_functions(backend: Backend) -> None:
    s = backend.socket
    a = s.socket(s.AF_INET6, s.SOCK_DGRAM)
    a.setsockopt(s.IPPROTO_IPV6, s.IPV6_V6ONLY, 1)
    assert a.getsockopt(s.IPPROTO_IPV6, s.IPV6_V6ONLY) == 1
    a.bind(("::1", 0))
    b = s.socket(s.AF_INET6, s.SOCK_DGRAM)
    b.connect(a.getsockname())
    b.send(b"hello")
    data, source = a.recvfrom(100)
    assert (data, source) == (b"hello", b.getsockname())
    a.sendto(b"back", source)
    assert b.recv(100) == b"back"
    b.close()
    a.close()
    server = s.create_server(("127.0.0.1", 0))
    port = server.getsockname()[1]
    client = s.create_connection(("localhost", port), timeout=5)
    conn, _ = server.accept()
    assert conn.getpeername() == client.getsockname()
    for sock in (client, conn, server):
        sock.close()
    infos = s.getaddrinfo("localhost", port, s.AF_INET, s.SOCK_STREAM)
    assert [info[4] for info in infos] == [("127.0.0.1", port)]
    assert s.getnameinfo(("127.0.0.1", 80), 0x1 | 0x2) == ("127.0.0.1", "80")  # NI_NUMERICHOST|SERV
    assert isinstance(s.gethostname(), str) and s.gethostname()
    packed = s.inet_pton(s.AF_INET6, "fd00::1")
    assert s.inet_ntop(s.AF_INET6, packed) == "fd00::1"
    with pytest.raises(s.gaierror):
        s.getaddrinfo("no-such-host.invalid", 80)
    with pytest.raises(s.timeout):
        lonely = s.socket(s.AF_INET, s.SOCK_DGRAM)
        lonely.bind(("127.0.0.1", 0))
        lonely.settimeout(0.01)
        try:
            lonely.recv(10)
        finally:
            lonely.close()
