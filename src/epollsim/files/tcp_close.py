"""How a TCP connection ends: shutdown, close, FIN, RST, TIME_WAIT (net/ipv4/tcp.c, tcp_input.c, tcp_minisocks.c).

Theory of operation
-------------------
Our side ends the stream with ``shutdown(SHUT_WR)`` or ``close``
(tcp_shutdown, tcp_close -> tcp_close_state): ESTABLISHED, SYN_RECV and
CLOSE_WAIT send a FIN after the queued data (FIN_WAIT1, LAST_ACK), and the
peer's ACK of it moves on to FIN_WAIT2 or CLOSE (``tcp_stream.py``
``_ack_rcvd``). The peer's FIN (``_fin``, tcp_fin) shuts our receive side:
reads return b"" after the queued data, RDHUP shows, and ESTABLISHED goes
to CLOSE_WAIT, FIN_WAIT2 to TIME_WAIT (FIN_WAIT1 to CLOSING).

``close`` sends a RST instead of a FIN when data was unread (tcp_close:
"data was lost") or SO_LINGER is on with a zero time (tcp_disconnect);
a connect still in progress just stops, a listener resets its children.
The file is gone (SOCK_DEAD) but the connection lives on as an orphan
until its FIN is acknowledged; an orphan in FIN_WAIT2 lasts
tcp_fin_timeout (``tcp_timers.py``).

A RST arriving (``_reset``, tcp_reset) sets the error the program will
read: ECONNREFUSED while connecting, EPIPE in CLOSE_WAIT, else
ECONNRESET; then tcp_done: CLOSE, both directions shut, the timers
stopped, the 4-tuple unhashed and the port given back unless the program
bound it explicitly. Data already queued can still be read.

The side that closed first ends in TIME_WAIT: a ``TimeWait``
(inet_timewait_sock) takes over the binding for TCP_TIMEWAIT_LEN = 60 s,
keeping the 4-tuple and the port busy, and the socket itself is CLOSE.
"""
from __future__ import annotations

from errno import ECONNREFUSED, ECONNRESET, EINVAL, ENOTCONN, EPIPE

from ..abi.epoll import EPOLLERR
from ..abi.socket import AF_INET, RCV_SHUTDOWN, SEND_SHUTDOWN, SHUT_RD, SHUT_RDWR, SHUTDOWN_MASK
from ..clock import Clock
from ..errors import oserror
from ..net import addr as A
from ..net.stack import IPPROTO_TCP, NetStack
from ..net.stack import TIME_WAIT as B_TIME_WAIT
from . import tcp_states as T
from .tcp_delack import ICSK_ACK_SCHED, TCP_PINGPONG_THRESH
from .tcp_segment import RST, Segment
from .tcp_sock import TcpSock
from .tcp_states import SS_CONNECTED, SS_CONNECTING, SS_DISCONNECTING, SS_UNCONNECTED
from .tcp_timers import TCP_TIMEWAIT_LEN_NS


class TimeWait:
    """inet_timewait_sock: holds a closed connection's port for TCP_TIMEWAIT_LEN."""

    __slots__ = ("stack", "timer")

    def __init__(self, stack: NetStack, clock: Clock) -> None:
        self.stack = stack
        self.timer = clock.call_at(clock.now_ns + TCP_TIMEWAIT_LEN_NS, self._expire)

    def segment_arrived(self, seg: Segment) -> None:
        if seg.flags & RST:  # tcp_timewait_state_process: RFC 1337 off, a RST kills it
            self.timer.cancel()
            self.stack.unbind(IPPROTO_TCP, self)
        # A retransmitted FIN gets its ACK; the model's peer needs none (it resends on timeout only
        # while the FIN is unacknowledged, and the first ACK was sent).

    def _expire(self, _: object) -> None:
        self.stack.unbind(IPPROTO_TCP, self)

    def host_crashed(self) -> None:
        """Its host crashed: the port is already free (NetStack.crash); the timer must not act."""
        self.timer.cancel()


