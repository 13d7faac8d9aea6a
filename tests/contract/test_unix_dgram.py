"""AF_UNIX SOCK_DGRAM sockets, named and as socketpairs, on both backends: addresses, boundaries,
the queue limit (max_dgram_qlen), readiness, and the errors of sending to nobody."""
from __future__ import annotations

import errno
import itertools
import os
from typing import Any

import pytest

from epollsim.testing.backends import Backend

ALL = 0xFFFF
OUT = 0x4 | 0x100 | 0x200
IN = 0x1 | 0x40
_names = itertools.count()


def abstract() -> bytes:
    return f"\0epollsim-dgram-{os.getpid()}-{next(_names)}".encode()


def dsock(backend: Backend, name: Any = None) -> Any:
    s = backend.socket
    sock = s.socket(s.AF_UNIX, s.SOCK_DGRAM)
    if name is not None:
        sock.bind(name)
    return sock


def mask(backend: Backend, sock: Any) -> int:
    ep = backend.select.epoll()
    ep.register(sock.fileno(), ALL)
    events = ep.poll(0)
    ep.close()
    return events[0][1] if events else 0


def test_datagrams_carry_the_senders_name_or_none(backend: Backend) -> None:
    a = dsock(backend, abstract())
    assert mask(backend, a) == OUT
    anon = dsock(backend)
    anon.sendto(b"hello", a.getsockname())
    assert mask(backend, a) == IN | OUT
    assert a.recvfrom(10) == (b"hello", None)
    named = dsock(backend, abstract())
    named.sendto(b"named", a.getsockname())
    assert a.recvfrom(3) == (b"nam", named.getsockname())  # truncated, and the rest is gone
    assert mask(backend, a) == OUT


def test_a_path_name_comes_back_as_str(backend: Backend, tmp_path: Any) -> None:
    path = str(tmp_path / "dgram.sock")
    a = dsock(backend, path)
    b = dsock(backend, str(tmp_path / "client.sock"))
    b.sendto(b"x", path)
    assert a.recvfrom(1) == (b"x", str(tmp_path / "client.sock"))
    assert a.getsockname() == path


def test_sending_to_nobody(backend: Backend, tmp_path: Any) -> None:
    b = dsock(backend)
    with pytest.raises(OSError) as info:
        b.send(b"x")
    assert info.value.errno == errno.ENOTCONN
    with pytest.raises(ConnectionRefusedError):
        b.sendto(b"x", abstract())
    with pytest.raises(FileNotFoundError):
        b.sendto(b"x", str(tmp_path / "nobody"))
    stream = backend.socket.socket(backend.socket.AF_UNIX, backend.socket.SOCK_STREAM)
    stream.bind(abstract())
    with pytest.raises(ConnectionRefusedError):  # abstract names are per type: none for datagrams
        b.sendto(b"x", stream.getsockname())
    on_path = backend.socket.socket(backend.socket.AF_UNIX, backend.socket.SOCK_STREAM)
    on_path.bind(str(tmp_path / "stream.sock"))
    with pytest.raises(OSError) as info:
        b.sendto(b"x", str(tmp_path / "stream.sock"))
    assert info.value.errno == errno.EPROTOTYPE
    with pytest.raises(OSError) as info:
        b.connect(str(tmp_path / "stream.sock"))
    assert info.value.errno == errno.EPROTOTYPE


def test_an_abstract_name_is_per_socket_type(backend: Backend) -> None:
    s = backend.socket
    name = abstract()
    stream = s.socket(s.AF_UNIX, s.SOCK_STREAM)
    stream.bind(name)
    stream.listen()
    dgram = dsock(backend, name)  # no EADDRINUSE: another type
    assert dgram.getsockname() == name
    with pytest.raises(ConnectionRefusedError):
        s.socket(s.AF_UNIX, s.SOCK_STREAM).connect(dsock(backend, abstract()).getsockname())


