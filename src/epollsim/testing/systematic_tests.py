"""A test under ``@pytest.mark.epollsim(schedule="systematic", preemptions=N)``: its body run under
every schedule with at most N preemptions (``sched/systematic.py``), in one test item.

The plugin hands over two callables: one that gives the body a fresh kernel
under a schedule, one that runs the body (raising when it fails, a simulated
thread's death included). Schedules run fewest preemptions first; the first
failing one is shrunk (``systematic.shrink``: its unneeded deviations dropped),
then run once more, traced, so that the test fails with that run's own error
and trace. The report names the schedule and the command that replays it,
``pytest NODE --epollsim-schedule systematic:3=1``. A passing test ran the whole
bounded space (or ``MAX_RUNS`` schedules, which the note says).
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from ..sched.systematic import Systematic, search, shrink_first

MAX_RUNS = 10_000  # schedules one test may run


def run_systematic(
    preemptions: int, make_kernel: Callable[[Any, bool], None], run_body: Callable[[], None]
) -> tuple[str, str]:
    """Search; (the failing schedule's id, a note on the search) after re-raising nothing when
    every schedule passed, else raise the shrunk schedule's own failure (the id is then in
    ``failed_schedule``)."""

    def run(chooser: Systematic) -> BaseException | None:
        make_kernel(chooser, False)
        try:
            run_body()
        except pytest.skip.Exception:
            raise
        except (Exception, pytest.fail.Exception) as exc:
            return exc
        return None

    found = search(run, preemptions, MAX_RUNS, stop_at_first=True)
    space = "exhausted" if found.exhausted else f"NOT exhausted (stopped at {MAX_RUNS} schedules)"
    note = f"{found.runs} schedules with at most {preemptions} preemptions run, the bounded space {space}"
    if found.ok:
        return "", note
    shrink_first(run, found)
    chooser, _ = found.failures[0]
    if found.shrunk_from:
        note += f"; the failure shrunk from {found.shrunk_from} in {found.shrink_runs} runs"
    return chooser.id, note


def rerun(schedule: str, make_kernel: Callable[[Any, bool], None], run_body: Callable[[], None]) -> None:
    """Run the failing schedule once more, traced: the test fails with its own error."""
    make_kernel(schedule, True)
    run_body()
    raise AssertionError(f"schedule {schedule} failed in the search but passed when run again: the test "
                         "does not repeat itself for one schedule")


def run_test(
    preemptions: int, make_kernel: Callable[[Any, bool], None], run_body: Callable[[], None],
    found: Callable[[str, str], None],
) -> None:
    """The search, then (if a schedule failed) its rerun; ``found(id, note)`` hears of the
    failing schedule before the rerun raises."""
    __tracebackhide__ = True
    schedule, note = run_systematic(preemptions, make_kernel, run_body)
    found(schedule, note)
    if schedule:
        rerun(schedule, make_kernel, run_body)
