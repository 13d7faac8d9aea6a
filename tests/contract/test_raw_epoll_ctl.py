"""epoll_ctl(2) through the raw call: the exact order of its checks (linux-epoll.md 4.1, 4.5),
and epoll-shim's epoll__invalid_op in full. ``events=None`` is a NULL event pointer."""
from __future__ import annotations

import errno

import pytest

from epollsim.testing.backends import Backend

ADD, DEL, MOD = 1, 2, 3
BAD_OP = 42
EPOLLIN, EPOLLPRI, EPOLLOUT, EPOLLERR, EPOLLHUP = 0x1, 0x2, 0x4, 0x8, 0x10
EPOLLRDNORM, EPOLLRDHUP = 0x40, 0x2000
EPOLLEXCLUSIVE, EPOLLWAKEUP, EPOLLONESHOT, EPOLLET = 1 << 28, 1 << 29, 1 << 30, 1 << 31


def _errno_of(call, *args) -> int:  # type: ignore[no-untyped-def]
    try:
        call(*args)
    except OSError as e:
        return e.errno
    return 0


def _closed_fd(backend: Backend) -> int:
    """A number that is certainly not open (the model and the host agree on nothing else)."""
    r, w = backend.os.pipe()
    backend.os.close(w)
    backend.os.close(r)
    return r


def test_null_event_is_efault_before_everything_except_for_del(backend: Backend) -> None:
    sys = backend.sys
    ep = sys.epoll_create1(0)
    r, _ = backend.os.pipe()
    for op in (ADD, MOD, BAD_OP):
        assert _errno_of(sys.epoll_ctl, ep, op, r, None) == errno.EFAULT
        assert _errno_of(sys.epoll_ctl, -1, op, -1, None) == errno.EFAULT  # before EBADF
        assert _errno_of(sys.epoll_ctl, ep, op, ep, None) == errno.EFAULT  # before EINVAL
    sys.epoll_ctl(ep, ADD, r, EPOLLIN, 0)
    sys.epoll_ctl(ep, DEL, r, None)  # DEL never reads the event
    assert _errno_of(sys.epoll_ctl, ep, DEL, r, None) == errno.ENOENT


def test_bad_epfd_is_ebadf_before_bad_fd(backend: Backend) -> None:
    sys = backend.sys
    r, _ = backend.os.pipe()
    ep = sys.epoll_create1(0)
    bad = _closed_fd(backend)
    for op in (ADD, DEL, MOD, BAD_OP):
        assert _errno_of(sys.epoll_ctl, -1, op, r, EPOLLIN, 0) == errno.EBADF
        assert _errno_of(sys.epoll_ctl, bad, op, bad, EPOLLIN, 0) == errno.EBADF
        assert _errno_of(sys.epoll_ctl, ep, op, bad, EPOLLIN, 0) == errno.EBADF
        assert _errno_of(sys.epoll_ctl, ep, op, -1, EPOLLIN, 0) == errno.EBADF


def test_file_without_poll_is_eperm_for_every_op(backend: Backend) -> None:
    os, sys = backend.os, backend.sys
    null = os.open("/dev/null", os.O_RDWR)
    ep = sys.epoll_create1(0)
    for op in (ADD, DEL, MOD, BAD_OP):
        assert _errno_of(sys.epoll_ctl, ep, op, null, EPOLLIN, 0) == errno.EPERM
        assert _errno_of(sys.epoll_ctl, ep, op, null, EPOLLIN | EPOLLEXCLUSIVE, 0) == errno.EPERM
    assert _errno_of(sys.epoll_ctl, ep, DEL, null, None) == errno.EPERM


def test_eperm_comes_before_checking_that_epfd_is_an_epoll(backend: Backend) -> None:
    os, sys = backend.os, backend.sys
    null = os.open("/dev/null", os.O_RDWR)
    r, w = os.pipe()
    r2, _ = os.pipe()
    assert _errno_of(sys.epoll_ctl, r, ADD, null, EPOLLIN, 0) == errno.EPERM
    assert _errno_of(sys.epoll_ctl, null, ADD, null, EPOLLIN, 0) == errno.EPERM
    assert _errno_of(sys.epoll_ctl, r, ADD, r2, EPOLLIN, 0) == errno.EINVAL
    assert _errno_of(sys.epoll_ctl, null, ADD, r2, EPOLLIN, 0) == errno.EINVAL
    assert _errno_of(sys.epoll_ctl, r, DEL, w, None) == errno.EINVAL


