"""What the patch's seal costs: entering and leaving ``k.patch()``, and the collections at idle points.

    python benchmarks/bench_patch.py            # 5 rounds
    python benchmarks/bench_patch.py --quick    # 2 rounds

Printed (in CPU time of this process, far less disturbed than wall time by other jobs on a shared
machine): the median of one ``with k.patch(): pass`` in a process that has imported what a
test run imports (pytest, asyncio, http, email, logging, unittest, decimal, xml, hypothesis), and, for
two programs run under the patch, the median per idle point (a time the simulated machine had
nothing to run and the clock jumped) with the idle collections (patch_gc.py) and without them (the
scheduler's ``on_idle`` cleared, CPython's automatic collection back on):

- asyncio: one task sleeping 1 ms, 2000 times (each sleep is an idle point);
- threads: 8 threads each making a reference cycle and sleeping, 250 times each.
"""
from __future__ import annotations

import argparse
import asyncio
import gc
import statistics
import threading
import time
from collections.abc import Callable
from typing import Any

import epollsim

# The real clock (CPU time), out of the patch's reach (it rebinds module globals, not list items).
REAL_CLOCK: list[Callable[[], float]] = [time.process_time]


def import_a_test_process() -> int:
    import decimal  # noqa: F401
    import email.message  # noqa: F401
    import http.client  # noqa: F401
    import logging.handlers  # noqa: F401
    import sys
    import unittest.mock  # noqa: F401
    import xml.dom.minidom  # noqa: F401

    import hypothesis  # noqa: F401
    import pytest  # noqa: F401
    return len(sys.modules)


def enter_and_leave(k: epollsim.Kernel) -> float:
    clock = REAL_CLOCK[0]
    start = clock()
    with k.patch():
        pass
    return clock() - start


async def sleeper(n: int) -> None:
    for _ in range(n):
        await asyncio.sleep(0.001)


def threads_with_cycles(n: int) -> None:
    def worker() -> None:
        for _ in range(n):
            cycle: list[Any] = [bytearray(64)]
            cycle.append(cycle)
            del cycle
            time.sleep(0.001)

    workers = [threading.Thread(target=worker) for _ in range(8)]
    for t in workers:
        t.start()
    for t in workers:
        t.join()


def per_idle_point(program: Callable[[], None], collect: bool) -> float:
    k = epollsim.Kernel()
    clock = REAL_CLOCK[0]
    with k.patch():
        sched = k.localhost.process.sched
        collector = sched.on_idle
        if not collect:
            sched.on_idle = None
            gc.enable()
        jumps = [0]

        def counting() -> None:
            jumps[0] += 1
            if collector is not None and collect:
                collector()

        sched.on_idle = counting
        start = clock()
        program()
        elapsed = clock() - start
        sched.on_idle = collector
    return elapsed / max(jumps[0], 1)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    rounds = 2 if args.quick else 5
    modules = import_a_test_process()
    k = epollsim.Kernel()
    enter_and_leave(k)
    entry = statistics.median(enter_and_leave(k) for _ in range(rounds * 3))
    print(f"with k.patch(): pass  ({modules} modules imported): {entry * 1e3:.1f} ms")
    programs: dict[str, Callable[[], None]] = {
        "asyncio sleep(0.001) x2000": lambda: asyncio.run(sleeper(2000)),
        "8 threads, cycles + sleep x250": lambda: threads_with_cycles(250),
    }
    for name, program in programs.items():
        on, off = [], []
        for _ in range(rounds):
            on.append(per_idle_point(program, True))
            off.append(per_idle_point(program, False))
        print(f"{name}: per idle point {statistics.median(on) * 1e6:.1f} us with idle collections, "
              f"{statistics.median(off) * 1e6:.1f} us with CPython's automatic collection")


if __name__ == "__main__":
    main()
