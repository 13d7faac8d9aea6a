"""When a loopback TCP connection acknowledges, seen through SIOCOUTQ (tcp_delack.py).

SIOCOUTQ counts what a socket has sent and the peer has not acknowledged,
so it shows Linux's ACK policy (measured on 6.18): the first data is
acknowledged at once (16 quick ACKs), a request/reply exchange switches both
ends to ping-pong mode where the reply carries the ACK of its request, a
peer that neither replies nor reads acknowledges 40 ms later, and a reader
that empties its queue acknowledges then unless it is in ping-pong mode.

Each test runs on a fresh pair (``on_a_fresh_pair``). A value read while an
ACK is delayed is read through the ``AckWindow``: on the real kernel it must
come within 30 ms of the send that opened the interval, or the test runs
again. A value that a timer changes is waited for: 0.3 s of virtual time on
the model, a real sleep on the kernel.
"""
from __future__ import annotations

from typing import Any

from tcp_helpers import AckWindow, on_a_fresh_pair, outq, settled

from epollsim.testing.backends import Backend

REQUEST = b"0123456789abcdef\n"
N = len(REQUEST)


def exchange(c: Any, s: Any) -> None:
    """One request and its reply, each read in full."""
    c.send(REQUEST)
    assert s.recv(100) == REQUEST
    s.send(REQUEST)
    assert c.recv(100) == REQUEST


@on_a_fresh_pair
def test_first_request_and_reply_are_acknowledged_at_once(backend: Backend, c: Any, s: Any, _: AckWindow) -> None:
    c.send(REQUEST)
    assert settled(backend, outq, c, 0) == 0  # a quick ACK, before the server reads
    assert s.recv(100) == REQUEST
    s.send(REQUEST)
    assert settled(backend, outq, s, 0) == 0


@on_a_fresh_pair
def test_in_ping_pong_mode_the_reply_carries_the_ack(backend: Backend, c: Any, s: Any, window: AckWindow) -> None:
    exchange(c, s)
    for _ in range(3):
        window.start()
        c.send(REQUEST)
        assert window.outq(c) == N  # the ACK waits for the reply
        assert s.recv(100) == REQUEST
        assert window.outq(c) == N  # reading does not send it in ping-pong mode
        window.start()
        s.send(REQUEST)
        assert settled(backend, outq, c, 0) == 0  # the reply did
        assert window.outq(s) == N
        assert c.recv(100) == REQUEST


@on_a_fresh_pair
def test_a_delayed_ack_goes_out_when_its_timer_fires(backend: Backend, c: Any, s: Any, window: AckWindow) -> None:
    exchange(c, s)
    window.start()
    c.send(REQUEST)
    assert window.outq(c) == N
    backend.time.sleep(0.3)  # TCP_DELACK_MIN = 40 ms
    assert settled(backend, outq, c, 0) == 0
    assert s.recv(100) == REQUEST


@on_a_fresh_pair
def test_sixteen_quick_acks_then_delayed_while_nobody_reads(
    backend: Backend, c: Any, s: Any, window: AckWindow
) -> None:
    seen = []
    window.start()
    for _ in range(20):
        c.send(REQUEST)
        seen.append(outq(backend, c))
    window.check()
    assert seen == [0] * 16 + [N, 2 * N, 3 * N, 4 * N]  # TCP_MAX_QUICKACKS
    backend.time.sleep(0.3)
    assert settled(backend, outq, c, 0) == 0  # one delayed ACK for all four


@on_a_fresh_pair
def test_reading_everything_acks_at_once_outside_ping_pong(
    backend: Backend, c: Any, s: Any, window: AckWindow
) -> None:
    seen = []
    for _ in range(20):
        window.start()
        c.send(REQUEST)
        seen.append(window.outq(c))
        assert s.recv(100) == REQUEST
        assert settled(backend, outq, c, 0) == 0  # the read emptied the queue: ACK now
    assert seen == [0] * 16 + [N] * 4


@on_a_fresh_pair
def test_two_short_segments_are_acknowledged_when_both_are_read(
    backend: Backend, c: Any, s: Any, window: AckWindow
) -> None:
    socket = backend.socket
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)  # Nagle would hold the second
    exchange(c, s)
    exchange(c, s)
    c.send(b"q")
    assert s.recv(10) == b"q"
    window.start()
    s.send(b"1")
    s.send(b"2")
    assert window.outq(s) == 2
    assert c.recv(1) == b"1"
    assert window.outq(s) == 2  # the queue is not empty yet
    assert c.recv(10) == b"2"
    assert settled(backend, outq, s, 0) == 0  # two pushed segments, all read: ACK now


@on_a_fresh_pair
def test_the_ack_of_a_fin_waits_for_our_fin(backend: Backend, c: Any, s: Any, window: AckWindow) -> None:
    socket = backend.socket
    exchange(c, s)
    window.start()
    c.shutdown(socket.SHUT_WR)
    assert window.outq(c) == 1  # the FIN takes one sequence number; its ACK is delayed
    assert s.recv(10) == b""
    assert window.outq(c) == 1
    s.shutdown(socket.SHUT_WR)  # our FIN carries the ACK of theirs
    assert settled(backend, outq, c, 0) == 0


@on_a_fresh_pair
def test_the_ack_of_a_fin_alone_comes_with_the_timer(backend: Backend, c: Any, s: Any, window: AckWindow) -> None:
    window.start()
    c.shutdown(backend.socket.SHUT_WR)
    assert window.outq(c) == 1
    backend.time.sleep(0.3)
    assert settled(backend, outq, c, 0) == 0
