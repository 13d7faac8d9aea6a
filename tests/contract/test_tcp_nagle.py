"""Nagle's algorithm on loopback TCP, with Minshall's change (tcp_nagle_test), seen through SIOCINQ/SIOCOUTQ.

Without TCP_NODELAY a short write waits while a short segment sent earlier
is unacknowledged; later writes join it. Once both ends are in ping-pong
mode the peer delays that ACK (test_tcp_delayed_ack.py), so the classic
write-write-read exchange stalls until the delayed-ACK timer fires
(40 ms on the model's virtual clock, 40-50 ms on Linux 6.18). Setting
TCP_NODELAY or sending the FIN sends what was held at once. A value read
while something is held is read through the ``AckWindow`` (tcp_helpers.py):
within 30 ms of the send that opened the interval on the real kernel, or
the test runs again on a fresh pair.
"""
from __future__ import annotations

from typing import Any

from tcp_helpers import AckWindow, inq, on_a_fresh_pair, outq, settled, wait_readable

from epollsim.testing.backends import Backend


def ping_pong(c: Any, s: Any, window: AckWindow) -> None:
    """Two request/reply exchanges: both ends in ping-pong mode, the client's ACK of the last
    reply delayed (``window`` opens with that reply)."""
    for _ in range(2):
        c.send(b"a")
        assert s.recv(10) == b"a"
        window.start()
        s.send(b"b")
        assert c.recv(10) == b"b"


@on_a_fresh_pair
def test_the_first_short_writes_go_at_once(backend: Backend, c: Any, s: Any, _: AckWindow) -> None:
    s.send(b"1")
    s.send(b"2")  # "1" was quick-ACKed: nothing short is in flight
    assert settled(backend, inq, c, 2) == 2
    assert outq(backend, s) == 0


@on_a_fresh_pair
def test_a_short_write_waits_for_the_ack_of_the_last_short_segment(
    backend: Backend, c: Any, s: Any, window: AckWindow
) -> None:
    ping_pong(c, s, window)
    c.send(b"q")  # carries the ACK of "b"
    assert s.recv(10) == b"q"
    window.start()
    s.send(b"1")
    s.send(b"2")
    s.send(b"3")
    assert window.inq(c) == 1  # "2" and "3" wait for the ACK of "1", which the client delays
    assert window.outq(s) == 3
    assert c.recv(10) == b"1"
    start = backend.time.monotonic()
    wait_readable(backend, c)
    waited = backend.time.monotonic() - start
    assert c.recv(10) == b"23"  # the held writes went as one segment
    assert waited >= 0.03  # until the delayed-ACK timer
    assert settled(backend, outq, s, 0) == 0


@on_a_fresh_pair
def test_tcp_nodelay_sends_what_was_held(backend: Backend, c: Any, s: Any, window: AckWindow) -> None:
    socket = backend.socket
    ping_pong(c, s, window)  # "b" is short and unacknowledged
    s.send(b"1")
    s.send(b"2")
    assert window.inq(c) == 0
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 0)
    assert window.inq(c) == 0  # turning it off pushes nothing
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    assert settled(backend, inq, c, 2) == 2
    s.send(b"3")  # and nothing waits any more
    assert settled(backend, inq, c, 3) == 3


@on_a_fresh_pair
def test_the_fin_takes_what_was_held_along(backend: Backend, c: Any, s: Any, window: AckWindow) -> None:
    ping_pong(c, s, window)
    s.send(b"1")
    s.send(b"2")
    assert window.inq(c) == 0
    s.shutdown(backend.socket.SHUT_WR)
    assert settled(backend, inq, c, 2) == 2
    assert c.recv(10) == b"12"
    assert c.recv(10) == b""
