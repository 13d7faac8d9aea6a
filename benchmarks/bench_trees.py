"""Two copies of the model side by side in one process: cases a, b and c of bench_core.py, model only.

    python benchmarks/bench_trees.py OTHER_SRC           # this epollsim against OTHER_SRC/epollsim
    python benchmarks/bench_trees.py OTHER_SRC --rounds 31

For a change to the model, the ratio between two trees is what matters, and on a shared machine
the real kernel's side of bench_core.py swings by 2x and more with other load. Here both trees run
the same loops in one process, in alternating order each round, timed in CPU time
(``time.process_time_ns``); printed is the median over rounds of the ratio within a round
(this / other), and each tree's best ns per iteration.

OTHER_SRC's package is copied under another name (``epollsim_other``), which works because the
package imports itself relatively; a mypyc build's modules cannot be renamed, so the copy is
always pure Python (compare builds with bench_core.py, one run each).
"""
from __future__ import annotations

import argparse
import gc
import importlib
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import Any

import epollsim

EPOLLIN = 0x001
EPOLLOUT = 0x004
N = 20_000

State = tuple[Any, int, int, Any, int, Any]


def setup(package: ModuleType) -> State:
    k = package.Kernel()
    r, w = k.os.pipe()
    k.os.set_blocking(r, False)
    ep = k.select.epoll()
    ep.register(r, EPOLLIN)
    r2, _ = k.os.pipe()
    return k, r, w, ep, r2, k.select.epoll()


def loop_a(k: Any, r: int, w: int, ep: Any, r2: int, ep2: Any, n: int) -> None:
    os = k.os
    for _ in range(n):
        os.write(w, b"x")
        ep.poll(0)
        os.read(r, 1)


def loop_b(k: Any, r: int, w: int, ep: Any, r2: int, ep2: Any, n: int) -> None:
    for _ in range(n):
        ep2.register(r2, EPOLLIN)
        ep2.modify(r2, EPOLLIN | EPOLLOUT)
        ep2.unregister(r2)


def loop_c(k: Any, r: int, w: int, ep: Any, r2: int, ep2: Any, n: int) -> None:
    k.os.write(w, b"x")
    for _ in range(n):
        ep.poll(0)
    k.os.read(r, 1)


CASES: dict[str, Callable[..., None]] = {"a": loop_a, "b": loop_b, "c": loop_c}


def timed(loop: Callable[..., None], state: State) -> float:
    gc.collect(1)
    start = time.process_time_ns()
    loop(*state, N)
    return (time.process_time_ns() - start) / N


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("other", help="the other tree's src directory (holding epollsim/)")
    parser.add_argument("--rounds", type=int, default=21)
    args = parser.parse_args()
    scratch = Path(tempfile.mkdtemp())
    shutil.copytree(Path(args.other) / "epollsim", scratch / "epollsim_other",
                    ignore=shutil.ignore_patterns("__pycache__", "*.so"))
    sys.path.insert(0, str(scratch))
    other = importlib.import_module("epollsim_other")
    print(f"this: {epollsim.__file__}\nother: {args.other} (copied); {args.rounds} rounds, CPU ns per iteration")
    states = (setup(epollsim), setup(other))
    for name, loop in CASES.items():
        ratios = []
        best = [float("inf"), float("inf")]
        for round_ in range(args.rounds):
            times = [0.0, 0.0]
            for side in ((0, 1) if round_ % 2 else (1, 0)):
                times[side] = timed(loop, states[side])
                best[side] = min(best[side], times[side])
            ratios.append(times[0] / times[1])
        print(f"{name}: this/other {statistics.median(ratios):.3f}   best: this {best[0]:,.0f}, other {best[1]:,.0f}")
    shutil.rmtree(scratch)


if __name__ == "__main__":
    main()
