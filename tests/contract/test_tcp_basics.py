"""Loopback TCP in one host: listen/connect/accept/echo, blocking and not, names, options.

The facts checked here were measured on Linux 6.18 (and hold on any recent
kernel): a non-blocking connect says EINPROGRESS even on loopback, and once
it has completed a second connect() returns 0 and a third EISCONN
(inet_stream_connect's SS_CONNECTING case); bind(0) picks odd ports and
connect's autobind even ones, from 32768-60999.
"""
from __future__ import annotations

import errno

import pytest
from tcp_helpers import IN, OUT, connected_pair, listener, mask, settled_mask, wait_readable

from epollsim.testing.backends import Backend


def test_nonblocking_echo(backend: Backend) -> None:
    socket = backend.socket
    lsock = listener(backend)
    lsock.setblocking(False)
    with pytest.raises(BlockingIOError):
        lsock.accept()
    client = socket.socket(socket.AF_INET, socket.SOCK_STREAM | socket.SOCK_NONBLOCK)
    assert client.connect_ex(lsock.getsockname()) == errno.EINPROGRESS
    assert settled_mask(backend, lsock, IN, IN) == IN
    server, addr = lsock.accept()
    assert addr == client.getsockname()
    assert server.getpeername() == client.getsockname()
    assert client.getpeername() == lsock.getsockname() == server.getsockname()
    assert settled_mask(backend, client, OUT) == OUT
    assert client.send(b"ping") == 4
    server.setblocking(False)
    assert settled_mask(backend, server, IN | OUT) == IN | OUT
    assert server.recv(100) == b"ping"
    with pytest.raises(BlockingIOError):
        server.recv(100)
    server.sendall(b"pong")
    wait_readable(backend, client)
    assert client.recv(2, socket.MSG_PEEK) == b"po"
    assert client.recv(100) == b"pong"
    for s in (client, server, lsock):
        s.close()


def test_blocking_echo_in_threads(backend: Backend) -> None:
    socket = backend.socket
    lsock = listener(backend)
    received: list[bytes] = []

    def serve() -> None:
        conn, _ = lsock.accept()
        with conn:
            while True:
                data = conn.recv(1000)
                if not data:
                    break
                conn.sendall(data.upper())
        received.append(b"done")

    t = backend.threading.Thread(target=serve)
    t.start()
    with socket.create_connection(lsock.getsockname()) as client:
        payload = bytes(range(97, 123)) * 4000  # 104000 bytes, several windows' worth
        client.sendall(payload)
        got = b""
        while len(got) < len(payload):
            got += client.recv(65536)
        assert got == payload.upper()
        client.shutdown(socket.SHUT_WR)
        assert client.recv(10) == b""
    t.join()
    assert received == [b"done"]
    lsock.close()


def test_blocking_connect_and_accept_return_the_peer(backend: Backend) -> None:
    socket = backend.socket
    lsock = listener(backend)
    client = socket.socket()
    assert client.connect(lsock.getsockname()) is None
    server, addr = lsock.accept()
    assert addr == client.getsockname()
    assert server.gettimeout() is None and server.getblocking()
    client.close()
    server.close()
    lsock.close()


def test_second_connect_after_nonblocking_connect_completed(backend: Backend) -> None:
    socket = backend.socket
    lsock = listener(backend)
    client = socket.socket()
    client.setblocking(False)
    assert client.connect_ex(lsock.getsockname()) == errno.EINPROGRESS
    settled_mask(backend, client, OUT)
    assert client.connect_ex(lsock.getsockname()) == 0
    assert client.connect_ex(lsock.getsockname()) == errno.EISCONN
    with pytest.raises(OSError) as info:
        client.connect(lsock.getsockname())
    assert info.value.errno == errno.EISCONN
    client.close()
    lsock.close()


def test_names_of_unbound_bound_and_connected_sockets(backend: Backend) -> None:
    socket = backend.socket
    s4 = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s6 = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
    assert s4.getsockname() == ("0.0.0.0", 0)
    assert s6.getsockname() == ("::", 0, 0, 0)
    for s in (s4, s6):
        with pytest.raises(OSError) as info:
            s.getpeername()
        assert info.value.errno == errno.ENOTCONN
    s6.bind(("::1", 0))
    host, port, flow, scope = s6.getsockname()
    assert (host, flow, scope) == ("::1", 0, 0)
    s6.listen()
    c6 = socket.socket(socket.AF_INET6)
    c6.connect(("::1", port))
    assert c6.getpeername() == ("::1", port, 0, 0)
    assert c6.getsockname()[0] == "::1"
    for s in (s4, s6, c6):
        s.close()


def test_dual_stack_listener_accepts_ipv4_with_mapped_addresses(backend: Backend) -> None:
    socket = backend.socket
    lsock = socket.socket(socket.AF_INET6)
    lsock.bind(("::", 0))
    lsock.listen()
    port = lsock.getsockname()[1]
    client = socket.socket(socket.AF_INET)
    client.connect(("127.0.0.1", port))
    server, addr = lsock.accept()
    assert addr == ("::ffff:127.0.0.1", client.getsockname()[1], 0, 0)
    assert server.getsockname() == ("::ffff:127.0.0.1", port, 0, 0)
    for s in (client, server, lsock):
        s.close()


