"""The ``os`` and ``fcntl`` surface: fstat, blocking and inheritable flags, fcntl commands,
CPython's argument checks, and /dev/null (python-stdlib.md 1.1; fs/fcntl.c do_fcntl).
"""
from __future__ import annotations

import errno
import stat

import pytest

from epollsim.testing.backends import Backend

O_RDONLY, O_WRONLY, O_RDWR = 0o0, 0o1, 0o2
O_APPEND, O_NONBLOCK, O_DSYNC, O_LARGEFILE = 0o2000, 0o4000, 0o10000, 0o100000


# -- fstat ------------------------------------------------------------------------------


def test_fstat_file_types_of_every_kind(backend: Backend) -> None:
    os, select, socket = backend.os, backend.select, backend.socket
    r, w = os.pipe()
    a, _b = socket.socketpair()
    efd = os.eventfd(0)
    ep = select.epoll()
    null = os.open("/dev/null", os.O_RDWR)
    assert stat.S_ISFIFO(os.fstat(r).st_mode) and stat.S_ISFIFO(os.fstat(w).st_mode)
    assert stat.S_ISSOCK(os.fstat(a.fileno()).st_mode)
    assert stat.S_ISCHR(os.fstat(null).st_mode)
    assert stat.S_IMODE(os.fstat(null).st_mode) == 0o666
    # eventfd and epoll live on the anonymous inode: mode 0600, no type bits.
    assert os.fstat(efd).st_mode == 0o600
    assert os.fstat(ep.fileno()).st_mode == 0o600


def test_fstat_of_two_descriptors_of_one_pipe_end_agree(backend: Backend) -> None:
    os = backend.os
    r, w = os.pipe()
    d = os.dup(r)
    assert os.fstat(d).st_ino == os.fstat(r).st_ino
    assert os.fstat(r).st_ino == os.fstat(w).st_ino  # one pipe inode for both ends


# -- blocking and inheritable -----------------------------------------------------------


def test_set_blocking_round_trip(backend: Backend) -> None:
    os, fcntl = backend.os, backend.fcntl
    _r, w = os.pipe()
    os.set_blocking(w, False)
    assert os.get_blocking(w) is False
    assert fcntl.fcntl(w, fcntl.F_GETFL) == O_WRONLY | O_NONBLOCK
    os.set_blocking(w, False)
    assert fcntl.fcntl(w, fcntl.F_GETFL) == O_WRONLY | O_NONBLOCK
    os.set_blocking(w, True)
    assert os.get_blocking(w) is True
    assert fcntl.fcntl(w, fcntl.F_GETFL) == O_WRONLY


def test_set_inheritable_round_trip(backend: Backend) -> None:
    os, fcntl = backend.os, backend.fcntl
    efd = os.eventfd(0)
    os.set_inheritable(efd, True)
    assert os.get_inheritable(efd) is True
    assert fcntl.fcntl(efd, fcntl.F_GETFD) == 0
    os.set_inheritable(efd, False)
    assert os.get_inheritable(efd) is False
    assert fcntl.fcntl(efd, fcntl.F_GETFD) == fcntl.FD_CLOEXEC


def test_inheritable_is_per_descriptor_blocking_per_description(backend: Backend) -> None:
    os = backend.os
    r, _w = os.pipe()
    d = os.dup(r)
    os.set_inheritable(d, True)
    assert os.get_inheritable(r) is False
    os.set_blocking(d, False)
    assert os.get_blocking(r) is False


# -- fcntl ------------------------------------------------------------------------------


def test_fcntl_f_dupfd_gives_the_lowest_free_number_at_or_above_the_minimum(backend: Backend) -> None:
    os, fcntl = backend.os, backend.fcntl
    r, w = os.pipe()
    top = max(r, w)
    d = fcntl.fcntl(r, fcntl.F_DUPFD, top)
    assert d > top
    assert fcntl.fcntl(d, fcntl.F_GETFD) == 0
    os.close(d)
    assert fcntl.fcntl(r, fcntl.F_DUPFD, d) == d
    assert fcntl.fcntl(r, fcntl.F_DUPFD, d) > d


def test_fcntl_f_dupfd_from_zero_is_like_dup(backend: Backend) -> None:
    os, fcntl = backend.os, backend.fcntl
    _r, w = os.pipe()
    x, _y = os.pipe()
    os.close(x)
    assert fcntl.fcntl(w, fcntl.F_DUPFD, 0) == x


