"""LTP testcases/kernel/syscalls/epoll_create*, epoll_ctl*, epoll_wait*, epoll_pwait02, on both backends.

Spec: linux-epoll.md 12.3. Raw calls go through ``backend.sys`` (``data`` is the u64 of
``struct epoll_event``, ``events=None`` is a NULL event pointer). Where LTP blocks with
timeout -1 on something already ready, these tests use timeout 0: the answer is the same
and a wrong model cannot hang the suite.
"""
from __future__ import annotations

import errno
import fcntl as _fcntl
import itertools
import os as _os
import select as _select
from collections.abc import Callable

import pytest

from epollsim.testing.backends import Backend

EPOLLIN, EPOLLOUT, EPOLLPRI = _select.EPOLLIN, _select.EPOLLOUT, _select.EPOLLPRI
EPOLLERR, EPOLLHUP, EPOLLRDHUP = _select.EPOLLERR, _select.EPOLLHUP, _select.EPOLLRDHUP
EPOLLET, EPOLLONESHOT = _select.EPOLLET, _select.EPOLLONESHOT
ADD, DEL, MOD = 1, 2, 3  # EPOLL_CTL_* (include/uapi/linux/eventpoll.h)
EPOLL_CLOEXEC = _select.EPOLL_CLOEXEC
INT_MAX = 0x7FFFFFFF
AF_UNIX, SOCK_STREAM = 1, 1  # include/linux/socket.h, net.h
F_GETFD, FD_CLOEXEC, F_SETPIPE_SZ = _fcntl.F_GETFD, _fcntl.FD_CLOEXEC, _fcntl.F_SETPIPE_SZ
O_NONBLOCK, O_RDONLY = _os.O_NONBLOCK, _os.O_RDONLY


def _errno(call: Callable[..., object], *args: object) -> int:
    """The errno of the OSError that ``call(*args)`` raises."""
    with pytest.raises(OSError) as info:
        call(*args)
    assert info.value.errno is not None
    return info.value.errno


# -- epoll_create, epoll_create1 -------------------------------------------------------


def test_ltp_epoll_create01_any_positive_size_works(backend: Backend) -> None:
    """LTP epoll_create01."""
    assert backend.sys.epoll_create(1) >= 0
    assert backend.sys.epoll_create(INT_MAX) >= 0


@pytest.mark.parametrize("size", [0, -1])
def test_ltp_epoll_create02_nonpositive_size_is_einval(backend: Backend, size: int) -> None:
    """LTP epoll_create02."""
    assert _errno(backend.sys.epoll_create, size) == errno.EINVAL


def test_ltp_epoll_create1_01_cloexec_flag_sets_fd_cloexec(backend: Backend) -> None:
    """LTP epoll_create1_01."""
    plain = backend.sys.epoll_create1(0)
    cloexec = backend.sys.epoll_create1(EPOLL_CLOEXEC)
    assert backend.fcntl.fcntl(plain, F_GETFD) & FD_CLOEXEC == 0
    assert backend.fcntl.fcntl(cloexec, F_GETFD) & FD_CLOEXEC == FD_CLOEXEC


@pytest.mark.parametrize("flags", [-1, EPOLL_CLOEXEC + 1])
def test_ltp_epoll_create1_02_invalid_flags_are_einval(backend: Backend, flags: int) -> None:
    """LTP epoll_create1_02."""
    assert _errno(backend.sys.epoll_create1, flags) == errno.EINVAL


# -- epoll_ctl ------------------------------------------------------------------------


def test_ltp_epoll_ctl01_add_mod_del_observed_through_wait(backend: Backend) -> None:
    """LTP epoll_ctl01."""
    sys = backend.sys
    r, w = sys.pipe2(O_NONBLOCK)
    e = sys.epoll_create(2)
    msg = b"test\0"
    sys.epoll_ctl(e, ADD, r, EPOLLIN, r)
    sys.epoll_ctl(e, ADD, w, EPOLLIN, w)  # a write end is never readable
    assert sys.write(w, msg) == 5
    assert sys.epoll_wait(e, 2, 0) == [(EPOLLIN, r)]
    assert sys.read(r, 5) == msg
    sys.epoll_ctl(e, MOD, w, EPOLLOUT, w)
    assert sys.write(w, msg) == 5
    # r stayed queued (level-triggered) ahead of w, which MOD queued.
    assert sys.epoll_wait(e, 2, 0) == [(EPOLLIN, r), (EPOLLOUT, w)]
    assert sys.read(r, 5) == msg
    sys.epoll_ctl(e, DEL, w, EPOLLOUT)
    assert sys.write(w, msg) == 5
    assert sys.epoll_wait(e, 2, 0) == [(EPOLLIN, r)]
    assert sys.read(r, 5) == msg
    sys.epoll_ctl(e, DEL, r, EPOLLIN)
    assert sys.epoll_wait(e, 2, 0) == []


