"""The state of a TCP socket (include/linux/tcp.h struct tcp_sock, inet_connection_sock.h).

Theory of operation
-------------------
``TcpSock`` holds every field of a TCP socket, set up in one place, and the
two wake-ups every part of the protocol uses (sock_def_readable,
sock_def_wakeup). The protocol's steps live in one module per part, each a
mixin over this class (``tcp_stream.py``, ``tcp_listen.py``,
``tcp_close.py``, ``tcp_timers.py``), and ``tcp.py`` puts them together as
``TcpSocket``. Where one part calls a step of another (the stream arms the
retransmission timer, the timer resends from the stream, ...) the step is
declared here for the type checker, so that what the parts need of each
other is written down once; at run time the names resolve on ``TcpSocket``.

The fields, by part:

* the socket layer: ``sock_state`` (SS_*), ``state`` (``tcp_states.py``),
  ``done`` (SOCK_DONE: the peer's FIN arrived), ``dead`` (SOCK_DEAD: the
  file is gone, the connection lives on as an orphan), ``nospace``
  (SOCK_NOSPACE: someone found the send buffer full), ``bindport_locked``
  (SOCK_BINDPORT_LOCK: the program chose the port); ``lwire`` is the local
  address on the wire once connected and ``peer`` the socket at the other
  end when the handshake told us (for happens-before only: segments are
  never delivered through it);
* a listener: ``backlog``, ``accept_queue`` (established children),
  ``requests`` (children in SYN_RECV, a dict as an ordered set); a child's
  ``parent`` until it is accepted;
* the stream: ``rcv_space`` (70 % of SO_RCVBUF, set with it), ``rcv_queue``
  of payload chunks holding ``rcv_queued`` bytes,
  ``rcv_nxt``, ``rcv_adv`` (the right edge of the last advertised window);
  ``snd_buf`` from ``snd_una``, ``snd_nxt``, ``snd_limit`` (the peer's
  window edge), ``snd_sml`` (the end of the last short segment, for
  Nagle's algorithm); the FIN's progress (``fin_pending``, ``fin_sent``,
  ``fin_seq``, ``fin_acked``);
* when to acknowledge (``tcp_delack.py``, Linux's icsk_ack): ``ack_pending``
  (ICSK_ACK_* bits), ``ack_quick`` (quick-ACK credits), ``ack_pingpong``,
  ``ack_ato`` and ``ack_lrcvtime`` (ns), ``ack_timeout`` (the delayed ACK's
  deadline), ``rcv_mss`` and ``last_seg_size`` (the receive MSS estimate);
  ``rcv_wup`` is rcv_nxt when the last window was advertised;
* the timers: ``rto_*`` (``tcp_timers.py``), ``retries``, ``head_sent_ns``
  (when the oldest unacknowledged segment was first sent), ``fin_timer``,
  ``rto_ref`` and ``delack_ref`` (their clock timers).
"""
from __future__ import annotations

from collections import deque
from collections.abc import Iterator
from typing import TYPE_CHECKING

from ..clock import Clock, Timer
from ..net.stack import NetStack
from . import tcp_states as T
from .inet_sock import READABLE_KEY, InetSocket
from .tcp_states import SS_UNCONNECTED

if TYPE_CHECKING:
    from .tcp_timers import SockTimer

TCP_WMEM_DEFAULT = 16384  # tcp_wmem[1]
TCP_RMEM_DEFAULT = 131072  # tcp_rmem[1]
NS_PER_MS = 1_000_000
TCP_RTO_MIN_NS = 200 * NS_PER_MS  # include/net/tcp.h
TCP_MSS_DEFAULT = 536  # include/net/tcp.h: the receive MSS guessed before a segment is seen


