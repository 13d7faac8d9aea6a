"""A multi-host asyncio program with latency and UDP loss, traced (test_network_trace_determinism)."""
from __future__ import annotations

import asyncio
import socket
import sys
from typing import Any

import epollsim


def traced_run(seed: int) -> tuple[str, list[Any]]:
    """Run the program under ``seed``; (the trace's digest, what the clients observed)."""
    k = epollsim.Kernel(seed=seed, schedule="random", trace=True)
    server = k.add_host("server")
    hosts = [k.add_host(f"h{i}") for i in range(3)]
    k.network.set_latency("h0", "server", 0.003)
    k.network.set_latency("h1", "server", 0.011)
    k.network.drop("h2", "server", 0.5)  # UDP datagrams between h2 and the server: lost half the time
    up = k.threading.Event()
    seen: list[Any] = []

    async def serve() -> None:
        loop = asyncio.get_running_loop()

        class Shout(asyncio.DatagramProtocol):
            def connection_made(self, transport: Any) -> None:
                self.transport = transport

            def datagram_received(self, data: bytes, addr: Any) -> None:
                self.transport.sendto(data.upper(), addr)

        await loop.create_datagram_endpoint(Shout, local_addr=("0.0.0.0", 5353))

        async def reverse(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            while line := await reader.readline():
                writer.write(line[-2::-1] + b"\n")
                await writer.drain()
            writer.close()

        srv = await asyncio.start_server(reverse, "0.0.0.0", 7000)
        up.set()
        async with srv:
            await srv.serve_forever()

    async def client(i: int) -> None:
        loop = asyncio.get_running_loop()
        replies: asyncio.Queue[bytes] = asyncio.Queue()

        class Listen(asyncio.DatagramProtocol):
            def datagram_received(self, data: bytes, addr: Any) -> None:
                replies.put_nowait(data)

        reader, writer = await asyncio.open_connection("server", 7000)
        udp, _ = await loop.create_datagram_endpoint(Listen, remote_addr=("server", 5353), family=socket.AF_INET)
        for j in range(6):
            writer.write(f"{i}-{j}\n".encode())
            seen.append((i, await reader.readline(), loop.time()))
            udp.sendto(f"ping {i} {j}".encode())
            try:
                seen.append((i, await asyncio.wait_for(replies.get(), 0.1), loop.time()))
            except asyncio.TimeoutError:  # TimeoutError itself from 3.11
                seen.append((i, "lost", j, loop.time()))
        udp.close()
        writer.close()
        await writer.wait_closed()

    async def clients(i: int) -> None:
        await asyncio.gather(client(i), client(i + 10))

    k.threading.Thread(target=server.asyncio.run, args=(serve(),), daemon=True, name="server").start()
    up.wait()
    threads = [k.threading.Thread(target=h.asyncio.run, args=(clients(i),)) for i, h in enumerate(hosts)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return k.trace.digest(), seen


if __name__ == "__main__":
    print(traced_run(int(sys.argv[1]))[0])
