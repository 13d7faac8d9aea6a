"""Every socket option at every level on every kind of socket, as Linux 6.18 answers (the oracle).

One table, one ``Row`` an option (a second one where kinds of socket differ), measured on the
reference host with ``getsockopt`` (the int form and a 64-byte buffer) and ``setsockopt`` of the
values 0, 1, 2, -1, 255, 256 and 100000, each on a fresh socket, read back after a successful set.
``default`` is what a fresh socket's int form reads (None: not compared), ``raw`` what a 64-byte
buffer gets for a struct option, ``sets`` each value's outcome: the value read back (an int, or
bytes for a struct option) or the errno name of the set (or of the read after it). Adding an
option is adding a row. Values that depend on the host's sysctls (buffer caps, the default
congestion control) or that the model refuses to simulate (a TCP_CORK that holds data) are left
out of the table and tested below or in tests/unit/test_sockopts_model.py.

The rows were measured as root, as the model's processes are (CAP_NET_ADMIN: SO_MARK, SO_PRIORITY
above 6, SO_SNDBUFFORCE...). The real backend runs them only as root.
"""
from __future__ import annotations

import errno
import os
from dataclasses import dataclass, field
from typing import Any

import pytest
from tcp_helpers import connected_pair

from epollsim.testing.backends import Backend

SOL_SOCKET, SOL_IP, SOL_IPV6, SOL_TCP, SOL_UDP = 1, 0, 41, 6, 17
ALL = ("tcp4", "tcp6", "udp4", "udp6", "ustream", "udgram", "pair")
INET = ALL[:4]
TCP = ALL[:2]
UDP = ALL[2:4]
UNIX = ALL[4:]
V6 = ("tcp6", "udp6")
VALUES = (0, 1, 2, -1, 255, 256, 100000)
FLAG = {0: 0, 1: 1, 2: 1, -1: 1, 255: 1, 256: 1, 100000: 1}  # sock_valbool_flag: non-zero reads 1
SAME = {v: v for v in VALUES}  # stored as given


def ALL_FAIL(name: str) -> dict[int, Any]:  # noqa: N802 (reads as a constant in the table)
    return {v: name for v in VALUES}


def fail_but(name: str, ok: dict[int, Any]) -> dict[int, Any]:
    return {v: ok.get(v, name) for v in VALUES}


def b8(value: int) -> bytes:
    return (value & (2**64 - 1)).to_bytes(8, "little")


def meminfo(rcvbuf: int, sndbuf: int) -> bytes:
    """SO_MEMINFO of an idle socket: sk_meminfo's nine u32s, only the buffer sizes set."""
    return bytes(4) + rcvbuf.to_bytes(4, "little") + bytes(4) + sndbuf.to_bytes(4, "little") + bytes(20)


@dataclass(frozen=True)
class Row:
    level: int
    optname: int
    name: str
    kinds: tuple[str, ...]
    default: int | str | None
    sets: dict[int, Any] = field(default_factory=dict)
    raw: bytes | str | None = None

    def __str__(self) -> str:
        return f"{self.name}-{'-'.join(self.kinds) if self.kinds != ALL else 'all'}"


