"""What every AF_INET/AF_INET6 socket shares, TCP and UDP alike (include/net/inet_sock.h, af_inet.c).

Theory of operation
-------------------
Linux's struct inet_sock sits between struct sock and the protocols: the
local and remote address and port, the socket options the generic layer
keeps (SO_REUSEADDR, SO_REUSEPORT, SO_KEEPALIVE, SO_LINGER, SO_SNDBUF,
SO_RCVBUF with their SOCK_*_LOCK bits, IPV6_V6ONLY), the pending error
(sk_err) and the shutdown bits. ``InetSocket`` is that layer for the
model's ``TcpSocket`` (``tcp.py``) and ``UdpSocket`` (``udp.py``): the
state, and the steps that are the same for both protocols:

* addresses as the socket reports them: an AF_INET6 socket sees an IPv4
  peer as ``::ffff:a.b.c.d`` (``_seen``), the wire never does
  (``net/stack.py`` ``wire_address``);
* inet_bind / inet6_bind's checks (a v4-mapped address on a V6ONLY socket
  is EINVAL, an address the host lacks EADDRNOTAVAIL) and the claim on
  the protocol's port table, explicit or ephemeral (``_claim_port``:
  inet_csk_get_port, udp_lib_get_port, inet_autobind);
* the route a connect or a send takes (``_route``: ip_route_connect; the
  wildcard means this host, an IPv4 destination from a V6ONLY socket is
  ENETUNREACH) and the source address it leaves from (``_source``: the
  bound address, or the route's preferred source);
* sock_error: SO_ERROR reads and clears sk_err (``take_error``).

What differs stays with the protocol: TCP's connection state and
getpeername's states, UDP's datagram queues and its ``broadcast`` flag.
"""
from __future__ import annotations

from errno import EADDRNOTAVAIL, EINVAL, ENETUNREACH
from typing import Any

from ..abi.epoll import EPOLLIN, EPOLLOUT, EPOLLPRI, EPOLLRDBAND, EPOLLRDNORM, EPOLLWRBAND, EPOLLWRNORM
from ..abi.fcntl import O_NONBLOCK, O_RDWR
from ..abi.socket import AF_INET, AF_INET6
from ..abi.stat import S_IFSOCK, SOCKFS_DEV
from ..errors import oserror
from ..net import addr as A
from ..net.stack import Binding, NetStack, wire_address
from ..vfs.file import OpenFile
from ..vfs.waitqueue import WaitQueue

READABLE_KEY = EPOLLIN | EPOLLPRI | EPOLLRDNORM | EPOLLRDBAND  # sock_def_readable
WRITABLE_KEY = EPOLLOUT | EPOLLWRNORM | EPOLLWRBAND  # sk_stream_write_space, sock_def_write_space


class InetSocket(OpenFile):
    """The state and steps shared by the model's TCP and UDP sockets; ``proto`` is the subclass's."""

    __slots__ = (
        "err", "family", "keepalive", "laddr", "linger", "lport", "net", "raddr", "rcvbuf", "rcvbuf_locked",
        "reuseaddr", "reuseport", "rport", "shutdown_bits", "sndbuf", "sndbuf_locked", "sockopts", "stack", "v6only",
        "wq",
    )

    kind = "socket"
    st_mode = S_IFSOCK | 0o777
    st_dev = SOCKFS_DEV
    shared_ino = 0  # an inode each (sock_alloc)
    proto: int

    def __init__(self, fid: int, flags: int, family: int, stack: NetStack, sndbuf: int, rcvbuf: int) -> None:
        super().__init__(fid, O_RDWR | (flags & O_NONBLOCK))
        self.family = family
        self.stack = stack
        self.net = stack.network
        self.wq = WaitQueue()
        self.err = 0  # sk_err
        self.shutdown_bits = 0  # sk_shutdown
        self.reuseaddr = self.reuseport = self.keepalive = self.v6only = False
        self.linger: tuple[int, int] = (0, 0)
        self.sndbuf, self.rcvbuf = sndbuf, rcvbuf
        self.sndbuf_locked = self.rcvbuf_locked = False
        self.sockopts: dict[int, Any] | None = None  # options stored, not simulated (syscalls/sockopts.py)
        self.laddr = A.ANY4 if family == AF_INET else A.ANY6  # as the socket reports it
        self.lport = 0
        self.raddr = ""  # the remote on the wire ("" when there is none)
        self.rport = 0

    # -- addresses ------------------------------------------------------------

    def _seen(self, wire: str) -> str:
        """A wire address as this socket reports it (v4-mapped for AF_INET6)."""
        if self.family == AF_INET6 and A.is_v4(wire):
            return A.to_mapped(wire)
        return wire

    def sockname(self) -> tuple[str, int]:
        return self.laddr, self.lport

    def _check_bind(self, addr: str) -> None:
        """inet_bind / inet6_bind: no v4-mapped address on a V6ONLY socket, only the host's own."""
        if self.family == AF_INET6 and A.mapped_v4(addr) is not None and self.v6only:
            raise oserror(EINVAL)
        if not self.stack.can_bind(self.family, addr):
            raise oserror(EADDRNOTAVAIL)

    def _claim_port(self, addr: str, port: int, for_connect: bool = False) -> Binding:
        """get_port: (addr, port) in the protocol's table with this socket's reuse flags; 0 is ephemeral."""
        return self.stack.bind(
            self.proto, self, self.family, addr, port, reuseaddr=self.reuseaddr,
            reuseport=self.reuseport, v6only=self.v6only, for_connect=for_connect,
        )

    def _route(self, addr: str) -> str:
        """ip_route_connect: the wire destination for an address as the program gave it."""
        dst = wire_address(self.family, addr)
        if self.family == AF_INET6 and A.is_v4(dst) and self.v6only:
            raise oserror(ENETUNREACH)
        if A.is_any(dst):  # the wildcard is this host
            dst = A.LOOPBACK4 if A.is_v4(dst) else A.LOOPBACK6
        return dst

    def _source(self, dst: str) -> str:
        """The local wire address for ``dst``: the bound one, or the route's preferred source."""
        bound = wire_address(self.family, self.laddr)
        return self.stack.source_for(dst) if A.is_any(bound) else bound

    # -- errors ---------------------------------------------------------------

    def take_error(self) -> int:
        """sock_error / SO_ERROR: read and clear the pending error."""
        code, self.err = self.err, 0
        return code
