"""The datagram side of the inet calls: UDP sockets' creation, sendto with an address, recvmsg.

``InetCalls.socket`` makes SOCK_DGRAM sockets through ``_udp_socket``;
bind, connect, getsockname, getpeername, shutdown and the options are
InetCalls' own (a ``UdpSocket`` offers the same methods and option
attributes as a TCP socket). This mixin, placed before InetCalls, gives the
datagram sockets' send (UDP and unix: a destination is optional) and receive
(for ``SocketCalls.sendto``/``recvfrom``), and ``recvmsg`` (the data, the
return value, the message flags and the source address), which answers for
every other socket as recvfrom(2) does for a stream: no address.
"""
from __future__ import annotations

from errno import EINVAL
from typing import Any

from ..abi.socket import MSG_DONTWAIT, MSG_NOSIGNAL, MSG_OOB, MSG_PEEK, MSG_TRUNC, SOL_SOCKET
from ..errors import Unsupported, oserror
from ..files.blocking import WouldBlock
from ..files.udp import UdpSocket
from ..files.unix_dgram import UnixDgramSocket
from . import sockopts
from .inet import InetCalls

_IPPROTO_UDP = 17
SO_BROADCAST = 6  # include/uapi/asm-generic/socket.h
_SEND_FLAGS = MSG_DONTWAIT | MSG_NOSIGNAL
_RECV_FLAGS = MSG_DONTWAIT | MSG_PEEK | MSG_TRUNC


class UdpCalls(InetCalls):
    __slots__ = ()

    def _udp_socket(self, fid: int, family: int, flags: int, proto: int) -> UdpSocket:
        """inet_create for SOCK_DGRAM: UDP (protocol 0 or 17); UDP-Lite is not modelled."""
        if proto not in (0, _IPPROTO_UDP):
            raise Unsupported("UDP-Lite sockets are not modelled")
        stack = self.proc.net
        assert stack is not None
        sock = UdpSocket(fid, flags, family, stack)
        sock.wall = self.proc.wall
        return sock

    def _shape_addr(self, sock: Any, addr: tuple[str, int] | None) -> tuple[Any, ...] | None:
        if addr is None:
            return None
        return self._shape(sock, addr)

    def _udp_sendto(self, fd: int, file: UdpSocket, data: bytes | memoryview, flags: int,
                    addr: tuple[Any, ...] | None) -> int:
        """udp_sendmsg: one datagram to ``addr`` (or the peer)."""
        if flags & ~(_SEND_FLAGS | MSG_OOB):  # MSG_OOB: EOPNOTSUPP on IPv4 (UdpSocket.sendto)
            raise Unsupported(f"send flags {flags:#x} are not modelled")
        dest = None if addr is None else (addr[0], addr[1])
        if self.hb.on:  # the datagram carries what the sender released
            self.hb.release(file)
        return file.sendto(bytes(data), flags, dest)

    def setsockopt(self, fd: int, level: int, optname: int, value: int | bytes) -> None:
        """SO_BROADCAST on a UDP socket (sk_setsockopt: SOCK_BROADCAST); the rest as InetCalls."""
        file = self.fget(fd)
        if isinstance(file, UdpSocket) and level == SOL_SOCKET and optname == SO_BROADCAST:
            file.broadcast = bool(sockopts.int_value(value))
            return None
        return super().setsockopt(fd, level, optname, value)

    def getsockopt(self, fd: int, level: int, optname: int, optlen: int | None = None) -> Any:
        file = self.fget(fd)
        if isinstance(file, UdpSocket) and level == SOL_SOCKET and optname == SO_BROADCAST:
            return sockopts.shape(int(file.broadcast), optlen)
        return super().getsockopt(fd, level, optname, optlen)

    def _unix_dgram_sendto(self, fd: int, sock: UnixDgramSocket, data: bytes | memoryview, flags: int,
                           addr: Any) -> int:
        if flags & ~_SEND_FLAGS:
            raise Unsupported(f"send flags {flags:#x} are not modelled")
        path = None if addr is None else bytes(addr)
        if path == b"":
            raise oserror(EINVAL)  # unix_validate_addr: an address with no name
        if path is not None and sock.names is None:  # a process with no network stack
            raise Unsupported("this process has no network stack (no AF_UNIX names)")
        payload = bytes(data)
        if self.hb.on:
            self.hb.release(sock)
        try:
            return sock.sendto(payload, flags, path)
        except WouldBlock as blocked:
            return int(self.retry(f"sendto({fd})", lambda: sock.sendto(payload, flags, path), blocked, sock))

    def recvmsg(self, fd: int, bufsize: int, flags: int = 0) -> tuple[bytes, int, int, Any]:
        """recvmsg(2): (data, return value, msg_flags, source address or None)."""
        file = self.fget(fd)
        if isinstance(file, UnixDgramSocket):
            if flags & ~_RECV_FLAGS:
                raise Unsupported(f"recv flags {flags:#x} are not modelled")
            usock = file
            return self.retry(f"recvfrom({fd})", lambda: usock.recvfrom(bufsize, flags), file=usock)
        if not isinstance(file, UdpSocket):
            data = self.recvfrom(fd, bufsize, flags)
            return data, len(data), 0, None
        flags &= ~MSG_OOB  # udp_recvmsg ignores it: the next datagram, as without it
        if flags & ~_RECV_FLAGS:
            raise Unsupported(f"recv flags {flags:#x} are not modelled")
        sock = file
        try:
            data, ret, msg_flags, src = sock.recvfrom(bufsize, flags)
        except WouldBlock as blocked:
            data, ret, msg_flags, src = self.retry(
                f"recvfrom({fd})", lambda: sock.recvfrom(bufsize, flags), blocked, sock
            )
        if self.hb.on:
            self.hb.acquire(sock.sync_rx())
        return data, ret, msg_flags, self._shape_addr(sock, src)

    def _dgram_recv(self, fd: int, file: Any, bufsize: int, flags: int) -> bytes:
        return self.recvmsg(fd, bufsize, flags)[0]
