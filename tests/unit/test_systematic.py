"""Bounded systematic exploration (sched/systematic.py): every schedule with at most N preemptions,
fewest first; a failure replays from its chooser."""
from __future__ import annotations

import pathlib

import pytest
from test_pct import check_then_act, start_then_read

import epollsim
from epollsim import Kernel, Systematic
from epollsim.sched.systematic import PREEMPT, children, describe, search, shrink, shrink_first
from epollsim.tools.systematic_parts import deal

PROGRAMS = pathlib.Path(__file__).parent.parent / "cli" / "programs"


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


# -- ids, replay, shrinking, the space split over processes --------------------------------------

def test_a_schedule_id_names_the_deviations_a_run_took_and_replays_them() -> None:
    chooser = Systematic({3: 1, 999: 2})  # the run meets no choice point 999
    with pytest.raises(AssertionError, match="token gone"):
        token_program(Kernel(schedule=chooser))
    assert chooser.id == "systematic:3=1" and chooser.preemptions() == 1
    assert Systematic.parse("systematic:3=1,7=2").deviations == {3: 1, 7: 2}
    assert Systematic.parse("systematic").deviations == {}
    with pytest.raises(AssertionError, match="token gone"):
        token_program(Kernel(schedule="systematic:3=1"))
    token_program(Kernel(schedule="systematic"))  # no deviation: passes
    for bad in ("systematic:3", "systematic:a=1", "systematics", "systematic:-1=2"):
        with pytest.raises(ValueError, match="a systematic schedule is|>= 0|schedule must be"):
            Kernel(schedule=bad)


def test_pct_depth_by_name() -> None:
    assert Kernel(1, schedule="pct:5").sched.pct.depth == 5  # type: ignore[union-attr]
    with pytest.raises(ValueError, match=r"'pct' or 'pct:D' \(bug depth D\), not 'pct:x'"):
        Kernel(schedule="pct:x")


def run_token(chooser: Systematic) -> BaseException | None:
    try:
        token_program(Kernel(schedule=chooser))
    except AssertionError as exc:
        return exc
    return None


def test_shrink_drops_the_deviations_the_failure_does_not_need() -> None:
    chooser = Systematic({1: 1, 3: 1, 5: 1})
    failure = run_token(chooser)
    assert failure is not None
    small, small_failure, runs = shrink(run_token, chooser, failure)
    assert small.id == "systematic:3=1" and runs >= 3
    assert describe(small_failure) == describe(failure)


def test_the_search_reports_the_shrunk_failure_and_what_it_was() -> None:
    found = search(run_token, bound=2, stop_at_first=False)
    found.failures.sort(key=lambda pair: -len(pair[0].taken()))  # as if met a longer schedule first
    assert found.failures[0][0].id == "systematic:1=1,3=1,5=1"
    first = found.failures[0][0].id
    shrink_first(run_token, found)
    assert found.failures[0][0].id != first and found.shrunk_from == first
    assert f"shrunk from {first} in {found.shrink_runs} runs" in str(found)


def test_the_space_split_over_processes_reports_what_one_process_does() -> None:
    program = str(PROGRAMS / "token_race.py")
    one = epollsim.explore_systematic(program, 2, stop_at_first=False)
    two = epollsim.explore_systematic(program, 2, stop_at_first=False, jobs=2)
    assert two.exhausted and one.exhausted and two.runs == one.runs == 28
    assert [c.id for c, _ in two.failures] == [c.id for c, _ in one.failures]
    assert [describe(f) for _, f in two.failures] == [describe(f) for _, f in one.failures]
    first = epollsim.explore_systematic(program, 2, stop_at_first=True, jobs=2)
    assert [c.id for c, _ in first.failures] == ["systematic:3=1"] and not first.exhausted


def test_deal_partitions_the_root_children() -> None:
    root = Systematic()
    check_then_act(Kernel(schedule=root))
    shares = deal(root, 2, 3)
    dealt = [prefix for share in shares for _, prefix in share]
    assert sorted(dealt) == sorted(p for _, p in children((), 0, root.log, 2)) and len(shares) == 3


def flag_race(k: Kernel) -> None:
    """Check a flag in a plain dict, read the clock (a call touching nothing another thread
    touches), then act: only a preemption at that clock read breaks it."""
    state = {"free": True, "holders": 0}

    def take() -> None:
        if state["free"]:
            k.time.monotonic()
            state["free"] = False
            state["holders"] += 1

    threads = [k.threading.Thread(target=take) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert state["holders"] == 1, "both threads took it"


def test_a_race_on_python_state_around_a_call_that_touches_nothing_shared_is_found() -> None:
    # Why nothing is pruned: a preemption at a call touching no shared object can still matter.
    assert epollsim.explore_systematic(flag_race, preemptions=0, stop_at_first=False).ok
    found = epollsim.explore_systematic(flag_race, preemptions=1)
    assert not found.ok and found.failures[0][0].preemptions() == 1 and found.pruned == 0


def test_a_program_that_cannot_reach_other_processes_is_refused_with_the_reason() -> None:
    def local(k: Kernel) -> None:
        pass

    with pytest.raises(TypeError, match="over 2 workers runs the program in other processes, so it must pickle"):
        epollsim.explore_systematic(local, 1, jobs=2)


def test_explore_takes_pcts_depth_and_its_replay_names_it() -> None:
    program = str(PROGRAMS / "token_race.py")
    deep = epollsim.explore(program, range(60), schedule="pct", depth=2)
    default = epollsim.explore(program, range(60), schedule="pct")
    assert deep.digest != default.digest  # another depth: other schedules
    replays = [f.replay for f in deep.failures]
    assert replays and all(r.endswith(" --schedule pct --depth 2") for r in replays)
    assert all(not f.replay.endswith("--depth 3") for f in default.failures)
