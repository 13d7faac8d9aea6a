"""os.preadv and os.pwritev (preadv2/pwritev2, fs/read_write.c do_preadv, kiocb_set_rw_flags;
Modules/posixmodule.c os_preadv_impl) on the files the model has, on both backends."""
from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import pytest
from contract_helpers import raises_exactly

from epollsim.testing.backends import Backend

RWF_HIPRI, RWF_DSYNC, RWF_NOWAIT, RWF_APPEND, RWF_NOAPPEND, RWF_ATOMIC = 1, 2, 8, 16, 32, 64


def err(code: int, call: Any) -> None:
    with pytest.raises(OSError) as info:
        call()
    assert info.value.errno == code, info.value


@pytest.fixture
def files(backend: Backend) -> Iterator[dict[str, int]]:
    o = backend.os
    r, w = o.pipe2(os.O_NONBLOCK)
    a, b = backend.socket.socketpair()
    a.setblocking(False)
    b.setblocking(False)
    ep = backend.select.epoll()
    out = {"pipe_r": r, "pipe_w": w, "sock_a": a.fileno(), "sock_b": b.fileno(),
           "eventfd": o.eventfd(0, os.EFD_NONBLOCK), "epoll": ep.fileno(),
           "null": o.open("/dev/null", os.O_RDWR)}
    yield out
    for name in ("pipe_r", "pipe_w", "eventfd", "null"):
        o.close(out[name])
    a.close()
    b.close()
    ep.close()


def test_offset_minus_one_is_readv_and_writev(backend: Backend, files: dict[str, int]) -> None:
    o = backend.os
    assert o.pwritev(files["pipe_w"], [b"ab", b"cde"], -1) == 5
    bufs = [bytearray(1), bytearray(9)]
    assert o.preadv(files["pipe_r"], bufs, -1) == 5
    assert bufs == [bytearray(b"a"), bytearray(b"bcde\0\0\0\0\0")]
    assert o.pwritev(files["sock_a"], [b"xy"], -1, RWF_NOWAIT) == 2
    buf = bytearray(4)
    assert o.preadv(files["sock_b"], [buf], -1, RWF_HIPRI) == 2 and buf[:2] == b"xy"
    err(11, lambda: o.preadv(files["pipe_r"], [bytearray(1)], -1))


def test_a_file_without_a_position_is_espipe_at_any_other_offset(backend: Backend, files: dict[str, int]) -> None:
    o = backend.os
    for name in ("pipe_r", "sock_a", "eventfd", "epoll"):
        err(29, lambda: o.preadv(files[name], [bytearray(1)], 0))
        err(29, lambda: o.preadv(files[name], [bytearray(1)] * 1025, 5))  # ESPIPE before the count
    err(29, lambda: o.pwritev(files["pipe_w"], [b"x"], 0))
    err(29, lambda: o.preadv(files["pipe_r"], [], 0, 1 << 20))
    for name in ("pipe_r", "null"):
        err(22, lambda: o.preadv(files[name], [bytearray(1)], -2))
    err(22, lambda: o.preadv(999, [bytearray(1)], -2))  # the offset before the fd
    err(9, lambda: o.preadv(999, [bytearray(1)], 0))
    err(9, lambda: o.preadv(files["pipe_w"], [bytearray(1)], -1))
    err(9, lambda: o.pwritev(files["pipe_r"], [b"x"], -1))
    err(22, lambda: o.preadv(files["epoll"], [bytearray(1)], -1))


def test_dev_null_at_an_offset(backend: Backend, files: dict[str, int]) -> None:
    o = backend.os
    buf = bytearray(3)
    assert o.preadv(files["null"], [buf], 5) == 0 and buf == bytearray(3)
    assert o.pwritev(files["null"], [b"ab", b"c"], 7, RWF_DSYNC) == 3
    err(22, lambda: o.preadv(files["null"], [bytearray(1)] * 1025, 0))
    err(22, lambda: o.pwritev(files["null"], [b"x"] * 1025, 0))


@pytest.mark.parametrize("flags, code", [(RWF_APPEND | RWF_NOAPPEND, 22), (RWF_ATOMIC, 95), (0x80, 95), (1 << 20, 95)])
def test_flags_linux_refuses(backend: Backend, files: dict[str, int], flags: int, code: int) -> None:
    o = backend.os
    o.write(files["pipe_w"], b"data")
    err(code, lambda: o.preadv(files["pipe_r"], [bytearray(1)], -1, flags))
    err(code, lambda: o.pwritev(files["sock_a"], [b"x"], -1, flags))
    err(code, lambda: o.preadv(files["null"], [bytearray(1)], 0, flags))
    assert o.preadv(files["pipe_r"], [], -1, flags) == 0  # nothing to move: the flags are not looked at


def test_an_eventfd_write_takes_only_rwf_hipri(backend: Backend, files: dict[str, int]) -> None:
    o = backend.os
    e = files["eventfd"]
    one = (1).to_bytes(8, "little")
    assert o.pwritev(e, [one], -1, RWF_HIPRI) == 8
    for flags in (RWF_NOWAIT, RWF_DSYNC, RWF_APPEND | RWF_NOAPPEND):
        err(95, lambda: o.pwritev(e, [one], -1, flags))
    buf = bytearray(8)
    assert o.preadv(e, [buf], -1, RWF_NOWAIT) == 8 and buf == one


def test_rwf_nowait_on_blocking_files(backend: Backend) -> None:
    o = backend.os
    r, w = o.pipe()
    e = o.eventfd(0)
    try:
        err(11, lambda: o.preadv(r, [bytearray(8)], -1, RWF_NOWAIT))
        err(11, lambda: o.preadv(e, [bytearray(8)], -1, RWF_NOWAIT))
        assert o.pwritev(w, [b"x" * 70000], -1, RWF_NOWAIT) == 65536  # what fits
        err(11, lambda: o.pwritev(w, [b"x"], -1, RWF_NOWAIT))
    finally:
        for fd in (r, w, e):
            o.close(fd)


def test_argument_errors(backend: Backend, files: dict[str, int]) -> None:
    o = backend.os
    r, w = files["pipe_r"], files["pipe_w"]
    raises_exactly(TypeError, "preadv2() arg 2 must be a sequence", o.preadv, r, {}, 0)
    raises_exactly(TypeError, "pwritev() arg 2 must be a sequence", o.pwritev, w, 5, 0)
    raises_exactly(BufferError, "Object is not writable.", o.preadv, r, [b"ro"], 0)
    raises_exactly(TypeError, "a bytes-like object is required, not 'str'", o.pwritev, w, ["s"], 0)
    raises_exactly(TypeError, "'float' object cannot be interpreted as an integer", o.preadv, r, [], 1.5)
    raises_exactly(OverflowError, "Python int too large to convert to C long", o.preadv, r, [], 2**63)
    raises_exactly(OverflowError, "Python int too large to convert to C int", o.preadv, r, [], 0, 2**31)

