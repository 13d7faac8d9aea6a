"""Send-buffer accounting of AF_UNIX stream sockets: when EPOLLOUT goes, when EAGAIN comes,
and the EPOLLOUT / EPOLLIN wake-ups (linux-epoll.md 11.2, 13.7).

Every sent buffer (sk_buff) charges its sender its truesize: a kmalloc'd head
(512, 1024, 2048 or 4096 bytes: AF_UNIX allocations are memcg-accounted, so the
small-head cache is never used), 256 for the sk_buff, and whole pages for
anything past the 3776-byte head. A send queues buffers of at most 36544 bytes
while wmem < sndbuf (212992); the end is writable while 4 x wmem <= sndbuf.
The numbers below were measured on Linux 6.18 x86-64 and are what the model
must reproduce exactly.
"""
from __future__ import annotations

import random
from typing import Any

import pytest

from epollsim.testing.backends import Backend, make_backend

IN, OUT, RDHUP = 0x1, 0x4, 0x2000
ET = 1 << 31


def pair(backend: Backend) -> tuple[Any, Any]:
    a, b = backend.socket.socketpair()
    a.setblocking(False)
    b.setblocking(False)
    return a, b


def writable(backend: Backend, sock: Any) -> bool:
    ep = backend.select.epoll()
    try:
        ep.register(sock.fileno(), OUT)
        return bool(ep.poll(0))
    finally:
        ep.close()


def test_1024_byte_sends_lose_epollout_after_24576_bytes_and_fail_after_95232(backend: Backend) -> None:
    a, _ = pair(backend)
    sent = 0
    while writable(backend, a):
        assert a.send(b"x" * 1024) == 1024
        sent += 1024
    assert sent == 24576  # 24 buffers of 2304 bytes: 4 x (1 + 24 x 2304) > 212992
    while True:
        try:
            assert a.send(b"x" * 1024) == 1024
        except BlockingIOError:
            break
        sent += 1024
    assert sent == 95232  # 93 buffers: 93 x 2304 >= 212992


# (size of each send, bytes accepted when EPOLLOUT first went, bytes accepted before
#  EAGAIN, number of sends that succeeded, what one send of that size on a fresh pair takes)
CALIBRATION = [
    (1, 70, 278, 278, 1),
    (100, 7000, 27800, 278, 100),
    (192, 13440, 53376, 278, 192),  # the largest head in a 512-byte object
    (193, 8106, 32231, 167, 193),
    (320, 13440, 53440, 167, 320),
    (321, 13482, 53607, 167, 321),
    (700, 29400, 116900, 167, 700),
    (704, 29568, 117568, 167, 704),
    (705, 16920, 65565, 93, 705),
    (1024, 24576, 95232, 93, 1024),
    (1728, 41472, 160704, 93, 1728),
    (1729, 22477, 84721, 49, 1729),
    (2000, 26000, 98000, 49, 2000),
    (3776, 49088, 185024, 49, 3776),  # SKB_MAX_HEAD(0): the largest all-head buffer
    (3777, 41547, 166188, 44, 3777),  # all pages: an empty head, and a whole page charged
    (4288, 47168, 188672, 44, 4288),
    (4289, 42890, 171560, 40, 4289),
    (5000, 45000, 170000, 34, 5000),
    (8192, 49152, 196608, 24, 8192),
    (10000, 50000, 170000, 17, 10000),
    (32768, 65536, 229376, 7, 32768),
    (36544, 73088, 219264, 6, 36544),  # the largest buffer a send makes
    (36545, 73090, 219269, 6, 36545),
    (50000, 100000, 236544, 5, 50000),
    (65536, 65536, 233152, 4, 65536),
    (106432, 106432, 212864, 2, 106432),
    (200000, 200000, 236544, 2, 200000),
    (219264, 219264, 219264, 1, 219264),
    (219265, 219264, 219264, 1, 219264),  # a partial send
    (1000000, 219264, 219264, 1, 219264),
]


