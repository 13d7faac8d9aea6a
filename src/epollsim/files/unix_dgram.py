"""AF_UNIX SOCK_DGRAM sockets (net/unix/af_unix.c unix_dgram_sendmsg, unix_dgram_recvmsg,
unix_dgram_poll), named as ``files/unix_socket.py`` names stream sockets.

Theory of operation
-------------------
A datagram is one buffer (``Skb``) queued on the receiver and charged to
its *sender* until read (sk_wmem_alloc, starting at 1 as for streams): its
truesize is the head's kmalloc object (SKB_HEAD_ALIGN: the data rounded to
64 plus 320, no small-head cache under memcg accounting) plus 256, plus
whole pages for what exceeds SKB_MAX_ALLOC = 16064 bytes (measured on Linux
6.18 with SO_MEMINFO). A send waits (or fails with EAGAIN) while the
sender has ``wmem - 1 >= sndbuf`` charged, and is EMSGSIZE above
``sndbuf - 32`` bytes. A receiver holds at most max_dgram_qlen + 1 = 11
datagrams from senders it is not connected back to (unix_recvq_full):
beyond that a send fails with EAGAIN or waits on the receiver's
``peer_wait``, which every read wakes.

Poll (unix_dgram_poll): IN|RDNORM with a datagram queued; ERR, RDHUP and HUP
as for streams (but no HUP for being unconnected); OUT|WRNORM|WRBAND while
``4 * wmem <= sndbuf`` and, for a socket connected to a peer that is not
connected back, while that peer's queue is not full (the poll then also
watches the peer's ``peer_wait``, as unix_dgram_peer_wake_me relays it).

A send to a socket that has been closed fails with ECONNREFUSED (and a
connected socket forgets that peer: the next send is ENOTCONN, and what was queued for it
is lost, as when a connect picks another peer); the source
address a receiver sees is the sender's name, or None if it has none.

A datagram may carry files (SCM_RIGHTS): its ``fds`` hold a reference each until
received, or freed with the datagram.

Not modelled: SO_PASSCRED/SCM_CREDENTIALS (and the autobind they imply), connect(AF_UNSPEC) to disconnect, SO_PEEK_OFF.
"""
from __future__ import annotations

from collections import deque
from errno import EAGAIN, ECONNREFUSED, ECONNRESET, EINVAL, EMSGSIZE, ENOTCONN, EPERM, EPIPE
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
from ..abi.ioctl import SIOCINQ, SIOCOUTQ
from ..abi.limits import PAGE_SIZE, SK_RMEM_DEFAULT, SK_WMEM_DEFAULT
from ..abi.socket import (
    AF_UNIX,
    MSG_DONTWAIT,
    MSG_PEEK,
    MSG_TRUNC,
    RCV_SHUTDOWN,
    SEND_SHUTDOWN,
    SHUT_RD,
    SHUT_RDWR,
    SHUTDOWN_MASK,
    SOCK_DGRAM,
)
from ..abi.stat import S_IFSOCK, SOCKFS_DEV
from ..errors import oserror
from ..net.unix_names import UnixNames
from ..vfs.file import OpenFile, PollTable
from ..vfs.waitqueue import WaitQueue
from .blocking import WouldBlock
from .unix_stream import put_fds

_READABLE_KEY = EPOLLIN | EPOLLPRI | EPOLLRDNORM | EPOLLRDBAND
_WRITABLE_KEY = EPOLLOUT | EPOLLWRNORM | EPOLLWRBAND
MAX_DGRAM_QLEN = 10  # net.unix.max_dgram_qlen
_SKB_MAX_ALLOC = 16384 - 320  # SKB_MAX_ORDER(0, 2)
_KMALLOC = (512, 1024, 2048, 4096, 8192, 16384)


