"""eventfd: flags, the 64-bit counter, reads and writes (fs/eventfd.c; spec 11.3, 12.2, 12.5).

Also CPython's argument conversions for os.eventfd / eventfd_read /
eventfd_write (Modules/posixmodule.c: initval is a checked ``unsigned int``,
the written value a checked ``unsigned long long``).
"""
from __future__ import annotations

import errno
import stat

import pytest

from epollsim.testing.backends import Backend

O_RDWR, O_NONBLOCK = 0o2, 0o4000
MAX = 0xFFFFFFFFFFFFFFFE  # the largest counter write() can reach
U64 = 0xFFFFFFFFFFFFFFFF


def _efd(backend: Backend, initval: int = 0, semaphore: bool = False) -> int:
    os = backend.os
    flags = os.EFD_NONBLOCK | os.EFD_CLOEXEC | (os.EFD_SEMAPHORE if semaphore else 0)
    return os.eventfd(initval, flags)


def _u64(n: int) -> bytes:
    return n.to_bytes(8, "little")


def test_eventfd_default_flags_are_cloexec_and_blocking(backend: Backend) -> None:
    os, fcntl = backend.os, backend.fcntl
    efd = os.eventfd(0)
    assert fcntl.fcntl(efd, fcntl.F_GETFD) == fcntl.FD_CLOEXEC
    assert os.get_inheritable(efd) is False
    assert os.get_blocking(efd) is True
    assert fcntl.fcntl(efd, fcntl.F_GETFL) == O_RDWR


def test_eventfd_zero_flags_is_inheritable_rdwr(backend: Backend) -> None:
    # eventfd_test.c: eventfd2(0, 0) has F_GETFL == O_RDWR.
    os, fcntl = backend.os, backend.fcntl
    efd = os.eventfd(0, 0)
    assert fcntl.fcntl(efd, fcntl.F_GETFL) == O_RDWR
    assert fcntl.fcntl(efd, fcntl.F_GETFD) == 0
    assert os.get_inheritable(efd) is True


def test_efd_nonblock_shows_in_f_getfl(backend: Backend) -> None:
    os, fcntl = backend.os, backend.fcntl
    efd = os.eventfd(0, os.EFD_NONBLOCK | os.EFD_SEMAPHORE)
    assert fcntl.fcntl(efd, fcntl.F_GETFL) == O_RDWR | O_NONBLOCK
    assert os.get_blocking(efd) is False


def test_eventfd_flag_constants_are_linux_values(backend: Backend) -> None:
    os = backend.os
    assert (os.EFD_SEMAPHORE, os.EFD_NONBLOCK, os.EFD_CLOEXEC) == (1, 0o4000, 0o2000000)


@pytest.mark.parametrize("flags", [42, 2, -1, 0o2000])
def test_eventfd_unknown_flags_are_einval(backend: Backend, flags: int) -> None:
    with pytest.raises(OSError) as info:
        backend.os.eventfd(0, flags)
    assert info.value.errno == errno.EINVAL


def test_raw_eventfd2_unknown_flags_are_einval(backend: Backend) -> None:
    with pytest.raises(OSError) as info:
        backend.sys.eventfd2(0, 42)
    assert info.value.errno == errno.EINVAL


def test_eventfd_is_an_anonymous_inode(backend: Backend) -> None:
    mode = backend.os.fstat(_efd(backend)).st_mode
    assert mode == 0o600
    assert stat.S_IFMT(mode) == 0
    assert not stat.S_ISFIFO(mode) and not stat.S_ISSOCK(mode)


def test_initial_value_is_read_back(backend: Backend) -> None:
    os = backend.os
    efd = _efd(backend, 1)
    assert os.eventfd_read(efd) == 1
    efd = _efd(backend, 0xFFFFFFFF)
    assert os.eventfd_read(efd) == 0xFFFFFFFF


def test_read_returns_the_sum_of_writes_and_resets(backend: Backend) -> None:
    os = backend.os
    efd = _efd(backend)
    for _ in range(5):
        os.eventfd_write(efd, 1)
    os.eventfd_write(efd, 10)
    assert os.eventfd_read(efd) == 15
    with pytest.raises(BlockingIOError) as info:
        os.eventfd_read(efd)
    assert info.value.errno == errno.EAGAIN


def test_semaphore_reads_return_one_each(backend: Backend) -> None:
    # eventfd-ctx-test.c read: semaphore, initial 3.
    os = backend.os
    efd = _efd(backend, 3, semaphore=True)
    assert [os.eventfd_read(efd) for _ in range(3)] == [1, 1, 1]
    with pytest.raises(BlockingIOError):
        os.eventfd_read(efd)
    os.eventfd_write(efd, 2)
    assert os.eventfd_read(efd) == 1
    assert os.eventfd_read(efd) == 1
    with pytest.raises(BlockingIOError):
        os.eventfd_read(efd)


def test_read_and_write_move_8_native_bytes(backend: Backend) -> None:
    os = backend.os
    efd = _efd(backend)
    assert os.write(efd, _u64(3)) == 8
    assert os.read(efd, 8) == _u64(3)
    os.write(efd, _u64(0x0102030405060708))
    assert os.read(efd, 64) == _u64(0x0102030405060708)  # a bigger buffer gets 8 bytes


@pytest.mark.parametrize("n", [0, 2, 4, 7])
def test_read_shorter_than_8_bytes_is_einval(backend: Backend, n: int) -> None:
    os = backend.os
    efd = _efd(backend, 1)
    with pytest.raises(OSError) as info:
        os.read(efd, n)
    assert info.value.errno == errno.EINVAL
    assert os.eventfd_read(efd) == 1  # nothing was consumed


