"""TCP's timers on the virtual clock (net/ipv4/tcp_timer.c): retransmission, probes, FIN_WAIT2.

Theory of operation
-------------------
One retransmission timer per socket (Linux's icsk_retransmit_timer) covers
the SYN, the SYN-ACK, unacknowledged data and the zero-window probe:

* a SYN is resent after 1, 2, 4, 8, 16 and 32 s (tcp_syn_retries = 6) and
  the connect fails with ETIMEDOUT 127 s after the first SYN; a SYN-ACK is
  resent likewise 5 times (tcp_synack_retries), then the request is
  dropped;
* unacknowledged data is resent from the first unacknowledged byte after
  the RTO (TCP_RTO_MIN = 200 ms plus the path's round trip, tcp_set_rto),
  doubling up to TCP_RTO_MAX = 120 s, and the connection fails with
  ETIMEDOUT once tcp_retries2 = 15 retransmissions are used up, 924.6 s
  after the first transmission (retransmits_timed_out, tcp_model_timeout);
* a zero window is probed at the RTO, doubling, and never times out
  (tcp_probe_timer with the peer still answering).

The timer is lazy, because Linux's sk_reset_timer is cheap and a clock
timer of the model is not: ``rto_deadline`` is when it is due (None: not
armed) and at most one clock timer is pending per socket. Re-arming to a
later deadline (an ACK that acknowledges data restarts the timer,
tcp_rearm_rto) only moves ``rto_deadline``; the pending clock timer, when
it fires early, arms itself again for the new deadline. So a loopback
exchange, where every segment is acknowledged before its sender returns,
costs one clock timer per RTO interval, not one per segment, and what the
program can observe (when a resend or a timeout happens) is the same.
Each clock timer is a ``SockTimer``, cut when the connection is over, so
a timer left in the clock's heap does not keep a closed socket alive.

An orphaned FIN_WAIT2 (closed by the program, waiting for the peer's FIN)
is dropped after tcp_fin_timeout = 60 s.
"""
from __future__ import annotations

from collections.abc import Callable
from errno import ETIMEDOUT
from typing import TYPE_CHECKING

from ..abi.epoll import EPOLLERR
from . import tcp_states as T
from .tcp_segment import ACK, PROBE, SYN
from .tcp_sock import TCP_RTO_MIN_NS, TcpSock

if TYPE_CHECKING:
    from ..clock import Clock

NS_PER_SEC = 1_000_000_000
# include/net/tcp.h (TCP_RTO_MIN in tcp_sock.py: a new socket's RTO)
TCP_RTO_MAX_NS = 120 * NS_PER_SEC
TCP_TIMEOUT_INIT_NS = 1 * NS_PER_SEC
TCP_TIMEWAIT_LEN_NS = 60 * NS_PER_SEC
TCP_FIN_TIMEOUT_NS = 60 * NS_PER_SEC
# sysctls at their defaults (Documentation/networking/ip-sysctl.rst)
TCP_SYN_RETRIES = 6
TCP_SYNACK_RETRIES = 5
TCP_RETRIES2 = 15


