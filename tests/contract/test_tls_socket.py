"""ssl.SSLSocket over a socket: the handshake, data, errors, timeouts, EOFs and unwrap, on both backends.

On the real kernel OpenSSL reads and writes the fd itself; on the model it works over memory BIOs
whose bytes travel through the model's socket (compat/ssl_socket.py). A program must not tell
the two apart. Both ends are non-blocking and driven in turn from one thread, so the test runs the
same way on both backends; the model's contexts make the host's SSLSocket, as ``k.patch()`` has
every context do.
"""
from __future__ import annotations

import pathlib
import socket as _socket
import ssl
from typing import Any

import pytest

from epollsim.testing.backends import Backend

DATA = pathlib.Path(__file__).parents[1] / "data"
CERT, KEY = DATA / "tls-cert.pem", DATA / "tls-key.pem"


def contexts(b: Backend) -> tuple[ssl.SSLContext, ssl.SSLContext]:
    server = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server.load_cert_chain(CERT, KEY)
    client = ssl.create_default_context(cafile=str(CERT))
    if b.is_model:
        for ctx in (server, client):
            ctx.sslsocket_class = b.socket._SSLSocket  # type: ignore[misc]
    return server, client


def pair(b: Backend) -> tuple[Any, Any]:
    """A client and a server SSLSocket over a socketpair, non-blocking, not yet shaken hands."""
    server_ctx, client_ctx = contexts(b)
    x, y = b.socket.socketpair()
    x.setblocking(False)
    y.setblocking(False)
    client = client_ctx.wrap_socket(x, server_hostname="server", do_handshake_on_connect=False)
    server = server_ctx.wrap_socket(y, server_side=True, do_handshake_on_connect=False)
    return client, server


def shake(*sides: Any) -> int:
    """Drive each side's handshake in turn until both are done; returns how many rounds it took."""
    done = [False] * len(sides)
    rounds = 0
    while not all(done):
        rounds += 1
        assert rounds < 20
        for i, side in enumerate(sides):
            if not done[i]:
                try:
                    side.do_handshake()
                    done[i] = True
                except ssl.SSLWantReadError:
                    pass
    return rounds


def test_a_handshake_then_data_both_ways(backend: Backend) -> None:
    client, server = pair(backend)
    with pytest.raises(ssl.SSLWantReadError) as first:
        client.do_handshake()  # the ClientHello went out; the answer is not there yet
    assert first.value.args[0] == ssl.SSL_ERROR_WANT_READ
    assert "The operation did not complete (read)" in first.value.args[1]
    assert shake(client, server) >= 2
    assert client.version() == server.version() == "TLSv1.3"
    assert client.cipher() == server.cipher()
    assert client.getpeercert()["subject"] == ((("commonName", "server"),),)
    assert server.getpeercert() is None or server.getpeercert() == {}
    assert client.send(b"hello") == 5
    assert server.recv(100) == b"hello"
    server.sendall(b"x" * 50_000)
    got = b""
    while len(got) < 50_000:
        try:
            got += client.recv(100_000)
        except ssl.SSLWantReadError:
            server.sendall(b"")  # nothing: the rest is still on its way in the socket
    assert got == b"x" * 50_000
    with pytest.raises(ssl.SSLWantReadError) as empty:
        server.recv(10)
    assert empty.value.args[0] == ssl.SSL_ERROR_WANT_READ
    assert server.pending() == 0
    # family and type as Lib/socket.py shows them: numbers from 3.11, the enums' names on 3.10
    unix, stream = _socket.AddressFamily.AF_UNIX, _socket.SocketKind.SOCK_STREAM
    assert repr(client).startswith(f"<ssl.SSLSocket fd={client.fileno()}, family={unix!s}, type={stream!s}, proto=0")


