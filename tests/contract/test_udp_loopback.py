"""UDP on loopback in one host, on both backends: datagrams and their boundaries, truncation,
MSG_PEEK, addresses, readiness through epoll, ICMP errors on connected sockets, EMSGSIZE, and the
receive buffer's accounting (udp_rmem_release's batched uncharging included)."""
from __future__ import annotations

import errno
from typing import Any

import pytest

from epollsim.files.udp import udp_truesize
from epollsim.testing.backends import Backend

ALL = 0xFFFF  # every event bit an interest can ask for below EPOLLEXCLUSIVE
OUT = 0x4 | 0x100 | 0x200  # EPOLLOUT|EPOLLWRNORM|EPOLLWRBAND
IN = 0x1 | 0x40  # EPOLLIN|EPOLLRDNORM
ERR = 0x8
HUP = 0x10
RDHUP = 0x2000


def udp(backend: Backend, host: str = "127.0.0.1", bind: bool = True) -> Any:
    s = backend.socket
    family = s.AF_INET6 if ":" in host else s.AF_INET
    sock = s.socket(family, s.SOCK_DGRAM)
    if bind:
        sock.bind((host, 0))
    return sock


def closed_port(backend: Backend, host: str = "127.0.0.1") -> int:
    sock = udp(backend, host)
    port = sock.getsockname()[1]
    sock.close()
    return int(port)


def drain(sock: Any) -> list[bytes]:
    sock.setblocking(False)
    out = []
    while True:
        try:
            out.append(sock.recv(100))
        except BlockingIOError:
            return out


def test_datagram_goes_to_the_bound_port_with_the_senders_address(backend: Backend) -> None:
    a, b = udp(backend), udp(backend)
    assert b.sendto(b"hello", a.getsockname()) == 5
    data, addr = a.recvfrom(100)
    assert data == b"hello"
    assert addr == b.getsockname()
    assert addr[0] == "127.0.0.1" and isinstance(addr[1], int)


def test_sockets_are_dgram_udp(backend: Backend) -> None:
    s = backend.socket
    a = udp(backend, bind=False)
    assert a.type is s.SocketKind.SOCK_DGRAM and a.family is s.AddressFamily.AF_INET and a.proto == 0
    assert a.getsockopt(s.SOL_SOCKET, s.SO_TYPE) == s.SOCK_DGRAM
    assert a.getsockopt(s.SOL_SOCKET, s.SO_PROTOCOL) == 17
    assert a.getsockopt(s.SOL_SOCKET, s.SO_RCVBUF) == 212992


def test_message_boundaries_are_kept(backend: Backend) -> None:
    a, b = udp(backend), udp(backend)
    for msg in (b"one", b"two-two", b"", b"three"):
        b.sendto(msg, a.getsockname())
    assert [a.recv(100) for _ in range(4)] == [b"one", b"two-two", b"", b"three"]


def test_a_short_buffer_truncates_and_the_rest_is_lost(backend: Backend) -> None:
    a, b = udp(backend), udp(backend)
    b.sendto(b"0123456789", a.getsockname())
    b.sendto(b"next", a.getsockname())
    assert a.recv(4) == b"0123"
    assert a.recv(100) == b"next"


def test_recvmsg_reports_msg_trunc(backend: Backend) -> None:
    s = backend.socket
    a, b = udp(backend), udp(backend)
    b.sendto(b"0123456789", a.getsockname())
    b.sendto(b"ok", a.getsockname())
    data, anc, flags, addr = a.recvmsg(4)
    assert (data, anc, flags & s.MSG_TRUNC, addr) == (b"0123", [], s.MSG_TRUNC, b.getsockname())
    assert a.recvmsg(100)[2] & s.MSG_TRUNC == 0


def test_msg_trunc_flag_returns_the_real_length(backend: Backend) -> None:
    s = backend.socket
    a, b = udp(backend), udp(backend)
    b.sendto(b"0123456789", a.getsockname())
    buf = bytearray(4)
    assert a.recv_into(buf, 4, s.MSG_TRUNC) == 10
    assert buf == b"0123"


