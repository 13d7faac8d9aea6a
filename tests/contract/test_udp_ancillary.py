"""Ancillary data UDP's recvmsg returns when an option asks for it (IP_PKTINFO, IPV6_RECVPKTINFO,
IPV6_RECVHOPLIMIT, IPV6_RECVTCLASS), on both backends, over loopback."""
from __future__ import annotations

import socket as _socket

from epollsim.testing.backends import Backend

LO = (1).to_bytes(4, "little")


def test_ip_pktinfo_gives_the_interface_and_the_destination(backend: Backend) -> None:
    s = backend.socket
    rx = s.socket(s.AF_INET, s.SOCK_DGRAM)
    rx.bind(("0.0.0.0", 0))
    assert rx.getsockopt(0, 8) == 0
    rx.setsockopt(0, 8, 1)  # IPPROTO_IP, IP_PKTINFO
    assert rx.getsockopt(0, 8) == 1
    tx = s.socket(s.AF_INET, s.SOCK_DGRAM)
    port = rx.getsockname()[1]
    dst = _socket.inet_aton("127.0.0.1")
    tx.sendto(b"a", ("127.0.0.1", port))
    assert rx.recvmsg(10, 100)[:3] == (b"a", [(0, 8, LO + dst + dst)], 0)
    tx.sendto(b"b", ("127.0.0.1", port))
    assert rx.recvmsg(10)[:3] == (b"b", [], s.MSG_CTRUNC)
    tx.sendto(b"c", ("127.0.0.1", port))
    assert rx.recvmsg(10, 20)[:3] == (b"c", [(0, 8, LO)], s.MSG_CTRUNC)
    rx.setsockopt(0, 8, 0)
    tx.sendto(b"d", ("127.0.0.1", port))
    assert rx.recvmsg(10, 100)[:3] == (b"d", [], 0)


def test_ipv6_pktinfo_hoplimit_and_tclass(backend: Backend) -> None:
    s = backend.socket
    rx = s.socket(s.AF_INET6, s.SOCK_DGRAM)
    rx.bind(("::1", 0))
    for option in (49, 51, 66):  # IPV6_RECVPKTINFO, IPV6_RECVHOPLIMIT, IPV6_RECVTCLASS
        rx.setsockopt(41, option, 1)
        assert rx.getsockopt(41, option) == 1
    tx = s.socket(s.AF_INET6, s.SOCK_DGRAM)
    tx.sendto(b"b", rx.getsockname())
    data, anc, flags, _ = rx.recvmsg(10, 200)
    loopback = _socket.inet_pton(_socket.AF_INET6, "::1")
    assert (data, flags) == (b"b", 0)
    assert anc == [(41, 50, loopback + LO), (41, 52, (64).to_bytes(4, "little")), (41, 67, bytes(4))]
    v4 = s.socket(s.AF_INET, s.SOCK_DGRAM)
    try:
        v4.setsockopt(41, 49, 1)
    except OSError as exc:
        assert exc.errno == 92  # ENOPROTOOPT
    else:
        raise AssertionError("IPV6_RECVPKTINFO on an IPv4 socket")
