"""Moving bytes through an AF_UNIX stream socketpair: send, recv, recv_into, sendall, flags.

(net/unix/af_unix.c unix_stream_sendmsg / unix_stream_read_generic; CPython
Modules/socketmodule.c sock_recv, sock_recv_into, sock_sendall.)
"""
from __future__ import annotations

import errno
from typing import Any

import pytest

from epollsim.testing.backends import Backend


def nonblocking_pair(backend: Backend) -> tuple[Any, Any]:
    a, b = backend.socket.socketpair()
    a.setblocking(False)
    b.setblocking(False)
    return a, b


def drain(sock: Any) -> bytes:
    parts = []
    while True:
        try:
            chunk = sock.recv(1 << 20)
        except BlockingIOError:
            return b"".join(parts)
        if not chunk:
            return b"".join(parts)
        parts.append(chunk)


def test_send_returns_the_count_and_the_peer_receives_the_bytes(backend: Backend) -> None:
    a, b = nonblocking_pair(backend)
    assert a.send(b"hello") == 5
    assert b.recv(100) == b"hello"


def test_sockets_are_bidirectional(backend: Backend) -> None:
    a, b = nonblocking_pair(backend)
    b.send(b"pong")
    a.send(b"ping")
    assert a.recv(10) == b"pong"
    assert b.recv(10) == b"ping"


def test_recv_reads_across_several_sent_buffers(backend: Backend) -> None:
    a, b = nonblocking_pair(backend)
    for chunk in (b"ab", b"cd", b"ef"):
        a.send(chunk)
    assert b.recv(5) == b"abcde"
    assert b.recv(5) == b"f"


def test_partial_read_leaves_the_rest_of_the_buffer_queued(backend: Backend) -> None:
    a, b = nonblocking_pair(backend)
    a.send(b"hello world")
    assert b.recv(2) == b"he"
    assert b.recv(3) == b"llo"
    assert b.recv(100) == b" world"


def test_recv_on_empty_nonblocking_socket_is_eagain(backend: Backend) -> None:
    a, _ = nonblocking_pair(backend)
    with pytest.raises(BlockingIOError) as info:
        a.recv(10)
    assert info.value.errno == errno.EAGAIN
    assert info.value.strerror == "Resource temporarily unavailable"


def test_msg_dontwait_on_blocking_socket_is_eagain(backend: Backend) -> None:
    socket = backend.socket
    a, b = socket.socketpair()
    assert a.getblocking()
    with pytest.raises(BlockingIOError) as info:
        a.recv(10, socket.MSG_DONTWAIT)
    assert info.value.errno == errno.EAGAIN
    b.send(b"x")
    assert a.recv(10, socket.MSG_DONTWAIT) == b"x"


def test_msg_dontwait_send_on_full_blocking_socket_is_eagain(backend: Backend) -> None:
    socket = backend.socket
    a, _ = socket.socketpair()
    assert a.send(b"x" * 300000, socket.MSG_DONTWAIT) == 219264
    with pytest.raises(BlockingIOError) as info:
        a.send(b"x", socket.MSG_DONTWAIT)
    assert info.value.errno == errno.EAGAIN


def test_msg_dontwait_raw_call_on_empty_socket_is_eagain(backend: Backend) -> None:
    sys, socket = backend.sys, backend.socket
    a, _ = sys.socketpair(socket.AF_UNIX, socket.SOCK_STREAM, 0)
    with pytest.raises(BlockingIOError):
        sys.recvfrom(a, 10, socket.MSG_DONTWAIT)
    with pytest.raises(BlockingIOError):  # a zero-length recv is not short-cut by the kernel
        sys.recvfrom(a, 0, socket.MSG_DONTWAIT)


def test_msg_peek_reads_across_buffers_and_consumes_nothing(backend: Backend) -> None:
    socket = backend.socket
    a, b = nonblocking_pair(backend)
    for chunk in (b"ab", b"cd", b"ef"):
        a.send(chunk)
    assert b.recv(3, socket.MSG_PEEK) == b"abc"
    assert b.recv(1) == b"a"
    assert b.recv(10, socket.MSG_PEEK) == b"bcdef"
    assert b.recv(2, socket.MSG_PEEK) == b"bc"
    assert b.recv(100) == b"bcdef"