def test_adding_an_epoll_to_itself_or_a_dup_of_itself_is_einval(backend: Backend) -> None:
    sys = backend.sys
    ep = sys.epoll_create1(0)
    dup = sys.dup(ep)
    for target in (ep, dup):
        for op in (ADD, DEL, MOD, BAD_OP):
            assert _errno_of(sys.epoll_ctl, ep, op, target, EPOLLIN, 0) == errno.EINVAL
        assert _errno_of(sys.epoll_ctl, ep, DEL, target, None) == errno.EINVAL


def test_unknown_op_is_einval_after_the_other_checks(backend: Backend) -> None:
    sys = backend.sys
    ep = sys.epoll_create1(0)
    r, _ = backend.os.pipe()
    assert _errno_of(sys.epoll_ctl, ep, BAD_OP, r, EPOLLIN, 0) == errno.EINVAL
    assert _errno_of(sys.epoll_ctl, ep, -1, r, EPOLLIN, 0) == errno.EINVAL  # LTP epoll_ctl02
    sys.epoll_ctl(ep, ADD, r, EPOLLIN, 0)
    assert _errno_of(sys.epoll_ctl, ep, BAD_OP, r, EPOLLIN, 0) == errno.EINVAL
    assert _errno_of(sys.epoll_ctl, ep, 0, r, EPOLLIN, 0) == errno.EINVAL


def test_add_existing_is_eexist_and_missing_is_enoent(backend: Backend) -> None:
    """LTP epoll_ctl02 cases 7-9."""
    sys = backend.sys
    ep = sys.epoll_create1(0)
    r, w = backend.os.pipe()
    sys.epoll_ctl(ep, ADD, r, EPOLLIN, r)
    assert _errno_of(sys.epoll_ctl, ep, DEL, w, EPOLLIN, 0) == errno.ENOENT
    assert _errno_of(sys.epoll_ctl, ep, MOD, w, EPOLLIN, 0) == errno.ENOENT
    assert _errno_of(sys.epoll_ctl, ep, ADD, r, EPOLLIN, 0) == errno.EEXIST


def test_exclusive_accepts_in_out_err_hup_et_wakeup(backend: Backend) -> None:
    sys = backend.sys
    ep = sys.epoll_create1(0)
    ok = [
        EPOLLIN, EPOLLOUT, EPOLLIN | EPOLLOUT, EPOLLERR, EPOLLHUP, EPOLLET | EPOLLIN,
        EPOLLWAKEUP | EPOLLIN, EPOLLIN | EPOLLOUT | EPOLLERR | EPOLLHUP | EPOLLET | EPOLLWAKEUP, 0,
    ]
    for mask in ok:
        r, _ = backend.os.pipe()
        sys.epoll_ctl(ep, ADD, r, mask | EPOLLEXCLUSIVE, r)


def test_exclusive_with_other_bits_is_einval(backend: Backend) -> None:
    sys = backend.sys
    ep = sys.epoll_create1(0)
    r, _ = backend.os.pipe()
    for extra in (EPOLLRDHUP, EPOLLPRI, EPOLLONESHOT, EPOLLRDNORM, 0x8000, 0x04000000, 0xFFFFFFFF):
        assert _errno_of(sys.epoll_ctl, ep, ADD, r, EPOLLIN | EPOLLEXCLUSIVE | extra, 0) == errno.EINVAL
    sys.epoll_ctl(ep, ADD, r, EPOLLIN, 0)  # nothing was added by the failures


def test_exclusive_bad_bits_on_a_registered_fd_is_einval_not_eexist(backend: Backend) -> None:
    sys = backend.sys
    ep = sys.epoll_create1(0)
    r, _ = backend.os.pipe()
    sys.epoll_ctl(ep, ADD, r, EPOLLIN, 0)
    assert _errno_of(sys.epoll_ctl, ep, ADD, r, EPOLLIN | EPOLLEXCLUSIVE | EPOLLONESHOT, 0) == errno.EINVAL
    assert _errno_of(sys.epoll_ctl, ep, ADD, r, EPOLLIN | EPOLLEXCLUSIVE, 0) == errno.EEXIST


