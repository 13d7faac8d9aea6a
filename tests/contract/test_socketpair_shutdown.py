"""shutdown(2) on AF_UNIX stream socketpairs: the shutdown bits, the poll masks of linux-epoll.md
11.2 (every row of its table), EPIPE, end-of-file and the wake-ups shutdown makes.

unix_shutdown sets the caller's bits and mirrors them on the peer (own SHUT_WR is
the peer's RCV_SHUTDOWN, own SHUT_RD the peer's SEND_SHUTDOWN); unix_poll reports
RDHUP|IN when RCV is set, HUP when both are, and OUT by memory alone.
"""
from __future__ import annotations

import errno
from typing import Any

import pytest

from epollsim.testing.backends import Backend

IN, PRI, OUT, ERR, HUP = 0x1, 0x2, 0x4, 0x8, 0x10
RDNORM, RDBAND, WRNORM, WRBAND, MSG, RDHUP = 0x40, 0x80, 0x100, 0x200, 0x400, 0x2000
ET = 1 << 31
EVERYTHING = IN | PRI | OUT | RDNORM | RDBAND | WRNORM | WRBAND | MSG | RDHUP


def mask(backend: Backend, sock: Any, interest: int = IN | OUT | RDHUP) -> int:
    """What a fresh epoll registration of ``sock`` with ``interest`` reports right now."""
    ep = backend.select.epoll()
    try:
        ep.register(sock.fileno(), interest)
        events = ep.poll(0)
    finally:
        ep.close()
    assert len(events) <= 1
    return events[0][1] if events else 0


def pair(backend: Backend) -> tuple[Any, Any]:
    a, b = backend.socket.socketpair()
    a.setblocking(False)
    b.setblocking(False)
    return a, b


# -- the table of 11.2, row by row, on both ends -------------------------------------------

SIDES = pytest.mark.parametrize("side", [0, 1], ids=["first", "second"])


@SIDES
def test_fresh_pair_reports_out_only(backend: Backend, side: int) -> None:
    s, _ = pair(backend)[:: 1 if side == 0 else -1]
    assert mask(backend, s) == OUT
    assert mask(backend, s, EVERYTHING) == OUT | WRNORM | WRBAND


@SIDES
def test_peer_has_written_reports_in_and_out(backend: Backend, side: int) -> None:
    s, peer = pair(backend)[:: 1 if side == 0 else -1]
    peer.send(b"x")
    assert mask(backend, s) == IN | OUT
    assert mask(backend, s, EVERYTHING) == IN | RDNORM | OUT | WRNORM | WRBAND
    assert mask(backend, peer) == OUT


@SIDES
def test_peer_shut_wr_reports_in_rdhup_out_and_reads_data_then_eof(backend: Backend, side: int) -> None:
    socket = backend.socket
    s, peer = pair(backend)[:: 1 if side == 0 else -1]
    peer.send(b"tail")
    peer.shutdown(socket.SHUT_WR)
    assert mask(backend, s) == IN | RDHUP | OUT
    assert mask(backend, s, EVERYTHING) == IN | RDNORM | RDHUP | OUT | WRNORM | WRBAND
    assert s.recv(100) == b"tail"
    assert mask(backend, s) == IN | RDHUP | OUT  # end-of-file stays readable
    assert s.recv(100) == b""
    assert s.recv(100) == b""
    assert mask(backend, peer) == OUT  # the peer only lost its sending side


@SIDES
def test_own_shut_rd_reports_in_rdhup_out(backend: Backend, side: int) -> None:
    socket = backend.socket
    s, peer = pair(backend)[:: 1 if side == 0 else -1]
    s.shutdown(socket.SHUT_RD)
    assert mask(backend, s) == IN | RDHUP | OUT
    assert s.recv(10) == b""
    assert mask(backend, peer) == OUT  # the peer got SEND_SHUTDOWN: nothing to poll


@SIDES
def test_own_shut_wr_only_reports_out(backend: Backend, side: int) -> None:
    socket = backend.socket
    s, peer = pair(backend)[:: 1 if side == 0 else -1]
    s.shutdown(socket.SHUT_WR)
    assert mask(backend, s) == OUT
    assert mask(backend, s, EVERYTHING) == OUT | WRNORM | WRBAND
    assert mask(backend, peer) == IN | RDHUP | OUT


