"""asyncio on the model against asyncio on the real kernel: streams echo, accepts, a virtual hour.

    python benchmarks/bench_asyncio.py            # 5 rounds
    python benchmarks/bench_asyncio.py --quick    # 2 rounds, fewer round trips

The same coroutines run on the real loop over real loopback TCP (``asyncio.run``) and on the
model's loop over the model's TCP (``k.asyncio.run``), in one process, alternating which goes first
each round. Printed per case: the median and the best per-operation wall time of each side, and
model/real as the median over rounds of the ratio within a round (the two ran back to back), for
wall time and for the process's CPU time (user + system: on a shared machine CPU time is far less
disturbed by other jobs, and the real kernel's loopback work runs in this process's context).
"""
from __future__ import annotations

import argparse
import asyncio
import gc
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


def timed_both(run: Callable[[Coroutine[Any, Any, int]], int], coro: Coroutine[Any, Any, int]) -> tuple[float, float]:
    """(wall s, CPU s) per operation of one run."""
    gc.collect(1)
    cpu = time.process_time()
    wall, count = timed(run, coro)
    return wall / count, (time.process_time() - cpu) / count


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--rounds", type=int, default=0, help="rounds (default 7, 3 with --quick)")
    args = parser.parse_args()
    rounds, trips, conns = (3, 500, 100) if args.quick else (7, 3000, 500)
    rounds = args.rounds or rounds
    print(f"epollsim from {epollsim.__file__}; {rounds} interleaved rounds; wall us/op median (best);"
          " model/real = median of per-round ratios, wall and CPU")
    cases: list[tuple[str, Callable[[int], Coroutine[Any, Any, int]], int, str]] = [
        ("streams echo round trip", echo_round_trips, trips, "us/op"),
        ("connection open+accept+close", accepts, conns, "us/op"),
    ]
    for name, make, n, unit in cases:
        model_t: list[tuple[float, float]] = []
        real_t: list[tuple[float, float]] = []
        for i in range(rounds):
            k = epollsim.Kernel()
            runs = [(k.asyncio.run, model_t), (asyncio.run, real_t)]
            for run, out in runs if i % 2 == 0 else runs[::-1]:
                out.append(timed_both(run, make(n)))
        m = statistics.median(w for w, _ in model_t) * 1e6
        r = statistics.median(w for w, _ in real_t) * 1e6
        mb, rb = min(w for w, _ in model_t) * 1e6, min(w for w, _ in real_t) * 1e6
        wall = statistics.median(a[0] / b[0] for a, b in zip(model_t, real_t))
        cpu = statistics.median(a[1] / b[1] for a, b in zip(model_t, real_t))
        print(f"{name:30} model {m:7.1f} ({mb:7.1f}) {unit}   real {r:7.1f} ({rb:7.1f}) {unit}"
              f"   model/real wall {wall:4.2f}x  CPU {cpu:4.2f}x")
    k = epollsim.Kernel()
    elapsed, _ = timed(k.asyncio.run, sleep_an_hour())
    print(f"{'sleep a virtual hour (60 x 60 s)':32} model {elapsed * 1e3:8.2f} ms   (virtual clock +{k.time.monotonic() - 1000:.0f} s)")


if __name__ == "__main__":
    main()