@pytest.mark.parametrize("size,out_gone,eagain,sends,one_send", CALIBRATION, ids=[str(c[0]) for c in CALIBRATION])
def test_send_buffer_accounting_matches_linux(
    backend: Backend, size: int, out_gone: int, eagain: int, sends: int, one_send: int
) -> None:
    a, _ = pair(backend)
    ep = backend.select.epoll()
    ep.register(a.fileno(), OUT)
    total, calls, gone_at = 0, 0, None
    data = b"x" * size
    while True:
        if gone_at is None and not ep.poll(0):
            gone_at = total
        try:
            n = a.send(data)
        except BlockingIOError:
            break
        total += n
        calls += 1
    assert (gone_at, total, calls) == (out_gone, eagain, sends)
    fresh, _ = pair(backend)
    assert fresh.send(data) == one_send


def test_writability_returns_once_enough_is_read(backend: Backend) -> None:
    a, b = pair(backend)
    for _ in range(30):
        a.send(b"x" * 1024)
    assert not writable(backend, a)
    for _ in range(6):
        b.recv(1024)
    assert not writable(backend, a)  # 24 buffers in flight: 4 x (1 + 24 x 2304) > 212992
    b.recv(1024)
    assert writable(backend, a)


def test_reading_a_whole_buffer_is_an_epollout_edge_each_time(backend: Backend) -> None:
    a, b = pair(backend)
    ep = backend.select.epoll()
    ep.register(a.fileno(), OUT | ET)
    assert ep.poll(0) == [(a.fileno(), OUT)]
    for chunk in (b"1" * 100, b"2" * 100, b"3" * 100):
        a.send(chunk)
    assert ep.poll(0) == []  # sending does not wake the sender
    assert b.recv(50) == b"1" * 50
    assert ep.poll(0) == []  # a partly read buffer frees nothing
    assert b.recv(50) == b"1" * 50
    assert ep.poll(0) == [(a.fileno(), OUT)]  # buffer 1 freed while writable
    assert ep.poll(0) == []
    assert b.recv(150) == b"2" * 100 + b"3" * 50
    assert ep.poll(0) == [(a.fileno(), OUT)]
    assert b.recv(150) == b"3" * 50
    assert ep.poll(0) == [(a.fileno(), OUT)]
    assert ep.poll(0) == []


def test_msg_peek_frees_nothing_and_wakes_nobody(backend: Backend) -> None:
    socket = backend.socket
    a, b = pair(backend)
    ep = backend.select.epoll()
    ep.register(a.fileno(), OUT | ET)
    assert ep.poll(0) == [(a.fileno(), OUT)]
    a.send(b"peek")
    assert b.recv(10, socket.MSG_PEEK) == b"peek"
    assert ep.poll(0) == []


def test_freeing_a_buffer_wakes_the_sender_only_once_it_is_writable(backend: Backend) -> None:
    a, b = pair(backend)
    ep = backend.select.epoll()
    ep.register(a.fileno(), OUT | ET)
    for _ in range(30):
        a.send(b"x" * 1024)
    ep.poll(0)
    assert ep.poll(0) == []
    for _ in range(6):
        b.recv(1024)  # frees a buffer each time, but leaves 24 in flight
        assert ep.poll(0) == []
    b.recv(1024)
    assert ep.poll(0) == [(a.fileno(), OUT)]


def test_every_send_is_an_epollin_edge_even_with_data_queued(backend: Backend) -> None:
    a, b = pair(backend)
    ep = backend.select.epoll()
    ep.register(b.fileno(), IN | ET)
    assert ep.poll(0) == []
    a.send(b"one")
    assert ep.poll(0) == [(b.fileno(), IN)]
    assert ep.poll(0) == []
    a.send(b"two")  # unread data is still queued: a new edge all the same
    assert ep.poll(0) == [(b.fileno(), IN)]
    a.send(b"")  # an empty send queues no buffer and wakes nobody
    assert ep.poll(0) == []
    a.send(b"x" * 100000)  # three buffers, three wake-ups, one event
    assert ep.poll(0) == [(b.fileno(), IN)]
    assert ep.poll(0) == []
    b.send(b"the other way")  # not an event for b's own reading side
    assert ep.poll(0) == []


def test_partial_read_is_no_epollin_edge(backend: Backend) -> None:
    a, b = pair(backend)
    ep = backend.select.epoll()
    ep.register(b.fileno(), IN | ET)
    a.send(b"abcdef")
    assert ep.poll(0) == [(b.fileno(), IN)]
    b.recv(2)
    assert ep.poll(0) == []