def test_msg_peek_leaves_the_datagram(backend: Backend) -> None:
    s = backend.socket
    a, b = udp(backend), udp(backend)
    b.sendto(b"peekaboo", a.getsockname())
    assert a.recv(4, s.MSG_PEEK) == b"peek"
    assert a.recvfrom(100, s.MSG_PEEK) == (b"peekaboo", b.getsockname())
    assert a.recv(100) == b"peekaboo"
    assert drain(a) == []


def test_recv_into_and_recvfrom_into(backend: Backend) -> None:
    a, b = udp(backend), udp(backend)
    b.sendto(b"abcdef", a.getsockname())
    b.sendto(b"xyz", a.getsockname())
    buf = bytearray(10)
    assert a.recv_into(buf) == 6 and buf[:6] == b"abcdef"
    n, addr = a.recvfrom_into(buf)
    assert (n, bytes(buf[:3]), addr) == (3, b"xyz", b.getsockname())


def test_nonblocking_recv_on_an_empty_queue_is_eagain(backend: Backend) -> None:
    a = udp(backend)
    a.setblocking(False)
    with pytest.raises(BlockingIOError) as info:
        a.recv(10)
    assert info.value.errno == errno.EAGAIN


def test_unbound_socket_is_autobound_by_sendto(backend: Backend) -> None:
    a, b = udp(backend), udp(backend, bind=False)
    assert b.getsockname() == ("0.0.0.0", 0)
    b.sendto(b"x", a.getsockname())
    host, port = b.getsockname()
    assert host == "0.0.0.0" and 0 < port < 65536
    assert a.recvfrom(10) == (b"x", ("127.0.0.1", port))


def test_connect_sets_the_peer_and_the_source_address(backend: Backend) -> None:
    a, b = udp(backend), udp(backend, bind=False)
    b.connect(a.getsockname())
    assert b.getpeername() == a.getsockname()
    assert b.getsockname()[0] == "127.0.0.1" and b.getsockname()[1] > 0
    b.send(b"via connect")
    assert a.recvfrom(100) == (b"via connect", b.getsockname())


def test_a_connected_socket_only_hears_its_peer(backend: Backend) -> None:
    a, peer, other = udp(backend), udp(backend), udp(backend)
    a.connect(peer.getsockname())
    other.sendto(b"stranger", a.getsockname())
    peer.sendto(b"friend", a.getsockname())
    assert drain(a) == [b"friend"]


def test_unconnected_socket_errors(backend: Backend) -> None:
    a = udp(backend, bind=False)
    with pytest.raises(OSError) as info:
        a.send(b"x")
    assert info.value.errno == errno.EDESTADDRREQ
    with pytest.raises(OSError) as info:
        a.getpeername()
    assert info.value.errno == errno.ENOTCONN
    with pytest.raises(OSError) as info:
        a.sendto(b"x", ("127.0.0.1", 0))
    assert info.value.errno == errno.EINVAL


def test_emsgsize_above_the_largest_datagram(backend: Backend) -> None:
    a, b = udp(backend), udp(backend)
    a.setsockopt(backend.socket.SOL_SOCKET, backend.socket.SO_RCVBUF, 1 << 20)
    assert b.sendto(b"x" * 65507, a.getsockname()) == 65507
    assert len(a.recv(70000)) == 65507
    for size in (65508, 70000):
        with pytest.raises(OSError) as info:
            b.sendto(b"x" * size, a.getsockname())
        assert info.value.errno == errno.EMSGSIZE and str(info.value) == "[Errno 90] Message too long"


def test_ipv6_loopback_datagram(backend: Backend) -> None:
    a, b = udp(backend, "::1"), udp(backend, "::1")
    b.sendto(b"six", a.getsockname())
    data, addr = a.recvfrom(10)
    assert data == b"six" and addr == b.getsockname()
    assert addr[0] == "::1" and addr[2:] == (0, 0)
    assert b.sendto(b"x" * 65527, a.getsockname()) == 65527
    with pytest.raises(OSError) as info:
        b.sendto(b"x" * 65528, a.getsockname())
    assert info.value.errno == errno.EMSGSIZE


