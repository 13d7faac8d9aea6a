"""The public test suites' use of unix socketpairs, step by step (linux-epoll.md 12.5, 12.1):
epoll-shim's socketpair-test.c (every case), epoll-test.c epoll__shutdown_behavior and
epoll__simple_epollin, and the kernel selftest's "write one byte, never read" readiness.

Waits the originals make with timeout -1 use 0 here: in each of them an event is
already pending, so the answer is the same and a wrong model cannot hang the real run.
"""
from __future__ import annotations

import errno

import pytest

from epollsim.testing.backends import Backend

ADD, DEL, MOD = 1, 2, 3
IN, OUT, ERR, HUP, RDHUP = 0x1, 0x4, 0x8, 0x10, 0x2000
POLLIN, POLLOUT = 0x1, 0x4
ET = 1 << 31
EPOLL_CLOEXEC = 0o2000000
AF_UNIX, SOCK_STREAM = 1, 1
SOCK_NONBLOCK, SOCK_CLOEXEC = 0o4000, 0o2000000
SHUT_RD, SHUT_WR, SHUT_RDWR = 0, 1, 2
MSG_NOSIGNAL = 0x4000
SOL_SOCKET, SO_ERROR = 1, 4


def events(backend: Backend, ep: int, maxevents: int = 32) -> list[int]:
    return [ev for ev, _ in backend.sys.epoll_wait(ep, maxevents, 0)]


def test_simple_socketpair(backend: Backend) -> None:
    """socketpair__simple_socketpair."""
    sys = backend.sys
    p0, p1 = sys.socketpair(AF_UNIX, SOCK_STREAM, 0)
    assert sys.poll([(p0, POLLIN)], 0) == [0]
    ep = sys.epoll_create1(EPOLL_CLOEXEC)
    sys.epoll_ctl(ep, ADD, p0, IN)
    assert events(backend, ep) == []
    sys.close(ep)
    assert sys.poll([(p1, POLLOUT)], 0) == [POLLOUT]
    ep = sys.epoll_create1(EPOLL_CLOEXEC)
    sys.epoll_ctl(ep, ADD, p1, OUT)
    assert events(backend, ep) == [OUT]
    sys.close(ep)


def test_simple_edge_triggering(backend: Backend) -> None:
    """socketpair__simple_edge_triggering: twelve steps on one ET registration of p0."""
    sys = backend.sys
    p0, p1 = sys.socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0)
    ep = sys.epoll_create1(EPOLL_CLOEXEC)
    # 1. writable at ADD: one edge
    sys.epoll_ctl(ep, ADD, p0, OUT | ET)
    assert events(backend, ep) == [OUT]
    assert events(backend, ep) == []
    # 2. MOD re-arms and re-polls
    sys.epoll_ctl(ep, MOD, p0, IN | RDHUP | OUT | ET)
    assert events(backend, ep) == [OUT]
    assert events(backend, ep) == []
    # 3. a byte from the peer
    assert sys.write(p1, b"\0") == 1
    assert events(backend, ep) == [IN | OUT]
    assert events(backend, ep) == []
    # 4. read it, then EAGAIN: reading wakes nobody on p0's side
    assert sys.read(p0, 1) == b"\0"
    with pytest.raises(BlockingIOError):
        sys.read(p0, 1)
    assert events(backend, ep) == []
    # 5. the peer's SHUT_WR
    sys.shutdown(p1, SHUT_WR)
    assert events(backend, ep) == [IN | RDHUP | OUT]
    assert events(backend, ep) == []
    # 6. without IN in the interest
    sys.epoll_ctl(ep, MOD, p0, RDHUP | OUT | ET)
    assert events(backend, ep) == [RDHUP | OUT]
    assert events(backend, ep) == []
    # 7. own SHUT_RD: no new bit, still an edge
    sys.shutdown(p0, SHUT_RD)
    assert events(backend, ep) == [RDHUP | OUT]
    assert events(backend, ep) == []
    # 8. own SHUT_WR: both bits now, HUP
    sys.shutdown(p0, SHUT_WR)
    assert events(backend, ep) == [RDHUP | OUT | HUP]
    assert events(backend, ep) == []
    # 9. interest ET alone: HUP is always reported
    sys.epoll_ctl(ep, MOD, p0, ET)
    assert events(backend, ep) == [HUP]
    assert events(backend, ep) == []
    # 10. interest 0, level-triggered: HUP every time
    sys.epoll_ctl(ep, MOD, p0, 0)
    assert events(backend, ep) == [HUP]
    assert events(backend, ep) == [HUP]
    # 11. OUT, level-triggered
    sys.epoll_ctl(ep, MOD, p0, OUT)
    assert events(backend, ep) == [OUT | HUP]
    assert events(backend, ep) == [OUT | HUP]
    # 12. OUT, edge-triggered
    sys.epoll_ctl(ep, MOD, p0, OUT | ET)
    assert events(backend, ep) == [OUT | HUP]
    assert events(backend, ep) == []


