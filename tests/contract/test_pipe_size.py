"""F_GETPIPE_SZ / F_SETPIPE_SZ (fs/pipe.c pipe_fcntl, pipe_set_size, round_pipe_size).

The host runs without CAP_SYS_RESOURCE, as does the model by default, so
growing past /proc/sys/fs/pipe-max-size (1048576) is EPERM on both.
"""
from __future__ import annotations

import errno

import pytest

from epollsim.testing.backends import Backend

PAGE = 4096


def _pipe(backend: Backend) -> tuple[int, int]:
    return backend.os.pipe2(backend.os.O_NONBLOCK)


@pytest.mark.parametrize(
    "asked, got",
    [
        (0, 4096),
        (1, 4096),
        (4096, 4096),
        (4097, 8192),
        (8192, 8192),
        (10000, 16384),
        (65535, 65536),
        (65536, 65536),
        (100000, 131072),
        (1048576, 1048576),
    ],
)
def test_setpipe_sz_rounds_up_to_a_power_of_two_pages(backend: Backend, asked: int, got: int) -> None:
    fcntl = backend.fcntl
    r, w = _pipe(backend)
    assert fcntl.fcntl(w, fcntl.F_SETPIPE_SZ, asked) == got
    assert fcntl.fcntl(w, fcntl.F_GETPIPE_SZ) == got
    assert fcntl.fcntl(r, fcntl.F_GETPIPE_SZ) == got


def test_setpipe_sz_through_the_read_end_resizes_the_shared_pipe(backend: Backend) -> None:
    fcntl, os = backend.fcntl, backend.os
    r, w = _pipe(backend)
    assert fcntl.fcntl(r, fcntl.F_SETPIPE_SZ, 8192) == 8192
    assert os.write(w, b"x" * 100000) == 8192


def test_one_page_pipe_takes_one_4096_byte_write(backend: Backend) -> None:
    fcntl, os = backend.fcntl, backend.os
    _r, w = _pipe(backend)
    fcntl.fcntl(w, fcntl.F_SETPIPE_SZ, 1)
    assert os.write(w, b"x" * 10000) == PAGE
    with pytest.raises(BlockingIOError):
        os.write(w, b"x")


def test_grown_pipe_holds_more(backend: Backend) -> None:
    fcntl, os = backend.fcntl, backend.os
    _r, w = _pipe(backend)
    assert os.write(w, b"x" * 70000) == 65536
    assert fcntl.fcntl(w, fcntl.F_SETPIPE_SZ, 131072) == 131072
    assert os.write(w, b"x" * 100000) == 65536


def test_shrinking_below_the_occupied_slots_is_ebusy(backend: Backend) -> None:
    fcntl, os = backend.fcntl, backend.os
    _r, w = _pipe(backend)
    os.write(w, b"x" * (3 * PAGE))  # three slots
    with pytest.raises(OSError) as info:
        fcntl.fcntl(w, fcntl.F_SETPIPE_SZ, 8192)
    assert info.value.errno == errno.EBUSY
    assert info.value.strerror == "Device or resource busy"
    assert fcntl.fcntl(w, fcntl.F_GETPIPE_SZ) == 65536
    assert fcntl.fcntl(w, fcntl.F_SETPIPE_SZ, 16384) == 16384


def test_occupancy_is_counted_in_slots_not_bytes(backend: Backend) -> None:
    fcntl, os = backend.fcntl, backend.os
    _r, w = _pipe(backend)
    os.write(w, b"x" * 5000)  # two slots: 4096 + 904
    with pytest.raises(OSError) as info:
        fcntl.fcntl(w, fcntl.F_SETPIPE_SZ, 4096)
    assert info.value.errno == errno.EBUSY
    r2, w2 = _pipe(backend)
    for _ in range(3):
        os.write(w2, b"y")  # three bytes, one slot
    assert fcntl.fcntl(w2, fcntl.F_SETPIPE_SZ, 4096) == 4096
    assert os.read(r2, 10) == b"yyy"


