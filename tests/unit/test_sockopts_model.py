"""The socket options the model stores but refuses to simulate raise Unsupported naming them.

Their real-kernel behaviour is in tests/contract/test_sockopts.py; here, only what the model does
instead of changing behaviour silently: a value that would change what the model simulates (a
TCP_CORK that holds data back, a peek offset) is refused loudly, the value that
changes nothing (0, -1) is accepted.
"""
from __future__ import annotations

from typing import Any

import pytest

from epollsim.errors import Unsupported
from epollsim.testing.backends import Backend

SOL_SOCKET, SOL_TCP, SOL_UDP = 1, 6, 17


def _tcp(model: Backend) -> Any:
    return model.socket.socket(model.socket.AF_INET, model.socket.SOCK_STREAM)


@pytest.mark.parametrize(
    ("level", "optname", "harmless", "refused", "named"),
    [
        (SOL_TCP, 3, 0, 1, "TCP_CORK"),
        (SOL_TCP, 19, 0, 1, "TCP_REPAIR"),
        (SOL_TCP, 30, 0, 1, "TCP_FASTOPEN_CONNECT"),
        (SOL_SOCKET, 42, -1, 0, "SO_PEEK_OFF"),
    ],
)
def test_a_value_that_would_change_the_simulation_is_unsupported(
        model: Backend, level: int, optname: int, harmless: int, refused: int, named: str) -> None:
    sock = _tcp(model)
    sock.setsockopt(level, optname, harmless)
    with pytest.raises(Unsupported, match=named):
        sock.setsockopt(level, optname, refused)
    assert sock.getsockopt(level, optname) == harmless  # nothing stored


def test_udp_cork_and_segment_are_unsupported(model: Backend) -> None:
    sock = model.socket.socket(model.socket.AF_INET, model.socket.SOCK_DGRAM)
    for optname, named in ((1, "UDP_CORK"), (103, "UDP_SEGMENT")):
        sock.setsockopt(SOL_UDP, optname, 0)
        with pytest.raises(Unsupported, match=named):
            sock.setsockopt(SOL_UDP, optname, 1400)


def test_tcp_info_is_unsupported(model: Backend) -> None:
    with pytest.raises(Unsupported, match="TCP_INFO"):
        _tcp(model).getsockopt(SOL_TCP, 11, 104)


def test_the_model_keeps_linux_defaults_where_the_host_tunes_sysctls(model: Backend) -> None:
    """The reference host raises net.core.wmem_max and tcp_rmem[2] and runs BBR; the model keeps
    Linux's defaults (docs/differences.md)."""
    sock = _tcp(model)
    assert sock.getsockopt(SOL_TCP, 13, 16).rstrip(b"\0") == b"cubic"
    sock.setsockopt(SOL_SOCKET, 7, -1)  # capped at wmem_max = 212992
    assert sock.getsockopt(SOL_SOCKET, 7) == 2 * 212992
    sock.setsockopt(SOL_SOCKET, 18, -1)  # SO_RCVLOWAT: capped at tcp_rmem[2] / 2
    assert sock.getsockopt(SOL_SOCKET, 18) == 6291456 // 2


def test_every_option_name_of_the_socket_module_is_the_models(model: Backend) -> None:
    """The option names CPython's socket module offers (more each release) have Linux's numbers in
    the stand-in too, so `k.socket.TCP_INQ` is a number, not Unsupported."""
    import socket

    names = [n for n in dir(socket) if n.split("_")[0] in ("SO", "SOL", "IP", "IPV6", "TCP", "UDP")
             and not n.startswith(("SO_J1939", "SO_VM_SOCKETS", "SOL_ALG", "SOL_CAN", "SOL_RDS", "SOL_TIPC"))]
    assert len(names) > 80
    assert {n: getattr(model.socket, n) for n in names} == {n: getattr(socket, n) for n in names}
