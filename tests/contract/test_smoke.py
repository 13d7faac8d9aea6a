"""A first contract: the shape every contract test follows (one body, both backends)."""
from __future__ import annotations

import errno

import pytest

from epollsim.testing.backends import Backend


def test_edge_triggered_pipe_reports_each_write(backend: Backend) -> None:
    os, select = backend.os, backend.select
    r, w = os.pipe()
    ep = select.epoll()
    ep.register(r, select.EPOLLIN | select.EPOLLET)
    assert ep.poll(0) == []
    os.write(w, b"x")
    assert ep.poll(0) == [(r, select.EPOLLIN)]
    assert ep.poll(0) == []
    os.write(w, b"y")  # data already buffered: still a new edge, because the pipe was polled
    assert ep.poll(0) == [(r, select.EPOLLIN)]


def test_register_twice_is_eexist(backend: Backend) -> None:
    r, _ = backend.os.pipe()
    ep = backend.select.epoll()
    ep.register(r)
    with pytest.raises(FileExistsError) as info:
        ep.register(r)
    assert info.value.errno == errno.EEXIST
