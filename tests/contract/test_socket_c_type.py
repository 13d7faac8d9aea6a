"""``_socket.socket`` (``socket.SocketType``), the C type under ``socket.socket``: its own repr,
sock_repr's ``<socket object, fd=3, family=2, type=1, proto=0>`` (issue 13 item 10).
"""
from __future__ import annotations

import _socket
import socket as _real_socket
from typing import Any

from epollsim.testing.backends import Backend


def _c_type(backend: Backend) -> Any:
    return backend.socket.SocketType if backend.is_model else _socket.socket


def test_the_c_type_reprs_its_numbers(backend: Backend) -> None:
    cls = _c_type(backend)
    assert (cls.__module__, cls.__qualname__) == ("_socket", "socket")
    sock = cls(_real_socket.AF_INET6, _real_socket.SOCK_DGRAM | _real_socket.SOCK_NONBLOCK)
    fd = sock.fileno()
    assert repr(sock) == f"<socket object, fd={fd}, family=10, type=2, proto=0>"  # no flags in type
    sock.close()
    assert repr(sock) == "<socket object, fd=-1, family=10, type=2, proto=0>"


def test_the_c_type_made_with_new_alone(backend: Backend) -> None:
    cls = _c_type(backend)
    assert repr(cls.__new__(cls)) == "<socket object, fd=-1, family=0, type=0, proto=0>"


def test_socket_socket_is_a_subclass_with_its_own_repr(backend: Backend) -> None:
    sock = backend.socket.socket(_real_socket.AF_UNIX, _real_socket.SOCK_STREAM)
    try:
        assert isinstance(sock, _c_type(backend))
        assert repr(sock).startswith(f"<socket.socket fd={sock.fileno()}, family=")
        assert _c_type(backend).__repr__(sock) == f"<socket object, fd={sock.fileno()}, family=1, type=1, proto=0>"
    finally:
        sock.close()