def test_fcntl_f_dupfd_cloexec_sets_fd_cloexec(backend: Backend) -> None:
    os, fcntl = backend.os, backend.fcntl
    r, _w = os.pipe2(0)
    d = fcntl.fcntl(r, fcntl.F_DUPFD_CLOEXEC, 0)
    assert fcntl.fcntl(d, fcntl.F_GETFD) == fcntl.FD_CLOEXEC
    assert os.get_inheritable(d) is False


@pytest.mark.parametrize("minimum", [-1, 1 << 30])
def test_fcntl_f_dupfd_bad_minimum_is_einval(backend: Backend, minimum: int) -> None:
    os, fcntl = backend.os, backend.fcntl
    r, _w = os.pipe()
    for cmd in (fcntl.F_DUPFD, fcntl.F_DUPFD_CLOEXEC):
        with pytest.raises(OSError) as info:
            fcntl.fcntl(r, cmd, minimum)
        assert info.value.errno == errno.EINVAL


def test_fcntl_f_setfd_keeps_only_fd_cloexec(backend: Backend) -> None:
    os, fcntl = backend.os, backend.fcntl
    r, _w = os.pipe2(0)
    assert fcntl.fcntl(r, fcntl.F_SETFD, 0xFF) == 0
    assert fcntl.fcntl(r, fcntl.F_GETFD) == fcntl.FD_CLOEXEC
    assert fcntl.fcntl(r, fcntl.F_SETFD, 0xFE) == 0
    assert fcntl.fcntl(r, fcntl.F_GETFD) == 0


def test_fcntl_f_setfl_changes_only_status_flags(backend: Backend) -> None:
    os, fcntl = backend.os, backend.fcntl
    r, w = os.pipe()
    assert fcntl.fcntl(r, fcntl.F_SETFL, O_RDWR | O_NONBLOCK) == 0
    assert fcntl.fcntl(r, fcntl.F_GETFL) == O_RDONLY | O_NONBLOCK  # access mode is kept
    assert fcntl.fcntl(w, fcntl.F_SETFL, O_APPEND) == 0
    assert fcntl.fcntl(w, fcntl.F_GETFL) == O_WRONLY | O_APPEND
    assert fcntl.fcntl(w, fcntl.F_SETFL, 0) == 0
    assert fcntl.fcntl(w, fcntl.F_GETFL) == O_WRONLY


def test_fcntl_f_setfl_ignores_o_dsync(backend: Backend) -> None:
    # O_DSYNC is not in fs/fcntl.c SETFL_MASK: dropped without an error.
    os, fcntl = backend.os, backend.fcntl
    r, _w = os.pipe()
    assert fcntl.fcntl(r, fcntl.F_SETFL, O_DSYNC | O_NONBLOCK) == 0
    assert fcntl.fcntl(r, fcntl.F_GETFL) == O_NONBLOCK


def test_fcntl_f_setfl_o_direct_is_einval_outside_pipes(backend: Backend) -> None:
    os, fcntl, socket = backend.os, backend.fcntl, backend.socket
    efd = os.eventfd(0)
    a, _b = socket.socketpair()
    null = os.open("/dev/null", os.O_RDWR)
    for fd in (efd, a.fileno(), null):
        with pytest.raises(OSError) as info:
            fcntl.fcntl(fd, fcntl.F_SETFL, 0o40000)
        assert info.value.errno == errno.EINVAL


def test_raw_fcntl_f_dupfd_query_tells_shared_descriptions(backend: Backend) -> None:
    os, sys = backend.os, backend.sys
    f_dupfd_query = 1027  # Linux >= 6.10
    r, w = os.pipe()
    d = os.dup(r)
    assert sys.fcntl(r, f_dupfd_query, d) == 1
    assert sys.fcntl(r, f_dupfd_query, r) == 1
    assert sys.fcntl(r, f_dupfd_query, w) == 0
    os.close(d)
    with pytest.raises(OSError) as info:
        sys.fcntl(r, f_dupfd_query, d)
    assert info.value.errno == errno.EBADF


