"""Closing one end of an AF_UNIX stream socketpair (net/unix/af_unix.c unix_release_sock).

The survivor gets both shutdown bits (IN|RDHUP|HUP|OUT); if the closing end left
data unread, the survivor also gets sk_err = ECONNRESET (EPOLLERR), reported
once by a read or by SO_ERROR; and the unread buffers are freed, which gives
their sender its write space back (an EPOLLOUT wake-up).
"""
from __future__ import annotations

import errno
from typing import Any

import pytest

from epollsim.testing.backends import Backend

IN, OUT, ERR, HUP, RDHUP = 0x1, 0x4, 0x8, 0x10, 0x2000
ET = 1 << 31


def pair(backend: Backend) -> tuple[Any, Any]:
    a, b = backend.socket.socketpair()
    a.setblocking(False)
    b.setblocking(False)
    return a, b


def mask(backend: Backend, sock: Any, interest: int = IN | OUT | RDHUP) -> int:
    ep = backend.select.epoll()
    try:
        ep.register(sock.fileno(), interest)
        events = ep.poll(0)
    finally:
        ep.close()
    return events[0][1] if events else 0


def so_error(backend: Backend, sock: Any) -> int:
    socket = backend.socket
    return sock.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)


def test_peer_close_is_an_edge_with_in_rdhup_hup_out(backend: Backend) -> None:
    s, peer = pair(backend)
    ep = backend.select.epoll()
    ep.register(s.fileno(), IN | OUT | RDHUP | ET)
    assert ep.poll(0) == [(s.fileno(), OUT)]
    assert ep.poll(0) == []
    peer.close()
    assert ep.poll(0) == [(s.fileno(), IN | OUT | RDHUP | HUP)]
    assert ep.poll(0) == []


def test_peer_close_after_reading_everything_sets_no_error(backend: Backend) -> None:
    s, peer = pair(backend)
    s.send(b"read in full")
    assert peer.recv(100) == b"read in full"
    peer.close()
    assert mask(backend, s) == IN | OUT | RDHUP | HUP
    assert so_error(backend, s) == 0
    assert s.recv(10) == b""


def test_peer_close_after_a_partial_read_sets_econnreset(backend: Backend) -> None:
    s, peer = pair(backend)
    s.send(b"read in part")
    assert peer.recv(4) == b"read"
    peer.close()
    assert mask(backend, s) == IN | OUT | RDHUP | HUP | ERR


def test_peer_shutdown_before_close_still_sets_econnreset(backend: Backend) -> None:
    socket = backend.socket
    s, peer = pair(backend)
    s.send(b"unread")
    peer.shutdown(socket.SHUT_RDWR)
    assert mask(backend, s) == IN | OUT | RDHUP | HUP  # shutdown alone sets no error
    peer.close()
    assert mask(backend, s) == IN | OUT | RDHUP | HUP | ERR


def test_own_shut_rd_of_the_peer_with_unread_data_sets_no_error(backend: Backend) -> None:
    socket = backend.socket
    s, peer = pair(backend)
    s.send(b"unread")
    peer.shutdown(socket.SHUT_RD)
    assert so_error(backend, s) == 0


def test_recv_reports_econnreset_once_then_end_of_file(backend: Backend) -> None:
    s, peer = pair(backend)
    s.send(b"x" * 1000)
    peer.close()
    with pytest.raises(ConnectionResetError) as info:
        s.recv(100)
    assert info.value.errno == errno.ECONNRESET
    assert info.value.strerror == "Connection reset by peer"
    assert mask(backend, s) == IN | OUT | RDHUP | HUP  # ERR went with the report
    assert s.recv(100) == b""
    assert s.recv(100) == b""
    assert so_error(backend, s) == 0


