"""A systematic exploration (its schedules, failures, shrinking and the replayed trace) and the
same space split over two processes: the same under every PYTHONHASHSEED."""
from __future__ import annotations

import pathlib
import textwrap

from hashseed_helpers import output_under_hashseed

TOKEN_RACE = pathlib.Path(__file__).parents[1] / "cli" / "programs" / "token_race.py"

WORKLOAD = textwrap.dedent(
    f"""
    import epollsim

    program = {str(TOKEN_RACE)!r}
    print(epollsim.explore_systematic(program, 2, stop_at_first=False))
    print(epollsim.explore_systematic(program, 2, stop_at_first=False, jobs=2))
    found = epollsim.explore_systematic(program, 1)
    print(found, found.failures[0][0].log)
    k = epollsim.Kernel(schedule=found.failures[0][0].id, trace=True)
    from epollsim.tools.programs import load, program_ref
    try:
        load(program_ref(program))(k)
    except AssertionError as exc:
        print("replayed:", exc, k.trace.digest())
    """
)


def test_systematic_explorations_do_not_depend_on_the_hash_seed() -> None:
    first = output_under_hashseed("0", "-c", WORKLOAD)
    assert first == output_under_hashseed("1", "-c", WORKLOAD) == output_under_hashseed("4242", "-c", WORKLOAD)
    assert "exhausted), 7 failed" in first and "replayed: only" in first
