"""TCP sockets (net/ipv4/tcp*.c, af_inet.c, inet_connection_sock.c) over the model's network.

Theory of operation
-------------------
A ``TcpSocket`` is Linux's struct socket + struct sock in one: the socket
state a program's calls see (``sock_state``: SS_UNCONNECTED, SS_CONNECTING,
SS_CONNECTED) and the TCP state (``tcp_states.py``, a table: every change
goes through ``next_state``). Sockets talk only in segments
(``tcp_segment.py``) through ``net.network``: a segment is demultiplexed at
its destination by the stack's port table (``net/stack.py``), so a segment
to a port nobody has is answered with a RST (ECONNREFUSED), one that finds a
closed socket too, and every protocol step can be delayed, lost (partition)
and retransmitted.

The class is assembled from one module per part of the protocol, each a
mixin over the state this module's ``__init__`` sets up:

* ``inet_sock.py``: what TCP shares with UDP (addresses, options, bind's
  checks, routing, SO_ERROR);
* ``tcp_sock.py``: every field, set up in one place, and the wake-ups;
* this module: the file's poll (tcp_poll), bind, connect
  (inet_stream_connect, tcp_v4_connect, tcp_finish_connect) and the
  dispatch of arriving segments by state (tcp_rcv_state_process, with
  tcp_rcv_established's fast path for ESTABLISHED);
* ``tcp_listen.py``: listen, the SYN_RECV children and the accept queue;
* ``tcp_stream.py``: the send and receive buffers, the window, output and
  ACK processing, send and recv;
* ``tcp_close.py``: shutdown, close, FIN, RST and TIME_WAIT;
* ``tcp_delack.py``: when to acknowledge (quick, delayed, ping-pong);
* ``tcp_timers.py``: retransmission, probes and the FIN_WAIT2 timeout.

Wake-ups, with Linux's keys: data queued: sk_data_ready
(IN|PRI|RDNORM|RDBAND); a child ready to accept: the listener's
sk_data_ready; acknowledged data freeing room after someone saw the socket
full (SOCK_NOSPACE): sk_stream_write_space (OUT|WRNORM|WRBAND); state
changes (connected, FIN, shutdown, reset): sk_state_change (no key); a RST
or timeout: sk_error_report (ERR) as well. A socket whose file is gone
(SOCK_DEAD, an orphan) wakes nobody.

Not modelled: congestion control, TCP_CORK and MSG_MORE, keepalive probes
(SO_KEEPALIVE is stored), urgent data, SO_LINGER with a non-zero timeout
(close does not wait), TCP Fast Open, syncookies, out-of-order queues
(a segment beyond a gap is dropped and resent), MSS and segment sizes
beyond one rule (65483 bytes, loopback's), and the SYN queue limit.
"""
from __future__ import annotations

from errno import EADDRNOTAVAIL, EALREADY, ECONNABORTED, EINPROGRESS, EINVAL, EISCONN, ENOTCONN
from typing import Any

from ..abi.epoll import EPOLLERR, EPOLLHUP, EPOLLIN, EPOLLOUT, EPOLLRDHUP, EPOLLRDNORM, EPOLLWRNORM
from ..abi.ioctl import SIOCINQ, SIOCOUTQ
from ..abi.socket import RCV_SHUTDOWN, SEND_SHUTDOWN, SHUTDOWN_MASK, SOCK_STREAM
from ..errors import Unsupported, oserror
from ..net import addr as A
from ..net.stack import IPPROTO_TCP
from ..vfs.file import PollTable
from . import tcp_states as T
from .blocking import WouldBlock
from .inet_sock import READABLE_KEY
from .tcp_close import TcpClose
from .tcp_delack import ICSK_ACK_SCHED, TcpDelack
from .tcp_listen import SOMAXCONN, TcpListen
from .tcp_segment import ACK, FIN, PROBE, RST, SYN, Segment, send_reset
from .tcp_states import SS_CONNECTED, SS_CONNECTING, SS_UNCONNECTED
from .tcp_stream import TcpStream
from .tcp_timers import TCP_TIMEOUT_INIT_NS, TcpTimers

