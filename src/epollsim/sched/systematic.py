"""Bounded systematic exploration: every schedule with at most N preemptions (iterative context
bounding, Musuvathi and Qadeer, "Iterative context bounding for systematic testing of
multithreaded programs", PLDI 2007).

Theory of operation
-------------------
A run under a ``Systematic`` chooser is a sequence of choices: at a preemption
point (a system call, a clock read, ``Thread.start``: ``Scheduler.preempt``)
choice 0 keeps the running thread and choice i > 0 preempts it for the i-th
runnable thread, one preemption; where the running thread blocks, choice i
picks the i-th runnable thread, at no cost (the thread gave up the CPU
itself). A chooser replays a fixed prefix of choices, then takes 0 at every
further point, and logs each point's kind and number of options.

``search`` runs the empty prefix, then, for every choice point of a run past
its prefix and every other option there, the prefix that takes it, as long
as its preemptions stay within the bound. Prefixes wait in a heap ordered by
their preemptions (then by when they were found), so schedules run in order
of preemptions: the first failure found has the fewest, which is how a
failure "shrinks". Each prefix is run once: two prefixes that differ
somewhere are different schedules. When the heap empties, every schedule with
at most N preemptions has run (``exhausted``); ``max_runs`` stops it earlier.
Not done: skipping equivalent schedules (a preemption at a call that touches
nothing shared with the other runnable threads).
"""
from __future__ import annotations

import heapq
import itertools
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

PREEMPT, SWITCH = "preempt", "switch"  # the kinds of choice point


class Systematic:
    """One run's schedule: ``Kernel(schedule=Systematic([0, 1, 0, 2]))`` replays those choices."""

    name = "systematic"

    def __init__(self, choices: Sequence[int] = ()) -> None:
        self.choices = list(choices)
        self.log: list[tuple[str, int]] = []  # (kind, options) of every choice point met

    def _next(self, kind: str, n: int) -> int:
        i = len(self.log)
        self.log.append((kind, n))
        return self.choices[i] % n if i < len(self.choices) else 0

    def choose(self, n: int) -> int:
        """Where the running thread blocked: which of the n runnable threads runs (no cost)."""
        return self._next(SWITCH, n)

    def choose_preempt(self, n: int) -> int:
        """At a preemption point: 0 goes on, i > 0 runs the i-th runnable thread (a preemption)."""
        return self._next(PREEMPT, n)

    def preemptions(self) -> int:
        return preemptions(self.choices, self.log)

    def __repr__(self) -> str:
        return f"Systematic({self.choices!r})"


def preemptions(choices: Sequence[int], log: Sequence[tuple[str, int]]) -> int:
    """How many of ``choices`` are preemptions, given the kinds ``log`` recorded."""
    return sum(1 for c, (kind, _) in zip(choices, log) if kind == PREEMPT and c)


@dataclass
class SystematicResult:
    runs: int = 0
    exhausted: bool = False  # every schedule within the bound ran
    bound: int = 0
    failures: list[tuple[Systematic, BaseException]] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.failures

    def __str__(self) -> str:
        space = "the bounded space exhausted" if self.exhausted else "the bounded space NOT exhausted"
        head = (f"{self.runs} schedules with at most {self.bound} preemptions explored ({space}),"
                f" {len(self.failures)} failed")
        lines = [head]
        for chooser, exc in self.failures:
            lines.append(f"  {chooser!r} ({chooser.preemptions()} preemptions): {type(exc).__name__}: {exc}")
        return "\n".join(lines)


def search(
    run: Callable[[Systematic], BaseException | None], bound: int = 2, max_runs: int = 10_000,
    stop_at_first: bool = True,
) -> SystematicResult:
    """Run ``run(chooser)`` (None: passed; an exception: failed) under every schedule with at most
    ``bound`` preemptions, fewest preemptions first."""
    result = SystematicResult(bound=bound)
    order = itertools.count()
    heap: list[tuple[int, int, list[int]]] = [(0, next(order), [])]
    while heap:
        if result.runs >= max_runs:
            return result
        cost, _, prefix = heapq.heappop(heap)
        chooser = Systematic(prefix)
        error = run(chooser)
        result.runs += 1
        if error is not None:
            result.failures.append((chooser, error))
            if stop_at_first:
                return result
        log = chooser.log
        for i in range(len(prefix), len(log)):
            kind, n = log[i]
            for alt in range(1, n):
                alt_cost = cost + (1 if kind == PREEMPT else 0)
                if alt_cost <= bound:
                    heapq.heappush(heap, (alt_cost, next(order), [*prefix, *[0] * (i - len(prefix)), alt]))
    result.exhausted = True
    return result
