"""AF_UNIX SOCK_STREAM sockets made by socket(): bind to a path or an abstract name, listen,
connect, accept (net/unix/af_unix.c unix_bind, unix_listen, unix_stream_connect, unix_accept).

Theory of operation
-------------------
A ``UnixSocket`` is a ``UnixStreamSocket`` (the connected pair's data path,
buffer accounting and wake-ups, unchanged) with the states a socket() has
before that: CLOSE (fresh, maybe bound), LISTEN, and ESTABLISHED once
connected or accepted.

Names live in the host's ``UnixNames`` (``net/unix_names.py``): the model
has no file system, so a path name is an entry in that table, not a file.
As on Linux, a path stays taken after its socket is closed (the socket
file is left behind: binding it again is EADDRINUSE, connecting to it
ECONNREFUSED) until ``unlink`` removes it; an abstract name (a leading NUL)
goes with its socket. ``bind("")`` autobinds to an abstract name of five hex
digits, from a counter started by the kernel's seeded rng (Linux: a random
start). Connecting to a path nobody bound is ENOENT, to an abstract name
nobody has, or to a socket that is not listening, ECONNREFUSED.

connect (unix_stream_connect) makes the server's end at once: an embryo
socket, connected to the client, named like the listener, and queued on
the listener (which wakes with IN|PRI|RDNORM|RDBAND, and polls readable
while one is queued; a listener is never writable). A listener holds
backlog + 1 embryos (unix_recvq_full: more than sk_max_ack_backlog); a
further connect fails with EAGAIN when non-blocking, or waits on the
listener's ``peer_wait`` until an accept takes one. ``accept`` hands out the
oldest embryo. Closing a listener releases the embryos still queued: their
clients get ECONNRESET and both shutdown bits (IN|OUT|ERR|HUP|RDHUP).

A fresh or bound socket polls OUT|WRNORM|WRBAND|HUP (unix_poll: TCP_CLOSE is
HUP for a stream socket). A listener shut for reading polls IN|RDNORM|RDHUP (and
HUP when shut both ways), and its accept fails with EINVAL instead of waiting
(EAGAIN when non-blocking). On a socket that is not connected, send is
ENOTCONN and recv EINVAL; listen needs a name (EINVAL), bind a socket without
one (EINVAL), connect a socket that is not listening (EINVAL) or connected
(EISCONN).

Not modelled: SOCK_SEQPACKET, credentials (SO_PASSCRED,
SO_PEERCRED), file permissions on paths, and directories (every path's
parent exists).
"""
from __future__ import annotations

from collections import deque
from errno import EAGAIN, ECONNREFUSED, ECONNRESET, EINVAL, EISCONN, ENOTCONN
from typing import Any

from ..abi.epoll import EPOLLHUP, EPOLLIN, EPOLLPRI, EPOLLRDBAND, EPOLLRDHUP, EPOLLRDNORM
from ..abi.ioctl import SIOCINQ
from ..abi.socket import RCV_SHUTDOWN, SHUTDOWN_MASK, SOCK_STREAM
from ..errors import oserror
from ..net.unix_names import UnixNames
from ..vfs.file import OpenFile, PollTable
from ..vfs.waitqueue import WaitQueue
from .blocking import WouldBlock
from .unix_stream import UnixStreamSocket

_READABLE_KEY = EPOLLIN | EPOLLPRI | EPOLLRDNORM | EPOLLRDBAND

CLOSE = "close"
LISTEN = "listen"
ESTABLISHED = "established"