TABLE = [
    Row(SOL_SOCKET, 1, "SO_DEBUG", ALL, 0, FLAG),
    Row(SOL_SOCKET, 2, "SO_REUSEADDR", ALL, 0, FLAG),
    Row(SOL_SOCKET, 3, "SO_TYPE", ("tcp4", "tcp6", "ustream", "pair"), 1, ALL_FAIL("ENOPROTOOPT")),
    Row(SOL_SOCKET, 3, "SO_TYPE", ("udp4", "udp6", "udgram"), 2, ALL_FAIL("ENOPROTOOPT")),
    Row(SOL_SOCKET, 4, "SO_ERROR", ALL, 0, ALL_FAIL("ENOPROTOOPT")),
    Row(SOL_SOCKET, 5, "SO_DONTROUTE", ALL, 0, FLAG),
    Row(SOL_SOCKET, 6, "SO_BROADCAST", ALL, 0, FLAG),
    Row(SOL_SOCKET, 7, "SO_SNDBUF", TCP, 16384,
        {0: 4608, 1: 4608, 2: 4608, 255: 4608, 256: 4608, 100000: 200000}),
    Row(SOL_SOCKET, 7, "SO_SNDBUF", ("udp4", "udp6", "ustream", "udgram", "pair"), 212992,
        {0: 4608, 1: 4608, 2: 4608, 255: 4608, 256: 4608, 100000: 200000}),
    Row(SOL_SOCKET, 8, "SO_RCVBUF", TCP, 131072,
        {0: 2304, 1: 2304, 2: 2304, 255: 2304, 256: 2304, 100000: 200000}),
    Row(SOL_SOCKET, 8, "SO_RCVBUF", ("udp4", "udp6", "ustream", "udgram", "pair"), 212992,
        {0: 2304, 1: 2304, 2: 2304, 255: 2304, 256: 2304, 100000: 200000}),
    Row(SOL_SOCKET, 9, "SO_KEEPALIVE", ALL, 0, FLAG),
    Row(SOL_SOCKET, 10, "SO_OOBINLINE", ALL, 0, FLAG),
    Row(SOL_SOCKET, 11, "SO_NO_CHECK", ALL, 0, FLAG),
    Row(SOL_SOCKET, 12, "SO_PRIORITY", ALL, 0, SAME),
    Row(SOL_SOCKET, 13, "SO_LINGER", ALL, 0, ALL_FAIL("EINVAL"), raw=b8(0)),
    Row(SOL_SOCKET, 14, "SO_BSDCOMPAT", ALL, 0, {-1: 0, 0: 0, 1: 0, 2: 0, 255: 0, 256: 0, 100000: 0}),
    Row(SOL_SOCKET, 15, "SO_REUSEPORT", INET, 0, FLAG),
    Row(SOL_SOCKET, 15, "SO_REUSEPORT", UNIX, 0, fail_but("ENOTSUP", {0: 0})),
    Row(SOL_SOCKET, 16, "SO_PASSCRED", INET, 'ENOTSUP', ALL_FAIL("ENOTSUP")),
    Row(SOL_SOCKET, 16, "SO_PASSCRED", UNIX, 0, FLAG),
    Row(SOL_SOCKET, 17, "SO_PEERCRED", ("tcp4", "tcp6", "udp4", "udp6", "ustream", "udgram"), 0,
        ALL_FAIL("ENOPROTOOPT"), raw=b'\x00\x00\x00\x00\xff\xff\xff\xff\xff\xff\xff\xff'),
    Row(SOL_SOCKET, 18, "SO_RCVLOWAT", TCP, 1, {0: 1, 1: 1, 2: 2, 255: 255, 256: 256, 100000: 100000}),
    Row(SOL_SOCKET, 18, "SO_RCVLOWAT", ("udp4", "udp6", "ustream", "udgram", "pair"), 1,
        {-1: 2147483647, 0: 1, 1: 1, 2: 2, 255: 255, 256: 256, 100000: 100000}),
    Row(SOL_SOCKET, 19, "SO_SNDLOWAT", ALL, 1, ALL_FAIL("ENOPROTOOPT")),
    Row(SOL_SOCKET, 20, "SO_RCVTIMEO_OLD", ALL, 0,
        ALL_FAIL("EINVAL"), raw=b'\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00'),
    Row(SOL_SOCKET, 21, "SO_SNDTIMEO_OLD", ALL, 0,
        ALL_FAIL("EINVAL"), raw=b'\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00'),
    Row(SOL_SOCKET, 25, "SO_BINDTODEVICE", ALL, 0, fail_but("ENODEV", {0: b'', 256: b''}), raw=b''),
    Row(SOL_SOCKET, 26, "SO_ATTACH_FILTER", ALL, 0, ALL_FAIL("EINVAL"), raw=b''),
    Row(SOL_SOCKET, 27, "SO_DETACH_FILTER", ALL, 'ENOPROTOOPT', ALL_FAIL("ENOENT")),
    Row(SOL_SOCKET, 28, "SO_PEERNAME", ("tcp4", "tcp6", "udp4", "udp6", "ustream", "udgram"), 'ENOTCONN',
        ALL_FAIL("ENOPROTOOPT")),
    Row(SOL_SOCKET, 28, "SO_PEERNAME", ("pair",), 'EINVAL', ALL_FAIL("ENOPROTOOPT")),
    Row(SOL_SOCKET, 29, "SO_TIMESTAMP_OLD", ALL, 0, FLAG),
    Row(SOL_SOCKET, 30, "SO_ACCEPTCONN", ALL, 0, ALL_FAIL("ENOPROTOOPT")),
    Row(SOL_SOCKET, 34, "SO_PASSSEC", INET, 'ENOTSUP', ALL_FAIL("ENOTSUP")),
    Row(SOL_SOCKET, 34, "SO_PASSSEC", UNIX, 0, FLAG),
    Row(SOL_SOCKET, 35, "SO_TIMESTAMPNS_OLD", ALL, 0, FLAG),
    Row(SOL_SOCKET, 36, "SO_MARK", ALL, 0, SAME),
    Row(SOL_SOCKET, 37, "SO_TIMESTAMPING_OLD", TCP, 0,
        {**ALL_FAIL('EINVAL'), 0: b8(0), 1: b8(1), 2: b8(2), 256: b8(256)}, raw=b8(0)),
    Row(SOL_SOCKET, 37, "SO_TIMESTAMPING_OLD", ("udp4", "udp6", "ustream", "udgram", "pair"), 0,
        {-1: 'EINVAL', 100000: 'ENOTSUP', **{v: b8(v) for v in (0, 1, 2, 255, 256)}}, raw=b8(0)),
    Row(SOL_SOCKET, 38, "SO_PROTOCOL", TCP, 6, ALL_FAIL("ENOPROTOOPT")),
    Row(SOL_SOCKET, 38, "SO_PROTOCOL", UDP, 17, ALL_FAIL("ENOPROTOOPT")),
    Row(SOL_SOCKET, 38, "SO_PROTOCOL", UNIX, 0, ALL_FAIL("ENOPROTOOPT")),
    Row(SOL_SOCKET, 39, "SO_DOMAIN", ("tcp4", "udp4"), 2, ALL_FAIL("ENOPROTOOPT")),
    Row(SOL_SOCKET, 39, "SO_DOMAIN", V6, 10, ALL_FAIL("ENOPROTOOPT")),
    Row(SOL_SOCKET, 39, "SO_DOMAIN", UNIX, 1, ALL_FAIL("ENOPROTOOPT")),
    Row(SOL_SOCKET, 40, "SO_RXQ_OVFL", ALL, 0, FLAG),
    Row(SOL_SOCKET, 41, "SO_WIFI_STATUS", ALL, 0, FLAG),
    Row(SOL_SOCKET, 42, "SO_PEEK_OFF", ALL, -1, {-1: -1}),
    Row(SOL_SOCKET, 43, "SO_NOFCS", ALL, 0, FLAG),
    Row(SOL_SOCKET, 44, "SO_LOCK_FILTER", ALL, 0, FLAG),
    Row(SOL_SOCKET, 45, "SO_SELECT_ERR_QUEUE", ALL, 0, FLAG),
    Row(SOL_SOCKET, 46, "SO_BUSY_POLL", ALL, 0,
        {-1: 'EINVAL', 0: 0, 1: 1, 2: 2, 255: 255, 256: 256, 100000: 100000}),
    Row(SOL_SOCKET, 47, "SO_MAX_PACING_RATE", ALL, -1,
        {v: b8(v) for v in VALUES}, raw=b8(-1)),
    Row(SOL_SOCKET, 48, "SO_BPF_EXTENSIONS", ALL, 64, ALL_FAIL("ENOPROTOOPT")),
    Row(SOL_SOCKET, 49, "SO_INCOMING_CPU", ALL, -1, SAME),
    Row(SOL_SOCKET, 50, "SO_ATTACH_BPF", ALL, 'ENOPROTOOPT',
        fail_but("EBADF", {0: 'EINVAL', 1: 'EINVAL', 2: 'EINVAL'})),
    Row(SOL_SOCKET, 51, "SO_ATTACH_REUSEPORT_CBPF", ALL, 'ENOPROTOOPT', ALL_FAIL("EINVAL")),
    Row(SOL_SOCKET, 52, "SO_ATTACH_REUSEPORT_EBPF", ALL, 'ENOPROTOOPT',
        fail_but("EBADF", {0: 'EINVAL', 1: 'EINVAL', 2: 'EINVAL'})),
    Row(SOL_SOCKET, 55, "SO_MEMINFO", TCP, 0, ALL_FAIL("ENOPROTOOPT"), raw=meminfo(131072, 16384)),
    Row(SOL_SOCKET, 55, "SO_MEMINFO", ("udp4", "udp6", "ustream", "udgram", "pair"), 0,
        ALL_FAIL("ENOPROTOOPT"), raw=meminfo(212992, 212992)),
    Row(SOL_SOCKET, 56, "SO_INCOMING_NAPI_ID", ALL, 0, ALL_FAIL("ENOPROTOOPT")),
    Row(SOL_SOCKET, 57, "SO_COOKIE", ALL, 'EINVAL', ALL_FAIL("ENOPROTOOPT")),
    Row(SOL_SOCKET, 59, "SO_PEERGROUPS", ("tcp4", "tcp6", "udp4", "udp6", "ustream", "udgram"), 'ENODATA',
        ALL_FAIL("ENOPROTOOPT")),
    Row(SOL_SOCKET, 60, "SO_ZEROCOPY", INET, 0, fail_but("EINVAL", {0: 0, 1: 1})),
    Row(SOL_SOCKET, 60, "SO_ZEROCOPY", UNIX, 0, ALL_FAIL("ENOTSUP")),
    Row(SOL_SOCKET, 61, "SO_TXTIME", ALL, 0, ALL_FAIL("EINVAL"), raw=b8(0)),
    Row(SOL_SOCKET, 62, "SO_BINDTOIFINDEX", ALL, 0,
        {-1: 'EINVAL', 0: 0, 1: 1, 2: 2, 255: 255, 256: 256, 100000: 100000}),
    Row(SOL_SOCKET, 63, "SO_TIMESTAMP_NEW", ALL, 0, FLAG),
    Row(SOL_SOCKET, 64, "SO_TIMESTAMPNS_NEW", ALL, 0, FLAG),
    Row(SOL_SOCKET, 65, "SO_TIMESTAMPING_NEW", TCP, 0,
        {**ALL_FAIL('EINVAL'), 0: b8(0), 1: b8(1), 2: b8(2), 256: b8(256)}, raw=b8(0)),
    Row(SOL_SOCKET, 65, "SO_TIMESTAMPING_NEW", ("udp4", "udp6", "ustream", "udgram", "pair"), 0,
        {-1: 'EINVAL', 100000: 'ENOTSUP', **{v: b8(v) for v in (0, 1, 2, 255, 256)}}, raw=b8(0)),
    Row(SOL_SOCKET, 66, "SO_RCVTIMEO_NEW", ALL, 0,
        ALL_FAIL("EINVAL"), raw=b'\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00'),
    Row(SOL_SOCKET, 67, "SO_SNDTIMEO_NEW", ALL, 0,
        ALL_FAIL("EINVAL"), raw=b'\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00'),
    Row(SOL_SOCKET, 68, "SO_DETACH_REUSEPORT_BPF", ALL, 'ENOPROTOOPT', ALL_FAIL("EINVAL")),
    Row(SOL_SOCKET, 69, "SO_PREFER_BUSY_POLL", ALL, 0, FLAG),
    Row(SOL_SOCKET, 70, "SO_BUSY_POLL_BUDGET", ALL, 'ENOPROTOOPT',
        fail_but("ENOPROTOOPT", {-1: 'EINVAL', 100000: 'EINVAL'})),
    Row(SOL_SOCKET, 71, "SO_NETNS_COOKIE", ALL, 'EINVAL', ALL_FAIL("ENOPROTOOPT")),
    Row(SOL_SOCKET, 72, "SO_BUF_LOCK", ALL, 0, fail_but("EINVAL", {0: 0, 1: 1, 2: 2})),
    Row(SOL_SOCKET, 73, "SO_RESERVE_MEM", ALL, 0, fail_but("ENOTSUP", {-1: 'EINVAL'})),
    Row(SOL_SOCKET, 74, "SO_TXREHASH", TCP, 1, fail_but("EINVAL", {-1: 1, 0: 0, 1: 1})),
    Row(SOL_SOCKET, 74, "SO_TXREHASH", ("udp4", "udp6", "ustream", "udgram", "pair"), 'ENOTSUP',
        ALL_FAIL("ENOTSUP")),
    Row(SOL_SOCKET, 75, "SO_RCVMARK", ALL, 0, FLAG),
    Row(SOL_SOCKET, 76, "SO_PASSPIDFD", INET, 'ENOTSUP', ALL_FAIL("ENOTSUP")),
    Row(SOL_SOCKET, 76, "SO_PASSPIDFD", UNIX, 0, FLAG),
    Row(SOL_SOCKET, 77, "SO_PEERPIDFD", ("tcp4", "tcp6", "udp4", "udp6", "ustream", "udgram"), 'ENODATA',
        ALL_FAIL("ENOPROTOOPT")),
    Row(SOL_SOCKET, 80, "SO_DEVMEM_DONTNEED", TCP, 'ENOPROTOOPT', ALL_FAIL("EINVAL")),
    Row(SOL_SOCKET, 80, "SO_DEVMEM_DONTNEED", ("udp4", "udp6", "ustream", "udgram", "pair"), 'ENOPROTOOPT',
        ALL_FAIL("EBADF")),
    Row(SOL_SOCKET, 82, "SO_RCVPRIORITY", ALL, 0, FLAG),
    Row(SOL_SOCKET, 83, "SO_PASSRIGHTS", INET, 'ENOTSUP', ALL_FAIL("ENOTSUP")),
    Row(SOL_SOCKET, 83, "SO_PASSRIGHTS", UNIX, 1, FLAG),
    Row(SOL_SOCKET, 84, "SO_INQ", ("ustream", "pair"), 'ENOPROTOOPT',
        fail_but("EINVAL", {0: 'ENOPROTOOPT', 1: 'ENOPROTOOPT'})),
    Row(SOL_IP, 1, "IP_TOS", TCP, 0, {-1: 252, 0: 0, 1: 0, 2: 0, 255: 252, 256: 0, 100000: 160}),
    Row(SOL_IP, 1, "IP_TOS", UDP, 0, {-1: 255, 0: 0, 1: 1, 2: 2, 255: 255, 256: 0, 100000: 160}),
    Row(SOL_IP, 2, "IP_TTL", INET, 64,
        {-1: 64, 0: 'EINVAL', 1: 1, 2: 2, 255: 255, 256: 'EINVAL', 100000: 'EINVAL'}),
    Row(SOL_IP, 3, "IP_HDRINCL", INET, 0, ALL_FAIL("ENOPROTOOPT")),
    Row(SOL_IP, 4, "IP_OPTIONS", INET, 0, fail_but("EINVAL", {0: 0, 1: 1, 256: 0}), raw=b''),
    Row(SOL_IP, 5, "IP_ROUTER_ALERT", INET, 0, ALL_FAIL("EINVAL")),
    Row(SOL_IP, 6, "IP_RECVOPTS", INET, 0, FLAG),
    Row(SOL_IP, 7, "IP_RETOPTS", INET, 0, FLAG),
    Row(SOL_IP, 8, "IP_PKTINFO", INET, 0, FLAG),
    Row(SOL_IP, 9, "IP_PKTOPTIONS", TCP, 0, ALL_FAIL("ENOPROTOOPT"), raw=b''),
    Row(SOL_IP, 10, "IP_MTU_DISCOVER", INET, 1, fail_but("EINVAL", {0: 0, 1: 1, 2: 2})),
    Row(SOL_IP, 11, "IP_RECVERR", INET, 0, FLAG),
    Row(SOL_IP, 12, "IP_RECVTTL", INET, 0, FLAG),
    Row(SOL_IP, 13, "IP_RECVTOS", INET, 0, FLAG),
    Row(SOL_IP, 14, "IP_MTU", INET, 'ENOTCONN', ALL_FAIL("ENOPROTOOPT")),
    Row(SOL_IP, 15, "IP_FREEBIND", INET, 0, FLAG),
    Row(SOL_IP, 16, "IP_IPSEC_POLICY", INET, 'ENOPROTOOPT', ALL_FAIL("ENOTSUP")),
    Row(SOL_IP, 17, "IP_XFRM_POLICY", ("tcp4", "udp4"), 'ENOPROTOOPT', ALL_FAIL("EINVAL")),
    Row(SOL_IP, 17, "IP_XFRM_POLICY", V6, 'ENOPROTOOPT', ALL_FAIL("ENOTSUP")),
    Row(SOL_IP, 18, "IP_PASSSEC", INET, 0, FLAG),
    Row(SOL_IP, 19, "IP_TRANSPARENT", INET, 0, FLAG),
    Row(SOL_IP, 20, "IP_RECVORIGDSTADDR", INET, 0, FLAG),
    Row(SOL_IP, 21, "IP_MINTTL", INET, 0,
        {-1: 'EINVAL', 0: 0, 1: 1, 2: 2, 255: 255, 256: 'EINVAL', 100000: 'EINVAL'}),
    Row(SOL_IP, 22, "IP_NODEFRAG", INET, 0, ALL_FAIL("ENOPROTOOPT")),
    Row(SOL_IP, 23, "IP_CHECKSUM", INET, 0, FLAG),
    Row(SOL_IP, 24, "IP_BIND_ADDRESS_NO_PORT", INET, 0, FLAG),
    Row(SOL_IP, 25, "IP_RECVFRAGSIZE", TCP, 0, ALL_FAIL("EINVAL")),
    Row(SOL_IP, 25, "IP_RECVFRAGSIZE", UDP, 0, FLAG),
    Row(SOL_IP, 26, "IP_RECVERR_RFC4884", INET, 0, fail_but("EINVAL", {0: 0, 1: 1})),
    Row(SOL_IP, 32, "IP_MULTICAST_IF", TCP, 0, ALL_FAIL("EINVAL")),
    Row(SOL_IP, 32, "IP_MULTICAST_IF", UDP, 0, fail_but("EADDRNOTAVAIL", {0: 0})),
    Row(SOL_IP, 33, "IP_MULTICAST_TTL", TCP, 1, ALL_FAIL("EINVAL")),
    Row(SOL_IP, 33, "IP_MULTICAST_TTL", UDP, 1,
        {-1: 1, 0: 0, 1: 1, 2: 2, 255: 255, 256: 'EINVAL', 100000: 'EINVAL'}),
    Row(SOL_IP, 34, "IP_MULTICAST_LOOP", INET, 1, FLAG),
    Row(SOL_IP, 35, "IP_ADD_MEMBERSHIP", TCP, 'ENOPROTOOPT', ALL_FAIL("EPROTO")),
    Row(SOL_IP, 35, "IP_ADD_MEMBERSHIP", UDP, 'ENOPROTOOPT', ALL_FAIL("EINVAL")),
    Row(SOL_IP, 36, "IP_DROP_MEMBERSHIP", TCP, 'ENOPROTOOPT', ALL_FAIL("EPROTO")),
    Row(SOL_IP, 36, "IP_DROP_MEMBERSHIP", UDP, 'ENOPROTOOPT', ALL_FAIL("EINVAL")),
    Row(SOL_IP, 37, "IP_UNBLOCK_SOURCE", INET, 'ENOPROTOOPT', ALL_FAIL("EINVAL")),
    Row(SOL_IP, 38, "IP_BLOCK_SOURCE", INET, 'ENOPROTOOPT', ALL_FAIL("EINVAL")),
    Row(SOL_IP, 39, "IP_ADD_SOURCE_MEMBERSHIP", INET, 'ENOPROTOOPT', ALL_FAIL("EINVAL")),
    Row(SOL_IP, 40, "IP_DROP_SOURCE_MEMBERSHIP", INET, 'ENOPROTOOPT', ALL_FAIL("EINVAL")),
    Row(SOL_IP, 41, "IP_MSFILTER", INET, 'EINVAL', ALL_FAIL("EINVAL")),
    Row(SOL_IP, 42, "MCAST_JOIN_GROUP", INET, 'ENOPROTOOPT', ALL_FAIL("EINVAL")),
    Row(SOL_IP, 43, "MCAST_BLOCK_SOURCE", INET, 'ENOPROTOOPT', ALL_FAIL("EINVAL")),
    Row(SOL_IP, 44, "MCAST_UNBLOCK_SOURCE", INET, 'ENOPROTOOPT', ALL_FAIL("EINVAL")),
    Row(SOL_IP, 45, "MCAST_LEAVE_GROUP", INET, 'ENOPROTOOPT', ALL_FAIL("EINVAL")),
    Row(SOL_IP, 46, "MCAST_JOIN_SOURCE_GROUP", INET, 'ENOPROTOOPT', ALL_FAIL("EINVAL")),
    Row(SOL_IP, 47, "MCAST_LEAVE_SOURCE_GROUP", INET, 'ENOPROTOOPT', ALL_FAIL("EINVAL")),
    Row(SOL_IP, 48, "MCAST_MSFILTER", INET, 'EINVAL', ALL_FAIL("EINVAL")),
    Row(SOL_IP, 49, "IP_MULTICAST_ALL", ("tcp4", "udp4"), 1, fail_but("EINVAL", {0: 0, 1: 1})),
    Row(SOL_IP, 49, "IP_MULTICAST_ALL", V6, 0, fail_but("EINVAL", {0: 0, 1: 1})),
    Row(SOL_IP, 50, "IP_UNICAST_IF", INET, 0, fail_but("EADDRNOTAVAIL", {0: 0})),
    Row(SOL_IP, 51, "IP_LOCAL_PORT_RANGE", INET, 0,
        {-1: -1, 0: 0, 1: 1, 2: 2, 255: 255, 256: 256, 100000: 'EINVAL'}),
    Row(SOL_IP, 52, "IP_PROTOCOL", INET, 0, ALL_FAIL("ENOPROTOOPT")),
    Row(SOL_IP, 64, "IPT_SO_SET_REPLACE", INET, 'EINVAL', ALL_FAIL("EINVAL")),
    Row(SOL_IP, 65, "IPT_SO_SET_ADD_COUNTERS", INET, 'EINVAL', ALL_FAIL("EINVAL")),
    Row(SOL_IP, 66, "IPT_SO_GET_REVISION_MATCH", INET, 'EINVAL', ALL_FAIL("ENOPROTOOPT")),
    Row(SOL_IP, 67, "IPT_SO_GET_REVISION_TARGET", INET, 'EINVAL', ALL_FAIL("ENOPROTOOPT")),
    Row(SOL_IP, 80, "SO_ORIGINAL_DST", TCP, 'EINVAL', ALL_FAIL("ENOPROTOOPT"), raw='ENOENT'),
    Row(SOL_IP, 83, "SOL_IP 83 (netfilter)", INET, 'EINVAL', ALL_FAIL("ENOPROTOOPT"), raw='EPROTO'),
    Row(SOL_IP, 96, "ARPT_SO_SET_REPLACE", INET, 'EINVAL', ALL_FAIL("EINVAL")),
    Row(SOL_IP, 97, "ARPT_SO_SET_ADD_COUNTERS", INET, 'EINVAL', ALL_FAIL("EINVAL")),
    Row(SOL_IP, 98, "ARPT_SO_GET_REVISION", INET, 'EINVAL', ALL_FAIL("ENOPROTOOPT")),
    Row(SOL_IP, 99, "ARPT_SO_GET_REVISION_TARGET", INET, 'EINVAL', ALL_FAIL("ENOPROTOOPT")),
    Row(SOL_IPV6, 1, "IPV6_ADDRFORM", V6, 'ENOTCONN', ALL_FAIL("ENOPROTOOPT")),
    Row(SOL_IPV6, 2, "IPV6_2292PKTINFO", V6, 0, FLAG),
    Row(SOL_IPV6, 3, "IPV6_2292HOPOPTS", V6, 0, FLAG),
    Row(SOL_IPV6, 4, "IPV6_2292DSTOPTS", V6, 0, FLAG),
    Row(SOL_IPV6, 5, "IPV6_2292RTHDR", V6, 0, FLAG),
    Row(SOL_IPV6, 6, "IPV6_2292PKTOPTIONS", ("tcp6",), 0,
        {-1: b'', 0: b'', 1: b'', 2: b'', 255: b'', 256: b'', 100000: b''}, raw=b''),
    Row(SOL_IPV6, 8, "IPV6_2292HOPLIMIT", V6, 0, FLAG),
    Row(SOL_IPV6, 11, "IPV6_FLOWINFO", V6, 0, FLAG),
    Row(SOL_IPV6, 16, "IPV6_UNICAST_HOPS", V6, 64,
        {-1: 64, 0: 0, 1: 1, 2: 2, 255: 255, 256: 'EINVAL', 100000: 'EINVAL'}),
    Row(SOL_IPV6, 17, "IPV6_MULTICAST_IF", ("tcp6",), 0, ALL_FAIL("ENOPROTOOPT")),
    Row(SOL_IPV6, 17, "IPV6_MULTICAST_IF", ("udp6",), 0,
        {-1: 'ENODEV', 0: 0, 1: 1, 255: 'ENODEV', 256: 'ENODEV', 100000: 'ENODEV'}),
    Row(SOL_IPV6, 18, "IPV6_MULTICAST_HOPS", ("tcp6",), 1, ALL_FAIL("ENOPROTOOPT")),
    Row(SOL_IPV6, 18, "IPV6_MULTICAST_HOPS", ("udp6",), 1,
        {-1: 1, 0: 0, 1: 1, 2: 2, 255: 255, 256: 'EINVAL', 100000: 'EINVAL'}),
    Row(SOL_IPV6, 19, "IPV6_MULTICAST_LOOP", V6, 1, fail_but("EINVAL", {0: 0, 1: 1})),
    Row(SOL_IPV6, 20, "IPV6_ADD_MEMBERSHIP", V6, 'ENOPROTOOPT', ALL_FAIL("EINVAL")),
    Row(SOL_IPV6, 21, "IPV6_DROP_MEMBERSHIP", V6, 'ENOPROTOOPT', ALL_FAIL("EINVAL")),
    Row(SOL_IPV6, 22, "IPV6_ROUTER_ALERT", V6, 0, ALL_FAIL("ENOPROTOOPT")),
    Row(SOL_IPV6, 23, "IPV6_MTU_DISCOVER", V6, 1, fail_but("EINVAL", {0: 0, 1: 1, 2: 2})),
    Row(SOL_IPV6, 24, "IPV6_MTU", V6, 'ENOTCONN', fail_but("EINVAL", {0: 'ENOTCONN', 100000: 'ENOTCONN'})),
    Row(SOL_IPV6, 25, "IPV6_RECVERR", V6, 0, FLAG),
    Row(SOL_IPV6, 26, "IPV6_V6ONLY", V6, 0, FLAG),
    Row(SOL_IPV6, 27, "IPV6_JOIN_ANYCAST", V6, 'ENOPROTOOPT', ALL_FAIL("EINVAL")),
    Row(SOL_IPV6, 28, "IPV6_LEAVE_ANYCAST", V6, 'ENOPROTOOPT', ALL_FAIL("EINVAL")),
    Row(SOL_IPV6, 29, "IPV6_MULTICAST_ALL", V6, 1, FLAG),
    Row(SOL_IPV6, 30, "IPV6_ROUTER_ALERT_ISOLATE", V6, 0, FLAG),
    Row(SOL_IPV6, 31, "IPV6_RECVERR_RFC4884", V6, 0, fail_but("EINVAL", {0: 0, 1: 1})),
    # (no 64-byte read: the kernel reads a flow label request out of the buffer, which CPython leaves
    # uninitialised, so the real answer is EINVAL or ENOENT depending on what the memory held)
    Row(SOL_IPV6, 32, "IPV6_FLOWLABEL_MGR", V6, 'EINVAL', ALL_FAIL("EINVAL")),
    Row(SOL_IPV6, 33, "IPV6_FLOWINFO_SEND", V6, 0, FLAG),
    Row(SOL_IPV6, 34, "IPV6_IPSEC_POLICY", V6, 'ENOPROTOOPT', ALL_FAIL("ENOTSUP")),
    Row(SOL_IPV6, 35, "IPV6_XFRM_POLICY", V6, 'ENOPROTOOPT', ALL_FAIL("EINVAL")),
    Row(SOL_IPV6, 42, "MCAST_JOIN_GROUP", V6, 'ENOPROTOOPT', ALL_FAIL("EINVAL")),
    Row(SOL_IPV6, 43, "MCAST_BLOCK_SOURCE", V6, 'ENOPROTOOPT', ALL_FAIL("EINVAL")),
    Row(SOL_IPV6, 44, "MCAST_UNBLOCK_SOURCE", V6, 'ENOPROTOOPT', ALL_FAIL("EINVAL")),
    Row(SOL_IPV6, 45, "MCAST_LEAVE_GROUP", V6, 'ENOPROTOOPT', ALL_FAIL("EINVAL")),
    Row(SOL_IPV6, 46, "MCAST_JOIN_SOURCE_GROUP", V6, 'ENOPROTOOPT', ALL_FAIL("EINVAL")),
    Row(SOL_IPV6, 47, "MCAST_LEAVE_SOURCE_GROUP", V6, 'ENOPROTOOPT', ALL_FAIL("EINVAL")),
    Row(SOL_IPV6, 48, "MCAST_MSFILTER", V6, 'EINVAL', ALL_FAIL("EINVAL")),
    Row(SOL_IPV6, 49, "IPV6_RECVPKTINFO", V6, 0, FLAG),
    Row(SOL_IPV6, 50, "IPV6_PKTINFO", V6, 'ENOPROTOOPT', ALL_FAIL("EINVAL")),
    Row(SOL_IPV6, 51, "IPV6_RECVHOPLIMIT", V6, 0, FLAG),
    Row(SOL_IPV6, 53, "IPV6_RECVHOPOPTS", V6, 0, FLAG),
    Row(SOL_IPV6, 54, "IPV6_HOPOPTS", V6, 0, ALL_FAIL("EINVAL"), raw=b''),
    Row(SOL_IPV6, 55, "IPV6_RTHDRDSTOPTS", V6, 0, ALL_FAIL("EINVAL"), raw=b''),
    Row(SOL_IPV6, 56, "IPV6_RECVRTHDR", V6, 0, FLAG),
    Row(SOL_IPV6, 57, "IPV6_RTHDR", V6, 0, ALL_FAIL("EINVAL"), raw=b''),
    Row(SOL_IPV6, 58, "IPV6_RECVDSTOPTS", V6, 0, FLAG),
    Row(SOL_IPV6, 59, "IPV6_DSTOPTS", V6, 0, ALL_FAIL("EINVAL"), raw=b''),
    Row(SOL_IPV6, 60, "IPV6_RECVPATHMTU", V6, 0, FLAG),
    Row(SOL_IPV6, 61, "IPV6_PATHMTU", V6, 'EINVAL', ALL_FAIL("ENOPROTOOPT"), raw='ENOTCONN'),
    Row(SOL_IPV6, 62, "IPV6_DONTFRAG", V6, 0, FLAG),
    Row(SOL_IPV6, 64, "IP6T_SO_SET_REPLACE", V6, 'EINVAL', ALL_FAIL("EINVAL")),
    Row(SOL_IPV6, 65, "IP6T_SO_SET_ADD_COUNTERS", V6, 'EINVAL', ALL_FAIL("EINVAL")),
    Row(SOL_IPV6, 66, "IPV6_RECVTCLASS", V6, 0, FLAG),
    Row(SOL_IPV6, 67, "IPV6_TCLASS", ("tcp6",), 0,
        {-1: 0, 0: 0, 1: 0, 2: 0, 255: 252, 256: 'EINVAL', 100000: 'EINVAL'}),
    Row(SOL_IPV6, 67, "IPV6_TCLASS", ("udp6",), 0,
        {-1: 0, 0: 0, 1: 1, 2: 2, 255: 255, 256: 'EINVAL', 100000: 'EINVAL'}),
    Row(SOL_IPV6, 68, "IP6T_SO_GET_REVISION_MATCH", V6, 'EINVAL', ALL_FAIL("ENOPROTOOPT")),
    Row(SOL_IPV6, 69, "IP6T_SO_GET_REVISION_TARGET", V6, 'EINVAL', ALL_FAIL("ENOPROTOOPT")),
    Row(SOL_IPV6, 70, "IPV6_AUTOFLOWLABEL", V6, 1, FLAG),
    Row(SOL_IPV6, 72, "IPV6_ADDR_PREFERENCES", V6, 1280,
        {-1: 'EINVAL', 0: 1280, 1: 1025, 2: 1026, 255: 'EINVAL', 256: 1280, 100000: 1280}),
    Row(SOL_IPV6, 73, "IPV6_MINHOPCOUNT", V6, 0,
        {-1: 'EINVAL', 0: 0, 1: 1, 2: 2, 255: 255, 256: 'EINVAL', 100000: 'EINVAL'}),
    Row(SOL_IPV6, 74, "IPV6_RECVORIGDSTADDR", V6, 0, FLAG),
    Row(SOL_IPV6, 75, "IPV6_TRANSPARENT", V6, 0, FLAG),
    Row(SOL_IPV6, 76, "IPV6_UNICAST_IF", V6, 0, fail_but("EADDRNOTAVAIL", {0: 0})),
    Row(SOL_IPV6, 77, "IPV6_RECVFRAGSIZE", V6, 0, FLAG),
    Row(SOL_IPV6, 78, "IPV6_FREEBIND", V6, 0, FLAG),
    Row(SOL_IPV6, 80, "IP6T_SO_ORIGINAL_DST", ("tcp6",), 'EINVAL', ALL_FAIL("ENOPROTOOPT"), raw='ENOENT'),
    Row(SOL_TCP, 1, "TCP_NODELAY", TCP, 0, FLAG),
    Row(SOL_TCP, 2, "TCP_MAXSEG", TCP, 536, fail_but("EINVAL", {0: 536, 255: 255, 256: 256})),
    Row(SOL_TCP, 3, "TCP_CORK", TCP, 0, {0: 0}),
    Row(SOL_TCP, 4, "TCP_KEEPIDLE", TCP, 7200,
        {-1: 'EINVAL', 0: 'EINVAL', 1: 1, 2: 2, 255: 255, 256: 256, 100000: 'EINVAL'}),
    Row(SOL_TCP, 5, "TCP_KEEPINTVL", TCP, 75,
        {-1: 'EINVAL', 0: 'EINVAL', 1: 1, 2: 2, 255: 255, 256: 256, 100000: 'EINVAL'}),
    Row(SOL_TCP, 6, "TCP_KEEPCNT", TCP, 9, fail_but("EINVAL", {1: 1, 2: 2})),
    Row(SOL_TCP, 7, "TCP_SYNCNT", TCP, 6, fail_but("EINVAL", {1: 1, 2: 2})),
    Row(SOL_TCP, 8, "TCP_LINGER2", TCP, 60, {-1: -1, 0: 60, 1: 1, 2: 2, 255: 120, 256: 120, 100000: 120}),
    Row(SOL_TCP, 9, "TCP_DEFER_ACCEPT", TCP, 0, {-1: 0, 0: 0, 1: 1, 2: 3, 255: 367, 256: 367, 100000: 29887}),
    Row(SOL_TCP, 10, "TCP_WINDOW_CLAMP", TCP, 0,
        {-1: 1152, 0: 0, 1: 1152, 2: 1152, 255: 1152, 256: 1152, 100000: 100000}),
    Row(SOL_TCP, 12, "TCP_QUICKACK", TCP, 1, FLAG),
    Row(SOL_TCP, 13, "TCP_CONGESTION", TCP, None, ALL_FAIL("ENOENT")),
    Row(SOL_TCP, 14, "TCP_MD5SIG", TCP, 'ENOPROTOOPT', ALL_FAIL("EINVAL")),
    Row(SOL_TCP, 16, "TCP_THIN_LINEAR_TIMEOUTS", TCP, 0, fail_but("EINVAL", {0: 0, 1: 1})),
    Row(SOL_TCP, 17, "TCP_THIN_DUPACK", TCP, 0, fail_but("EINVAL", {0: 0, 1: 0})),
    Row(SOL_TCP, 18, "TCP_USER_TIMEOUT", TCP, 0,
        {-1: 'EINVAL', 0: 0, 1: 1, 2: 2, 255: 255, 256: 256, 100000: 100000}),
    Row(SOL_TCP, 19, "TCP_REPAIR", TCP, 0,
        {-1: 0, 0: 0, 2: 'EINVAL', 255: 'EINVAL', 256: 'EINVAL', 100000: 'EINVAL'}),
    Row(SOL_TCP, 20, "TCP_REPAIR_QUEUE", TCP, 'EINVAL', ALL_FAIL("EPERM")),
    Row(SOL_TCP, 21, "TCP_QUEUE_SEQ", TCP, 'EINVAL', ALL_FAIL("EINVAL")),
    Row(SOL_TCP, 22, "TCP_REPAIR_OPTIONS", TCP, 'ENOPROTOOPT', ALL_FAIL("EINVAL")),
    Row(SOL_TCP, 23, "TCP_FASTOPEN", TCP, 0,
        {-1: 'EINVAL', 0: 0, 1: 1, 2: 2, 255: 255, 256: 256, 100000: 4096}),
    Row(SOL_TCP, 24, "TCP_TIMESTAMP", TCP, None, ALL_FAIL("EPERM")),
    Row(SOL_TCP, 25, "TCP_NOTSENT_LOWAT", TCP, 0, SAME),
    Row(SOL_TCP, 26, "TCP_CC_INFO", TCP, None, ALL_FAIL("ENOPROTOOPT")),
    Row(SOL_TCP, 27, "TCP_SAVE_SYN", TCP, 0, fail_but("EINVAL", {0: 0, 1: 1, 2: 2})),
    Row(SOL_TCP, 28, "TCP_SAVED_SYN", TCP, 0, ALL_FAIL("ENOPROTOOPT"), raw=b''),
    Row(SOL_TCP, 29, "TCP_REPAIR_WINDOW", TCP, 'EINVAL', ALL_FAIL("EPERM")),
    Row(SOL_TCP, 30, "TCP_FASTOPEN_CONNECT", TCP, 0,
        {-1: 'EINVAL', 0: 0, 2: 'EINVAL', 255: 'EINVAL', 256: 'EINVAL', 100000: 'EINVAL'}),
    Row(SOL_TCP, 31, "TCP_ULP", TCP, 0, ALL_FAIL("ENOENT"), raw=b''),
    Row(SOL_TCP, 32, "TCP_MD5SIG_EXT", TCP, 'ENOPROTOOPT', ALL_FAIL("EINVAL")),
    Row(SOL_TCP, 33, "TCP_FASTOPEN_KEY", TCP, 0, ALL_FAIL("EINVAL"), raw=b''),
    Row(SOL_TCP, 34, "TCP_FASTOPEN_NO_COOKIE", TCP, 0, fail_but("EINVAL", {0: 0, 1: 1})),
    Row(SOL_TCP, 35, "TCP_ZEROCOPY_RECEIVE", TCP, 'EINVAL', ALL_FAIL("ENOPROTOOPT")),
    Row(SOL_TCP, 36, "TCP_INQ", TCP, 0, fail_but("EINVAL", {0: 0, 1: 1})),
    Row(SOL_TCP, 37, "TCP_TX_DELAY", TCP, 0,
        {-1: 'EINVAL', 0: 0, 1: 1, 2: 2, 255: 255, 256: 256, 100000: 100000}),
    Row(SOL_TCP, 43, "TCP_IS_MPTCP", TCP, 0, ALL_FAIL("ENOPROTOOPT")),
    Row(SOL_TCP, 44, "TCP_RTO_MAX_MS", TCP, 120000, fail_but("EINVAL", {100000: 100000})),
    Row(SOL_TCP, 45, "TCP_RTO_MIN_US", TCP, 200000, fail_but("EINVAL", {100000: 100000})),
    Row(SOL_TCP, 46, "TCP_DELACK_MAX_US", TCP, 200000, fail_but("EINVAL", {100000: 100000})),
    Row(SOL_UDP, 1, "UDP_CORK", UDP, 0, {0: 0}),
    Row(SOL_UDP, 10, "UDPLITE_SEND_CSCOV", UDP, 0, ALL_FAIL("ENOPROTOOPT")),
    Row(SOL_UDP, 11, "UDPLITE_RECV_CSCOV", UDP, 0, ALL_FAIL("ENOPROTOOPT")),
    Row(SOL_UDP, 100, "UDP_ENCAP", UDP, 0, fail_but("ENOPROTOOPT", {0: 0, 2: 2})),
    Row(SOL_UDP, 101, "UDP_NO_CHECK6_TX", UDP, 0, FLAG),
    Row(SOL_UDP, 102, "UDP_NO_CHECK6_RX", UDP, 0, FLAG),
    Row(SOL_UDP, 103, "UDP_SEGMENT", UDP, 0, {-1: 'EINVAL', 0: 0, 100000: 'EINVAL'}),
    Row(SOL_UDP, 104, "UDP_GRO", UDP, 0, FLAG),
]