def test_modify_with_exclusive_is_einval_even_when_unregistered(backend: Backend) -> None:
    sys = backend.sys
    ep = sys.epoll_create1(0)
    r, _ = backend.os.pipe()
    assert _errno_of(sys.epoll_ctl, ep, MOD, r, EPOLLIN | EPOLLEXCLUSIVE, 0) == errno.EINVAL
    sys.epoll_ctl(ep, ADD, r, EPOLLIN, 0)
    assert _errno_of(sys.epoll_ctl, ep, MOD, r, EPOLLIN | EPOLLEXCLUSIVE, 0) == errno.EINVAL
    # DEL carries no event: its EXCLUSIVE bit is ignored.
    sys.epoll_ctl(ep, DEL, r, EPOLLIN | EPOLLEXCLUSIVE | EPOLLONESHOT, 0)


def test_an_exclusive_item_cannot_be_modified_only_deleted_and_re_added(backend: Backend) -> None:
    sys = backend.sys
    ep = sys.epoll_create1(0)
    r, w = backend.os.pipe()
    sys.epoll_ctl(ep, ADD, r, EPOLLIN | EPOLLEXCLUSIVE, 1)
    assert _errno_of(sys.epoll_ctl, ep, MOD, r, EPOLLIN, 2) == errno.EINVAL
    assert _errno_of(sys.epoll_ctl, ep, MOD, r, EPOLLOUT | EPOLLONESHOT, 2) == errno.EINVAL
    backend.os.write(w, b"x")
    assert sys.epoll_wait(ep, 4, 0) == [(EPOLLIN, 1)]  # data untouched by the failed MODs
    sys.epoll_ctl(ep, DEL, r, None)
    sys.epoll_ctl(ep, ADD, r, EPOLLIN, 3)
    assert sys.epoll_wait(ep, 4, 0) == [(EPOLLIN, 3)]


def test_exclusive_on_an_epoll_target_is_einval(backend: Backend) -> None:
    sys = backend.sys
    outer = sys.epoll_create1(0)
    inner = sys.epoll_create1(0)
    assert _errno_of(sys.epoll_ctl, outer, ADD, inner, EPOLLIN | EPOLLEXCLUSIVE, 0) == errno.EINVAL
    sys.epoll_ctl(outer, ADD, inner, EPOLLIN, 0)


def test_all_ones_mask_is_einval_because_of_exclusive(backend: Backend) -> None:
    sys = backend.sys
    ep = sys.epoll_create1(0)
    r, _ = backend.os.pipe()
    assert _errno_of(sys.epoll_ctl, ep, ADD, r, 0xFFFFFFFF, 0) == errno.EINVAL
    assert _errno_of(sys.epoll_ctl, ep, ADD, r, -1, 0) == errno.EINVAL
    sys.epoll_ctl(ep, ADD, r, 0xFFFFFFFF & ~EPOLLEXCLUSIVE, 0)  # every other bit is accepted
    sys.epoll_ctl(ep, MOD, r, 0xFFFFFFFF & ~EPOLLEXCLUSIVE, 0)


def test_data_round_trips_all_64_bits(backend: Backend) -> None:
    """bionic sys_epoll_test: data.u64 0x123456789abcdef0 comes back as stored."""
    sys = backend.sys
    ep = sys.epoll_create1(0)
    r, w = backend.os.pipe()
    sys.epoll_ctl(ep, ADD, r, EPOLLIN, 0x123456789ABCDEF0)
    backend.os.write(w, b"x")
    assert sys.epoll_wait(ep, 1, 0) == [(EPOLLIN, 0x123456789ABCDEF0)]
    sys.epoll_ctl(ep, MOD, r, EPOLLIN, 0xFFFFFFFFFFFFFFFF)
    assert sys.epoll_wait(ep, 1, 0) == [(EPOLLIN, 0xFFFFFFFFFFFFFFFF)]


