"""Registrations are keyed by (open file description, fd number) and die with the description's
last reference (linux-epoll.md section 9; epoll(7) Q&A 6, "the dup gotcha")."""
from __future__ import annotations

import errno

import pytest

from epollsim.testing.backends import Backend

EPOLL_CTL_ADD, EPOLL_CTL_DEL, EPOLL_CTL_MOD = 1, 2, 3


def test_dup_keeps_a_closed_fds_registration_reporting_under_the_old_number(backend: Backend) -> None:
    os, select = backend.os, backend.select
    y, w = os.pipe()
    ep = select.epoll()
    ep.register(y, select.EPOLLIN)
    d = os.dup(y)
    os.close(y)
    os.write(w, b"x")
    assert ep.poll(0) == [(y, select.EPOLLIN)]  # y is closed, yet the event names it
    with pytest.raises(OSError) as info:
        ep.unregister(y)
    assert info.value.errno == errno.EBADF
    with pytest.raises(OSError) as info:
        ep.modify(y, select.EPOLLIN)
    assert info.value.errno == errno.EBADF
    # Through the dup the key (file, y) cannot be named either: a different fd number.
    with pytest.raises(FileNotFoundError):
        ep.unregister(d)
    assert ep.poll(0) == [(y, select.EPOLLIN)]


def test_dup_can_be_registered_beside_the_original(backend: Backend) -> None:
    os, select = backend.os, backend.select
    r, w = os.pipe()
    d = os.dup(r)
    ep = select.epoll()
    ep.register(r, select.EPOLLIN)
    ep.register(d, select.EPOLLIN | select.EPOLLET)
    os.write(w, b"x")
    assert sorted(ep.poll(0)) == sorted([(r, select.EPOLLIN), (d, select.EPOLLIN)])
    assert ep.poll(0) == [(r, select.EPOLLIN)]  # only the LT one again
    ep.unregister(d)
    with pytest.raises(FileExistsError):
        ep.register(r, select.EPOLLIN)


def test_closing_the_last_reference_removes_the_registration_silently(backend: Backend) -> None:
    os, select = backend.os, backend.select
    r, w = os.pipe()
    ep = select.epoll()
    ep.register(r, select.EPOLLIN)
    os.write(w, b"x")
    assert ep.poll(0) == [(r, select.EPOLLIN)]
    os.close(r)
    assert ep.poll(0) == []


def test_closing_the_dup_then_the_original_removes_the_registration(backend: Backend) -> None:
    os, select = backend.os, backend.select
    r, w = os.pipe()
    d = os.dup(r)
    ep = select.epoll()
    ep.register(r, select.EPOLLIN)
    os.write(w, b"x")
    os.close(d)
    assert ep.poll(0) == [(r, select.EPOLLIN)]
    os.close(r)
    assert ep.poll(0) == []


def test_closed_socket_registration_disappears(backend: Backend) -> None:
    select = backend.select
    a, b = backend.socket.socketpair()
    ep = select.epoll()
    ep.register(a.fileno(), select.EPOLLIN | select.EPOLLOUT)
    assert ep.poll(0) == [(a.fileno(), select.EPOLLOUT)]
    a.close()
    assert ep.poll(0) == []
    b.close()


def test_closing_a_watched_eventfd_reports_nothing(backend: Backend) -> None:
    """gVisor CloseFile: the eventfd's release wake-up never reaches the removed item."""
    os, select = backend.os, backend.select
    efd = os.eventfd(0)
    ep = select.epoll()
    ep.register(efd, select.EPOLLOUT)
    assert ep.poll(0) == [(efd, select.EPOLLOUT)]
    os.close(efd)
    assert ep.poll(0) == []


def test_closing_a_queued_item_removes_it_from_the_ready_list(backend: Backend) -> None:
    os, select = backend.os, backend.select
    (a, wa), (b, wb), (c, wc) = (os.pipe() for _ in range(3))
    ep = select.epoll()
    for fd, w in ((a, wa), (b, wb), (c, wc)):
        ep.register(fd, select.EPOLLIN)
        os.write(w, b"x")
    os.close(b)
    assert ep.poll(0, 1) == [(a, select.EPOLLIN)]
    assert ep.poll(0, 1) == [(c, select.EPOLLIN)]
    assert ep.poll(0, 1) == [(a, select.EPOLLIN)]


def test_unregister_removes_a_queued_item_and_keeps_the_others_order(backend: Backend) -> None:
    os, select = backend.os, backend.select
    (a, wa), (b, wb), (c, wc) = (os.pipe() for _ in range(3))
    ep = select.epoll()
    for fd, w in ((a, wa), (b, wb), (c, wc)):
        ep.register(fd, select.EPOLLIN)
    for w in (wc, wa, wb):
        os.write(w, b"x")
    ep.unregister(a)
    assert ep.poll(0) == [(c, select.EPOLLIN), (b, select.EPOLLIN)]
    ep.register(a, select.EPOLLIN)  # ready at ADD: queued at the tail
    assert ep.poll(0) == [(c, select.EPOLLIN), (b, select.EPOLLIN), (a, select.EPOLLIN)]


def test_delete_of_a_closed_fd_is_ebadf(backend: Backend) -> None:
    """epoll-shim remove_closed."""
    os, sys = backend.os, backend.sys
    ep = sys.epoll_create1(0)
    r, w = os.pipe()
    sys.epoll_ctl(ep, EPOLL_CTL_ADD, r, 1, r)
    os.close(r)
    os.close(w)
    with pytest.raises(OSError) as info:
        sys.epoll_ctl(ep, EPOLL_CTL_DEL, r, None)
    assert info.value.errno == errno.EBADF
    assert sys.epoll_wait(ep, 8, 0) == []