def _make(backend: Backend, kind: str) -> Any:
    socket = backend.socket
    if kind == "pair":
        a, b = socket.socketpair()
        b.close()
        return a
    family = {"4": socket.AF_INET, "6": socket.AF_INET6, "m": socket.AF_UNIX, "a": socket.AF_UNIX}[kind[-1]]
    kind_type = socket.SOCK_DGRAM if kind in ("udp4", "udp6", "udgram") else socket.SOCK_STREAM
    return socket.socket(family, kind_type)


def _outcome(call: Any, *args: Any) -> Any:
    try:
        return call(*args)
    except OSError as e:
        return errno.errorcode[e.errno]


def _read(sock: Any, row: Row, want: Any) -> Any:
    if isinstance(want, bytes):
        return _outcome(sock.getsockopt, row.level, row.optname, 64)
    return _outcome(sock.getsockopt, row.level, row.optname)


@pytest.fixture
def privileged(backend: Backend) -> Backend:
    if not backend.is_model and os.geteuid() != 0:
        pytest.skip("the table was measured as root (CAP_NET_ADMIN)")
    return backend


@pytest.mark.parametrize("row", TABLE, ids=str)
def test_option(privileged: Backend, row: Row) -> None:
    """The default, a struct's bytes, and each value's outcome on each kind the row names."""
    wrong = []
    for kind in row.kinds:
        sock = _make(privileged, kind)
        if row.default is not None and (got := _read(sock, row, row.default)) != row.default:
            wrong.append(f"{kind}: default {got!r}, Linux {row.default!r}")
        if row.raw is not None and (got := _read(sock, row, b"")) != row.raw:
            wrong.append(f"{kind}: 64-byte read {got!r}, Linux {row.raw!r}")
        sock.close()
        for value, want in row.sets.items():
            sock = _make(privileged, kind)
            got = _outcome(sock.setsockopt, row.level, row.optname, value)
            if got is None:
                got = _read(sock, row, want)
            sock.close()
            if got != want:
                wrong.append(f"{kind}: set {value} gives {got!r}, Linux {want!r}")
    assert not wrong, "\n".join(wrong)


