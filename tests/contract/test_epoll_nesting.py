"""An epoll fd as a file: polling it, nesting it in another epoll, and the depth and loop
rules (linux-epoll.md 4.4 and 8; kernel selftest patterns A, C and F; LTP; gVisor)."""
from __future__ import annotations

import errno
from typing import Any

import pytest

from epollsim.testing.backends import Backend

ADD, DEL, MOD = 1, 2, 3
EPOLLIN, EPOLLOUT = 0x1, 0x4


def _poll_count(backend: Backend, fd: int) -> int:
    """poll(fd, POLLIN, 0): the number of ready fds."""
    p = backend.select.poll()
    p.register(fd, backend.select.POLLIN)
    return len(p.poll(0))


def _pair_with_data(backend: Backend) -> tuple[Any, Any]:
    s0, s1 = backend.socket.socketpair()
    s1.send(b"w")  # s0 stays readable: nothing ever reads
    return s0, s1


def _et(backend: Backend, et: bool) -> int:
    return backend.select.EPOLLIN | (backend.select.EPOLLET if et else 0)


@pytest.mark.parametrize(
    "et,pairs,expected",
    [
        (False, 1, [1, 1, 1, 1]),  # epoll5
        (True, 1, [1, 1, 0, 0]),  # epoll6
        (False, 2, [1, 2, 1, 2]),  # epoll7
        (True, 2, [1, 2, 0, 0]),  # epoll8
    ],
)
def test_polling_an_epoll_fd_does_not_consume(backend: Backend, et: bool, pairs: int, expected: list[int]) -> None:
    """Selftest pattern A, epoll5-8: poll(e0); epoll_wait(e0); poll(e0); epoll_wait(e0)."""
    e0 = backend.select.epoll()
    keep = [_pair_with_data(backend) for _ in range(pairs)]
    for s0, _ in keep:
        e0.register(s0.fileno(), _et(backend, et))
    got = [_poll_count(backend, e0.fileno()), len(e0.poll(0, pairs)),
           _poll_count(backend, e0.fileno()), len(e0.poll(0, pairs))]
    assert got == expected


@pytest.mark.parametrize(
    "outer_et,inner_et,with_poll,expected",
    [
        (False, False, False, [1, 1]),  # epoll17
        (False, True, False, [1, 1]),  # epoll18: the inner ET item is never harvested from e1
        (True, False, False, [1, 0]),  # epoll19
        (True, True, False, [1, 0]),  # epoll20
        (False, False, True, [1, 1, 1, 1]),  # epoll21
        (False, True, True, [1, 1, 1, 1]),  # epoll22
        (True, False, True, [1, 1, 0, 0]),  # epoll23
        (True, True, True, [1, 1, 0, 0]),  # epoll24
    ],
)
def test_two_level_nest(backend: Backend, outer_et: bool, inner_et: bool, with_poll: bool, expected: list[int]) -> None:
    """Selftest pattern C, epoll17-24: e0 (outer) contains e1 contains s0."""
    e0, e1 = backend.select.epoll(), backend.select.epoll()
    s0, _s1 = _pair_with_data(backend)
    e1.register(s0.fileno(), _et(backend, inner_et))
    e0.register(e1.fileno(), _et(backend, outer_et))
    got = []
    for _ in range(2):
        if with_poll:
            got.append(_poll_count(backend, e0.fileno()))
        got.append(len(e0.poll(0, 1)))
    assert got == expected


@pytest.mark.parametrize("et,expected", [(False, [2, 2]), (True, [2, 0])])
def test_two_inner_epolls_in_one_outer(backend: Backend, et: bool, expected: list[int]) -> None:
    """Selftest pattern F, epoll49/50."""
    e0, e1, e2 = (backend.select.epoll() for _ in range(3))
    s0, _s1 = _pair_with_data(backend)
    s2, _s3 = _pair_with_data(backend)
    e1.register(s0.fileno(), backend.select.EPOLLIN)
    e2.register(s2.fileno(), backend.select.EPOLLIN)
    e0.register(e1.fileno(), _et(backend, et))
    e0.register(e2.fileno(), _et(backend, et))
    assert [len(e0.poll(0, 2)) for _ in range(2)] == expected