def test_invalid_op_cases_of_epoll_shim(backend: Backend) -> None:
    """epoll-shim epoll__invalid_op, with the Linux >= 6.15 order for the closed-epfd waits."""
    sys = backend.sys
    e = sys.epoll_create1(0)
    x = _closed_fd(backend)
    ev = EPOLLIN
    # e into e
    assert _errno_of(sys.epoll_ctl, e, ADD, e, ev, 0) == errno.EINVAL
    assert _errno_of(sys.epoll_ctl, e, DEL, e, ev, 0) == errno.EINVAL
    assert _errno_of(sys.epoll_ctl, e, MOD, e, ev, 0) == errno.EINVAL
    assert _errno_of(sys.epoll_ctl, e, BAD_OP, e, ev, 0) == errno.EINVAL
    assert _errno_of(sys.epoll_ctl, e, ADD, e, None) == errno.EFAULT
    assert _errno_of(sys.epoll_ctl, e, DEL, e, None) == errno.EINVAL
    assert _errno_of(sys.epoll_ctl, e, MOD, e, None) == errno.EFAULT
    assert _errno_of(sys.epoll_ctl, e, BAD_OP, e, None) == errno.EFAULT
    # a closed fd
    for op in (ADD, DEL, MOD, BAD_OP):
        assert _errno_of(sys.epoll_ctl, e, op, x, ev, 0) == errno.EBADF
    assert _errno_of(sys.epoll_ctl, e, ADD, x, None) == errno.EFAULT
    assert _errno_of(sys.epoll_ctl, e, DEL, x, None) == errno.EBADF
    assert _errno_of(sys.epoll_ctl, e, MOD, x, None) == errno.EFAULT
    assert _errno_of(sys.epoll_ctl, e, BAD_OP, x, None) == errno.EFAULT
    # a second, unregistered epoll
    e2 = sys.epoll_create1(0)
    assert _errno_of(sys.epoll_ctl, e, DEL, e2, ev, 0) == errno.ENOENT
    assert _errno_of(sys.epoll_ctl, e, MOD, e2, ev, 0) == errno.ENOENT
    assert _errno_of(sys.epoll_ctl, e, BAD_OP, e2, ev, 0) == errno.EINVAL
    assert _errno_of(sys.epoll_ctl, e, ADD, e2, None) == errno.EFAULT
    assert _errno_of(sys.epoll_ctl, e, MOD, e2, None) == errno.EFAULT
    assert _errno_of(sys.epoll_ctl, e, BAD_OP, e2, None) == errno.EFAULT
    assert _errno_of(sys.epoll_ctl, e, DEL, e2, None) == errno.ENOENT
    sys.epoll_ctl(e, ADD, e2, EPOLLIN, 0)
    sys.epoll_ctl(e, DEL, e2, 0xFFFFFFFF, 0)
    # both closed
    sys.close(e)
    sys.close(e2)
    assert _errno_of(sys.epoll_ctl, e, ADD, e2, None) == errno.EFAULT
    assert _errno_of(sys.epoll_ctl, e, ADD, e2, ev, 0) == errno.EBADF
    assert _errno_of(sys.epoll_wait, e, -1, 0) == errno.EBADF  # EINVAL before 6.15
    assert _errno_of(sys.epoll_wait, e, 0, 0) == errno.EBADF  # EINVAL before 6.15
    assert _errno_of(sys.epoll_wait, e, 1, 0) == errno.EBADF


def test_failed_ctl_calls_change_nothing(backend: Backend) -> None:
    sys = backend.sys
    ep = sys.epoll_create1(0)
    r, w = backend.os.pipe()
    sys.epoll_ctl(ep, ADD, r, EPOLLIN, 5)
    for args in ((ADD, r, EPOLLOUT, 6), (MOD, r, EPOLLIN | EPOLLEXCLUSIVE, 6), (BAD_OP, r, EPOLLOUT, 6)):
        with pytest.raises(OSError):
            sys.epoll_ctl(ep, *args)
    backend.os.write(w, b"x")
    assert sys.epoll_wait(ep, 4, 0) == [(EPOLLIN, 5)]
