"""A systematic exploration spread over processes or a Dask cluster: the space split by the first
choice that departs from the first schedule.

``sched/systematic.py`` searches a tree: every prefix of choices has one parent,
the run it was found in. The parent process runs the root (the schedule of no
deviation), and deals the root's children (each first departure within the
bound: a preemption or a switch choice at one choice point) round robin into
``parts``; each worker searches the subtrees of its share with
``search_part`` (fewest preemptions first, as in one process) and sends back
plain data: runs, whether its share was exhausted, and its failures as
(chooser, ``Outcome``). ``merge`` puts them together in (preemptions, prefix)
order, the order one process finds them in, so the first failure is the same
whatever the number of workers; with ``stop_at_first`` only that one is kept.
The whole space is exhausted when every share was.
"""
from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from ..sched.systematic import Prefix, Systematic, SystematicResult, children, search
from .programs import Program, ensure_picklable
from .runner import Outcome, run_one

Roots = list[tuple[int, Prefix]]


@dataclass(frozen=True)
class PartResult:
    """What a worker sends back for its share of the space."""

    runs: int
    exhausted: bool
    failures: list[tuple[Systematic, Outcome]] = field(default_factory=list)


def run_schedule(program: Program, chooser: Systematic) -> Outcome | None:
    """Run ``program`` once under ``chooser`` (seed 0, output captured): None if it passed."""
    outcome = run_one(program, 0, chooser, capture=True)
    return None if outcome.passed else outcome


def search_part(program: Program, bound: int, roots: Roots, max_runs: int, stop_at_first: bool) -> PartResult:
    """Search the subtrees of ``roots`` (in a worker process)."""
    found = search(lambda chooser: run_schedule(program, chooser), bound, max_runs, stop_at_first, roots)
    return PartResult(found.runs, found.exhausted, found.failures)


def deal(root: Systematic, bound: int, parts: int) -> list[Roots]:
    """The root run's children, dealt round robin into at most ``parts`` non-empty shares."""
    kids = children((), 0, root.log, bound)
    return [share for share in (kids[j::parts] for j in range(parts)) if share]


def _key(chooser: Systematic) -> tuple[int, list[int]]:
    return chooser.preemptions(), chooser.choices


def explore_parts(
    program: Program,
    bound: int,
    max_runs: int,
    stop_at_first: bool,
    parts: int,
    map_parts: Callable[[list[Roots], int], Sequence[PartResult]],
) -> SystematicResult[Outcome]:
    """Run the root here, the rest as ``map_parts(shares, max_runs_each)`` runs it; merged."""
    ensure_picklable(program, f"a systematic exploration over {parts} workers")
    result: SystematicResult[Outcome] = SystematicResult(bound=bound, runs=1)
    root = Systematic()
    failure = run_schedule(program, root)
    if failure is not None:
        result.failures.append((root, failure))
        if stop_at_first or failure.phase == "load":
            return result
    shares = deal(root, bound, parts)
    done = map_parts(shares, max(1, (max_runs - 1) // max(1, len(shares)))) if shares else []
    return merge(result, done, stop_at_first)


def merge(result: SystematicResult[Outcome], done: Sequence[PartResult], stop_at_first: bool) -> SystematicResult[Outcome]:
    """The parts' results added to ``result`` (the root's), failures in (preemptions, prefix) order."""
    failures = list(result.failures)
    for part in done:
        result.runs += part.runs
        failures.extend(part.failures)
    failures.sort(key=lambda pair: _key(pair[0]))
    result.failures = failures[:1] if stop_at_first else failures
    result.exhausted = all(part.exhausted for part in done) and not (stop_at_first and failures)
    return result


def map_parts_in_pool(program: Program, bound: int, stop_at_first: bool, jobs: int) -> Callable[
    [list[Roots], int], list[PartResult]
]:
    """A ``map_parts`` that runs the shares in a pool of ``jobs`` fresh processes."""

    def map_parts(shares: list[Roots], max_runs: int) -> list[PartResult]:
        import concurrent.futures
        import multiprocessing

        context = multiprocessing.get_context("spawn")
        with concurrent.futures.ProcessPoolExecutor(max_workers=jobs, mp_context=context) as pool:
            futures = [pool.submit(search_part, program, bound, share, max_runs, stop_at_first) for share in shares]
            return [future.result() for future in futures]

    return map_parts
