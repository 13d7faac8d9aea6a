"""A server and many clients on several hosts, explored over seeds: every seed passes, the seeds
explore different interleavings (the server hears the clients in different orders, the runs'
digests differ), and each seed is one run, whatever how often it is replayed."""
from __future__ import annotations

import asyncio

import epollsim
from epollsim.tools.runner import run_one

CLIENT_HOSTS = 4
CLIENTS_PER_HOST = 5  # 20 clients
LINES = 3

# What the server heard, in order, per seed (the program is a function of the kernel only).
heard: dict[int, list[bytes]] = {}


def echo_program(k: epollsim.Kernel) -> None:
    server = k.add_host("server")
    hosts = [k.add_host(f"c{i}") for i in range(CLIENT_HOSTS)]
    for i in range(CLIENT_HOSTS):
        # the same latency for every host: their packets arrive at the same virtual instants,
        # so the order in which the server's handlers run is the schedule's choice
        k.network.set_latency(f"c{i}", "server", 0.002)
    up = k.threading.Event()
    order = heard[k.seed] = []

    async def serve() -> None:
        async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            while line := await reader.readline():
                order.append(line)
                writer.write(line.upper())
                await writer.drain()
            writer.close()

        srv = await asyncio.start_server(handle, "0.0.0.0", 7000)
        up.set()
        async with srv:
            await srv.serve_forever()

    async def client(name: str) -> None:
        reader, writer = await asyncio.open_connection("server", 7000)
        for j in range(LINES):
            writer.write(f"{name} {j}\n".encode())
            assert await reader.readline() == f"{name} {j}\n".upper().encode()
        writer.close()
        await writer.wait_closed()

    async def clients(i: int) -> None:
        await asyncio.gather(*(client(f"c{i}-{n}") for n in range(CLIENTS_PER_HOST)))

    k.threading.Thread(target=server.asyncio.run, args=(serve(),), daemon=True, name="server").start()
    up.wait()
    threads = [k.threading.Thread(target=h.asyncio.run, args=(clients(i),)) for i, h in enumerate(hosts)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(order) == CLIENT_HOSTS * CLIENTS_PER_HOST * LINES


def test_a_server_and_twenty_clients_pass_under_fifty_seeds() -> None:
    heard.clear()
    result = epollsim.explore(echo_program, seeds=range(50), schedule="random")
    assert result.ok, str(result)
    assert result.runs == 50
    # The seeds explored different interleavings, not one schedule fifty times.
    orders = {tuple(lines) for lines in heard.values()}
    assert len(orders) >= 25
    # An exploration is a function of its seeds.
    assert epollsim.explore(echo_program, seeds=range(50), schedule="random").digest == result.digest


def test_each_seeds_traced_run_has_its_own_digest_and_replays_exactly() -> None:
    outcomes = [run_one(echo_program, seed, trace=True) for seed in range(50)]
    assert all(outcome.passed for outcome in outcomes)
    assert len({outcome.digest for outcome in outcomes}) >= 45
    for seed in (0, 7, 31):
        assert run_one(echo_program, seed, trace=True).digest == outcomes[seed].digest