def test_so_sndbuf_is_doubled_with_a_floor(backend: Backend) -> None:
    socket = backend.socket
    a, _ = pair(backend)
    SOL, SNDBUF, RCVBUF = socket.SOL_SOCKET, socket.SO_SNDBUF, socket.SO_RCVBUF
    assert a.getsockopt(SOL, SNDBUF) == 212992
    assert a.getsockopt(SOL, RCVBUF) == 212992
    a.setsockopt(SOL, SNDBUF, 4096)
    assert a.getsockopt(SOL, SNDBUF) == 8192
    a.setsockopt(SOL, SNDBUF, 1)
    assert a.getsockopt(SOL, SNDBUF) == 4608  # SOCK_MIN_SNDBUF
    a.setsockopt(SOL, RCVBUF, 1)
    assert a.getsockopt(SOL, RCVBUF) == 2304  # SOCK_MIN_RCVBUF
    a.setsockopt(SOL, SNDBUF, 50000)
    assert a.getsockopt(SOL, SNDBUF) == 100000
    a.setsockopt(SOL, SNDBUF, b"\x00\x10\x00\x00")  # a buffer holding a native int
    assert a.getsockopt(SOL, SNDBUF) == 8192


def test_a_small_sndbuf_limits_each_buffer_and_the_total(backend: Backend) -> None:
    socket = backend.socket
    a, b = pair(backend)
    a.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 4096)  # sndbuf 8192
    # buffers of at most sndbuf / 2 - 64 = 4032 bytes, queued while wmem < 8192
    assert a.send(b"x" * 100000) == 8064
    with pytest.raises(BlockingIOError):
        a.send(b"x")
    assert len(b.recv(100000)) == 8064


def test_raising_so_sndbuf_wakes_writers(backend: Backend) -> None:
    socket = backend.socket
    a, _ = pair(backend)
    ep = backend.select.epoll()
    ep.register(a.fileno(), OUT | ET)
    a.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 4096)
    assert ep.poll(0) == [(a.fileno(), OUT)]
    a.send(b"y" * 3000)  # 4352 charged: 4 x 4353 > 8192
    assert ep.poll(0) == []
    a.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 4096)  # not writable: no wake-up
    assert ep.poll(0) == []
    a.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 50000)
    assert ep.poll(0) == [(a.fileno(), OUT)]


def test_setsockopt_errors(backend: Backend) -> None:
    socket = backend.socket
    a, _ = pair(backend)
    with pytest.raises(OSError) as info:
        a.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, b"\x01")  # shorter than an int
    assert info.value.errno == 22
    with pytest.raises(OSError) as info:
        a.setsockopt(6, 1, 1)  # IPPROTO_TCP level on a unix socket
    assert info.value.errno == 95
    with pytest.raises(OSError) as info:
        a.setsockopt(socket.SOL_SOCKET, 999, 1)
    assert info.value.errno == 92


def _traffic(backend: Backend, seed: int) -> list[Any]:
    """A reproducible mix of sends, reads and peeks, with both ends' masks after each step."""
    rng = random.Random(seed)
    socket = backend.socket
    a, b = pair(backend)
    ep = backend.select.epoll()
    ep.register(a.fileno(), IN | OUT | RDHUP | ET)
    ep.register(b.fileno(), IN | OUT | RDHUP | ET)
    names = {a.fileno(): "a", b.fileno(): "b"}
    trace: list[Any] = []
    for _ in range(300):
        src, dst = (a, b) if rng.random() < 0.7 else (b, a)
        op = rng.random()
        try:
            if op < 0.5:
                size = rng.choice([1, 100, 700, 1024, 3776, 3777, 5000, 40000, rng.randrange(1, 80000)])
                result: Any = src.send(b"z" * size)
            elif op < 0.9:
                result = len(dst.recv(rng.choice([1, 50, 1024, 4096, 65536])))
            else:
                result = len(dst.recv(rng.randrange(1, 5000), socket.MSG_PEEK))
        except BlockingIOError:
            result = "EAGAIN"
        events = sorted((names[fd], ev) for fd, ev in ep.poll(0))
        trace.append((result, events))
    return trace


@pytest.mark.parametrize("seed", range(4))
def test_random_traffic_gives_the_same_results_and_edges_as_linux(seed: int) -> None:
    """Differential: the same program on both backends, step by step."""
    real, model = make_backend("real"), make_backend("model")
    try:
        assert _traffic(model, seed) == _traffic(real, seed)
    finally:
        real.cleanup()
        model.cleanup()