def test_inner_epoll_is_reported_with_in_and_rdnorm_only_when_asked(backend: Backend) -> None:
    select = backend.select
    outer, inner = select.epoll(), select.epoll()
    _r, w = backend.os.pipe()
    inner.register(w, select.EPOLLOUT)  # ready at once
    outer.register(inner.fileno(), select.EPOLLIN | select.EPOLLRDNORM | select.EPOLLOUT | select.EPOLLRDHUP)
    assert outer.poll(0) == [(inner.fileno(), select.EPOLLIN | select.EPOLLRDNORM)]
    outer.modify(inner.fileno(), select.EPOLLIN)
    assert outer.poll(0) == [(inner.fileno(), select.EPOLLIN)]


def test_poll_on_an_epoll_fd_reports_pollin_and_pollrdnorm_never_pollout(backend: Backend) -> None:
    select = backend.select
    ep = select.epoll()
    _, w = backend.os.pipe()
    p = select.poll()
    p.register(ep.fileno(), select.POLLIN | select.POLLRDNORM | select.POLLOUT | select.POLLPRI)
    assert p.poll(0) == []  # an empty epoll is not writable either
    ep.register(w, select.EPOLLOUT)
    assert p.poll(0) == [(ep.fileno(), select.POLLIN | select.POLLRDNORM)]


def test_outer_registration_without_epollin_never_fires(backend: Backend) -> None:
    select = backend.select
    outer, inner = select.epoll(), select.epoll()
    r, w = backend.os.pipe()
    outer.register(inner.fileno(), select.EPOLLOUT | select.EPOLLPRI)
    inner.register(r, select.EPOLLIN)
    backend.os.write(w, b"x")
    assert outer.poll(0) == []
    outer.modify(inner.fileno(), select.EPOLLIN)
    assert outer.poll(0) == [(inner.fileno(), select.EPOLLIN)]


def test_poll_on_an_epoll_fd_prunes_stale_items(backend: Backend) -> None:
    """A queued item that is no longer ready does not make the epoll fd readable."""
    os, select = backend.os, backend.select
    ep = select.epoll()
    r, w = os.pipe()
    ep.register(r, select.EPOLLIN)
    os.write(w, b"x")
    assert _poll_count(backend, ep.fileno()) == 1
    os.read(r, 1)
    assert _poll_count(backend, ep.fileno()) == 0
    assert ep.poll(0) == []


def test_poll_on_an_epoll_fd_does_not_disarm_a_oneshot_item(backend: Backend) -> None:
    os, select = backend.os, backend.select
    ep = select.epoll()
    r, w = os.pipe()
    ep.register(r, select.EPOLLIN | select.EPOLLONESHOT)
    os.write(w, b"x")
    assert _poll_count(backend, ep.fileno()) == 1
    assert _poll_count(backend, ep.fileno()) == 1
    assert ep.poll(0) == [(r, select.EPOLLIN)]
    assert _poll_count(backend, ep.fileno()) == 0


def test_double_layer_epoll(backend: Backend) -> None:
    """gVisor DoubleLayerEpoll, with the thread's write done inline and zero timeouts."""
    os, sys = backend.os, backend.sys
    r, w = os.pipe2(os.O_NONBLOCK)
    ep1, ep2 = sys.epoll_create1(0), sys.epoll_create1(0)
    sys.epoll_ctl(ep1, ADD, r, EPOLLIN | 0x10, r)
    sys.epoll_ctl(ep2, ADD, ep1, EPOLLIN | 0x10, ep1)
    assert sys.epoll_wait(ep1, 2, 0) == []
    assert sys.epoll_wait(ep2, 2, 0) == []
    for _ in range(2):
        os.write(w, b"data")
        assert sys.epoll_wait(ep2, 2, 0) == [(EPOLLIN, ep1)]
        assert sys.epoll_wait(ep1, 2, 0) == [(EPOLLIN, r)]
        assert os.read(r, 4) == b"data"


@pytest.mark.parametrize("depth", [2, 3, 4, 5])
def test_chain_of_epolls_over_a_pipe_reports_at_every_level(backend: Backend, depth: int) -> None:
    """LTP epoll_wait09: ep[0] contains the pipe, ep[i] contains ep[i-1]."""
    os, sys = backend.os, backend.sys
    r, w = os.pipe()
    eps = [sys.epoll_create1(0) for _ in range(depth)]
    sys.epoll_ctl(eps[0], ADD, r, EPOLLIN, r)
    for i in range(1, depth):
        sys.epoll_ctl(eps[i], ADD, eps[i - 1], EPOLLIN, eps[i - 1])
    os.write(w, b"x")
    for i in reversed(range(depth)):
        inner = eps[i - 1] if i else r
        assert sys.epoll_wait(eps[i], 1, 0) == [(EPOLLIN, inner)]