def test_a_receiver_holds_eleven_datagrams_from_strangers(backend: Backend) -> None:
    a = dsock(backend, abstract())
    b = dsock(backend)
    b.setblocking(False)
    sent = 0
    with pytest.raises(BlockingIOError):
        while True:
            b.sendto(b"x", a.getsockname())
            sent += 1
    assert sent == 11
    assert mask(backend, b) == OUT  # unconnected: writable whatever the receivers
    b.connect(a.getsockname())
    assert mask(backend, b) == 0  # its peer's queue is full
    a.recv(1)
    assert mask(backend, b) == OUT
    b.send(b"y")


def test_a_closed_peer_refuses_then_is_forgotten(backend: Backend) -> None:
    s = backend.socket
    one, two = s.socketpair(s.AF_UNIX, s.SOCK_DGRAM)
    assert (one.getsockname(), one.getpeername()) == ("", "")
    one.close()
    assert mask(backend, two) == OUT
    with pytest.raises(ConnectionRefusedError):
        two.send(b"x")


def test_a_socketpair_keeps_boundaries_and_has_no_queue_limit(backend: Backend) -> None:
    s = backend.socket
    one, two = s.socketpair(s.AF_UNIX, s.SOCK_DGRAM)
    assert one.type is s.SocketKind.SOCK_DGRAM
    one.send(b"abc")
    one.send(b"de")
    assert two.recv(1) == b"a" and two.recv(10) == b"de"
    one.setblocking(False)
    for _ in range(50):
        one.send(b"z")  # connected both ways: unix_recvq_full does not apply
    assert len([two.recv(1) for _ in range(50)]) == 50


def test_listen_and_accept_are_not_for_datagrams(backend: Backend) -> None:
    a = dsock(backend, abstract())
    for call in (a.listen, a.accept):
        with pytest.raises(OSError) as info:
            call()
        assert info.value.errno == errno.EOPNOTSUPP


def test_a_connected_receiver_refuses_others(backend: Backend) -> None:
    a = dsock(backend, abstract())
    friend = dsock(backend, abstract())
    a.connect(friend.getsockname())
    with pytest.raises(PermissionError):
        dsock(backend).sendto(b"x", a.getsockname())
    friend.sendto(b"ok", a.getsockname())
    assert a.recv(10) == b"ok"


def test_nonblocking_recv_after_shut_rd_is_eagain_and_blocking_is_eof(backend: Backend) -> None:
    """Found by the differential fuzzer: __skb_recv_datagram checks RCV_SHUTDOWN only in its wait."""
    a, b = backend.socket.socketpair(backend.socket.AF_UNIX, backend.socket.SOCK_DGRAM)
    a.shutdown(backend.socket.SHUT_RDWR)
    assert a.recv(10) == b""
    with pytest.raises(BlockingIOError):
        a.recv(10, backend.socket.MSG_DONTWAIT)
    a.setblocking(False)
    with pytest.raises(BlockingIOError):
        a.recv(10)
    with pytest.raises(BlockingIOError):
        backend.os.read(a.fileno(), 10)


def test_sendto_an_empty_name_is_einval(backend: Backend) -> None:
    """unix_validate_addr refuses an address with no name before any size check (found by the fuzzer)."""
    a, b = backend.socket.socketpair(backend.socket.AF_UNIX, backend.socket.SOCK_DGRAM)
    for data in (b"x", b"w" * 70000):
        with pytest.raises(OSError) as info:
            a.sendto(data, "")
        assert info.value.errno == errno.EINVAL


def test_a_zero_length_read_is_empty_without_a_datagram(backend: Backend) -> None:
    """sock_read_iter answers a zero-length read(2) at once (found by the fuzzer); recv(0) too."""
    a, b = backend.socket.socketpair(backend.socket.AF_UNIX, backend.socket.SOCK_DGRAM)
    a.setblocking(False)
    assert backend.os.read(a.fileno(), 0) == b""
    assert a.recv(0) == b""
    b.send(b"kept")
    assert backend.os.read(a.fileno(), 0) == b""
    assert a.recv(10) == b"kept"


