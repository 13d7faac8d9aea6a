"""A listening TCP socket: the request children and the accept queue (net/ipv4/inet_connection_sock.c).

Theory of operation
-------------------
``listen`` (inet_listen) claims the port for listening (the stack re-checks
the bind conflicts, as inet_csk_listen_start does) and moves the socket to
LISTEN. A SYN arriving at a listener (tcp_conn_request) makes a child
socket in SYN_RECV at once (Linux makes a request sock first; the model has
no NEW_SYN_RECV), hashed by its 4-tuple, which answers with a SYN-ACK and
keeps resending it (``tcp_timers.py``). The handshake's last ACK
(tcp_check_req + tcp_child_process) moves the child to ESTABLISHED and onto
the accept queue, waking the listener (sk_data_ready); ``accept``
(inet_csk_accept) takes the oldest one.

The backlog: a SYN is dropped while more than ``backlog`` connections wait
in the accept queue (sk_acceptq_is_full), and so is the final ACK of a
child that would overflow it (the child stays in SYN_RECV and its SYN-ACK
is resent, so the client's ACK comes again 1 s later). ``listen``'s
backlog is already capped at net.core.somaxconn = 4096 by __sys_listen. The
SYN queue's own limit and syncookies are not modelled.

Closing a listener (inet_csk_listen_stop) resets every child that was not
accepted, in SYN_RECV or waiting in the queue.
"""
from __future__ import annotations

from errno import EAGAIN, EINVAL

from ..errors import oserror
from ..net.stack import IPPROTO_TCP
from . import tcp_states as T
from .blocking import WouldBlock
from .tcp_segment import ACK, SYN, Segment
from .tcp_sock import TcpSock
from .tcp_states import SS_CONNECTED, SS_UNCONNECTED
from .tcp_timers import TCP_TIMEOUT_INIT_NS

SOMAXCONN = 4096  # net.core.somaxconn


class TcpListen(TcpSock):
    """The listener half of ``TcpSocket`` (a mixin: the state is the socket's)."""

    __slots__ = ()

    def listen(self, backlog: int) -> None:
        """inet_listen (the backlog is already capped at somaxconn by __sys_listen)."""
        if self.sock_state != SS_UNCONNECTED or self.state not in (T.CLOSE, T.LISTEN):
            raise oserror(EINVAL)
        if self.state == T.CLOSE and self.raddr:
            # A socket whose connect failed (refused, timed out) cannot listen: EINVAL, measured on
            # Linux 6.18 (bound or not, blocking or not), though a new connect may start.
            raise oserror(EINVAL)
        if self.state != T.LISTEN:
            if self.stack.binding(IPPROTO_TCP, self) is None:
                self._autobind(False)
            self.stack.listen(IPPROTO_TCP, self)
            self.state = T.next_state(self.state, T.LISTEN_CALL)
        self.backlog = backlog

    def accept(self, nonblock: bool) -> TcpSock:
        """inet_csk_accept: the oldest established child; EINVAL unless listening."""
        if self.state != T.LISTEN:
            raise oserror(EINVAL)
        if not self.accept_queue:
            if nonblock:
                raise oserror(EAGAIN)
            raise WouldBlock(self.wq, 0, "accept queue is empty", "tail_exclusive")
        child = self.accept_queue.popleft()
        child.parent = None
        child.sock_state = SS_CONNECTED
        return child

    def _conn_request(self, seg: Segment) -> None:
        """tcp_conn_request: a child in SYN_RECV, unless the accept queue is full (then drop)."""
        if len(self.accept_queue) > self.backlog:  # sk_acceptq_is_full
            return
        child = type(self)(next(self.fids), 0, self.family, self.stack, self.clock, self.fids)
        # The options a child inherits from its listener (sk_clone_lock copies the sock).
        child.reuseaddr, child.reuseport, child.keepalive = self.reuseaddr, self.reuseport, self.keepalive
        child.nodelay, child.linger, child.v6only = self.nodelay, self.linger, self.v6only
        child.sndbuf, child.rcvbuf = self.sndbuf, self.rcvbuf
        child.sndbuf_locked, child.rcvbuf_locked = self.sndbuf_locked, self.rcvbuf_locked
        if self.sockopts:  # the stored ones (syscalls/sockopts.py)
            child.sockopts = dict(self.sockopts)
        child.parent = self
        child.laddr = child._seen(seg.dst)
        child.lwire = seg.dst
        child.lport = seg.dport
        child.raddr, child.rport = seg.src, seg.sport
        child.peer = seg.origin
        self.stack.add_child(IPPROTO_TCP, child, self, child.laddr, (seg.src, seg.sport))
        child.state = T.next_state(T.CLOSE, T.RCV_SYN)
        child.snd_limit = seg.wnd
        self.requests[child] = None
        child.head_sent_ns = self.clock.now_ns
        child.rto_ns = TCP_TIMEOUT_INIT_NS
        child._xmit(SYN | ACK, 0)
        child._arm_rto()

    def _complete_child(self, seg: Segment) -> bool:
        """tcp_check_req + tcp_child_process: the handshake's ACK; False if the queue is full."""
        parent = self.parent
        if parent is None:
            return False
        if not seg.flags & ACK or len(parent.accept_queue) > parent.backlog:
            return False
        self.state = T.next_state(self.state, T.RCV_ACK)
        self._stop_timers()
        self.retries = 0
        self.rto_ns = self.rto_base = self._base_rto()
        self._expand_sndbuf()
        del parent.requests[self]
        parent.accept_queue.append(self)
        parent._data_ready()
        return True

    def _drop_request(self) -> None:
        parent = self.parent
        if parent is not None:
            parent.requests.pop(self, None)
        self.parent = None
        self.dead = True
        self.state = T.next_state(self.state, T.RESET)
        self._kill_timers()
        self._unhash()
        self.stack.unbind(IPPROTO_TCP, self)

    def _listen_stop(self) -> None:
        """inet_csk_listen_stop: every child not yet accepted is reset."""
        children = list(self.requests) + list(self.accept_queue)
        self.requests.clear()
        self.accept_queue.clear()
        for child in children:
            child.dead = True
            child.parent = None
            child._active_reset()
