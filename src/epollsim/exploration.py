"""Running one program under many schedules: ``epollsim.explore``.

Each seed gets a fresh ``Kernel(seed, schedule="random")``; the program is a
function of that kernel. A seed fails when the program raises (an assertion,
a ``Deadlock``, anything); the report names each failing seed with the exact
call that replays it, and since a seed fixes every scheduling choice, the
replay fails the same way.
"""
from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from .kernel import Kernel


@dataclass(frozen=True)
class Failure:
    seed: int
    error: BaseException
    replay: str  # the call that reproduces it

    def __str__(self) -> str:
        return f"seed {self.seed}: {type(self.error).__name__}: {self.error}\n  replay: {self.replay}"


@dataclass
class Exploration:
    runs: int = 0
    failures: list[Failure] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.failures

    def __str__(self) -> str:
        head = f"{self.runs} seeds explored, {len(self.failures)} failed"
        return "\n".join([head, *map(str, self.failures)])


def run_seed(program: Callable[[Kernel], Any], seed: int) -> Any:
    """Run ``program`` once on a fresh kernel with a random schedule drawn from ``seed``."""
    return program(Kernel(seed, schedule="random"))


def explore(
    program: Callable[[Kernel], Any], seeds: Iterable[int] = range(100), stop_at_first: bool = False
) -> Exploration:
    """Run ``program`` under every seed in ``seeds`` and collect the failing ones."""
    result = Exploration()
    name = getattr(program, "__qualname__", repr(program))
    for seed in seeds:
        result.runs += 1
        try:
            run_seed(program, seed)
        except Exception as exc:  # the program's failure, reported, never ours to swallow silently
            result.failures.append(Failure(seed, exc, f"epollsim.run_seed({name}, {seed})"))
            if stop_at_first:
                break
    return result
