"""asyncio's selector loop on both backends: the real loop on the real kernel, the model's loop on
the model. Streams over socketpairs, loopback TCP and AF_UNIX names, half-close, a refused connect,
timers."""
from __future__ import annotations

import asyncio
import errno
import os
import sys
import tempfile
from typing import Any

from epollsim.testing.backends import Backend


async def socketpair_streams(backend: Backend) -> list[Any]:
    a, b = backend.socket.socketpair()
    r1, w1 = await asyncio.open_connection(sock=a)
    r2, w2 = await asyncio.open_connection(sock=b)
    w1.write(b"one\ntwo\n")
    seen: list[Any] = [await r2.readline(), await r2.readline()]
    w1.write_eof()
    seen.append(await r2.read())
    w2.write(b"still open")
    await w2.drain()
    seen.append(await r1.read(100))
    for w in (w1, w2):
        w.close()
        await w.wait_closed()
    return seen


def test_streams_over_a_socketpair(backend: Backend) -> None:
    got = backend.asyncio.run(socketpair_streams(backend))
    assert got == [b"one\n", b"two\n", b"", b"still open"]


async def tcp_echo() -> list[Any]:
    async def echo(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        data = await reader.read()  # until the client's FIN
        writer.write(data[::-1])
        writer.close()

    server = await asyncio.start_server(echo, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(b"abc" * 1000)
    writer.write_eof()
    seen: list[Any] = [await reader.read()]
    writer.close()
    await writer.wait_closed()
    server.close()
    await server.wait_closed()
    try:
        await asyncio.open_connection("127.0.0.1", port)
    except OSError as exc:
        seen.append(exc.errno)
    return seen


def test_tcp_echo_with_half_close_and_a_refused_connect(backend: Backend) -> None:
    assert backend.asyncio.run(tcp_echo()) == [b"cba" * 1000, errno.ECONNREFUSED]


async def timers() -> list[str]:
    order: list[str] = []
    loop = asyncio.get_running_loop()
    loop.call_later(0.03, order.append, "later")
    loop.call_soon(order.append, "soon")
    try:
        if sys.version_info >= (3, 11):
            async with asyncio.timeout(0.01):
                await asyncio.sleep(1)
        else:  # no asyncio.timeout before 3.11
            await asyncio.wait_for(asyncio.sleep(1), 0.01)
    except asyncio.TimeoutError:  # TimeoutError itself from 3.11; its own class on 3.10
        order.append("timeout")
    await asyncio.sleep(0.05)
    return order


def test_timers_fire_in_deadline_order(backend: Backend) -> None:
    assert backend.asyncio.run(timers()) == ["soon", "timeout", "later"]


async def udp_exchange() -> list[Any]:
    loop = asyncio.get_running_loop()
    received: asyncio.Queue[tuple[bytes, Any]] = asyncio.Queue()

    class Collect(asyncio.DatagramProtocol):
        def datagram_received(self, data: bytes, addr: Any) -> None:
            received.put_nowait((data, addr))

    server, _ = await loop.create_datagram_endpoint(Collect, local_addr=("127.0.0.1", 0))
    server_addr = server.get_extra_info("sockname")
    client, _ = await loop.create_datagram_endpoint(Collect, remote_addr=server_addr)
    client_addr = client.get_extra_info("sockname")
    client.sendto(b"one")
    client.sendto(b"two")
    seen: list[Any] = []
    for _ in range(2):
        data, addr = await received.get()
        seen.append((data, addr == client_addr))
    server.sendto(b"back", client_addr)
    data, addr = await received.get()
    seen.append((data, addr == server_addr))
    client.close()
    server.close()
    return seen


def test_datagram_endpoints(backend: Backend) -> None:
    assert backend.asyncio.run(udp_exchange()) == [(b"one", True), (b"two", True), (b"back", True)]


async def unix_echo(backend: Backend, directory: str, abstract: bytes) -> list[Any]:
    """Streams over AF_UNIX: a path (as the real loop does it: a stale socket file is removed
    before binding), an abstract name, and the errors of a missing or dead path."""
    loop = asyncio.get_running_loop()

    async def echo(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        while line := await reader.readline():
            writer.write(b"echo " + line)
            await writer.drain()
        writer.close()

    async def round_trip(path: Any) -> list[Any]:
        reader, writer = await asyncio.open_unix_connection(path)
        writer.write(b"one\ntwo\n")
        got: list[Any] = [await reader.readline(), await reader.readline()]
        writer.write_eof()
        got += [await reader.read(), writer.get_extra_info("peername"), writer.get_extra_info("sockname")]
        writer.close()
        await writer.wait_closed()
        return got

    path = os.path.join(directory, "echo.sock")
    seen: list[Any] = []
    server = await asyncio.start_unix_server(echo, path)
    seen.append(server.sockets[0].getsockname() == path)
    seen.append(await round_trip(path) == [b"echo one\n", b"echo two\n", b"", path, ""])
    server.close()
    await server.wait_closed()
    try:  # 3.11/3.12 leave the socket file (ECONNREFUSED); 3.13 unlinks it on close (ENOENT)
        await asyncio.open_unix_connection(path)
    except OSError as exc:
        seen.append(exc.errno)
    # The path is taken again: a stale socket file is stat()ed and removed before bind().
    server = await asyncio.start_unix_server(echo, path)
    seen.append(await round_trip(path) == [b"echo one\n", b"echo two\n", b"", path, ""])
    # ... even a live one: the new server takes the name, the old listener keeps its socket.
    async def second_echo(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.write(b"second " + await reader.readline())
        writer.close()

    second = await asyncio.start_unix_server(second_echo, path)
    reader, writer = await asyncio.open_unix_connection(path)
    writer.write(b"who?\n")
    seen.append(await reader.read())
    writer.close()
    await writer.wait_closed()
    for srv in (server, second):
        srv.close()
        await srv.wait_closed()
    try:
        await asyncio.open_unix_connection(os.path.join(directory, "nobody.sock"))
    except FileNotFoundError as exc:
        seen.append(("missing", exc.errno))
    # An abstract name, and a server on a socket the program bound itself, through the loop.
    server = await asyncio.start_unix_server(echo, abstract)
    seen.append(await round_trip(abstract) == [b"echo one\n", b"echo two\n", b"", abstract, ""])
    server.close()
    await server.wait_closed()
    sock = backend.socket.socket(backend.socket.AF_UNIX, backend.socket.SOCK_STREAM)
    sock.bind(path + "2")
    server = await loop.create_unix_server(asyncio.Protocol, sock=sock)
    transport, _ = await loop.create_unix_connection(asyncio.Protocol, path + "2")
    seen.append(transport.get_extra_info("peername") == path + "2")
    transport.close()
    server.close()
    await server.wait_closed()
    return seen


def test_unix_streams_echo_and_the_stale_socket_file(backend: Backend) -> None:
    abstract = f"\0epollsim-asyncio-{os.getpid()}".encode()
    with tempfile.TemporaryDirectory(prefix="es") as directory:  # short: sun_path holds 108 bytes
        got = backend.asyncio.run(unix_echo(backend, directory, abstract))
    gone = errno.ENOENT if sys.version_info >= (3, 13) else errno.ECONNREFUSED
    assert got == [True, True, gone, True, b"second who?\n", ("missing", errno.ENOENT), True, True]
