"""Loopback TCP failures: refused connects, resets, EPIPE, and the bind rules (EADDRINUSE).

tcp_reset sets the error by state (SYN_SENT: ECONNREFUSED, CLOSE_WAIT: EPIPE, else
ECONNRESET), then tcp_done shuts both directions. A read returns queued data first, then
the error once, then end-of-file; a send the error once, then EPIPE. close() with unread
data, and SO_LINGER 0, send a RST instead of a FIN.
"""
from __future__ import annotations

import errno
import struct

import pytest
from tcp_helpers import ERR, HUP, IN, OUT, RDHUP, connected_pair, listener, settled_mask

from epollsim.testing.backends import Backend

RESET_MASK = IN | RDHUP | OUT | ERR | HUP


def _errno(call: object, *args: object) -> int:
    with pytest.raises(OSError) as info:
        call(*args)  # type: ignore[operator]
    assert info.value.errno is not None
    return info.value.errno


def test_refused_connects(backend: Backend) -> None:
    socket = backend.socket
    bound = socket.socket()
    bound.bind(("127.0.0.1", 0))
    addr = bound.getsockname()
    c = socket.socket()
    with pytest.raises(ConnectionRefusedError) as info:
        c.connect(addr)
    assert info.value.errno == errno.ECONNREFUSED
    c.close()
    c = socket.socket()
    assert c.connect_ex(addr) == errno.ECONNREFUSED
    c.close()
    c = socket.socket()
    c.settimeout(1.0)  # CPython: non-blocking connect, poll, SO_ERROR
    with pytest.raises(ConnectionRefusedError):
        c.connect(addr)
    c.close()
    bound.close()


def test_refused_nonblocking_connect_reported_by_the_next_connect(backend: Backend) -> None:
    socket = backend.socket
    bound = socket.socket()
    bound.bind(("127.0.0.1", 0))
    c = socket.socket()
    c.setblocking(False)
    assert c.connect_ex(bound.getsockname()) == errno.EINPROGRESS
    settled_mask(backend, c, RESET_MASK)
    assert c.connect_ex(bound.getsockname()) == errno.ECONNREFUSED  # sock_error
    assert c.connect_ex(bound.getsockname()) == errno.EINPROGRESS  # a new attempt
    c.close()
    bound.close()


def test_close_with_unread_data_resets_the_peer(backend: Backend) -> None:
    client, server = connected_pair(backend)
    client.send(b"never read")
    server.send(b"zz")
    settled_mask(backend, server, IN | OUT)
    server.close()
    assert settled_mask(backend, client, RESET_MASK) == RESET_MASK
    assert client.recv(10) == b"zz"  # what arrived before the RST is still there
    assert _errno(client.recv, 10) == errno.ECONNRESET
    assert client.recv(10) == b""
    assert _errno(client.send, b"y") == errno.EPIPE
    assert _errno(client.getpeername) == errno.ENOTCONN
    client.close()


def test_reset_reported_once_by_send(backend: Backend) -> None:
    client, server = connected_pair(backend)
    client.send(b"x")
    settled_mask(backend, server, IN | OUT)
    server.close()
    settled_mask(backend, client, RESET_MASK)
    assert _errno(client.send, b"y") == errno.ECONNRESET
    assert _errno(client.send, b"y") == errno.EPIPE
    assert client.recv(10) == b""
    client.close()


def test_so_linger_zero_close_resets(backend: Backend) -> None:
    socket = backend.socket
    client, server = connected_pair(backend)
    server.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    server.close()
    assert settled_mask(backend, client, RESET_MASK) == RESET_MASK
    assert client.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR) == errno.ECONNRESET
    assert client.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR) == 0
    assert client.recv(10) == b""
    client.close()


def test_send_after_peer_closed_then_epipe(backend: Backend) -> None:
    """The peer closed cleanly: the first send goes out, the closed peer answers with a RST,
    which in CLOSE_WAIT is EPIPE; a read still says end-of-file (SOCK_DONE)."""
    client, server = connected_pair(backend)
    server.close()
    assert settled_mask(backend, client, IN | RDHUP | OUT) == IN | RDHUP | OUT
    assert client.send(b"x") == 1
    assert settled_mask(backend, client, RESET_MASK) == RESET_MASK
    assert _errno(client.send, b"y") == errno.EPIPE
    assert client.recv(10) == b""
    assert _errno(client.send, b"y") == errno.EPIPE
    client.close()


def test_closing_a_listener_resets_connections_not_yet_accepted(backend: Backend) -> None:
    socket = backend.socket
    lsock = listener(backend)
    client = socket.socket()
    client.connect(lsock.getsockname())
    client.setblocking(False)
    settled_mask(backend, lsock, IN, IN)
    lsock.close()
    assert settled_mask(backend, client, RESET_MASK) == RESET_MASK
    assert _errno(client.recv, 1) == errno.ECONNRESET
    client.close()


# -- bind rules --------------------------------------------------------------------------


def _bound(backend: Backend, host: str = "127.0.0.1", port: int = 0, family: object = None,
           reuseaddr: bool = False, reuseport: bool = False, v6only: bool | None = None) -> object:
    socket = backend.socket
    s = socket.socket(family if family is not None else socket.AF_INET)
    if reuseaddr:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    if reuseport:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    if v6only is not None:
        s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, int(v6only))
    s.bind((host, port))
    return s


def test_eaddrinuse_without_reuse(backend: Backend) -> None:
    first = _bound(backend)
    port = first.getsockname()[1]  # type: ignore[attr-defined]
    for host in ("127.0.0.1", "0.0.0.0"):
        with pytest.raises(OSError) as info:
            _bound(backend, host, port)
        assert info.value.errno == errno.EADDRINUSE
    other = _bound(backend, "127.0.0.2", port)  # another address on the same port: fine
    first.close()  # type: ignore[attr-defined]
    other.close()  # type: ignore[attr-defined]