def test_recv_returns_queued_data_before_the_error(backend: Backend) -> None:
    s, peer = pair(backend)
    s.send(b"x" * 1000)
    peer.send(b"y" * 10)
    peer.close()
    assert mask(backend, s) == IN | OUT | RDHUP | HUP | ERR
    assert s.recv(100) == b"y" * 10
    assert mask(backend, s) == IN | OUT | RDHUP | HUP | ERR
    with pytest.raises(ConnectionResetError):
        s.recv(100)
    assert s.recv(100) == b""


def test_so_error_reports_econnreset_once_and_clears_err(backend: Backend) -> None:
    s, peer = pair(backend)
    s.send(b"x" * 1000)
    peer.close()
    assert so_error(backend, s) == errno.ECONNRESET
    assert so_error(backend, s) == 0
    assert mask(backend, s) == IN | OUT | RDHUP | HUP
    assert s.recv(100) == b""  # the read no longer sees it


def test_msg_peek_also_consumes_the_error(backend: Backend) -> None:
    socket = backend.socket
    s, peer = pair(backend)
    s.send(b"x" * 1000)
    peer.close()
    with pytest.raises(ConnectionResetError):
        s.recv(10, socket.MSG_PEEK)
    assert so_error(backend, s) == 0
    assert s.recv(10) == b""


def test_os_read_and_recv_into_report_econnreset_too(backend: Backend) -> None:
    os = backend.os
    s, peer = pair(backend)
    s.send(b"x")
    peer.close()
    with pytest.raises(ConnectionResetError):
        os.read(s.fileno(), 10)
    assert os.read(s.fileno(), 10) == b""

    s, peer = pair(backend)
    s.send(b"x")
    peer.close()
    assert s.recv(0) == b""  # answered by CPython: the error stays pending
    assert s.recv_into(bytearray(0)) == 0
    with pytest.raises(ConnectionResetError):
        s.recv_into(bytearray(3))


def test_send_after_peer_close_is_epipe_and_leaves_the_error_pending(backend: Backend) -> None:
    s, peer = pair(backend)
    s.send(b"x" * 1000)
    peer.close()
    with pytest.raises(BrokenPipeError):
        s.send(b"x")
    assert so_error(backend, s) == errno.ECONNRESET


def test_closing_one_of_two_fds_of_an_end_changes_nothing(backend: Backend) -> None:
    os = backend.os
    s, peer = pair(backend)
    s.send(b"unread")
    extra = os.dup(peer.fileno())
    peer.close()
    assert mask(backend, s) == OUT  # the description lives on under `extra`
    os.close(extra)
    assert mask(backend, s) == IN | OUT | RDHUP | HUP | ERR


def test_closing_peer_frees_our_unread_data_and_gives_epollout_back(backend: Backend) -> None:
    s, peer = pair(backend)
    ep = backend.select.epoll()
    ep.register(s.fileno(), OUT | ET)
    assert ep.poll(0) == [(s.fileno(), OUT)]
    sent = 0
    while mask(backend, s, OUT):
        sent += s.send(b"x" * 1024)
    assert sent == 24576  # 4 x wmem > sndbuf: no longer writable, though sends still work
    assert ep.poll(0) == []
    peer.close()
    # the close wakes with no key, then freeing the 24 buffers wakes with EPOLLOUT
    assert ep.poll(0) == [(s.fileno(), OUT | ERR | HUP)]
    assert ep.poll(0) == []
    assert mask(backend, s) == IN | OUT | RDHUP | HUP | ERR


def test_closing_peer_of_a_full_sender_gives_epollout_back(backend: Backend) -> None:
    s, peer = pair(backend)
    while True:
        try:
            s.send(b"x" * 4096)
        except BlockingIOError:
            break
    assert mask(backend, s) == 0
    peer.close()
    assert mask(backend, s) == IN | OUT | RDHUP | HUP | ERR


def test_closing_the_survivor_later_is_quiet(backend: Backend) -> None:
    s, peer = pair(backend)
    s.send(b"x")
    peer.close()
    s.close()
    s.close()  # idempotent on the object
    assert s.fileno() == -1