def test_epollhup(backend: Backend) -> None:
    """socketpair__epollhup: registered with ET alone, only HUP can come, and only once."""
    sys = backend.sys
    p0, p1 = sys.socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0)
    ep = sys.epoll_create1(EPOLL_CLOEXEC)
    sys.epoll_ctl(ep, ADD, p0, ET)
    assert events(backend, ep, 1) == []
    sys.shutdown(p1, SHUT_WR)
    assert events(backend, ep, 1) == []
    sys.shutdown(p0, SHUT_WR)
    assert events(backend, ep, 1) == [HUP]
    assert events(backend, ep, 1) == []


def test_epollrdhup(backend: Backend) -> None:
    """socketpair__epollrdhup: RDHUP alone, level-triggered."""
    sys = backend.sys
    p0, p1 = sys.socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0)
    ep = sys.epoll_create1(EPOLL_CLOEXEC)
    sys.epoll_ctl(ep, ADD, p0, RDHUP)
    assert events(backend, ep, 1) == []
    sys.shutdown(p1, SHUT_WR)
    assert events(backend, ep, 1) == [RDHUP]
    assert events(backend, ep, 1) == [RDHUP]
    sys.shutdown(p0, SHUT_WR)
    assert events(backend, ep, 1) == [RDHUP | HUP]
    assert events(backend, ep, 1) == [RDHUP | HUP]


def test_simple_epollin_on_a_socketpair(backend: Backend) -> None:
    """epoll-test.c epoll__simple_epollin, the socketpair case."""
    sys = backend.sys
    p0, p1 = sys.socketpair(AF_UNIX, SOCK_STREAM, 0)
    ep = sys.epoll_create1(EPOLL_CLOEXEC)
    sys.epoll_ctl(ep, ADD, p0, IN, p0)
    assert sys.write(p1, b"\0") == 1
    assert sys.epoll_wait(ep, 1, 0) == [(IN, p0)]


def test_shutdown_behavior_unix(backend: Backend) -> None:
    """epoll-test.c epoll__shutdown_behavior with fd_domain_socket, every wait checked exactly.

    fds[1] is watched level-triggered for IN|OUT and reads one byte per wake-up; fds[0]
    answers with a byte five times, then with a byte and SHUT_WR; on the seventh byte
    fds[1] sends 512 bytes fds[0] will never read, fds[0] is closed and the interest
    becomes OUT. Linux then reports OUT|HUP and, as the source notes, ERR as well.
    """
    sys = backend.sys
    fds = sys.socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)
    ep = sys.epoll_create1(EPOLL_CLOEXEC)
    sys.write(fds[0], b"*")
    sys.epoll_ctl(ep, ADD, fds[1], OUT | IN, fds[1])
    seen = []
    counter = 0
    while True:
        result = sys.epoll_wait(ep, 1, 0)
        assert len(result) == 1 and result[0][1] == fds[1]
        ev = result[0][0]
        seen.append(ev)
        if ev & IN:
            assert len(sys.read(fds[1], 1)) == 1
            counter += 1
            if counter <= 5:
                sys.sendto(fds[0], b"*", MSG_NOSIGNAL)
            elif counter == 6:
                sys.sendto(fds[0], b"*", MSG_NOSIGNAL)
                sys.shutdown(fds[0], SHUT_WR)
            else:
                assert sys.sendto(fds[1], b"\0" * 512, MSG_NOSIGNAL) == 512
                sys.close(fds[0])
                sys.epoll_ctl(ep, MOD, fds[1], OUT, fds[1])
        elif ev == OUT:
            sys.sendto(fds[1], b"*", MSG_NOSIGNAL)
        else:
            break
    assert seen == [IN | OUT] * 7 + [OUT | HUP | ERR]
    assert sys.getsockopt(fds[1], SOL_SOCKET, SO_ERROR) == errno.ECONNRESET
    sys.close(fds[1])


@pytest.mark.parametrize("trigger", [0, ET], ids=["lt", "et"])
def test_kernel_selftest_unread_byte(backend: Backend, trigger: int) -> None:
    """epoll_wakeup_test.c epoll1-epoll8: one byte written to s1 and never read keeps s0
    readable; a level-triggered item is reported by every wait and poll(), an edge-triggered
    one by the first harvest only (poll() on the epoll fd does not consume it)."""
    sys = backend.sys
    s0, s1 = sys.socketpair(AF_UNIX, SOCK_STREAM, 0)
    s2, s3 = sys.socketpair(AF_UNIX, SOCK_STREAM, 0)
    e0 = sys.epoll_create(1)
    sys.epoll_ctl(e0, ADD, s0, IN | trigger)
    sys.epoll_ctl(e0, ADD, s2, IN | trigger)
    sys.write(s1, b"w")
    sys.write(s3, b"w")
    assert sys.poll([(e0, POLLIN)], 0) == [POLLIN]
    assert len(sys.epoll_wait(e0, 2, 0)) == 2
    again = 0 if trigger else 2
    assert sys.poll([(e0, POLLIN)], 0) == [POLLIN if again else 0]
    assert len(sys.epoll_wait(e0, 2, 0)) == again
    sys.write(s1, b"w")  # a second byte is a new edge for s0 alone
    assert len(sys.epoll_wait(e0, 2, 0)) == (1 if trigger else 2)
