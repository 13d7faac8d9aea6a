"""Level-triggered, EPOLLET and EPOLLONESHOT items; what EPOLL_CTL_MOD does to them; which bits
are reported (linux-epoll.md sections 1, 4.2, 4.3, 5 and 6.4)."""
from __future__ import annotations

from epollsim.testing.backends import Backend

EPOLLWAKEUP = 1 << 29  # not exported by the select module


def test_level_triggered_item_is_reported_while_ready(backend: Backend) -> None:
    os, select = backend.os, backend.select
    r, w = os.pipe()
    ep = select.epoll()
    ep.register(r, select.EPOLLIN)
    assert ep.poll(0) == []
    os.write(w, b"x")
    assert ep.poll(0) == [(r, select.EPOLLIN)]
    assert ep.poll(0) == [(r, select.EPOLLIN)]
    os.read(r, 1)
    assert ep.poll(0) == []


def test_edge_triggered_item_with_data_left_is_silent_until_next_write(backend: Backend) -> None:
    """OSv tst-epoll: reading 1 of 2 bytes does not re-report an EPOLLET item."""
    os, select = backend.os, backend.select
    r, w = os.pipe()
    ep = select.epoll()
    ep.register(r, select.EPOLLIN | select.EPOLLET)
    os.write(w, b"ab")
    assert ep.poll(0) == [(r, select.EPOLLIN)]
    assert os.read(r, 1) == b"a"
    assert ep.poll(0) == []
    os.write(w, b"c")
    assert ep.poll(0) == [(r, select.EPOLLIN)]


def test_edge_triggered_add_of_an_already_ready_file_reports_once(backend: Backend) -> None:
    os, select = backend.os, backend.select
    r, w = os.pipe()
    os.write(w, b"x")
    ep = select.epoll()
    ep.register(r, select.EPOLLIN | select.EPOLLET)
    assert ep.poll(0) == [(r, select.EPOLLIN)]
    assert ep.poll(0) == []


def test_edge_triggered_eventfd_out_item_ignores_writes(backend: Backend) -> None:
    """gVisor EdgeTriggered: an OUT|ET eventfd item fires at ADD and on reads, not on writes."""
    os, select = backend.os, backend.select
    efd = os.eventfd(0)
    ep = select.epoll()
    ep.register(efd, select.EPOLLOUT | select.EPOLLET)
    assert ep.poll(0) == [(efd, select.EPOLLOUT)]
    assert ep.poll(0) == []
    os.eventfd_write(efd, 0xFFFFFFFFFFFFFFFE)
    assert ep.poll(0) == []
    assert os.eventfd_read(efd) == 0xFFFFFFFFFFFFFFFE
    assert ep.poll(0) == [(efd, select.EPOLLOUT)]
    assert ep.poll(0) == []


def test_oneshot_reports_once_then_is_disarmed_until_modify(backend: Backend) -> None:
    """OSv/epoll-shim epolloneshot and LTP epoll_wait07."""
    os, select = backend.os, backend.select
    r, w = os.pipe()
    ep = select.epoll()
    ep.register(r, select.EPOLLIN | select.EPOLLONESHOT)
    os.write(w, b"x")
    assert ep.poll(0) == [(r, select.EPOLLIN)]
    assert ep.poll(0) == []
    os.write(w, b"y")
    assert ep.poll(0) == []  # disarmed: new data does not count
    ep.modify(r, select.EPOLLIN | select.EPOLLONESHOT)  # re-arms and re-polls
    assert ep.poll(0) == [(r, select.EPOLLIN)]
    assert ep.poll(0) == []
    try:
        ep.register(r, select.EPOLLIN)
    except FileExistsError:
        pass  # a disarmed item is still registered
    else:
        raise AssertionError("register of a disarmed oneshot item succeeded")
    ep.unregister(r)


def test_oneshot_disarmed_item_hides_hangup_until_modify(backend: Backend) -> None:
    os, select = backend.os, backend.select
    r, w = os.pipe()
    ep = select.epoll()
    ep.register(r, select.EPOLLIN | select.EPOLLONESHOT)
    os.write(w, b"x")
    assert ep.poll(0) == [(r, select.EPOLLIN)]
    os.close(w)
    assert ep.poll(0) == []  # HUP and ERR are masked too while disarmed
    ep.modify(r, select.EPOLLIN | select.EPOLLONESHOT)
    assert ep.poll(0) == [(r, select.EPOLLIN | select.EPOLLHUP)]
    assert ep.poll(0) == []


