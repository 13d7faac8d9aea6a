"""An asyncio network run on the model observes the same under any PYTHONHASHSEED."""
from __future__ import annotations

import textwrap

from hashseed_helpers import output_under_hashseed

WORKLOAD = textwrap.dedent(
    """
    import asyncio
    import epollsim

    k = epollsim.Kernel(seed=5, schedule="random")
    server_host = k.add_host("server")
    log = []
    up = k.threading.Event()

    async def serve():
        async def handle(reader, writer):
            while line := await reader.readline():
                log.append(("server", line, writer.get_extra_info("peername"), k.now_ns))
                writer.write(line.upper())
            writer.close()
        server = await asyncio.start_server(handle, None, 9000)  # both 0.0.0.0 and ::
        log.append(sorted((s.fileno(), s.getsockname()[:2]) for s in server.sockets))
        up.set()
        async with server:
            await asyncio.sleep(60)

    async def client(name):
        reader, writer = await asyncio.open_connection("server", 9000)
        for i in range(3):
            writer.write(f"{name} {i}\\n".encode())
            log.append((name, await reader.readline(), writer.get_extra_info("sockname"), k.now_ns))
            await asyncio.sleep(0.001 * len(name))
        writer.close()
        await writer.wait_closed()

    async def clients():
        await asyncio.gather(*(client(n) for n in ("a", "bb", "ccc")))

    t = k.threading.Thread(target=server_host.asyncio.run, args=(serve(),))
    t.start()
    up.wait()
    k.asyncio.run(clients())
    t.join()
    for entry in log:
        print(entry)
    """
)


def run(hashseed: str) -> str:
    return output_under_hashseed(hashseed, "-c", WORKLOAD)


def test_an_asyncio_network_run_does_not_depend_on_the_hash_seed() -> None:
    first = run("0")
    assert first == run("1") == run("4242")
    assert first.count("'server'") == 9
