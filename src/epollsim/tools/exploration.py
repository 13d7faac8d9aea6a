"""Running one program under many schedules: ``epollsim.explore``.

Each seed gets a fresh ``Kernel(seed, schedule="random")``; the program is a
function of that kernel. A seed fails when the program raises (an assertion,
a ``Deadlock``, anything); the report names each failing seed with the exact
call that replays it, and since a seed fixes every scheduling choice, the
replay fails the same way. ``jobs=N`` spreads the seeds over N processes
(``runner.py``); the result is the same as with one, in the same order.
"""
from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

from ..kernel import Kernel
from ..sched.named import DEFAULT_DEPTH, pct_name
from ..sched.systematic import Systematic, SystematicResult, search, shrink_first
from .pool import explore_inline, explore_pool
from .runner import Outcome, Program, program_ref, replay_command, run_with_error
from .systematic_parts import PartResult, Roots, explore_parts, map_parts_in_pool

_T = TypeVar("_T")  # what a program returns


@dataclass(frozen=True)
class Failure:
    seed: int
    error: BaseException
    replay: str  # the call that reproduces it
    outcome: Outcome | None = None  # the same failure as plain data (kind, trimmed traceback, digest)

    def __str__(self) -> str:
        kind = self.outcome.kind if self.outcome is not None else type(self.error).__name__
        return f"seed {self.seed}: {kind}: {self.error}\n  replay: {self.replay}"


class ProgramFailed(Exception):
    """Stands for an exception raised in another process (``explore(jobs=N)``): its kind, message
    and traceback are in ``outcome``."""

    def __init__(self, outcome: Outcome) -> None:
        super().__init__(outcome.message)
        self.outcome = outcome
        self.kind = outcome.kind  # the exception's type name, for reports (systematic.describe)


@dataclass
class Exploration:
    runs: int = 0
    failures: list[Failure] = field(default_factory=list)
    digest: str = ""  # of every seed's outcome in seed order: equal digests, equal explorations
    exhausted: bool = False  # systematic: every schedule within the preemption bound ran
    systematic: SystematicResult[BaseException | Outcome] | None = None  # what a systematic exploration found

    @property
    def ok(self) -> bool:
        return not self.failures

    def __str__(self) -> str:
        if self.systematic is not None:
            return "\n".join([str(self.systematic), *(f"  replay: {f.replay}" for f in self.failures[:1])])
        head = f"{self.runs} seeds explored, {len(self.failures)} failed"
        return "\n".join([head, *map(str, self.failures)])


def systematic_exploration(program: Program, found: SystematicResult[BaseException | Outcome]) -> Exploration:
    """A systematic search's result as an ``Exploration`` (each failure's replay names its schedule)."""
    failures = []
    for chooser, failure in found.failures:
        outcome = failure if isinstance(failure, Outcome) else getattr(failure, "outcome", None)
        error = ProgramFailed(failure) if isinstance(failure, Outcome) else failure
        failures.append(Failure(0, error, replay_command(program, 0, chooser.id), outcome))
    return Exploration(found.runs, failures, exhausted=found.exhausted, systematic=found)