def _chain(backend: Backend, n: int, bottom: int | None) -> list[int]:
    """n epolls, eps[i+1] containing eps[i]; eps[0] contains ``bottom`` if given."""
    sys = backend.sys
    eps = [sys.epoll_create1(0) for _ in range(n)]
    if bottom is not None:
        sys.epoll_ctl(eps[0], ADD, bottom, EPOLLIN, 0)
    for i in range(1, n):
        sys.epoll_ctl(eps[i], ADD, eps[i - 1], EPOLLIN, 0)
    return eps


def _ctl_errno(backend: Backend, *args: Any) -> int:
    try:
        backend.sys.epoll_ctl(*args)
    except OSError as e:
        return e.errno
    return 0


def test_sixth_epoll_over_a_pipe_chain_is_eloop(backend: Backend) -> None:
    """LTP epoll_ctl04 (current kernels: ELOOP)."""
    r, _ = backend.os.pipe()
    eps = _chain(backend, 5, r)
    ep6 = backend.sys.epoll_create1(0)
    assert _ctl_errno(backend, ep6, ADD, eps[-1], EPOLLIN, 0) == errno.ELOOP


def test_bare_chain_of_five_epolls_is_allowed_and_a_sixth_is_eloop(backend: Backend) -> None:
    eps = _chain(backend, 5, None)
    ep6 = backend.sys.epoll_create1(0)
    assert _ctl_errno(backend, ep6, ADD, eps[-1], EPOLLIN, 0) == errno.ELOOP
    # Below the bottom counts too: up(eps[0]) is 4 already.
    assert _ctl_errno(backend, eps[0], ADD, ep6, EPOLLIN, 0) == errno.ELOOP
    # A non-epoll file at the bottom is not a level.
    r, _ = backend.os.pipe()
    assert _ctl_errno(backend, eps[0], ADD, r, EPOLLIN, 0) == 0


def test_joining_two_chains_counts_both_depths(backend: Backend) -> None:
    """down(inner) + 1 + up(outer) may not exceed 4."""
    top = _chain(backend, 3, None)  # 2 edges; top[0] has 2 epolls above it
    low = _chain(backend, 3, None)  # 2 edges below low[-1]
    assert _ctl_errno(backend, top[0], ADD, low[-1], EPOLLIN, 0) == errno.ELOOP
    assert _ctl_errno(backend, top[0], ADD, low[-2], EPOLLIN, 0) == 0  # 1 + 1 + 2


def test_closing_a_loop_through_a_chain_is_eloop(backend: Backend) -> None:
    """LTP epoll_ctl05: chain of 5 over a pipe; DEL the pipe; ADD ep5 into ep1."""
    r, _ = backend.os.pipe()
    eps = _chain(backend, 5, r)
    backend.sys.epoll_ctl(eps[0], DEL, r, None)
    assert _ctl_errno(backend, eps[0], ADD, eps[-1], EPOLLIN, 0) == errno.ELOOP


def test_two_instance_cycle_is_eloop(backend: Backend) -> None:
    """LTP epoll_ctl07."""
    sys = backend.sys
    a, b = sys.epoll_create1(0), sys.epoll_create1(0)
    sys.epoll_ctl(a, ADD, b, EPOLLIN, 0)
    assert _ctl_errno(backend, b, ADD, a, EPOLLIN, 0) == errno.ELOOP
    assert _ctl_errno(backend, b, ADD, sys.dup(a), EPOLLIN, 0) == errno.ELOOP


def test_cycle_of_three_is_eloop(backend: Backend) -> None:
    """gVisor CycleOfThreeDisallowed."""
    sys = backend.sys
    e, e1, e2 = (sys.epoll_create1(0) for _ in range(3))
    sys.epoll_ctl(e, ADD, e1, EPOLLIN, 0)
    sys.epoll_ctl(e1, ADD, e2, EPOLLIN, 0)
    assert _ctl_errno(backend, e2, ADD, e, EPOLLIN, 0) == errno.ELOOP


def test_adding_an_epoll_to_itself_is_einval_not_eloop(backend: Backend) -> None:
    """gVisor CycleOfOneDisallowed, through select.epoll and through a dup."""
    select = backend.select
    ep = select.epoll()
    for fd in (ep.fileno(), backend.os.dup(ep.fileno())):
        with pytest.raises(OSError) as info:
            ep.register(fd, select.EPOLLIN)
        assert info.value.errno == errno.EINVAL