def test_what_an_ssl_socket_refuses(backend: Backend) -> None:
    client, server = pair(backend)
    shake(client, server)
    with pytest.raises(ValueError, match=r"^non-zero flags not allowed in calls to send\(\) on <class 'ssl.SSLSocket'>$"):
        client.send(b"x", 1)
    with pytest.raises(ValueError, match=r"^non-zero flags not allowed in calls to recv\(\) on <class 'ssl.SSLSocket'>$"):
        client.recv(10, 1)
    with pytest.raises(ValueError, match=r"^sendto not allowed on instances of <class 'ssl.SSLSocket'>$"):
        client.sendto(b"x", ("127.0.0.1", 1))
    with pytest.raises(NotImplementedError, match=r"^sendmsg not allowed on instances of"):
        client.sendmsg([b"x"])
    with pytest.raises(NotImplementedError, match=r"^Can't dup\(\) SSLSocket instances$"):
        client.dup()
    with pytest.raises(TypeError, match="does not have a public constructor"):
        type(client)()
    server_ctx, client_ctx = contexts(backend)
    udp = backend.socket.socket(backend.socket.AF_INET, backend.socket.SOCK_DGRAM)
    with pytest.raises(NotImplementedError, match="^only stream sockets are supported$"):
        client_ctx.wrap_socket(udp)
    with pytest.raises(ValueError, match="^check_hostname requires server_hostname$"):
        client_ctx.wrap_socket(backend.socket.socket())
    with pytest.raises(ValueError, match="^server_hostname can only be specified in client mode$"):
        server_ctx.wrap_socket(backend.socket.socket(), server_side=True, server_hostname="x")
    udp.close()


def test_an_unconnected_socket_is_wrapped_then_connects(backend: Backend) -> None:
    _, client_ctx = contexts(backend)
    listener = backend.socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    tls = client_ctx.wrap_socket(backend.socket.socket(), server_hostname="server", do_handshake_on_connect=False)
    assert tls.version() is None and tls.cipher() is None and tls.pending() == 0
    with pytest.raises(ValueError, match="^Read on closed or unwrapped SSL socket.$"):
        tls.read(1)
    tls.connect(listener.getsockname())
    with pytest.raises(ValueError, match="^attempt to connect already-connected SSLSocket!$"):
        tls.connect(listener.getsockname())
    conn, _ = listener.accept()
    assert type(conn).__name__ == "socket"  # accept makes a plain socket, as Lib/socket.py does
    conn.close()
    tls.close()
    listener.close()


def test_a_timeout_says_which_operation_timed_out(backend: Backend) -> None:
    client, server = pair(backend)
    shake(client, server)
    client.settimeout(0.05)
    with pytest.raises(TimeoutError) as timed_out:
        client.recv(10)
    assert timed_out.value.args == ("The read operation timed out",)


@pytest.mark.parametrize("suppress", [True, False])
def test_a_peer_that_closes_without_close_notify_is_a_ragged_eof(backend: Backend, suppress: bool) -> None:
    client, server = pair(backend)
    shake(client, server)
    client.suppress_ragged_eofs = suppress
    server.close()
    if suppress:
        assert client.recv(10) == b""
        assert client.recv_into(bytearray(4)) == 0
    else:
        with pytest.raises(ssl.SSLEOFError) as eof:
            client.recv(10)
        assert eof.value.args[0] == ssl.SSL_ERROR_EOF
        assert "EOF occurred in violation of protocol" in eof.value.args[1]


def test_unwrap_ends_tls_and_leaves_the_plain_socket(backend: Backend) -> None:
    client, server = pair(backend)
    shake(client, server)
    with pytest.raises(ssl.SSLWantReadError):
        client.unwrap()  # close_notify sent; the peer's is not there yet
    plain_server = server.unwrap()  # it has the client's close_notify: it answers and is done
    plain_client = client.unwrap()
    assert plain_client is client and plain_server is server
    client.send(b"clear")  # no TLS any more: the bytes go as they are
    assert server.recv(10) == b"clear"
    with pytest.raises(ValueError, match="^No SSL wrapper around "):
        client.unwrap()


def test_makefile_reads_lines_through_tls(backend: Backend) -> None:
    client, server = pair(backend)
    shake(client, server)
    client.setblocking(True)
    server.sendall(b"one\ntwo\n")
    f = client.makefile("rb")
    assert f.readline() == b"one\n" and f.readline() == b"two\n"
    f.close()
