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
itself). A chooser is given the choices that depart from 0, as ``{index:
choice}`` (its *deviations*), takes 0 everywhere else, and logs each point's
kind and number of options. Its id, ``systematic:3=1,17=2`` (``systematic``
alone: no deviation), names the schedule: ``Kernel(schedule="systematic:3=1")``
and ``replay --schedule systematic:3=1`` run it again.

``Search`` runs the empty prefix, then, for every choice point of a run past
its prefix and every other option there, the prefix that takes it, as long as
its preemptions stay within the bound. Prefixes wait in a heap ordered by
(preemptions, the prefix as a list): the prefixes of a run are all greater
than the run's own, so within one number of preemptions schedules run in
increasing order of their prefixes, and the first failure found is the least
(preemptions, prefix) that fails, whether one process searches or several
search disjoint subtrees (``roots``: each prefix has one parent, so the
subtrees of the root's children partition the space; ``pool.py`` deals them
out). When the heap empties, every schedule with at most N preemptions has run
(``exhausted``); ``max_runs`` stops it earlier.

A failure found fewest-preemptions-first has as few preemptions as any failing
schedule; ``shrink`` then drops each deviation the failure does not need (a
free switch choice, or a preemption when the search did not run in that order),
keeping a deviation only if the run without it no longer fails the same way.

