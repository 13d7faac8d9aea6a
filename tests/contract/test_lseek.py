"""lseek and isatty on every kind of file the model has (fs/read_write.c ksys_lseek: EBADF, then a
whence past SEEK_MAX, then the kind: no FMODE_LSEEK is ESPIPE, noop_llseek answers 0)."""
from __future__ import annotations

import errno
from typing import Any

import pytest

from epollsim.testing.backends import Backend


def kinds(backend: Backend) -> dict[str, int]:
    os, socket, select = backend.os, backend.socket, backend.select
    r, w = os.pipe()
    a, b = socket.socketpair()
    tcp = socket.socket()
    udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    ep = select.epoll()
    keep: Any = backend
    keep._lseek_objects = (a, b, tcp, udp, ep)  # alive until the backend is cleaned up
    return {
        "pipe read end": r, "pipe write end": w, "socketpair": a.fileno(), "tcp": tcp.fileno(),
        "udp": udp.fileno(), "eventfd": os.eventfd(0), "epoll": ep.fileno(),
        "/dev/null": os.open("/dev/null", os.O_RDWR),
    }


NO_POSITION = {"pipe read end", "pipe write end", "socketpair", "tcp", "udp"}


@pytest.mark.parametrize("whence", [0, 1, 2, 3, 4])
@pytest.mark.parametrize("offset", [0, 5, -1])
def test_lseek_of_each_kind(backend: Backend, offset: int, whence: int) -> None:
    for name, fd in kinds(backend).items():
        if name in NO_POSITION:
            with pytest.raises(OSError) as caught:
                backend.os.lseek(fd, offset, whence)
            assert caught.value.errno == errno.ESPIPE, name
        else:
            assert backend.os.lseek(fd, offset, whence) == 0, name


@pytest.mark.parametrize("whence", [5, 100, -1])
def test_lseek_with_a_whence_past_seek_max_is_einval_before_espipe(backend: Backend, whence: int) -> None:
    for name, fd in kinds(backend).items():
        with pytest.raises(OSError) as caught:
            backend.os.lseek(fd, 0, whence)
        assert caught.value.errno == errno.EINVAL, name


def test_lseek_of_a_closed_fd_is_ebadf_before_einval(backend: Backend) -> None:
    r, _w = backend.os.pipe()
    backend.os.close(r)
    with pytest.raises(OSError) as caught:
        backend.os.lseek(r, 0, 100)
    assert caught.value.errno == errno.EBADF


@pytest.mark.parametrize(("args", "error", "message"), [
    ((0, 1 << 63, 0), OverflowError, "Python int too large to convert to C long"),
    ((1 << 40, 0, 0), OverflowError, "Python int too large to convert to C int"),
    ((0, 0, 1 << 40), OverflowError, "Python int too large to convert to C int"),
    ((0, 1.0, 0), TypeError, "'float' object cannot be interpreted as an integer"),
    (("0", 0, 0), TypeError, "'str' object cannot be interpreted as an integer"),
])
def test_lseek_argument_conversions(backend: Backend, args: tuple[Any, ...], error: type, message: str) -> None:
    with pytest.raises(error) as caught:
        backend.os.lseek(*args)
    assert str(caught.value) == message


def test_no_kind_is_a_terminal(backend: Backend) -> None:
    for name, fd in kinds(backend).items():
        assert backend.os.isatty(fd) is False, name
    r, _w = backend.os.pipe()
    backend.os.close(r)
    assert backend.os.isatty(r) is False  # a closed fd is not a terminal either
    with pytest.raises(OverflowError):
        backend.os.isatty(1 << 40)
