"""select.epoll.poll(timeout, maxevents): conversions, errors and return shape
(python-stdlib.md 1.1). Every call that could block on the host has a ready item registered,
so a wrong expectation fails fast instead of hanging."""
from __future__ import annotations

import decimal
import fractions
import resource
from typing import Any

import pytest
from contract_helpers import FLOAT_TIME_OVERFLOW, PYTIME_OVERFLOW
from contract_helpers import raises_exactly as _raises

from epollsim.testing.backends import Backend


def _ready_epoll(backend: Backend) -> tuple[Any, int]:
    """An epoll with one always-ready level-triggered item (a pipe's write end)."""
    _, w = backend.os.pipe()
    ep = backend.select.epoll()
    ep.register(w, backend.select.EPOLLOUT)
    return ep, w



def test_poll_returns_a_list_of_fd_and_unsigned_mask_tuples(backend: Backend) -> None:
    ep, w = _ready_epoll(backend)
    events = ep.poll(0)
    assert type(events) is list
    assert events == [(w, backend.select.EPOLLOUT)]
    fd, mask = events[0]
    assert type(fd) is int and type(mask) is int


def test_events_with_et_bit_in_mask_are_reported_without_it(backend: Backend) -> None:
    """Reported masks are unsigned and never carry private bits (EPOLLET is 1 << 31)."""
    select = backend.select
    _r, w = backend.os.pipe()
    ep = select.epoll()
    ep.register(w, select.EPOLLOUT | select.EPOLLET)
    assert ep.poll(0) == [(w, select.EPOLLOUT)]


def test_none_and_negative_timeouts_wait_forever_but_return_ready_items_at_once(backend: Backend) -> None:
    ep, w = _ready_epoll(backend)
    out = [(w, backend.select.EPOLLOUT)]
    for timeout in (None, -1, -0.5, -1000, -2147483):
        assert ep.poll(timeout) == out
    assert ep.poll(timeout=None, maxevents=-1) == out


def test_tiny_negative_timeout_rounds_to_zero_and_does_not_block(backend: Backend) -> None:
    """-0.0001 s rounds up (towards +inf) to 0 ms: a non-blocking call, not "forever"."""
    ep = backend.select.epoll()
    assert ep.poll(-0.0001) == []
    assert ep.poll(-1e-9) == []


def test_small_positive_timeouts_are_accepted(backend: Backend) -> None:
    """0.0001 s rounds up to 1 ms (not observable here without timing; see the unit tests)."""
    ep = backend.select.epoll()
    for timeout in (0.0001, 1e-9, 0.0015, 0, 0.0, False):
        assert ep.poll(timeout) == []


def test_positive_timeout_with_nothing_ready_returns_empty_list(backend: Backend) -> None:
    r, _ = backend.os.pipe()
    ep = backend.select.epoll()
    ep.register(r, backend.select.EPOLLIN)
    assert ep.poll(0.01) == []
    assert ep.poll(timeout=0.01, maxevents=1) == []


def test_int_float_and_bool_timeouts_are_seconds(backend: Backend) -> None:
    ep, w = _ready_epoll(backend)
    for timeout in (1, 2.5, True, 0x7FFFFFFF // 1000):
        assert ep.poll(timeout) == [(w, backend.select.EPOLLOUT)]


def test_timeout_of_wrong_type_is_type_error(backend: Backend) -> None:
    ep, _ = _ready_epoll(backend)
    for timeout in ("1", b"1", decimal.Decimal(1), fractions.Fraction(1, 2), [1], object()):
        _raises(TypeError, "timeout must be an integer or None", ep.poll, timeout)


def test_nan_timeout_is_value_error(backend: Backend) -> None:
    ep, _ = _ready_epoll(backend)
    _raises(ValueError, "Invalid value NaN (not a number)", ep.poll, float("nan"))


def test_timeouts_out_of_range_are_overflow_errors(backend: Backend) -> None:
    ep, _ = _ready_epoll(backend)
    for timeout in (float("inf"), float("-inf"), 1e10, 1e300, -1e300):
        _raises(OverflowError, FLOAT_TIME_OVERFLOW, ep.poll, timeout)
    for timeout in (3e6, 2148000, 2**31, 0x7FFFFFFF // 1000 + 1, -1e9, -2147484):
        _raises(OverflowError, "timeout is too large", ep.poll, timeout)
    for timeout in (2**63, 2**70, -(2**70), 10**10):
        _raises(OverflowError, PYTIME_OVERFLOW, ep.poll, timeout)


def test_maxevents_minus_one_is_the_default(backend: Backend) -> None:
    ep, w = _ready_epoll(backend)
    assert ep.poll(0, -1) == [(w, backend.select.EPOLLOUT)]
    assert ep.poll(maxevents=-1, timeout=0) == [(w, backend.select.EPOLLOUT)]


def test_maxevents_zero_or_below_minus_one_is_value_error(backend: Backend) -> None:
    ep, _ = _ready_epoll(backend)
    for maxevents in (0, -2, -0x80000000):
        _raises(ValueError, f"maxevents must be greater than 0, got {maxevents}", ep.poll, 0, maxevents)


def test_maxevents_type_and_range(backend: Backend) -> None:
    ep, w = _ready_epoll(backend)
    _raises(TypeError, "'float' object cannot be interpreted as an integer", ep.poll, 0, 1.0)
    _raises(OverflowError, "Python int too large to convert to C int", ep.poll, 0, 2**31)
    assert ep.poll(0, True) == [(w, backend.select.EPOLLOUT)]


def test_maxevents_minus_one_means_at_most_1023_events(backend: Backend) -> None:
    """FD_SETSIZE - 1: 1030 ready registrations (dups of one eventfd) need two calls."""
    if resource.getrlimit(resource.RLIMIT_NOFILE)[0] < 1100:
        pytest.skip("RLIMIT_NOFILE too low for 1030 fds")  # the model inherits the host's limit
    os, select = backend.os, backend.select
    efd = os.eventfd(0)
    fds = [efd] + [os.dup(efd) for _ in range(1029)]
    ep = select.epoll()
    for fd in fds:
        ep.register(fd, select.EPOLLOUT)
    first = ep.poll(0)
    assert len(first) == 1023
    assert [fd for fd, _ in first] == fds[:1023]
    second = ep.poll(0)
    assert [fd for fd, _ in second] == fds[1023:] + fds[:1016]
