"""Green threads against real threads, side by side in one process.

    python benchmarks/bench_threads.py              # 7 interleaved rounds of 20,000 round trips
    python benchmarks/bench_threads.py --quick      # 3 rounds of 2,000
    python benchmarks/bench_threads.py --rounds N

The ping-pong (one byte there and back through two pipes between two threads) runs on two model
threads (``k.os``, ``k.threading``, a fresh Kernel each round) and on two real threads (``os``,
``threading``), in one process, back to back in each round, alternating which goes first, with a
``gc.collect()`` before each (after one short warm-up run of each). Printed for it: each side's
median (best) wall time per round trip, each side's median process CPU time per round trip
(``time.process_time``: user + system of the whole process, so for real threads it includes both
threads and the kernel's work for them), and model/real as the median over rounds of the ratio
within a round (with the lowest and highest), for wall time and for CPU time.

Also printed: the cost of one switch between two model threads (a ``sleep(0)`` hand-over, median
(best) over the same rounds); the wall cost of ``k.time.sleep(3600)``, as one first call in a
fresh kernel (median over the rounds) and per call over 1,000 calls; and seeds explored per
second for a two-thread program (one run of 2,000 seeds, 200 with ``--quick``, under the random
schedule, then under fifo and pct); and the memory
one blocked model thread holds, with 10,000 of them blocked at once on one Event (``--threads N``
to change the count): the growth of the process's resident set (``/proc/self/statm``) and of
Python's allocations (``tracemalloc``, which counts the greenlets' saved stack slices too), divided
by N, and the wall time to start, block and release them all.
"""
from __future__ import annotations

import argparse
import gc
import os
import statistics
import threading
import time
from collections.abc import Callable

import epollsim


def ping_pong(os_mod, threading_mod, rounds: int) -> None:  # type: ignore[no-untyped-def]
    a_r, a_w = os_mod.pipe()
    b_r, b_w = os_mod.pipe()

    def echo() -> None:
        for _ in range(rounds):
            os_mod.write(b_w, os_mod.read(a_r, 1))

    t = threading_mod.Thread(target=echo)
    t.start()
    for _ in range(rounds):
        os_mod.write(a_w, b"x")
        os_mod.read(b_r, 1)
    t.join()
    for fd in (a_r, a_w, b_r, b_w):
        os_mod.close(fd)


def timed(fn: Callable[[int], object], n: int) -> tuple[float, float]:
    """(wall ns, CPU ns) per iteration of one run of ``fn(n)``, after a gc.collect()."""
    gc.collect()
    cpu = time.process_time_ns()
    t0 = time.perf_counter_ns()
    fn(n)
    wall = time.perf_counter_ns() - t0
    return wall / n, (time.process_time_ns() - cpu) / n


def switches(k: epollsim.Kernel, n: int) -> None:
    def spin() -> None:
        for _ in range(n):
            k.time.sleep(0)

    t = k.threading.Thread(target=spin)
    t.start()
    for _ in range(n):
        k.time.sleep(0)
    t.join()


def sleep_hours(n: int) -> None:
    k = epollsim.Kernel()
    for _ in range(n):
        k.time.sleep(3600)


def two_threads(k: epollsim.Kernel) -> None:
    r, w = k.os.pipe()
    t = k.threading.Thread(target=lambda: k.os.write(w, b"x"))
    t.start()
    assert k.os.read(r, 1) == b"x"
    t.join()


def _rss_bytes() -> int:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def blocked_threads(n: int) -> tuple[float, float, float]:
    """(RSS bytes, traced bytes) per thread with ``n`` model threads blocked on one Event, and the
    wall seconds to start them, block them all and release them."""
    import tracemalloc

    gc.collect()
    k = epollsim.Kernel()
    event = k.threading.Event()
    rss0 = _rss_bytes()
    tracemalloc.start()
    t0 = time.perf_counter()
    threads = [k.threading.Thread(target=event.wait) for _ in range(n)]
    for t in threads:
        t.start()
    k.time.sleep(0.001)  # every thread runs until it blocks on the event
    traced = tracemalloc.get_traced_memory()[0]
    rss = _rss_bytes() - rss0
    tracemalloc.stop()
    event.set()
    for t in threads:
        t.join()
    return rss / n, traced / n, time.perf_counter() - t0


