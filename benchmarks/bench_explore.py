"""Seeds explored per second, in one process and in a pool of processes; and per schedule.

    python benchmarks/bench_explore.py [--quick] [--seeds N]
    python benchmarks/bench_explore.py --schedules [--seeds N] [--preemptions P]

The program is a two-thread one (a writer thread and the main thread reading
a pipe, then both taking a lock-protected counter after a sleep(0)), run under
the random schedule. Rows:

- jobs=1: ``epollsim.explore(program, seeds)`` in this process;
- jobs=2, spawn / fork: ``explore_pool`` with two workers started that way
  (spawn is what ``explore(jobs=N)`` uses);
- the same for the program given as a file (``main(kernel)``), which is
  executed afresh for each seed;
- pool start-up: a 2-seed exploration with jobs=2 (the fixed cost of a pool).

``--schedules`` instead measures schedules per second of the same program in
this process under each strategy (random and pct preempt at every system call,
clock read and Thread.start, and choose the timing: sched/timing.py):
``fifo``, ``random`` and ``pct`` over
``--seeds`` seeds, ``systematic`` over its whole space with at most
``--preemptions`` preemptions (searched again until it has run as many
schedules as there are seeds; every run of each passes).

``--repeat`` rounds each run every configuration once (so a burst of load from
other processes hits them all alike); a row is the round with the best wall
time. CPU seconds are this process's plus its reaped children's (the workers),
so they hold up better than wall time on a shared machine. Every run is
checked to report the same digest as jobs=1: the pool explores exactly what
one process does.
"""
from __future__ import annotations

import argparse
import os
import pathlib
import resource
import sys
import tempfile
import time

import epollsim
from epollsim.tools.pool import explore_pool
from epollsim.tools.runner import program_ref

PROGRAM_TEXT = '''
def main(k):
    r, w = k.os.pipe()
    lock = k.threading.Lock()
    counter = [0]

    def writer():
        k.os.write(w, b"x")
        k.time.sleep(0)
        with lock:
            counter[0] += 1

    t = k.threading.Thread(target=writer)
    t.start()
    assert k.os.read(r, 1) == b"x"
    k.time.sleep(0)
    with lock:
        counter[0] += 1
    t.join()
    assert counter[0] == 2
'''

namespace: dict[str, object] = {}
exec(compile(PROGRAM_TEXT, "<two_threads>", "exec"), namespace)


def two_threads(k: epollsim.Kernel) -> None:
    namespace["main"](k)  # type: ignore[operator]


def cpu_seconds() -> float:
    """CPU time of this process and of its reaped children (the pool's workers, once shut down)."""
    me, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime + children.ru_utime + children.ru_stime


def best_of(repeat: int, fn):  # type: ignore[no-untyped-def]
    """(best wall seconds, the CPU seconds of that run, the value)."""
    best, cpu, value = float("inf"), 0.0, None
    for _ in range(repeat):
        t0, c0 = time.perf_counter(), cpu_seconds()
        value = fn()
        wall = time.perf_counter() - t0
        if wall < best:
            best, cpu = wall, cpu_seconds() - c0
    return best, cpu, value


