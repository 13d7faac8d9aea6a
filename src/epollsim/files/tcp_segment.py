"""TCP segments and their demultiplexing (net/ipv4/tcp_ipv4.c tcp_v4_rcv, tcp_v4_send_reset).

Theory of operation
-------------------
Two TCP sockets talk only in ``Segment``s handed to ``net.network``: a
segment is delivered to its destination stack by calling ``tcp_rcv``,
which finds the socket by the stack's port table (``net/stack.py``: an
established connection by its 4-tuple first, then a listener) and hands
the segment to its ``segment_arrived`` (tcp_rcv_state_process). Nothing
is delivered by reference to the peer object, so a segment can find a
socket closed, in TIME_WAIT or gone (then it is answered with a RST,
which is how a connect to a port nobody has learns ECONNREFUSED), and a
segment between hosts can be delayed or lost and resent.

Sequence numbers are stream offsets: the SYN and each side's first byte
are at 0 (the model has no initial sequence number), and a FIN takes one
number after the last byte. The flags are TCP's SYN, ACK, FIN, RST and
the model's PROBE (a zero-window probe: "answer with an ACK"); PSH marks
the last segment of what was queued, as Linux's tcp_push does.

A segment carries its payload by reference: the sender slices the bytes
out of its send buffer once (``bytes(snd_buf[a:b])``) and the receiver
queues that object, or a slice of it only when its window cuts it short.
"""
from __future__ import annotations

from typing import Any

from ..net.stack import IPPROTO_TCP, NetStack

# Segment flags (the model's: SYN, ACK, FIN, RST as TCP has them; PROBE asks for an ACK).
SYN = 1
ACK = 2
FIN = 4
RST = 8
PROBE = 16
PSH = 32  # the segment ends what the sender had queued (Linux sets PSH there): see tcp_delack.py

TCP_MSS = 65483  # loopback: MTU 65536 - 40 (headers) - 12 (timestamps)


class Segment:
    """One TCP segment: addresses (wire form), flags, sequence/ack in stream offsets, window, data.

    ``origin`` is the sending socket (for happens-before and inspection,
    never for delivery, which always goes through the stack's tables).
    """

    __slots__ = ("ack", "data", "dport", "dst", "flags", "origin", "seq", "sport", "src", "wnd")

    def __init__(
        self, src: str, sport: int, dst: str, dport: int, flags: int, seq: int, ack: int, wnd: int,
        data: bytes, origin: Any,
    ) -> None:
        self.src, self.sport, self.dst, self.dport = src, sport, dst, dport
        self.flags, self.seq, self.ack, self.wnd = flags, seq, ack, wnd
        self.data = data
        self.origin = origin


def tcp_rcv(stack: NetStack, seg: Segment) -> None:
    """tcp_v4_rcv: find the socket (connection first, then listener); none: answer with a RST."""
    found = stack.conns.get((IPPROTO_TCP, seg.dst, seg.dport, seg.src, seg.sport))
    if found:  # an established connection, by its exact 4-tuple (__inet_lookup_established)
        for binding in found:
            binding.sock.segment_arrived(seg)
            return
    sock = stack.lookup(IPPROTO_TCP, seg.dst, seg.dport, seg.src, seg.sport)
    if sock is None:
        if not seg.flags & RST:
            send_reset(stack, seg)
        return
    sock.segment_arrived(seg)


def send_reset(stack: NetStack, seg: Segment) -> None:
    """tcp_v4_send_reset: a RST back to where ``seg`` came from."""
    rst = Segment(seg.dst, seg.dport, seg.src, seg.sport, RST, 0, 0, 0, b"", None)
    stack.network.transmit(stack, seg.src, tcp_rcv, rst)