def test_bind_conflicts(backend: Backend) -> None:
    s = backend.socket
    a = udp(backend)
    b = udp(backend, bind=False)
    with pytest.raises(OSError) as info:
        b.bind(a.getsockname())
    assert info.value.errno == errno.EADDRINUSE
    c, d = udp(backend, bind=False), udp(backend, bind=False)
    c.setsockopt(s.SOL_SOCKET, s.SO_REUSEADDR, 1)
    d.setsockopt(s.SOL_SOCKET, s.SO_REUSEADDR, 1)
    c.bind(("127.0.0.1", 0))
    d.bind(c.getsockname())
    assert d.getsockname() == c.getsockname()
    with pytest.raises(OSError) as info:
        c.bind(("127.0.0.1", 0))
    assert info.value.errno == errno.EINVAL


# -- readiness ---------------------------------------------------------------------------------


def test_fresh_and_bound_sockets_are_writable_only(backend: Backend) -> None:
    ep = backend.select.epoll()
    a, b = udp(backend, bind=False), udp(backend)
    ep.register(a.fileno(), ALL)
    ep.register(b.fileno(), ALL)
    assert sorted(ep.poll(0)) == sorted([(a.fileno(), OUT), (b.fileno(), OUT)])


def test_a_queued_datagram_makes_it_readable_until_read(backend: Backend) -> None:
    ep = backend.select.epoll()
    a, b = udp(backend), udp(backend)
    ep.register(a.fileno(), ALL)
    b.sendto(b"", a.getsockname())  # even an empty datagram
    assert ep.poll(0) == [(a.fileno(), IN | OUT)]
    assert a.recv(10) == b""
    assert ep.poll(0) == [(a.fileno(), OUT)]


def test_every_datagram_is_an_edge(backend: Backend) -> None:
    ep = backend.select.epoll()
    a, b = udp(backend), udp(backend)
    ep.register(a.fileno(), backend.select.EPOLLIN | backend.select.EPOLLET)
    b.sendto(b"1", a.getsockname())
    assert ep.poll(0) == [(a.fileno(), backend.select.EPOLLIN)]
    assert ep.poll(0) == []
    b.sendto(b"2", a.getsockname())
    assert ep.poll(0) == [(a.fileno(), backend.select.EPOLLIN)]


def test_connected_socket_gets_econnrefused_from_a_closed_port(backend: Backend) -> None:
    s = backend.socket
    ep = backend.select.epoll()
    port = closed_port(backend)
    c = udp(backend, bind=False)
    c.connect(("127.0.0.1", port))
    ep.register(c.fileno(), ALL)
    assert ep.poll(0) == [(c.fileno(), OUT)]
    assert c.send(b"anyone?") == 7
    assert ep.poll(0) == [(c.fileno(), OUT | ERR)]
    with pytest.raises(ConnectionRefusedError) as info:
        c.recv(10)
    assert info.value.errno == errno.ECONNREFUSED
    assert ep.poll(0) == [(c.fileno(), OUT)]
    c.send(b"again")
    with pytest.raises(ConnectionRefusedError):
        c.send(b"and the next send reports it")
    c.send(b"once more")
    assert c.getsockopt(s.SOL_SOCKET, s.SO_ERROR) == errno.ECONNREFUSED
    assert c.getsockopt(s.SOL_SOCKET, s.SO_ERROR) == 0


def test_unconnected_sender_hears_nothing_from_a_closed_port(backend: Backend) -> None:
    s = backend.socket
    ep = backend.select.epoll()
    c = udp(backend)
    c.sendto(b"x", ("127.0.0.1", closed_port(backend)))
    ep.register(c.fileno(), ALL)
    assert ep.poll(0) == [(c.fileno(), OUT)]
    assert c.getsockopt(s.SOL_SOCKET, s.SO_ERROR) == 0