_READABLE_WRITABLE = EPOLLIN | EPOLLRDNORM | EPOLLOUT | EPOLLWRNORM
_NOT_FAST = SYN | RST | FIN | PROBE  # the slow path takes these (tcp_rcv_established's header prediction)


class TcpSocket(TcpStream, TcpListen, TcpClose, TcpDelack, TcpTimers):
    """An AF_INET/AF_INET6 SOCK_STREAM socket: listener, connecting or connected."""

    type = SOCK_STREAM
    proto = IPPROTO_TCP

    def __repr__(self) -> str:
        return f"<tcp #{self.fid} {T.NAMES[self.state]} {self.laddr}:{self.lport}>"

    # -- readiness ------------------------------------------------------------

    def poll(self, pt: PollTable) -> int:
        """tcp_poll."""
        if pt is not None:
            pt(self.wq)
        state = self.state
        if state == T.ESTABLISHED and not self.shutdown_bits and not self.err:  # the usual case, in short
            queued = len(self.snd_buf)
            if self.sndbuf - queued >= queued >> 1:
                return _READABLE_WRITABLE if self.rcv_queued else EPOLLOUT | EPOLLWRNORM
            self.nospace = True
            return EPOLLIN | EPOLLRDNORM if self.rcv_queued else 0
        if state == T.LISTEN:  # inet_csk_listen_poll
            return EPOLLIN | EPOLLRDNORM if self.accept_queue else 0
        mask = 0
        shutdown = self.shutdown_bits
        if shutdown == SHUTDOWN_MASK or state == T.CLOSE:
            mask = EPOLLHUP
        if shutdown & RCV_SHUTDOWN:
            mask |= EPOLLIN | EPOLLRDNORM | EPOLLRDHUP
        if state != T.SYN_SENT and state != T.SYN_RECV:
            if self.rcv_queued:
                mask |= EPOLLIN | EPOLLRDNORM
            queued = len(self.snd_buf)  # sk_stream_is_writeable, as _writable has it
            if shutdown & SEND_SHUTDOWN or self.sndbuf - queued >= queued >> 1:
                mask |= EPOLLOUT | EPOLLWRNORM
            else:
                self.nospace = True
        if self.err:
            mask |= EPOLLERR
        return mask

    def ioctl(self, request: int) -> int:
        """tcp_ioctl: SIOCINQ (tcp_inq) and SIOCOUTQ; both EINVAL on a listener, 0 mid-handshake.

        SIOCINQ is rcv_nxt - copied_seq, less one once the FIN is in: the model's
        ``rcv_nxt`` never counts the FIN, so that is the bytes queued unread.
        SIOCOUTQ is write_seq - snd_una: everything sent or queued and not yet
        acknowledged, the FIN included (it takes a sequence number). In CLOSE
        the model answers only where Linux's sequence numbers are known: for a
        socket that never connected or listened, and after an orderly close
        whose FIN was acknowledged. Elsewhere Linux still counts the SYN of a
        failed connect, the unacknowledged data a reset threw away (the write
        queue purge leaves snd_una), and tcp_disconnect's jump of write_seq by
        max_window + 2 (measured on 6.18: 1 after a refused non-blocking
        connect, 3 after a blocking one, 2 for a listener shut down with
        SHUT_RD), which the model does not keep. (A listener made with backlog 0
        and then shut down is not told apart from a fresh socket: 0, where Linux
        says 2.)
        """
        if request != SIOCINQ and request != SIOCOUTQ:
            return super().ioctl(request)
        state = self.state
        if state == T.LISTEN:
            raise oserror(EINVAL)
        if state == T.SYN_SENT or state == T.SYN_RECV:
            return 0
        if request == SIOCINQ:
            return self.rcv_queued
        if state == T.CLOSE and not self.fin_acked and (self.raddr or self.backlog):  # raddr: port 0 too
            raise Unsupported(
                f"ioctl(SIOCOUTQ) on a {self!r} after a failed connect, a reset or a disconnect is not modelled"
            )
        return len(self.snd_buf) + (1 if self.fin_pending and not self.fin_acked else 0)

    # -- addresses, bind, connect ---------------------------------------------

    def peername(self) -> tuple[str, int]:
        """inet_getname(peer=1): ENOTCONN without a remote or in CLOSE/SYN_SENT."""
        if not self.rport or self.state in (T.CLOSE, T.SYN_SENT):
            raise oserror(ENOTCONN)
        return self._seen(self.raddr), self.rport

    def bind(self, addr: str, port: int) -> None:
        """inet_bind / inet6_bind."""
        self._check_bind(addr)
        if self.state != T.CLOSE or self.stack.binding(IPPROTO_TCP, self) is not None:
            raise oserror(EINVAL)
        b = self._claim_port(addr, port)
        self.laddr, self.lport = addr, b.port
        self.bindport_locked = port != 0
        self.bindaddr_locked = addr not in (A.ANY4, A.ANY6)

    def _autobind(self, for_connect: bool) -> None:
        self.lport = self._claim_port(self.laddr, 0, for_connect).port

    def connect(self, addr: str, port: int, nonblock: bool) -> None:
        """inet_stream_connect up to the wait; raises EINPROGRESS, EALREADY or WouldBlock."""
        state = self.sock_state
        if state == SS_CONNECTED:
            raise oserror(EISCONN)
        if state == SS_CONNECTING:
            err = EALREADY
        elif state == SS_UNCONNECTED:
            if self.state != T.CLOSE:
                raise oserror(EISCONN)
            err = EINPROGRESS
        else:
            raise oserror(EINVAL)
        # The handshake's answer is processed when the socket is released (release_sock),
        # after this check: a non-blocking connect says EINPROGRESS even on loopback.
        self.net.hold()
        try:
            if err == EINPROGRESS:
                self._v4_connect(addr, port)
            if nonblock and self.state in (T.SYN_SENT, T.SYN_RECV):
                raise oserror(err)
        finally:
            self.net.release()
        self.connect_wait()

    def connect_wait(self) -> None:
        """The rest of inet_stream_connect: wait for the handshake, then succeed or report."""
        if self.state in (T.SYN_SENT, T.SYN_RECV):
            raise WouldBlock(self.wq, 0, "connection in progress")
        if self.state == T.CLOSE:
            code = self.take_error() or ECONNABORTED
            self.sock_state = SS_UNCONNECTED
            self._disconnect()
            raise oserror(code)
        self.sock_state = SS_CONNECTED

    def _v4_connect(self, addr: str, port: int) -> None:
        """tcp_v4_connect / tcp_v6_connect: route, pick the source port, send the SYN."""
        dst = self._route(addr)
        b = self.stack.binding(IPPROTO_TCP, self)
        src = self.stack.source_for(dst) if b is None else self._source(dst)
        if b is None:
            self.laddr = self._seen(src)
            self._autobind(True)
            b = self.stack.binding(IPPROTO_TCP, self)
            assert b is not None
        elif self.stack.tuple_in_use(IPPROTO_TCP, src, self.lport, (dst, port)):
            raise oserror(EADDRNOTAVAIL)
        self.laddr = self._seen(src)
        self.lwire = src
        b.addr = self.laddr
        b.cover = A.cover(self.family, self.laddr, self.v6only)
        self.raddr, self.rport = dst, port
        self.stack.set_remote(IPPROTO_TCP, self, (dst, port))
        self.state = T.next_state(self.state, T.CONNECT)
        self.sock_state = SS_CONNECTING
        self.head_sent_ns = self.clock.now_ns
        self.retries = 0
        self.rto_ns = TCP_TIMEOUT_INIT_NS
        self._xmit(SYN, 0)
        self._arm_rto()

    def sync_tx(self) -> Any:
        return self.peer if self.peer is not None else self

    # -- arrivals -------------------------------------------------------------

    def segment_arrived(self, seg: Segment) -> None:
        """tcp_rcv_state_process, for the states the model has."""
        state = self.state
        flags = seg.flags
        if state == T.ESTABLISHED and not flags & _NOT_FAST:  # the fast path (tcp_rcv_established)
            data = seg.data
            if data:  # queued first, so that what the ACK lets us send carries its ACK
                n = len(data)
                if seg.seq == self.rcv_nxt and n <= self.rcv_space - self.rcv_queued:
                    # in order, within the window: tcp_data_queue's first case, inline
                    self.rcv_queue.append(data)
                    self.rcv_queued += n
                    self.rcv_nxt += n
                    self._event_data_recv(n, flags)
                    if not self.dead and self.wq.entries:
                        self.wq.wake(READABLE_KEY, 1)  # sk_data_ready
                else:
                    self._data_rcvd(seg)
            ack = seg.ack
            if flags & ACK and (ack > self.snd_una or ack + seg.wnd > self.snd_limit):  # else a duplicate
                self._ack_rcvd(ack, seg.wnd)
            if data and self.ack_pending & ICSK_ACK_SCHED:
                self._ack_snd_check()
            return
        if state == T.LISTEN:
            if flags & RST:
                return
            if flags & SYN and not flags & ACK:
                self._conn_request(seg)
            else:
                send_reset(self.stack, seg)
            return
        if flags & RST:
            if state == T.SYN_RECV and self.parent is not None:  # a request: just forgotten
                self._drop_request()
            else:
                self._reset()
            return
        if state == T.SYN_SENT:
            if flags & SYN:
                if flags & ACK:
                    self._finish_connect(seg)
                else:
                    self._simultaneous_open(seg)
            return
        if state == T.SYN_RECV:
            if flags & SYN:
                if flags & ACK and self.parent is None:  # the other SYN-ACK of a simultaneous open
                    self._finish_simultaneous_open(seg)
                else:
                    self._xmit(SYN | ACK, 0)  # the SYN again: our SYN-ACK was lost
                return
            if self.parent is None:  # a simultaneous open: an ACK of our SYN-ACK makes it too
                if not flags & ACK:
                    return
                self._finish_simultaneous_open(seg)
            elif not self._complete_child(seg):
                return
        elif state == T.CLOSE:
            send_reset(self.stack, seg)
            return
        if flags & SYN:  # a retransmitted SYN-ACK: our ACK was lost
            self._xmit(ACK, self.snd_nxt)
            return
        if flags & ACK:
            self._ack_rcvd(seg.ack, seg.wnd)
        if seg.data or flags & (FIN | PROBE):
            self._data_rcvd(seg)
        if self.ack_pending & ICSK_ACK_SCHED and self.state in T.SYNCHRONIZED:
            self._ack_snd_check()

    def _simultaneous_open(self, seg: Segment) -> None:
        """tcp_rcv_synsent_state_process, a SYN without ACK: "simultaneous connect with crossed
        SYNs. Particularly, it can be connect to self." SYN_RECV, and a SYN-ACK (tcp_send_synack)
        that the SYN_RETRIES timer keeps resending (the connect still waits)."""
        self.state = T.next_state(self.state, T.RCV_SYN)
        self.peer = seg.origin
        self.snd_limit = seg.wnd
        self._xmit(SYN | ACK, 0)

    def _finish_simultaneous_open(self, seg: Segment) -> None:
        """tcp_rcv_state_process in SYN_RECV (tcp_validate_incoming lets a simultaneous open's
        SYN-ACK pass): its ACK of our SYN makes the connection, as the handshake's last ACK would."""
        self.state = T.next_state(self.state, T.RCV_ACK)
        self.snd_limit = seg.wnd
        self._stop_timers()
        self.retries = 0
        self.rto_ns = self.rto_base = self._base_rto()
        self._expand_sndbuf()
        self._state_change()

    def _finish_connect(self, seg: Segment) -> None:
        """tcp_finish_connect: ESTABLISHED, the handshake's ACK, wake the connecting thread."""
        self.state = T.next_state(self.state, T.RCV_SYNACK)
        self.peer = seg.origin
        self.snd_limit = seg.wnd
        self._stop_timers()
        self.retries = 0
        self.rto_ns = self.rto_base = self._base_rto()
        self._expand_sndbuf()
        self._xmit(ACK, 0)
        self._state_change()


__all__ = ["SOMAXCONN", "TcpSocket"]
