"""Calls on a socket with a positive timeout (CPython sock_call_ex: poll() first, then the call).

The timeouts are tiny so the real kernel spends at most a few hundredths of a
second; the model jumps its virtual clock instead (tests/unit/test_socket_timeout.py).
"""
from __future__ import annotations

from typing import Any

import pytest

from epollsim.testing.backends import Backend

TINY = 0.01


def timed_pair(backend: Backend) -> tuple[Any, Any]:
    a, b = backend.socket.socketpair()
    a.settimeout(TINY)
    b.settimeout(TINY)
    return a, b


def test_recv_on_an_empty_socket_times_out(backend: Backend) -> None:
    a, _ = timed_pair(backend)
    with pytest.raises(TimeoutError) as info:
        a.recv(10)
    assert info.value.args == ("timed out",)
    assert info.value.errno is None
    assert isinstance(info.value, backend.socket.timeout)


def test_recv_into_and_recvfrom_time_out_too(backend: Backend) -> None:
    a, _ = timed_pair(backend)
    with pytest.raises(TimeoutError, match=r"^timed out$"):
        a.recv_into(bytearray(4))
    with pytest.raises(TimeoutError, match=r"^timed out$"):
        a.recvfrom(4)


def test_recv_with_a_timeout_returns_what_is_there(backend: Backend) -> None:
    a, b = timed_pair(backend)
    b.send(b"ready")
    assert a.recv(100) == b"ready"


def test_recv_zero_with_a_timeout_does_not_wait(backend: Backend) -> None:
    a, _ = timed_pair(backend)
    assert a.recv(0) == b""


def test_recv_with_a_timeout_sees_end_of_file_and_errors(backend: Backend) -> None:
    a, b = timed_pair(backend)
    a.send(b"unread")
    b.close()
    with pytest.raises(ConnectionResetError):
        a.recv(10)
    assert a.recv(10) == b""


def test_timed_send_waits_for_epollout_not_for_memory(backend: Backend) -> None:
    a, b = timed_pair(backend)
    for _ in range(24):
        assert a.send(b"x" * 1024) == 1024
    # poll() says not writable (4 x wmem > sndbuf) although the kernel would still take
    # data, and CPython asks poll() first: the send times out.
    with pytest.raises(TimeoutError, match=r"^timed out$"):
        a.send(b"x")
    b.recv(1024)
    assert a.send(b"x") == 1


def test_timed_sendall_times_out_when_the_buffer_stays_full(backend: Backend) -> None:
    a, b = timed_pair(backend)
    with pytest.raises(TimeoutError, match=r"^timed out$"):
        a.sendall(b"x" * 300000)
    received = 0
    b.setblocking(False)
    while True:
        try:
            received += len(b.recv(1 << 20))
        except BlockingIOError:
            break
    assert received == 219264  # the first send took what fit; then poll() never said OUT


def test_timed_send_after_shutdown_is_epipe_not_a_timeout(backend: Backend) -> None:
    a, _ = timed_pair(backend)
    a.shutdown(backend.socket.SHUT_WR)
    with pytest.raises(BrokenPipeError):
        a.send(b"x")
