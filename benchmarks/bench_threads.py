"""Green threads against real threads, side by side in one process.

    python benchmarks/bench_threads.py [--quick]

Prints: the cost of one switch between two model threads; a ping-pong of one
byte through two pipes between two threads (model threads vs real threads);
the wall cost of k.time.sleep(3600); and seeds explored per second for a
two-thread program.
"""
from __future__ import annotations

import argparse
import os
import threading
import time

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


def per_round_ns(fn, rounds: int, repeats: int) -> float:  # type: ignore[no-untyped-def]
    best = float("inf")
    for _ in range(repeats):
        t0 = time.perf_counter_ns()
        fn(rounds)
        best = min(best, (time.perf_counter_ns() - t0) / rounds)
    return best


def switches(k: epollsim.Kernel, n: int) -> None:
    def spin() -> None:
        for _ in range(n):
            k.time.sleep(0)

    t = k.threading.Thread(target=spin)
    t.start()
    for _ in range(n):
        k.time.sleep(0)
    t.join()


def two_threads(k: epollsim.Kernel) -> None:
    r, w = k.os.pipe()
    t = k.threading.Thread(target=lambda: k.os.write(w, b"x"))
    t.start()
    assert k.os.read(r, 1) == b"x"
    t.join()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    rounds = 2000 if args.quick else 20000
    repeats = 3 if args.quick else 7

    k = epollsim.Kernel()
    switch_ns = per_round_ns(lambda n: switches(k, n), rounds, repeats) / 2  # two switches per round
    model_pp = per_round_ns(lambda n: ping_pong(*_model_mods(), n), rounds, repeats)
    real_pp = per_round_ns(lambda n: ping_pong(os, threading, n), rounds, repeats)
    k = epollsim.Kernel()
    t0 = time.perf_counter_ns()
    k.time.sleep(3600)
    sleep_wall_us = (time.perf_counter_ns() - t0) / 1000
    seeds = 200 if args.quick else 2000
    t0 = time.perf_counter_ns()
    result = epollsim.explore(two_threads, seeds=range(seeds))
    seeds_per_s = seeds / ((time.perf_counter_ns() - t0) / 1e9)
    assert result.ok

    print(f"model thread switch (sleep(0) hand-over):      {switch_ns:10,.0f} ns")
    print(f"pipe ping-pong round trip, model threads:      {model_pp:10,.0f} ns")
    print(f"pipe ping-pong round trip, real threads:       {real_pp:10,.0f} ns   (model/real {model_pp / real_pp:.2f}x)")
    print(f"k.time.sleep(3600), wall time:                 {sleep_wall_us:10,.1f} us")
    print(f"seeds explored per second (two-thread program): {seeds_per_s:9,.0f}")


def _model_mods():  # type: ignore[no-untyped-def]
    k = epollsim.Kernel()
    return k.os, k.threading


if __name__ == "__main__":
    main()