def dgram_truesize(size: int) -> int:
    """The truesize of a ``size``-byte AF_UNIX datagram (unix_dgram_sendmsg's split)."""
    data_len = 0
    if size > _SKB_MAX_ALLOC:
        data_len = min(size - _SKB_MAX_ALLOC, 17 * PAGE_SIZE)  # MAX_SKB_FRAGS pages
        data_len = (data_len + PAGE_SIZE - 1) // PAGE_SIZE * PAGE_SIZE
    need = (size - data_len + 63) // 64 * 64 + 320
    return next(k for k in _KMALLOC if k >= need) + 256 + data_len


class Skb:
    __slots__ = ("data", "fds", "sender", "truesize")

    def __init__(self, data: bytes, sender: UnixDgramSocket) -> None:
        self.data = data
        self.fds: list[OpenFile] | None = None  # SCM_RIGHTS in flight: one reference each
        self.sender = sender  # skb->sk: its address is read when the datagram is (unix_copy_addr)
        self.truesize = dgram_truesize(len(data))


class UnixDgramSocket(OpenFile):
    """An AF_UNIX SOCK_DGRAM socket (from socket() or socketpair())."""

    __slots__ = ("dead", "err", "name", "names", "passcred", "peer", "peer_wait", "peercred", "rcvbuf",
                 "receive_queue", "rng", "shutdown_bits", "sndbuf", "sockopts", "wmem", "wq")

    kind = "socket"
    st_mode = S_IFSOCK | 0o777
    st_dev = SOCKFS_DEV
    shared_ino = 0  # an inode each (sock_alloc)
    family = AF_UNIX
    type = SOCK_DGRAM

    def __init__(self, fid: int, flags: int, names: UnixNames | None, rng: Any) -> None:
        super().__init__(fid, O_RDWR | (flags & O_NONBLOCK))
        self.names = names
        self.rng = rng
        self.name: bytes | None = None
        self.peer: UnixDgramSocket | None = None
        self.receive_queue: deque[Skb] = deque()
        self.shutdown_bits = 0
        self.err = 0
        self.wmem = 1
        self.sndbuf, self.rcvbuf = SK_WMEM_DEFAULT, SK_RMEM_DEFAULT
        self.sockopts: dict[int, Any] | None = None  # options stored, not simulated (syscalls/sockopts.py)
        self.wq = WaitQueue()
        self.peer_wait = WaitQueue()
        self.dead = False
        self.passcred = False  # SO_PASSCRED
        self.peercred = False  # SO_PEERCRED is the process's (socketpair's init_peercred)

    def __repr__(self) -> str:
        return f"<unix-dgram #{self.fid} {self.name!r}>"

    # -- readiness ------------------------------------------------------------

    def _full(self) -> bool:
        return len(self.receive_queue) > MAX_DGRAM_QLEN

    def poll(self, pt: PollTable) -> int:
        """unix_dgram_poll."""
        if pt is not None:
            pt(self.wq)
        mask = EPOLLERR if self.err else 0
        if self.shutdown_bits & RCV_SHUTDOWN:
            mask |= EPOLLRDHUP | EPOLLIN | EPOLLRDNORM
        if self.shutdown_bits == SHUTDOWN_MASK:
            mask |= EPOLLHUP
        if self.receive_queue:
            mask |= EPOLLIN | EPOLLRDNORM
        writable = self.wmem << 2 <= self.sndbuf
        other = self.peer
        if writable and other is not None and other.peer is not self and other._full():
            if pt is not None:
                pt(other.peer_wait)  # unix_dgram_peer_wake_me
            writable = False
        if writable:
            mask |= _WRITABLE_KEY
        return mask

    def take_error(self) -> int:
        code, self.err = self.err, 0
        return code

    # -- names ----------------------------------------------------------------

    def sockname(self) -> bytes:
        return self.name or b""

    def peername(self) -> bytes:
        if self.peer is None:
            raise oserror(ENOTCONN)
        return self.peer.name or b""

    def bind(self, path: bytes) -> None:
        self.name = self._names().bind(self, self.name, path, self.rng)

    def _names(self) -> UnixNames:
        assert self.names is not None, "a socketpair end of a process with no network stack"
        return self.names

    def _find(self, path: bytes) -> UnixDgramSocket:
        other = self._names().find(path, SOCK_DGRAM)
        assert isinstance(other, UnixDgramSocket)
        return other

    def connect(self, path: bytes) -> None:
        """unix_dgram_connect: a default peer (and the only one it receives from), which must
        accept us (unix_may_send: not connected to another socket, else EPERM)."""
        other = self._find(path)
        if other.peer is not None and other.peer is not self:
            raise oserror(EPERM)
        old, self.peer = self.peer, other
        if old is not None and old is not other:
            self._disconnected(old)

    def _disconnected(self, old: UnixDgramSocket) -> None:
        """unix_dgram_disconnected: leaving a peer (it died, or a connect chose another) loses
        what is queued here; a live old peer connected back gets ECONNRESET ("If one link of
        bidirectional dgram pipe is disconnected, we signal error. Messages are lost.")."""
        if not self.receive_queue:
            return
        while self.receive_queue:
            self._free(self.receive_queue.popleft())
        self.peer_wait.wake_all()
        if not old.dead and old.peer is self:
            old.err = ECONNRESET
            old.wq.wake(EPOLLERR, 0)  # sk_error_report

    # -- data -----------------------------------------------------------------

    def sendto(self, data: bytes, flags: int, path: bytes | None, fds: list[OpenFile] | None = None) -> int:
        """unix_dgram_sendmsg: the size, the buffer (sock_alloc_send_pskb), then the receiver
        (measured on 6.18: EMSGSIZE, then EPIPE, before ENOTCONN). ``fds`` (SCM_RIGHTS, the
        caller's references) go with the datagram when this returns, and stay the caller's when
        it raises."""
        peer = self.peer
        if self.passcred and self.name is None and self.names is not None:
            self.name = self.names.bind(self, None, b"", self.rng)  # unix_autobind
        if len(data) > self.sndbuf - 32:
            raise oserror(EMSGSIZE)
        nonblock = flags & MSG_DONTWAIT or self.flags & O_NONBLOCK
        if self.err:  # sock_alloc_send_pskb: a pending error, the shutdown, then room
            raise oserror(self.take_error())
        if self.shutdown_bits & SEND_SHUTDOWN:
            raise oserror(EPIPE)
        if self.wmem - 1 >= self.sndbuf:
            if nonblock:
                raise oserror(EAGAIN)
            raise WouldBlock(self.wq, _WRITABLE_KEY, "socket send buffer is full")
        if path is None and peer is None:
            raise oserror(ENOTCONN)
        other = self._find(path) if path is not None else peer
        assert other is not None
        if other.peer is not None and other.peer is not self:
            raise oserror(EPERM)  # unix_may_send: it is connected to another socket
        if other.dead:
            if self.peer is other:
                self.peer = None
                self._disconnected(other)
            raise oserror(ECONNREFUSED)
        if other.shutdown_bits & RCV_SHUTDOWN:
            raise oserror(EPIPE)
        if other.peer is not self and other._full():
            if nonblock:
                raise oserror(EAGAIN)
            raise WouldBlock(other.peer_wait, 0, "the receiver's queue is full")
        skb = Skb(bytes(data), self)
        skb.fds = fds
        self.wmem += skb.truesize
        other.receive_queue.append(skb)
        if other.wq.entries:
            other.wq.wake(_READABLE_KEY, 1)
        return len(data)

    def recvfrom(self, n: int, flags: int, scm: list[OpenFile] | None = None) -> tuple[bytes, int, int, bytes | None]:
        """unix_dgram_recvmsg: (bytes copied, return value, msg_flags, the sender's name).

        The datagram's files go to ``scm`` (new references when peeking: unix_peek_fds), or
        are dropped with no ``scm``."""
        queue = self.receive_queue
        if not queue:
            if self.err:
                raise oserror(self.take_error())
            # __skb_recv_datagram: a non-blocking call is EAGAIN even after SHUT_RD; only the
            # wait (__skb_wait_for_more_packets) sees RCV_SHUTDOWN and ends with 0, end of file.
            if flags & MSG_DONTWAIT or self.flags & O_NONBLOCK:
                raise oserror(EAGAIN)
            if self.shutdown_bits & RCV_SHUTDOWN:
                return b"", 0, 0, None
            raise WouldBlock(self.wq, _READABLE_KEY | EPOLLERR, "no datagram is queued", "tail_exclusive")
        skb = queue[0]
        fds = skb.fds
        if fds is not None and scm is not None:
            if flags & MSG_PEEK:
                scm.extend(file.get() for file in fds)
            else:
                skb.fds = None
                scm.extend(fds)
        if not flags & MSG_PEEK:
            queue.popleft()
            if self.peer_wait.entries:
                self.peer_wait.wake(_WRITABLE_KEY, 0)
            self._free(skb)
        data = skb.data
        copied = data[:n]
        ret = len(data) if flags & MSG_TRUNC else len(copied)
        return copied, ret, MSG_TRUNC if n < len(data) else 0, skb.sender.name

    @staticmethod
    def _free(skb: Skb) -> None:
        """sock_wfree: uncharge the sender, who may be writable again (unix_write_space)."""
        if skb.fds is not None:
            put_fds(skb)
        sender = skb.sender
        sender.wmem -= skb.truesize
        if not sender.dead and sender.wmem << 2 <= sender.sndbuf and sender.wq.entries:
            sender.wq.wake(_WRITABLE_KEY, 1)

    def read(self, n: int, nonblock: bool = False) -> bytes:
        if not n:  # sock_read_iter: "Match SYS5 behaviour": a zero-length read is 0, no recvmsg
            return b""
        return self.recvfrom(n, MSG_DONTWAIT if nonblock else 0)[0]

    def write(self, data: bytes, nonblock: bool = False) -> int:
        return self.sendto(data, MSG_DONTWAIT if nonblock else 0, None)

    # the socketpair-style entry points (SocketCalls' send and recv)
    def send(self, data: bytes | memoryview, flags: int = 0) -> int:
        return self.sendto(bytes(data), flags, None)

    def recv(self, n: int, flags: int = 0) -> bytes:
        return self.recvfrom(n, flags)[0]

    def unread_bytes(self) -> int | None:
        return sum(len(skb.data) for skb in self.receive_queue)

    def ioctl(self, request: int) -> int:
        """unix_ioctl: SIOCINQ is the length of the first datagram queued (0 with none),
        SIOCOUTQ the memory charged for what this socket sent and nobody has read yet
        (unix_outq_len: sk_wmem_alloc less its 1)."""
        if request == SIOCINQ:
            queue = self.receive_queue
            return len(queue[0].data) if queue else 0
        if request == SIOCOUTQ:
            return self.wmem - 1
        return super().ioctl(request)

    def set_sndbuf(self, sndbuf: int) -> None:
        self.sndbuf = sndbuf

    def shutdown(self, how: int) -> None:
        """unix_shutdown: a datagram socket's own bits only."""
        if how < SHUT_RD or how > SHUT_RDWR:
            raise oserror(EINVAL)
        self.shutdown_bits |= how + 1
        self.wq.wake_all()

    def release(self) -> None:
        """unix_release_sock: free what was queued here (its senders get their memory back)."""
        self.dead = True
        self.shutdown_bits = SHUTDOWN_MASK
        while self.receive_queue:
            self._free(self.receive_queue.popleft())
        self.peer_wait.wake_all()
        if self.name is not None and self.names is not None:
            self.names.released(self.name, self)
        self.peer = None


def make_dgram_pair(fid_a: int, fid_b: int, flags: int, names: UnixNames | None = None,
                    rng: Any = None) -> tuple[UnixDgramSocket, UnixDgramSocket]:
    """socketpair's ends: connected to each other, and ordinary sockets otherwise (they may bind,
    send to a name, connect elsewhere) where the host has names."""
    a = UnixDgramSocket(fid_a, flags, names, rng)
    b = UnixDgramSocket(fid_b, flags, names, rng)
    a.peer, b.peer = b, a
    a.peercred = b.peercred = True
    return a, b