def test_oneshot_level_triggered_modify_to_plain_lt_reports_every_time(backend: Backend) -> None:
    os, select = backend.os, backend.select
    r, w = os.pipe()
    ep = select.epoll()
    ep.register(r, select.EPOLLIN | select.EPOLLONESHOT)
    os.write(w, b"x")
    assert ep.poll(0) == [(r, select.EPOLLIN)]
    ep.modify(r, select.EPOLLIN)
    assert ep.poll(0) == [(r, select.EPOLLIN)]
    assert ep.poll(0) == [(r, select.EPOLLIN)]


def test_oneshot_and_edge_triggered_eventfd_never_refires(backend: Backend) -> None:
    """gVisor OneshotAndEdgeTriggered."""
    os, select = backend.os, backend.select
    efd = os.eventfd(0)
    ep = select.epoll()
    ep.register(efd, select.EPOLLOUT | select.EPOLLET | select.EPOLLONESHOT)
    assert ep.poll(0) == [(efd, select.EPOLLOUT)]
    assert ep.poll(0) == []
    os.eventfd_write(efd, 0xFFFFFFFFFFFFFFFE)
    os.eventfd_read(efd)
    assert ep.poll(0) == []


def test_modify_of_a_ready_edge_triggered_item_gives_a_fresh_event(backend: Backend) -> None:
    """Selftest epoll59: every MOD of a ready, unqueued ET item queues a new event."""
    os, select = backend.os, backend.select
    efd = os.eventfd(1)  # always readable
    ep = select.epoll()
    ep.register(efd, select.EPOLLIN | select.EPOLLERR | select.EPOLLET)
    for _ in range(5):
        assert ep.poll(0) == [(efd, select.EPOLLIN)]
        assert ep.poll(0) == []
        ep.modify(efd, select.EPOLLIN | select.EPOLLERR | select.EPOLLET)


def test_modify_of_a_queued_item_keeps_its_place(backend: Backend) -> None:
    os, select = backend.os, backend.select
    (a, wa), (b, wb) = backend.os.pipe(), backend.os.pipe()
    ep = select.epoll()
    ep.register(a, select.EPOLLIN)
    ep.register(b, select.EPOLLIN)
    os.write(wa, b"x")
    os.write(wb, b"x")
    ep.modify(a, select.EPOLLIN)
    assert ep.poll(0) == [(a, select.EPOLLIN), (b, select.EPOLLIN)]


def test_modify_to_a_mask_that_is_not_ready_leaves_the_item_to_be_dropped(backend: Backend) -> None:
    os, select = backend.os, backend.select
    (a, wa), (b, wb) = backend.os.pipe(), backend.os.pipe()
    ep = select.epoll()
    ep.register(a, select.EPOLLIN)
    ep.register(b, select.EPOLLIN)
    os.write(wa, b"x")
    os.write(wb, b"x")
    ep.modify(a, select.EPOLLOUT)  # a read end is never writable
    assert ep.poll(0) == [(b, select.EPOLLIN)]
    # a was dropped from the ready list; a MOD back queues it at the tail.
    ep.modify(a, select.EPOLLIN)
    assert ep.poll(0) == [(b, select.EPOLLIN), (a, select.EPOLLIN)]


def test_modify_to_zero_then_back_to_in_reports_with_new_data(backend: Backend) -> None:
    """epoll-shim modify_existing, at the Python level (data is the fd)."""
    os, select = backend.os, backend.select
    r, w = os.pipe()
    ep = select.epoll()
    ep.register(r, select.EPOLLIN)
    ep.modify(r, 0)
    os.write(w, b"x")
    assert ep.poll(0) == []  # interest 0 = only ERR and HUP
    ep.modify(r, select.EPOLLIN)
    assert ep.poll(0) == [(r, select.EPOLLIN)]


def test_interest_mask_zero_still_reports_hangup(backend: Backend) -> None:
    """gVisor PipeReaderHupAfterWriterClosed."""
    os, select = backend.os, backend.select
    r, w = os.pipe()
    ep = select.epoll()
    ep.register(r, 0)
    assert ep.poll(0) == []
    os.close(w)
    assert ep.poll(0) == [(r, select.EPOLLHUP)]
    assert ep.poll(0) == [(r, select.EPOLLHUP)]  # level-triggered


def test_interest_mask_zero_still_reports_error(backend: Backend) -> None:
    os, select = backend.os, backend.select
    r, w = os.pipe()
    ep = select.epoll()
    ep.register(w, 0)
    assert ep.poll(0) == []
    os.close(r)
    assert ep.poll(0) == [(w, select.EPOLLERR)]


