"""os.sendfile between the model's kinds of file (fs/read_write.c do_sendfile, fs/splice.c), on
both backends: almost everything is refused, in Linux's order."""
from __future__ import annotations

import os
import time
from collections.abc import Iterator
from typing import Any

import pytest
from contract_helpers import raises_exactly

from epollsim.testing.backends import Backend


def err(code: int, call: Any) -> None:
    with pytest.raises(OSError) as info:
        call()
    assert info.value.errno == code, info.value


@pytest.fixture
def f(backend: Backend) -> Iterator[dict[str, int]]:
    o = backend.os
    r, w = o.pipe2(os.O_NONBLOCK)
    r2, w2 = o.pipe2(os.O_NONBLOCK)
    a, b = backend.socket.socketpair()
    a.setblocking(False)
    b.setblocking(False)
    ep = backend.select.epoll()
    fds = {"pipe_r": r, "pipe_w": w, "pipe2_r": r2, "pipe2_w": w2, "sock_a": a.fileno(), "sock_b": b.fileno(),
           "eventfd": o.eventfd(5, os.EFD_NONBLOCK), "epoll": ep.fileno(),
           "timerfd": backend.os.timerfd_create(time.CLOCK_MONOTONIC, flags=os.O_NONBLOCK),
           "null": o.open("/dev/null", os.O_RDWR), "null_append": o.open("/dev/null", os.O_RDWR | os.O_APPEND)}
    o.write(w, b"pipedata")
    a.send(b"sockdata")
    yield fds
    for name, fd in fds.items():
        if name not in ("sock_a", "sock_b", "epoll"):
            o.close(fd)
    a.close()
    b.close()
    ep.close()


INPUTS = ["pipe_r", "sock_b", "eventfd", "epoll", "timerfd", "null"]


@pytest.mark.parametrize("src", INPUTS)
def test_into_a_socket_or_dev_null(backend: Backend, f: dict[str, int], src: str) -> None:
    """do_splice_direct: pipes and sockets are not seekable (EINVAL, even for 0 bytes); the
    others have no splice_read (EINVAL) but move 0 bytes when asked for 0."""
    o = backend.os
    for out in ("sock_a", "null"):
        err(22, lambda: o.sendfile(f[out], f[src], None, 4))
        if src in ("pipe_r", "sock_b"):
            err(22, lambda: o.sendfile(f[out], f[src], None, 0))
        else:
            assert o.sendfile(f[out], f[src], None, 0) == 0
    err(22, lambda: o.sendfile(f["null_append"], f[src], None, 0))  # O_APPEND output


@pytest.mark.parametrize("src", ["pipe_r", "eventfd", "epoll", "timerfd", "null"])
def test_into_a_pipe(backend: Backend, f: dict[str, int], src: str) -> None:
    """splice_file_to_pipe: 0 bytes is 0; more needs the input's splice_read (EINVAL)."""
    o = backend.os
    assert o.sendfile(f["pipe2_w"], f[src], None, 0) == 0
    err(22, lambda: o.sendfile(f["pipe2_w"], f[src], None, 4))


def test_offsets_fds_and_modes_in_linux_order(backend: Backend, f: dict[str, int]) -> None:
    o = backend.os
    for src in ("pipe_r", "sock_b", "eventfd", "epoll", "timerfd"):
        err(29, lambda: o.sendfile(f["sock_a"], f[src], 0, 4))  # no FMODE_PREAD: ESPIPE
    err(22, lambda: o.sendfile(f["sock_a"], f["null"], 0, 4))
    err(22, lambda: o.sendfile(f["sock_a"], f["null"], -1, 0))
    assert o.sendfile(f["sock_a"], f["null"], 5, 0) == 0
    err(22, lambda: o.sendfile(f["sock_a"], f["null"], None, -1))
    err(9, lambda: o.sendfile(f["sock_a"], f["pipe_w"], None, 4))  # the input not readable
    err(9, lambda: o.sendfile(f["pipe2_r"], f["null"], None, 4))  # the output not writable
    err(9, lambda: o.sendfile(f["sock_a"], 999, None, 4))
    err(9, lambda: o.sendfile(999, f["null"], None, 4))
    err(29, lambda: o.sendfile(999, f["pipe_r"], 0, 4))  # the input first
    raises_exactly(TypeError, "'str' object cannot be interpreted as an integer", o.sendfile, f["sock_a"], f["null"], "x", 4)


def test_into_a_pipe_with_no_reader_or_no_room(backend: Backend, f: dict[str, int]) -> None:
    """wait_for_space comes first: no reader is EPIPE, a full non-blocking pipe EAGAIN."""
    o = backend.os
    o.write(f["pipe2_w"], b"x" * 65536)
    err(11, lambda: o.sendfile(f["pipe2_w"], f["null"], None, 0))
    o.close(f["pipe2_r"])
    f["pipe2_r"] = o.dup(f["pipe2_w"])  # the fixture closes something there
    for src in ("null", "eventfd", "sock_b"):
        err(32, lambda: o.sendfile(f["pipe2_w"], f[src], None, 0))
        err(32, lambda: o.sendfile(f["pipe2_w"], f[src], None, 4))
