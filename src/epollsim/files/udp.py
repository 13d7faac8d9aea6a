"""UDP sockets (net/ipv4/udp.c, net/ipv6/udp.c, net/ipv4/datagram.c) over the model's network.

Theory of operation
-------------------
A ``UdpSocket`` is an AF_INET or AF_INET6 SOCK_DGRAM socket. It owns a port
in its host's UDP table (``net/stack.py``) once bound: by ``bind``, or
implicitly by the first ``sendto``/``connect`` (inet_autobind). ``connect``
only records a default peer (and fixes the source address); the stack's
lookup then prefers it for datagrams from that peer and never gives it
others, as compute_score does.

A datagram (``Datagram``: payload, source and destination on the wire, its
skb truesize) goes out through ``network.transmit(..., datagram=True)``, so
loopback delivers it before ``sendto`` returns and a path between hosts may
delay, lose or duplicate it. At its destination ``udp_rcv`` finds the socket
(or, for a port nobody has, answers with an ICMP port unreachable, which
sets ECONNREFUSED on the sender if, and only if, that socket is connected:
__udp4_lib_err ignores the error for unconnected sockets without IP_RECVERR).

Receive accounting, as __udp_enqueue_schedule_skb and udp_rmem_release have
it (checked against Linux 6.18 on loopback):

* each datagram is charged its skb truesize (``udp_truesize``: the linear
  head from the kmalloc caches, the 576-byte small-head cache below 256
  bytes of headroom+data, plus 256 for the sk_buff; past 16 KiB of linear
  data the payload goes in page fragments charged byte for byte);
* a datagram is dropped when ``rmem + truesize > rcvbuf`` and the queue is
  not empty (an empty queue takes any one datagram): 256 one-byte datagrams
  fit in the default 212992;
* reading does not uncharge at once: the freed memory accumulates in
  ``forward_deficit`` and is given back when it reaches a quarter of rcvbuf
  or when the reader's queue runs empty. Datagrams arrive on
  ``receive_queue``; a reader that finds ``reader_queue`` empty moves the
  whole receive queue over first (udp's two-queue scheme).

Readiness (udp_poll, datagram_poll): IN|RDNORM while a datagram is queued;
OUT|WRNORM|WRBAND always (a datagram's memory is freed as soon as it is
handed on, so the send buffer never fills); ERR while an error is pending;
RDHUP|IN|RDNORM after SHUT_RD and HUP once both directions are shut.
Wake-ups: every queued datagram (sock_def_readable, IN|PRI|RDNORM|RDBAND,
one exclusive sleeper), an ICMP error (sk_error_report, ERR), shutdown
(sock_def_wakeup, everyone).

A blocked ``recv`` waits as an exclusive waiter at the tail
(__skb_wait_for_more_packets); after SHUT_RD it returns an empty read when it
would block, and a non-blocking one still fails with EAGAIN.

An ephemeral port (autobind, bind to port 0) comes from the stack's rule,
odd ports first (Linux's UDP draws any port of the range at random).

Not modelled: IP_RECVERR and the error queue, multicast, broadcast
delivery (sending to 255.255.255.255 without SO_BROADCAST is EACCES; with
it, Unsupported), UDP-Lite, GSO/GRO, SO_PEEK_OFF, MSG_MORE/UDP_CORK, and the
sender's SO_SNDBUF (never a limit, see above). IPv6 datagrams over 65488
bytes are fragmented on loopback by Linux; the model charges the measured
67144 for them.
"""
from __future__ import annotations

from collections import deque
from errno import (
    EACCES,
    EAGAIN,
    ECONNREFUSED,
    EDESTADDRREQ,
    EINVAL,
    EMSGSIZE,
    ENOTCONN,
    EOPNOTSUPP,
    EPIPE,
)

from ..abi.epoll import (
    EPOLLERR,
    EPOLLHUP,
    EPOLLIN,
    EPOLLRDHUP,
    EPOLLRDNORM,
)
from ..abi.fcntl import O_NONBLOCK
from ..abi.ioctl import SIOCINQ, SIOCOUTQ
from ..abi.limits import SK_RMEM_DEFAULT, SK_WMEM_DEFAULT
from ..abi.socket import (
    AF_INET,
    AF_INET6,
    MSG_DONTWAIT,
    MSG_OOB,
    MSG_PEEK,
    MSG_TRUNC,
    RCV_SHUTDOWN,
    SEND_SHUTDOWN,
    SHUT_RD,
    SHUT_RDWR,
    SOCK_DGRAM,
)
from ..clock import WallClock
from ..errors import Unsupported, oserror
from ..net import addr as A
from ..net.stack import IPPROTO_UDP, NetStack
from ..vfs.file import PollTable
from ..vfs.vclock import VClock, merge
from .blocking import WouldBlock
from .inet_sock import READABLE_KEY, WRITABLE_KEY, InetSocket

