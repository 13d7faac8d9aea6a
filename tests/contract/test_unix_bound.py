"""AF_UNIX stream sockets from socket(): bind to a path or an abstract name, listen, connect,
accept, their names, readiness and errors, on both backends (the model keeps a table of names)."""
from __future__ import annotations

import errno
import itertools
import os
import pathlib
from typing import Any

import pytest
from contract_helpers import raises_exactly

from epollsim.testing.backends import Backend

ALL = 0xFFFF
OUT = 0x4 | 0x100 | 0x200
IN = 0x1 | 0x40
HUP, ERR, RDHUP = 0x10, 0x8, 0x2000
_names = itertools.count()


def abstract() -> bytes:
    return f"\0epollsim-test-{os.getpid()}-{next(_names)}".encode()


def usock(backend: Backend) -> Any:
    s = backend.socket
    return s.socket(s.AF_UNIX, s.SOCK_STREAM)


def mask(backend: Backend, sock: Any) -> int:
    ep = backend.select.epoll()
    ep.register(sock.fileno(), ALL)
    events = ep.poll(0)
    ep.close()
    return events[0][1] if events else 0


def listener(backend: Backend, name: Any, backlog: int = 5) -> Any:
    sock = usock(backend)
    sock.bind(name)
    sock.listen(backlog)
    return sock


def test_fresh_and_bound_sockets_poll_out_and_hup(backend: Backend) -> None:
    a = usock(backend)
    assert mask(backend, a) == OUT | HUP
    assert a.getsockname() == ""
    a.bind(abstract())
    assert mask(backend, a) == OUT | HUP


def test_connect_accept_and_names_on_a_path(backend: Backend, tmp_path: pathlib.Path) -> None:
    path = str(tmp_path / "server.sock")
    srv = listener(backend, path)
    assert srv.getsockname() == path
    assert mask(backend, srv) == 0
    cli = usock(backend)
    cli.connect(path)
    assert mask(backend, srv) == IN
    assert mask(backend, cli) == OUT
    assert (cli.getsockname(), cli.getpeername()) == ("", path)
    conn, addr = srv.accept()
    assert addr == ""
    assert (conn.getsockname(), conn.getpeername()) == (path, "")
    assert mask(backend, srv) == 0
    cli.sendall(b"ping")
    assert conn.recv(10) == b"ping"
    conn.sendall(b"pong")
    assert cli.recv(10) == b"pong"
    cli.close()
    assert conn.recv(10) == b""


def test_abstract_names_are_bytes_both_ways(backend: Backend) -> None:
    name = abstract()
    srv = listener(backend, name)
    assert srv.getsockname() == name
    cli = usock(backend)
    cli.connect(name)
    assert cli.getpeername() == name
    conn, addr = srv.accept()
    assert conn.getsockname() == name and addr == ""


def test_a_named_client_is_the_accepted_peer(backend: Backend) -> None:
    srv = listener(backend, abstract())
    cli = usock(backend)
    me = abstract()
    cli.bind(me)
    cli.connect(srv.getsockname())
    conn, addr = srv.accept()
    assert addr == me and conn.getpeername() == me


def test_autobind_gives_five_hex_digits(backend: Backend) -> None:
    a = usock(backend)
    a.bind("")
    name = a.getsockname()
    assert isinstance(name, bytes) and len(name) == 6 and name[0] == 0
    int(name[1:], 16)


def test_connect_errors(backend: Backend, tmp_path: pathlib.Path) -> None:
    cli = usock(backend)
    with pytest.raises(FileNotFoundError) as info:
        cli.connect(str(tmp_path / "nobody"))
    assert info.value.errno == errno.ENOENT
    with pytest.raises(ConnectionRefusedError):
        cli.connect(abstract())
    bound = usock(backend)
    bound.bind(abstract())
    with pytest.raises(ConnectionRefusedError):
        cli.connect(bound.getsockname())  # bound, not listening


def test_a_closed_listeners_path_stays_taken(backend: Backend, tmp_path: pathlib.Path) -> None:
    path = str(tmp_path / "stale.sock")
    srv = listener(backend, path)
    srv.close()
    with pytest.raises(ConnectionRefusedError):
        usock(backend).connect(path)
    with pytest.raises(OSError) as info:
        usock(backend).bind(path)
    assert info.value.errno == errno.EADDRINUSE


def test_a_closed_abstract_name_is_free_again(backend: Backend) -> None:
    name = abstract()
    srv = listener(backend, name)
    srv.close()
    again = listener(backend, name)
    assert again.getsockname() == name


def test_bind_errors(backend: Backend) -> None:
    name = abstract()
    a = usock(backend)
    a.bind(name)
    with pytest.raises(OSError) as info:
        usock(backend).bind(name)
    assert info.value.errno == errno.EADDRINUSE
    with pytest.raises(OSError) as info:
        a.bind(abstract())
    assert info.value.errno == errno.EINVAL
    raises_exactly(OSError, "AF_UNIX path too long", usock(backend).bind, "a" * 108)
    raises_exactly(OSError, "AF_UNIX path too long", usock(backend).bind, b"\0" + b"a" * 108)
    raises_exactly(TypeError, "a bytes-like object is required, not 'int'", usock(backend).bind, 1)
    raises_exactly(TypeError, "a bytes-like object is required, not 'tuple'", usock(backend).bind, ("x",))


def test_the_backlog_admits_one_more_than_asked(backend: Backend) -> None:
    srv = listener(backend, abstract(), backlog=1)
    first, second, third = usock(backend), usock(backend), usock(backend)
    first.connect(srv.getsockname())
    second.connect(srv.getsockname())
    third.setblocking(False)
    with pytest.raises(BlockingIOError) as info:
        third.connect(srv.getsockname())
    assert info.value.errno == errno.EAGAIN
    srv.accept()
    third.connect(srv.getsockname())


