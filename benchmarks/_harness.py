"""Timing machinery for the side-by-side benchmarks: the model and the real kernel in one process.

A *case* builds one environment per backend (``setup(env) -> (args, cleanup)``)
and has one loop function ``loop(*args, n)`` that is the same code for both:
it only ever sees ``os``/``select``/``socket``-shaped objects, so whatever a
program pays for calling the stand-ins (attribute lookups, bound methods,
argument conversion) is paid here too.

Timing: each backend's repetition count ``n`` is calibrated so that one
repetition takes about ``rep_s`` seconds; then ``rounds`` rounds each run one
repetition per backend, alternating which backend goes first, so drift in the
machine (frequency scaling, a noisy neighbour) hits both sides alike. Every
repetition yields ns/iteration = elapsed / n; we keep the median and the best.
The ratio reported is the median over rounds of model/real *within* a round
(the two repetitions ran back to back), which cancels most slow drift; the
ratio of the two bests is shown beside it.
The cyclic GC stays enabled (it is part of what a program pays for the
model's allocations); a young-generation ``gc.collect(1)`` runs before each
repetition so garbage from the other backend is not billed to this one, and a
full collection runs once after each case's setup.
"""
from __future__ import annotations

import gc
import os as _real_os
import select as _real_select
import socket as _real_socket
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import epollsim

perf_ns = time.perf_counter_ns


@dataclass
class Env:
    """What a loop is given: the three modules (real ones or stand-ins)."""

    name: str
    os: Any
    select: Any
    socket: Any
    kernel: Any = None


def real_env() -> Env:
    return Env("real", _real_os, _real_select, _real_socket)


def model_env(**kernel_kwargs: Any) -> Env:
    k = epollsim.Kernel(**kernel_kwargs)
    return Env("model", k.os, k.select, k.socket, k)


Setup = Callable[[Env], "tuple[tuple[Any, ...], Callable[[], None]]"]


@dataclass
class Result:
    case: str
    per_iter: dict[str, list[float]] = field(default_factory=dict)  # backend -> ns/iter per rep
    iters: dict[str, int] = field(default_factory=dict)
    note: str = ""

    def median(self, backend: str) -> float | None:
        xs = self.per_iter.get(backend)
        return statistics.median(xs) if xs else None

    def best(self, backend: str) -> float | None:
        xs = self.per_iter.get(backend)
        return min(xs) if xs else None

    def paired_ratio(self, num: str = "model", den: str = "real") -> float | None:
        """Median over rounds of num/den within the same round (adjacent in time)."""
        m, r = self.per_iter.get(num), self.per_iter.get(den)
        if not m or not r:
            return None
        return statistics.median(a / b for a, b in zip(m, r))


def _time_once(loop: Callable[..., Any], args: tuple[Any, ...], n: int) -> int:
    gc.collect(1)  # the young garbage of the last repetition (a full collection is 0.2 s at N = 100,000)
    t0 = perf_ns()
    loop(*args, n)
    return perf_ns() - t0


def calibrate(loop: Callable[..., Any], args: tuple[Any, ...], rep_s: float) -> int:
    """Smallest power-of-ten-ish n whose repetition takes at least ``rep_s`` / 4, scaled to ``rep_s``."""
    n = 1
    while True:
        elapsed = _time_once(loop, args, n)
        if elapsed >= rep_s * 1e9 / 4 or n >= 1 << 26:
            break
        n *= 4 if elapsed < rep_s * 1e9 / 64 else 2
    return max(1, int(n * rep_s * 1e9 / max(elapsed, 1)))


def run_case(
    case: str,
    loop: Callable[..., Any],
    setups: dict[str, tuple[Env, Setup]],
    *,
    rounds: int,
    rep_s: float,
    note: str = "",
) -> Result:
    """Run ``loop`` on each backend in ``setups``, interleaved, ``rounds`` times."""
    result = Result(case, note=note)
    prepared: dict[str, tuple[tuple[Any, ...], Callable[[], None]]] = {}
    try:
        for name, (env, setup) in setups.items():
            prepared[name] = setup(env)
        gc.collect()
        names = list(prepared)
        for name in names:
            loop(*prepared[name][0], 2)  # warm up: first calls, caches
            result.iters[name] = calibrate(loop, prepared[name][0], rep_s)
            result.per_iter[name] = []
        for r in range(rounds):
            order = names if r % 2 == 0 else names[::-1]
            for name in order:
                n = result.iters[name]
                result.per_iter[name].append(_time_once(loop, prepared[name][0], n) / n)
    finally:
        for _, cleanup in prepared.values():
            cleanup()
    return result


def empty_loop(n: int) -> None:
    for _ in range(n):
        pass


def loop_overhead_ns(rounds: int, rep_s: float) -> float:
    n = calibrate(empty_loop, (), rep_s)
    return min(_time_once(empty_loop, (), n) / n for _ in range(rounds))


def fmt_ns(x: float | None) -> str:
    if x is None:
        return "-"
    return f"{x:,.0f}" if x >= 100 else f"{x:.1f}"


def table(results: list[Result]) -> str:
    head = ("case", "model med", "model best", "real med", "real best", "model/real", "best/best")
    rows = [head]
    for res in results:
        mm, mb, rm, rb = res.median("model"), res.best("model"), res.median("real"), res.best("real")
        paired = res.paired_ratio()
        ratio = f"{paired:.2f}x" if paired else "-"
        ratio_best = f"{mb / rb:.2f}x" if mb and rb else "-"
        rows.append((res.case, fmt_ns(mm), fmt_ns(mb), fmt_ns(rm), fmt_ns(rb), ratio, ratio_best))
    widths = [max(len(row[i]) for row in rows) for i in range(len(head))]
    lines = []
    for j, row in enumerate(rows):
        cells = [row[0].ljust(widths[0])] + [c.rjust(w) for c, w in zip(row[1:], widths[1:])]
        lines.append("  ".join(cells))
        if j == 0:
            lines.append("  ".join("-" * w for w in widths))
    return "\n".join(lines)