def test_msg_peek_on_empty_socket_is_eagain(backend: Backend) -> None:
    socket = backend.socket
    a, _ = nonblocking_pair(backend)
    with pytest.raises(BlockingIOError):
        a.recv(5, socket.MSG_PEEK)


def test_msg_peek_after_peer_shut_wr_sees_data_then_end_of_file(backend: Backend) -> None:
    socket = backend.socket
    a, b = nonblocking_pair(backend)
    a.send(b"xy")
    a.shutdown(socket.SHUT_WR)
    assert b.recv(10, socket.MSG_PEEK) == b"xy"
    assert b.recv(10, socket.MSG_PEEK) == b"xy"
    assert b.recv(10) == b"xy"
    assert b.recv(10) == b""
    assert b.recv(10, socket.MSG_PEEK) == b""


def test_recv_zero_returns_empty_bytes_and_consumes_nothing(backend: Backend) -> None:
    a, b = nonblocking_pair(backend)
    assert b.recv(0) == b""  # CPython answers a zero-length recv itself, even on an empty socket
    a.send(b"abc")
    assert b.recv(0) == b""
    assert b.recv(10) == b"abc"


def test_recv_negative_bufsize_is_value_error(backend: Backend) -> None:
    a, _ = nonblocking_pair(backend)
    with pytest.raises(ValueError, match=r"^negative buffersize in recv$"):
        a.recv(-1)


def test_recv_bufsize_must_be_an_integer(backend: Backend) -> None:
    a, _ = nonblocking_pair(backend)
    with pytest.raises(TypeError, match=r"^'float' object cannot be interpreted as an integer$"):
        a.recv(1.5)
    with pytest.raises(OverflowError, match=r"^Python int too large to convert to C ssize_t$"):
        a.recv(-(2**70))


def test_recv_flags_out_of_c_int_range_is_overflow_error(backend: Backend) -> None:
    a, _ = nonblocking_pair(backend)
    with pytest.raises(OverflowError, match=r"^signed integer is greater than maximum$"):
        a.recv(4, 2**40)
    with pytest.raises(OverflowError, match=r"^signed integer is less than minimum$"):
        a.recv(4, -(2**40))


def test_recv_into_fills_the_buffer_and_returns_the_count(backend: Backend) -> None:
    a, b = nonblocking_pair(backend)
    a.send(b"abc")
    buf = bytearray(5)
    assert b.recv_into(buf) == 3
    assert buf == bytearray(b"abc\0\0")


def test_recv_into_with_nbytes_reads_at_most_nbytes(backend: Backend) -> None:
    a, b = nonblocking_pair(backend)
    a.send(b"abcdef")
    buf = bytearray(b"......")
    assert b.recv_into(buf, 2) == 2
    assert buf == bytearray(b"ab....")
    view = memoryview(buf)[2:]
    assert b.recv_into(view, flags=0) == 4
    assert buf == bytearray(b"abcdef")


def test_recv_into_empty_buffer_returns_zero(backend: Backend) -> None:
    _, b = nonblocking_pair(backend)
    assert b.recv_into(bytearray(0)) == 0


def test_recv_into_errors(backend: Backend) -> None:
    _, b = nonblocking_pair(backend)
    with pytest.raises(ValueError, match=r"^negative buffersize in recv_into$"):
        b.recv_into(bytearray(2), -1)
    with pytest.raises(ValueError, match=r"^buffer too small for requested bytes$"):
        b.recv_into(bytearray(2), 5)
    with pytest.raises(TypeError) as info:
        b.recv_into(b"xyz")
    assert str(info.value) == "recv_into() argument 1 must be read-write bytes-like object, not bytes"
    with pytest.raises(TypeError) as info:
        b.recv_into("abc")
    assert str(info.value) == "recv_into() argument 1 must be read-write bytes-like object, not str"
    with pytest.raises(BlockingIOError):
        b.recv_into(bytearray(4))


