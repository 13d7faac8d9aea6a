"""Connected AF_UNIX SOCK_STREAM sockets (net/unix/af_unix.c), as socketpair() makes them.

Theory of operation
-------------------
Each end has one wait queue (EPOLLIN and EPOLLOUT watchers share it), a
receive queue of *buffers* (sk_buffs) that the peer sent, its ``shutdown``
bits (RCV, SEND), a pending error (``err``), and ``wmem``: the memory charged
for the buffers *it* sent that the peer has not finished reading
(sk_wmem_alloc, counting each buffer's truesize, overhead included, plus the
1 the kernel starts the counter at).

* A send cuts the data into buffers of at most 36544 bytes (a 3776-byte head
  plus up to 32 KiB of pages; less with a small SO_SNDBUF) and queues each
  to the peer while ``wmem - 1 < sndbuf``: so a non-blocking send may return
  a partial count, and fails with EAGAIN only once that much is in flight
  (95232 bytes in 1024-byte sends). A buffer costs its truesize: the head's
  kmalloc object (512 to 4096 bytes), 256 for the sk_buff and whole pages
  for the rest (``skb_truesize``, checked against Linux 6.18 with
  SO_MEMINFO for every size up to 80000 bytes). Each queued buffer wakes
  the peer with EPOLLIN|EPOLLPRI|EPOLLRDNORM|EPOLLRDBAND: every send is an
  edge.
* An end is writable while ``4 * wmem <= sndbuf`` (so EPOLLOUT goes away
  long before sends fail: about 24 KB in 1024-byte sends). Reading a buffer
  to its end frees it, and if the sender is then writable its queue is woken
  with EPOLLOUT|EPOLLWRNORM|EPOLLWRBAND; a partly read buffer frees nothing.
* shutdown(how) sets the own bits and mirrors them on the peer (own SHUT_WR
  is the peer's RCV), waking both queues with no key. Close gives the peer
  both bits, and ECONNRESET (EPOLLERR) if the closing end left data unread,
  then frees that data, which lets the peer write again.

Poll mask (unix_poll): ERR if ``err``; HUP if both bits; IN|RDNORM|RDHUP if
RCV; IN|RDNORM if data is queued; OUT|WRNORM|WRBAND if writable, whatever the
shutdown state ("prevents stuck sockets"). A read empties the queue first,
then reports a pending error once, then end-of-file.

Files passed (SCM_RIGHTS) ride on one buffer each: see ``send`` and ``recv``.

Not modelled: credentials, MSG_OOB, peek offsets, SOCK_SEQPACKET.
Naming, listening and connecting are ``unix_socket.py``'s (a subclass of this
file), datagram sockets ``unix_dgram.py``'s.
"""
from __future__ import annotations

from collections import deque
from errno import EAGAIN, ECONNRESET, EINVAL, EPIPE
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
from ..abi.limits import PAGE_SIZE, SK_RMEM_DEFAULT, SK_WMEM_DEFAULT, SKB_SHINFO_SIZE, SKB_STRUCT_SIZE
from ..abi.socket import (
    AF_UNIX,
    MSG_DONTWAIT,
    MSG_PEEK,
    RCV_SHUTDOWN,
    SEND_SHUTDOWN,
    SHUT_RD,
    SHUT_RDWR,
    SHUTDOWN_MASK,
    SOCK_STREAM,
)
from ..abi.stat import S_IFSOCK, SOCKFS_DEV
from ..errors import oserror
from ..net.unix_names import UnixNames
from ..vfs.file import OpenFile, PollTable
from ..vfs.waitqueue import WaitQueue
from .blocking import WouldBlock

_READABLE_KEY = EPOLLIN | EPOLLPRI | EPOLLRDNORM | EPOLLRDBAND  # sock_def_readable
_WRITABLE_KEY = EPOLLOUT | EPOLLWRNORM | EPOLLWRBAND  # unix_write_space

# SKB_MAX_HEAD(0): the largest linear head one page holds.
_SKB_MAX_HEAD = PAGE_SIZE - SKB_SHINFO_SIZE
# UNIX_SKB_FRAGS_SZ: the paged part of one buffer.
_UNIX_SKB_FRAGS_SZ = 32768
# The kmalloc slab sizes a head is rounded up to (mm/slab_common.c kmalloc_info;
# a head needs at least SKB_HEAD_ALIGN(0) = 320 bytes, and there is no 384 slab).
# kmalloc_reserve never uses the small-head cache (skb_small_head_cache) for
# AF_UNIX: unix_create1 sets sk_allocation = GFP_KERNEL_ACCOUNT, and with
# CONFIG_MEMCG __GFP_ACCOUNT is one of KMALLOC_NOT_NORMAL_BITS. Measured on
# 6.18 with SO_MEMINFO: a 1-byte send charges 768 (512 + 256), not 896.
_KMALLOC_SIZES = (512, 1024, 2048, 4096, 8192)


