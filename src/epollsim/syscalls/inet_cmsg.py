"""Ancillary data a UDP socket's recvmsg returns when asked by an option (net/ipv4/ip_sockglue.c
ip_cmsg_recv_offset, net/ipv6/datagram.c ip6_datagram_recv_ctl).

IPv4: IP_PKTINFO gives struct in_pktinfo (the interface index, then the destination address
twice: ipi_spec_dst and ipi_addr, equal for local delivery). IPv6, in this order:
IPV6_RECVPKTINFO gives IPV6_PKTINFO (struct in6_pktinfo: the destination address, then the
interface index), IPV6_RECVHOPLIMIT gives IPV6_HOPLIMIT (64: nothing routes between hosts) and
IPV6_RECVTCLASS gives IPV6_TCLASS (0). The interface is ``lo`` (1) for a datagram from the host
itself and ``eth0`` (2) for one from another host. Each item is written as put_cmsg writes it:
cut to the room left (MSG_CTRUNC), nothing without a control buffer (MSG_CTRUNC).

Before those (sock_recv_cmsgs, __sock_recv_timestamp): SO_TIMESTAMP gives SCM_TIMESTAMP, a
struct timeval, and SO_TIMESTAMPNS SCM_TIMESTAMPNS, a struct timespec, of the host's
CLOCK_REALTIME when the datagram arrived (when it arrived before the option was set: when it is
read); the _NEW options give the same structs (64-bit on x86-64) under their own types. One is
on at a time: setting one replaces the other, and getsockopt reads 1 for the one set last
(sock_set_timestamp, sk_getsockopt).

The IPv4 options on an IPv6 socket (and IPv4-mapped datagrams), SO_TIMESTAMPING and the other
receive options are not modelled.
"""
from __future__ import annotations

import ipaddress
from errno import ENOPROTOOPT
from typing import Any

from ..abi.socket import AF_INET6, MSG_CTRUNC, SOL_SOCKET
from ..errors import oserror
from ..files.udp import Datagram, UdpSocket
from .scm import CMSGHDR_SIZE, Cmsg, ScmCalls, cmsg_len, cmsg_space
from .sockopts import shaped

SOL_IP, IP_PKTINFO = 0, 8
SOL_IPV6 = 41
IPV6_RECVPKTINFO, IPV6_PKTINFO = 49, 50
IPV6_RECVHOPLIMIT, IPV6_HOPLIMIT = 51, 52
IPV6_RECVTCLASS, IPV6_TCLASS = 66, 67
# SO_TIMESTAMP_OLD, SO_TIMESTAMPNS_OLD, SO_TIMESTAMP_NEW, SO_TIMESTAMPNS_NEW (each its SCM_ type too)
SO_TIMESTAMPS = (29, 35, 63, 64)
_NS = (35, 64)
# (level, option) -> the bit in UdpSocket.cmsg_flags, in the order the items are written.
_OPTIONS = {(SOL_IP, IP_PKTINFO): 1, (SOL_IPV6, IPV6_RECVPKTINFO): 2, (SOL_IPV6, IPV6_RECVHOPLIMIT): 4,
            (SOL_IPV6, IPV6_RECVTCLASS): 8}


def put_cmsg(cmsgs: list[Cmsg], controllen: int, level: int, type: int, data: bytes) -> tuple[int, int]:
    """put_cmsg: the item cut to ``controllen``; (room left, MSG_CTRUNC or 0)."""
    if controllen < CMSGHDR_SIZE:
        return controllen, MSG_CTRUNC
    room = min(cmsg_len(len(data)), controllen)
    cmsgs.append((level, type, data[: room - CMSGHDR_SIZE]))
    return controllen - min(cmsg_space(len(data)), controllen), MSG_CTRUNC if room < cmsg_len(len(data)) else 0


def _ifindex(dgram: Datagram) -> int:
    return 1 if dgram.src == dgram.dst or ipaddress.ip_address(dgram.dst).is_loopback else 2


