"""Under ``k.patch()`` ``_socket.socket`` is the model's C type, with sock_repr's repr."""
from __future__ import annotations

import _socket
import socket

from epollsim import Kernel


def test_underscore_socket_socket_under_the_patch_is_the_models_c_type() -> None:
    k = Kernel(0)
    with k.patch():
        raw = _socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        wrapped = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        try:
            assert repr(raw) == f"<socket object, fd={raw.fileno()}, family=2, type=1, proto=0>"
            assert raw.fileno() in k.sys.files  # the model's fd, not a real one
            assert isinstance(wrapped, _socket.socket) and socket.SocketType is _socket.socket
            assert repr(wrapped).startswith("<socket.socket fd=")
        finally:
            raw.close()
            wrapped.close()