def _align(n: int, a: int) -> int:
    return (n + a - 1) // a * a


def skb_truesize(size: int) -> tuple[int, int]:
    """(head bytes, truesize) of one buffer carrying ``size`` bytes (unix_stream_sendmsg).

    truesize is what the sender is charged: the head's slab object plus the
    sk_buff itself, plus every page of the paged part. The pages are charged
    whole (alloc_skb_with_frags adds PAGE_SIZE << order per page), even when
    the data does not fill them: a 3777-byte send is all pages (data_len is
    capped at the size, so the head is empty) and costs 512 + 256 + 4096.
    """
    data_len = max(0, size - _SKB_MAX_HEAD)
    data_len = min(size, _align(data_len, PAGE_SIZE))
    head = size - data_len
    need = _align(head, 64) + SKB_SHINFO_SIZE  # SKB_HEAD_ALIGN
    obj = next(k for k in _KMALLOC_SIZES if k >= need)  # kmalloc_size_roundup
    return head, obj + SKB_STRUCT_SIZE + _align(data_len, PAGE_SIZE)


class Skb:
    """One queued buffer: the bytes still unread, what its sender was charged, and the files
    in flight with it (SCM_RIGHTS: UNIXCB(skb).fp, one reference each), if any."""

    __slots__ = ("data", "fds", "sender", "truesize")

    def __init__(self, data: bytes, truesize: int, sender: UnixStreamSocket) -> None:
        self.data = data
        self.truesize = truesize
        self.sender = sender
        self.fds: list[OpenFile] | None = None


