"""fcntl.ioctl's queue-size requests: FIONREAD (SIOCINQ) and TIOCOUTQ (SIOCOUTQ).

What each kind of file answers (measured on Linux 6.18): a pipe counts its
unread bytes on either end (pipe_ioctl) and knows no TIOCOUTQ (ENOTTY); TCP
counts unread bytes and unacknowledged ones, and a listener refuses both
(EINVAL); UDP and AF_UNIX datagram sockets give the first datagram's length;
AF_UNIX streams the unread bytes, and for SIOCOUTQ the memory charged for
what the peer has not read (sk_wmem_alloc); eventfd, timerfd and /dev/null
have no ioctl (ENOTTY), and epoll, since 6.9, answers EINVAL.

Also CPython's argument forms (Modules/fcntlmodule.c): a writable buffer is
written in place, a read-only one comes back as a copy, and an int is the
pointer itself, so 0 is EFAULT. No test here depends on delayed ACKs.
"""
from __future__ import annotations

import array
import errno
import itertools
import os
import struct
from typing import Any

import pytest
from contract_helpers import raises_exactly
from tcp_helpers import FIONREAD, TIOCOUTQ, connected_pair, inq, listener, outq, settled, wait_readable

from epollsim.testing.backends import Backend

_names = itertools.count()


def errno_of(call: Any, *args: Any) -> int:
    with pytest.raises(OSError) as info:
        call(*args)
    return info.value.errno


# -- pipes ---------------------------------------------------------------------


def test_pipe_fionread_counts_unread_bytes_on_either_end(backend: Backend) -> None:
    os_ = backend.os
    r, w = os_.pipe()
    assert inq(backend, r) == inq(backend, w) == 0
    os_.write(w, b"hello")
    os_.write(w, b"abc")
    assert inq(backend, r) == inq(backend, w) == 8
    assert os_.read(r, 3) == b"hel"
    assert inq(backend, r) == inq(backend, w) == 5
    os_.write(w, b"x" * 5000)  # a second page
    assert inq(backend, r) == 5005
    os_.read(r, 5004)
    assert inq(backend, w) == 1
    assert backend.sys.ioctl(r, FIONREAD) == 1


def test_pipe_has_no_tiocoutq(backend: Backend) -> None:
    os_ = backend.os
    r, w = os_.pipe()
    os_.write(w, b"abc")
    for fd in (r, w):
        assert errno_of(backend.fcntl.ioctl, fd, TIOCOUTQ, b"\0" * 4) == errno.ENOTTY
        assert errno_of(backend.sys.ioctl, fd, TIOCOUTQ) == errno.ENOTTY


# -- TCP -----------------------------------------------------------------------


def test_tcp_inq_counts_what_the_peer_sent_and_nobody_read(backend: Backend) -> None:
    client, server = connected_pair(backend)
    assert inq(backend, server) == inq(backend, client) == 0
    client.send(b"x" * 10)
    wait_readable(backend, server)
    assert settled(backend, inq, server, 10) == 10
    client.send(b"y" * 7)
    assert settled(backend, inq, server, 17) == 17
    assert server.recv(4) == b"xxxx"
    assert inq(backend, server) == 13
    server.send(b"abc")
    wait_readable(backend, client)
    assert settled(backend, inq, client, 3) == 3
    assert server.recv(100) == b"x" * 6 + b"y" * 7
    assert inq(backend, server) == 0


def test_tcp_outq_is_zero_once_the_first_send_is_acknowledged(backend: Backend) -> None:
    """The first data segments of a connection are acknowledged at once (quick-ACK mode),
    so on loopback they are acknowledged before send() returns."""
    client, server = connected_pair(backend)
    assert outq(backend, client) == outq(backend, server) == 0
    assert client.send(b"hello") == 5
    assert outq(backend, client) == 0
    assert inq(backend, server) == 5  # delivered, and SIOCOUTQ is not SIOCINQ


def test_tcp_inq_keeps_unread_data_after_the_peer_closes(backend: Backend) -> None:
    """tcp_inq: rcv_nxt - copied_seq, less the FIN's sequence number."""
    client, server = connected_pair(backend)
    client.send(b"abcd")
    client.close()
    wait_readable(backend, server)
    assert settled(backend, inq, server, 4) == 4
    assert server.recv(1) == b"a"
    assert inq(backend, server) == 3
    assert server.recv(100) == b"bcd"
    assert server.recv(100) == b""
    assert inq(backend, server) == 0


def test_tcp_listener_refuses_both_requests(backend: Backend) -> None:
    lsock = listener(backend)
    for request in (FIONREAD, TIOCOUTQ):
        assert errno_of(backend.fcntl.ioctl, lsock, request, b"\0" * 4) == errno.EINVAL
        # EINVAL comes before the answer would be written: not EFAULT for a NULL pointer.
        assert errno_of(backend.fcntl.ioctl, lsock, request, 0) == errno.EINVAL
    lsock.close()