def test_err_only_registration_of_write_end(backend: Backend) -> None:
    """gVisor PipeWriterErrAfterReaderClosed: registered with EPOLLERR only."""
    os, select = backend.os, backend.select
    r, w = os.pipe()
    ep = select.epoll()
    ep.register(w, select.EPOLLERR)
    assert ep.poll(0) == []
    os.close(r)
    assert ep.poll(0) == [(w, select.EPOLLERR)]


def test_hangup_with_data_left_reports_in_and_hup(backend: Backend) -> None:
    os, select = backend.os, backend.select
    r, w = os.pipe()
    ep = select.epoll()
    ep.register(r, select.EPOLLIN | select.EPOLLRDHUP)
    os.write(w, b"x")
    os.close(w)
    assert ep.poll(0) == [(r, select.EPOLLIN | select.EPOLLHUP)]  # pipes never set RDHUP
    os.read(r, 1)
    assert ep.poll(0) == [(r, select.EPOLLHUP)]


def test_edge_triggered_hangup_is_reported_once(backend: Backend) -> None:
    os, select = backend.os, backend.select
    r, w = os.pipe()
    ep = select.epoll()
    ep.register(r, select.EPOLLIN | select.EPOLLET)
    os.close(w)
    assert ep.poll(0) == [(r, select.EPOLLHUP)]
    assert ep.poll(0) == []


def test_rdnorm_and_wrnorm_only_when_requested(backend: Backend) -> None:
    os, select = backend.os, backend.select
    r, w = os.pipe()
    os.write(w, b"x")
    ep = select.epoll()
    ep.register(r, select.EPOLLIN | select.EPOLLRDNORM)
    ep.register(w, select.EPOLLOUT | select.EPOLLWRNORM)
    assert ep.poll(0) == [
        (r, select.EPOLLIN | select.EPOLLRDNORM),
        (w, select.EPOLLOUT | select.EPOLLWRNORM),
    ]
    ep.modify(r, select.EPOLLRDNORM)
    ep.modify(w, select.EPOLLWRNORM)
    assert sorted(ep.poll(0)) == sorted([(r, select.EPOLLRDNORM), (w, select.EPOLLWRNORM)])
    ep.modify(r, select.EPOLLIN)
    ep.modify(w, select.EPOLLOUT)
    assert sorted(ep.poll(0)) == sorted([(r, select.EPOLLIN), (w, select.EPOLLOUT)])


def test_private_and_unknown_bits_are_never_reported(backend: Backend) -> None:
    os, select = backend.os, backend.select
    _r, w = os.pipe()
    ep = select.epoll()
    ep.register(w, select.EPOLLOUT | EPOLLWAKEUP | 0x8000 | 0x04000000)
    assert ep.poll(0) == [(w, select.EPOLLOUT)]


def test_several_writes_between_waits_are_one_report(backend: Backend) -> None:
    os, select = backend.os, backend.select
    r, w = os.pipe()
    ep = select.epoll()
    ep.register(r, select.EPOLLIN | select.EPOLLET)
    for _ in range(3):
        os.write(w, b"x")
    assert ep.poll(0) == [(r, select.EPOLLIN)]
    assert ep.poll(0) == []


def test_modify_accepts_every_combination_of_the_usual_bits(backend: Backend) -> None:
    """LTP epoll_ctl03: MOD with each of the 256 combinations of 8 bits succeeds."""
    os, select = backend.os, backend.select
    r, _ = os.pipe()
    ep = select.epoll()
    ep.register(r, select.EPOLLIN)
    bits = [select.EPOLLIN, select.EPOLLOUT, select.EPOLLPRI, select.EPOLLERR, select.EPOLLHUP,
            select.EPOLLET, select.EPOLLONESHOT, select.EPOLLRDHUP]
    for combo in range(256):
        mask = 0
        for i, bit in enumerate(bits):
            if combo >> i & 1:
                mask |= bit
        ep.modify(r, mask)
    assert ep.poll(0) == []


def test_socketpair_peer_close_reports_in_out_rdhup_hup(backend: Backend) -> None:
    """python-stdlib.md 1.2: 8213 = IN|OUT|HUP|RDHUP after the peer closes."""
    select = backend.select
    a, b = backend.socket.socketpair()
    ep = select.epoll()
    ep.register(a.fileno(), select.EPOLLIN | select.EPOLLOUT | select.EPOLLRDHUP)
    assert ep.poll(0) == [(a.fileno(), select.EPOLLOUT)]
    b.close()
    assert ep.poll(0) == [(a.fileno(), 8213)]
    assert 8213 == select.EPOLLIN | select.EPOLLOUT | select.EPOLLHUP | select.EPOLLRDHUP
