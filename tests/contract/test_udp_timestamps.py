"""SO_TIMESTAMP and SO_TIMESTAMPNS on UDP: recvmsg's SCM_TIMESTAMP (struct timeval) or
SCM_TIMESTAMPNS (struct timespec) of CLOCK_REALTIME at arrival, before the IP-level items
(net/socket.c __sock_recv_timestamp, net/core/sock.c sock_set_timestamp), on both backends."""
from __future__ import annotations

import socket
import struct
from typing import Any

import pytest

from epollsim.testing.backends import Backend

SO_TIMESTAMP, SO_TIMESTAMPNS, SO_TIMESTAMP_NEW, SO_TIMESTAMPNS_NEW = 29, 35, 63, 64
IP_PKTINFO = 8


def _pair(backend: Backend) -> Any:
    sock = backend.socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind(("127.0.0.1", 0))
    return sock


@pytest.mark.parametrize("option, scale", [(SO_TIMESTAMP, 1_000_000), (SO_TIMESTAMPNS, 1_000_000_000),
                                           (SO_TIMESTAMP_NEW, 1_000_000), (SO_TIMESTAMPNS_NEW, 1_000_000_000)])
def test_the_arrival_time_comes_with_the_datagram(backend: Backend, option: int, scale: int) -> None:
    sock = _pair(backend)
    try:
        sock.setsockopt(socket.SOL_SOCKET, option, 1)
        before = backend.time.time()
        sock.sendto(b"hi", sock.getsockname())
        after = backend.time.time()
        data, anc, flags, _ = sock.recvmsg(10, 1024)
        assert (data, flags, len(anc)) == (b"hi", 0, 1)
        level, type_, raw = anc[0]
        assert (level, type_, len(raw)) == (socket.SOL_SOCKET, option, 16)
        sec, frac = struct.unpack("<qq", raw)
        assert 0 <= frac < scale
        assert int(before) - 1 <= sec + frac / scale <= after + 1
        assert before - 1e-3 <= sec + frac / scale <= after + 1e-3
    finally:
        sock.close()


def test_one_option_at_a_time(backend: Backend) -> None:
    sock = _pair(backend)
    try:
        get = lambda opt: sock.getsockopt(socket.SOL_SOCKET, opt)  # noqa: E731
        sock.setsockopt(socket.SOL_SOCKET, SO_TIMESTAMP, 1)
        sock.setsockopt(socket.SOL_SOCKET, SO_TIMESTAMPNS, 1)
        assert [get(o) for o in (SO_TIMESTAMP, SO_TIMESTAMPNS, SO_TIMESTAMP_NEW, SO_TIMESTAMPNS_NEW)] == [0, 1, 0, 0]
        sock.setsockopt(socket.SOL_SOCKET, SO_TIMESTAMP, 0)  # any of them turns them off
        assert [get(o) for o in (SO_TIMESTAMP, SO_TIMESTAMPNS)] == [0, 0]
        sock.sendto(b"x", sock.getsockname())
        assert sock.recvmsg(10, 1024) == (b"x", [], 0, sock.getsockname())
    finally:
        sock.close()


def test_before_ip_pktinfo_and_cut_by_a_short_buffer(backend: Backend) -> None:
    sock = _pair(backend)
    try:
        sock.setsockopt(socket.SOL_IP, IP_PKTINFO, 1)
        sock.sendto(b"a", sock.getsockname())  # arrives unstamped: stamped when read
        sock.setsockopt(socket.SOL_SOCKET, SO_TIMESTAMP, 1)
        _, anc, flags, _ = sock.recvmsg(10, 1024)
        assert [(level, type_, len(raw)) for level, type_, raw in anc] == [(1, SO_TIMESTAMP, 16), (0, IP_PKTINFO, 12)]
        assert flags == 0
        sock.sendto(b"b", sock.getsockname())
        _, anc, flags, _ = sock.recvmsg(10, socket.CMSG_LEN(8))
        assert [(level, type_, len(raw)) for level, type_, raw in anc] == [(1, SO_TIMESTAMP, 8)]
        assert flags == socket.MSG_CTRUNC
    finally:
        sock.close()