def test_shutdown_of_an_unconnected_socket_is_enotconn_but_takes_effect(backend: Backend) -> None:
    s = backend.socket
    ep = backend.select.epoll()
    a = udp(backend, bind=False)
    with pytest.raises(OSError) as info:
        a.shutdown(s.SHUT_RD)
    assert info.value.errno == errno.ENOTCONN
    ep.register(a.fileno(), ALL)
    assert ep.poll(0) == [(a.fileno(), IN | OUT | RDHUP)]
    a.setblocking(False)
    with pytest.raises(BlockingIOError):
        a.recv(10)
    a.setblocking(True)
    assert a.recvfrom(10) == (b"", None)


def test_shutdown_of_a_connected_socket(backend: Backend) -> None:
    s = backend.socket
    ep = backend.select.epoll()
    a = udp(backend)
    g = udp(backend, bind=False)
    g.connect(a.getsockname())
    g.shutdown(s.SHUT_WR)
    with pytest.raises(BrokenPipeError):
        g.send(b"x")
    ep.register(g.fileno(), ALL)
    assert ep.poll(0) == [(g.fileno(), OUT)]
    g.shutdown(s.SHUT_RD)
    assert ep.poll(0) == [(g.fileno(), IN | OUT | RDHUP | HUP)]


# -- the receive buffer ------------------------------------------------------------------------


def test_the_default_buffer_holds_256_small_datagrams(backend: Backend) -> None:
    a, b = udp(backend), udp(backend)
    for _ in range(300):
        b.sendto(b"x", a.getsockname())
    assert len(drain(a)) == 256


def test_the_buffer_holds_92_datagrams_of_1000_bytes(backend: Backend) -> None:
    a, b = udp(backend), udp(backend)
    for _ in range(100):
        b.sendto(b"x" * 1000, a.getsockname())
    assert len(drain(a)) == 92


def test_reading_frees_memory_in_quarter_buffer_batches(backend: Backend) -> None:
    a, b = udp(backend), udp(backend)
    for _ in range(300):
        b.sendto(b"x", a.getsockname())
    a.recv(10)
    for _ in range(10):
        b.sendto(b"y", a.getsockname())
    assert len(drain(a)) == 255  # one read freed nothing yet
    for _ in range(300):
        b.sendto(b"x", a.getsockname())
    for _ in range(70):
        a.recv(10)
    for _ in range(100):
        b.sendto(b"y", a.getsockname())
    rest = drain(a)
    assert (len(rest), rest.count(b"y")) == (250, 64)  # 64 reads gave back 53248 = rcvbuf / 4


def test_a_small_rcvbuf_still_takes_one_datagram(backend: Backend) -> None:
    s = backend.socket
    a, b = udp(backend), udp(backend)
    a.setsockopt(s.SOL_SOCKET, s.SO_RCVBUF, 1)
    assert a.getsockopt(s.SOL_SOCKET, s.SO_RCVBUF) == 2304
    b.sendto(b"x" * 3000, a.getsockname())
    b.sendto(b"x", a.getsockname())
    assert drain(a) == [b"x" * 100]


def test_so_broadcast_is_an_option_of_its_own(backend: Backend) -> None:
    s = backend.socket
    a = udp(backend)
    assert a.getsockopt(s.SOL_SOCKET, s.SO_BROADCAST) == 0
    a.setsockopt(s.SOL_SOCKET, s.SO_BROADCAST, 1)
    assert a.getsockopt(s.SOL_SOCKET, s.SO_BROADCAST) == 1


def test_recv_of_zero_bytes_makes_no_call_but_recvfrom_consumes(backend: Backend) -> None:
    a, b = udp(backend), udp(backend)
    b.sendto(b"abc", a.getsockname())
    assert a.recv(0) == b""
    assert a.recv(10) == b"abc"
    b.sendto(b"abc", a.getsockname())
    assert a.recvfrom(0) == (b"", b.getsockname())
    assert drain(a) == []