@SIDES
def test_own_shut_rdwr_reports_in_rdhup_hup_out(backend: Backend, side: int) -> None:
    socket = backend.socket
    s, peer = pair(backend)[:: 1 if side == 0 else -1]
    s.shutdown(socket.SHUT_RDWR)
    assert mask(backend, s) == IN | RDHUP | HUP | OUT
    assert mask(backend, s, EVERYTHING) == IN | RDNORM | RDHUP | HUP | OUT | WRNORM | WRBAND
    assert mask(backend, peer) == IN | RDHUP | HUP | OUT  # the mirror is both bits too


@SIDES
def test_own_shut_wr_and_peer_shut_wr_report_hup(backend: Backend, side: int) -> None:
    socket = backend.socket
    s, peer = pair(backend)[:: 1 if side == 0 else -1]
    s.shutdown(socket.SHUT_WR)
    peer.shutdown(socket.SHUT_WR)
    assert mask(backend, s) == IN | RDHUP | HUP | OUT
    assert mask(backend, peer) == IN | RDHUP | HUP | OUT


@SIDES
def test_own_shut_rd_and_peer_shut_rd_report_hup(backend: Backend, side: int) -> None:
    socket = backend.socket
    s, peer = pair(backend)[:: 1 if side == 0 else -1]
    s.shutdown(socket.SHUT_RD)
    peer.shutdown(socket.SHUT_RD)
    assert mask(backend, s) == IN | RDHUP | HUP | OUT
    assert mask(backend, peer) == IN | RDHUP | HUP | OUT


@SIDES
def test_peer_shut_rd_only_changes_no_poll_bit(backend: Backend, side: int) -> None:
    socket = backend.socket
    s, peer = pair(backend)[:: 1 if side == 0 else -1]
    peer.shutdown(socket.SHUT_RD)
    assert mask(backend, s) == OUT  # SEND_SHUTDOWN alone is invisible to poll
    with pytest.raises(BrokenPipeError):
        s.send(b"x")


@SIDES
def test_peer_closed_reports_in_rdhup_hup_out(backend: Backend, side: int) -> None:
    s, peer = pair(backend)[:: 1 if side == 0 else -1]
    peer.close()
    assert mask(backend, s) == IN | RDHUP | HUP | OUT
    assert mask(backend, s, EVERYTHING) == IN | RDNORM | RDHUP | HUP | OUT | WRNORM | WRBAND
    assert mask(backend, s, 0) == HUP  # HUP needs no interest


@SIDES
def test_peer_closed_with_our_data_unread_adds_err(backend: Backend, side: int) -> None:
    s, peer = pair(backend)[:: 1 if side == 0 else -1]
    s.send(b"never read")
    peer.close()
    assert mask(backend, s) == IN | RDHUP | HUP | OUT | ERR
    assert mask(backend, s, 0) == HUP | ERR


# -- errors --------------------------------------------------------------------------------


@pytest.mark.parametrize("how", [3, -1, 100])
def test_shutdown_with_bad_how_is_einval(backend: Backend, how: int) -> None:
    s, _ = pair(backend)
    with pytest.raises(OSError) as info:
        s.shutdown(how)
    assert info.value.errno == errno.EINVAL
    assert info.value.strerror == "Invalid argument"
    assert mask(backend, s) == OUT  # nothing changed


def test_shutdown_how_must_fit_a_c_int(backend: Backend) -> None:
    s, _ = pair(backend)
    with pytest.raises(OverflowError, match=r"^Python int too large to convert to C int$"):
        s.shutdown(2**40)
    with pytest.raises(TypeError, match=r"^'float' object cannot be interpreted as an integer$"):
        s.shutdown(1.0)


def test_shutdown_twice_is_fine(backend: Backend) -> None:
    socket = backend.socket
    s, _ = pair(backend)
    s.shutdown(socket.SHUT_WR)
    s.shutdown(socket.SHUT_WR)
    s.shutdown(socket.SHUT_RDWR)
    assert mask(backend, s) == IN | RDHUP | HUP | OUT


def test_send_after_own_shut_wr_is_epipe(backend: Backend) -> None:
    socket = backend.socket
    s, _ = pair(backend)
    s.shutdown(socket.SHUT_WR)
    with pytest.raises(BrokenPipeError) as info:
        s.send(b"x")
    assert info.value.errno == errno.EPIPE
    assert info.value.strerror == "Broken pipe"
    with pytest.raises(BrokenPipeError):
        s.send(b"")  # checked before anything is sent
    with pytest.raises(BrokenPipeError):
        s.sendall(b"x")


