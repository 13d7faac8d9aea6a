"""asyncio on the model against asyncio on the real kernel: streams echo, accepts, a virtual hour.

    python benchmarks/bench_asyncio.py            # 5 rounds
    python benchmarks/bench_asyncio.py --quick    # 2 rounds, fewer round trips

The same coroutines run on the real loop over real loopback TCP (``asyncio.run``) and on the
model's loop over the model's TCP (``k.asyncio.run``), in one process, alternating; the figure is
the median over rounds.
"""
from __future__ import annotations

import argparse
import asyncio
import statistics
import time
from collections.abc import Callable, Coroutine
from typing import Any

import epollsim


async def echo_round_trips(n: int) -> int:
    async def echo(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        while line := await reader.readline():
            writer.write(line)
        writer.close()

    server = await asyncio.start_server(echo, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    for _ in range(n):
        writer.write(b"0123456789abcdef\n")
        await reader.readline()
    writer.close()
    await writer.wait_closed()
    server.close()
    await server.wait_closed()
    return n


async def accepts(n: int) -> int:
    accepted = 0

    def count(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        nonlocal accepted
        accepted += 1
        writer.close()

    server = await asyncio.start_server(count, "127.0.0.1", 0, backlog=512)
    port = server.sockets[0].getsockname()[1]
    for _ in range(n):
        _, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.close()
        await writer.wait_closed()
    while accepted < n:
        await asyncio.sleep(0)
    server.close()
    await server.wait_closed()
    return n


async def sleep_an_hour() -> int:
    for _ in range(60):
        await asyncio.sleep(60)
    return 1


def timed(run: Callable[[Coroutine[Any, Any, int]], int], coro: Coroutine[Any, Any, int]) -> tuple[float, int]:
    start = time.perf_counter()
    count = run(coro)
    return time.perf_counter() - start, count


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    rounds, trips, conns = (2, 500, 100) if args.quick else (5, 3000, 500)
    print(f"epollsim from {epollsim.__file__}; {rounds} rounds")
    cases: list[tuple[str, Callable[[int], Coroutine[Any, Any, int]], int, str]] = [
        ("streams echo round trip", echo_round_trips, trips, "us/op"),
        ("connection open+accept+close", accepts, conns, "us/op"),
    ]
    for name, make, n, unit in cases:
        model_t, real_t = [], []
        for _ in range(rounds):
            k = epollsim.Kernel()
            elapsed, count = timed(k.asyncio.run, make(n))
            model_t.append(elapsed / count)
            elapsed, count = timed(asyncio.run, make(n))
            real_t.append(elapsed / count)
        m, r = statistics.median(model_t) * 1e6, statistics.median(real_t) * 1e6
        print(f"{name:32} model {m:8.1f} {unit}   real {r:8.1f} {unit}   model/real {m / r:5.2f}x")
    k = epollsim.Kernel()
    elapsed, _ = timed(k.asyncio.run, sleep_an_hour())
    print(f"{'sleep a virtual hour (60 x 60 s)':32} model {elapsed * 1e3:8.2f} ms   (virtual clock +{k.time.monotonic() - 1000:.0f} s)")


if __name__ == "__main__":
    main()