# -- what one value per option cannot show: structs, buffer lengths, state, the levels ------------

LEVEL_ERRNOS = {  # (getsockopt, setsockopt) of a level the socket's protocols do not handle
    "tcp4": {SOL_UDP: ("ENOTSUP", "ENOPROTOOPT"), SOL_IPV6: ("ENOTSUP", "ENOPROTOOPT"), 99: ("ENOTSUP", "ENOPROTOOPT")},
    "tcp6": {SOL_UDP: ("ENOPROTOOPT", "ENOPROTOOPT"), 99: ("ENOPROTOOPT", "ENOPROTOOPT")},
    "udp4": {SOL_TCP: ("ENOTSUP", "ENOPROTOOPT"), SOL_IPV6: ("ENOTSUP", "ENOPROTOOPT"), 282: ("ENOTSUP", "ENOPROTOOPT")},
    "udp6": {SOL_TCP: ("ENOPROTOOPT", "ENOPROTOOPT"), -1: ("ENOPROTOOPT", "ENOPROTOOPT")},
    "ustream": {SOL_IP: ("ENOTSUP", "ENOTSUP"), SOL_TCP: ("ENOTSUP", "ENOTSUP"), 1000: ("ENOTSUP", "ENOTSUP")},
    "udgram": {SOL_IPV6: ("ENOTSUP", "ENOTSUP"), SOL_UDP: ("ENOTSUP", "ENOTSUP")},
    "pair": {SOL_IP: ("ENOTSUP", "ENOTSUP")},
}