def test_ltp_epoll_ctl02_errors(backend: Backend) -> None:
    """LTP epoll_ctl02 (the directory fd is /dev/null here: the model has no directories)."""
    sys = backend.sys
    r, w = sys.pipe2(0)
    e = sys.epoll_create(2)
    sys.epoll_ctl(e, ADD, r, EPOLLIN, r)
    null = backend.os.open("/dev/null", O_RDONLY)
    assert _errno(sys.epoll_ctl, -1, ADD, w, EPOLLIN) == errno.EBADF
    assert _errno(sys.epoll_ctl, e, ADD, null, EPOLLIN) == errno.EPERM
    assert _errno(sys.epoll_ctl, e, ADD, -1, EPOLLIN) == errno.EBADF
    assert _errno(sys.epoll_ctl, e, -1, w, EPOLLIN) == errno.EINVAL
    assert _errno(sys.epoll_ctl, e, ADD, e, EPOLLIN) == errno.EINVAL
    assert _errno(sys.epoll_ctl, e, ADD, w, None) == errno.EFAULT
    assert _errno(sys.epoll_ctl, e, DEL, w, EPOLLIN) == errno.ENOENT
    assert _errno(sys.epoll_ctl, e, MOD, w, EPOLLIN) == errno.ENOENT
    assert _errno(sys.epoll_ctl, e, ADD, r, EPOLLIN) == errno.EEXIST


def test_ltp_epoll_ctl03_mod_accepts_every_combination_of_eight_bits(backend: Backend) -> None:
    """LTP epoll_ctl03."""
    sys = backend.sys
    r, _ = sys.pipe2(0)
    e = sys.epoll_create(1)
    sys.epoll_ctl(e, ADD, r, EPOLLIN, r)
    bits = [EPOLLIN, EPOLLOUT, EPOLLPRI, EPOLLERR, EPOLLHUP, EPOLLET, EPOLLONESHOT, EPOLLRDHUP]
    for combo in range(256):
        mask = sum(bit for i, bit in enumerate(bits) if combo >> i & 1)
        sys.epoll_ctl(e, MOD, r, mask, r)


def _chain_of_five(backend: Backend) -> tuple[int, list[int]]:
    """pipe read end in ep1, ep1 in ep2, ..., ep4 in ep5 (every ADD succeeds)."""
    sys = backend.sys
    r, _ = sys.pipe2(0)
    eps = [sys.epoll_create(1) for _ in range(5)]
    sys.epoll_ctl(eps[0], ADD, r, EPOLLIN, r)
    for inner, outer in itertools.pairwise(eps):
        sys.epoll_ctl(outer, ADD, inner, EPOLLIN, inner)
    return r, eps


def test_ltp_epoll_ctl04_sixth_level_of_nesting_is_eloop(backend: Backend) -> None:
    """LTP epoll_ctl04 (EINVAL on kernels before the 2025 depth rule; ELOOP since, as on this host)."""
    _, eps = _chain_of_five(backend)
    ep6 = backend.sys.epoll_create(1)
    assert _errno(backend.sys.epoll_ctl, ep6, ADD, eps[4], EPOLLIN) == errno.ELOOP


def test_ltp_epoll_ctl05_closing_a_chain_into_a_cycle_is_eloop(backend: Backend) -> None:
    """LTP epoll_ctl05."""
    r, eps = _chain_of_five(backend)
    backend.sys.epoll_ctl(eps[0], DEL, r, EPOLLIN)
    assert _errno(backend.sys.epoll_ctl, eps[0], ADD, eps[4], EPOLLIN) == errno.ELOOP


@pytest.mark.parametrize("kind", ["pipe read end", "pipe write end", "socket", "eventfd", "epoll"])
def test_ltp_epoll_ctl06_pollable_kinds_are_accepted(backend: Backend, kind: str) -> None:
    """LTP epoll_ctl06, the kinds the model has."""
    sys = backend.sys
    if kind.startswith("pipe"):
        r, w = sys.pipe2(0)
        fd = r if kind == "pipe read end" else w
    elif kind == "socket":
        fd, _ = sys.socketpair(AF_UNIX, SOCK_STREAM, 0)
    elif kind == "eventfd":
        fd = sys.eventfd2(0, 0)
    else:
        fd = sys.epoll_create1(0)
    e = sys.epoll_create1(0)
    sys.epoll_ctl(e, ADD, fd, EPOLLIN, fd)