def explore_systematic(
    program: Callable[[Kernel], Any] | str | Program,
    preemptions: int = 2,
    max_runs: int = 10_000,
    stop_at_first: bool = True,
    *,
    jobs: int = 1,
    map_parts: Callable[[list[Roots], int], Sequence[PartResult]] | None = None,
    shrink: bool = True,
    capture: bool = False,
) -> SystematicResult[BaseException | Outcome]:
    """Run ``program`` under every schedule with at most ``preemptions`` preemptions
    (sched/systematic.py), fewest preemptions first; no seeds needed. A failure's id replays it:
    ``program(Kernel(schedule="systematic:3=1"))``; ``shrink`` first drops the deviations the first
    failure does not need. ``jobs > 1`` splits the space over that many processes, and
    ``map_parts`` runs the shares elsewhere (``dask_explore.explore_dask_systematic``: a Dask
    cluster) (``systematic_parts.py``); their failures are ``Outcome``s, this process's the exceptions."""
    prog = program_ref(program)

    def run(chooser: Systematic) -> BaseException | None:
        outcome, error = run_with_error(prog, 0, chooser, capture=capture)
        return None if outcome.passed else (error if error is not None else ProgramFailed(outcome))

    if map_parts is not None or jobs > 1:
        mapper = map_parts or map_parts_in_pool(prog, preemptions, stop_at_first, jobs)
        # (a list is invariant: the parts' failures are all Outcomes, a narrower list than found's)
        found: SystematicResult[BaseException | Outcome] = explore_parts(  # type: ignore[assignment]
            prog, preemptions, max_runs, stop_at_first, jobs, mapper)
    else:
        found = search(run, preemptions, max_runs, stop_at_first)
    if shrink:
        shrink_first(run, found)
    return found


def run_seed(program: Callable[[Kernel], _T], seed: int = 0, schedule: str = "random") -> _T:
    """Run ``program`` once on a fresh kernel with a random schedule drawn from ``seed`` (or the
    schedule named, ``"pct:5"``, ``"systematic:3=1"``: sched/named.py)."""
    return program(Kernel(seed, schedule=schedule))


def explore(
    program: Callable[[Kernel], Any] | str | Program,
    seeds: Iterable[int] = range(100),
    stop_at_first: bool = False,
    *,
    jobs: int = 1,
    schedule: str = "random",
    progress: Callable[[int, int, int], None] | None = None,
    capture: bool = False,
    trace: bool = False,
    preemptions: int = 2,
    depth: int = DEFAULT_DEPTH,
) -> Exploration:
    """Run ``program`` under every seed in ``seeds`` and collect the failing ones, in seed order.

    ``program`` is a function of the kernel, or a reference that other processes can load:
    ``"module:function"`` or a ``.py`` file defining ``main(kernel)`` (see ``runner.py``).
    ``jobs > 1`` runs chunks of seeds in that many processes (the program must pickle: a
    reference, or a top-level function of an importable module); the result is the same as
    with ``jobs=1``. A seed also fails when a thread it started died of an exception.
    ``progress(done, total, failed)`` is called now and then; ``capture`` keeps the program's
    output out of the terminal (in-process; workers always capture) and in each failure.
    ``trace`` records every seed's trace so that the digests cover it (slower).
    ``schedule="pct"`` is PCT of bug depth ``depth``. ``schedule="systematic"`` ignores
    ``seeds``: it runs every schedule with at most ``preemptions`` preemptions, fewest first
    (``explore_systematic``, over ``jobs`` processes), and shrinks the first failure.
    """
    if schedule == "systematic":  # no seeds: every schedule within the preemption bound
        found = explore_systematic(program, preemptions, stop_at_first=stop_at_first, jobs=jobs, capture=capture)
        return systematic_exploration(program_ref(program), found)
    if schedule == "pct" and depth != DEFAULT_DEPTH:
        schedule = pct_name(depth)
    prog: Program = program_ref(program)
    seq: Sequence[int] = seeds if isinstance(seeds, range | list | tuple) else list(seeds)
    result = Exploration()
    if jobs > 1 and len(seq) > 1:
        runs, outcomes, digest = explore_pool(
            prog, seq, schedule=schedule, jobs=jobs, stop_at_first=stop_at_first, progress=progress, trace=trace
        )
        pairs: list[tuple[Outcome, BaseException | None]] = [(o, None) for o in outcomes]
    else:
        runs, pairs, digest = explore_inline(
            prog, seq, schedule=schedule, stop_at_first=stop_at_first, progress=progress, capture=capture,
            trace=trace,
        )
    result.runs, result.digest = runs, digest
    for outcome, error in pairs:
        exc = error if error is not None else ProgramFailed(outcome)
        result.failures.append(Failure(outcome.seed, exc, outcome.replay, outcome))
    return result
