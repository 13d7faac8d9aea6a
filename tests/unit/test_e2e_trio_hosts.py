"""trio and anyio, unmodified, on two hosts under one k.patch(): a server on "server", its client on the
first host, a partition that heals, the server's host crashing; one trace per seed, no real fd but files.

What makes it work (patch_hosts.py, patch_threads.py, patch_fds/hosts.py): every host's sockets are of
the one ``socket.socket`` class (trio checks ``type(sock) is socket.socket``), trio's run context (a real
``threading.local`` made at import) is a model thread-local while the patch is active, so a ``trio.run``
on each host is its own run, and ``os``'s fd calls go to the running thread's host.
"""
from __future__ import annotations

import functools
import os
import socket
import time
from typing import Any

import pytest

import epollsim
from epollsim.testing.real_fds import only_file_fds

trio = pytest.importorskip("trio")
anyio = pytest.importorskip("anyio")


async def upper(stream: Any) -> None:
    async for data in stream:
        await stream.send_all(data.upper())


async def trio_server() -> None:
    await trio.serve_tcp(upper, 8080)


def run_trio(seed: int) -> tuple[list[Any], str]:
    k = epollsim.Kernel(seed, trace=True)
    server = k.add_host("server")
    k.network.set_latency("localhost", "server", 0.010)
    seen: list[Any] = []

    async def client() -> None:
        start = trio.current_time()

        def note(what: Any) -> None:
            seen.append((what, round(trio.current_time() - start, 3)))

        stream = await trio.open_tcp_stream("server", 8080)
        await stream.send_all(b"hello")
        note(await stream.receive_some(100))
        k.network.partition("localhost", "server")
        await stream.send_all(b"again")
        with trio.move_on_after(2):
            note(await stream.receive_some(100))
        note("partitioned")
        k.network.heal("localhost", "server")
        note(await stream.receive_some(100))  # the retransmission gets through
        server.crash()
        await stream.send_all(b"anyone?")
        with trio.move_on_after(5):
            note(await stream.receive_some(100))
        note("server down")
        await stream.aclose()

    with only_file_fds(), k.patch():
        server.start_main(trio.run, trio_server)
        time.sleep(0.01)
        trio.run(client)
    return seen, k.trace.digest()


def test_a_trio_server_and_client_on_two_hosts_with_a_partition_and_a_crash() -> None:
    wall = time.perf_counter()
    seen, digest = run_trio(0)
    assert time.perf_counter() - wall < 10
    assert seen[:2] == [(b"HELLO", 0.04), ("partitioned", 2.04)]  # handshake, then the line: 3 trips
    assert seen[2][0] == b"AGAIN" and 2.04 < seen[2][1] < 4
    assert seen[3][0] == "server down" and seen[3][1] == pytest.approx(seen[2][1] + 5, abs=0.01)
    assert run_trio(0) == (seen, digest)  # the same run, byte for byte


def test_trio_sockets_are_of_the_one_socket_class_on_every_host() -> None:
    k = epollsim.Kernel(0)
    server = k.add_host("server")
    out: dict[str, Any] = {}
    with k.patch():
        async def there() -> None:
            listener = trio.socket.socket()
            await listener.bind(("0.0.0.0", 7))
            listener.listen()
            a, b = socket.socketpair()
            out["types"] = [type(s) is socket.socket for s in (listener._sock, a, b, a.dup())]
            out["host"] = socket.gethostname()
            r, w = os.pipe()
            os.write(w, b"server's pipe")
            out["pipe"] = (r, os.read(r, 100))

        server.start(trio.run, there).join()
        assert type(socket.socket()) is socket.socket
    assert out["types"] == [True, True, True, True] and out["host"] == "server"
    r = out["pipe"][0]
    assert out["pipe"][1] == b"server's pipe" and server.process.fdtable.files[r].kind == "pipe"
    assert k.process.fdtable.files.get(r) is None or k.process.fdtable.files[r].kind != "pipe"


async def anyio_server() -> None:
    async def serve(stream: Any) -> None:
        async with stream:
            async for data in stream:
                await stream.send(data.upper())

    listener = await anyio.create_tcp_listener(local_port=8080)
    await listener.serve(serve)


def run_anyio(seed: int, server_backend: str, client_backend: str) -> tuple[list[Any], str]:
    k = epollsim.Kernel(seed, trace=True)
    server = k.add_host("server")
    k.network.set_latency("localhost", "server", 0.005)
    seen: list[Any] = []

    async def client() -> None:
        async with await anyio.connect_tcp("server", 8080) as stream:
            await stream.send(b"hello")
            seen.append(await stream.receive())
            k.network.partition("localhost", "server")
            await stream.send(b"later")
            with anyio.move_on_after(1) as scope:
                await stream.receive()
            seen.append(scope.cancelled_caught)
            k.network.heal("localhost", "server")
            seen.append(await stream.receive())
            seen.append(await anyio.to_thread.run_sync(socket.gethostname))  # a worker on this host

    with only_file_fds(), k.patch():
        server.start_main(functools.partial(anyio.run, anyio_server, backend=server_backend))
        time.sleep(0.01)
        anyio.run(client, backend=client_backend)
    return seen, k.trace.digest()


@pytest.mark.parametrize("server_backend, client_backend", [("asyncio", "asyncio"), ("trio", "trio"), ("trio", "asyncio")])
def test_anyio_on_two_hosts(server_backend: str, client_backend: str) -> None:
    seen, digest = run_anyio(1, server_backend, client_backend)
    assert seen == [b"HELLO", True, b"LATER", "localhost"]
    assert run_anyio(1, server_backend, client_backend) == (seen, digest)
