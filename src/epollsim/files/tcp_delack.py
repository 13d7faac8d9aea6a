"""When TCP acknowledges: quick ACKs, delayed ACKs and ping-pong mode (net/ipv4/tcp_input.c, tcp_output.c, tcp_timer.c).

Theory of operation
-------------------
Linux does not acknowledge every segment at once. Arriving data only
schedules an ACK (``ack_pending``, icsk_ack.pending: ICSK_ACK_SCHED); after
the segment is processed, and after any data the arrival lets us send
(which carries the ACK, and every segment we send clears what was
pending), ``_ack_snd_check`` (__tcp_ack_snd_check) decides:

* now, if more than one receive MSS has arrived since the last window we
  advertised and the window has not shrunk (or all of it was read), or in
  quick-ACK mode: while quick-ACK
  credits (``ack_quick``, up to TCP_MAX_QUICKACKS = 16, granted on the
  first data and after a long silence) last and the connection is not in
  ping-pong mode;
* else later: the delayed-ACK timer is set ``ack_ato`` ahead (at least
  TCP_ATO_MIN = 40 ms), unless a reply goes out first and carries the ACK.

Ping-pong mode (``ack_pingpong``) starts when we send data within ``ato``
of the last data received (an interactive exchange: the reply will carry
the ACK), and when the peer's FIN arrives in ESTABLISHED (our FIN may
carry it); it ends when the delayed-ACK timer has to send an ACK after
all. Reading can send the ACK early (tcp_cleanup_rbuf): when the read
empties the queue and a short segment was pushed (ICSK_ACK_PUSHED, only
outside ping-pong mode) or two were (ICSK_ACK_PUSHED2); the model makes
that test when it delays the ACK (ACK_ON_READ, ACK_ON_DRAIN), so a read in
an exchange pays one bit test. A segment out of order, a duplicate, data
past the window or a zero-window probe are answered at once
(tcp_enter_quickack_mode).

So on loopback an echo's first request and reply are each acknowledged at
once, and from the second exchange on each reply carries the ACK of its
request: two segments a round trip. A program sees it in SIOCOUTQ (sent
but unacknowledged bytes) and in when the send buffer frees.

The delayed-ACK timer is lazy, as the retransmission timer is
(``tcp_timers.py``): ``ack_timeout`` is the deadline while ICSK_ACK_TIMER
is pending, at most one clock timer is pending per socket, and a timer
that fires to find the ACK already sent does nothing. Linux counts ato in
jiffies; the model in nanoseconds of the virtual clock.
"""
from __future__ import annotations

from . import tcp_states as T
from .tcp_segment import ACK, PSH
from .tcp_sock import NS_PER_MS, TCP_MSS_DEFAULT, TcpSock
from .tcp_timers import SockTimer, rearm

# include/net/inet_connection_sock.h: enum inet_csk_ack_state_t
ICSK_ACK_SCHED = 1
ICSK_ACK_TIMER = 2
ICSK_ACK_PUSHED = 4
ICSK_ACK_PUSHED2 = 8
# (ICSK_ACK_NOW = 16: no step of the model asks for a one-time immediate ACK; quick-ACK mode does.)
# The model's own bits: what tcp_cleanup_rbuf will decide, decided when the ACK is delayed (below).
ACK_ON_READ = 32  # any read sends it: more than one receive MSS is unacknowledged
ACK_ON_DRAIN = 64  # a read that empties the queue sends it: a short segment was pushed
# include/net/tcp.h (HZ/25, HZ/5, HZ/2)
TCP_ATO_MIN_NS = 40 * NS_PER_MS
TCP_DELACK_MIN_NS = 40 * NS_PER_MS
_HALF_ATO_MIN_NS = TCP_ATO_MIN_NS // 2
TCP_DELACK_MAX_NS = 200 * NS_PER_MS
TCP_DELACK_SLOW_MAX_NS = 500 * NS_PER_MS
TCP_MAX_QUICKACKS = 16
TCP_MIN_MSS = 88
TCP_HEADER_LEN = 32  # 20 bytes and the timestamp option, as Linux sends on loopback
TCP_PINGPONG_THRESH = 1  # net.ipv4.tcp_pingpong_thresh
PINGPONG_MAX = 255  # icsk_ack.pingpong is a u8


