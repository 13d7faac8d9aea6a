"""PCT, the probabilistic concurrency testing scheduler (Burckhardt, Kothari, Musuvathi and
Nagarakatte, "A randomized scheduler with probabilistic guarantees of finding bugs", ASPLOS 2010).

Theory of operation
-------------------
Every thread gets a priority when it first asks to run: a random one among
the high priorities ``depth``, ``depth + 1``, ... (distinct, drawn from the
kernel's seeded generator). At every scheduling point (a thread blocks, or,
because PCT is a preemptive schedule, at every system call, clock read and
``Thread.start``: ``Scheduler.preempt``) the runnable thread of highest
priority runs. ``depth - 1`` change points are drawn uniformly among the first
``steps`` scheduling points; at the i-th of them, the running thread's
priority drops to ``depth - i``, below every initial priority. A bug that
needs ``d`` ordering constraints (its depth) is found by one run with
probability at least 1 / (n * k^(d-1)) for n threads and k steps; the same
seed replays the same run.
"""
from __future__ import annotations

from typing import Any, Protocol


class _Random(Protocol):
    def randrange(self, start: int, stop: int | None = ..., step: int = ...) -> int: ...

    def sample(self, population: Any, k: int) -> list[Any]: ...


class PCT:
    """``Kernel(seed, schedule=PCT(depth=3))`` (``schedule="pct"`` is depth 3, 50 steps)."""

    name = "pct"

    def __init__(self, depth: int = 3, steps: int = 50) -> None:
        if depth < 1 or steps < 1:
            raise ValueError(f"PCT needs depth >= 1 and steps >= 1, not depth={depth}, steps={steps}")
        self.depth = depth
        self.steps = steps
        self.rng: _Random | None = None
        self.priority: dict[int, int] = {}  # tid -> priority
        self.changes: dict[int, int] = {}  # scheduling point -> the priority the running thread drops to
        self.step = 0  # scheduling points so far

    def bind(self, rng: _Random) -> None:
        """Draw the change points from the kernel's seeded generator (once, at the kernel's start)."""
        if self.rng is not None:
            raise ValueError("a PCT schedule serves one kernel: make a new PCT() for each run")
        self.rng = rng
        points = sorted(rng.sample(range(1, self.steps + 1), min(self.depth - 1, self.steps)))
        self.changes = {point: self.depth - 1 - i for i, point in enumerate(points)}

    def _priority(self, tid: int) -> int:
        prio = self.priority.get(tid)
        if prio is None:
            assert self.rng is not None
            # Distinct high priorities: a random slot above depth, ties impossible (tid breaks them).
            prio = self.priority[tid] = (self.depth + self.rng.randrange(1 << 20)) * 4096 + tid % 4096
        return prio

    def pick(self, running: Any, candidates: list[Any]) -> int:
        """The index in ``candidates`` (threads with ``tid``) of the one to run; ``running`` is the
        thread at this scheduling point (it may be among them or have just blocked)."""
        self.step += 1
        drop = self.changes.get(self.step)
        if drop is not None and running is not None:
            self.priority[running.tid] = drop
        best = 0
        best_prio = -1
        for i, thread in enumerate(candidates):
            prio = self._priority(thread.tid)
            if prio > best_prio:
                best, best_prio = i, prio
        return best
