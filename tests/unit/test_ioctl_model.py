"""Model-only: what ``fcntl.ioctl`` refuses to guess (``Unsupported``), and the states real
loopback cannot hold still long enough to test (a connect in progress, unacknowledged data).

The contract tests (tests/contract/test_ioctl.py) check every answer Linux gives.
"""
from __future__ import annotations

import errno
import struct

import pytest

import epollsim
from epollsim import Unsupported

FIONREAD, TIOCOUTQ = 0x541B, 0x5411


def test_an_unknown_request_is_unsupported_naming_it_and_the_file() -> None:
    k = epollsim.Kernel(0)
    r, _ = k.os.pipe()
    with pytest.raises(Unsupported, match=r"ioctl request 0x5421 on a pipe is not modelled"):
        k.fcntl.ioctl(r, 0x5421, b"\0" * 4)  # FIONBIO: do_vfs_ioctl's, not modelled
    efd = k.os.eventfd(0)
    with pytest.raises(Unsupported, match=r"0x1234 on a eventfd"):
        k.sys.ioctl(efd, 0x1234)


def test_an_int_argument_other_than_null_is_unsupported() -> None:
    k = epollsim.Kernel(0)
    r, _ = k.os.pipe()
    with pytest.raises(Unsupported, match="int argument"):
        k.fcntl.ioctl(r, FIONREAD, 4096)
    with pytest.raises(OSError) as info:  # the file's own error still comes first
        k.fcntl.ioctl(r, TIOCOUTQ, 4096)
    assert info.value.errno == errno.ENOTTY


def test_udp_outq_is_unsupported() -> None:
    k = epollsim.Kernel(0)
    sock = k.socket.socket(k.socket.AF_INET, k.socket.SOCK_DGRAM)
    with pytest.raises(Unsupported, match=r"ioctl\(SIOCOUTQ\) on a UDP socket"):
        k.fcntl.ioctl(sock, TIOCOUTQ, b"\0" * 4)


def test_tcp_outq_after_a_refused_connect_is_unsupported() -> None:
    k = epollsim.Kernel(0)
    sock = k.socket.socket()
    with pytest.raises(ConnectionRefusedError):
        sock.connect(("127.0.0.1", 9))
    assert k.sys.ioctl(sock.fileno(), FIONREAD) == 0
    with pytest.raises(Unsupported, match="SIOCOUTQ"):
        k.sys.ioctl(sock.fileno(), TIOCOUTQ)


def test_tcp_connecting_socket_answers_zero() -> None:
    k = epollsim.Kernel(0)
    sock = k.socket.socket()
    sock.setblocking(False)
    assert sock.connect_ex(("10.9.9.9", 80)) == errno.EINPROGRESS  # no host has it: the SYN is lost
    assert k.sys.ioctl(sock.fileno(), FIONREAD) == k.sys.ioctl(sock.fileno(), TIOCOUTQ) == 0


def test_tcp_outq_counts_unacknowledged_data_and_the_fin() -> None:
    k = epollsim.Kernel(0)
    b = k.add_host("b")
    lsock = b.socket.socket()
    lsock.bind(("0.0.0.0", 8080))
    lsock.listen()
    client = k.socket.create_connection((b.addresses[0], 8080))
    server, _ = lsock.accept()
    k.network.partition("localhost", "b")
    client.send(b"x" * 100)
    assert k.sys.ioctl(client.fileno(), TIOCOUTQ) == 100
    client.shutdown(k.socket.SHUT_WR)
    assert struct.unpack("i", k.fcntl.ioctl(client, TIOCOUTQ, b"\0" * 4))[0] == 101
    k.network.heal("localhost", "b")
    k.time.sleep(5)  # the retransmission gets through and is acknowledged
    assert k.sys.ioctl(client.fileno(), TIOCOUTQ) == 0
    assert b.sys.ioctl(server.fileno(), FIONREAD) == 100
