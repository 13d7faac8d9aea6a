"""socketpair's ends are ordinary unix sockets that happen to be connected (issue 13 item 2):
they may bind a name, and listen, accept and connect fail as on any connected unix socket.
"""
from __future__ import annotations

import errno
import os
from pathlib import Path
from typing import Any

import pytest
from contract_helpers import raises_exactly

from epollsim.testing.backends import Backend


def _abstract(tag: str) -> bytes:
    return f"\0epollsim-pair-{os.getpid()}-{tag}".encode()  # the real namespace is the machine's


def _errno(call: Any, *args: Any) -> int:
    with pytest.raises(OSError) as info:
        call(*args)
    return int(info.value.errno)


@pytest.mark.parametrize("kind", ["SOCK_STREAM", "SOCK_DGRAM"])
def test_a_socketpair_end_binds_an_abstract_name_its_peer_sees(backend: Backend, kind: str) -> None:
    S = backend.socket
    a, b = S.socketpair(S.AF_UNIX, getattr(S, kind))
    name = _abstract(f"bind-{kind}-{backend.name}")
    a.bind(name)
    assert a.getsockname() == name
    assert b.getpeername() == name
    assert b.getsockname() == ""
    assert _errno(a.bind, _abstract("again")) == errno.EINVAL  # already named
    a.send(b"x")
    assert b.recv(10) == b"x"


def test_a_socketpair_end_binds_a_path(backend: Backend, tmp_path: Path) -> None:
    S = backend.socket
    a, b = S.socketpair()
    path = str(tmp_path / f"pair-{backend.name}")
    a.bind(path)
    assert a.getsockname() == path
    c = S.socket(S.AF_UNIX, S.SOCK_STREAM)
    assert _errno(c.connect, path) == errno.ECONNREFUSED  # named, but not listening


def test_listen_and_accept_on_a_socketpair_end_are_einval(backend: Backend) -> None:
    S = backend.socket
    a, b = S.socketpair()
    assert _errno(a.listen) == errno.EINVAL
    assert _errno(a.accept) == errno.EINVAL
    a.bind(_abstract(f"listen-{backend.name}"))
    assert _errno(a.listen, 5) == errno.EINVAL
    d, e = S.socketpair(S.AF_UNIX, S.SOCK_DGRAM)
    assert _errno(d.listen) == errno.EOPNOTSUPP
    assert _errno(d.accept) == errno.EOPNOTSUPP


def test_connect_from_a_socketpair_end_looks_the_name_up_first(backend: Backend, tmp_path: Path) -> None:
    S = backend.socket
    a, b = S.socketpair()
    assert _errno(a.connect, str(tmp_path / "nobody")) == errno.ENOENT
    assert _errno(a.connect, _abstract(f"nobody-{backend.name}")) == errno.ECONNREFUSED
    listener = S.socket(S.AF_UNIX, S.SOCK_STREAM)
    name = _abstract(f"listener-{backend.name}")
    listener.bind(name)
    listener.listen()
    assert _errno(a.connect, name) == errno.EISCONN
    assert a.connect_ex(name) == errno.EISCONN


def test_an_inet_address_on_a_unix_fd_is_einval(backend: Backend) -> None:
    """socket(AF_INET, fileno=<a dup of a unix end>) is the unix socket underneath: CPython builds
    a sockaddr_in from the object's family, and unix_bind/unix_stream_connect refuse it."""
    S = backend.socket
    a, b = S.socketpair()
    inet = S.socket(S.AF_INET, S.SOCK_STREAM, 0, backend.os.dup(b.fileno()))
    assert inet.family == S.AF_INET
    assert _errno(inet.bind, ("127.0.0.1", 0)) == errno.EINVAL
    assert _errno(inet.connect, ("127.0.0.1", 1)) == errno.EINVAL
    assert inet.getsockname() == ""
    assert inet.send(b"via inet object") == 15
    assert a.recv(100) == b"via inet object"
    raises_exactly(TypeError, "a bytes-like object is required, not 'tuple'", a.bind, ("127.0.0.1", 0))
    inet.close()


def test_a_named_datagram_end_receives_from_its_peer_only(backend: Backend) -> None:
    """unix_may_send: a datagram socket connected to another refuses a third's datagrams (EPERM)."""
    S = backend.socket
    a, b = S.socketpair(S.AF_UNIX, S.SOCK_DGRAM)
    name = _abstract(f"dgram-{backend.name}")
    a.bind(name)
    c = S.socket(S.AF_UNIX, S.SOCK_DGRAM)
    assert _errno(c.sendto, b"x", name) == errno.EPERM
    b.send(b"from b")
    assert a.recv(10) == b"from b"


def test_recvfrom_on_a_stream_reports_the_senders_name_once_it_has_one(backend: Backend) -> None:
    """unix_stream_read_generic copies the sending socket's address with the data (found by the
    differential fuzzer); TCP reports none."""
    S = backend.socket
    a, b = S.socketpair()
    a.send(b"before")
    assert b.recvfrom(100) == (b"before", None)
    name = _abstract(f"sender-{backend.name}")
    a.bind(name)
    a.send(b"after")
    assert b.recvfrom(100) == (b"after", name)
    a.send(b"into")
    buf = bytearray(10)
    assert b.recvfrom_into(buf) == (4, name)
    a.close()
    assert b.recvfrom(100) == (b"", None)
