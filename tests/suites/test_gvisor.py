"""gVisor test/syscalls/linux/epoll.cc, the single-threaded rows, on both backends.

Spec: linux-epoll.md 12.4. RegisterEpollFD is EPOLL_CTL_ADD with a mask and ``data.u64``;
NewEventFD is ``eventfd(0, 0)``. gVisor's ``epoll_wait(-1)`` on something already ready
becomes timeout 0 here, and its 100 ms "must time out" waits become 10 ms.
"""
from __future__ import annotations

import errno
import os as _os
import select as _select

import pytest

from epollsim.testing.backends import Backend

EPOLLIN, EPOLLOUT, EPOLLERR, EPOLLHUP = _select.EPOLLIN, _select.EPOLLOUT, _select.EPOLLERR, _select.EPOLLHUP
EPOLLET, EPOLLONESHOT = _select.EPOLLET, _select.EPOLLONESHOT
ADD, MOD = 1, 3  # EPOLL_CTL_ADD, EPOLL_CTL_MOD
K_FDS_PER_EPOLL = 3
K_MAGIC_CONSTANT = 0x0102030405060708
TIMEOUT_MS = 10  # gVisor waits 100 ms for "nothing happens"
U64_MAX = 0xFFFFFFFFFFFFFFFF


def _u64(value: int) -> bytes:
    return value.to_bytes(8, "little")


def _epoll_with_eventfds(backend: Backend, mask: int) -> tuple[int, list[int]]:
    """An epoll with kFDsPerEpoll eventfds registered with ``mask`` and data kMagicConstant + i."""
    sys = backend.sys
    ep = sys.epoll_create1(0)
    eventfds = [sys.eventfd2(0, 0) for _ in range(K_FDS_PER_EPOLL)]
    for i, fd in enumerate(eventfds):
        sys.epoll_ctl(ep, ADD, fd, mask, K_MAGIC_CONSTANT + i)
    return ep, eventfds


def test_gvisor_all_writable(backend: Backend) -> None:
    """gVisor EpollTest.AllWritable."""
    ep, _ = _epoll_with_eventfds(backend, EPOLLIN | EPOLLOUT)
    got = backend.sys.epoll_wait(ep, K_FDS_PER_EPOLL, 0)
    assert got == [(EPOLLOUT, K_MAGIC_CONSTANT + i) for i in range(K_FDS_PER_EPOLL)]


def test_gvisor_last_readable(backend: Backend) -> None:
    """gVisor EpollTest.LastReadable (the written eventfd keeps its place on the ready list)."""
    ep, eventfds = _epoll_with_eventfds(backend, EPOLLIN | EPOLLOUT)
    assert backend.sys.write(eventfds[-1], _u64(1)) == 8
    got = backend.sys.epoll_wait(ep, K_FDS_PER_EPOLL, 0)
    assert got == [
        (EPOLLOUT, K_MAGIC_CONSTANT),
        (EPOLLOUT, K_MAGIC_CONSTANT + 1),
        (EPOLLOUT | EPOLLIN, K_MAGIC_CONSTANT + 2),
    ]


def test_gvisor_last_non_writable(backend: Backend) -> None:
    """gVisor EpollTest.LastNonWritable."""
    sys = backend.sys
    ep, eventfds = _epoll_with_eventfds(backend, EPOLLIN | EPOLLOUT)
    assert sys.write(eventfds[-1], _u64(U64_MAX - 1)) == 8  # one more write would block
    assert [events for events, _ in sys.epoll_wait(ep, K_FDS_PER_EPOLL, 0)] == [EPOLLOUT, EPOLLOUT, EPOLLIN]
    assert sys.read(eventfds[-1], 8) == _u64(U64_MAX - 1)
    assert sys.epoll_wait(ep, K_FDS_PER_EPOLL, 0) == [
        (EPOLLOUT, K_MAGIC_CONSTANT + i) for i in range(K_FDS_PER_EPOLL)
    ]