@pytest.mark.parametrize("n", [0, 2, 4, 7])
def test_write_shorter_than_8_bytes_is_einval(backend: Backend, n: int) -> None:
    with pytest.raises(OSError) as info:
        backend.os.write(_efd(backend), b"\1" * n)
    assert info.value.errno == errno.EINVAL


@pytest.mark.parametrize("n", [9, 16])
def test_write_longer_than_8_bytes_is_einval(backend: Backend, n: int) -> None:
    # Since Linux 6.4 (eventfd_write checks count != sizeof(ucnt)).
    os = backend.os
    efd = _efd(backend)
    with pytest.raises(OSError) as info:
        os.write(efd, _u64(3) + b"\0" * (n - 8))
    assert info.value.errno == errno.EINVAL
    with pytest.raises(BlockingIOError):
        os.eventfd_read(efd)


def test_writing_all_ones_is_einval(backend: Backend) -> None:
    os = backend.os
    efd = _efd(backend)
    with pytest.raises(OSError) as info:
        os.eventfd_write(efd, U64)
    assert info.value.errno == errno.EINVAL
    with pytest.raises(OSError) as info:
        os.write(efd, _u64(U64))
    assert info.value.errno == errno.EINVAL


def test_counter_stops_at_fffffffffffffffe(backend: Backend) -> None:
    # eventfd-ctx-test.c write.
    os = backend.os
    efd = _efd(backend)
    os.eventfd_write(efd, MAX)
    for _ in range(2):
        with pytest.raises(BlockingIOError) as info:
            os.eventfd_write(efd, 1)
        assert info.value.errno == errno.EAGAIN
    os.eventfd_write(efd, 0)  # adding 0 always fits
    assert os.eventfd_read(efd) == MAX
    with pytest.raises(BlockingIOError):
        os.eventfd_read(efd)


def test_counter_reaches_the_maximum_in_steps(backend: Backend) -> None:
    os = backend.os
    efd = _efd(backend, 0xFFFFFFFF)
    os.eventfd_write(efd, MAX - 0xFFFFFFFF - 1)
    os.eventfd_write(efd, 1)
    with pytest.raises(BlockingIOError):
        os.eventfd_write(efd, 1)
    assert os.eventfd_read(efd) == MAX


def test_blocking_eventfd_write_that_fits_does_not_wait(backend: Backend) -> None:
    os = backend.os
    efd = os.eventfd(5)
    os.eventfd_write(efd, 7)
    assert os.eventfd_read(efd) == 12


def test_eventfd_calls_on_a_closed_fd_are_ebadf(backend: Backend) -> None:
    os = backend.os
    efd = _efd(backend)
    os.close(efd)
    for call in (lambda: os.eventfd_write(efd, 1), lambda: os.eventfd_read(efd), lambda: os.close(efd)):
        with pytest.raises(OSError) as info:
            call()
        assert info.value.errno == errno.EBADF


def test_eventfd_read_and_write_work_on_any_8_byte_stream(backend: Backend) -> None:
    os = backend.os
    r, w = os.pipe2(os.O_NONBLOCK)
    os.eventfd_write(w, 5)
    assert os.eventfd_read(r) == 5
    with pytest.raises(OSError) as info:
        os.eventfd_read(w)
    assert info.value.errno == errno.EBADF


def test_raw_eventfd2_round_trip(backend: Backend) -> None:
    sys = backend.sys
    efd = sys.eventfd2(2, O_NONBLOCK)
    assert sys.write(efd, _u64(3)) == 8
    assert sys.read(efd, 8) == _u64(5)
    with pytest.raises(OSError) as info:
        sys.read(efd, 8)
    assert info.value.errno == errno.EAGAIN
    sys.close(efd)


# -- CPython's conversions ------------------------------------------------------


def test_eventfd_negative_initval_is_valueerror(backend: Backend) -> None:
    with pytest.raises(ValueError) as info:
        backend.os.eventfd(-1)
    assert str(info.value) == "value must be positive"


def test_eventfd_initval_above_uint_max_is_overflowerror(backend: Backend) -> None:
    with pytest.raises(OverflowError) as info:
        backend.os.eventfd(2**32)
    assert str(info.value) == "Python int too large for C unsigned int"


@pytest.mark.parametrize("value", [1.0, None, "1"])
def test_eventfd_initval_must_be_an_int(backend: Backend, value: object) -> None:
    with pytest.raises(TypeError) as info:
        backend.os.eventfd(value)
    assert str(info.value) == "an integer is required"


def test_eventfd_flags_beyond_c_int_is_overflowerror(backend: Backend) -> None:
    with pytest.raises(OverflowError) as info:
        backend.os.eventfd(0, 2**31)
    assert str(info.value) == "Python int too large to convert to C int"


def test_eventfd_accepts_keywords(backend: Backend) -> None:
    os = backend.os
    efd = os.eventfd(initval=4, flags=os.EFD_NONBLOCK)
    assert os.eventfd_read(efd) == 4


def test_eventfd_write_negative_is_valueerror(backend: Backend) -> None:
    with pytest.raises(ValueError) as info:
        backend.os.eventfd_write(_efd(backend), -1)
    assert str(info.value) == "value must be positive"


def test_eventfd_write_above_u64_is_overflowerror(backend: Backend) -> None:
    with pytest.raises(OverflowError) as info:
        backend.os.eventfd_write(_efd(backend), 2**64)
    assert str(info.value) == "int too big to convert"


@pytest.mark.parametrize("value", [1.0, "1"])
def test_eventfd_write_value_must_be_an_int(backend: Backend, value: object) -> None:
    with pytest.raises(TypeError) as info:
        backend.os.eventfd_write(_efd(backend), value)
    assert str(info.value) == "an integer is required"