@pytest.mark.parametrize("kind", ALL)
def test_a_level_the_socket_lacks(backend: Backend, kind: str) -> None:
    sock = _make(backend, kind)
    for level, want in LEVEL_ERRNOS[kind].items():
        assert (_outcome(sock.getsockopt, level, 1), _outcome(sock.setsockopt, level, 1, 0)) == want, level
    sock.close()


@pytest.mark.parametrize("kind", ALL)
def test_unknown_option_numbers_are_enoprotoopt(backend: Backend, kind: str) -> None:
    sock = _make(backend, kind)
    for optname in (0, 54, 99, 1000, -5):
        assert _outcome(sock.getsockopt, SOL_SOCKET, optname) == "ENOPROTOOPT"
        assert _outcome(sock.setsockopt, SOL_SOCKET, optname, 1) == "ENOPROTOOPT"
    if kind in INET:
        assert _outcome(sock.setsockopt, SOL_IP, 60, 1) == "ENOPROTOOPT"
    sock.close()


@pytest.mark.parametrize("kind", ALL)
def test_so_linger_is_a_struct_and_off_keeps_the_time(backend: Backend, kind: str) -> None:
    sock = _make(backend, kind)
    linger = backend.socket.SO_LINGER
    sock.setsockopt(SOL_SOCKET, linger, (1).to_bytes(4, "little") + (7).to_bytes(4, "little"))
    assert sock.getsockopt(SOL_SOCKET, linger, 8) == b"\x01\0\0\0\x07\0\0\0"
    assert sock.getsockopt(SOL_SOCKET, linger) == 1  # the int form: l_onoff
    sock.setsockopt(SOL_SOCKET, linger, bytes(8))
    assert sock.getsockopt(SOL_SOCKET, linger, 64) == b"\0\0\0\0\x07\0\0\0"
    assert _outcome(sock.setsockopt, SOL_SOCKET, linger, b"\x01\0\0\0") == "EINVAL"
    sock.close()