def model_timeout(rto_base_ns: int, boundary: int) -> int:
    """tcp_model_timeout: how long ``boundary`` exponential backoffs from ``rto_base`` last."""
    thresh = (TCP_RTO_MAX_NS // rto_base_ns).bit_length() - 1  # ilog2
    if boundary <= thresh:
        return ((2 << boundary) - 1) * rto_base_ns
    return ((2 << thresh) - 1) * rto_base_ns + (boundary - thresh) * TCP_RTO_MAX_NS


SYN_TIMEOUT_NS = model_timeout(TCP_TIMEOUT_INIT_NS, TCP_SYN_RETRIES)  # 127 s
SYNACK_TIMEOUT_NS = model_timeout(TCP_TIMEOUT_INIT_NS, TCP_SYNACK_RETRIES)  # 63 s
DATA_TIMEOUT_NS = model_timeout(TCP_RTO_MIN_NS, TCP_RETRIES2)  # 924.6 s


class SockTimer:
    """One clock timer of a socket (retransmission, delayed ACK) and the socket it fires on.

    ``fired(ref)`` runs at ``deadline`` unless the timer was cut first; a
    cut timer also lets go of the socket, so one left in the clock's heap
    does not keep a closed socket alive.
    """

    __slots__ = ("sock", "timer")

    def __init__(self, sock: TcpSock, clock: Clock, deadline: int, fired: Callable[[SockTimer], None]) -> None:
        self.sock: TcpSock | None = sock
        self.timer = clock.call_at(deadline, fired, self)

    def due_by(self, deadline: int) -> bool:
        """Still pending, and due no later than ``deadline``."""
        return self.timer.active and self.timer.deadline_ns <= deadline

    def cut(self) -> None:
        self.timer.cancel()
        self.sock = None


def rearm(
    ref: SockTimer | None, sock: TcpSock, clock: Clock, deadline: int, fired: Callable[[SockTimer], None]
) -> SockTimer:
    """A timer of ``sock`` that fires by ``deadline``: ``ref`` itself if it is pending that soon
    (it fires early, sees the later deadline and arms again), else a new one (``ref`` is cut)."""
    if ref is not None:
        if ref.due_by(deadline):
            return ref
        ref.cut()
    return SockTimer(sock, clock, deadline, fired)


def _rto_fired(ref: SockTimer) -> None:
    if ref.sock is not None:
        ref.sock.retransmit_timer(ref)


class TcpTimers(TcpSock):
    """The timer half of ``TcpSocket`` (a mixin: the state is the socket's)."""

    __slots__ = ()

    def _base_rto(self) -> int:
        """tcp_set_rto after one RTT sample: the round trip plus at least TCP_RTO_MIN."""
        rtt: int = 2 * self.net.latency_between(self.stack, self.raddr)
        return min(rtt + max(2 * rtt, TCP_RTO_MIN_NS), TCP_RTO_MAX_NS)

    def _arm_rto(self) -> None:
        deadline = self.clock.now_ns + self.rto_ns
        self.rto_deadline = deadline
        self.rto_ref = rearm(self.rto_ref, self, self.clock, deadline, _rto_fired)

    def _stop_timers(self) -> None:
        """The retransmission timer is no longer due (tcp_clear_xmit_timers, lazily)."""
        self.rto_deadline = None

    def _kill_timers(self) -> None:
        """The connection is over: no timer of it will ever act."""
        self.rto_deadline = None
        for ref in (self.rto_ref, self.delack_ref):
            if ref is not None:
                ref.cut()
        self.rto_ref = self.delack_ref = None
        self.ack_pending = 0
        if self.fin_timer is not None:
            self.fin_timer.cancel()
            self.fin_timer = None

    def host_crashed(self) -> None:
        """Its host crashed: no retransmission, delayed ACK or FIN timeout will ever act."""
        self._kill_timers()

    def _arm_fin_timeout(self) -> None:
        if self.fin_timer is None:
            self.fin_timer = self.clock.call_at(self.clock.now_ns + TCP_FIN_TIMEOUT_NS, self._fin_timeout)

    def _fin_timeout(self, _: object) -> None:
        self.fin_timer = None
        if self.state == T.FIN_WAIT2:
            self.net.hold()
            try:
                self._done()
            finally:
                self.net.release()

    def retransmit_timer(self, ref: SockTimer) -> None:
        """tcp_retransmit_timer / tcp_probe_timer (or a re-arm, if the deadline moved on)."""
        if ref is not self.rto_ref:
            return
        self.rto_ref = None
        deadline = self.rto_deadline
        if deadline is None:
            return
        if deadline > self.clock.now_ns:
            self.rto_ref = SockTimer(self, self.clock, deadline, _rto_fired)
            return
        self.rto_deadline = None
        self.net.hold()
        try:
            self._on_rto()
        finally:
            self.net.release()

    def _on_rto(self) -> None:
        state = self.state
        elapsed = self.clock.now_ns - self.head_sent_ns
        if state == T.SYN_SENT or state == T.SYN_RECV:
            connecting = state == T.SYN_SENT or self.parent is None  # a simultaneous open's SYN_RECV
            limit = SYN_TIMEOUT_NS if connecting else SYNACK_TIMEOUT_NS
            if elapsed >= limit:
                if connecting:
                    self._write_err()
                else:
                    self._drop_request()
                return
            self._backoff()
            self._xmit(SYN if state == T.SYN_SENT else SYN | ACK, 0)
            self._arm_rto()
            return
        if state not in T.SYNCHRONIZED:
            return
        outstanding = self.snd_nxt > self.snd_una or (self.fin_sent and not self.fin_acked)
        if outstanding:
            if elapsed >= DATA_TIMEOUT_NS:
                self._write_err()
                return
            self._backoff()
            self.snd_nxt = self.snd_una  # go back: resend from the first unacknowledged byte
            if not self.fin_acked:
                self.fin_sent = False
            self._push()
            if self.rto_deadline is None:
                self._arm_rto()
        elif self.snd_nxt < self.snd_una + len(self.snd_buf):  # zero window: probe
            self._backoff()
            self._xmit(ACK | PROBE, self.snd_nxt)
            self._arm_rto()

    def _backoff(self) -> None:
        self.retries += 1
        self.rto_ns = min(self.rto_ns * 2, TCP_RTO_MAX_NS)

    def _write_err(self) -> None:
        """tcp_write_err: ETIMEDOUT, and the connection is gone."""
        self.err = ETIMEDOUT
        self._purge()
        self._done()
        if not self.dead and self.wq.entries:
            self.wq.wake(EPOLLERR, 1)