def test_gvisor_timeout_no_fds(backend: Backend) -> None:
    """gVisor EpollTest.TimeoutNoFds (10 ms instead of 100 ms)."""
    ep = backend.sys.epoll_create1(0)
    assert backend.sys.epoll_wait(ep, K_FDS_PER_EPOLL, TIMEOUT_MS) == []


def test_gvisor_oneshot(backend: Backend) -> None:
    """gVisor EpollTest.Oneshot."""
    sys = backend.sys
    ep, eventfds = _epoll_with_eventfds(backend, EPOLLIN)
    sys.epoll_ctl(ep, MOD, eventfds[0], EPOLLOUT | EPOLLONESHOT, K_MAGIC_CONSTANT)
    assert sys.epoll_wait(ep, K_FDS_PER_EPOLL, 0) == [(EPOLLOUT, K_MAGIC_CONSTANT)]
    assert sys.epoll_wait(ep, K_FDS_PER_EPOLL, TIMEOUT_MS) == []


def test_gvisor_edge_triggered(backend: Backend) -> None:
    """gVisor EpollTest.EdgeTriggered (a read of the eventfd is an EPOLLOUT edge; the write is not)."""
    sys = backend.sys
    ep = sys.epoll_create1(0)
    efd = sys.eventfd2(0, 0)
    sys.epoll_ctl(ep, ADD, efd, EPOLLOUT | EPOLLET, K_MAGIC_CONSTANT)
    assert sys.epoll_wait(ep, K_FDS_PER_EPOLL, 0) == [(EPOLLOUT, K_MAGIC_CONSTANT)]
    assert sys.epoll_wait(ep, K_FDS_PER_EPOLL, TIMEOUT_MS) == []
    assert sys.write(efd, _u64(U64_MAX - 1)) == 8  # not writable any more
    assert sys.read(efd, 8) == _u64(U64_MAX - 1)  # writable again: an edge
    assert sys.epoll_wait(ep, K_FDS_PER_EPOLL, 0) == [(EPOLLOUT, K_MAGIC_CONSTANT)]
    assert sys.epoll_wait(ep, K_FDS_PER_EPOLL, TIMEOUT_MS) == []


def test_gvisor_oneshot_and_edge_triggered(backend: Backend) -> None:
    """gVisor EpollTest.OneshotAndEdgeTriggered."""
    sys = backend.sys
    ep = sys.epoll_create1(0)
    efd = sys.eventfd2(0, 0)
    sys.epoll_ctl(ep, ADD, efd, EPOLLOUT | EPOLLET | EPOLLONESHOT, K_MAGIC_CONSTANT)
    assert sys.epoll_wait(ep, K_FDS_PER_EPOLL, 0) == [(EPOLLOUT, K_MAGIC_CONSTANT)]
    assert sys.epoll_wait(ep, K_FDS_PER_EPOLL, TIMEOUT_MS) == []
    assert sys.write(efd, _u64(U64_MAX - 1)) == 8
    assert sys.read(efd, 8) == _u64(U64_MAX - 1)  # an edge, but the item is disarmed
    assert sys.epoll_wait(ep, K_FDS_PER_EPOLL, TIMEOUT_MS) == []


def test_gvisor_cycle_of_one_disallowed(backend: Backend) -> None:
    """gVisor EpollTest.CycleOfOneDisallowed."""
    ep = backend.sys.epoll_create1(0)
    with pytest.raises(OSError) as info:
        backend.sys.epoll_ctl(ep, ADD, ep, EPOLLOUT, K_MAGIC_CONSTANT)
    assert info.value.errno == errno.EINVAL


def test_gvisor_cycle_of_three_disallowed(backend: Backend) -> None:
    """gVisor EpollTest.CycleOfThreeDisallowed."""
    sys = backend.sys
    ep, ep1, ep2 = sys.epoll_create1(0), sys.epoll_create1(0), sys.epoll_create1(0)
    sys.epoll_ctl(ep, ADD, ep1, EPOLLIN, K_MAGIC_CONSTANT)
    sys.epoll_ctl(ep1, ADD, ep2, EPOLLIN, K_MAGIC_CONSTANT)
    with pytest.raises(OSError) as info:
        sys.epoll_ctl(ep2, ADD, ep, EPOLLIN, K_MAGIC_CONSTANT)
    assert info.value.errno == errno.ELOOP


