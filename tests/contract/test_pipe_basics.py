"""Pipes: creation flags, which end does what, EOF and EPIPE (fs/pipe.c; spec 11.1).

Every pipe in these tests is non-blocking or has data waiting, so no call can
block on the real kernel.
"""
from __future__ import annotations

import errno
import stat

import pytest

from epollsim.testing.backends import Backend

O_RDONLY, O_WRONLY, O_NONBLOCK, O_CLOEXEC = 0o0, 0o1, 0o4000, 0o2000000


def test_os_pipe_ends_are_blocking_and_not_inheritable(backend: Backend) -> None:
    os, fcntl = backend.os, backend.fcntl
    r, w = os.pipe()
    for fd in (r, w):
        assert os.get_blocking(fd) is True
        assert os.get_inheritable(fd) is False
        assert fcntl.fcntl(fd, fcntl.F_GETFD) == fcntl.FD_CLOEXEC


def test_pipe_read_end_is_rdonly_and_write_end_is_wronly(backend: Backend) -> None:
    os, fcntl = backend.os, backend.fcntl
    r, w = os.pipe()
    assert fcntl.fcntl(r, fcntl.F_GETFL) == O_RDONLY
    assert fcntl.fcntl(w, fcntl.F_GETFL) == O_WRONLY


def test_pipe2_zero_flags_gives_inheritable_blocking_ends(backend: Backend) -> None:
    os, fcntl = backend.os, backend.fcntl
    r, w = os.pipe2(0)
    for fd in (r, w):
        assert os.get_inheritable(fd) is True
        assert os.get_blocking(fd) is True
        assert fcntl.fcntl(fd, fcntl.F_GETFD) == 0


def test_pipe2_nonblock_shows_in_f_getfl_of_both_ends(backend: Backend) -> None:
    os, fcntl = backend.os, backend.fcntl
    r, w = os.pipe2(os.O_NONBLOCK)
    assert fcntl.fcntl(r, fcntl.F_GETFL) == O_RDONLY | O_NONBLOCK
    assert fcntl.fcntl(w, fcntl.F_GETFL) == O_WRONLY | O_NONBLOCK
    assert os.get_blocking(r) is False and os.get_blocking(w) is False
    assert os.get_inheritable(r) is True


def test_pipe2_cloexec_sets_fd_cloexec_not_a_file_flag(backend: Backend) -> None:
    os, fcntl = backend.os, backend.fcntl
    r, w = os.pipe2(os.O_CLOEXEC | os.O_NONBLOCK)
    for fd in (r, w):
        assert fcntl.fcntl(fd, fcntl.F_GETFD) == fcntl.FD_CLOEXEC
        assert os.get_inheritable(fd) is False
        assert fcntl.fcntl(fd, fcntl.F_GETFL) & O_CLOEXEC == 0


@pytest.mark.parametrize("flags", [0o2000, 0o2, 1 << 30, -1, 0o4000 | 0o1])
def test_pipe2_rejects_unknown_flags_with_einval(backend: Backend, flags: int) -> None:
    os = backend.os
    with pytest.raises(OSError) as info:
        os.pipe2(flags)
    assert info.value.errno == errno.EINVAL
    assert info.value.strerror == "Invalid argument"


def test_raw_pipe2_rejects_unknown_flags_with_einval(backend: Backend) -> None:
    with pytest.raises(OSError) as info:
        backend.sys.pipe2(0o2000)
    assert info.value.errno == errno.EINVAL


def test_pipe_ends_are_fifos(backend: Backend) -> None:
    os = backend.os
    r, w = os.pipe()
    for fd in (r, w):
        mode = os.fstat(fd).st_mode
        assert stat.S_ISFIFO(mode)
        assert not stat.S_ISSOCK(mode)
        assert stat.S_IMODE(mode) == 0o600


def test_pipe_ends_are_two_distinct_lowest_numbers(backend: Backend) -> None:
    os = backend.os
    r, w = os.pipe()
    os.close(r)
    os.close(w)
    r2, w2 = os.pipe()
    assert (r2, w2) == (r, w)


def test_read_on_write_end_is_ebadf(backend: Backend) -> None:
    os = backend.os
    _r, w = os.pipe2(os.O_NONBLOCK)
    os.write(w, b"x")
    for n in (1, 0):
        with pytest.raises(OSError) as info:
            os.read(w, n)
        assert info.value.errno == errno.EBADF
        assert info.value.strerror == "Bad file descriptor"


def test_write_on_read_end_is_ebadf(backend: Backend) -> None:
    os = backend.os
    r, _w = os.pipe2(os.O_NONBLOCK)
    for data in (b"x", b""):
        with pytest.raises(OSError) as info:
            os.write(r, data)
        assert info.value.errno == errno.EBADF


def test_raw_read_and_write_on_the_wrong_end_are_ebadf(backend: Backend) -> None:
    sys = backend.sys
    r, w = sys.pipe2(O_NONBLOCK)
    with pytest.raises(OSError) as info:
        sys.read(w, 1)
    assert info.value.errno == errno.EBADF
    with pytest.raises(OSError) as info:
        sys.write(r, b"x")
    assert info.value.errno == errno.EBADF