def test_tcp_fresh_and_bound_sockets_answer_zero(backend: Backend) -> None:
    socket = backend.socket
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    assert (inq(backend, sock), outq(backend, sock)) == (0, 0)
    sock.bind(("127.0.0.1", 0))
    assert (inq(backend, sock), outq(backend, sock)) == (0, 0)
    sock.close()


# -- UDP -----------------------------------------------------------------------


def test_udp_inq_is_the_first_datagrams_length(backend: Backend) -> None:
    socket = backend.socket
    rx = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    rx.bind(("127.0.0.1", 0))
    tx = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    assert inq(backend, rx) == 0
    tx.sendto(b"a" * 5, rx.getsockname())
    tx.sendto(b"b" * 9, rx.getsockname())
    tx.sendto(b"", rx.getsockname())
    wait_readable(backend, rx)
    assert inq(backend, rx) == 5
    assert rx.recv(100) == b"aaaaa"
    assert inq(backend, rx) == 9
    rx.recv(2)  # the rest of a datagram is gone with it
    assert inq(backend, rx) == 0  # the empty datagram
    assert rx.recv(100) == b""
    assert inq(backend, rx) == 0
    rx.close()
    tx.close()


# -- AF_UNIX -------------------------------------------------------------------


def test_unix_stream_inq_and_outq(backend: Backend) -> None:
    """SIOCOUTQ is sk_wmem_alloc: 768 bytes charged for each small buffer until it is read
    to its end (a partly read buffer frees nothing)."""
    x, y = backend.socket.socketpair()
    assert [inq(backend, x), outq(backend, x), inq(backend, y), outq(backend, y)] == [0, 0, 0, 0]
    x.send(b"abcdef")
    x.send(b"gh")
    assert (inq(backend, y), outq(backend, x)) == (8, 2 * 768)
    assert (inq(backend, x), outq(backend, y)) == (0, 0)
    assert y.recv(3) == b"abc"
    assert (inq(backend, y), outq(backend, x)) == (5, 2 * 768)
    assert y.recv(3) == b"def"
    assert (inq(backend, y), outq(backend, x)) == (2, 768)
    assert y.recv(100) == b"gh"
    assert (inq(backend, y), outq(backend, x)) == (0, 0)


def test_unix_listener_refuses_inq_but_not_outq(backend: Backend) -> None:
    socket = backend.socket
    lsock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    assert (inq(backend, lsock), outq(backend, lsock)) == (0, 0)
    lsock.bind(f"\0epollsim-ioctl-{os.getpid()}-{next(_names)}".encode())
    lsock.listen(5)
    assert errno_of(backend.fcntl.ioctl, lsock, FIONREAD, b"\0" * 4) == errno.EINVAL
    assert outq(backend, lsock) == 0
    client = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    client.connect(lsock.getsockname())
    client.send(b"12345")  # queued on the embryo before accept
    assert outq(backend, client) == 768
    conn, _ = lsock.accept()
    assert inq(backend, conn) == 5
    for s in (client, conn, lsock):
        s.close()


def test_unix_dgram_inq_is_the_first_datagrams_length(backend: Backend) -> None:
    socket = backend.socket
    x, y = socket.socketpair(socket.AF_UNIX, socket.SOCK_DGRAM)
    assert (inq(backend, y), outq(backend, x)) == (0, 0)
    x.send(b"abcde")
    x.send(b"123456789")
    assert (inq(backend, y), outq(backend, x)) == (5, 2 * 768)
    assert y.recv(100) == b"abcde"
    assert (inq(backend, y), outq(backend, x)) == (9, 768)


# -- files with no queue -------------------------------------------------------


def test_eventfd_timerfd_and_dev_null_have_no_ioctl(backend: Backend) -> None:
    os_ = backend.os
    efd = os_.eventfd(3)
    tfd = os_.timerfd_create(backend.time.CLOCK_MONOTONIC)
    null = os_.open("/dev/null", os_.O_RDWR)
    for fd in (efd, tfd, null):
        for request in (FIONREAD, TIOCOUTQ):
            assert errno_of(backend.fcntl.ioctl, fd, request, b"\0" * 4) == errno.ENOTTY
    for fd in (efd, tfd, null):
        os_.close(fd)


def test_epoll_answers_einval(backend: Backend) -> None:
    """ep_eventpoll_ioctl (Linux >= 6.9) refuses every request but its own two."""
    ep = backend.select.epoll()
    for request in (FIONREAD, TIOCOUTQ):
        assert errno_of(backend.fcntl.ioctl, ep.fileno(), request, b"\0" * 4) == errno.EINVAL
        assert errno_of(backend.sys.ioctl, ep.fileno(), request) == errno.EINVAL
    ep.close()


# -- CPython's argument forms --------------------------------------------------


