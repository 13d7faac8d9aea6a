"""asyncio's selector loop on both backends: the real loop on the real kernel, the model's loop on
the model. Streams over socketpairs and loopback TCP, half-close, a refused connect, timers."""
from __future__ import annotations

import asyncio
import errno
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
        async with asyncio.timeout(0.01):
            await asyncio.sleep(1)
    except TimeoutError:
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
