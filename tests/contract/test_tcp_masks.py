"""tcp_poll's masks through epoll in each state a program can reach (linux-epoll.md 11.5), and the
wake-ups that make edges for EPOLLET items.

tcp_poll: HUP when both directions are shut or the socket is CLOSE; IN|RDNORM|RDHUP once
the receive side is shut (the peer's FIN, or one's own SHUT_RD); IN while data waits;
OUT while there is room or once the sending side is shut; nothing readable or writable
while connecting (SYN_SENT); ERR while an error is pending; a listener reports only IN,
when a connection waits to be accepted.
"""
from __future__ import annotations

import errno

import pytest
from tcp_helpers import (
    ERR,
    ET,
    HUP,
    IN,
    OUT,
    RDHUP,
    RDNORM,
    WRNORM,
    connected_pair,
    listener,
    mask,
    settled_mask,
)

from epollsim.testing.backends import Backend

EVERYTHING = IN | 0x2 | OUT | RDNORM | 0x80 | WRNORM | 0x200 | RDHUP


def test_fresh_socket_reports_out_and_hup(backend: Backend) -> None:
    s = backend.socket.socket()
    assert mask(backend, s) == OUT | HUP
    assert mask(backend, s, EVERYTHING) == OUT | WRNORM | HUP
    s.bind(("127.0.0.1", 0))
    assert mask(backend, s) == OUT | HUP
    s.close()


def test_listener_reports_nothing_until_a_connection_waits(backend: Backend) -> None:
    socket = backend.socket
    lsock = listener(backend)
    assert mask(backend, lsock, EVERYTHING) == 0
    client = socket.socket()
    client.connect(lsock.getsockname())
    assert settled_mask(backend, lsock, IN | RDNORM, EVERYTHING) == IN | RDNORM
    server, _ = lsock.accept()
    assert mask(backend, lsock, EVERYTHING) == 0
    for s in (client, server, lsock):
        s.close()


def test_connected_idle_then_data(backend: Backend) -> None:
    client, server = connected_pair(backend)
    assert mask(backend, client) == OUT
    assert mask(backend, client, EVERYTHING) == OUT | WRNORM
    server.send(b"x")
    assert settled_mask(backend, client, IN | OUT) == IN | OUT
    assert mask(backend, client, EVERYTHING) == IN | RDNORM | OUT | WRNORM
    client.recv(10)
    assert mask(backend, client) == OUT
    client.close()
    server.close()


def test_peer_shut_wr(backend: Backend) -> None:
    socket = backend.socket
    client, server = connected_pair(backend)
    server.send(b"tail")
    server.shutdown(socket.SHUT_WR)
    assert settled_mask(backend, client, IN | RDHUP | OUT) == IN | RDHUP | OUT
    assert client.recv(100) == b"tail"
    assert client.recv(100) == b""
    assert mask(backend, client) == IN | RDHUP | OUT
    assert mask(backend, server) == OUT  # own SHUT_WR: still OUT (spec 11.5)
    client.close()
    server.close()


def test_own_shut_rd_reports_rdhup_and_still_receives(backend: Backend) -> None:
    socket = backend.socket
    client, server = connected_pair(backend)
    client.shutdown(socket.SHUT_RD)
    assert mask(backend, client) == IN | RDHUP | OUT
    assert mask(backend, client, RDHUP) == RDHUP  # LTP epoll_wait05
    server.send(b"q")
    assert settled_mask(backend, client, IN | RDHUP | OUT) == IN | RDHUP | OUT
    assert client.recv(5) == b"q"  # Linux still queues data after SHUT_RD
    client.close()
    server.close()


def test_both_directions_shut(backend: Backend) -> None:
    socket = backend.socket
    client, server = connected_pair(backend)
    client.shutdown(socket.SHUT_RDWR)
    assert settled_mask(backend, client, IN | RDHUP | OUT | HUP) == IN | RDHUP | OUT | HUP
    assert settled_mask(backend, server, IN | RDHUP | OUT) == IN | RDHUP | OUT
    client.close()
    server.close()


def test_peer_closed_then_own_shut_wr(backend: Backend) -> None:
    socket = backend.socket
    client, server = connected_pair(backend)
    server.close()
    assert settled_mask(backend, client, IN | RDHUP | OUT) == IN | RDHUP | OUT  # CLOSE_WAIT
    assert client.recv(10) == b""
    client.shutdown(socket.SHUT_WR)  # LAST_ACK, then CLOSE when the FIN is acknowledged
    assert settled_mask(backend, client, IN | RDHUP | OUT | HUP) == IN | RDHUP | OUT | HUP
    client.close()