def test_send_checks_size_then_shutdown_then_the_peer(backend: Backend) -> None:
    """Measured on 6.18 (found by the fuzzer): EMSGSIZE, then EPIPE, before ENOTCONN."""
    S = backend.socket
    s = S.socket(S.AF_UNIX, S.SOCK_DGRAM)
    for data, code in ((b"x", errno.ENOTCONN), (b"x" * 300000, errno.EMSGSIZE)):
        with pytest.raises(OSError) as info:
            s.send(data)
        assert info.value.errno == code
    s.shutdown(S.SHUT_WR)
    for data, code in ((b"x", errno.EPIPE), (b"x" * 300000, errno.EMSGSIZE)):
        with pytest.raises(OSError) as info:
            s.send(data)
        assert info.value.errno == code
    with pytest.raises(BrokenPipeError):
        s.sendto(b"x", f"\0epollsim-nobody-{os.getpid()}".encode())


def test_connect_to_a_socket_connected_elsewhere_is_eperm(backend: Backend) -> None:
    """unix_may_send: a datagram socket connected to another accepts no one else (itself neither)."""
    S = backend.socket
    a, b = S.socketpair(S.AF_UNIX, S.SOCK_DGRAM)
    name = f"\0epollsim-eperm-{os.getpid()}-{backend.name}".encode()
    a.bind(name)
    c = S.socket(S.AF_UNIX, S.SOCK_DGRAM)
    for sock in (c, a):
        with pytest.raises(PermissionError):
            sock.connect(name)


def test_binding_the_empty_name_again_keeps_the_name(backend: Backend) -> None:
    """unix_autobind returns 0 for a socket that already has a name."""
    S = backend.socket
    for kind in (S.SOCK_STREAM, S.SOCK_DGRAM):
        s = S.socket(S.AF_UNIX, kind)
        s.bind("")
        name = s.getsockname()
        s.bind("")
        assert s.getsockname() == name


def test_the_source_address_is_the_senders_name_when_read(backend: Backend) -> None:
    """unix_copy_addr reads the sending socket's address as the datagram is received: a name
    bound after the send shows (found by the fuzzer)."""
    S = backend.socket
    a, b = S.socketpair(S.AF_UNIX, S.SOCK_DGRAM)
    b.send(b"x")
    name = f"\0epollsim-late-{os.getpid()}-{backend.name}".encode()
    b.bind(name)
    assert a.recvfrom(10) == (b"x", name)


def test_leaving_a_dead_peer_loses_what_it_sent(backend: Backend) -> None:
    """unix_dgram_disconnected (found by the fuzzer at 10^6 calls): the send that finds the peer
    dead purges the sender's own queue, which held the dead peer's datagrams."""
    s = backend.socket
    one, two = s.socketpair(s.AF_UNIX, s.SOCK_DGRAM)
    one.send(b"from one")
    one.close()
    assert mask(backend, two) == OUT | IN
    with pytest.raises(ConnectionRefusedError):
        two.send(b"x")
    assert mask(backend, two) == OUT
    two.setblocking(False)
    with pytest.raises(BlockingIOError):
        two.recv(100)
    two.close()


def test_connecting_elsewhere_loses_the_queue_and_resets_a_peer_connected_back(backend: Backend) -> None:
    a, b, c = abstract(), abstract(), abstract()
    sa, sb, sc = dsock(backend, a), dsock(backend, b), dsock(backend, c)
    sa.connect(b)
    sb.connect(a)
    sa.send(b"to b")
    sb.connect(c)
    sb.setblocking(False)
    with pytest.raises(BlockingIOError):
        sb.recv(100)
    assert mask(backend, sa) & 0x8  # EPOLLERR
    assert sa.getsockopt(backend.socket.SOL_SOCKET, backend.socket.SO_ERROR) == errno.ECONNRESET
    assert sa.getsockopt(backend.socket.SOL_SOCKET, backend.socket.SO_ERROR) == 0
    sc.sendto(b"to b", b)  # b is connected to c now: c may send to it
    sb.connect(c)  # the same peer again: nothing is lost
    assert sb.recv(100) == b"to b"
    for sock in (sa, sb, sc):
        sock.close()
