"""TCP's byte stream: the send and receive buffers, the window, output (with Nagle's algorithm) and ACK processing.

Theory of operation (net/ipv4/tcp.c, tcp_output.c, tcp_input.c)
---------------------------------------------------------------
The sender keeps every byte until it is acknowledged: ``snd_buf`` holds
the stream from ``snd_una`` (the first unacknowledged byte); ``snd_nxt``
is the next byte to send and ``snd_limit`` the right edge of the
receiver's last advertised window. ``_push`` (tcp_write_xmit) sends new
data in segments of at most TCP_MSS up to that edge, then the FIN once
every byte is out (a FIN takes one sequence number after the data).
Nagle's algorithm, as Linux has it with Minshall's change
(tcp_nagle_test): unless TCP_NODELAY is set or a FIN is queued, the last
piece of the queue, if shorter than the MSS, waits while a short segment
sent earlier (``snd_sml`` is where it ended) is unacknowledged; writes
made meanwhile join it. With the peer delaying its ACK (``tcp_delack.py``)
that is Linux's 40 ms stall of a write-write-read exchange.

The receiver queues in-order data up to its window (``_window``: 70% of
SO_RCVBUF, the payload share Linux's tcp_win_from_space gives on
loopback, less what is queued) and schedules an ACK, which
``tcp_delack.py`` sends at once or delays. Reading data that reopens a window that had shrunk below half of
the receive space sends a window update (tcp_cleanup_rbuf). Data beyond
a gap or past the window is dropped and resent by the sender's timer.

An ACK (``_ack_rcvd``, tcp_ack) frees the acknowledged bytes, notes the
new window edge, moves the FIN states on when it covers our FIN, wakes a
writer that found the buffer full, and sends what the new window allows.

Buffers are the model's rule, not Linux's byte counts: SO_SNDBUF starts at
tcp_wmem[1] = 16384 and, when the connection is established, grows to
3939840 (what tcp_sndbuf_expand gives a loopback connection on Linux 6.18,
measured) unless the program set SO_SNDBUF. ``wmem_queued`` is the
unacknowledged payload (Linux counts skb truesize, a few percent more). A
send queues while ``wmem_queued < sndbuf`` (it may overshoot by one
chunk, as tcp_sendmsg does), else EAGAIN or it sleeps; the socket is
writable while ``sndbuf - queued >= queued / 2`` (sk_stream_is_writeable),
and sk_stream_write_space wakes writers only after someone found it full
(SOCK_NOSPACE).
"""
from __future__ import annotations

from errno import EAGAIN, ENOTCONN, EPIPE

from ..abi.fcntl import O_NONBLOCK
from ..abi.socket import MSG_DONTWAIT, MSG_PEEK, RCV_SHUTDOWN, SEND_SHUTDOWN
from ..errors import oserror
from . import tcp_states as T
from .blocking import WouldBlock
from .inet_sock import READABLE_KEY, WRITABLE_KEY
from .tcp_delack import ACK_ON_DRAIN, ACK_ON_READ, ICSK_ACK_SCHED, PINGPONG_MAX
from .tcp_segment import ACK, FIN, PROBE, PSH, RST, TCP_MSS, Segment, tcp_rcv
from .tcp_sock import TcpSock

TCP_SNDBUF_ESTABLISHED = 3939840  # tcp_sndbuf_expand on a loopback connection (6.18, measured)

_new_segment = object.__new__  # see _xmit
_ACK_ON_ANY_READ = ACK_ON_READ | ACK_ON_DRAIN  # recv's fast path empties the queue