def _delack_fired(ref: SockTimer) -> None:
    if ref.sock is not None:
        ref.sock.delack_timer_fired(ref)


class TcpDelack(TcpSock):
    """The acknowledging half of ``TcpSocket`` (a mixin: the state is the socket's)."""

    __slots__ = ()

    def _incr_quickack(self, max_quickacks: int) -> None:
        """tcp_incr_quickack: credits for half the window in receive-MSS segments, at least 2."""
        quickacks = (self.rcv_adv - self.rcv_wup) // (2 * self.rcv_mss) or 2
        quickacks = min(quickacks, max_quickacks)
        if quickacks > self.ack_quick:
            self.ack_quick = quickacks

    def _enter_quickack_mode(self) -> None:
        """tcp_enter_quickack_mode (and schedule the ACK): acknowledge at once from now on."""
        self._incr_quickack(TCP_MAX_QUICKACKS)
        self.ack_pingpong = 0
        self.ack_ato = TCP_ATO_MIN_NS
        self.ack_pending |= ICSK_ACK_SCHED

    def _event_data_recv(self, length: int, flags: int) -> None:
        """tcp_event_data_recv: schedule an ACK, measure the receive MSS, adapt ato.

        With tcp_measure_rcv_mss inline (a model segment carries PSH when it
        ends what was written); this runs for every segment of data.
        """
        pending = self.ack_pending | ICSK_ACK_SCHED
        lss = self.last_seg_size
        if lss:
            self.last_seg_size = 0
        whole = length + TCP_HEADER_LEN  # Linux measures with the header
        if length < self.rcv_mss and whole < TCP_MSS_DEFAULT + 20 and (whole < TCP_MIN_MSS + 20 or flags & PSH):
            # a short segment (an exchange's usual one): the sender pushed what it had
            pending |= ICSK_ACK_PUSHED2 | ICSK_ACK_PUSHED if pending & ICSK_ACK_PUSHED else ICSK_ACK_PUSHED
        elif length >= self.rcv_mss:
            self.rcv_mss = length  # min(len, advmss): a model segment is at most the MSS
            if flags & PSH:
                pending |= ICSK_ACK_PUSHED
        else:  # full-sized for its header, below the estimate: two alike are the sender's MSS
            self.last_seg_size = length
            if length == lss:
                self.rcv_mss = length
            else:
                pending |= ICSK_ACK_PUSHED2 | ICSK_ACK_PUSHED if pending & ICSK_ACK_PUSHED else ICSK_ACK_PUSHED
        self.ack_pending = pending
        now = self.clock.now_ns
        ato = self.ack_ato
        if not ato:  # the first data: start the delayed-ACK engine
            self._incr_quickack(TCP_MAX_QUICKACKS)
            self.ack_ato = TCP_ATO_MIN_NS
        else:
            m = now - self.ack_lrcvtime
            if m <= _HALF_ATO_MIN_NS:
                self.ack_ato = (ato >> 1) + _HALF_ATO_MIN_NS
            elif m < ato:
                self.ack_ato = min((ato >> 1) + m, self.rto_ns)
            elif m > self.rto_ns:  # a long silence: the sender may be waiting, ACK quickly
                self._incr_quickack(TCP_MAX_QUICKACKS)
        self.ack_lrcvtime = now

    def _ack_snd_check(self) -> None:
        """__tcp_ack_snd_check: an ACK is scheduled; send it now, or tcp_send_delayed_ack:
        set the delayed-ACK timer ``ato`` ahead (or keep the one set, if it is sooner)."""
        pending = self.ack_pending
        if (
            (self.rcv_nxt - self.rcv_wup > self.rcv_mss  # more than one full segment ...
             and (not self.rcv_queued  # ... and all read (SO_RCVLOWAT 1), or the window did not shrink
                  or self.rcv_space - self.rcv_queued >= self.rcv_adv - self.rcv_wup))
            or (self.ack_quick and self.ack_pingpong < TCP_PINGPONG_THRESH)  # tcp_in_quickack_mode
        ):
            self._xmit(ACK, self.snd_nxt)  # tcp_send_ack
            return
        ato = self.ack_ato
        if ato > TCP_DELACK_MIN_NS:
            max_ato = TCP_DELACK_SLOW_MAX_NS
            if self.ack_pingpong >= TCP_PINGPONG_THRESH or pending & ICSK_ACK_PUSHED:
                max_ato = TCP_DELACK_MAX_NS
            rtt = max(2 * self.net.latency_between(self.stack, self.raddr), TCP_DELACK_MIN_NS)  # srtt
            ato = min(ato, max_ato, rtt, TCP_DELACK_MAX_NS)  # and icsk_delack_max
        timeout = self.clock.now_ns + ato
        if pending & ICSK_ACK_TIMER:
            if self.ack_timeout <= timeout - ato + (ato >> 2):  # about to fire anyway: ACK now
                self._xmit(ACK, self.snd_nxt)
                return
            if timeout >= self.ack_timeout:
                timeout = self.ack_timeout
        # tcp_cleanup_rbuf's test, made now: what it reads (ping-pong mode, rcv_wup, the receive
        # MSS, the PUSHED bits) changes only when a segment arrives, which comes back here, or
        # when one is sent, which carries the ACK and clears all of ack_pending.
        if self.rcv_nxt - self.rcv_wup > self.rcv_mss:
            pending |= ACK_ON_READ
        if pending & ICSK_ACK_PUSHED2 or (pending & ICSK_ACK_PUSHED and self.ack_pingpong < TCP_PINGPONG_THRESH):
            pending |= ACK_ON_DRAIN
        self.ack_pending = pending | ICSK_ACK_SCHED | ICSK_ACK_TIMER
        self.ack_timeout = timeout
        self.delack_ref = rearm(self.delack_ref, self, self.clock, timeout, _delack_fired)

    def _dec_quickack_mode(self) -> None:
        """tcp_dec_quickack_mode: an ACK of new data left, one quick credit is spent."""
        if self.ack_quick <= 1:
            self.ack_quick = 0
            self.ack_ato = TCP_ATO_MIN_NS  # leaving quick-ACK mode deflates ato
        else:
            self.ack_quick -= 1

    def _read_acks_now(self, copied: int) -> bool:
        """tcp_cleanup_rbuf's first test: does this read make the delayed ACK due?"""
        pending = self.ack_pending
        return bool(pending & ACK_ON_READ or (pending & ACK_ON_DRAIN and copied > 0 and not self.rcv_queued))

    def delack_timer_fired(self, ref: SockTimer) -> None:
        """tcp_delack_timer_handler (or a re-arm, if the deadline moved on)."""
        if ref is not self.delack_ref:
            return
        self.delack_ref = None
        if not self.ack_pending & ICSK_ACK_TIMER or self.state not in T.SYNCHRONIZED:
            return
        timeout = self.ack_timeout
        if timeout > self.clock.now_ns:
            self.delack_ref = SockTimer(self, self.clock, timeout, _delack_fired)
            return
        self.ack_pending &= ~ICSK_ACK_TIMER
        if self.ack_pending & ICSK_ACK_SCHED:
            if self.ack_pingpong < TCP_PINGPONG_THRESH:  # missed: inflate ato
                self.ack_ato = min(self.ack_ato << 1, self.rto_ns)
            else:  # missed: leave ping-pong mode, deflate ato
                self.ack_pingpong = 0
                self.ack_ato = TCP_ATO_MIN_NS
            self.net.hold()
            try:
                self._xmit(ACK, self.snd_nxt)
            finally:
                self.net.release()