# The largest payloads: 65535 minus the IPv4 and UDP headers; IPv6's length field
# excludes its own header (__ip_append_data / __ip6_append_data's maxnonfragsize).
UDP_MAX_PAYLOAD = {AF_INET: 65535 - 20 - 8, AF_INET6: 65535 - 8}

# skb truesize on loopback (measured with SO_MEMINFO on Linux 6.18 for every payload
# size): SKB_MAX_ALLOC = 16384 - 320 bounds the linear allocation; headers (IP + UDP)
# and the allocation's extra room (hh_len + 15 for IPv4, hh_len + 8 for IPv6).
_SKB_MAX_ALLOC = 16384 - 320
_HEADERS = {AF_INET: (28, 31), AF_INET6: (48, 24)}
_SMALL_HEAD = 576  # skb_small_head_cache: SKB_HEAD_ALIGN(MAX_TCP_HEADER)
_SKB_SHINFO = 320  # SKB_DATA_ALIGN(sizeof(struct skb_shared_info))
_SKB_STRUCT = 256  # SKB_DATA_ALIGN(sizeof(struct sk_buff))
_KMALLOC = (1024, 2048, 4096, 8192, 16384)
_IPV6_FRAGMENTED = 65489  # 65489 + 48 > loopback's MTU of 65536
_IPV6_FRAGMENTED_TRUESIZE = 67144


def udp_truesize(family: int, size: int) -> int:
    """The truesize a ``size``-byte datagram is charged to its receiver."""
    if family == AF_INET6 and size >= _IPV6_FRAGMENTED:
        return _IPV6_FRAGMENTED_TRUESIZE
    headers, extra = _HEADERS[family]
    linear = size + headers + extra
    if linear < _SKB_MAX_ALLOC:
        need = (linear + 63) // 64 * 64 + _SKB_SHINFO  # SKB_HEAD_ALIGN
        if need <= _SMALL_HEAD:
            return _SMALL_HEAD + _SKB_STRUCT
        return next(k for k in _KMALLOC if k >= need) + _SKB_STRUCT
    return _SMALL_HEAD + _SKB_STRUCT + size  # a small head, the payload in page fragments


class Datagram:
    """One datagram in flight or queued: wire addresses, payload and truesize.

    ``vclock`` is the sender's sync clock when it was sent (vfs/vclock.py): the
    receiver acquires it with the datagram, so a datagram is a message for the
    race detector as a pipe write is.
    """

    __slots__ = ("data", "dport", "dst", "family", "sport", "src", "truesize", "tstamp_ns", "vclock")

    def __init__(self, src: str, sport: int, dst: str, dport: int, data: bytes, family: int) -> None:
        self.src, self.sport, self.dst, self.dport = src, sport, dst, dport
        self.data = data
        self.family = family
        self.truesize = udp_truesize(family, len(data))
        self.vclock: VClock | None = None
        self.tstamp_ns = 0  # skb->tstamp: CLOCK_REALTIME at arrival, when the receiver asked for it


class PortUnreachable:
    """An ICMP(v6) port unreachable about ``dgram``, travelling back to its sender."""

    __slots__ = ("dgram",)

    def __init__(self, dgram: Datagram) -> None:
        self.dgram = dgram


def udp_rcv(stack: NetStack, dgram: Datagram) -> None:
    """__udp4_lib_rcv: queue on the socket the stack finds, else answer port unreachable."""
    sock = stack.lookup(IPPROTO_UDP, dgram.dst, dgram.dport, dgram.src, dgram.sport)
    if sock is None:
        if stack.network is not None:
            stack.network.transmit(stack, dgram.src, icmp_rcv, PortUnreachable(dgram))
        return
    sock.enqueue(dgram)


def icmp_rcv(stack: NetStack, icmp: PortUnreachable) -> None:
    """__udp4_lib_err: the sender of the datagram learns ECONNREFUSED if it is connected."""
    d = icmp.dgram
    sock = stack.lookup(IPPROTO_UDP, d.src, d.sport, d.dst, d.dport)
    if sock is not None and sock.raddr:
        sock.error_report(ECONNREFUSED)