@pytest.mark.parametrize("host", ["127.0.0.1", "::1"])
@pytest.mark.parametrize("size", [0, 184, 185, 500, 633, 1472, 4000, 7000, 16000, 16005, 20000, 60000])
def test_how_many_datagrams_fit_follows_the_skb_truesize(backend: Backend, host: str, size: int) -> None:
    """The model's truesize table predicts, on the real kernel too, how many datagrams fit."""
    a, b = udp(backend, host), udp(backend, host)
    count = 212992 // max(size, 1) + 2 if size > 1000 else 300
    for _ in range(count):
        b.sendto(b"x" * size, a.getsockname())
    a.setblocking(False)
    got = 0
    while True:
        try:
            a.recv(70000)
        except BlockingIOError:
            break
        got += 1
    family = 10 if ":" in host else 2
    assert got == max(1, 212992 // udp_truesize(family, size))


def test_sendmsg_to_an_address_and_recvmsg_into(backend: Backend) -> None:
    s = backend.socket
    a, b = udp(backend), udp(backend)
    assert b.sendmsg([b"gath", b"ered"], [], 0, a.getsockname()) == 8
    first, second = bytearray(3), bytearray(10)
    n, anc, flags, addr = a.recvmsg_into([first, second])
    assert (n, anc, flags & s.MSG_TRUNC, addr) == (8, [], 0, b.getsockname())
    assert bytes(first) + bytes(second[:5]) == b"gathered"
    raises = pytest.raises(TypeError)
    with raises:
        b.sendmsg([b"x"], [], 0, "127.0.0.1")


@pytest.mark.parametrize("host", ["127.0.0.1", "::1"])
def test_connect_to_port_0_is_no_peer_and_takes_any_source_port(backend: Backend, host: str) -> None:
    """inet_getname says ENOTCONN while inet_dport is 0, and compute_score then matches the
    address only: a datagram from any port of that address is received (issue 13 item 3)."""
    a, b = udp(backend, host), udp(backend, host)
    a.connect((host, 0))
    with pytest.raises(OSError) as info:
        a.getpeername()
    assert info.value.errno == errno.ENOTCONN
    assert a.getsockname()[0] == host
    a.sendto(b"self", a.getsockname())
    b.sendto(b"other", a.getsockname())
    assert drain(a) == [b"self", b"other"]


def test_ipv6_checks_the_address_before_the_size(backend: Backend) -> None:
    """udpv6_sendmsg: EDESTADDRREQ (unconnected) and EINVAL (port 0) before ip6_append_data's
    EMSGSIZE; IPv4's udp_sendmsg checks the size first."""
    big = b"x" * 65536
    v6 = udp(backend, "::1", bind=False)
    for call, code in ((lambda: v6.send(big), errno.EDESTADDRREQ), (lambda: v6.sendto(big, ("::1", 0)), errno.EINVAL),
                       (lambda: v6.sendto(b"x", ("::1", 0)), errno.EINVAL)):
        with pytest.raises(OSError) as info:
            call()
        assert info.value.errno == code
    v4 = udp(backend, bind=False)
    for call in (lambda: v4.send(big), lambda: v4.sendto(big, ("127.0.0.1", 0))):
        with pytest.raises(OSError) as info:
            call()
        assert info.value.errno == errno.EMSGSIZE
    with pytest.raises(OSError) as info:
        v6.sendto(big, ("::1", closed_port(backend, "::1")))
    assert info.value.errno == errno.EMSGSIZE


@pytest.mark.parametrize("host", ["127.0.0.1", "::1"])
def test_msg_oob_is_eopnotsupp_on_ipv4_sends_and_ignored_otherwise(backend: Backend, host: str) -> None:
    """udp_sendmsg refuses MSG_OOB; udpv6_sendmsg never looks at it, nor does udp_recvmsg (found
    by the differential fuzzer)."""
    S = backend.socket
    a, b = udp(backend, host), udp(backend, host)
    if host == "127.0.0.1":
        with pytest.raises(OSError) as info:
            a.sendto(b"x", S.MSG_OOB, b.getsockname())
        assert info.value.errno == errno.EOPNOTSUPP
        a.sendto(b"x", b.getsockname())
    else:
        assert a.sendto(b"x", S.MSG_OOB, b.getsockname()) == 1
    assert b.recv(10, S.MSG_OOB) == b"x"
    with pytest.raises(BlockingIOError):
        b.recv(10, S.MSG_OOB | S.MSG_DONTWAIT)