def timeval(sec: int, usec: int) -> bytes:
    return sec.to_bytes(8, "little", signed=True) + usec.to_bytes(8, "little", signed=True)


@pytest.mark.parametrize(("optname", "shared"), [(20, 66), (21, 67)])  # SO_RCVTIMEO/SO_SNDTIMEO, _OLD/_NEW
def test_a_timeout_reads_back_in_jiffies(backend: Backend, optname: int, shared: int) -> None:
    sock = _make(backend, "tcp4")
    sock.setsockopt(SOL_SOCKET, optname, timeval(1, 500000))
    assert sock.getsockopt(SOL_SOCKET, optname, 16) == timeval(1, 500000)
    assert sock.getsockopt(SOL_SOCKET, shared, 16) == timeval(1, 500000)  # one sk_rcvtimeo
    sock.setsockopt(SOL_SOCKET, shared, timeval(0, 1))
    assert sock.getsockopt(SOL_SOCKET, optname, 64) == timeval(0, 4000)  # one jiffy (HZ 250)
    sock.setsockopt(SOL_SOCKET, optname, timeval(-5, 0))  # negative: 0 jiffies (return at once)
    assert sock.getsockopt(SOL_SOCKET, optname, 16) == bytes(16)
    sock.setsockopt(SOL_SOCKET, optname, bytes(16))  # zero: no timeout
    assert sock.getsockopt(SOL_SOCKET, optname, 16) == bytes(16)
    assert _outcome(sock.setsockopt, SOL_SOCKET, optname, timeval(0, 10**6)) == "EDOM"
    assert _outcome(sock.setsockopt, SOL_SOCKET, optname, bytes(8)) == "EINVAL"
    sock.close()