class TcpClose(TcpSock):
    """The teardown half of ``TcpSocket`` (a mixin: the state is the socket's)."""

    __slots__ = ()

    def shutdown(self, how: int) -> None:
        """inet_shutdown + tcp_shutdown."""
        if how < SHUT_RD or how > SHUT_RDWR:
            raise oserror(EINVAL)
        how += 1  # SHUT_RD -> RCV_SHUTDOWN, ...
        if self.sock_state == SS_CONNECTING:
            if self.state in (T.SYN_SENT, T.SYN_RECV, T.CLOSE):
                self.sock_state = SS_DISCONNECTING
            else:
                self.sock_state = SS_CONNECTED
        err = 0
        self.net.hold()
        try:
            state = self.state
            if state == T.LISTEN and how & RCV_SHUTDOWN or state == T.SYN_SENT:
                self._disconnect()
                self.sock_state = SS_UNCONNECTED
            elif state != T.LISTEN:
                if state == T.CLOSE:
                    err = ENOTCONN
                self.shutdown_bits |= how
                if how & SEND_SHUTDOWN and state in (T.ESTABLISHED, T.SYN_RECV, T.CLOSE_WAIT):
                    self.state = T.next_state(state, T.SEND_FIN)
                    self._send_fin()
            self._state_change()
        finally:
            self.net.release()
        if err:
            raise oserror(err)

    def release(self) -> None:
        """tcp_close: the last reference to the file went."""
        self.net.hold()
        try:
            self._close()
        finally:
            self.net.release()

    def _close(self) -> None:
        self.shutdown_bits = SHUTDOWN_MASK
        self.dead = True
        state = self.state
        if state == T.LISTEN:
            self.state = T.next_state(state, T.CLOSE_CALL)
            self._listen_stop()
            self.stack.unbind(IPPROTO_TCP, self)
            return
        if state == T.CLOSE:
            self._kill_timers()
            self.stack.unbind(IPPROTO_TCP, self)
            return
        if self.rcv_queued:  # "data was unread": RST, not FIN
            self._active_reset()
            return
        if self.linger[0] and not self.linger[1]:  # SO_LINGER 0: tcp_disconnect
            self._disconnect()
            self.stack.unbind(IPPROTO_TCP, self)
            return
        if state == T.SYN_SENT:  # tcp_close_state: no FIN for a connect in progress
            self.state = T.next_state(state, T.CLOSE_CALL)
            self._done()
            return
        if state in (T.ESTABLISHED, T.SYN_RECV, T.CLOSE_WAIT):
            self.state = T.next_state(state, T.SEND_FIN)
            self._send_fin()
        if self.state == T.FIN_WAIT2:
            self._arm_fin_timeout()

    def _disconnect(self) -> None:
        """tcp_disconnect: a RST if the peer knows us, then back to CLOSE (reusable)."""
        old = self.state
        if old == T.LISTEN:
            self.state = T.next_state(old, T.CLOSE_CALL)
            self._listen_stop()
        elif old in (T.ESTABLISHED, T.CLOSE_WAIT, T.FIN_WAIT1, T.FIN_WAIT2, T.SYN_RECV):  # tcp_need_reset
            self._xmit(RST, self.snd_nxt)
            self.err = ECONNRESET
            self.state = T.next_state(old, T.RESET)
        elif old == T.SYN_SENT:
            self.err = ECONNRESET
            self.state = T.next_state(old, T.CLOSE_CALL)
        elif old != T.CLOSE:
            self.state = T.next_state(old, T.RESET)
        self._kill_timers()
        self._purge()
        self.shutdown_bits = 0
        self.done = False
        self._unhash()
        if not self.bindaddr_locked:  # inet_reset_saddr: the source address a connect chose goes
            self.laddr = self.lwire = A.ANY4 if self.family == AF_INET else A.ANY6
            b = self.stack.binding(IPPROTO_TCP, self)
            if b is not None:
                b.addr = self.laddr
                b.cover = A.cover(self.family, self.laddr, self.v6only)
        if not self.bindport_locked:
            self._put_port()
        if not self.dead and self.wq.entries:
            self.wq.wake(EPOLLERR, 1)  # sk_error_report

    def _active_reset(self) -> None:
        """tcp_send_active_reset + tcp_set_state(CLOSE)."""
        self._xmit(RST, self.snd_nxt)
        self.state = T.next_state(self.state, T.RESET)
        self._kill_timers()
        self._purge()
        self._unhash()
        self.stack.unbind(IPPROTO_TCP, self)

    def _fin(self) -> None:
        """tcp_fin."""
        self.ack_pending |= ICSK_ACK_SCHED
        self.shutdown_bits |= RCV_SHUTDOWN
        self.done = True
        if self.state == T.ESTABLISHED:  # CLOSE_WAIT: our FIN may carry the ACK (ping-pong mode)
            self.ack_pingpong = TCP_PINGPONG_THRESH
        self.state = T.next_state(self.state, T.RCV_FIN)
        self._state_change()

    def _reset(self) -> None:
        """tcp_reset: a RST arrived."""
        state = self.state
        if state == T.CLOSE:
            return
        if state == T.SYN_SENT:
            self.err = ECONNREFUSED
        elif state == T.CLOSE_WAIT:
            self.err = EPIPE
        else:
            self.err = ECONNRESET
        self._purge()
        self._done()
        if not self.dead and self.wq.entries:
            self.wq.wake(EPOLLERR, 1)  # sk_error_report

    def network_reset(self) -> None:
        """Network.reset_connections: as if the peer had sent a RST."""
        self.net.hold()
        try:
            if self.state == T.SYN_RECV and self.parent is not None:
                self._drop_request()
            else:
                self._reset()
        finally:
            self.net.release()

    def _done(self) -> None:
        """tcp_done: CLOSE, both directions shut, the port let go of unless bound by the program."""
        if self.state != T.CLOSE:
            self.state = T.next_state(self.state, T.RESET)
        self.shutdown_bits = SHUTDOWN_MASK
        self._kill_timers()
        self._unhash()
        if self.dead or not self.bindport_locked:
            self._put_port()
        self._state_change()

    def _put_port(self) -> None:
        """inet_put_port: the port goes back (inet_num = 0; getsockname still shows it)."""
        self.stack.unbind(IPPROTO_TCP, self)

    def _unhash(self) -> None:
        b = self.stack.binding(IPPROTO_TCP, self)
        if b is not None and b.remote is not None:
            self.stack.set_remote(IPPROTO_TCP, self, None)

    def _time_wait(self) -> None:
        """tcp_time_wait: a TimeWait takes the port, this socket is done (CLOSE)."""
        b = self.stack.binding(IPPROTO_TCP, self)
        if b is not None:
            self.stack.hand_over(IPPROTO_TCP, self, TimeWait(self.stack, self.clock))
            b.state = B_TIME_WAIT
        self.state = T.next_state(self.state, T.TIMEWAIT_END)
        self.shutdown_bits = SHUTDOWN_MASK
        self._kill_timers()
        self._state_change()