def test_send_str_is_type_error(backend: Backend) -> None:
    a, _ = nonblocking_pair(backend)
    with pytest.raises(TypeError, match=r"^a bytes-like object is required, not 'str'$"):
        a.send("abc")
    with pytest.raises(TypeError, match=r"^a bytes-like object is required, not 'str'$"):
        a.sendall("abc")


def test_send_accepts_any_bytes_like_object(backend: Backend) -> None:
    a, b = nonblocking_pair(backend)
    assert a.send(bytearray(b"ab")) == 2
    assert a.send(memoryview(b"xcdx")[1:3]) == 2
    assert b.recv(10) == b"abcd"


def test_send_empty_bytes_returns_zero_and_queues_nothing(backend: Backend) -> None:
    a, b = nonblocking_pair(backend)
    assert a.send(b"") == 0
    with pytest.raises(BlockingIOError):
        b.recv(10)


def test_nonblocking_send_of_a_large_buffer_returns_a_partial_count(backend: Backend) -> None:
    a, b = nonblocking_pair(backend)
    # Buffers of at most 36544 bytes are queued while less than sndbuf (212992) is in
    # flight: six of them (6 x 37120 bytes charged) before the check fails.
    assert a.send(b"x" * 300000) == 219264
    with pytest.raises(BlockingIOError) as info:
        a.send(b"x")
    assert info.value.errno == errno.EAGAIN
    assert len(drain(b)) == 219264


def test_sendall_sends_everything_when_it_fits(backend: Backend) -> None:
    a, b = nonblocking_pair(backend)
    assert a.sendall(b"x" * 100000) is None
    assert drain(b) == b"x" * 100000


def test_sendall_on_nonblocking_socket_raises_after_sending_what_fits(backend: Backend) -> None:
    a, b = nonblocking_pair(backend)
    with pytest.raises(BlockingIOError):
        a.sendall(b"x" * 300000)
    assert len(drain(b)) == 219264


def test_data_sent_before_close_is_still_readable(backend: Backend) -> None:
    a, b = nonblocking_pair(backend)
    a.send(b"last words")
    a.close()
    assert b.recv(4) == b"last"
    assert b.recv(100) == b" words"
    assert b.recv(100) == b""
    assert b.recv(100) == b""


def test_recvfrom_zero_is_a_real_call_unlike_recv_zero(backend: Backend) -> None:
    a, b = nonblocking_pair(backend)
    with pytest.raises(BlockingIOError):
        b.recvfrom(0)  # CPython short-cuts recv(0) and recv_into, not recvfrom
    with pytest.raises(BlockingIOError):
        b.recvfrom_into(bytearray(0))
    a.send(b"abc")
    assert b.recvfrom(0) == (b"", None)
    assert b.recvfrom_into(bytearray(0)) == (0, None)
    assert b.recv(10) == b"abc"


def test_recvfrom_errors(backend: Backend) -> None:
    _, b = nonblocking_pair(backend)
    with pytest.raises(ValueError, match=r"^negative buffersize in recvfrom$"):
        b.recvfrom(-1)
    with pytest.raises(ValueError, match=r"^negative buffersize in recvfrom_into$"):
        b.recvfrom_into(bytearray(2), -1)
    with pytest.raises(ValueError, match=r"^nbytes is greater than the length of the buffer$"):
        b.recvfrom_into(bytearray(2), 5)
    with pytest.raises(TypeError) as info:
        b.recvfrom_into(b"xx")
    assert str(info.value) == "recvfrom_into() argument 1 must be read-write bytes-like object, not bytes"


def test_sendto_checks_the_address_then_is_eisconn(backend: Backend) -> None:
    a, _ = nonblocking_pair(backend)
    for call in (lambda: a.sendto(b"x", "/no/such/path"), lambda: a.sendto(b"x", 0, b"\0abstract"),
                 lambda: a.sendmsg([b"x"], [], 0, b"\0abstract")):
        with pytest.raises(OSError) as info:
            call()
        assert info.value.errno == errno.EISCONN
    with pytest.raises(TypeError, match=r"^a bytes-like object is required, not 'int'$"):
        a.sendto(b"x", 5)
    with pytest.raises(TypeError, match=r"^a bytes-like object is required, not 'str'$"):
        a.sendto("x", b"\0abstract")