def test_ltp_epoll_ctl06_dev_null_is_eperm(backend: Backend) -> None:
    """LTP epoll_ctl06 (a file without a poll method; a regular file cannot be opened on the model)."""
    null = backend.os.open("/dev/null", O_RDONLY)
    e = backend.sys.epoll_create1(0)
    assert _errno(backend.sys.epoll_ctl, e, ADD, null, EPOLLIN) == errno.EPERM


def test_ltp_epoll_ctl07_two_instance_cycle_is_eloop(backend: Backend) -> None:
    """LTP epoll_ctl07."""
    sys = backend.sys
    ep_a, ep_b = sys.epoll_create1(0), sys.epoll_create1(0)
    sys.epoll_ctl(ep_a, ADD, ep_b, EPOLLIN)
    assert _errno(sys.epoll_ctl, ep_b, ADD, ep_a, EPOLLIN) == errno.ELOOP


# -- epoll_wait -----------------------------------------------------------------------


def test_ltp_epoll_wait01_out_then_in_then_both(backend: Backend) -> None:
    """LTP epoll_wait01 (its three cases run in order on one setup)."""
    sys = backend.sys
    r, w = sys.pipe2(O_NONBLOCK)
    chunk = b"a" * 4096
    capacity = 0
    while True:  # get_writesize: write pages until poll() says the pipe is full
        capacity += sys.write(w, chunk)
        if not sys.poll([(w, _select.POLLOUT)], 0)[0]:
            break
    assert capacity == 65536
    assert len(sys.read(r, capacity)) == capacity
    e = sys.epoll_create(3)
    sys.epoll_ctl(e, ADD, r, EPOLLIN, r)
    sys.epoll_ctl(e, ADD, w, EPOLLOUT, w)
    # Case 1: only the write end is ready.
    assert sys.epoll_wait(e, 1, 0) == [(EPOLLOUT, w)]
    # Case 2: fill the pipe; the queued write end is stale and dropped, the read end reported.
    assert sys.write(w, b"a" * capacity) == capacity
    assert sys.epoll_wait(e, 1, 0) == [(EPOLLIN, r)]
    assert len(sys.read(r, capacity)) == capacity
    # Case 3: a small write makes both ends ready.
    assert sys.write(w, b"Testing\0") == 8
    assert sys.epoll_wait(e, 2, 0) == [(EPOLLIN, r), (EPOLLOUT, w)]
    assert sys.read(r, 8) == b"Testing\0"


def test_ltp_epoll_wait03_errors(backend: Backend) -> None:
    """LTP epoll_wait03 (a pipe instead of stdin as the non-epoll fd)."""
    # The EFAULT case (events on a read-only page) needs a user pointer: not applicable here.
    sys = backend.sys
    r, w = sys.pipe2(0)
    e = sys.epoll_create(1)
    sys.epoll_ctl(e, ADD, w, EPOLLOUT, w)  # always ready
    assert _errno(sys.epoll_wait, -1, 1, 0) == errno.EBADF
    assert _errno(sys.epoll_wait, r, 1, 0) == errno.EINVAL
    assert _errno(sys.epoll_wait, e, -1, 0) == errno.EINVAL
    assert _errno(sys.epoll_wait, e, 0, 0) == errno.EINVAL


def test_ltp_epoll_wait04_zero_timeout_returns_at_once(backend: Backend) -> None:
    """LTP epoll_wait04."""
    sys = backend.sys
    r, _ = sys.pipe2(0)
    e = sys.epoll_create(1)
    sys.epoll_ctl(e, ADD, r, EPOLLIN, r)
    assert sys.epoll_wait(e, 1, 0) == []