class TcpSock(InetSocket):
    """Every field of a TCP socket; the behaviour is in the mixins ``TcpSocket`` is made of."""

    __slots__ = (
        "accept_queue", "ack_ato", "ack_lrcvtime", "ack_pending", "ack_pingpong", "ack_quick", "ack_timeout",
        "backlog", "bindaddr_locked", "bindport_locked", "clock", "dead", "delack_ref", "done", "fids", "fin_acked", "fin_pending",
        "fin_sent", "fin_seq", "fin_timer", "head_sent_ns", "last_seg_size", "lwire", "nodelay", "nospace",
        "parent", "peer", "rcv_adv", "rcv_mss", "rcv_nxt", "rcv_queue", "rcv_queued", "rcv_space", "rcv_wup",
        "requests", "so_rcvbuf",
        "retries", "rto_base", "rto_deadline", "rto_ns", "rto_ref", "snd_buf", "snd_limit", "snd_nxt", "snd_sml",
        "snd_una", "sock_state", "state",
)

    def __init__(self, fid: int, flags: int, family: int, stack: NetStack, clock: Clock, fids: Iterator[int]) -> None:
        super().__init__(fid, flags, family, stack, TCP_WMEM_DEFAULT, TCP_RMEM_DEFAULT)
        self.clock = clock
        self.fids = fids
        self.state = T.CLOSE
        self.sock_state = SS_UNCONNECTED
        self.done = False
        self.dead = False
        self.nospace = False
        self.nodelay = False
        self.bindport_locked = False
        self.bindaddr_locked = False  # SOCK_BINDADDR_LOCK: bound to an address, not the wildcard
        self.lwire = self.laddr
        self.peer: TcpSock | None = None
        # Listener.
        self.backlog = 0
        self.accept_queue: deque[TcpSock] = deque()
        self.requests: dict[TcpSock, None] = {}
        self.parent: TcpSock | None = None
        # Stream.
        self.rcv_queue: deque[bytes] = deque()
        self.rcv_queued = 0
        self.rcv_nxt = 0
        self.rcv_adv = 0
        self.snd_buf = bytearray()
        self.snd_una = 0
        self.snd_nxt = 0
        self.snd_limit = 0
        self.snd_sml = 0
        self.fin_pending = self.fin_sent = self.fin_acked = False
        self.fin_seq = -1
        self.rcv_wup = 0
        # When to acknowledge (tcp_delack.py).
        self.ack_pending = 0
        self.ack_quick = 0
        self.ack_pingpong = 0
        self.ack_ato = 0
        self.ack_lrcvtime = 0
        self.ack_timeout = 0
        self.rcv_mss = TCP_MSS_DEFAULT  # tcp_initialize_rcv_mss on loopback
        self.last_seg_size = 0
        # Timers.
        self.rto_ref: SockTimer | None = None
        self.rto_deadline: int | None = None
        self.fin_timer: Timer | None = None
        self.delack_ref: SockTimer | None = None
        self.rto_ns = TCP_RTO_MIN_NS
        self.rto_base = TCP_RTO_MIN_NS  # the RTO after the handshake's round trip (tcp_set_rto)
        self.retries = 0
        self.head_sent_ns = 0

    # -- the receive space ----------------------------------------------------

    @property
    def rcvbuf(self) -> int:
        return self.so_rcvbuf

    @rcvbuf.setter
    def rcvbuf(self, value: int) -> None:
        """SO_RCVBUF, and with it ``rcv_space``: the 70 % of it that holds payload (what
        tcp_win_from_space gives on loopback), the window's upper bound."""
        self.so_rcvbuf = value
        self.rcv_space = value * 7 // 10

    # -- wake-ups -------------------------------------------------------------

    def _data_ready(self) -> None:
        """sk_data_ready (sock_def_readable): one exclusive sleeper, IN|PRI|RDNORM|RDBAND."""
        if not self.dead and self.wq.entries:
            self.wq.wake(READABLE_KEY, 1)

    def _state_change(self) -> None:
        """sk_state_change (sock_def_wakeup): everyone, no key."""
        if not self.dead and self.wq.entries:
            self.wq.wake_all()

    if TYPE_CHECKING:
        # What the parts call of each other (defined in the mixins named).
        def _autobind(self, for_connect: bool) -> None: ...  # tcp.py
        def peername(self) -> tuple[str, int]: ...
        def _xmit(self, flags: int, seq: int, data: bytes = b"") -> None: ...  # tcp_stream.py
        def _push(self) -> None: ...
        def _send_fin(self) -> None: ...
        def _purge(self) -> None: ...
        def _expand_sndbuf(self) -> None: ...
        def _drop_request(self) -> None: ...  # tcp_listen.py
        def _listen_stop(self) -> None: ...
        def _active_reset(self) -> None: ...  # tcp_close.py
        def _fin(self) -> None: ...
        def _reset(self) -> None: ...
        def _done(self) -> None: ...
        def _unhash(self) -> None: ...
        def _time_wait(self) -> None: ...
        def _event_data_recv(self, length: int, push: int) -> None: ...  # tcp_delack.py
        def _ack_snd_check(self) -> None: ...
        def _enter_quickack_mode(self) -> None: ...
        def _dec_quickack_mode(self) -> None: ...
        def _read_acks_now(self, copied: int) -> bool: ...
        def delack_timer_fired(self, ref: SockTimer) -> None: ...
        def _base_rto(self) -> int: ...  # tcp_timers.py
        def _arm_rto(self) -> None: ...
        def _stop_timers(self) -> None: ...
        def _kill_timers(self) -> None: ...
        def _arm_fin_timeout(self) -> None: ...
        def retransmit_timer(self, ref: SockTimer) -> None: ...