def _items(sock: UdpSocket, dgram: Datagram) -> list[tuple[int, int, bytes]]:
    bits = sock.cmsg_flags
    ifindex = _ifindex(dgram).to_bytes(4, "little")
    dst = ipaddress.ip_address(dgram.dst).packed
    if sock.family != AF_INET6:
        return [(SOL_IP, IP_PKTINFO, ifindex + dst + dst)] if bits & 1 else []
    items = []
    if bits & 2:
        items.append((SOL_IPV6, IPV6_PKTINFO, dst + ifindex))
    if bits & 4:
        items.append((SOL_IPV6, IPV6_HOPLIMIT, (64).to_bytes(4, "little")))
    if bits & 8:
        items.append((SOL_IPV6, IPV6_TCLASS, bytes(4)))
    return items


def _timestamp(sock: UdpSocket, dgram: Datagram) -> tuple[int, int, bytes]:
    assert sock.wall is not None  # set when syscalls/udp.py made the socket
    ns = dgram.tstamp_ns or sock.wall.now_ns()  # not stamped on arrival: __net_timestamp now
    sec, sub = divmod(ns, 1_000_000_000)
    frac = sub if sock.tstamp in _NS else sub // 1000
    return SOL_SOCKET, sock.tstamp, sec.to_bytes(8, "little", signed=True) + frac.to_bytes(8, "little", signed=True)


class InetCmsgCalls(ScmCalls):
    __slots__ = ()

    def setsockopt(self, fd: int, level: int, optname: int, value: int | bytes) -> None:
        file = self.fget(fd)
        if level == SOL_SOCKET and optname in SO_TIMESTAMPS and isinstance(file, UdpSocket):
            super().setsockopt(fd, level, optname, value)  # the table's checks
            on = int.from_bytes(value[:4], "little") if isinstance(value, bytes) else value
            if on:
                file.tstamp = optname
            elif file.tstamp:
                file.tstamp = 0  # any of the four turns receive timestamps off
            return None
        bit = _OPTIONS.get((level, optname))
        if bit is None or not isinstance(file, UdpSocket):
            return super().setsockopt(fd, level, optname, value)
        if level == SOL_IPV6 and file.family != AF_INET6:
            raise oserror(ENOPROTOOPT)
        if level == SOL_IP and file.family == AF_INET6:
            return super().setsockopt(fd, level, optname, value)  # not modelled there
        if isinstance(value, bytes):
            return super().setsockopt(fd, level, optname, value)  # the length checks are elsewhere
        file.cmsg_flags = file.cmsg_flags | bit if value else file.cmsg_flags & ~bit
        return None

    def getsockopt(self, fd: int, level: int, optname: int, optlen: int | None = None) -> Any:
        file = self.fget(fd)
        if level == SOL_SOCKET and optname in SO_TIMESTAMPS and isinstance(file, UdpSocket):
            return shaped(int(file.tstamp == optname), level, optlen)
        bit = _OPTIONS.get((level, optname))
        if bit is not None and isinstance(file, UdpSocket) and (level == SOL_IPV6) == (file.family == AF_INET6):
            return shaped(int(bool(file.cmsg_flags & bit)), level, optlen)
        return super().getsockopt(fd, level, optname, optlen)

    def recvmsg_anc(self, fd: int, bufsize: int, ancbufsize: int, flags: int = 0, iovcnt: int = 1
                    ) -> tuple[bytes, int, int, Any, list[Cmsg]]:
        data, ret, msg_flags, addr, cmsgs = super().recvmsg_anc(fd, bufsize, ancbufsize, flags, iovcnt)
        file = self.files.get(fd)
        if isinstance(file, UdpSocket) and (file.cmsg_flags or file.tstamp) and file.last_rx is not None:
            room = ancbufsize
            items = _items(file, file.last_rx)
            if file.tstamp:
                items.insert(0, _timestamp(file, file.last_rx))
            for level, type, item in items:
                room, cut = put_cmsg(cmsgs, room, level, type, item)
                msg_flags |= cut
        return data, ret, msg_flags, addr, cmsgs
