"""Regular files and directories in select, poll and epoll (fs/select.c DEFAULT_POLLMASK;
fs/eventpoll.c do_epoll_ctl's file_can_poll check). On the model the files are the real
process's, seen through the fd number space a patch shares with it (patch_fds/)."""
from __future__ import annotations

import contextlib
import errno
import os as real_os
import pathlib
from collections.abc import Iterator
from typing import Any

import pytest

from epollsim.testing.backends import Backend


@contextlib.contextmanager
def real_file(backend: Backend, path: pathlib.Path, directory: bool = False) -> Iterator[int]:
    """A real file's fd, open while the backend can see it: on the model, inside a patch."""
    sharing: Any = backend.kernel.patch() if backend.kernel is not None else contextlib.nullcontext()
    with sharing:
        if directory:
            fd = real_os.open(path, real_os.O_RDONLY | real_os.O_DIRECTORY)
        else:
            path.write_bytes(b"data")
            fd = real_os.open(path, real_os.O_RDWR)
        try:
            yield fd
        finally:
            real_os.close(fd)


@pytest.mark.parametrize("op", ["ADD", "MOD", "DEL"])
def test_epoll_ctl_refuses_a_regular_file_with_eperm(backend: Backend, tmp_path: pathlib.Path, op: str) -> None:
    select = backend.select
    with real_file(backend, tmp_path / "f") as fd:
        ep = select.epoll()
        call = {"ADD": ep.register, "MOD": ep.modify, "DEL": lambda fd, *_: ep.unregister(fd)}[op]
        with pytest.raises(PermissionError) as caught:
            call(fd, select.EPOLLIN)
        assert caught.value.errno == errno.EPERM
        ep.close()


def test_epoll_ctl_refuses_a_directory_with_eperm(backend: Backend, tmp_path: pathlib.Path) -> None:
    select = backend.select
    with real_file(backend, tmp_path, directory=True) as fd:
        ep = select.epoll()
        with pytest.raises(PermissionError):
            ep.register(fd, select.EPOLLIN)
        ep.close()


def test_epoll_selector_refuses_a_regular_file(backend: Backend, tmp_path: pathlib.Path) -> None:
    with real_file(backend, tmp_path / "f") as fd:
        sel = backend.selectors.EpollSelector()
        with pytest.raises(PermissionError):
            sel.register(fd, backend.selectors.EVENT_READ)
        assert sel.get_map() == {}
        sel.close()


def test_poll_reports_a_regular_file_always_ready(backend: Backend, tmp_path: pathlib.Path) -> None:
    select = backend.select
    with real_file(backend, tmp_path / "f") as fd:
        p = select.poll()
        p.register(fd)  # POLLIN | POLLPRI | POLLOUT: DEFAULT_POLLMASK has no POLLPRI
        assert p.poll(0) == [(fd, select.POLLIN | select.POLLOUT)]
        p.modify(fd, select.POLLIN | select.POLLRDNORM | select.POLLWRNORM | select.POLLRDHUP)
        assert p.poll(0) == [(fd, select.POLLIN | select.POLLRDNORM | select.POLLWRNORM)]
        p.modify(fd, select.POLLPRI)
        assert p.poll(0) == []


def test_poll_of_a_regular_file_does_not_wait(backend: Backend, tmp_path: pathlib.Path) -> None:
    select = backend.select
    r, _w = backend.os.pipe()
    with real_file(backend, tmp_path / "f") as fd:
        p = select.poll()
        p.register(r, select.POLLIN)
        p.register(fd, select.POLLIN)
        assert p.poll(None) == [(fd, select.POLLIN)]  # would block forever on the pipe alone


def test_select_reports_a_regular_file_readable_and_writable(backend: Backend, tmp_path: pathlib.Path) -> None:
    select = backend.select
    r, w = backend.os.pipe()
    with real_file(backend, tmp_path / "f") as fd:
        assert select.select([fd, r], [fd, r], [fd, r], 0) == ([fd], [fd], [])
        assert select.select([r], [], [], 0) == ([], [], [])


def test_select_reports_a_directory_ready(backend: Backend, tmp_path: pathlib.Path) -> None:
    with real_file(backend, tmp_path, directory=True) as fd:
        assert backend.select.select([fd], [fd], [], None) == ([fd], [fd], [])


def test_a_closed_file_is_ebadf_for_select_and_pollnval_for_poll(backend: Backend, tmp_path: pathlib.Path) -> None:
    select = backend.select
    with real_file(backend, tmp_path / "f") as fd:
        pass
    sharing: Any = backend.kernel.patch() if backend.kernel is not None else contextlib.nullcontext()
    with sharing:
        with pytest.raises(OSError) as caught:
            select.select([fd], [], [], 0)
        assert caught.value.errno == errno.EBADF
        p = select.poll()
        p.register(fd)
        assert p.poll(0) == [(fd, select.POLLNVAL)]


def test_a_regular_file_is_not_a_socket(backend: Backend, tmp_path: pathlib.Path) -> None:
    with real_file(backend, tmp_path / "f") as fd:
        with pytest.raises(OSError) as caught:
            backend.socket.socket(fileno=fd)
        assert caught.value.errno == errno.ENOTSOCK
