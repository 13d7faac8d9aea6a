"""Bounded systematic exploration (sched/systematic.py): every schedule with at most N preemptions,
fewest first; a failure replays from its chooser."""
from __future__ import annotations

import pytest
from test_pct import check_then_act, start_then_read

import epollsim
from epollsim import Kernel, Systematic
from epollsim.sched.systematic import PREEMPT, search


def token_program(k: Kernel) -> None:
    assert len(check_then_act(k)) == 2, "a thread found the token gone"


def race_free(k: Kernel) -> None:
    r, w = k.os.pipe()
    t = k.threading.Thread(target=k.os.write, args=(w, b"x"))
    t.start()
    assert k.os.read(r, 1) == b"x"  # blocks until the write, whatever the order
    t.join()


def test_the_race_between_two_non_blocking_calls_is_found_with_one_preemption() -> None:
    found = epollsim.explore_systematic(token_program, preemptions=2)
    assert not found.ok and not found.exhausted
    chooser, exc = found.failures[0]
    assert chooser.preemptions() == 1  # the fewest: no schedule without preemption fails
    assert "token gone" in str(exc)
    with pytest.raises(AssertionError, match="token gone"):
        token_program(Kernel(schedule=Systematic(chooser.choices)))


def test_no_preemption_no_failure_and_the_space_of_zero_preemptions_is_one_schedule_per_switch() -> None:
    found = epollsim.explore_systematic(token_program, preemptions=0, stop_at_first=False)
    assert found.ok and found.exhausted


def test_a_race_free_program_exhausts_the_bounded_space() -> None:
    found = epollsim.explore_systematic(race_free, preemptions=3, stop_at_first=False)
    assert found.ok and found.exhausted and found.runs > 1
    assert "exhausted" in str(found)


def test_both_outcomes_of_start_then_read_occur() -> None:
    seen: set[str] = set()

    def run(chooser: Systematic) -> BaseException | None:
        seen.add(start_then_read(Kernel(schedule=chooser)))
        return None

    assert search(run, bound=1, stop_at_first=False).exhausted
    assert seen == {"empty", "read"}


def test_schedules_run_in_order_of_preemptions_and_each_once() -> None:
    runs: list[tuple[int, tuple[int, ...]]] = []

    def run(chooser: Systematic) -> BaseException | None:
        check_then_act(Kernel(schedule=chooser))
        runs.append((chooser.preemptions(), tuple(chooser.choices)))
        return None

    result = search(run, bound=2, stop_at_first=False)
    assert result.exhausted and result.runs == len(runs) == len(set(runs))
    assert [p for p, _ in runs] == sorted(p for p, _ in runs)
    assert max(p for p, _ in runs) == 2


def test_max_runs_stops_the_search_short_of_exhausting_it() -> None:
    result = search(lambda c: check_then_act(Kernel(schedule=c)) and None, bound=3, max_runs=3, stop_at_first=False)
    assert result.runs == 3 and not result.exhausted


def test_explore_takes_schedule_systematic_without_seeds() -> None:
    result = epollsim.explore(token_program, schedule="systematic", preemptions=1, stop_at_first=True)
    assert not result.ok and not result.exhausted and result.runs < 10
    replay = result.failures[0].replay
    assert replay == "epollsim.run_seed(token_program, schedule='systematic:3=1')"
    with pytest.raises(AssertionError, match="token gone"):
        epollsim.run_seed(token_program, schedule="systematic:3=1")
    assert epollsim.explore(race_free, schedule="systematic").exhausted


def test_a_choice_point_log_names_preemptions() -> None:
    chooser = Systematic()
    check_then_act(Kernel(schedule=chooser))
    assert any(kind == PREEMPT for kind, _ in chooser.log)
    assert chooser.preemptions() == 0