def test_calls_in_the_wrong_state(backend: Backend) -> None:
    s = backend.socket
    fresh = usock(backend)
    for call, args, code in [
        (fresh.listen, (), errno.EINVAL),
        (fresh.accept, (), errno.EINVAL),
        (fresh.send, (b"x",), errno.ENOTCONN),
        (fresh.recv, (1,), errno.EINVAL),
        (fresh.getpeername, (), errno.ENOTCONN),
    ]:
        with pytest.raises(OSError) as info:
            call(*args)
        assert info.value.errno == code, call
    srv = listener(backend, abstract())
    with pytest.raises(OSError) as info:
        srv.connect(srv.getsockname())
    assert info.value.errno == errno.EINVAL
    cli = usock(backend)
    cli.connect(srv.getsockname())
    with pytest.raises(OSError) as info:
        cli.connect(srv.getsockname())
    assert info.value.errno == errno.EISCONN
    assert srv.getsockopt(s.SOL_SOCKET, s.SO_TYPE) == s.SOCK_STREAM
    assert srv.getsockopt(s.SOL_SOCKET, s.SO_ACCEPTCONN) == 1
    assert cli.getsockopt(s.SOL_SOCKET, s.SO_ACCEPTCONN) == 0


def test_closing_a_listener_resets_connections_not_yet_accepted(backend: Backend) -> None:
    srv = listener(backend, abstract())
    cli = usock(backend)
    cli.connect(srv.getsockname())
    srv.close()
    assert mask(backend, cli) == IN | OUT | ERR | HUP | RDHUP
    with pytest.raises(ConnectionResetError):
        cli.recv(10)
    assert cli.recv(10) == b""


def test_nonblocking_accept_with_nothing_queued(backend: Backend) -> None:
    srv = listener(backend, abstract())
    srv.setblocking(False)
    with pytest.raises(BlockingIOError):
        srv.accept()


def test_a_name_on_send_is_eisconn_when_connected_else_eopnotsupp(backend: Backend) -> None:
    fresh = usock(backend)
    for name in ("/tmp/nonexistent-epollsim", abstract()):
        with pytest.raises(OSError) as info:
            fresh.sendto(b"x", name)
        assert info.value.errno == errno.EOPNOTSUPP
    srv = listener(backend, abstract())
    with pytest.raises(OSError) as info:
        srv.sendto(b"x", abstract())
    assert info.value.errno == errno.EOPNOTSUPP
    cli = usock(backend)
    cli.connect(srv.getsockname())
    with pytest.raises(OSError) as info:
        cli.sendto(b"x", abstract())
    assert info.value.errno == errno.EISCONN
    raises_exactly(TypeError, "a bytes-like object is required, not 'int'", fresh.sendto, b"x", 1)


def test_masks_of_a_named_connection_in_each_state(backend: Backend) -> None:
    srv = listener(backend, abstract())
    cli = usock(backend)
    cli.connect(srv.getsockname())
    conn, _ = srv.accept()
    s = backend.socket
    states = [(mask(backend, cli), mask(backend, conn))]  # idle: writable only
    cli.sendall(b"x")
    states.append((mask(backend, cli), mask(backend, conn)))  # data waits at the server
    conn.recv(10)
    cli.shutdown(s.SHUT_WR)
    states.append((mask(backend, cli), mask(backend, conn)))  # the server sees the FIN
    conn.shutdown(s.SHUT_RD)
    states.append((mask(backend, cli), mask(backend, conn)))
    conn.shutdown(s.SHUT_WR)
    states.append((mask(backend, cli), mask(backend, conn)))  # both ways shut: HUP on both
    conn.close()
    states.append((mask(backend, cli), 0))
    assert states == [
        (OUT, OUT),
        (OUT, IN | OUT),
        (OUT, IN | OUT | RDHUP),
        (OUT, IN | OUT | RDHUP),
        (IN | OUT | RDHUP | HUP, IN | OUT | RDHUP | HUP),
        (IN | OUT | RDHUP | HUP, 0),
    ]


def test_masks_of_a_shut_listener(backend: Backend) -> None:
    s = backend.socket
    srv = listener(backend, abstract())
    srv.shutdown(s.SHUT_WR)
    got = [mask(backend, srv)]
    srv.shutdown(s.SHUT_RD)
    got.append(mask(backend, srv))
    other = listener(backend, abstract())
    other.shutdown(s.SHUT_RD)
    got.append(mask(backend, other))
    assert got == [0, IN | RDHUP | HUP, IN | RDHUP]


def test_accept_on_a_listener_shut_for_reading(backend: Backend) -> None:
    s = backend.socket
    srv = listener(backend, abstract())

    def shut_later() -> None:
        backend.time.sleep(0.05)
        srv.shutdown(s.SHUT_RD)

    thread = backend.threading.Thread(target=shut_later)
    thread.start()
    with pytest.raises(OSError) as info:
        srv.accept()  # woken by the shutdown
    thread.join()
    got = [info.value.errno]
    with pytest.raises(OSError) as info:
        srv.accept()  # shut already: no wait
    got.append(info.value.errno)
    srv.setblocking(False)
    with pytest.raises(OSError) as info:
        srv.accept()
    got.append(info.value.errno)
    cli = usock(backend)
    with pytest.raises(OSError) as info:
        cli.connect(srv.getsockname())
    got.append(info.value.errno)
    assert got == [errno.EINVAL, errno.EINVAL, errno.EAGAIN, errno.ECONNREFUSED]