def test_delete_of_a_reused_fd_number_is_enoent(backend: Backend) -> None:
    """epoll-shim remove_closed_when_same_fd_open: the old item went with the old file."""
    os, sys = backend.os, backend.sys
    ep = sys.epoll_create1(0)
    r, w = os.pipe()
    sys.epoll_ctl(ep, EPOLL_CTL_ADD, r, 1, r)
    os.close(r)
    os.close(w)
    r2, w2 = os.pipe()
    assert (r2, w2) == (r, w)  # lowest free numbers
    with pytest.raises(FileNotFoundError):
        sys.epoll_ctl(ep, EPOLL_CTL_DEL, r2, None)
    with pytest.raises(FileNotFoundError):
        sys.epoll_ctl(ep, EPOLL_CTL_MOD, r2, 1, r2)


def test_a_new_file_with_the_same_fd_value_can_be_added(backend: Backend) -> None:
    """epoll-shim add_different_file_with_same_fd_value."""
    os, select = backend.os, backend.select
    ep = select.epoll()
    r, w = os.pipe()
    ep.register(r, select.EPOLLIN)
    os.close(r)
    os.close(w)
    r2, w2 = os.pipe()
    assert r2 == r
    ep.register(r2, select.EPOLLIN)
    assert ep.poll(0) == []
    os.write(w2, b"x")
    assert ep.poll(0) == [(r2, select.EPOLLIN)]


def test_old_and_new_file_under_one_number_both_report(backend: Backend) -> None:
    """dup keeps the old file alive; the number is reused by a new file registered under it."""
    os, select = backend.os, backend.select
    ep = select.epoll()
    y, wy = os.pipe()
    ep.register(y, select.EPOLLIN)
    keep = os.dup(y)
    os.close(y)
    z, wz = os.pipe()  # takes y's number for its read end
    assert z == y
    ep.register(z, select.EPOLLIN)  # a different key: (new file, y)
    os.write(wy, b"old")
    os.write(wz, b"new")
    assert ep.poll(0) == [(y, select.EPOLLIN), (y, select.EPOLLIN)]
    ep.unregister(z)  # names (new file, y)
    os.read(keep, 3)
    assert ep.poll(0) == []
    os.write(wy, b"again")
    assert ep.poll(0) == [(y, select.EPOLLIN)]


def test_dup2_over_a_registered_fd_drops_its_registration(backend: Backend) -> None:
    os, select = backend.os, backend.select
    r, w = os.pipe()
    r2, w2 = os.pipe()
    ep = select.epoll()
    ep.register(r, select.EPOLLIN)
    os.write(w, b"x")
    os.dup2(r2, r)  # the old read end loses its only reference
    assert ep.poll(0) == []
    os.write(w2, b"y")
    assert ep.poll(0) == []  # (second file, r) was never registered
    ep.register(r, select.EPOLLIN)
    assert ep.poll(0) == [(r, select.EPOLLIN)]


def test_registration_keeps_the_data_of_the_last_add_or_modify(backend: Backend) -> None:
    """epoll-shim add_existing: a second ADD fails and does not replace the data."""
    os, sys = backend.os, backend.sys
    ep = sys.epoll_create1(0)
    r, w = os.pipe()
    sys.epoll_ctl(ep, EPOLL_CTL_ADD, r, 1, 42)
    for data in (42, 43):
        with pytest.raises(FileExistsError):
            sys.epoll_ctl(ep, EPOLL_CTL_ADD, r, 1, data)
    os.write(w, b"x")
    assert sys.epoll_wait(ep, 4, 0) == [(1, 42)]
    sys.epoll_ctl(ep, EPOLL_CTL_MOD, r, 1, 7)
    assert sys.epoll_wait(ep, 4, 0) == [(1, 7)]


def test_closing_an_epoll_fd_with_a_dup_keeps_the_instance(backend: Backend) -> None:
    os, select = backend.os, backend.select
    r, w = os.pipe()
    ep = select.epoll()
    ep.register(r, select.EPOLLIN)
    other = type(ep).fromfd(os.dup(ep.fileno()))
    try:
        ep.close()
        os.write(w, b"x")
        assert other.poll(0) == [(r, select.EPOLLIN)]
    finally:
        other.close()


def test_closing_a_file_removes_it_from_every_epoll(backend: Backend) -> None:
    os, select = backend.os, backend.select
    r, w = os.pipe()
    eps = [select.epoll() for _ in range(3)]
    for ep in eps:
        ep.register(r, select.EPOLLIN)
    os.write(w, b"x")
    os.close(r)
    for ep in eps:
        assert ep.poll(0) == []
    os.close(w)  # the pipe's wake-all on close finds no hooks left
    for ep in eps:
        assert ep.poll(0) == []


def test_closing_an_epoll_unhooks_its_items_from_their_files(backend: Backend) -> None:
    os, select = backend.os, backend.select
    r, w = os.pipe()
    ep1, ep2 = select.epoll(), select.epoll()
    ep1.register(r, select.EPOLLIN)
    ep2.register(r, select.EPOLLIN | select.EPOLLET)
    ep1.close()
    os.write(w, b"x")
    assert ep2.poll(0) == [(r, select.EPOLLIN)]
    ep1 = select.epoll()
    ep1.register(r, select.EPOLLIN)  # a fresh instance: no memory of the old registration
    assert ep1.poll(0) == [(r, select.EPOLLIN)]
