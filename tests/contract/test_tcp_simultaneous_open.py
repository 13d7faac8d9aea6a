"""TCP simultaneous open (issue 13 item 1): a socket bound to P that connects to P receives its own
SYN in SYN_SENT, goes to SYN_RECV, answers with a SYN-ACK and is connected to itself
(tcp_rcv_synsent_state_process: "simultaneous connect with crossed SYNs. Particularly, it can be
connect to self"). Two sockets whose SYNs cross are in tests/unit/test_network_tcp.py: on loopback
the first SYN always arrives before the second is sent, so the second socket refuses it.
"""
from __future__ import annotations

import errno

import pytest

from epollsim.testing.backends import Backend

HOSTS = ["127.0.0.1", "::1"]


def _bound(backend: Backend, host: str) -> tuple[object, tuple[str, int]]:
    S = backend.socket
    s = S.socket(S.AF_INET6 if ":" in host else S.AF_INET, S.SOCK_STREAM)
    s.bind((host, 0))
    return s, s.getsockname()[:2]


@pytest.mark.parametrize("host", HOSTS)
def test_a_nonblocking_connect_to_its_own_port_connects_to_itself(backend: Backend, host: str) -> None:
    s, addr = _bound(backend, host)
    s.setblocking(False)
    assert s.connect_ex(addr) == errno.EINPROGRESS
    assert s.connect_ex(addr) == 0
    assert s.connect_ex(addr) == errno.EISCONN
    assert s.getpeername()[:2] == addr
    p = backend.select.poll()
    p.register(s.fileno(), 0xFFFF)
    assert p.poll(0) == [(s.fileno(), backend.select.POLLOUT | backend.select.POLLWRNORM)]
    assert s.send(b"to me") == 5
    assert s.recv(100) == b"to me"
    s.shutdown(backend.socket.SHUT_WR)
    assert s.recv(100) == b""  # its own FIN
    assert s.getsockopt(backend.socket.SOL_SOCKET, backend.socket.SO_ERROR) == 0
    s.close()


@pytest.mark.parametrize("host", HOSTS)
def test_a_blocking_connect_to_its_own_port_returns_connected(backend: Backend, host: str) -> None:
    s, addr = _bound(backend, host)
    s.connect(addr)
    s.sendall(b"x" * 1000)
    assert len(s.recv(5000)) == 1000
    s.close()


@pytest.mark.parametrize("host", HOSTS)
def test_two_bound_sockets_connecting_in_turn_are_refused(backend: Backend, host: str) -> None:
    """The first SYN finds the other socket closed (not yet connecting): RST, ECONNREFUSED."""
    a, a_addr = _bound(backend, host)
    b, b_addr = _bound(backend, host)
    a.setblocking(False)
    b.setblocking(False)
    assert a.connect_ex(b_addr) == errno.EINPROGRESS
    assert b.connect_ex(a_addr) == errno.EINPROGRESS
    assert a.connect_ex(b_addr) == errno.ECONNREFUSED
    assert b.connect_ex(a_addr) == errno.ECONNREFUSED