def test_fcntl_f_setfl_nonblock_makes_reads_eagain(backend: Backend) -> None:
    os, fcntl = backend.os, backend.fcntl
    r, _w = os.pipe()
    fcntl.fcntl(r, fcntl.F_SETFL, O_NONBLOCK)
    with pytest.raises(BlockingIOError):
        os.read(r, 1)


def test_fcntl_getfl_of_eventfd_epoll_and_socket_is_rdwr(backend: Backend) -> None:
    os, fcntl, select, socket = backend.os, backend.fcntl, backend.select, backend.socket
    efd = os.eventfd(0)
    ep = select.epoll()
    a, _b = socket.socketpair()
    for fd in (efd, ep.fileno(), a.fileno()):
        assert fcntl.fcntl(fd, fcntl.F_GETFL) == O_RDWR


def test_fcntl_on_a_closed_fd_is_ebadf(backend: Backend) -> None:
    os, fcntl = backend.os, backend.fcntl
    r, _w = os.pipe()
    os.close(r)
    for cmd in (fcntl.F_GETFD, fcntl.F_GETFL, fcntl.F_DUPFD):
        with pytest.raises(OSError) as info:
            fcntl.fcntl(r, cmd)
        assert info.value.errno == errno.EBADF


def test_fcntl_unknown_command_is_einval(backend: Backend) -> None:
    os, fcntl = backend.os, backend.fcntl
    r, _w = os.pipe()
    with pytest.raises(OSError) as info:
        fcntl.fcntl(r, 9999)
    assert info.value.errno == errno.EINVAL


def test_fcntl_negative_fd_is_valueerror(backend: Backend) -> None:
    fcntl = backend.fcntl
    with pytest.raises(ValueError) as info:
        fcntl.fcntl(-1, fcntl.F_GETFD)
    assert str(info.value) == "file descriptor cannot be a negative integer (-1)"


@pytest.mark.parametrize("where", ["cmd", "arg"])
@pytest.mark.parametrize("value, name", [(1.0, "float"), (None, "NoneType")])
def test_fcntl_cmd_and_int_arg_must_be_integers(backend: Backend, where: str, value: object, name: str) -> None:
    os, fcntl = backend.os, backend.fcntl
    r, _w = os.pipe()
    args = (value, 0) if where == "cmd" else (fcntl.F_GETFD, value)
    with pytest.raises(TypeError) as info:
        fcntl.fcntl(r, *args)
    assert str(info.value) == f"'{name}' object cannot be interpreted as an integer"


def test_fcntl_cmd_beyond_c_int_is_overflowerror(backend: Backend) -> None:
    os, fcntl = backend.os, backend.fcntl
    r, _w = os.pipe()
    with pytest.raises(OverflowError) as info:
        fcntl.fcntl(r, 2**31)
    assert str(info.value) == "Python int too large to convert to C int"


def test_fcntl_int_arg_is_cut_to_32_bits_without_a_range_check(backend: Backend) -> None:
    os, fcntl = backend.os, backend.fcntl
    r, w = os.pipe()
    assert fcntl.fcntl(w, fcntl.F_SETPIPE_SZ, 2**64 + 8192) == 8192
    assert fcntl.fcntl(w, fcntl.F_SETPIPE_SZ, -(2**40) + 16384) == 16384
    assert fcntl.fcntl(r, fcntl.F_SETFD, 2**32 + 1) == 0
    assert fcntl.fcntl(r, fcntl.F_GETFD) == fcntl.FD_CLOEXEC


def test_fcntl_accepts_objects_with_fileno(backend: Backend) -> None:
    fcntl, socket = backend.fcntl, backend.socket
    a, _b = socket.socketpair()
    assert fcntl.fcntl(a, fcntl.F_GETFL) == O_RDWR


# -- CPython's argument checks ----------------------------------------------------------


def test_os_read_negative_length_is_einval(backend: Backend) -> None:
    os = backend.os
    r, _w = os.pipe()
    with pytest.raises(OSError) as info:
        os.read(r, -1)
    assert info.value.errno == errno.EINVAL
    assert info.value.strerror == "Invalid argument"


def test_os_read_length_beyond_ssize_t_is_overflowerror(backend: Backend) -> None:
    os = backend.os
    r, _w = os.pipe()
    with pytest.raises(OverflowError) as info:
        os.read(r, 2**63)
    assert str(info.value) == "Python int too large to convert to C ssize_t"


