"""readv, writev, pread, pwrite and lseek on the files the model has, and socket.sendfile, on both
backends (fs/read_write.c do_readv, vfs_writev, ksys_pread64, ksys_lseek; Modules/posixmodule.c
os_readv_impl, iov_setup, os_pread_impl)."""
from __future__ import annotations

import errno
from typing import Any

import pytest

from epollsim.testing.backends import Backend


def raises(code: int, call: Any) -> None:
    with pytest.raises(OSError) as info:
        call()
    assert info.value.errno == code


def test_writev_gathers_and_readv_scatters_through_a_pipe(backend: Backend) -> None:
    o = backend.os
    r, w = o.pipe()
    assert o.writev(w, [b"ab", bytearray(b"cd"), memoryview(b"e")]) == 5
    b1, b2 = bytearray(1), bytearray(10)
    assert o.readv(r, [b1, b2]) == 5
    assert (b1, b2) == (bytearray(b"a"), bytearray(b"bcde\0\0\0\0\0\0"))
    assert o.writev(w, []) == 0
    assert o.readv(r, []) == 0
    o.close(r)
    o.close(w)


def test_readv_and_writev_argument_errors(backend: Backend) -> None:
    o = backend.os
    r, w = o.pipe()
    cases = [
        (TypeError, "writev() arg 2 must be a sequence", lambda: o.writev(w, 5)),
        (TypeError, "writev() arg 2 must be a sequence", lambda: o.writev(w, iter([b"x"]))),
        (TypeError, "a bytes-like object is required, not 'int'", lambda: o.writev(w, [5])),
        (TypeError, "a bytes-like object is required, not 'str'", lambda: o.writev(w, ["s"])),
        (TypeError, "readv() arg 2 must be a sequence", lambda: o.readv(r, 5)),
        (BufferError, "Object is not writable.", lambda: o.readv(r, [b"ro"])),
        (TypeError, "a bytes-like object is required, not 'int'", lambda: o.readv(r, [5])),
    ]
    for exc, message, call in cases:
        with pytest.raises(exc) as info:
            call()
        assert str(info.value) == message
    raises(errno.EINVAL, lambda: o.writev(w, [b"x"] * 1025))
    raises(errno.EINVAL, lambda: o.readv(r, [bytearray(1)] * 1025))
    assert o.writev(w, [b"x"] * 1024) == 1024
    raises(errno.EBADF, lambda: o.writev(r, [b"x"]))
    raises(errno.EBADF, lambda: o.readv(w, [bytearray(1)]))
    o.close(r)
    o.close(w)


def test_a_pipes_writev_is_one_atomic_write(backend: Backend) -> None:
    o = backend.os
    r, w = o.pipe()
    o.set_blocking(w, False)
    o.write(w, b"x" * (65536 - 4000))  # 4000 bytes of room, less than PIPE_BUF per part
    raises(errno.EAGAIN, lambda: o.writev(w, [b"a" * 2048, b"b" * 2048]))  # 4096: atomic, no room
    assert o.writev(w, [b"a" * 2000, b"b" * 2000]) == 4000
    o.close(r)
    o.close(w)


def test_readv_on_a_socket_and_an_eventfd(backend: Backend) -> None:
    o, s = backend.os, backend.socket
    a, b = s.socketpair()
    a.send(b"hello")
    buf = bytearray(3)
    assert o.readv(b.fileno(), [buf, bytearray(0)]) == 3 and buf == bytearray(b"hel")
    assert o.readv(b.fileno(), [bytearray(0)]) == 0
    e = o.eventfd(3)
    assert o.readv(e, [bytearray(0)]) == 0  # a total of 0 does not reach eventfd_read
    raises(errno.EINVAL, lambda: o.readv(e, [bytearray(4)]))
    whole = bytearray(8)
    assert o.readv(e, [whole]) == 8 and int.from_bytes(whole, "little") == 3
    o.close(e)


def test_pread_pwrite_and_lseek_on_files_without_a_position(backend: Backend) -> None:
    o, s = backend.os, backend.socket
    r, w = o.pipe()
    a, _ = s.socketpair()
    e = o.eventfd(0)
    ep = backend.select.epoll()
    for fd in (r, a.fileno()):
        raises(errno.ESPIPE, lambda: o.pread(fd, 1, 0))
        raises(errno.ESPIPE, lambda: o.lseek(fd, 0, 0))
        raises(errno.EINVAL, lambda: o.lseek(fd, 0, 99))
    for fd in (w, a.fileno()):
        raises(errno.ESPIPE, lambda: o.pwrite(fd, b"x", 0))
    raises(errno.EINVAL, lambda: o.pread(r, 10, -1))
    raises(errno.EINVAL, lambda: o.pread(r, -1, 0))
    raises(errno.EINVAL, lambda: o.pread(999, 1, -1))  # the offset before the fd
    raises(errno.EINVAL, lambda: o.pwrite(w, b"x", -1))
    raises(errno.EBADF, lambda: o.pwrite(999, b"x", 0))
    raises(errno.EBADF, lambda: o.lseek(999, 0, 0))
    raises(errno.ESPIPE, lambda: o.pread(e, 8, 0))
    for fd in (e, ep.fileno()):
        assert o.lseek(fd, 5, 0) == 0  # noop_llseek
        assert o.lseek(fd, -5, 0) == 0
    raises(errno.EINVAL, lambda: o.lseek(e, 0, 99))
    ep.close()
    close = [r, w, e]
    for fd in close:
        o.close(fd)


def test_dev_null_reads_and_writes_at_any_offset(backend: Backend) -> None:
    o = backend.os
    n = o.open("/dev/null", o.O_RDWR)
    assert o.pread(n, 5, 0) == b""
    assert o.pwrite(n, b"abc", 7) == 3
    assert o.lseek(n, 5, 0) == 0
    assert o.lseek(n, 0, 2) == 0
    raises(errno.EINVAL, lambda: o.lseek(n, 5, 99))
    o.close(n)
    ro = o.open("/dev/null", o.O_RDONLY)
    raises(errno.EBADF, lambda: o.pwrite(ro, b"x", 0))
    o.close(ro)


@pytest.mark.parametrize("call, message", [
    (lambda o: o.lseek(0, 2**63, 0), "Python int too large to convert to C long"),
    (lambda o: o.pread(0, 2**63, 0), "Python int too large to convert to C ssize_t"),
    (lambda o: o.pread(0, 1, 2**63), "Python int too large to convert to C long"),
])
def test_positional_argument_overflow(backend: Backend, call: Any, message: str) -> None:
    with pytest.raises(OverflowError) as info:
        call(backend.os)
    assert str(info.value) == message


def test_socket_sendfile_sends_a_host_file(backend: Backend, tmp_path: Any) -> None:
    path = tmp_path / "payload"
    path.write_bytes(b"0123456789" * 2000)
    a, b = backend.socket.socketpair()
    with open(path, "rb") as f:
        assert a.sendfile(f, 5, 30) == 30
        assert f.tell() == 35
    assert b.recv(100) == b"56789" + b"0123456789" * 2 + b"01234"
    with open(path, "rb") as f:
        assert a.sendfile(f) == 20000
    got = b""
    while len(got) < 20000:
        got += b.recv(65536)
    assert got == b"0123456789" * 2000
    with open(path) as text, pytest.raises(ValueError, match="file should be opened in binary mode"):
        a.sendfile(text)