def test_refused_nonblocking_connect_mask_then_so_error(backend: Backend) -> None:
    socket = backend.socket
    bound = socket.socket()
    bound.bind(("127.0.0.1", 0))  # bound, not listening: the SYN gets a RST
    client = socket.socket(socket.AF_INET, socket.SOCK_STREAM | socket.SOCK_NONBLOCK)
    assert client.connect_ex(bound.getsockname()) == errno.EINPROGRESS
    want = IN | RDHUP | OUT | ERR | HUP
    assert settled_mask(backend, client, want) == want
    assert client.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR) == errno.ECONNREFUSED
    assert mask(backend, client) == IN | RDHUP | OUT | HUP
    # The error was consumed: inet_stream_connect finds CLOSE and no error.
    assert client.connect_ex(bound.getsockname()) == errno.ECONNABORTED
    client.close()
    bound.close()


def test_connecting_socket_reports_nothing(backend: Backend) -> None:
    """listen(0) holds one connection; a further SYN is dropped and its connect stays in SYN_SENT."""
    socket = backend.socket
    lsock = listener(backend, backlog=0)
    first = socket.socket()
    first.setblocking(False)
    first.connect_ex(lsock.getsockname())
    assert settled_mask(backend, first, OUT) == OUT
    second = socket.socket()
    second.setblocking(False)
    assert second.connect_ex(lsock.getsockname()) == errno.EINPROGRESS
    assert mask(backend, second, EVERYTHING) == 0
    with pytest.raises(BlockingIOError):
        second.recv(1)
    with pytest.raises(BlockingIOError):
        second.send(b"x")
    with pytest.raises(OSError) as info:
        second.connect(lsock.getsockname())
    assert info.value.errno == errno.EALREADY
    conn, _ = lsock.accept()  # room again: the SYN retransmitted after 1 s gets in
    ep = backend.select.epoll()
    ep.register(second.fileno(), OUT)
    assert ep.poll(5) == [(second.fileno(), OUT)]
    ep.close()
    for s in (first, second, conn, lsock):
        s.close()


def test_each_arrival_is_an_edge(backend: Backend) -> None:
    client, server = connected_pair(backend)
    ep = backend.select.epoll()
    ep.register(client.fileno(), IN | ET)
    assert ep.poll(0) == []
    server.send(b"a")
    assert ep.poll(1) == [(client.fileno(), IN)]
    assert ep.poll(0) == []
    server.send(b"b")  # data already waiting: still a new edge (sk_data_ready)
    assert ep.poll(1) == [(client.fileno(), IN)]
    assert client.recv(10) == b"ab"
    ep.close()
    client.close()
    server.close()


def test_et_out_item_fires_on_connect_completion(backend: Backend) -> None:
    socket = backend.socket
    lsock = listener(backend)
    client = socket.socket(socket.AF_INET, socket.SOCK_STREAM | socket.SOCK_NONBLOCK)
    ep = backend.select.epoll()
    ep.register(client.fileno(), OUT | ET)
    assert ep.poll(0) == [(client.fileno(), OUT | HUP)]  # fresh: OUT|HUP, harvested once
    assert ep.poll(0) == []
    client.connect_ex(lsock.getsockname())
    assert ep.poll(1) == [(client.fileno(), OUT)]
    assert ep.poll(0) == []
    ep.close()
    server, _ = lsock.accept()
    for s in (client, server, lsock):
        s.close()


def test_filled_sender_gets_one_out_edge_once_enough_is_read(backend: Backend) -> None:
    """A sender that hit EAGAIN (SOCK_NOSPACE) is woken with EPOLLOUT only when free space is
    at least half of what is still queued (sk_stream_write_space), not on every ACK."""
    client, server = connected_pair(backend)
    ep = backend.select.epoll()
    ep.register(client.fileno(), OUT | ET)
    assert ep.poll(0) == [(client.fileno(), OUT)]
    total = 0
    with pytest.raises(BlockingIOError):
        while True:
            total += client.send(b"x" * 1024)
    assert 3_000_000 < total < 5_000_000  # 3.9 MB on Linux 6.18, 4.0 MB in the model
    assert ep.poll(0) == []
    got = 0
    server.setblocking(True)
    while got < 200_000:
        got += len(server.recv(65536))
    assert ep.poll(0.05) == []  # still more than 2/3 of SO_SNDBUF queued
    while got < 2_500_000:
        got += len(server.recv(65536))
    assert ep.poll(1) == [(client.fileno(), OUT)]
    assert ep.poll(0) == []
    ep.close()
    client.close()
    server.close()