@pytest.mark.parametrize("kind", ["pair", "tcp4", "udp4"])
def test_so_rcvtimeo_ends_a_blocking_receive_with_eagain(backend: Backend, kind: str) -> None:
    if kind == "tcp4":
        sock, other = connected_pair(backend)
        sock.setblocking(True)
    elif kind == "udp4":
        sock, other = _make(backend, "udp4"), None
        sock.bind(("127.0.0.1", 0))
    else:
        sock, other = backend.socket.socketpair()
    clock = backend.time.monotonic
    for timeout in (timeval(0, 10000), timeval(-1, 0)):
        sock.setsockopt(SOL_SOCKET, 20, timeout)
        start = clock()
        with pytest.raises(BlockingIOError) as info:
            sock.recv(10)
        assert info.value.errno == errno.EAGAIN
        waited = clock() - start
        # 10 ms is 3 jiffies; a sleep of 3 jiffies starts within the current one: 8 to 12 ms.
        assert waited >= (0.0079 if timeout == timeval(0, 10000) else 0.0)
        if backend.is_model:
            assert waited == pytest.approx(0.012 if timeout == timeval(0, 10000) else 0.0)  # exactly
    sock.close()
    if other is not None:
        other.close()


@pytest.mark.parametrize("family", ["AF_INET", "AF_UNIX"])
def test_so_rcvtimeo_ends_a_blocking_accept_with_eagain(backend: Backend, family: str) -> None:
    socket = backend.socket
    server = socket.socket(getattr(socket, family))
    server.bind(("127.0.0.1", 0) if family == "AF_INET" else "\0epollsim-sockopts-accept")
    server.listen()
    server.setsockopt(SOL_SOCKET, 20, timeval(0, 4000))
    with pytest.raises(BlockingIOError):
        server.accept()
    server.close()


def test_so_sndtimeo_ends_a_blocking_send_with_eagain(backend: Backend) -> None:
    a, b = backend.socket.socketpair()
    a.setblocking(False)
    try:
        while True:
            a.send(b"x" * 65536)
    except BlockingIOError:
        pass
    a.setblocking(True)
    a.setsockopt(SOL_SOCKET, 21, timeval(0, 20000))
    with pytest.raises(BlockingIOError):
        a.send(b"y" * 100)
    a.close()
    b.close()


def test_bindtodevice_takes_a_name(privileged: Backend) -> None:
    sock = _make(privileged, "udp4")
    sock.setsockopt(SOL_SOCKET, 25, b"lo")
    assert sock.getsockopt(SOL_SOCKET, 25, 16) == b"lo\0"
    assert sock.getsockopt(SOL_SOCKET, 62) == 1  # SO_BINDTOIFINDEX: the same binding
    assert _outcome(sock.setsockopt, SOL_SOCKET, 25, b"nosuchdev0") == "ENODEV"
    sock.setsockopt(SOL_SOCKET, 25, b"")
    assert sock.getsockopt(SOL_SOCKET, 25, 16) == b""
    sock.close()


def test_tcp_congestion_takes_a_name(backend: Backend) -> None:
    sock = _make(backend, "tcp4")
    sock.setsockopt(SOL_TCP, 13, b"reno")
    assert sock.getsockopt(SOL_TCP, 13, 16) == b"reno".ljust(16, b"\0")
    assert sock.getsockopt(SOL_TCP, 13) == int.from_bytes(b"reno", "little")
    assert _outcome(sock.setsockopt, SOL_TCP, 13, b"nosuchcc") == "ENOENT"
    sock.close()


def test_sol_ip_answers_a_short_buffer_with_one_byte(backend: Backend) -> None:
    sock = _make(backend, "udp4")
    assert sock.getsockopt(SOL_IP, 2, 2) == b"\x40"  # IP_TTL: one unsigned char
    assert sock.getsockopt(SOL_IP, 2, 4) == b"\x40\0\0\0"
    assert sock.getsockopt(SOL_SOCKET, 8, 2) == (212992).to_bytes(4, "little")[:2]  # sk_getsockopt: 2 bytes
    assert sock.getsockopt(SOL_SOCKET, 3, 8) == b"\x02\0\0\0"  # never more than the int
    sock.close()


def test_int_options_take_bytes_of_at_least_an_int(backend: Backend) -> None:
    sock = _make(backend, "tcp6")
    sock.setsockopt(SOL_TCP, 4, (30).to_bytes(4, "little") + b"junk")
    assert sock.getsockopt(SOL_TCP, 4) == 30
    assert _outcome(sock.setsockopt, SOL_TCP, 4, b"\x1e\0") == "EINVAL"
    assert _outcome(sock.setsockopt, SOL_SOCKET, 9, b"\x01") == "EINVAL"
    sock.close()


def test_setsockopt_with_none_and_a_length_passes_a_null_pointer(backend: Backend) -> None:
    sock = _make(backend, "tcp4")
    assert _outcome(sock.setsockopt, SOL_SOCKET, 2, None, 4) == "EFAULT"
    assert _outcome(sock.setsockopt, SOL_TCP, 4, None, 8) == "EFAULT"
    assert _outcome(sock.setsockopt, SOL_SOCKET, 2, None, 0) == "EINVAL"
    assert _outcome(sock.setsockopt, SOL_SOCKET, 2, None, -1) == "EINVAL"  # "I": -1 is 2**32 - 1
    assert _outcome(sock.setsockopt, SOL_UDP, 1, None, 4) == "ENOPROTOOPT"
    with pytest.raises(TypeError, match=r"^setsockopt\(\) takes exactly 3 arguments \(4 given\)$"):
        sock.setsockopt(SOL_SOCKET, 2, 1, 4)
    with pytest.raises(TypeError, match=r"^a bytes-like object is required, not 'NoneType'$"):
        sock.setsockopt(SOL_SOCKET, 2, None)
    with pytest.raises(TypeError, match=r"^a bytes-like object is required, not 'int'$"):
        sock.setsockopt(SOL_SOCKET, 2, 2**40)  # not a C int: the buffer format's error
    sock.close()


def test_buffer_sizes_set_the_buffer_locks(backend: Backend) -> None:
    for kind in ("tcp4", "udp6", "pair"):
        sock = _make(backend, kind)
        assert sock.getsockopt(SOL_SOCKET, 72) == 0  # SO_BUF_LOCK
        sock.setsockopt(SOL_SOCKET, 7, 65536)
        assert sock.getsockopt(SOL_SOCKET, 72) == 1  # SOCK_SNDBUF_LOCK
        sock.setsockopt(SOL_SOCKET, 8, 65536)
        assert sock.getsockopt(SOL_SOCKET, 72) == 3
        sock.setsockopt(SOL_SOCKET, 72, 2)
        assert sock.getsockopt(SOL_SOCKET, 72) == 2
        assert _outcome(sock.setsockopt, SOL_SOCKET, 72, 4) == "EINVAL"
        sock.close()