def test_send_after_peer_shut_rd_is_epipe(backend: Backend) -> None:
    socket = backend.socket
    s, peer = pair(backend)
    peer.shutdown(socket.SHUT_RD)
    with pytest.raises(BrokenPipeError) as info:
        s.send(b"x")
    assert info.value.errno == errno.EPIPE


def test_send_after_peer_close_is_epipe(backend: Backend) -> None:
    s, peer = pair(backend)
    peer.close()
    with pytest.raises(BrokenPipeError) as info:
        s.send(b"x")
    assert info.value.errno == errno.EPIPE


def test_raw_send_after_shut_wr_is_epipe_with_msg_nosignal(backend: Backend) -> None:
    sys, socket = backend.sys, backend.socket
    a, _ = sys.socketpair(socket.AF_UNIX, socket.SOCK_STREAM | socket.SOCK_NONBLOCK, 0)
    sys.shutdown(a, socket.SHUT_WR)
    with pytest.raises(BrokenPipeError):
        sys.sendto(a, b"x", socket.MSG_NOSIGNAL)


def test_own_shut_rd_keeps_queued_data_readable(backend: Backend) -> None:
    socket = backend.socket
    s, peer = pair(backend)
    peer.send(b"queued")
    s.shutdown(socket.SHUT_RD)
    assert s.recv(3) == b"que"
    assert s.recv(100) == b"ued"
    assert s.recv(100) == b""
    with pytest.raises(BrokenPipeError):
        peer.send(b"more")  # the reader refuses anything new


def test_own_shut_rd_leaves_the_other_direction_open(backend: Backend) -> None:
    socket = backend.socket
    s, peer = pair(backend)
    s.shutdown(socket.SHUT_RD)
    assert s.send(b"still") == 5
    assert peer.recv(10) == b"still"


def test_peer_shut_wr_leaves_the_other_direction_open(backend: Backend) -> None:
    socket = backend.socket
    s, peer = pair(backend)
    peer.shutdown(socket.SHUT_WR)
    assert s.send(b"reply") == 5
    assert peer.recv(10) == b"reply"


def test_shutdown_on_a_closed_socket_is_ebadf(backend: Backend) -> None:
    socket = backend.socket
    s, _ = pair(backend)
    s.close()
    with pytest.raises(OSError) as info:
        s.shutdown(socket.SHUT_RDWR)
    assert info.value.errno == errno.EBADF


def test_shutdown_of_a_non_socket_is_enotsock(backend: Backend) -> None:
    r, _ = backend.os.pipe()
    with pytest.raises(OSError) as info:
        backend.sys.shutdown(r, 1)
    assert info.value.errno == errno.ENOTSOCK


# -- wake-ups: shutdown wakes both ends with no key, so edge-triggered items fire ----------


def test_own_shut_wr_is_an_edge_for_both_ends_even_without_a_new_bit(backend: Backend) -> None:
    select, socket = backend.select, backend.socket
    s, peer = pair(backend)
    ep = select.epoll()
    ep.register(s.fileno(), OUT | ET)
    ep.register(peer.fileno(), OUT | ET)
    assert sorted(ep.poll(0)) == sorted([(s.fileno(), OUT), (peer.fileno(), OUT)])
    assert ep.poll(0) == []
    s.shutdown(socket.SHUT_WR)  # S's mask is unchanged (OUT), yet its queue is woken
    assert sorted(ep.poll(0)) == sorted([(s.fileno(), OUT), (peer.fileno(), OUT)])
    assert ep.poll(0) == []


def test_peer_shut_wr_is_an_in_rdhup_edge(backend: Backend) -> None:
    select, socket = backend.select, backend.socket
    s, peer = pair(backend)
    ep = select.epoll()
    ep.register(s.fileno(), IN | RDHUP | ET)
    assert ep.poll(0) == []
    peer.shutdown(socket.SHUT_WR)
    assert ep.poll(0) == [(s.fileno(), IN | RDHUP)]
    assert ep.poll(0) == []
    peer.shutdown(socket.SHUT_WR)  # again: no new bit, but a new wake-up
    assert ep.poll(0) == [(s.fileno(), IN | RDHUP)]
