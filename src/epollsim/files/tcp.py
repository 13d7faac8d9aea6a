"""TCP sockets (net/ipv4/tcp*.c, af_inet.c, inet_connection_sock.c) over the model's network.

Theory of operation
-------------------
A ``TcpSocket`` is Linux's struct socket + struct sock in one: the socket
state a program's calls see (``sock_state``: SS_UNCONNECTED, SS_CONNECTING,
SS_CONNECTED) and the TCP state (``tcp_states.py``, a table: every change
goes through ``next_state``). Sockets talk only in segments (``Segment``)
through ``net.network``: a segment is demultiplexed at its destination by
the stack's port table (``net/stack.py``), so a segment to a port nobody
has is answered with a RST (ECONNREFUSED), one that finds a closed socket
too, and every protocol step can be delayed, lost (partition) and
retransmitted.

The stream: the sender keeps every byte until it is acknowledged
(``snd_buf`` from ``snd_una``; ``snd_nxt`` is the next byte to send) and
sends no further than the receiver's last advertised window. The receiver
queues in-order data up to its window (``rcv_space``: 70% of SO_RCVBUF,
the payload share Linux's tcp_win_from_space gives on loopback) and
acknowledges every segment; reading data that reopens a window that had
shrunk below half sends a window update. A FIN takes one sequence number
after the data.

Buffers: SO_SNDBUF starts at tcp_wmem[1] = 16384 and, when the connection
is established, grows to 3939840 (what tcp_sndbuf_expand gives a loopback
connection on Linux 6.18, measured) unless the program set SO_SNDBUF.
``wmem_queued`` is the unacknowledged payload (Linux counts skb truesize,
a few percent more). A send queues while ``wmem_queued < sndbuf`` (it may
overshoot by one chunk, as tcp_sendmsg does), else EAGAIN or it sleeps;
the socket is writable while ``sndbuf - queued >= queued / 2``
(sk_stream_is_writeable). These numbers are the model's rule: Linux's exact
byte counts depend on skb truesize and autotuning, and contract tests only
check what does not.

Wake-ups, with Linux's keys: data queued: sk_data_ready
(IN|PRI|RDNORM|RDBAND); a child ready to accept: the listener's
sk_data_ready; acknowledged data freeing room after someone saw the socket
full (SOCK_NOSPACE): sk_stream_write_space (OUT|WRNORM|WRBAND); state
changes (connected, FIN, shutdown, reset): sk_state_change (no key); a RST
or timeout: sk_error_report (ERR) as well.

Timers (net/ipv4/tcp_timer.c), on the virtual clock: a SYN is resent after
1, 2, 4, 8, 16 and 32 s (tcp_syn_retries = 6) and the connect fails with
ETIMEDOUT 127 s after the first SYN; a SYN-ACK is resent likewise 5 times
(tcp_synack_retries), then the request is dropped. Unacknowledged data is
resent after the RTO (200 ms, TCP_RTO_MIN, plus the path's round trip),
doubling up to 120 s (TCP_RTO_MAX), and the connection fails with
ETIMEDOUT once tcp_retries2 = 15 retransmissions are used up, 924.6 s after
the first transmission (retransmits_timed_out, tcp_model_timeout). A zero
window is probed at the RTO and never times out. TIME_WAIT lasts 60 s
(TCP_TIMEWAIT_LEN), an orphaned FIN_WAIT2 as long (tcp_fin_timeout).

Not modelled: congestion control, Nagle and delayed ACKs (TCP_NODELAY is
stored), keepalive probes (SO_KEEPALIVE is stored), urgent data, SO_LINGER
with a non-zero timeout (close does not wait), TCP Fast Open, syncookies,
out-of-order queues (a segment beyond a gap is dropped and resent), MSS
and segment sizes beyond one rule (65483 bytes, loopback's), and the
SYN queue limit.
"""
from __future__ import annotations

from collections import deque
from collections.abc import Iterator
from errno import (
    EADDRNOTAVAIL,
    EAGAIN,
    EALREADY,
    ECONNABORTED,
    ECONNREFUSED,
    ECONNRESET,
    EINPROGRESS,
    EINVAL,
    EISCONN,
    ENETUNREACH,
    ENOTCONN,
    EPIPE,
    ETIMEDOUT,
)
from typing import Any