class UnixSocket(UnixStreamSocket):
    """An AF_UNIX stream socket from socket() (or accepted): named, listening, or connected."""

    __slots__ = ("accept_queue", "backlog", "peer_wait", "state")

    def __init__(self, fid: int, flags: int, names: UnixNames, rng: Any) -> None:
        super().__init__(fid, flags)
        self.names = names
        self.rng = rng
        self.state = CLOSE
        self.backlog = 0
        self.accept_queue: deque[UnixSocket] = deque()
        self.peer_wait = WaitQueue()  # connectors waiting for room in the backlog

    def __repr__(self) -> str:
        return f"<unix #{self.fid} {self.state} {self.name!r}>"

    # -- readiness ------------------------------------------------------------

    def poll(self, pt: PollTable) -> int:
        """unix_poll: a listener is readable with a connection queued, never writable."""
        if self.state == LISTEN:
            if pt is not None:
                pt(self.wq)
            mask = EPOLLIN | EPOLLRDNORM if self.accept_queue else 0
            if self.shutdown_bits == SHUTDOWN_MASK:
                mask |= EPOLLHUP
            if self.shutdown_bits & RCV_SHUTDOWN:
                mask |= EPOLLRDHUP | EPOLLIN | EPOLLRDNORM
            return mask
        mask = super().poll(pt)
        if self.state == CLOSE:
            mask |= EPOLLHUP
        return mask

    def ioctl(self, request: int) -> int:
        """unix_inq_len refuses a listener (EINVAL); SIOCOUTQ asks no state (0 there)."""
        if request == SIOCINQ and self.state == LISTEN:
            raise oserror(EINVAL)
        return super().ioctl(request)

    # -- names ----------------------------------------------------------------

    def peername(self) -> bytes:
        peer = self.peer
        if self.state != ESTABLISHED or not isinstance(peer, UnixSocket):
            raise oserror(ENOTCONN)
        return peer.name or b""

    def has_peercred(self) -> bool:
        """unix_listen sets its own credentials, connect and accept the other end's."""
        return self.state != CLOSE

    def listen(self, backlog: int) -> None:
        """unix_listen."""
        if self.name is None or self.state not in (CLOSE, LISTEN):
            raise oserror(EINVAL)
        if backlog > self.backlog:
            self.peer_wait.wake_all()
        self.backlog = backlog
        self.state = LISTEN

    def connect(self, path: bytes, nonblock: bool, fid: int) -> None:
        """unix_stream_connect: find the listener, make and queue the embryo (or wait for room)."""
        assert self.names is not None
        if self.passcred and self.name is None and self.state == CLOSE:
            self.name = self.names.bind(self, None, b"", self.rng)  # unix_autobind
        other = find_listener(self.names, path, nonblock)
        if self.state == ESTABLISHED:
            raise oserror(EISCONN)
        if self.state != CLOSE:
            raise oserror(EINVAL)
        embryo = UnixSocket(fid, 0, self.names, self.rng)
        embryo.state = ESTABLISHED
        embryo.name = other.name
        embryo.sndbuf, embryo.rcvbuf = other.sndbuf, other.rcvbuf
        embryo.peer, self.peer = self, embryo
        self.state = ESTABLISHED
        other.accept_queue.append(embryo)
        if other.wq.entries:
            other.wq.wake(_READABLE_KEY, 1)  # sk_data_ready

    def accept(self, nonblock: bool) -> UnixSocket:
        """unix_accept: the oldest embryo; room for a waiting connector."""
        if self.state != LISTEN:
            raise oserror(EINVAL)
        if not self.accept_queue:
            if nonblock:
                raise oserror(EAGAIN)
            if self.shutdown_bits & RCV_SHUTDOWN:
                raise oserror(EINVAL)  # __skb_wait_for_more_packets: no wait once shut for reading
            raise WouldBlock(self.wq, _READABLE_KEY, "no connection to accept", "tail_exclusive")
        child = self.accept_queue.popleft()
        if self.peer_wait.entries:
            self.peer_wait.wake_all()
        return child

    # -- data on an unconnected socket ----------------------------------------------

    def send(self, data: bytes | memoryview, flags: int = 0, fds: list[OpenFile] | None = None) -> int:
        if self.state != ESTABLISHED:
            raise oserror(ENOTCONN)  # unix_stream_sendmsg: no peer
        return super().send(data, flags, fds)

    def recv(self, n: int, flags: int = 0, scm: list[OpenFile] | None = None) -> bytes:
        if self.state != ESTABLISHED:
            raise oserror(EINVAL)  # unix_stream_read_generic
        return super().recv(n, flags, scm)

    # -- the end ----------------------------------------------------------------

    def release(self) -> None:
        """unix_release_sock: a listener's embryos go first (their clients see ECONNRESET)."""
        if self.state == LISTEN:
            while self.accept_queue:
                embryo = self.accept_queue.popleft()
                client = embryo.peer
                embryo.dead = True
                embryo.shutdown_bits = SHUTDOWN_MASK
                if client is not None and not client.dead:
                    client.shutdown_bits = SHUTDOWN_MASK
                    client.err = ECONNRESET
                    client.wq.wake_all()
                embryo.peer = None
            self.peer_wait.wake_all()
        super().release()  # the name too


def find_listener(names: UnixNames, path: bytes, nonblock: bool) -> UnixSocket:
    """unix_stream_connect before it looks at the connecting socket: the name's socket, which must
    be listening and not shut for reading (else ECONNREFUSED: a bound socketpair end is not), with
    room in its backlog (else EAGAIN, or wait on its ``peer_wait``)."""
    other = names.find(path, SOCK_STREAM)
    if not isinstance(other, UnixSocket) or other.state != LISTEN or other.shutdown_bits & RCV_SHUTDOWN:
        raise oserror(ECONNREFUSED)
    if len(other.accept_queue) > other.backlog:
        if nonblock:
            raise oserror(EAGAIN)
        raise WouldBlock(other.peer_wait, 0, "the listener's backlog is full")
    return other