def test_ltp_epoll_wait06_edge_triggered_pipe_in_and_out(backend: Backend) -> None:
    """LTP epoll_wait06."""
    sys = backend.sys
    r, w = sys.pipe2(O_NONBLOCK)
    assert backend.fcntl.fcntl(w, F_SETPIPE_SZ, 4096) == 4096  # one slot
    e = sys.epoll_create1(0)
    sys.epoll_ctl(e, ADD, r, EPOLLIN | EPOLLET, r)
    sys.epoll_ctl(e, ADD, w, EPOLLOUT | EPOLLET, w)
    buff = b"a" * 4096
    assert sys.write(w, buff) == 4096
    assert _errno(sys.write, w, buff) == errno.EAGAIN
    got = sys.epoll_wait(e, 1, 0)
    assert len(got) == 1 and got[0][1] == r and got[0][0] & EPOLLIN
    assert sys.read(r, 2048) == buff[:2048]
    assert sys.epoll_wait(e, 1, 0) == []
    assert sys.read(r, 2048) == buff[:2048]
    assert _errno(sys.read, r, 2048) == errno.EAGAIN
    got = sys.epoll_wait(e, 1, 0)
    assert len(got) == 1 and got[0][1] == w and got[0][0] & EPOLLOUT


def test_ltp_epoll_wait07_oneshot_disarms_after_first_event(backend: Backend) -> None:
    """LTP epoll_wait07."""
    sys = backend.sys
    r, w = sys.pipe2(O_NONBLOCK)
    e = sys.epoll_create1(0)
    sys.epoll_ctl(e, ADD, r, EPOLLIN | EPOLLONESHOT, r)
    assert sys.write(w, b"x") == 1
    assert sys.epoll_wait(e, 10, 0) == [(EPOLLIN, r)]
    assert sys.read(r, 1) == b"x"
    assert sys.epoll_wait(e, 10, 0) == []
    assert sys.write(w, b"x") == 1
    assert sys.epoll_wait(e, 10, 0) == []


@pytest.mark.parametrize("depth", [2, 3, 4, 5])
def test_ltp_epoll_wait09_nested_chain_reports_inner_fd_at_every_level(backend: Backend, depth: int) -> None:
    """LTP epoll_wait09."""
    sys = backend.sys
    r, w = sys.pipe2(O_NONBLOCK)
    eps = [sys.epoll_create1(0) for _ in range(depth)]
    sys.epoll_ctl(eps[0], ADD, r, EPOLLIN, r)
    for inner, outer in itertools.pairwise(eps):
        sys.epoll_ctl(outer, ADD, inner, EPOLLIN, inner)
    assert sys.write(w, b"x") == 1
    for level in reversed(range(depth)):
        got = sys.epoll_wait(eps[level], 1, 0)
        assert len(got) == 1
        events, data = got[0]
        assert data == (eps[level - 1] if level else r)
        assert events & EPOLLIN


def test_ltp_epoll_wait13_stale_items_dont_count_against_maxevents(backend: Backend) -> None:
    """LTP epoll_wait13."""
    sys = backend.sys
    e = sys.epoll_create1(0)
    ready = [sys.pipe2(0) for _ in range(13)]
    quiet = [sys.pipe2(0) for _ in range(5)]
    for tag, (r, _) in enumerate(ready + quiet):  # quiet pipes get tags 13..17
        sys.epoll_ctl(e, ADD, r, EPOLLIN, tag)
    for _, w in ready:
        assert sys.write(w, b"x") == 1
    seen: list[int] = []
    returns = []
    while len(seen) < 13:
        got = sys.epoll_wait(e, 3, 0)
        returns.append(len(got))
        for _, tag in got:
            assert tag < 13 and tag not in seen
            seen.append(tag)
            assert sys.read(ready[tag][0], 1) == b"x"
    assert returns == [3, 3, 3, 3, 1]


def test_ltp_epoll_wait14_ready_list_rotates_round_robin(backend: Backend) -> None:
    """LTP epoll_wait14."""
    sys = backend.sys
    e = sys.epoll_create1(0)
    for i in range(13):
        r, w = sys.pipe2(0)
        assert sys.write(w, b"x") == 1
        sys.epoll_ctl(e, ADD, r, EPOLLIN, i)
    count = [0] * 13
    collected = 0
    while collected < 52:
        got = sys.epoll_wait(e, 3, 0)
        assert len(got) == 3
        for _, idx in got[: 52 - collected]:
            count[idx] += 1
            collected += 1
    assert count == [4] * 13


def test_ltp_epoll_pwait02_no_timeout_returns_ready_event(backend: Backend) -> None:
    """LTP epoll_pwait02, through epoll_wait with timeout -1 (NULL timeout, NULL mask)."""
    sys = backend.sys
    s0, s1 = sys.socketpair(AF_UNIX, SOCK_STREAM, 0)
    e = sys.epoll_create1(0)
    sys.epoll_ctl(e, ADD, s0, EPOLLIN, s0)
    assert sys.write(s1, b"x") == 1
    assert sys.epoll_wait(e, 1, -1) == [(EPOLLIN, s0)]  # ready already: cannot block