@pytest.mark.parametrize("asked", [1048577, 2097152, 1 << 31])
def test_growing_past_pipe_max_size_without_cap_sys_resource_is_eperm(
    backend: Backend, asked: int
) -> None:
    fcntl = backend.fcntl
    _r, w = _pipe(backend)
    with pytest.raises(PermissionError) as info:
        fcntl.fcntl(w, fcntl.F_SETPIPE_SZ, asked)
    assert info.value.errno == errno.EPERM
    assert fcntl.fcntl(w, fcntl.F_GETPIPE_SZ) == 65536


@pytest.mark.parametrize("asked", [(1 << 31) + 1, 0xFFFFFFFF, -1, -4096])
def test_setpipe_sz_above_2_to_the_31_is_einval(backend: Backend, asked: int) -> None:
    fcntl = backend.fcntl
    _r, w = _pipe(backend)
    with pytest.raises(OSError) as info:
        fcntl.fcntl(w, fcntl.F_SETPIPE_SZ, asked)
    assert info.value.errno == errno.EINVAL


@pytest.mark.parametrize("asked, got", [(1 << 32, 4096), ((1 << 32) + 8192, 8192), ((1 << 33) + 4097, 8192)])
def test_setpipe_sz_argument_is_cut_to_32_bits(backend: Backend, asked: int, got: int) -> None:
    fcntl = backend.fcntl
    _r, w = _pipe(backend)
    assert fcntl.fcntl(w, fcntl.F_SETPIPE_SZ, asked) == got


def test_raw_setpipe_sz_argument_is_an_unsigned_int(backend: Backend) -> None:
    fcntl, sys = backend.fcntl, backend.sys
    _r, w = _pipe(backend)
    assert sys.fcntl(w, fcntl.F_SETPIPE_SZ, (1 << 32) + 8192) == 8192
    assert sys.fcntl(w, fcntl.F_GETPIPE_SZ) == 8192


def test_pipe_size_calls_on_an_eventfd_are_ebadf(backend: Backend) -> None:
    fcntl, os = backend.fcntl, backend.os
    efd = os.eventfd(0, os.EFD_NONBLOCK)
    for cmd, arg in ((fcntl.F_GETPIPE_SZ, 0), (fcntl.F_SETPIPE_SZ, 4096)):
        with pytest.raises(OSError) as info:
            fcntl.fcntl(efd, cmd, arg)
        assert info.value.errno == errno.EBADF


def test_pipe_size_calls_on_dev_null_and_epoll_are_ebadf(backend: Backend) -> None:
    fcntl, os = backend.fcntl, backend.os
    null = os.open("/dev/null", os.O_RDWR)
    ep = backend.select.epoll()
    for fd in (null, ep.fileno()):
        with pytest.raises(OSError) as info:
            fcntl.fcntl(fd, fcntl.F_GETPIPE_SZ)
        assert info.value.errno == errno.EBADF


def test_pipe_size_calls_on_a_socket_are_ebadf(backend: Backend) -> None:
    fcntl = backend.fcntl
    a, _b = backend.socket.socketpair()
    with pytest.raises(OSError) as info:
        fcntl.fcntl(a.fileno(), fcntl.F_SETPIPE_SZ, 4096)
    assert info.value.errno == errno.EBADF


def test_growing_a_full_pipe_is_an_epollout_edge(backend: Backend) -> None:
    # pipe_set_size wakes the writers (no key): an EPOLLET write-end item fires.
    fcntl, os, select = backend.fcntl, backend.os, backend.select
    _r, w = _pipe(backend)
    ep = select.epoll()
    ep.register(w, select.EPOLLOUT | select.EPOLLET)
    assert ep.poll(0) == [(w, select.EPOLLOUT)]
    os.write(w, b"x" * 65536)
    assert ep.poll(0) == []
    assert fcntl.fcntl(w, fcntl.F_SETPIPE_SZ, 131072) == 131072
    assert ep.poll(0) == [(w, select.EPOLLOUT)]
    assert ep.poll(0) == []