def by_schedule(seeds: range, preemptions: int, repeat: int) -> None:
    """Schedules per second of ``two_threads`` under each strategy, in this process."""
    def seeded(schedule: str):  # type: ignore[no-untyped-def]
        def run() -> int:
            result = epollsim.explore(two_threads, seeds, schedule=schedule)
            assert result.ok, (schedule, result.failures[:1])
            return result.runs
        return run

    def systematic() -> int:  # the whole space, searched again until as many runs as seeds
        runs = 0
        while runs < len(seeds):
            found = epollsim.explore_systematic(two_threads, preemptions, stop_at_first=False)
            assert found.ok and found.exhausted
            runs += found.runs
        return runs

    configs = [(name, seeded(name)) for name in ("fifo", "random", "pct")]
    configs.append((f"systematic (<= {preemptions} preemptions)", systematic))
    best: dict[str, tuple[float, float, int]] = {}
    for _ in range(repeat):  # rounds, as main() does
        for label, run in configs:
            wall, cpu, runs = best_of(1, run)
            if label not in best or wall < best[label][0]:
                best[label] = (wall, cpu, runs)
    print(f"{'':34} {'runs':>6} {'wall s':>7} {'runs/s':>8} {'CPU us/run':>10}")
    for label, _ in configs:
        wall, cpu, runs = best[label]
        print(f"{label:34} {runs:6} {wall:7.2f} {runs / wall:8,.0f} {cpu / runs * 1e6:10,.0f}")
    print(f"load average after: {os.getloadavg()[0]:.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--seeds", type=int, default=None)
    parser.add_argument("--repeat", type=int, default=None)
    parser.add_argument("--schedules", action="store_true", help="schedules per second under each strategy")
    parser.add_argument("--preemptions", type=int, default=3, help="--schedules: systematic's bound")
    args = parser.parse_args()
    seeds = range(args.seeds or (2000 if args.quick else 20000))
    repeat = args.repeat or (1 if args.quick else 3)
    if args.schedules:
        print(f"epollsim from {pathlib.Path(epollsim.__file__).parent}; {len(seeds)} seeds; "
              f"{os.cpu_count()} CPUs; Python {sys.version.split()[0]}; load before: {os.getloadavg()[0]:.2f}")
        by_schedule(seeds, args.preemptions, repeat)
        return
    print(f"epollsim from {pathlib.Path(epollsim.__file__).parent}; {len(seeds)} seeds; "
          f"{os.cpu_count()} CPUs; Python {sys.version.split()[0]}")

    with tempfile.TemporaryDirectory() as tmp:
        path = pathlib.Path(tmp) / "two_threads.py"
        path.write_text(PROGRAM_TEXT)
        reference = epollsim.explore(two_threads, seeds)
        assert reference.ok

        def one(program: object) -> str:
            result = epollsim.explore(program, seeds)  # type: ignore[arg-type]
            return result.digest

        def pool(program: object, method: str) -> str:
            runs, failures, digest = explore_pool(program_ref(program), seeds, jobs=2, start_method=method)  # type: ignore[arg-type]
            assert runs == len(seeds) and not failures
            return digest

        configs = [
            ("function, jobs=1", lambda: one(two_threads)),
            ("function, jobs=2 (spawn)", lambda: pool(two_threads, "spawn")),
            ("function, jobs=2 (fork)", lambda: pool(two_threads, "fork")),
            ("file, jobs=1", lambda: one(str(path))),
            ("file, jobs=2 (spawn)", lambda: pool(str(path), "spawn")),
        ]
        best: dict[str, tuple[float, float]] = {}
        for _ in range(repeat):  # rounds: every configuration once per round, so bursts of load hit all
            for label, run in configs:
                wall, cpu, digest = best_of(1, run)
                assert digest == reference.digest, (label, digest, reference.digest)
                if label not in best or wall < best[label][0]:
                    best[label] = (wall, cpu)
        rows = [(label, *best[label]) for label, _ in configs]
        startup, startup_cpu, _ = best_of(repeat, lambda: explore_pool(program_ref(two_threads), range(2), jobs=2))
    base = rows[0][1]
    print(f"{'':26} {'wall s':>7} {'seeds/s':>8} {'speed-up':>8} {'CPU s':>7} {'CPU us/seed':>11}")
    for label, t, c in rows:
        print(f"{label:26} {t:7.2f} {len(seeds) / t:8,.0f} {base / t:7.2f}x {c:7.2f} {c / len(seeds) * 1e6:11,.0f}")
    print(f"{'pool start-up (2, spawn)':26} {startup:7.2f} {'':8} {'':8} {startup_cpu:7.2f}")
    print(f"load average after: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
