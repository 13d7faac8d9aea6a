"""The views a user gets into the model: the epoll dump and statistics, file lookup."""
from __future__ import annotations

import pytest

import epollsim


def test_describe_epoll_lists_interests_by_name_and_the_ready_list_in_order() -> None:
    k = epollsim.Kernel()
    sel = k.select
    r1, w1 = k.os.pipe()
    r2, w2 = k.os.pipe()
    ep = sel.epoll()
    ep.register(r1, sel.EPOLLIN | sel.EPOLLET)
    ep.register(r2, sel.EPOLLIN)
    k.os.write(w2, b"b")
    k.os.write(w1, b"a")
    assert k.describe_epoll(ep.fileno()) == "\n".join(
        [
            f"epoll fd {ep.fileno()}: 2 interests, 2 ready",
            f"  fd {r1:<4} pipe     EPOLLIN|EPOLLERR|EPOLLHUP|EPOLLET data={r1}",
            f"  fd {r2:<4} pipe     EPOLLIN|EPOLLERR|EPOLLHUP data={r2}",
            f"  ready list: fd {r2}, fd {r1}",
            "  sleepers: (none)",
        ]
    )
    ep.poll(0)  # r1 (ET) is consumed, r2 (LT) goes back to the tail
    assert f"\n  ready list: fd {r2}\n" in k.describe_epoll(ep.fileno())
    assert k.epoll(ep.fileno()).statistics() == {"interests": 2, "ready": 1, "sleepers": 0, "pollers": 0}


def test_epoll_lookup_refuses_other_kinds() -> None:
    k = epollsim.Kernel()
    r, _ = k.os.pipe()
    assert k.file(r).kind == "pipe"
    with pytest.raises(TypeError, match="is a pipe, not an epoll"):
        k.epoll(r)
    with pytest.raises(OSError):
        k.file(99)


def test_hosts_have_their_own_fd_tables_and_share_the_clock():
    k = epollsim.Kernel()
    b = k.add_host("b")
    assert k.host("localhost").os is k.os
    r, w = b.os.pipe()
    assert (r, w) == (3, 4)
    assert k.os.pipe() == (3, 4)  # the first host's table is separate
    assert b.time is k.time and b.threading is k.threading
    with pytest.raises(ValueError, match="already a host named 'b'"):
        k.add_host("b")
    with pytest.raises(KeyError, match="no host named 'c'"):
        k.host("c")