from ..abi.epoll import (
    EPOLLERR,
    EPOLLHUP,
    EPOLLIN,
    EPOLLOUT,
    EPOLLPRI,
    EPOLLRDBAND,
    EPOLLRDHUP,
    EPOLLRDNORM,
    EPOLLWRBAND,
    EPOLLWRNORM,
)
from ..abi.fcntl import O_NONBLOCK, O_RDWR
from ..abi.socket import (
    AF_INET,
    AF_INET6,
    MSG_DONTWAIT,
    MSG_PEEK,
    RCV_SHUTDOWN,
    SEND_SHUTDOWN,
    SHUT_RD,
    SHUT_RDWR,
    SHUTDOWN_MASK,
    SOCK_STREAM,
)
from ..abi.stat import S_IFSOCK
from ..clock import Clock, Timer
from ..errors import oserror
from ..net import addr as A
from ..net.stack import IPPROTO_TCP, NetStack, wire_address
from ..net.stack import TIME_WAIT as B_TIME_WAIT
from ..vfs.file import OpenFile, PollTable
from ..vfs.waitqueue import WaitQueue
from . import tcp_states as T
from .blocking import WouldBlock

_READABLE_KEY = EPOLLIN | EPOLLPRI | EPOLLRDNORM | EPOLLRDBAND  # sock_def_readable
_WRITABLE_KEY = EPOLLOUT | EPOLLWRNORM | EPOLLWRBAND  # sk_stream_write_space

# include/linux/net.h: socket_state
SS_UNCONNECTED = 1
SS_CONNECTING = 2
SS_CONNECTED = 3
SS_DISCONNECTING = 4

NS_PER_MS = 1_000_000
NS_PER_SEC = 1_000_000_000
# include/net/tcp.h
TCP_RTO_MIN_NS = 200 * NS_PER_MS
TCP_RTO_MAX_NS = 120 * NS_PER_SEC
TCP_TIMEOUT_INIT_NS = 1 * NS_PER_SEC
TCP_TIMEWAIT_LEN_NS = 60 * NS_PER_SEC
TCP_FIN_TIMEOUT_NS = 60 * NS_PER_SEC
# sysctls at their defaults (Documentation/networking/ip-sysctl.rst)
TCP_SYN_RETRIES = 6
TCP_SYNACK_RETRIES = 5
TCP_RETRIES2 = 15
TCP_WMEM_DEFAULT = 16384  # tcp_wmem[1]
TCP_RMEM_DEFAULT = 131072  # tcp_rmem[1]
TCP_SNDBUF_ESTABLISHED = 3939840  # tcp_sndbuf_expand on a loopback connection (6.18, measured)
SOMAXCONN = 4096  # net.core.somaxconn
TCP_MSS = 65483  # loopback: MTU 65536 - 40 (headers) - 12 (timestamps)

# Segment flags (the model's: SYN, ACK, FIN, RST as TCP has them; PROBE asks for an ACK).
SYN = 1
ACK = 2
FIN = 4
RST = 8
PROBE = 16


