"""AF_UNIX names in the model (model only): each host's own table, unlink, seeded autobind."""
from __future__ import annotations

import errno

import pytest

import epollsim


def usock(host: object) -> object:
    s = host.socket  # type: ignore[attr-defined]
    return s.socket(s.AF_UNIX, s.SOCK_STREAM)


def test_unlink_frees_a_stale_path() -> None:
    k = epollsim.Kernel()
    a = usock(k)
    a.bind("/run/app.sock")
    a.close()
    with pytest.raises(OSError) as info:
        usock(k).bind("/run/app.sock")
    assert info.value.errno == errno.EADDRINUSE
    k.sys.unlink(b"/run/app.sock")
    b = usock(k)
    b.bind("/run/app.sock")
    with pytest.raises(FileNotFoundError):
        k.sys.unlink(b"/run/other.sock")


def test_each_host_has_its_own_names() -> None:
    k = epollsim.Kernel()
    other = k.add_host("other")
    srv = usock(k)
    srv.bind("\0svc")
    srv.listen()
    with pytest.raises(ConnectionRefusedError):
        usock(other).connect("\0svc")
    twin = usock(other)
    twin.bind("\0svc")  # no conflict on another host
    cli = usock(k)
    cli.connect("\0svc")
    conn, _ = srv.accept()
    cli.sendall(b"hi")
    assert conn.recv(2) == b"hi"


def test_autobind_names_follow_the_seed() -> None:
    def names(seed: int) -> list[bytes]:
        k = epollsim.Kernel(seed)
        out = []
        for _ in range(3):
            s = usock(k)
            s.bind("")
            out.append(s.getsockname())
        return out

    first = names(5)
    assert first == names(5)
    assert first != names(6)
    assert [int(n[1:], 16) for n in first] == [int(first[0][1:], 16) + i for i in range(3)]


def test_a_blocked_connect_waits_for_an_accept() -> None:
    k = epollsim.Kernel()
    srv = usock(k)
    srv.bind("\0busy")
    srv.listen(0)
    usock(k).connect("\0busy")  # backlog 0 admits one
    done = []

    def connector() -> None:
        usock(k).connect("\0busy")
        done.append(k.time.monotonic())

    t = k.threading.Thread(target=connector)
    t.start()
    k.time.sleep(1)
    assert done == []
    srv.accept()
    t.join()
    assert len(done) == 1