def model_ping_pong(n: int) -> None:
    k = epollsim.Kernel()
    ping_pong(k.os, k.threading, n)


def real_ping_pong(n: int) -> None:
    ping_pong(os, threading, n)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--rounds", type=int, default=0, help="interleaved rounds (default 7, 3 with --quick)")
    parser.add_argument("--threads", type=int, default=10_000, help="threads blocked at once (default 10,000)")
    args = parser.parse_args()
    trips = 2000 if args.quick else 20000
    rounds = args.rounds or (3 if args.quick else 7)

    model: list[tuple[float, float]] = []
    real: list[tuple[float, float]] = []
    switch: list[float] = []
    cold_sleep: list[float] = []
    for fn in (model_ping_pong, real_ping_pong):  # warm-up: first-use imports and classes
        fn(100)
    for i in range(rounds):
        sides = [(model_ping_pong, model), (real_ping_pong, real)]
        for fn, out in sides if i % 2 == 0 else sides[::-1]:
            out.append(timed(fn, trips))
        switch.append(timed(lambda n: switches(epollsim.Kernel(), n), trips)[0] / 2)  # two per iteration
        k = epollsim.Kernel()
        gc.collect()
        t0 = time.perf_counter_ns()
        k.time.sleep(3600)
        cold_sleep.append((time.perf_counter_ns() - t0) / 1000)
    sleep_ns = timed(sleep_hours, 1000)[0]
    seeds = 200 if args.quick else 2000
    per_schedule: dict[str, float] = {}
    for schedule in ("fifo", "random", "pct"):
        gc.collect()
        t0 = time.perf_counter_ns()
        result = epollsim.explore(two_threads, seeds=range(seeds), schedule=schedule)
        per_schedule[schedule] = seeds / ((time.perf_counter_ns() - t0) / 1e9)
        assert result.ok
    seeds_per_s = per_schedule["random"]

    def med(xs: list[float]) -> float:
        return statistics.median(xs)

    m_wall, r_wall = [w for w, _ in model], [w for w, _ in real]
    wall_ratios = [a[0] / b[0] for a, b in zip(model, real)]
    cpu_ratios = [a[1] / b[1] for a, b in zip(model, real)]
    print(f"epollsim from {epollsim.__file__}; {rounds} interleaved rounds of {trips:,} round trips;"
          " median (best); model/real = median of per-round ratios")
    print(f"model thread switch (sleep(0) hand-over):     {med(switch):8,.0f} ({min(switch):,.0f}) ns")
    print(f"pipe ping-pong round trip, model threads:     {med(m_wall):8,.0f} ({min(m_wall):,.0f}) ns wall,"
          f" {med([c for _, c in model]):8,.0f} ns CPU")
    print(f"pipe ping-pong round trip, real threads:      {med(r_wall):8,.0f} ({min(r_wall):,.0f}) ns wall,"
          f" {med([c for _, c in real]):8,.0f} ns CPU")
    print(f"pipe ping-pong model/real:                    wall {med(wall_ratios):.2f}x"
          f" ({min(wall_ratios):.2f}-{max(wall_ratios):.2f})   CPU {med(cpu_ratios):.2f}x"
          f" ({min(cpu_ratios):.2f}-{max(cpu_ratios):.2f}) (range over rounds)")
    print(f"k.time.sleep(3600), wall time:                {med(cold_sleep):8,.1f} ({min(cold_sleep):,.1f}) us"
          f" first call in a fresh kernel, {sleep_ns / 1000:,.1f} us per call over 1,000")
    print(f"seeds explored per second (two-thread program): {seeds_per_s:6,.0f}"
          f" (fifo {per_schedule['fifo']:,.0f}, pct {per_schedule['pct']:,.0f})")
    rss, traced, secs = blocked_threads(args.threads)
    print(f"{args.threads:,} threads blocked at once on one Event: {rss / 1024:,.1f} KiB RSS,"
          f" {traced / 1024:,.1f} KiB traced per thread; {secs:.2f} s to start, block and release")


if __name__ == "__main__":
    main()