def test_gvisor_close_file(backend: Backend) -> None:
    """gVisor EpollTest.CloseFile (closing the only reference removes the item silently)."""
    sys = backend.sys
    ep = sys.epoll_create1(0)
    efd = sys.eventfd2(0, 0)
    sys.epoll_ctl(ep, ADD, efd, EPOLLOUT, K_MAGIC_CONSTANT)
    assert sys.epoll_wait(ep, K_FDS_PER_EPOLL, 0) == [(EPOLLOUT, K_MAGIC_CONSTANT)]
    sys.close(efd)
    assert sys.epoll_wait(ep, K_FDS_PER_EPOLL, TIMEOUT_MS) == []


def test_gvisor_pipe_reader_hup_after_writer_closed(backend: Backend) -> None:
    """gVisor EpollTest.PipeReaderHupAfterWriterClosed."""
    sys = backend.sys
    ep = sys.epoll_create1(0)
    r, w = sys.pipe2(0)
    sys.epoll_ctl(ep, ADD, r, 0, K_MAGIC_CONSTANT)
    assert sys.epoll_wait(ep, K_FDS_PER_EPOLL, 0) == []
    sys.close(w)
    assert sys.epoll_wait(ep, K_FDS_PER_EPOLL, 0) == [(EPOLLHUP, K_MAGIC_CONSTANT)]


def test_gvisor_pipe_writer_err_after_reader_closed(backend: Backend) -> None:
    """gVisor EpollTest.PipeWriterErrAfterReaderClosed."""
    sys = backend.sys
    ep = sys.epoll_create1(0)
    r, w = sys.pipe2(0)
    sys.epoll_ctl(ep, ADD, w, EPOLLERR, K_MAGIC_CONSTANT)
    assert sys.epoll_wait(ep, K_FDS_PER_EPOLL, 0) == []
    sys.close(r)
    assert sys.epoll_wait(ep, K_FDS_PER_EPOLL, 0) == [(EPOLLERR, K_MAGIC_CONSTANT)]


def test_gvisor_regular_files_as_dev_null_are_eperm(backend: Backend) -> None:
    """gVisor EpollTest.RegularFiles (with /dev/null: the model has no regular files)."""
    ep = backend.sys.epoll_create1(0)
    null = backend.os.open("/dev/null", _os.O_RDONLY)
    with pytest.raises(OSError) as info:
        backend.sys.epoll_ctl(ep, ADD, null, EPOLLIN | EPOLLOUT, K_MAGIC_CONSTANT)
    assert info.value.errno == errno.EPERM


def test_gvisor_double_layer_epoll(backend: Backend) -> None:
    """gVisor EpollTest.DoubleLayerEpoll (the write happens before the waits instead of in a thread)."""
    sys = backend.sys
    r, w = sys.pipe2(_os.O_NONBLOCK)
    ep1 = sys.epoll_create1(0)
    sys.epoll_ctl(ep1, ADD, r, EPOLLIN | EPOLLHUP, r)
    ep2 = sys.epoll_create1(0)
    sys.epoll_ctl(ep2, ADD, ep1, EPOLLIN | EPOLLHUP, ep1)
    assert sys.epoll_wait(ep2, 2, 0) == []
    assert sys.epoll_wait(ep1, 2, 0) == []
    data = b"data\0"
    for _ in range(2):  # twice: the event in ep1 must be cleaned up by the read
        assert sys.write(w, data) == len(data)
        assert sys.epoll_wait(ep2, 2, 0) == [(EPOLLIN, ep1)]
        assert sys.epoll_wait(ep1, 2, 0) == [(EPOLLIN, r)]
        assert sys.read(r, len(data)) == data