def test_ephemeral_ports_come_from_the_local_range_with_linux_parity(backend: Backend) -> None:
    socket = backend.socket
    lsock = listener(backend)
    low, high = 32768, 60999
    bound, connected = [], []
    for _ in range(4):
        s = socket.socket()
        s.bind(("127.0.0.1", 0))
        bound.append(s)
        c = socket.socket()
        c.connect(lsock.getsockname())
        connected.append(c)
    for s in bound:
        port = s.getsockname()[1]
        assert low <= port <= high and port % 2 == 1  # inet_csk_find_open_port: odd first
    for c in connected:
        port = c.getsockname()[1]
        assert low <= port <= high and port % 2 == 0  # __inet_hash_connect: even first
    for s in bound + connected + [lsock]:
        s.close()


def test_socket_options(backend: Backend) -> None:
    socket = backend.socket
    s = socket.socket()
    assert s.getsockopt(socket.SOL_SOCKET, socket.SO_TYPE) == socket.SOCK_STREAM
    assert s.getsockopt(socket.SOL_SOCKET, socket.SO_DOMAIN) == socket.AF_INET
    assert s.getsockopt(socket.SOL_SOCKET, socket.SO_PROTOCOL) == socket.IPPROTO_TCP
    assert s.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR) == 0
    assert s.getsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF) == 16384
    assert s.getsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF) == 131072
    assert s.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY) == 0
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    assert s.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY) == 1
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 5)
    assert s.getsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR) == 1
    s.setsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1)
    assert s.getsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE) == 1
    s.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 4096)
    assert s.getsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF) == 8192
    assert s.getsockopt(socket.SOL_SOCKET, socket.SO_LINGER) == 0
    s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\0\0\0\x05\0\0\0")
    assert s.getsockopt(socket.SOL_SOCKET, socket.SO_LINGER, 8) == b"\x01\0\0\0\x05\0\0\0"
    with pytest.raises(OSError) as info:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\0\0\0")
    assert info.value.errno == errno.EINVAL
    with pytest.raises(OSError) as info:
        s.getsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY)
    assert info.value.errno == errno.EOPNOTSUPP
    with pytest.raises(OSError) as info:
        s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
    assert info.value.errno == errno.ENOPROTOOPT
    assert s.getsockopt(socket.SOL_SOCKET, socket.SO_ACCEPTCONN) == 0
    s.bind(("127.0.0.1", 0))
    s.listen()
    assert s.getsockopt(socket.SOL_SOCKET, socket.SO_ACCEPTCONN) == 1
    s6 = socket.socket(socket.AF_INET6)
    assert s6.getsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY) == 0
    s6.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
    assert s6.getsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY) == 1
    s6.bind(("::1", 0))
    with pytest.raises(OSError) as info:
        s6.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
    assert info.value.errno == errno.EINVAL
    s.close()
    s6.close()


def test_calls_in_the_wrong_state(backend: Backend) -> None:
    socket = backend.socket
    s = socket.socket()
    with pytest.raises(OSError) as info:
        s.send(b"x")
    assert info.value.errno == errno.EPIPE
    with pytest.raises(OSError) as info:
        s.recv(1)
    assert info.value.errno == errno.ENOTCONN
    with pytest.raises(OSError) as info:
        s.accept()
    assert info.value.errno == errno.EINVAL
    with pytest.raises(OSError) as info:
        s.shutdown(socket.SHUT_WR)
    assert info.value.errno == errno.ENOTCONN
    assert mask(backend, s) == OUT | 0x10  # shut for sending: OUT, and CLOSE: HUP
    s.bind(("127.0.0.1", 0))
    with pytest.raises(OSError) as info:
        s.bind(("127.0.0.1", 0))
    assert info.value.errno == errno.EINVAL
    client, server = connected_pair(backend)
    with pytest.raises(OSError) as info:
        client.listen()
    assert info.value.errno == errno.EINVAL
    with pytest.raises(OSError) as info:
        server.connect(("127.0.0.1", 1))
    assert info.value.errno == errno.EISCONN
    with pytest.raises(OSError) as info:
        client.shutdown(7)
    assert info.value.errno == errno.EINVAL
    for x in (s, client, server):
        x.close()


def test_bind_to_an_address_the_host_lacks(backend: Backend) -> None:
    socket = backend.socket
    s = socket.socket()
    with pytest.raises(OSError) as info:
        s.bind(("192.0.2.1", 0))  # TEST-NET-1: never local
    assert info.value.errno == errno.EADDRNOTAVAIL
    s.close()


def test_makefile_round_trip(backend: Backend) -> None:
    socket = backend.socket
    lsock = listener(backend)
    client = socket.create_connection(lsock.getsockname())
    server, _ = lsock.accept()
    wfile = client.makefile("wb")
    rfile = server.makefile("r", encoding="ascii")
    wfile.write(b"line one\nline two\n")
    wfile.flush()
    assert rfile.readline() == "line one\n"
    assert rfile.readline() == "line two\n"
    wfile.close()
    client.close()  # the makefile objects are closed: the fd goes now
    assert rfile.readline() == ""
    rfile.close()
    server.close()
    lsock.close()


def test_send_buffer_grows_when_the_connection_is_established(backend: Backend) -> None:
    """tcp_sndbuf_expand: 16384 before, 3939840 after the handshake on loopback (6.18), both ends;
    a program's own SO_SNDBUF stays (SOCK_SNDBUF_LOCK)."""
    socket = backend.socket
    client, server = connected_pair(backend)
    for s in (client, server):
        assert s.getsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF) == 3939840
        assert s.getsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF) == 131072
    lsock = listener(backend)
    fixed = socket.socket()
    fixed.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 65536)
    fixed.connect(lsock.getsockname())
    assert fixed.getsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF) == 131072
    for s in (client, server, lsock, fixed):
        s.close()