def test_a_read_only_buffer_comes_back_as_a_copy_of_its_length(backend: Backend) -> None:
    os_, ioctl = backend.os, backend.fcntl.ioctl
    r, w = os_.pipe()
    os_.write(w, b"abc")
    assert ioctl(r, FIONREAD, b"\0" * 4) == struct.pack("i", 3)
    assert ioctl(r, FIONREAD, b"\xff" * 8) == struct.pack("i", 3) + b"\xff" * 4  # the rest untouched
    assert ioctl(r, FIONREAD, b"ab") == struct.pack("i", 3)[:2]  # the kernel wrote into CPython's copy
    assert ioctl(r, FIONREAD, b"") == b""
    assert ioctl(r, FIONREAD, "abcd") == struct.pack("i", 3)  # a str is its UTF-8 bytes
    assert ioctl(r, FIONREAD, memoryview(b"wxyz")) == struct.pack("i", 3)
    assert len(ioctl(r, FIONREAD, b"\0" * 1024)) == 1024
    raises_exactly(ValueError, "ioctl string arg too long", ioctl, r, FIONREAD, b"\0" * 1025)


def test_a_writable_buffer_is_written_in_place(backend: Backend) -> None:
    os_, ioctl = backend.os, backend.fcntl.ioctl
    r, w = os_.pipe()
    os_.write(w, b"abcde")
    buf = bytearray(4)
    assert ioctl(r, FIONREAD, buf) == 0
    assert buf == struct.pack("i", 5)
    buf = bytearray(b"\xff" * 6)
    assert ioctl(r, FIONREAD, buf, True) == 0
    assert buf == struct.pack("i", 5) + b"\xff\xff"
    short = bytearray(2)
    assert ioctl(r, FIONREAD, short) == 0
    assert short == struct.pack("i", 5)[:2]
    count = array.array("i", [0])
    assert ioctl(r, FIONREAD, count) == 0
    assert count[0] == 5
    big = bytearray(2000)  # longer than CPython's copy: handed to the kernel itself
    assert ioctl(r, FIONREAD, big) == 0
    assert big[:4] == struct.pack("i", 5) and not any(big[4:])


def test_mutate_flag_false_returns_a_copy_and_leaves_the_buffer(backend: Backend) -> None:
    os_, ioctl = backend.os, backend.fcntl.ioctl
    r, w = os_.pipe()
    os_.write(w, b"abcde")
    buf = bytearray(6)
    assert ioctl(r, FIONREAD, buf, False) == struct.pack("i", 5) + b"\0\0"
    assert buf == bytearray(6)
    assert ioctl(r, FIONREAD, bytearray(4), None) == struct.pack("i", 5)  # any falsy flag
    raises_exactly(ValueError, "ioctl string arg too long", ioctl, r, FIONREAD, bytearray(1025), False)


def test_an_int_argument_is_the_pointer_so_zero_is_efault(backend: Backend) -> None:
    os_, ioctl = backend.os, backend.fcntl.ioctl
    r, w = os_.pipe()
    assert errno_of(ioctl, r, FIONREAD) == errno.EFAULT  # arg defaults to 0
    assert errno_of(ioctl, r, FIONREAD, 0) == errno.EFAULT
    assert errno_of(ioctl, r, TIOCOUTQ, 0) == errno.ENOTTY  # the file's own answer comes first
    raises_exactly(OverflowError, "signed integer is greater than maximum", ioctl, r, FIONREAD, 2**31)
    raises_exactly(OverflowError, "signed integer is less than minimum", ioctl, r, FIONREAD, -(2**31) - 1)
    raises_exactly(TypeError, "'NoneType' object cannot be interpreted as an integer", ioctl, r, FIONREAD, None)
    raises_exactly(TypeError, "'float' object cannot be interpreted as an integer", ioctl, r, FIONREAD, 1.0)


def test_request_is_cut_to_32_bits(backend: Backend) -> None:
    os_, ioctl = backend.os, backend.fcntl.ioctl
    r, w = os_.pipe()
    os_.write(w, b"ab")
    assert ioctl(r, (1 << 32) + FIONREAD, b"\0" * 4) == struct.pack("i", 2)
    raises_exactly(TypeError, "'str' object cannot be interpreted as an integer", ioctl, r, "x")


def test_a_closed_fd_is_ebadf(backend: Backend) -> None:
    os_, ioctl = backend.os, backend.fcntl.ioctl
    r, w = os_.pipe()
    os_.close(r)
    assert errno_of(ioctl, r, FIONREAD, b"\0" * 4) == errno.EBADF
    assert errno_of(ioctl, r, FIONREAD, bytearray(4)) == errno.EBADF
    assert errno_of(ioctl, r, FIONREAD, 0) == errno.EBADF  # before the NULL pointer matters
    assert errno_of(backend.sys.ioctl, r, FIONREAD) == errno.EBADF
    # The arguments are checked before the fd.
    raises_exactly(ValueError, "ioctl string arg too long", ioctl, r, FIONREAD, b"\0" * 2000)
    raises_exactly(ValueError, "file descriptor cannot be a negative integer (-1)", ioctl, -1, FIONREAD)
    os_.close(w)