Not done: skipping schedules equivalent to one already run (partial-order
reduction). Two schedules that differ only in where a thread was preempted
around a call that touches nothing shared are equivalent only if the program's
own Python code between its calls touches nothing another thread reads, which
the model cannot see (a dict shared without a lock is the commonest race):
skipping them would not be sound, so ``pruned`` stays 0 (docs/differences.md).
"""
from __future__ import annotations

import heapq
from collections.abc import Callable, Hashable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

PREEMPT, SWITCH = "preempt", "switch"  # the kinds of choice point
NAME = "systematic"
LISTED = 10  # failures a result's report lists

F = TypeVar("F")  # what a run returns when it fails (an exception, or an Outcome from another process)


class Systematic:
    """One run's schedule: ``Kernel(schedule=Systematic({3: 1}))`` (or ``Systematic([0, 0, 0, 1])``,
    or ``"systematic:3=1"``) takes choice 1 at the fourth choice point and 0 everywhere else."""

    name = NAME

    def __init__(self, choices: Sequence[int] | Mapping[int, int] = ()) -> None:
        pairs = sorted(choices.items()) if isinstance(choices, Mapping) else enumerate(choices)
        self.deviations: dict[int, int] = {int(i): int(c) for i, c in pairs if c}
        if any(i < 0 or c < 0 for i, c in self.deviations.items()):
            raise ValueError(f"a systematic schedule's indexes and choices are >= 0, not {choices!r}")
        self.log: list[tuple[str, int]] = []  # (kind, options) of every choice point met

    @classmethod
    def parse(cls, text: str) -> Systematic:
        """The chooser named by an id: ``"systematic"`` or ``"systematic:3=1,17=2"``."""
        name, _, spec = text.partition(":")
        deviations: dict[int, int] = {}
        try:
            if name != NAME:
                raise ValueError
            for item in filter(None, spec.split(",")):
                index, _, choice = item.partition("=")
                deviations[int(index)] = int(choice)
            return cls(deviations)
        except ValueError:
            raise ValueError(
                f"a systematic schedule is 'systematic' or 'systematic:I=C,...' (choice C at choice point I), "
                f"not {text!r}"
            ) from None

    @property
    def choices(self) -> list[int]:
        """The deviations as a list of choices, 0 where none."""
        out = [0] * (max(self.deviations) + 1 if self.deviations else 0)
        for i, c in self.deviations.items():
            out[i] = c
        return out

    def _next(self, kind: str, n: int) -> int:
        i = len(self.log)
        self.log.append((kind, n))
        c = self.deviations.get(i)
        return c % n if c else 0

    def choose(self, n: int) -> int:
        """Where the running thread blocked: which of the n runnable threads runs (no cost)."""
        return self._next(SWITCH, n)

    def choose_preempt(self, n: int) -> int:
        """At a preemption point: 0 goes on, i > 0 runs the i-th runnable thread (a preemption)."""
        return self._next(PREEMPT, n)

    def taken(self) -> dict[int, int]:
        """The deviations a run took (met, and not 0 modulo the options there); all before a run."""
        if not self.log:
            return dict(self.deviations)
        log = self.log
        return {i: c % log[i][1] for i, c in self.deviations.items() if i < len(log) and c % log[i][1]}

    @property
    def id(self) -> str:
        """``systematic:I=C,...``: the deviations the run took (all of them before it runs)."""
        taken = self.taken()
        return NAME + (":" + ",".join(f"{i}={c}" for i, c in taken.items()) if taken else "")

    def preemptions(self) -> int:
        log = self.log
        return sum(1 for i in self.taken() if i < len(log) and log[i][0] == PREEMPT)

    def __repr__(self) -> str:
        return f"Systematic({self.taken()!r})"


def preemptions(choices: Sequence[int], log: Sequence[tuple[str, int]]) -> int:
    """How many of ``choices`` are preemptions, given the kinds ``log`` recorded."""
    return sum(1 for c, (kind, n) in zip(choices, log) if kind == PREEMPT and c % n)


Prefix = tuple[int, ...]


def children(prefix: Prefix, cost: int, log: Sequence[tuple[str, int]], bound: int) -> list[tuple[int, Prefix]]:
    """The prefixes a run of ``prefix`` (with ``cost`` preemptions, choice points ``log``) leads to:
    every other option at every point past the prefix, within ``bound`` preemptions."""
    out: list[tuple[int, Prefix]] = []
    for i in range(len(prefix), len(log)):
        kind, n = log[i]
        alt_cost = cost + (1 if kind == PREEMPT else 0)
        if alt_cost > bound:
            continue
        base = prefix + (0,) * (i - len(prefix))
        out.extend((alt_cost, (*base, alt)) for alt in range(1, n))
    return out


@dataclass
class SystematicResult(Generic[F]):
    runs: int = 0
    exhausted: bool = False  # every schedule within the bound ran
    bound: int = 0
    failures: list[tuple[Systematic, F]] = field(default_factory=list)  # in (preemptions, prefix) order
    pruned: int = 0  # schedules skipped as equivalent to one run (none yet: see the module's docstring)
    shrunk_from: str = ""  # the first failure's id before ``shrink`` (when it dropped something)
    shrink_runs: int = 0

    @property
    def ok(self) -> bool:
        return not self.failures

    def __str__(self) -> str:
        space = "the bounded space exhausted" if self.exhausted else "the bounded space NOT exhausted"
        head = (f"{self.runs} schedule{'' if self.runs == 1 else 's'} with at most {self.bound} preemption"
                f"{'' if self.bound == 1 else 's'} explored ({space}), {len(self.failures)} failed")
        lines = [head]
        for chooser, exc in self.failures[:LISTED]:
            count = chooser.preemptions()
            lines.append(f"  {chooser.id} ({count} preemption{'' if count == 1 else 's'}): {describe(exc)}")
        if len(self.failures) > LISTED:
            lines.append(f"  ... ({len(self.failures) - LISTED} more)")
        if self.shrunk_from:
            lines.append(f"  shrunk from {self.shrunk_from} in {self.shrink_runs} runs")
        return "\n".join(lines)


def describe(failure: Any) -> str:
    """``Kind: first line of the message``, for an exception or an Outcome."""
    kind = getattr(failure, "kind", "") or type(failure).__name__
    message = str(getattr(failure, "message", failure))
    return f"{kind}: {message.splitlines()[0] if message else ''}"


def search(
    run: Callable[[Systematic], F | None], bound: int = 2, max_runs: int = 10_000,
    stop_at_first: bool = True, roots: Sequence[tuple[int, Prefix]] | None = None,
) -> SystematicResult[F]:
    """Run ``run(chooser)`` (None: passed; else the failure) under every schedule with at most
    ``bound`` preemptions, fewest preemptions first; ``roots`` (cost, prefix) searches only their
    subtrees (the empty prefix's by default)."""
    if bound < 0:
        raise ValueError(f"the preemption bound must be >= 0, not {bound}")
    result: SystematicResult[F] = SystematicResult(bound=bound)
    heap: list[tuple[int, Prefix]] = list(roots) if roots is not None else [(0, ())]
    heapq.heapify(heap)
    while heap:
        if result.runs >= max_runs:
            return result
        cost, prefix = heapq.heappop(heap)
        chooser = Systematic(prefix)
        error = run(chooser)
        result.runs += 1
        if error is not None:
            result.failures.append((chooser, error))
            if stop_at_first:
                return result
        for child in children(prefix, cost, chooser.log, bound):
            heapq.heappush(heap, child)
    result.exhausted = True
    return result


def shrink(
    run: Callable[[Systematic], F | None], chooser: Systematic, failure: F, key: Callable[[F], Hashable] = describe,
) -> tuple[Systematic, F, int]:
    """Drop the deviations ``chooser``'s failure does not need: (the smallest chooser found that
    still fails the same way, by ``key``, its failure, the runs it took). Latest deviations first,
    then again until none can go."""
    want = key(failure)
    best, best_failure = chooser, failure
    runs = 0
    dropped = True
    while dropped:
        dropped = False
        taken = best.taken()
        for index in reversed(list(taken)):
            trial = Systematic({i: c for i, c in taken.items() if i != index})
            error = run(trial)
            runs += 1
            if error is not None and key(error) == want:
                best, best_failure, dropped = trial, error, True
                break
    return best, best_failure, runs


def search_and_shrink(
    run: Callable[[Systematic], F | None], bound: int = 2, max_runs: int = 10_000, stop_at_first: bool = True,
    roots: Sequence[tuple[int, Prefix]] | None = None,
) -> SystematicResult[F]:
    """``search``, then ``shrink`` the first failure in place."""
    result = search(run, bound, max_runs, stop_at_first, roots)
    shrink_first(run, result)
    return result


def shrink_first(run: Callable[[Systematic], F | None], result: SystematicResult[F]) -> None:
    """Replace ``result``'s first failure by its shrunk form (noting what it was)."""
    if not result.failures:
        return
    chooser, failure = result.failures[0]
    small, small_failure, runs = shrink(run, chooser, failure)
    result.shrink_runs = runs
    if small.id != chooser.id:
        result.shrunk_from = chooser.id
        result.failures[0] = (small, small_failure)