def model_timeout(rto_base_ns: int, boundary: int) -> int:
    """tcp_model_timeout: how long ``boundary`` exponential backoffs from ``rto_base`` last."""
    thresh = (TCP_RTO_MAX_NS // rto_base_ns).bit_length() - 1  # ilog2
    if boundary <= thresh:
        return ((2 << boundary) - 1) * rto_base_ns
    return ((2 << thresh) - 1) * rto_base_ns + (boundary - thresh) * TCP_RTO_MAX_NS


SYN_TIMEOUT_NS = model_timeout(TCP_TIMEOUT_INIT_NS, TCP_SYN_RETRIES)  # 127 s
SYNACK_TIMEOUT_NS = model_timeout(TCP_TIMEOUT_INIT_NS, TCP_SYNACK_RETRIES)  # 63 s
DATA_TIMEOUT_NS = model_timeout(TCP_RTO_MIN_NS, TCP_RETRIES2)  # 924.6 s


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


class _TimerRef:
    """What a retransmission clock timer points at: the socket, until it is cut."""

    __slots__ = ("sock",)

    def __init__(self, sock: TcpSocket) -> None:
        self.sock: TcpSocket | None = sock


def _rto_fired(ref: _TimerRef) -> None:
    if ref.sock is not None:
        ref.sock.retransmit_timer(ref)


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


class TcpSocket(OpenFile):
    """An AF_INET/AF_INET6 SOCK_STREAM socket: listener, connecting or connected."""

    __slots__ = (
        "accept_queue", "backlog", "bindport_locked", "clock", "dead", "done", "err", "family",
        "fids", "fin_acked", "fin_pending", "fin_sent", "fin_seq", "head_sent_ns", "keepalive",
        "laddr", "linger", "lport", "lwire", "net", "nodelay", "nospace", "parent", "peer", "raddr",
        "rcv_adv", "rcv_nxt", "rcv_queue", "rcv_queued", "rcvbuf", "rcvbuf_locked", "requests",
        "retries", "reuseaddr", "reuseport", "rport", "rto_base", "rto_deadline", "rto_ns", "rto_ref", "rto_timer",
        "fin_timer", "shutdown_bits",
        "snd_buf", "snd_limit", "snd_nxt", "snd_una", "sndbuf", "sndbuf_locked", "sock_state",
        "stack", "state", "v6only", "wq",
    )

    kind = "socket"
    st_mode = S_IFSOCK | 0o777
    type = SOCK_STREAM
    proto = IPPROTO_TCP

    def __init__(self, fid: int, flags: int, family: int, stack: NetStack, clock: Clock, fids: Iterator[int]) -> None:
        super().__init__(fid, O_RDWR | (flags & O_NONBLOCK))
        self.family = family
        self.stack = stack
        self.net = stack.network
        self.clock = clock
        self.fids = fids
        self.wq = WaitQueue()
        self.state = T.CLOSE
        self.sock_state = SS_UNCONNECTED
        self.shutdown_bits = 0
        self.err = 0
        self.done = False  # SOCK_DONE: the peer's FIN arrived
        self.dead = False  # SOCK_DEAD: the file is gone, the connection lives on (orphan)
        self.nospace = False  # SOCK_NOSPACE: someone found the socket full
        self.reuseaddr = self.reuseport = self.keepalive = self.nodelay = self.v6only = False
        self.linger: tuple[int, int] = (0, 0)
        self.sndbuf, self.rcvbuf = TCP_WMEM_DEFAULT, TCP_RMEM_DEFAULT
        self.sndbuf_locked = self.rcvbuf_locked = self.bindport_locked = False
        # Addresses: local as the socket reports it, remote on the wire.
        self.laddr = A.ANY4 if family == AF_INET else A.ANY6
        self.lwire = self.laddr  # the local address on the wire, once connected
        self.lport = 0
        self.raddr = ""
        self.rport = 0
        self.peer: TcpSocket | None = None
        # Listener.
        self.backlog = 0
        self.accept_queue: deque[TcpSocket] = deque()
        self.requests: dict[TcpSocket, None] = {}  # children in SYN_RECV
        self.parent: TcpSocket | None = None
        # Stream.
        self.rcv_queue: deque[bytes] = deque()
        self.rcv_queued = 0
        self.rcv_nxt = 0
        self.rcv_adv = 0  # right edge of the last window advertised
        self.snd_buf = bytearray()
        self.snd_una = 0
        self.snd_nxt = 0
        self.snd_limit = 0
        self.fin_pending = self.fin_sent = self.fin_acked = False
        self.fin_seq = -1
        self.rto_timer: Timer | None = None
        self.rto_ref: _TimerRef | None = None
        self.rto_deadline: int | None = None
        self.fin_timer: Timer | None = None
        self.rto_ns = TCP_RTO_MIN_NS
        self.rto_base = TCP_RTO_MIN_NS  # the RTO after the handshake's round trip (tcp_set_rto)
        self.retries = 0
        self.head_sent_ns = 0

    def __repr__(self) -> str:
        return f"<tcp #{self.fid} {T.NAMES[self.state]} {self.laddr}:{self.lport}>"

    # -- readiness ------------------------------------------------------------

    @property
    def wmem_queued(self) -> int:
        return len(self.snd_buf)

    def _writable(self) -> bool:
        """sk_stream_is_writeable: free space at least half of what is queued."""
        queued = len(self.snd_buf)
        return self.sndbuf - queued >= queued >> 1

    def poll(self, pt: PollTable) -> int:
        """tcp_poll."""
        if pt is not None:
            pt(self.wq)
        state = self.state
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
            if shutdown & SEND_SHUTDOWN or self._writable():
                mask |= EPOLLOUT | EPOLLWRNORM
            else:
                self.nospace = True
        if self.err:
            mask |= EPOLLERR
        return mask

    def _data_ready(self) -> None:
        if not self.dead and self.wq.entries:
            self.wq.wake(_READABLE_KEY, 1)

    def _state_change(self) -> None:
        if not self.dead and self.wq.entries:
            self.wq.wake_all()

    def _write_space(self) -> None:
        """tcp_check_space -> sk_stream_write_space, only after SOCK_NOSPACE was set."""
        if self.nospace and self._writable():
            self.nospace = False
            if not self.dead and self.wq.entries:
                self.wq.wake(_WRITABLE_KEY, 1)

    # -- addresses ------------------------------------------------------------

    def _seen(self, wire: str) -> str:
        """A wire address as this socket reports it (v4-mapped for AF_INET6)."""
        if self.family == AF_INET6 and A.is_v4(wire):
            return A.to_mapped(wire)
        return wire

    def sockname(self) -> tuple[str, int]:
        return self.laddr, self.lport

    def peername(self) -> tuple[str, int]:
        """inet_getname(peer=1): ENOTCONN without a remote or in CLOSE/SYN_SENT."""
        if not self.rport or self.state in (T.CLOSE, T.SYN_SENT):
            raise oserror(ENOTCONN)
        return self._seen(self.raddr), self.rport

    # -- bind, listen, connect, accept -----------------------------------------

    def bind(self, addr: str, port: int) -> None:
        """inet_bind / inet6_bind."""
        if self.family == AF_INET6 and A.mapped_v4(addr) is not None and self.v6only:
            raise oserror(EINVAL)
        if not self.stack.can_bind(self.family, addr):
            raise oserror(EADDRNOTAVAIL)
        if self.state != T.CLOSE or self.stack.binding(IPPROTO_TCP, self) is not None:
            raise oserror(EINVAL)
        b = self.stack.bind(
            IPPROTO_TCP, self, self.family, addr, port,
            reuseaddr=self.reuseaddr, reuseport=self.reuseport, v6only=self.v6only,
        )
        self.laddr, self.lport = addr, b.port
        self.bindport_locked = port != 0

    def _autobind(self, for_connect: bool) -> None:
        b = self.stack.bind(
            IPPROTO_TCP, self, self.family, self.laddr, 0, reuseaddr=self.reuseaddr,
            reuseport=self.reuseport, v6only=self.v6only, for_connect=for_connect,
        )
        self.lport = b.port

    def listen(self, backlog: int) -> None:
        """inet_listen (the backlog is already capped at somaxconn by __sys_listen)."""
        if self.sock_state != SS_UNCONNECTED or self.state not in (T.CLOSE, T.LISTEN):
            raise oserror(EINVAL)
        if self.state != T.LISTEN:
            if self.stack.binding(IPPROTO_TCP, self) is None:
                self._autobind(False)
            self.stack.listen(IPPROTO_TCP, self)
            self.state = T.next_state(self.state, T.LISTEN_CALL)
        self.backlog = backlog

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
        dst = wire_address(self.family, addr)
        if self.family == AF_INET6 and A.is_v4(dst) and self.v6only:
            raise oserror(ENETUNREACH)
        if A.is_any(dst):
            dst = A.LOOPBACK4 if A.is_v4(dst) else A.LOOPBACK6
        b = self.stack.binding(IPPROTO_TCP, self)
        bound_wire = wire_address(self.family, self.laddr)
        if b is None or A.is_any(bound_wire):
            src = self.stack.source_for(dst)
        else:
            src = bound_wire
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

    def accept(self, nonblock: bool) -> TcpSocket:
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

    # -- data -----------------------------------------------------------------

    def send(self, data: bytes | memoryview, flags: int = 0) -> int:
        """tcp_sendmsg_locked: queue what fits, push it; EAGAIN/WouldBlock/EPIPE when nothing did."""
        nonblock = flags & MSG_DONTWAIT or self.flags & O_NONBLOCK
        state = self.state
        if state != T.ESTABLISHED and state != T.CLOSE_WAIT:
            # sk_stream_wait_connect
            if self.err:
                raise oserror(self.take_error())
            if state != T.SYN_SENT and state != T.SYN_RECV:
                raise oserror(EPIPE)
            if nonblock:
                raise oserror(EAGAIN)
            raise WouldBlock(self.wq, 0, "connection in progress")
        if self.err or self.shutdown_bits & SEND_SHUTDOWN:
            raise oserror(self.take_error() or EPIPE)  # sk_stream_error
        total = len(data)
        sent = 0
        buf = self.snd_buf
        while sent < total:
            if len(buf) >= self.sndbuf:  # sk_stream_memory_free
                self.nospace = True
                break
            n = min(total - sent, TCP_MSS)
            buf += data[sent : sent + n]
            sent += n
        if sent:
            self.net.hold()
            try:
                self._push()
            finally:
                self.net.release()
            return sent
        if total == 0:
            return 0
        if nonblock:
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
            return self._consume(n)
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
        # tcp_cleanup_rbuf: tell the sender when a window it saw shrinking has reopened.
        if self.rcv_adv - self.rcv_nxt < self._rcv_space() >> 1 and self.state in T.SYNCHRONIZED:
            if self.rcv_nxt + self._window() > self.rcv_adv:
                self.net.hold()
                try:
                    self._xmit(ACK, self.snd_nxt)
                finally:
                    self.net.release()
        return b"".join(parts) if len(parts) != 1 else parts[0]

    def read(self, n: int, nonblock: bool = False) -> bytes:  # type: ignore[override]
        if n == 0:
            return b""
        return self.recv(n, MSG_DONTWAIT if nonblock else 0)

    def write(self, data: bytes, nonblock: bool = False) -> int:  # type: ignore[override]
        return self.send(data, MSG_DONTWAIT if nonblock else 0)

    def unread_bytes(self) -> int | None:
        return self.rcv_queued

    def take_error(self) -> int:
        """sock_error / SO_ERROR: read and clear the pending error."""
        code, self.err = self.err, 0
        return code

    def sync_tx(self) -> Any:
        return self.peer if self.peer is not None else self

    # -- shutdown and close ---------------------------------------------------

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

    def _listen_stop(self) -> None:
        """inet_csk_listen_stop: every child not yet accepted is reset."""
        children = list(self.requests) + list(self.accept_queue)
        self.requests.clear()
        self.accept_queue.clear()
        for child in children:
            child.dead = True
            child.parent = None
            child._active_reset()

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

    # -- arrivals -------------------------------------------------------------

    def segment_arrived(self, seg: Segment) -> None:
        """tcp_rcv_state_process, for the states the model has."""
        state = self.state
        flags = seg.flags
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
            if flags & SYN and flags & ACK:
                self._finish_connect(seg)
            return
        if state == T.SYN_RECV:
            if flags & SYN:
                self._xmit(SYN | ACK, 0)  # the SYN again: our SYN-ACK was lost
                return
            if not self._complete_child(seg):
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

    def _conn_request(self, seg: Segment) -> None:
        """tcp_conn_request: a child in SYN_RECV, unless the accept queue is full (then drop)."""
        if len(self.accept_queue) > self.backlog:  # sk_acceptq_is_full
            return
        child = TcpSocket(next(self.fids), 0, self.family, self.stack, self.clock, self.fids)
        for opt in ("reuseaddr", "reuseport", "keepalive", "nodelay", "linger", "sndbuf", "rcvbuf",
                    "sndbuf_locked", "rcvbuf_locked", "v6only"):
            setattr(child, opt, getattr(self, opt))
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

    def _expand_sndbuf(self) -> None:
        if not self.sndbuf_locked:  # tcp_init_buffer_space -> tcp_sndbuf_expand
            self.sndbuf = max(self.sndbuf, TCP_SNDBUF_ESTABLISHED)

    def _ack_rcvd(self, ack: int, wnd: int) -> None:
        """tcp_ack: free what the peer has, note its window, send more."""
        if ack <= self.snd_una and ack + wnd <= self.snd_limit:
            return  # a duplicate ACK: nothing acknowledged, no new window
        freed = 0
        if ack > self.snd_una:
            end = self.snd_una + len(self.snd_buf)
            freed = min(ack, end) - self.snd_una
            if freed > 0:
                del self.snd_buf[:freed]
                self.snd_una += freed
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
            self._stop_timers()
            self.retries = 0
            self.rto_ns = self.rto_base
            self.head_sent_ns = self.clock.now_ns
        if self.snd_nxt < self.snd_una:
            self.snd_nxt = self.snd_una
        if ack >= self.snd_una and ack + wnd > self.snd_limit:
            self.snd_limit = ack + wnd
        if freed > 0:
            self._write_space()
        if self.snd_nxt < self.snd_una + len(self.snd_buf) or (self.fin_pending and not self.fin_sent):
            self._push()
        elif self.rto_deadline is None and (self.snd_nxt > self.snd_una or (self.fin_sent and not self.fin_acked)):
            self._arm_rto()  # still unacknowledged: the timer restarts (tcp_rearm_rto)

    def _data_rcvd(self, seg: Segment) -> None:
        """tcp_data_queue (+ tcp_fin): in-order data up to the window, then an ACK."""
        state = self.state
        data = seg.data
        if state not in (T.ESTABLISHED, T.FIN_WAIT1, T.FIN_WAIT2):
            if state in (T.CLOSE_WAIT, T.CLOSING, T.LAST_ACK):
                self._xmit(ACK, self.snd_nxt)
            return
        end = seg.seq + len(data)
        if data and self.shutdown_bits & RCV_SHUTDOWN and state != T.ESTABLISHED and end > self.rcv_nxt:
            # FIN_WAIT1/2 after shutdown(SHUT_RD) or close: "we MUST send a reset" (RFC 1122).
            self._xmit(RST, self.snd_nxt)
            self._reset()
            return
        took = 0
        if seg.seq <= self.rcv_nxt < end:
            chunk = data[self.rcv_nxt - seg.seq :]
            room = self._window()
            if len(chunk) > room:
                chunk = chunk[:room]
            if chunk:
                self.rcv_queue.append(chunk)
                took = len(chunk)
                self.rcv_queued += took
                self.rcv_nxt += took
        if seg.flags & FIN and end == self.rcv_nxt and not self.done:
            self._fin()
            if self.state == T.TIME_WAIT:
                self._xmit(ACK, self.snd_nxt)
                self._time_wait()
                return
        self._xmit(ACK, self.snd_nxt)
        if took:
            self._data_ready()

    def _fin(self) -> None:
        """tcp_fin."""
        self.shutdown_bits |= RCV_SHUTDOWN
        self.done = True
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

    def _purge(self) -> None:
        """tcp_write_queue_purge."""
        self.snd_una += len(self.snd_buf)
        self.snd_buf.clear()
        self.snd_nxt = self.snd_una
        self.fin_pending = False

    # -- output and timers ----------------------------------------------------

    def _rcv_space(self) -> int:
        return self.rcvbuf * 7 // 10

    def _window(self) -> int:
        return max(0, self.rcvbuf * 7 // 10 - self.rcv_queued)

    def _xmit(self, flags: int, seq: int, data: bytes = b"") -> None:
        ack = self.rcv_nxt + (1 if self.done else 0)
        wnd = self._window()
        self.rcv_adv = self.rcv_nxt + wnd
        seg = Segment(self.lwire, self.lport, self.raddr, self.rport, flags, seq, ack, wnd, data, self)
        self.net.transmit(self.stack, self.raddr, tcp_rcv, seg)

    def _send_fin(self) -> None:
        self.fin_pending = True
        self._push()

    def _push(self) -> None:
        """tcp_write_xmit: new data up to the peer's window, then the FIN after the last byte."""
        if self.state not in T.SYNCHRONIZED:
            return
        end = self.snd_una + len(self.snd_buf)
        limit = self.snd_limit
        while self.snd_nxt < end and self.snd_nxt < limit:
            n = min(end - self.snd_nxt, limit - self.snd_nxt, TCP_MSS)
            off = self.snd_nxt - self.snd_una
            if self.snd_nxt == self.snd_una and not self.retries:
                self.head_sent_ns = self.clock.now_ns
            seq = self.snd_nxt
            self.snd_nxt += n
            self._xmit(ACK, seq, bytes(self.snd_buf[off : off + n]))
        if self.fin_pending and not self.fin_sent and self.snd_nxt == end:
            if self.snd_nxt == self.snd_una and not self.retries:
                self.head_sent_ns = self.clock.now_ns
            self.fin_sent = True
            self.fin_seq = end
            self._xmit(FIN | ACK, end)
        if self.rto_deadline is None and (self.snd_nxt > self.snd_una or (self.fin_sent and not self.fin_acked)
                                       or self.snd_nxt < end):
            self._arm_rto()

    def _base_rto(self) -> int:
        """tcp_set_rto after one RTT sample: the round trip plus at least TCP_RTO_MIN."""
        rtt = 2 * self.net.latency_between(self.stack, self.raddr)
        return min(rtt + max(2 * rtt, TCP_RTO_MIN_NS), TCP_RTO_MAX_NS)

    # The retransmission timer is lazy, as Linux's sk_reset_timer is cheap and ours is not:
    # ``rto_deadline`` is when it is due (None: not armed); one clock timer at most is
    # pending per socket, and when it fires early (the deadline moved on) it re-arms itself.
    # Each clock timer has its own ``_TimerRef``, cut when the socket is finished, so a
    # timer left in the clock's heap does not keep a closed socket alive.

    def _arm_rto(self) -> None:
        deadline = self.clock.now_ns + self.rto_ns
        self.rto_deadline = deadline
        timer = self.rto_timer
        if timer is None or not timer.active or timer.deadline_ns > deadline:
            self._cancel_rto_timer()
            self._start_rto_timer(deadline)

    def _start_rto_timer(self, deadline: int) -> None:
        ref = self.rto_ref = _TimerRef(self)
        self.rto_timer = self.clock.call_at(deadline, _rto_fired, ref)

    def _cancel_rto_timer(self) -> None:
        if self.rto_timer is not None:
            self.rto_timer.cancel()
            self.rto_timer = None
        if self.rto_ref is not None:
            self.rto_ref.sock = None
            self.rto_ref = None

    def _stop_timers(self) -> None:
        """The retransmission timer is no longer due (tcp_clear_xmit_timers, lazily)."""
        self.rto_deadline = None

    def _kill_timers(self) -> None:
        """The connection is over: no timer of it will ever act."""
        self.rto_deadline = None
        self._cancel_rto_timer()
        if self.fin_timer is not None:
            self.fin_timer.cancel()
            self.fin_timer = None

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

    def retransmit_timer(self, ref: _TimerRef) -> None:
        """tcp_retransmit_timer / tcp_probe_timer (or a re-arm, if the deadline moved on)."""
        if ref is not self.rto_ref:
            return
        self.rto_timer = None
        self.rto_ref = None
        deadline = self.rto_deadline
        if deadline is None:
            return
        if deadline > self.clock.now_ns:
            self._start_rto_timer(deadline)
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
            limit = SYN_TIMEOUT_NS if state == T.SYN_SENT else SYNACK_TIMEOUT_NS
            if elapsed >= limit:
                if state == T.SYN_SENT:
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
