"""The socket object's API on TCP sockets: the CPython wrappers over the model's calls."""
from __future__ import annotations

import errno

import pytest
from contract_helpers import AF_INET6_STR, AF_INET_STR, SOCK_STREAM_STR
from tcp_helpers import connected_pair, listener, wait_readable

from epollsim.testing.backends import Backend


def test_identity_and_repr(backend: Backend) -> None:
    socket = backend.socket
    s = socket.socket(socket.AF_INET6, socket.SOCK_STREAM | socket.SOCK_NONBLOCK)
    assert s.family is socket.AddressFamily.AF_INET6
    assert s.type is socket.SocketKind.SOCK_STREAM
    assert s.proto == 0
    assert s.gettimeout() == 0.0
    assert repr(s) == (
        f"<socket.socket fd={s.fileno()}, family={AF_INET6_STR}, type={SOCK_STREAM_STR}, proto=0, laddr=('::', 0, 0, 0)>"
    )
    s.close()
    t = socket.socket()
    assert t.family is socket.AddressFamily.AF_INET and t.gettimeout() is None
    t.close()
    assert repr(t) == f"<socket.socket [closed] fd=-1, family={AF_INET_STR}, type={SOCK_STREAM_STR}, proto=0>"


def test_repr_shows_both_ends_when_connected(backend: Backend) -> None:
    client, server = connected_pair(backend)
    laddr, raddr = client.getsockname(), client.getpeername()
    assert repr(client) == (
        f"<socket.socket fd={client.fileno()}, family={AF_INET_STR}, type={SOCK_STREAM_STR}, proto=0, "
        f"laddr={laddr}, raddr={raddr}>"
    )
    client.close()
    server.close()


def test_recv_into_sendmsg_recvmsg(backend: Backend) -> None:
    client, server = connected_pair(backend)
    assert client.sendmsg([b"ab", b"cd"]) == 4
    wait_readable(backend, server)
    buf = bytearray(10)
    assert server.recv_into(buf, 3) == 3
    assert buf[:3] == b"abc"
    assert server.recvmsg(10) == (b"d", [], 0, None)
    client.close()
    server.close()


def test_dup_and_detach(backend: Backend) -> None:
    socket = backend.socket
    client, server = connected_pair(backend)
    twin = client.dup()
    assert twin.getpeername() == client.getpeername()
    client.close()  # the dup keeps the connection open
    twin.send(b"x")
    wait_readable(backend, server)
    assert server.recv(1) == b"x"
    fd = twin.detach()
    assert twin.fileno() == -1
    again = socket.socket(fileno=fd)
    assert again.family == socket.AF_INET and again.type == socket.SOCK_STREAM
    assert again.proto == socket.IPPROTO_TCP
    again.close()
    server.close()


def test_timeouts(backend: Backend) -> None:
    socket = backend.socket
    client, server = connected_pair(backend)
    client.settimeout(0.05)
    start = backend.time.monotonic()
    with pytest.raises(TimeoutError, match="timed out"):
        client.recv(1)
    assert backend.time.monotonic() - start >= 0.049
    lsock = listener(backend)
    lsock.settimeout(0.05)
    with pytest.raises(TimeoutError):
        lsock.accept()
    c = socket.create_connection(lsock.getsockname(), timeout=1)
    conn, _ = lsock.accept()
    assert conn.gettimeout() is None  # no default timeout: accept() gives a blocking socket
    for s in (client, server, lsock, c, conn):
        s.close()


def test_connect_ex_and_connect_errors_are_oserrors_with_errno(backend: Backend) -> None:
    socket = backend.socket
    s = socket.socket()
    with pytest.raises(TypeError, match="AF_INET address must be tuple, not str"):
        s.connect("127.0.0.1")
    with pytest.raises(OverflowError):
        s.connect(("127.0.0.1", 70000))
    bound = socket.socket()
    bound.bind(("127.0.0.1", 0))
    assert s.connect_ex(bound.getsockname()) == errno.ECONNREFUSED
    s.close()
    bound.close()


@pytest.mark.parametrize(
    ("family", "type_", "proto", "code"),
    [
        (99, 1, 0, errno.EAFNOSUPPORT),  # no such family
        (2, 1 | 0x10000, 0, errno.EINVAL),  # a flag that is not SOCK_NONBLOCK/SOCK_CLOEXEC
        (2, 15, 0, errno.EINVAL),  # type >= SOCK_MAX
        (2, 1, 17, errno.EPROTONOSUPPORT),  # UDP is not a stream protocol
        (10, 1, 300, errno.EINVAL),  # protocol >= IPPROTO_MAX
        (2, 4, 0, errno.ESOCKTNOSUPPORT),  # SOCK_RDM: no inet protocol offers it
    ],
)
def test_socket_creation_errors(backend: Backend, family: int, type_: int, proto: int, code: int) -> None:
    with pytest.raises(OSError) as info:
        backend.socket.socket(family, type_, proto)
    assert info.value.errno == code


def test_accept4_flags_and_nonblocking_child(backend: Backend) -> None:
    socket = backend.socket
    lsock = listener(backend)
    c = socket.create_connection(lsock.getsockname())
    lsock.setblocking(False)
    wait_readable(backend, lsock)
    conn, _ = lsock.accept()
    assert conn.getblocking()  # the listener's O_NONBLOCK is not inherited
    for s in (c, conn, lsock):
        s.close()