def test_exclusive_is_not_allowed_on_an_epoll_target(backend: Backend) -> None:
    select = backend.select
    outer, inner = select.epoll(), select.epoll()
    with pytest.raises(OSError) as info:
        outer.register(inner.fileno(), select.EPOLLIN | select.EPOLLEXCLUSIVE)
    assert info.value.errno == errno.EINVAL


def test_recursive_register_modify_and_delete(backend: Backend) -> None:
    """epoll-shim recursive_register."""
    sys = backend.sys
    outer, inner = sys.epoll_create1(0), sys.epoll_create1(0)
    sys.epoll_ctl(outer, ADD, inner, EPOLLOUT, 0)
    sys.epoll_ctl(outer, MOD, inner, EPOLLIN, 0)
    sys.epoll_ctl(outer, DEL, inner, None)
    assert _ctl_errno(backend, outer, DEL, inner, None) == errno.ENOENT


def test_readiness_added_after_nesting_propagates_up(backend: Backend) -> None:
    """An inner ADD of a ready file, and an inner MOD that queues an item, wake the outer."""
    os, select = backend.os, backend.select
    outer, inner = select.epoll(), select.epoll()
    outer.register(inner.fileno(), select.EPOLLIN | select.EPOLLET)
    _r, w = os.pipe()
    inner.register(w, select.EPOLLOUT)
    assert outer.poll(0) == [(inner.fileno(), select.EPOLLIN)]
    assert outer.poll(0) == []
    inner.modify(w, 0)
    assert inner.poll(0) == []  # drops w from the inner ready list
    assert outer.poll(0) == []
    inner.modify(w, select.EPOLLOUT)
    assert outer.poll(0) == [(inner.fileno(), select.EPOLLIN)]


def test_inner_modify_of_a_still_queued_item_does_not_wake_the_outer(backend: Backend) -> None:
    """MOD queues (and wakes) only an item that is not on the ready list already."""
    os, select = backend.os, backend.select
    outer, inner = select.epoll(), select.epoll()
    outer.register(inner.fileno(), select.EPOLLIN | select.EPOLLET)
    _r, w = os.pipe()
    inner.register(w, select.EPOLLOUT)
    assert outer.poll(0) == [(inner.fileno(), select.EPOLLIN)]
    inner.modify(w, 0)  # w stays queued in inner, now stale
    inner.modify(w, select.EPOLLOUT)  # still queued: no wake-up reaches the outer
    assert outer.poll(0) == []
    assert inner.poll(0) == [(w, select.EPOLLOUT)]


def test_closing_an_inner_epoll_removes_it_from_the_outer(backend: Backend) -> None:
    select = backend.select
    outer, inner = select.epoll(), select.epoll()
    _, w = backend.os.pipe()
    inner.register(w, select.EPOLLOUT)
    outer.register(inner.fileno(), select.EPOLLIN)
    assert outer.poll(0) == [(inner.fileno(), select.EPOLLIN)]
    inner.close()
    assert outer.poll(0) == []


def test_edge_triggered_outer_fires_again_on_each_inner_wake_up(backend: Backend) -> None:
    os, select = backend.os, backend.select
    outer, inner = select.epoll(), select.epoll()
    r, w = os.pipe()
    inner.register(r, select.EPOLLIN)
    outer.register(inner.fileno(), select.EPOLLIN | select.EPOLLET)
    os.write(w, b"x")
    assert outer.poll(0) == [(inner.fileno(), select.EPOLLIN)]
    assert outer.poll(0) == []
    os.write(w, b"y")  # inner callback (item already queued in inner): outer queued again
    assert outer.poll(0) == [(inner.fileno(), select.EPOLLIN)]
    assert inner.poll(0) == [(r, select.EPOLLIN)]  # harvesting the inner does not wake the outer
    assert outer.poll(0) == []


def test_inner_item_that_becomes_stale_makes_outer_report_nothing(backend: Backend) -> None:
    os, select = backend.os, backend.select
    outer, inner = select.epoll(), select.epoll()
    r, w = os.pipe()
    inner.register(r, select.EPOLLIN)
    outer.register(inner.fileno(), select.EPOLLIN)
    os.write(w, b"x")
    os.read(r, 1)
    assert outer.poll(0) == []  # outer's item is queued, but the inner has nothing really ready
    os.write(w, b"x")
    assert outer.poll(0) == [(inner.fileno(), select.EPOLLIN)]