class TcpStream(TcpSock):
    """The byte-stream half of ``TcpSocket`` (a mixin: the state is the socket's)."""

    __slots__ = ()

    @property
    def wmem_queued(self) -> int:
        return len(self.snd_buf)

    def _writable(self) -> bool:
        """sk_stream_is_writeable: free space at least half of what is queued."""
        queued = len(self.snd_buf)
        return self.sndbuf - queued >= queued >> 1

    def _write_space(self) -> None:
        """tcp_check_space -> sk_stream_write_space, only after SOCK_NOSPACE was set."""
        if self.nospace and self._writable():
            self.nospace = False
            if not self.dead and self.wq.entries:
                self.wq.wake(WRITABLE_KEY, 1)

    def send(self, data: bytes | memoryview, flags: int = 0) -> int:
        """tcp_sendmsg_locked: queue what fits, push it; EAGAIN/WouldBlock/EPIPE when nothing did."""
        state = self.state
        if state != T.ESTABLISHED and state != T.CLOSE_WAIT:
            # sk_stream_wait_connect
            if self.err:
                raise oserror(self.take_error())
            if state != T.SYN_SENT and state != T.SYN_RECV:
                raise oserror(EPIPE)
            if flags & MSG_DONTWAIT or self.flags & O_NONBLOCK:
                raise oserror(EAGAIN)
            raise WouldBlock(self.wq, 0, "connection in progress")
        if self.err or self.shutdown_bits & SEND_SHUTDOWN:
            raise oserror(self.take_error() or EPIPE)  # sk_stream_error
        total = len(data)
        buf = self.snd_buf
        if total <= TCP_MSS and len(buf) < self.sndbuf:  # one chunk, and there is room for it
            buf += data
            sent = total
        else:
            sent = 0
            while sent < total:
                if len(buf) >= self.sndbuf:  # sk_stream_memory_free
                    self.nospace = True
                    break
                n = min(total - sent, TCP_MSS)
                buf += data[sent : sent + n]
                sent += n
        if sent:
            net = self.net
            net.hold()
            try:
                self._push()
            finally:
                net.release()
            return sent
        if total == 0:
            return 0
        if flags & MSG_DONTWAIT or self.flags & O_NONBLOCK:
            raise oserror(EAGAIN)
        raise WouldBlock(self.wq, 0, "socket send buffer is full")

    def recv(self, n: int, flags: int = 0) -> bytes:
        """tcp_recvmsg_locked (MSG_PEEK and MSG_DONTWAIT)."""
        if self.state == T.LISTEN:
            raise oserror(ENOTCONN)
        queue = self.rcv_queue
        if queue:
            if flags & MSG_PEEK:
                return b"".join(queue)[:n]
            queued = self.rcv_queued
            if queued > n:
                return self._consume(n)
            data = queue.popleft()  # all of it fits: hand the chunks over (one, usually: no copy)
            if queue:
                data = b"".join((data, *queue))
                queue.clear()
            self.rcv_queued = 0
            if self.ack_pending & _ACK_ON_ANY_READ or self.rcv_adv - self.rcv_nxt < self.rcv_space >> 1:
                self._cleanup_rbuf(queued)
            return data
        if self.done:
            return b""
        if self.err:
            raise oserror(self.take_error())
        if self.shutdown_bits & RCV_SHUTDOWN:
            return b""
        if self.state == T.CLOSE:
            raise oserror(ENOTCONN)
        if flags & MSG_DONTWAIT or self.flags & O_NONBLOCK:
            raise oserror(EAGAIN)
        raise WouldBlock(self.wq, 0, "socket receive queue is empty")

    def _consume(self, n: int) -> bytes:
        queue = self.rcv_queue
        parts = []
        got = 0
        while queue and got < n:
            chunk = queue[0]
            if len(chunk) > n - got:
                parts.append(chunk[: n - got])
                queue[0] = chunk[n - got :]
                got = n
                break
            parts.append(chunk)
            got += len(chunk)
            queue.popleft()
        self.rcv_queued -= got
        self._cleanup_rbuf(got)
        return b"".join(parts) if len(parts) != 1 else parts[0]

    def _cleanup_rbuf(self, copied: int) -> None:
        """tcp_cleanup_rbuf: the ACK a read makes due (tcp_delack.py), or a window that has reopened."""
        if self.state not in T.SYNCHRONIZED:
            return
        if not self._read_acks_now(copied):
            if self.rcv_adv - self.rcv_nxt >= self.rcv_space >> 1 or self.shutdown_bits & RCV_SHUTDOWN:
                return
            if self.rcv_nxt + self._window() <= self.rcv_adv:
                return
        self.net.hold()
        try:
            self._xmit(ACK, self.snd_nxt)
        finally:
            self.net.release()

    def read(self, n: int, nonblock: bool = False) -> bytes:
        if n == 0:
            return b""
        return self.recv(n, MSG_DONTWAIT if nonblock else 0)

    def write(self, data: bytes, nonblock: bool = False) -> int:
        return self.send(data, MSG_DONTWAIT if nonblock else 0)

    def unread_bytes(self) -> int | None:
        return self.rcv_queued

    def _expand_sndbuf(self) -> None:
        if not self.sndbuf_locked:  # tcp_init_buffer_space -> tcp_sndbuf_expand
            self.sndbuf = max(self.sndbuf, TCP_SNDBUF_ESTABLISHED)

    def _ack_rcvd(self, ack: int, wnd: int) -> None:
        """tcp_ack: free what the peer has, note its window, send more (tcp_data_snd_check)."""
        una = self.snd_una
        buf = self.snd_buf
        if ack == self.snd_nxt == una + len(buf) and ack > una and not self.fin_sent:
            # Everything queued was sent and is now acknowledged (tcp_ack's fast path: a pure
            # forward advance): nothing is left to time or to send, unless a FIN waits.
            buf.clear()
            self.snd_una = ack
            self.rto_deadline = None
            if self.retries:
                self.retries = 0
                self.rto_ns = self.rto_base
            if ack + wnd > self.snd_limit:
                self.snd_limit = ack + wnd
            if self.nospace:
                self._write_space()
            if self.fin_pending:
                self._push()
            return
        if ack <= una and ack + wnd <= self.snd_limit:
            return  # a duplicate ACK: nothing acknowledged, no new window
        freed = 0
        if ack > una:
            end = una + len(buf)
            freed = (ack if ack < end else end) - una
            if freed > 0:
                if freed == len(buf):
                    buf.clear()
                else:
                    del buf[:freed]
                self.snd_una = una + freed
            if self.fin_sent and ack > self.fin_seq and not self.fin_acked:
                self.fin_acked = True
                self.state = T.next_state(self.state, T.RCV_ACK)
                if self.state == T.TIME_WAIT:
                    self._time_wait()
                    return
                if self.state == T.CLOSE:  # LAST_ACK done
                    self._done()
                    return
                if self.state == T.FIN_WAIT2 and self.dead:
                    self._arm_fin_timeout()
            self.rto_deadline = None  # tcp_clear_xmit_timers (lazily: see tcp_timers.py)
            if self.retries:  # only a retransmission backs the RTO off
                self.retries = 0
                self.rto_ns = self.rto_base
            self.head_sent_ns = self.clock.now_ns
        if self.snd_nxt < self.snd_una:
            self.snd_nxt = self.snd_una
        if ack >= self.snd_una and ack + wnd > self.snd_limit:
            self.snd_limit = ack + wnd
        if freed > 0 and self.nospace:
            self._write_space()
        # tcp_data_snd_check: send what the window now allows
        if self.snd_nxt < self.snd_una + len(self.snd_buf) or (self.fin_pending and not self.fin_sent):
            self._push()
        elif self.rto_deadline is None and (self.snd_nxt > self.snd_una or (self.fin_sent and not self.fin_acked)):
            self._arm_rto()  # still unacknowledged: the timer restarts (tcp_rearm_rto)

    def _data_rcvd(self, seg: Segment) -> None:
        """tcp_data_queue (+ tcp_fin): in-order data up to the window; the ACK is scheduled, and
        sent now only where Linux sends it at once (``_ack_snd_check`` decides the rest)."""
        state = self.state
        data = seg.data
        if state != T.ESTABLISHED and state != T.FIN_WAIT1 and state != T.FIN_WAIT2:
            if state in (T.CLOSE_WAIT, T.CLOSING, T.LAST_ACK):
                self._xmit(ACK, self.snd_nxt)  # past the peer's FIN: a retransmission, ACK at once
            return
        end = seg.seq + len(data)
        if data and self.shutdown_bits & RCV_SHUTDOWN and state != T.ESTABLISHED and end > self.rcv_nxt:
            # FIN_WAIT1/2 after shutdown(SHUT_RD) or close: "we MUST send a reset" (RFC 1122).
            self._xmit(RST, self.snd_nxt)
            self._reset()
            return
        took = 0
        rcv_nxt = self.rcv_nxt
        if seg.seq <= rcv_nxt < end:
            chunk = data[rcv_nxt - seg.seq :] if rcv_nxt != seg.seq else data  # no copy when in order
            room = self.rcv_space - self.rcv_queued  # the window (tcp_receive_window)
            if len(chunk) > room:  # past the window: dropped, and the ACK goes at once
                chunk = chunk[:room] if room > 0 else b""
                self._enter_quickack_mode()
            if chunk:
                self.rcv_queue.append(chunk)
                took = len(chunk)
                self.rcv_queued += took
                self.rcv_nxt = rcv_nxt + took
                self._event_data_recv(len(data), seg.flags)
        elif data or seg.flags & PROBE:  # a duplicate, out of order, or a probe: ACK at once
            self._enter_quickack_mode()
        if seg.flags & FIN and end == self.rcv_nxt and not self.done:
            self._fin()
            if self.state == T.TIME_WAIT:
                self._xmit(ACK, self.snd_nxt)
                self._time_wait()
                return
            if self.state == T.CLOSING:  # a simultaneous close: ACK the FIN at once
                self._xmit(ACK, self.snd_nxt)
        if took and not self.dead and self.wq.entries:
            self.wq.wake(READABLE_KEY, 1)  # sk_data_ready

    def _purge(self) -> None:
        """tcp_write_queue_purge."""
        self.snd_una += len(self.snd_buf)
        self.snd_buf.clear()
        self.snd_nxt = self.snd_una
        self.fin_pending = False

    def _window(self) -> int:
        """The receive window: 70% of SO_RCVBUF (the rcv_space), less what is queued."""
        return max(0, self.rcv_space - self.rcv_queued)

    def _xmit(self, flags: int, seq: int, data: bytes = b"") -> None:
        """tcp_transmit_skb: every segment carries the cumulative ACK and the current window."""
        rcv_nxt = self.rcv_nxt
        wnd = self.rcv_space - self.rcv_queued
        if wnd < 0:
            wnd = 0
        self.rcv_adv = rcv_nxt + wnd
        self.rcv_wup = rcv_nxt  # tcp_select_window
        pending = self.ack_pending
        if pending and flags & ACK:  # tcp_event_ack_sent: nothing is pending any more
            if self.ack_quick and pending & ICSK_ACK_SCHED:
                self._dec_quickack_mode()
            self.ack_pending = 0
        if data and self.clock.now_ns - self.ack_lrcvtime < self.ack_ato and self.ack_pingpong < PINGPONG_MAX:
            self.ack_pingpong += 1  # tcp_event_data_sent: a reply within ato of the request
        # The fields one by one, not through Segment.__init__: a Python call per segment costs
        # more than the ten stores (this is the hottest allocation of a connection).
        seg = _new_segment(Segment)
        seg.src, seg.sport, seg.dst, seg.dport = self.lwire, self.lport, self.raddr, self.rport
        seg.flags, seg.seq, seg.wnd, seg.data, seg.origin = flags, seq, wnd, data, self
        seg.ack = rcv_nxt + 1 if self.done else rcv_nxt  # the peer's FIN takes one number
        self.net.transmit(self.stack, seg.dst, tcp_rcv, seg)

    def set_nodelay(self, on: bool) -> None:
        """TCP_NODELAY (tcp_sock_set_nodelay): turning it on sends what Nagle's algorithm held."""
        self.nodelay = on
        if on:
            self.net.hold()
            try:
                self._push()
            finally:
                self.net.release()

    def _send_fin(self) -> None:
        self.fin_pending = True
        self._push()

    def _push(self) -> None:
        """tcp_write_xmit: new data up to the peer's window, then the FIN after the last byte."""
        if self.state not in T.SYNCHRONIZED:
            return
        una = self.snd_una
        buf = self.snd_buf
        size = len(buf)
        end = una + size
        limit = self.snd_limit
        nxt = self.snd_nxt
        while nxt < end and nxt < limit:
            n = end - nxt  # min(what is left, the window, the MSS), without the call
            if n > limit - nxt:
                n = limit - nxt
            if n > TCP_MSS:
                n = TCP_MSS
            if n < TCP_MSS:
                if (not self.nodelay and nxt + n == end and not self.fin_pending
                        and una < self.snd_sml <= nxt):
                    break  # tcp_nagle_test: the last, short piece waits while a short one is unacknowledged
                self.snd_sml = nxt + n  # tcp_minshall_update
            if nxt == una and not self.retries:
                self.head_sent_ns = self.clock.now_ns
            self.snd_nxt = nxt + n
            # The payload is copied out of the send buffer once (a bytearray slice would copy twice).
            # Nothing arrives meanwhile: segments sent here are delivered after the caller's step.
            self._xmit(
                ACK | PSH if nxt + n == end else ACK,
                nxt, bytes(buf) if n == size else bytes(memoryview(buf)[nxt - una : nxt + n - una]),
            )
            nxt += n
        if self.fin_pending and not self.fin_sent and self.snd_nxt == end:
            if self.snd_nxt == self.snd_una and not self.retries:
                self.head_sent_ns = self.clock.now_ns
            self.fin_sent = True
            self.fin_seq = end
            self._xmit(FIN | ACK, end)
        if self.rto_deadline is None and (self.snd_nxt > self.snd_una or (self.fin_sent and not self.fin_acked)
                                       or self.snd_nxt < end):
            # _arm_rto, with its common case inline: the pending clock timer is due no later than
            # the new deadline, so moving the deadline is all (tcp_timers.py: the timer is lazy).
            deadline = self.clock.now_ns + self.rto_ns
            ref = self.rto_ref
            if ref is not None and ref.timer.deadline_ns <= deadline and ref.timer.active:  # due_by, inline
                self.rto_deadline = deadline
            else:
                self._arm_rto()