def test_reuseaddr_lets_bound_sockets_share_but_only_one_listen(backend: Backend) -> None:
    a = _bound(backend, reuseaddr=True)
    port = a.getsockname()[1]  # type: ignore[attr-defined]
    b = _bound(backend, port=port, reuseaddr=True)
    a.listen()  # type: ignore[attr-defined]
    with pytest.raises(OSError) as info:
        b.listen()  # type: ignore[attr-defined]
    assert info.value.errno == errno.EADDRINUSE
    with pytest.raises(OSError) as info:
        _bound(backend, port=port, reuseaddr=True)  # a listener holds it
    assert info.value.errno == errno.EADDRINUSE
    a.close()  # type: ignore[attr-defined]
    b.close()  # type: ignore[attr-defined]


def test_reuseport_lets_several_listen(backend: Backend) -> None:
    a = _bound(backend, reuseport=True)
    port = a.getsockname()[1]  # type: ignore[attr-defined]
    b = _bound(backend, port=port, reuseport=True)
    a.listen()  # type: ignore[attr-defined]
    b.listen()  # type: ignore[attr-defined]
    with pytest.raises(OSError) as info:
        _bound(backend, port=port)
    assert info.value.errno == errno.EADDRINUSE
    a.close()  # type: ignore[attr-defined]
    b.close()  # type: ignore[attr-defined]


def test_dual_stack_port_conflicts(backend: Backend) -> None:
    socket = backend.socket
    v6 = _bound(backend, "::", 0, socket.AF_INET6)
    port = v6.getsockname()[1]  # type: ignore[attr-defined]
    with pytest.raises(OSError) as info:
        _bound(backend, "127.0.0.1", port)
    assert info.value.errno == errno.EADDRINUSE
    v6.close()  # type: ignore[attr-defined]
    v6only = _bound(backend, "::", 0, socket.AF_INET6, v6only=True)
    port = v6only.getsockname()[1]  # type: ignore[attr-defined]
    v4 = _bound(backend, "0.0.0.0", port)
    v6only.close()  # type: ignore[attr-defined]
    v4.close()  # type: ignore[attr-defined]


def test_time_wait_holds_the_port_unless_reuseaddr(backend: Backend) -> None:
    """The side that closes first keeps the port in TIME_WAIT for 60 s."""
    socket = backend.socket
    lsock = _bound(backend, reuseaddr=True)
    lsock.listen()  # type: ignore[attr-defined]
    addr = lsock.getsockname()  # type: ignore[attr-defined]
    client = socket.socket()
    client.connect(addr)
    server, _ = lsock.accept()  # type: ignore[attr-defined]
    lsock.close()  # type: ignore[attr-defined]
    server.close()  # active close: the server's end goes to TIME_WAIT after the client's FIN
    settled_mask(backend, client, IN | RDHUP | OUT)
    client.close()
    backend.time.sleep(0.05)
    with pytest.raises(OSError) as info:
        _bound(backend, addr[0], addr[1])
    assert info.value.errno == errno.EADDRINUSE
    again = _bound(backend, addr[0], addr[1], reuseaddr=True)
    again.listen()  # type: ignore[attr-defined]
    again.close()  # type: ignore[attr-defined]


def test_shut_rd_on_a_listener_wakes_a_blocked_accept_with_einval(backend: Backend) -> None:
    """The usual way to stop a thread blocked in accept(): the listener stops listening."""
    socket = backend.socket
    lsock = listener(backend)
    addr = lsock.getsockname()
    errors: list[int] = []

    def accept() -> None:
        try:
            lsock.accept()
        except OSError as exc:
            errors.append(exc.errno or 0)

    t = backend.threading.Thread(target=accept)
    t.start()
    backend.time.sleep(0.05)
    lsock.shutdown(socket.SHUT_RD)
    t.join()
    assert errors == [errno.EINVAL]
    c = socket.socket()
    assert c.connect_ex(addr) == errno.ECONNREFUSED
    c.close()
    lsock.close()


@pytest.mark.parametrize("how", ["nonblocking", "blocking", "bound"])
def test_a_socket_whose_connect_failed_cannot_listen(backend: Backend, how: str) -> None:
    """Found by the differential fuzzer: after a refused connect, listen is EINVAL (a new connect
    may still start)."""
    S = backend.socket
    s = S.socket()
    if how == "bound":
        s.bind(("127.0.0.1", 0))
    if how == "nonblocking":
        s.setblocking(False)
        assert s.connect_ex(("127.0.0.1", 1)) == errno.EINPROGRESS
    assert s.connect_ex(("127.0.0.1", 1)) == errno.ECONNREFUSED
    with pytest.raises(OSError) as info:
        s.listen()
    assert info.value.errno == errno.EINVAL
    fresh = S.socket()
    fresh.listen()  # a socket that never connected listens


@pytest.mark.parametrize("family", ["AF_INET", "AF_INET6"])
def test_a_failed_connect_forgets_the_source_address_it_chose(backend: Backend, family: str) -> None:
    """tcp_disconnect's inet_reset_saddr, unless bind() chose the address (found by the fuzzer)."""
    S = backend.socket
    host = "127.0.0.1" if family == "AF_INET" else "::1"
    free = S.socket(getattr(S, family))
    bound = S.socket(getattr(S, family))
    bound.bind((host, 0))
    for s in (free, bound):
        assert s.connect_ex((host, 1)) == errno.ECONNREFUSED
    assert free.getsockname()[0] == ("0.0.0.0" if family == "AF_INET" else "::")
    assert bound.getsockname()[0] == host