class UnixStreamSocket(OpenFile):
    """One end of a connected AF_UNIX stream pair: the socket file and its sock."""

    __slots__ = ("dead", "err", "name", "names", "passcred", "peer", "rcvbuf", "receive_queue", "rng",
                 "shutdown_bits", "sndbuf", "sockopts", "wmem", "wq")

    kind = "socket"
    st_mode = S_IFSOCK | 0o777
    st_dev = SOCKFS_DEV
    shared_ino = 0  # an inode each (sock_alloc)
    family = AF_UNIX
    type = SOCK_STREAM

    def __init__(self, fid: int, flags: int) -> None:
        super().__init__(fid, O_RDWR | (flags & O_NONBLOCK))
        self.peer: UnixStreamSocket | None = None
        self.receive_queue: deque[Skb] = deque()
        self.shutdown_bits = 0
        self.err = 0
        self.wmem = 1  # sk_wmem_alloc starts at 1
        self.sndbuf = SK_WMEM_DEFAULT
        self.rcvbuf = SK_RMEM_DEFAULT
        self.sockopts: dict[int, Any] | None = None  # options stored, not simulated (syscalls/sockopts.py)
        self.wq = WaitQueue()
        self.dead = False
        # A socketpair end may be bound too (unix_bind): it takes the host's names then.
        self.name: bytes | None = None  # as bound: a path, or NUL + an abstract name
        self.names: UnixNames | None = None
        self.rng: Any = None
        self.passcred = False  # SO_PASSCRED

    # -- readiness ------------------------------------------------------------

    def poll(self, pt: PollTable) -> int:
        """unix_poll."""
        if pt is not None:
            pt(self.wq)
        mask = 0
        if self.err:
            mask = EPOLLERR
        shutdown = self.shutdown_bits
        if shutdown == SHUTDOWN_MASK:
            mask |= EPOLLHUP
        if shutdown & RCV_SHUTDOWN:
            mask |= EPOLLRDHUP | EPOLLIN | EPOLLRDNORM
        if self.receive_queue:
            mask |= EPOLLIN | EPOLLRDNORM
        if self.wmem << 2 <= self.sndbuf:  # unix_writable
            mask |= _WRITABLE_KEY
        return mask

    def _write_space(self) -> None:
        """unix_write_space: wake writers, if this end is writable."""
        if self.wmem << 2 <= self.sndbuf and self.wq.entries:
            self.wq.wake(_WRITABLE_KEY, 1)

    def _free_skb(self, skb: Skb) -> None:
        """kfree_skb/consume_skb: uncharge the sender (sock_wfree).

        sock_wfree keeps one unit of the charge while it runs write_space, so
        the writability test sees ``wmem`` one higher than after the call.
        """
        if skb.fds is not None:  # unix_destruct_scm: the files in flight go with it
            put_fds(skb)
        sender = skb.sender
        sender.wmem -= skb.truesize - 1
        if not sender.dead:
            sender._write_space()
        sender.wmem -= 1

    def set_sndbuf(self, sndbuf: int) -> None:
        """setsockopt(SO_SNDBUF): the new limit, then write_space ("wake up sending tasks")."""
        self.sndbuf = sndbuf
        self._write_space()

    # -- data -----------------------------------------------------------------

    def send(self, data: bytes | memoryview, flags: int = 0, fds: list[OpenFile] | None = None) -> int:
        """unix_stream_sendmsg: bytes queued, or EPIPE/EAGAIN/WouldBlock when none were.

        ``fds`` (SCM_RIGHTS, one reference each, the caller's until attached) ride with the
        first buffer (unix_attach_fds "Only send the fds in the first buffer"): they are
        attached when the call returns a count above 0, and not otherwise (an empty send
        queues no buffer, so its files are dropped)."""
        nonblock = flags & MSG_DONTWAIT or self.flags & O_NONBLOCK
        total = len(data)
        if self.shutdown_bits & SEND_SHUTDOWN:
            raise oserror(EPIPE)
        peer = self.peer
        sent = 0
        max_size = min((self.sndbuf >> 1) - 64, _SKB_MAX_HEAD + _UNIX_SKB_FRAGS_SZ)
        while sent < total:
            # sock_alloc_send_pskb: wait for memory before each buffer.
            if self.shutdown_bits & SEND_SHUTDOWN:
                return self._send_failed(sent, EPIPE)
            if self.wmem - 1 >= self.sndbuf:
                if sent:
                    return sent
                if nonblock:
                    raise oserror(EAGAIN)
                raise WouldBlock(self.wq, _WRITABLE_KEY, "socket send buffer is full")
            size = min(total - sent, max_size)
            _, truesize = skb_truesize(size)
            if peer is None or peer.dead or peer.shutdown_bits & RCV_SHUTDOWN:
                return self._send_failed(sent, EPIPE)
            self.wmem += truesize
            skb = Skb(bytes(data[sent : sent + size]), truesize, self)
            if fds is not None:
                skb.fds, fds = fds, None
            peer.receive_queue.append(skb)
            if peer.wq.entries:
                peer.wq.wake(_READABLE_KEY, 1)  # sock_def_readable
            sent += size
        return sent

    @staticmethod
    def _send_failed(sent: int, code: int) -> int:
        if sent:
            return sent
        raise oserror(code)

    def recv(self, n: int, flags: int = 0, scm: list[OpenFile] | None = None) -> bytes:
        """unix_stream_read_generic (MSG_PEEK and MSG_DONTWAIT; no MSG_WAITALL).

        A buffer carrying files ends the read once any of it is read, even 0 bytes of it (unix_detach_fds, then
        "if (scm.fp) break"): data queued before it is read with it, never data after it.
        Its files go to ``scm`` (recvmsg with room for them) or are dropped (a plain recv).
        MSG_PEEK reads up to such a buffer too, and ``scm`` gets new references (unix_peek_fds)."""
        queue = self.receive_queue
        if not queue:
            if self.err:
                code, self.err = self.err, 0  # sock_error reports it once
                raise oserror(code)
            if self.shutdown_bits & RCV_SHUTDOWN:
                return b""
            if flags & MSG_DONTWAIT or self.flags & O_NONBLOCK:
                raise oserror(EAGAIN)
            raise WouldBlock(self.wq, _READABLE_KEY, "socket receive queue is empty")
        if flags & MSG_PEEK:
            return self._peek(n, scm)
        parts = []
        while queue:  # do { } while (size): a read of 0 bytes still takes the first buffer's files
            skb = queue[0]
            data = skb.data
            fds = skb.fds
            if fds is not None:  # unix_detach_fds
                skb.fds = None
                if scm is not None:
                    scm.extend(fds)
                else:
                    for file in fds:
                        file.put()
            if len(data) > n:  # a partly read buffer ends the call and frees nothing
                parts.append(data[:n])
                skb.data = data[n:]
                break
            parts.append(data)
            n -= len(data)
            queue.popleft()
            self._free_skb(skb)
            if fds is not None or not n:
                break
        return b"".join(parts)

    def _peek(self, n: int, scm: list[OpenFile] | None) -> bytes:
        parts = []
        for skb in self.receive_queue:
            parts.append(skb.data)
            if skb.fds is not None:
                if scm is not None:
                    scm.extend(file.get() for file in skb.fds)
                break
        return b"".join(parts)[:n]

    def read(self, n: int, nonblock: bool = False) -> bytes:
        if n == 0:  # sock_read_iter: "Match SYS5 behaviour"
            return b""
        return self.recv(n, MSG_DONTWAIT if nonblock else 0)

    def write(self, data: bytes, nonblock: bool = False) -> int:
        return self.send(data, MSG_DONTWAIT if nonblock else 0)

    def shutdown(self, how: int) -> None:
        """unix_shutdown."""
        if how < SHUT_RD or how > SHUT_RDWR:
            raise oserror(EINVAL)
        mode = (how + 1) & SHUTDOWN_MASK
        self.shutdown_bits |= mode
        self.wq.wake_all()  # sock_def_wakeup
        peer = self.peer
        if peer is not None and not peer.dead:
            peer_mode = 0
            if mode & RCV_SHUTDOWN:
                peer_mode |= SEND_SHUTDOWN
            if mode & SEND_SHUTDOWN:
                peer_mode |= RCV_SHUTDOWN
            peer.shutdown_bits |= peer_mode
            peer.wq.wake_all()

    def unread_bytes(self) -> int | None:
        return sum(len(skb.data) for skb in self.receive_queue)

    def ioctl(self, request: int) -> int:
        """unix_ioctl: SIOCINQ is every unread byte queued (unix_inq_len, a partly read
        buffer counting what is left of it), SIOCOUTQ the memory charged for what this
        end sent and the peer has not read (unix_outq_len: sk_wmem_alloc less its 1)."""
        if request == SIOCINQ:
            return sum(len(skb.data) for skb in self.receive_queue)
        if request == SIOCOUTQ:
            return self.wmem - 1
        return super().ioctl(request)

    def sync_tx(self) -> OpenFile:
        """What a send is a message to: the peer's receive queue (sync_rx is this end's)."""
        return self.peer if self.peer is not None else self

    def take_error(self) -> int:
        """SO_ERROR: read and clear the pending error."""
        code, self.err = self.err, 0
        return code

    # -- names ----------------------------------------------------------------

    def sockname(self) -> bytes:
        return self.name or b""

    def has_peercred(self) -> bool:
        """sk_peer_pid is set: a socketpair end (init_peercred) always."""
        return True

    def peername(self) -> bytes:
        """unix_getname(peer): a closed peer still answers (unix_peer is kept)."""
        peer = self.peer
        return (peer.name or b"") if peer is not None else b""

    def bind(self, path: bytes) -> None:
        """unix_bind: autobind for an empty name; a path or an abstract name."""
        assert self.names is not None, "bound through the host's names (syscalls/unix.py)"
        self.name = self.names.bind(self, self.name, path, self.rng)

    def release(self) -> None:
        """unix_release_sock: the last reference to this end went."""
        if self.name is not None and self.names is not None:
            self.names.released(self.name, self)
        self.shutdown_bits = SHUTDOWN_MASK
        self.dead = True
        peer = self.peer
        if peer is not None and not peer.dead:
            peer.shutdown_bits = SHUTDOWN_MASK
            if self.receive_queue:
                peer.err = ECONNRESET
            peer.wq.wake_all()
        queue = self.receive_queue
        while queue:
            self._free_skb(queue.popleft())
        self.peer = None



def put_fds(skb: Any) -> None:
    """__scm_destroy: drop the references a buffer holds on the files in flight with it.

    There is no unix_gc: a socket in flight in its own queue (or a cycle of them) keeps itself
    alive until the process ends, where Linux's garbage collector would free it."""
    fds, skb.fds = skb.fds, None
    for file in fds:
        file.put()


def make_socketpair(fid_a: int, fid_b: int, flags: int) -> tuple[UnixStreamSocket, UnixStreamSocket]:
    a = UnixStreamSocket(fid_a, flags)
    b = UnixStreamSocket(fid_b, flags)
    a.peer, b.peer = b, a
    return a, b