class UdpSocket(InetSocket):
    """An AF_INET/AF_INET6 SOCK_DGRAM socket (addresses, options and bind's checks: ``inet_sock.py``)."""

    __slots__ = ("broadcast", "cmsg_flags", "forward_deficit", "last_rx", "reader_queue", "receive_queue", "rmem",
                 "tstamp", "wall")

    type = SOCK_DGRAM
    proto = IPPROTO_UDP

    def __init__(self, fid: int, flags: int, family: int, stack: NetStack) -> None:
        super().__init__(fid, flags, family, stack, SK_WMEM_DEFAULT, SK_RMEM_DEFAULT)
        self.broadcast = False
        self.cmsg_flags = 0  # the IP_PKTINFO-style options asking recvmsg for ancillary data
        self.receive_queue: deque[Datagram] = deque()
        self.reader_queue: deque[Datagram] = deque()
        self.rmem = 0  # sk_rmem_alloc
        self.forward_deficit = 0
        self.last_rx: Datagram | None = None
        self.tstamp = 0  # the SO_TIMESTAMP* option that asked for receive timestamps (syscalls/inet_cmsg.py)
        self.wall: WallClock | None = None  # the host's CLOCK_REALTIME, set by syscalls/udp.py

    def __repr__(self) -> str:
        return f"<udp #{self.fid} {self.laddr}:{self.lport}>"

    # -- readiness ------------------------------------------------------------

    def poll(self, pt: PollTable) -> int:
        """udp_poll over datagram_poll."""
        if pt is not None:
            pt(self.wq)
        mask = EPOLLERR if self.err else 0
        shutdown = self.shutdown_bits
        if shutdown & RCV_SHUTDOWN:
            mask |= EPOLLRDHUP | EPOLLIN | EPOLLRDNORM
        if shutdown == RCV_SHUTDOWN | SEND_SHUTDOWN:
            mask |= EPOLLHUP
        if self.receive_queue or self.reader_queue:
            mask |= EPOLLIN | EPOLLRDNORM
        return mask | WRITABLE_KEY

    def error_report(self, code: int) -> None:
        """sk_err = code; sk_error_report (sock_def_error_report: EPOLLERR)."""
        self.err = code
        if self.wq.entries:
            self.wq.wake(EPOLLERR, 1)

    # -- addresses ------------------------------------------------------------

    def peername(self) -> tuple[str, int]:
        if not self.raddr or not self.rport:  # inet_getname: no inet_dport is not connected
            raise oserror(ENOTCONN)
        return self._seen(self.raddr), self.rport

    def bind(self, addr: str, port: int) -> None:
        """inet_bind / inet6_bind."""
        self._check_bind(addr)
        if self.lport:
            raise oserror(EINVAL)
        self.laddr, self.lport = addr, self._claim_port(addr, port).port

    def _autobind(self) -> None:
        """inet_autobind: an ephemeral port on the address the socket has."""
        if not self.lport:
            self.lport = self._claim_port(self.laddr, 0).port

    def connect(self, addr: str, port: int, nonblock: bool = False) -> None:
        """ip4_datagram_connect: autobind, fix the source address, record the peer (never waits)."""
        self._autobind()
        dst = self._route(addr)
        src = self._source(dst)
        b = self.stack.binding(IPPROTO_UDP, self)
        assert b is not None
        self.laddr = self._seen(src)
        b.addr = self.laddr
        b.cover = A.cover(self.family, self.laddr, self.v6only)
        self.raddr, self.rport = dst, port
        self.stack.set_remote(IPPROTO_UDP, self, (dst, port))

    # -- data -----------------------------------------------------------------

    def sendto(self, data: bytes, flags: int, dest: tuple[str, int] | None) -> int:
        """inet_sendmsg (autobind) then udp_sendmsg / udpv6_sendmsg."""
        self._autobind()
        size = len(data)
        if self.family == AF_INET:  # udp_sendmsg: the size, then MSG_OOB, then the address
            if size > 0xFFFF:
                raise oserror(EMSGSIZE)
            if flags & MSG_OOB:
                raise oserror(EOPNOTSUPP)
        # udpv6_sendmsg: the address first, the size in ip6_append_data; MSG_OOB goes unchecked
        if dest is None:
            if not self.raddr:
                raise oserror(EDESTADDRREQ)
            dst, dport = self.raddr, self.rport
        else:
            addr, dport = dest
            if dport == 0:
                raise oserror(EINVAL)
            dst = self._route(addr)
            if dst == "255.255.255.255":
                if not self.broadcast:
                    raise oserror(EACCES)
                raise Unsupported("broadcast datagrams are not modelled")
        if size > UDP_MAX_PAYLOAD[self.family]:
            raise oserror(EMSGSIZE)
        if self.err:  # sock_alloc_send_pskb: a pending error first, then the shutdown
            raise oserror(self.take_error())
        if self.shutdown_bits & SEND_SHUTDOWN:
            raise oserror(EPIPE)
        src = self._source(dst)
        family = AF_INET if A.is_v4(dst) else AF_INET6
        dgram = Datagram(src, self.lport, dst, dport, bytes(data), family)
        merge(dgram, self)  # what the sender released into this socket travels with it
        self.net.transmit(self.stack, dst, udp_rcv, dgram, datagram=True)
        return size

    def enqueue(self, dgram: Datagram) -> None:
        """__udp_enqueue_schedule_skb: charge the truesize or drop; wake one reader."""
        size = dgram.truesize
        if self.rmem + size > self.rcvbuf and (self.rcvbuf > 0x7FFFFFFF >> 1 or self.rmem):
            return  # dropped (UDP_MIB_RCVBUFERRORS)
        self.rmem += size
        if self.tstamp and self.wall is not None:  # net_timestamp_check: stamped as it arrives
            dgram.tstamp_ns = self.wall.now_ns()
        self.receive_queue.append(dgram)
        if self.wq.entries:
            self.wq.wake(READABLE_KEY, 1)

    def _release_mem(self, size: int) -> None:
        """udp_rmem_release(partial): uncharge in batches of a quarter of rcvbuf."""
        self.forward_deficit += size
        if self.forward_deficit < self.rcvbuf >> 2 and self.reader_queue:
            return
        self.rmem -= self.forward_deficit
        self.forward_deficit = 0

    def recvfrom(self, n: int, flags: int) -> tuple[bytes, int, int, tuple[str, int] | None]:
        """udp_recvmsg: (bytes copied, return value, msg_flags, source as the socket reports it)."""
        if self.err:
            raise oserror(self.take_error())
        if not self.reader_queue:
            self.reader_queue, self.receive_queue = self.receive_queue, self.reader_queue
        if not self.reader_queue:
            if flags & MSG_DONTWAIT or self.flags & O_NONBLOCK:
                raise oserror(EAGAIN)
            if self.shutdown_bits & RCV_SHUTDOWN:
                return b"", 0, 0, None
            # receiver_wake_function: a datagram or an error wakes the reader.
            raise WouldBlock(self.wq, READABLE_KEY | EPOLLERR, "no datagram is queued", "tail_exclusive")
        dgram = self.reader_queue[0]
        self.last_rx = dgram
        if not flags & MSG_PEEK:
            self.reader_queue.popleft()
            self._release_mem(dgram.truesize)
        data = dgram.data
        msg_flags = MSG_TRUNC if n < len(data) else 0
        copied = data[:n]
        ret = len(data) if flags & MSG_TRUNC else len(copied)
        return copied, ret, msg_flags, (self._seen(dgram.src), dgram.sport)

    def sync_rx(self) -> Datagram | UdpSocket:
        """What a receive acquires: the datagram it returned."""
        return self.last_rx if self.last_rx is not None else self

    def read(self, n: int, nonblock: bool = False) -> bytes:
        if n == 0:
            return b""
        return self.recvfrom(n, MSG_DONTWAIT if nonblock else 0)[0]

    def write(self, data: bytes, nonblock: bool = False) -> int:
        return self.sendto(data, MSG_DONTWAIT if nonblock else 0, None)

    def unread_bytes(self) -> int | None:
        return sum(len(d.data) for d in self.reader_queue) + sum(len(d.data) for d in self.receive_queue)

    def ioctl(self, request: int) -> int:
        """udp_ioctl. SIOCINQ is the payload of the first datagram queued, 0 with none
        (first_packet_length, which first moves the receive queue over to an empty
        reader's queue, as a read does). SIOCOUTQ is sk_wmem_alloc, which the model
        does not keep (a datagram's memory is given back when it is handed on)."""
        if request == SIOCINQ:
            if not self.reader_queue and self.receive_queue:
                self.reader_queue, self.receive_queue = self.receive_queue, self.reader_queue
            return len(self.reader_queue[0].data) if self.reader_queue else 0
        if request == SIOCOUTQ:
            raise Unsupported("ioctl(SIOCOUTQ) on a UDP socket is not modelled (no send-buffer accounting)")
        return super().ioctl(request)

    def shutdown(self, how: int) -> None:
        """inet_shutdown: the bits are set even when the answer is ENOTCONN (unconnected)."""
        if how < SHUT_RD or how > SHUT_RDWR:
            raise oserror(EINVAL)
        self.shutdown_bits |= how + 1
        self.wq.wake_all()  # sock_def_wakeup
        if not self.raddr:
            raise oserror(ENOTCONN)

    def release(self) -> None:
        """udp_lib_close: give up the port and the queued datagrams."""
        self.stack.unbind(IPPROTO_UDP, self)
        self.receive_queue.clear()
        self.reader_queue.clear()
        self.rmem = self.forward_deficit = 0

    def set_rcvbuf(self, rcvbuf: int) -> None:
        self.rcvbuf = rcvbuf

    def set_sndbuf(self, sndbuf: int) -> None:
        self.sndbuf = sndbuf


__all__ = ["Datagram", "UdpSocket", "icmp_rcv", "udp_rcv", "udp_truesize"]
