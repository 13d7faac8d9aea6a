"""gVisor test/syscalls/linux/epoll.cc (spec 12.4): the rows with a second thread or a timed
wait, on both backends. gVisor's 200 ms and 1 s delays become 100 ms; its 16384 echo rounds
become 300."""
from __future__ import annotations

import os as _os
from typing import Any

from epollsim.testing.backends import Backend

EPOLLIN, EPOLLOUT, EPOLLHUP, EPOLLONESHOT = 0x1, 0x4, 0x10, 1 << 30
ADD, MOD = 1, 3
K_FDS_PER_EPOLL = 3
K_MAGIC_CONSTANT = 0x0102030405060708
DELAY = 0.1
NS = 1_000_000_000


def _u64(value: int) -> bytes:
    return value.to_bytes(8, "little")


def _start(backend: Backend, fn: Any) -> Any:
    t = backend.threading.Thread(target=fn)
    t.start()
    return t


def _epoll_with_eventfds(backend: Backend, mask: int) -> tuple[int, list[int]]:
    sys = backend.sys
    ep = sys.epoll_create1(0)
    eventfds = [sys.eventfd2(0, 0) for _ in range(K_FDS_PER_EPOLL)]
    for i, fd in enumerate(eventfds):
        sys.epoll_ctl(ep, ADD, fd, mask, K_MAGIC_CONSTANT + i)
    return ep, eventfds


def test_gvisor_timeout(backend: Backend) -> None:
    """gVisor EpollTest.Timeout: nothing readable; the wait returns 0, never early."""
    ep, _ = _epoll_with_eventfds(backend, EPOLLIN)
    t0 = backend.time.monotonic_ns()
    assert backend.sys.epoll_wait(ep, K_FDS_PER_EPOLL, int(DELAY * 1000)) == []
    assert backend.time.monotonic_ns() - t0 >= DELAY * NS


def test_gvisor_wait_then_unblock(backend: Backend) -> None:
    """gVisor EpollTest.WaitThenUnblock: a thread makes eventfd 0 readable while we wait forever."""
    ep, eventfds = _epoll_with_eventfds(backend, EPOLLIN)

    def writer() -> None:
        backend.time.sleep(DELAY)
        backend.sys.write(eventfds[0], _u64(1))

    t = _start(backend, writer)
    assert backend.sys.epoll_wait(ep, K_FDS_PER_EPOLL, -1) == [(EPOLLIN, K_MAGIC_CONSTANT)]
    t.join()


def test_gvisor_unblock_with_new_fd(backend: Backend) -> None:
    """gVisor EpollTest.UnblockWithNewFD: an ADD of a ready file by another thread wakes the
    waiter of an epoll that had nothing to wait for."""
    sys = backend.sys
    ep = sys.epoll_create1(0)
    efd = sys.eventfd2(0, 0)

    def adder() -> None:
        backend.time.sleep(DELAY)
        sys.epoll_ctl(ep, ADD, efd, EPOLLIN | EPOLLOUT, 0xDEADBEEFFACEFEED)

    t = _start(backend, adder)
    assert sys.epoll_wait(ep, K_FDS_PER_EPOLL, -1) == [(EPOLLOUT, 0xDEADBEEFFACEFEED)]
    t.join()


def test_gvisor_double_layer_epoll_with_a_writer_thread(backend: Backend) -> None:
    """gVisor EpollTest.DoubleLayerEpoll as written: the write comes from a thread while both
    levels wait, twice (the event in ep1 must be cleaned up by the read)."""
    sys = backend.sys
    r, w = sys.pipe2(_os.O_NONBLOCK)
    ep1 = sys.epoll_create1(0)
    sys.epoll_ctl(ep1, ADD, r, EPOLLIN | EPOLLHUP, r)
    ep2 = sys.epoll_create1(0)
    sys.epoll_ctl(ep2, ADD, ep1, EPOLLIN | EPOLLHUP, ep1)
    data = b"data\0"

    def writer() -> None:
        backend.time.sleep(DELAY)
        assert sys.write(w, data) == len(data)

    for _ in range(2):
        t = _start(backend, writer)
        assert sys.epoll_wait(ep2, 2, 5000) == [(EPOLLIN, ep1)]
        assert sys.epoll_wait(ep1, 2, 5000) == [(EPOLLIN, r)]
        assert sys.read(r, len(data)) == data
        t.join()


def test_gvisor_double_epoll_oneshot(backend: Backend) -> None:
    """gVisor DoubleEpollOneShot: two epolls each hold the client end EPOLLIN|EPOLLONESHOT; an
    echo server thread answers; two client threads take turns (a lock keeps each round whole):
    re-arm with MOD after the first round, send a request, wait on its own epoll, read the reply.
    Every wait returns exactly the one event, though the other epoll's item went stale."""
    rounds, tag = 300, 0x2202
    sys = backend.sys
    server, client = sys.socketpair(1, 1, 0)
    eps = [sys.epoll_create1(0), sys.epoll_create1(0)]
    for ep in eps:
        sys.epoll_ctl(ep, ADD, client, EPOLLIN | EPOLLONESHOT, tag)
    turn = backend.threading.Lock()
    waits: list[list[tuple[int, int]]] = []
    request, stop = b"hello\0", b"world\0"

    def echo() -> None:
        while True:
            got = sys.recvfrom(server, len(request))
            sys.sendto(server, got)
            if got == stop:
                return

    def client_thread(ep: int, n: int) -> None:
        for i in range(n):
            with turn:
                if i:
                    sys.epoll_ctl(ep, MOD, client, EPOLLIN | EPOLLONESHOT, tag)
                sys.sendto(client, request)
                waits.append(sys.epoll_wait(ep, 1, 5000))
                assert sys.recvfrom(client, len(request)) == request

    echoer = _start(backend, echo)
    clients = [backend.threading.Thread(target=client_thread, args=(ep, rounds // 2)) for ep in eps]
    for t in clients:
        t.start()
    for t in clients:
        t.join()
    sys.sendto(client, stop)
    echoer.join()
    assert sys.recvfrom(client, len(stop)) == stop
    assert waits == [[(EPOLLIN, tag)]] * rounds