@pytest.mark.parametrize("length, name", [("1", "str"), (1.0, "float")])
def test_os_read_length_must_be_an_integer(backend: Backend, length: object, name: str) -> None:
    os = backend.os
    r, _w = os.pipe()
    with pytest.raises(TypeError) as info:
        os.read(r, length)
    assert str(info.value) == f"'{name}' object cannot be interpreted as an integer"


@pytest.mark.parametrize("data, name", [("abc", "str"), (1, "int"), (None, "NoneType")])
def test_os_write_needs_a_bytes_like_object(backend: Backend, data: object, name: str) -> None:
    os = backend.os
    _r, w = os.pipe()
    with pytest.raises(TypeError) as info:
        os.write(w, data)
    assert str(info.value) == f"a bytes-like object is required, not '{name}'"


def test_os_fd_arguments_beyond_c_int_are_overflowerror(backend: Backend) -> None:
    os = backend.os
    for thunk in (lambda: os.close(2**31), lambda: os.dup(2**31), lambda: os.read(2**31, 1)):
        with pytest.raises(OverflowError) as info:
            thunk()
        assert str(info.value) == "Python int too large to convert to C int"


def test_eventfd_read_and_write_fd_must_not_be_negative(backend: Backend) -> None:
    os = backend.os
    for thunk in (lambda: os.eventfd_read(-1), lambda: os.eventfd_write(-1, 1)):
        with pytest.raises(ValueError) as info:
            thunk()
        assert str(info.value) == "file descriptor cannot be a negative integer (-1)"


def test_eventfd_read_and_write_accept_objects_with_fileno(backend: Backend) -> None:
    os = backend.os

    class Holder:
        def __init__(self, fd: int) -> None:
            self.fd = fd

        def fileno(self) -> int:
            return self.fd

    h = Holder(os.eventfd(0, os.EFD_NONBLOCK))
    os.eventfd_write(h, 3)
    assert os.eventfd_read(h) == 3


# -- /dev/null --------------------------------------------------------------------------


def test_dev_null_open_flags(backend: Backend) -> None:
    # open(2) drops O_CREAT|O_TRUNC|O_EXCL|O_NOCTTY and O_CLOEXEC from f_flags and,
    # on 64-bit, adds O_LARGEFILE; CPython always asks for O_CLOEXEC.
    os, fcntl = backend.os, backend.fcntl
    fd = os.open("/dev/null", os.O_RDWR)
    assert fcntl.fcntl(fd, fcntl.F_GETFL) == O_LARGEFILE | O_RDWR
    assert os.get_inheritable(fd) is False
    fd2 = os.open("/dev/null", os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NONBLOCK | os.O_APPEND)
    assert fcntl.fcntl(fd2, fcntl.F_GETFL) == O_LARGEFILE | O_WRONLY | O_NONBLOCK | O_APPEND


def test_dev_null_reads_eof_and_swallows_writes(backend: Backend) -> None:
    os = backend.os
    fd = os.open("/dev/null", os.O_RDWR)
    assert os.read(fd, 10) == b""
    assert os.write(fd, b"abc") == 3
    wo = os.open("/dev/null", os.O_WRONLY)
    with pytest.raises(OSError) as info:
        os.read(wo, 1)
    assert info.value.errno == errno.EBADF


def test_dev_null_cannot_be_added_to_epoll(backend: Backend) -> None:
    os, select = backend.os, backend.select
    fd = os.open("/dev/null", os.O_RDWR)
    ep = select.epoll()
    with pytest.raises(PermissionError) as info:
        ep.register(fd, select.EPOLLIN)
    assert info.value.errno == errno.EPERM
    assert info.value.strerror == "Operation not permitted"


def test_dev_null_polls_as_always_readable_and_writable(backend: Backend) -> None:
    os, select = backend.os, backend.select
    fd = os.open("/dev/null", os.O_RDWR)
    p = select.poll()
    p.register(fd)
    assert p.poll(0) == [(fd, select.POLLIN | select.POLLOUT)]
    q = select.poll()
    q.register(fd, 0xFFFF)
    mask = select.POLLIN | select.POLLOUT | select.POLLRDNORM | select.POLLWRNORM
    assert q.poll(0) == [(fd, mask)]