def test_sndbufforce_passes_the_cap(privileged: Backend) -> None:
    for kind in ("tcp4", "ustream"):
        sock = _make(privileged, kind)
        sock.setsockopt(SOL_SOCKET, 32, 5_000_000)  # SO_SNDBUFFORCE: above any wmem_max
        sock.setsockopt(SOL_SOCKET, 33, -7)  # SO_RCVBUFFORCE: negative is 0, so the minimum
        assert sock.getsockopt(SOL_SOCKET, 7) == 10_000_000
        assert sock.getsockopt(SOL_SOCKET, 8) == 2304
        assert _outcome(sock.getsockopt, SOL_SOCKET, 32) == "ENOPROTOOPT"
        sock.close()


def test_ipv6_v6only_only_before_bind(backend: Backend) -> None:
    sock = _make(backend, "udp6")
    sock.setsockopt(SOL_IPV6, 26, 5)
    assert sock.getsockopt(SOL_IPV6, 26) == 1
    sock.bind(("::1", 0))
    assert _outcome(sock.setsockopt, SOL_IPV6, 26, 0) == "EINVAL"
    sock.close()


def test_what_a_connection_answers(backend: Backend) -> None:
    """SO_PEERNAME (a sockaddr; a longer buffer is EINVAL), IP_MTU/IPV6_MTU (loopback's route),
    TCP_MAXSEG (the two ends' smaller MSS less the timestamp option)."""
    socket = backend.socket
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.setsockopt(SOL_TCP, 2, 1000)
    server.listen()
    port = server.getsockname()[1]
    client = socket.socket()
    assert client.getsockopt(SOL_TCP, 2) == 536
    client.setsockopt(SOL_TCP, 2, 1200)
    client.connect(("127.0.0.1", port))
    assert client.getsockopt(SOL_TCP, 2) == 988  # negotiated in the handshake, before any accept
    conn, _ = server.accept()
    peer = b"\x02\x00" + port.to_bytes(2, "big") + bytes((127, 0, 0, 1)) + bytes(8)
    assert client.getsockopt(SOL_SOCKET, 28, 16) == peer
    assert client.getsockopt(SOL_SOCKET, 28, 6) == peer[:6]
    assert _outcome(client.getsockopt, SOL_SOCKET, 28, 17) == "EINVAL"
    assert client.getsockopt(SOL_IP, 14) == 65535
    assert (client.getsockopt(SOL_TCP, 2), conn.getsockopt(SOL_TCP, 2), server.getsockopt(SOL_TCP, 2)) == (988, 988, 1000)
    for s in (conn, client, server):
        s.close()
    v6 = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
    assert _outcome(v6.getsockopt, SOL_IPV6, 24) == "ENOTCONN"
    v6.connect(("::1", 9))
    assert v6.getsockopt(SOL_IPV6, 24) == 65536
    assert v6.getsockopt(SOL_SOCKET, 28, 28) == b"\x0a\x00\x00\x09" + bytes(4) + bytes(15) + b"\x01" + bytes(4)
    v6.close()


def test_options_that_depend_on_the_connection_state(privileged: Backend) -> None:
    socket = privileged.socket
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen()
    client = socket.create_connection(server.getsockname())
    conn, _ = server.accept()
    assert _outcome(client.setsockopt, SOL_TCP, 23, 5) == "EINVAL"  # TCP_FASTOPEN: CLOSE or LISTEN only
    server.setsockopt(SOL_TCP, 23, 5)
    assert _outcome(client.setsockopt, SOL_TCP, 10, 0) == "EINVAL"  # TCP_WINDOW_CLAMP 0: CLOSE only
    assert _outcome(client.setsockopt, SOL_TCP, 21, 0) == "EPERM"  # TCP_QUEUE_SEQ: CLOSE only
    assert _outcome(client.setsockopt, SOL_TCP, 30, 0) == "EINVAL"  # TCP_FASTOPEN_CONNECT
    assert _outcome(client.setsockopt, SOL_TCP, 34, 0) == "EINVAL"  # TCP_FASTOPEN_NO_COOKIE
    server.setsockopt(SOL_TCP, 34, 1)
    assert _outcome(server.setsockopt, SOL_TCP, 19, 0) == "EPERM"  # TCP_REPAIR: not on a listener
    client.setsockopt(SOL_SOCKET, 37, 0x80)  # SOF_TIMESTAMPING_OPT_ID: connected TCP only
    assert _outcome(server.setsockopt, SOL_SOCKET, 37, 0x80) == "EINVAL"
    assert client.getsockopt(SOL_SOCKET, 17, 12) == bytes(4) + b"\xff" * 8  # SO_PEERCRED: inet has none
    assert _outcome(client.getsockopt, SOL_SOCKET, 59, 64) == "ENODATA"  # SO_PEERGROUPS
    assert _outcome(client.getsockopt, SOL_TCP, 35) == "EINVAL"  # TCP_ZEROCOPY_RECEIVE: short
    for s in (conn, client, server):
        s.close()


def test_so_peername_of_unix_sockets(backend: Backend) -> None:
    socket = backend.socket
    server = socket.socket(socket.AF_UNIX)
    server.bind("\0epollsim-sockopts-peer")
    server.listen()
    client = socket.socket(socket.AF_UNIX)
    assert _outcome(client.getsockopt, SOL_SOCKET, 28, 16) == "ENOTCONN"
    client.connect("\0epollsim-sockopts-peer")
    conn, _ = server.accept()
    assert client.getsockopt(SOL_SOCKET, 28, 25) == b"\x01\x00\x00epollsim-sockopts-peer"  # abstract: no NUL
    assert _outcome(client.getsockopt, SOL_SOCKET, 28, 26) == "EINVAL"
    assert conn.getsockopt(SOL_SOCKET, 28, 2) == b"\x01\x00"  # the client is unnamed
    a, b = socket.socketpair()
    assert a.getsockopt(SOL_SOCKET, 28, 2) == b"\x01\x00"
    assert _outcome(a.getsockopt, SOL_SOCKET, 28) == "EINVAL"
    for s in (conn, client, server, a, b):
        s.close()


def test_ip_protocol_reads_the_local_port(backend: Backend) -> None:
    sock = _make(backend, "udp4")
    sock.bind(("127.0.0.1", 0))
    assert sock.getsockopt(SOL_IP, 52) == sock.getsockname()[1]  # inet_num
    sock.close()


def test_so_cookie_is_eight_bytes_stable_and_unique(backend: Backend) -> None:
    a, b = _make(backend, "tcp4"), _make(backend, "ustream")
    cookie = a.getsockopt(SOL_SOCKET, 57, 8)
    assert len(cookie) == 8 and cookie == a.getsockopt(SOL_SOCKET, 57, 64)
    assert cookie != b.getsockopt(SOL_SOCKET, 57, 8)
    assert _outcome(a.getsockopt, SOL_SOCKET, 57) == "EINVAL"  # shorter than a u64
    assert a.getsockopt(SOL_SOCKET, 71, 8) == b.getsockopt(SOL_SOCKET, 71, 8)  # one netns
    a.close()
    b.close()


def test_an_accepted_socket_starts_with_its_listeners_options(backend: Backend) -> None:
    socket = backend.socket
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.setsockopt(SOL_TCP, 4, 42)  # TCP_KEEPIDLE
    server.setsockopt(SOL_IP, 1, 0x10)  # IP_TOS
    server.listen()
    client = socket.create_connection(server.getsockname())
    conn, _ = server.accept()
    assert conn.getsockopt(SOL_TCP, 4) == 42
    assert conn.getsockopt(SOL_IP, 1) == 0x10
    assert client.getsockopt(SOL_TCP, 4) == 7200
    for s in (conn, client, server):
        s.close()


def test_what_libraries_set_defensively_is_accepted(backend: Backend) -> None:
    """redis-py's keepalive options, trio's TCP_NOTSENT_LOWAT, socketserver's SO_REUSEADDR on a
    unix socket: accepted and read back, never an exception a `try/except OSError` misses."""
    socket = backend.socket
    tcp = socket.socket()
    for name, value in (("TCP_KEEPIDLE", 60), ("TCP_KEEPINTVL", 10), ("TCP_KEEPCNT", 3),
                        ("TCP_NOTSENT_LOWAT", 16384), ("TCP_USER_TIMEOUT", 5000)):
        tcp.setsockopt(socket.IPPROTO_TCP, getattr(socket, name), value)
        assert tcp.getsockopt(socket.IPPROTO_TCP, getattr(socket, name)) == value
    tcp.close()
    unix = socket.socket(socket.AF_UNIX)
    unix.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    assert unix.getsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR) == 1
    unix.close()