def test_read_of_zero_bytes_returns_empty_even_from_an_empty_pipe(backend: Backend) -> None:
    os = backend.os
    r, w = os.pipe2(os.O_NONBLOCK)
    assert os.read(r, 0) == b""
    os.write(w, b"abc")
    assert os.read(r, 0) == b""
    assert os.read(r, 10) == b"abc"


def test_write_of_zero_bytes_returns_zero_and_adds_nothing(backend: Backend) -> None:
    os = backend.os
    r, w = os.pipe2(os.O_NONBLOCK)
    assert os.write(w, b"") == 0
    with pytest.raises(BlockingIOError) as info:
        os.read(r, 1)
    assert info.value.errno == errno.EAGAIN


def test_nonblocking_read_of_empty_pipe_is_eagain(backend: Backend) -> None:
    os = backend.os
    r, _w = os.pipe2(os.O_NONBLOCK)
    with pytest.raises(BlockingIOError) as info:
        os.read(r, 1)
    assert info.value.errno == errno.EAGAIN
    assert info.value.strerror == "Resource temporarily unavailable"


def test_set_blocking_false_makes_read_of_empty_pipe_eagain(backend: Backend) -> None:
    os = backend.os
    r, _w = os.pipe()
    os.set_blocking(r, False)
    with pytest.raises(BlockingIOError):
        os.read(r, 1)


def test_read_returns_what_is_buffered_up_to_the_count_in_order(backend: Backend) -> None:
    os = backend.os
    r, w = os.pipe2(os.O_NONBLOCK)
    data = bytes(range(256)) * 40  # 10240 bytes: three slots
    assert os.write(w, data) == len(data)
    assert os.write(w, b"tail") == 4
    assert os.read(r, 5) == data[:5]
    assert os.read(r, 5000) == data[5:5005]
    assert os.read(r, 100000) == data[5005:] + b"tail"


def test_reader_gets_buffered_data_then_eof_after_writer_close(backend: Backend) -> None:
    os = backend.os
    r, w = os.pipe2(os.O_NONBLOCK)
    os.write(w, b"hello")
    os.close(w)
    assert os.read(r, 3) == b"hel"
    assert os.read(r, 100) == b"lo"
    assert os.read(r, 100) == b""
    assert os.read(r, 100) == b""


def test_blocking_reader_gets_eof_not_a_wait_after_writer_close(backend: Backend) -> None:
    os = backend.os
    r, w = os.pipe()
    os.close(w)
    assert os.read(r, 1) == b""


def test_eof_needs_every_write_descriptor_closed(backend: Backend) -> None:
    os = backend.os
    r, w = os.pipe2(os.O_NONBLOCK)
    w2 = os.dup(w)
    os.close(w)
    with pytest.raises(BlockingIOError):
        os.read(r, 1)
    os.write(w2, b"z")
    os.close(w2)
    assert os.read(r, 10) == b"z"
    assert os.read(r, 10) == b""


def test_write_without_reader_is_broken_pipe(backend: Backend) -> None:
    os = backend.os
    r, w = os.pipe2(os.O_NONBLOCK)
    os.close(r)
    with pytest.raises(BrokenPipeError) as info:
        os.write(w, b"x")
    assert info.value.errno == errno.EPIPE
    assert info.value.strerror == "Broken pipe"


def test_blocking_write_without_reader_is_broken_pipe_not_a_wait(backend: Backend) -> None:
    os = backend.os
    r, w = os.pipe()
    os.close(r)
    with pytest.raises(BrokenPipeError):
        os.write(w, b"x" * 100000)


def test_empty_write_without_reader_returns_zero(backend: Backend) -> None:
    # "Null write succeeds" is checked before the readers (anon_pipe_write).
    os = backend.os
    r, w = os.pipe2(os.O_NONBLOCK)
    os.close(r)
    assert os.write(w, b"") == 0


def test_write_with_a_dup_of_the_read_end_alive_still_works(backend: Backend) -> None:
    os = backend.os
    r, w = os.pipe2(os.O_NONBLOCK)
    r2 = os.dup(r)
    os.close(r)
    assert os.write(w, b"ok") == 2
    assert os.read(r2, 2) == b"ok"


def test_raw_syscalls_move_bytes_through_a_pipe(backend: Backend) -> None:
    sys = backend.sys
    r, w = sys.pipe2(O_NONBLOCK | O_CLOEXEC)
    assert sys.write(w, b"abc") == 3
    assert sys.read(r, 2) == b"ab"
    assert sys.read(r, 2) == b"c"
    sys.close(w)
    assert sys.read(r, 2) == b""
    sys.close(r)


def test_write_accepts_bytes_like_objects(backend: Backend) -> None:
    os = backend.os
    r, w = os.pipe2(os.O_NONBLOCK)
    assert os.write(w, bytearray(b"ab")) == 2
    assert os.write(w, memoryview(b"cd")) == 2
    assert os.read(r, 10) == b"abcd"
