"""EPOLLEXCLUSIVE as a single thread can see it (linux-epoll.md 4.5 and 5): exclusive hooks
sit at the tail of the file's wait queue, and with no epoll_wait sleeper every exclusive item
is still queued on its instance's ready list."""
from __future__ import annotations

from epollsim.testing.backends import Backend


def test_without_sleepers_every_exclusive_instance_gets_the_event(backend: Backend) -> None:
    os, select = backend.os, backend.select
    r, w = os.pipe()
    eps = [select.epoll() for _ in range(3)]
    for ep in eps:
        ep.register(r, select.EPOLLIN | select.EPOLLEXCLUSIVE | select.EPOLLET)
    os.write(w, b"x")
    for ep in eps:
        assert ep.poll(0) == [(r, select.EPOLLIN)]
        assert ep.poll(0) == []


def test_exclusive_level_triggered_item_behaves_as_level_triggered(backend: Backend) -> None:
    os, select = backend.os, backend.select
    r, w = os.pipe()
    ep = select.epoll()
    ep.register(r, select.EPOLLIN | select.EPOLLEXCLUSIVE)
    assert ep.poll(0) == []
    os.write(w, b"x")
    assert ep.poll(0) == [(r, select.EPOLLIN)]
    assert ep.poll(0) == [(r, select.EPOLLIN)]
    os.read(r, 1)
    assert ep.poll(0) == []


def test_exclusive_hooks_run_after_normal_ones_in_registration_order(backend: Backend) -> None:
    """Normal hooks are pushed at the head of the queue (newest first), exclusive hooks
    appended at the tail (oldest first): one write queues them in that walk order."""
    os, select = backend.os, backend.select
    r, w = os.pipe()
    x1, n1, x2, n2 = (os.dup(r) for _ in range(4))
    ep = select.epoll()
    ep.register(x1, select.EPOLLIN | select.EPOLLEXCLUSIVE)
    ep.register(n1, select.EPOLLIN)
    ep.register(x2, select.EPOLLIN | select.EPOLLEXCLUSIVE)
    ep.register(n2, select.EPOLLIN)
    os.write(w, b"x")
    assert [fd for fd, _ in ep.poll(0)] == [n2, n1, x1, x2]


def test_exclusive_item_ignores_a_wake_up_for_the_other_direction(backend: Backend) -> None:
    """The key filter applies to exclusive items too: an IN item is not queued by an OUT wake-up."""
    os, select = backend.os, backend.select
    r, w = os.pipe2(os.O_NONBLOCK)
    ep = select.epoll()
    ep.register(w, select.EPOLLIN | select.EPOLLEXCLUSIVE)  # a write end is never readable
    os.write(w, b"x" * 65536)
    os.read(r, 65536)  # frees slots of a full pipe: the writers are woken with OUT
    assert ep.poll(0) == []


def test_exclusive_hangup_reaches_every_instance(backend: Backend) -> None:
    os, select = backend.os, backend.select
    r, w = os.pipe()
    eps = [select.epoll() for _ in range(2)]
    for ep in eps:
        ep.register(r, select.EPOLLIN | select.EPOLLEXCLUSIVE)
    os.close(w)
    for ep in eps:
        assert ep.poll(0) == [(r, select.EPOLLHUP)]
