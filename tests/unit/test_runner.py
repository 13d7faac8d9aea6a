"""run_one is pure, and exploring in a pool of processes reports exactly what one process does."""
from __future__ import annotations

import os
import pathlib
import sys

import pytest

import epollsim
from epollsim.tools.runner import Outcome, parse_seed_range, program_ref, run_one, user_traceback

PROGRAMS = pathlib.Path(__file__).parent.parent / "cli" / "programs"
RACE = str(PROGRAMS / "race.py")
# epollsim's own source files (not merely any path with "/epollsim/" in it: a plain `git clone` is named so)
OUR_FRAMES = os.path.join(os.path.dirname(os.path.abspath(epollsim.__file__)), "")


def check_then_act(k: epollsim.Kernel) -> None:
    state = {"tickets": 1, "taken": 0}

    def take() -> None:
        if state["tickets"] > 0:
            k.time.sleep(0)
            state["tickets"] -= 1
            state["taken"] += 1

    threads = [k.threading.Thread(target=take) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert state["taken"] == 1, f"{state['taken']} tickets taken from 1"


def dies_in_a_thread(k: epollsim.Kernel) -> None:
    def work() -> None:
        raise ValueError("worker failed")

    t = k.threading.Thread(target=work, name="worker")
    t.start()
    t.join()


def test_run_one_leaves_nothing_behind_and_is_repeatable() -> None:
    path, modules = list(sys.path), set(sys.modules)
    first = [run_one(RACE, seed) for seed in range(20)]
    assert sys.path == path and set(sys.modules) == modules
    again = [run_one(RACE, seed) for seed in reversed(range(20))][::-1]
    assert first == again  # module state of the program file never leaks from one seed to the next
    assert {o.passed for o in first} == {True, False}
    failed = next(o for o in first if not o.passed)
    assert (failed.kind, failed.thread, failed.message) == ("AssertionError", "MainThread", "2 tickets taken from 1")
    assert failed.replay == f"python -m epollsim replay {RACE} --seed {failed.seed}"
    assert "race.py" in failed.traceback and OUR_FRAMES not in failed.traceback
    assert isinstance(pickle_round_trip(failed), Outcome)
    assert len({o.digest for o in first}) > 1


def pickle_round_trip(obj: object) -> object:
    import pickle

    return pickle.loads(pickle.dumps(obj))


def test_a_thread_dying_fails_the_seed() -> None:
    outcome = run_one(dies_in_a_thread, 0, capture=True)
    assert not outcome.passed and (outcome.kind, outcome.thread) == ("ValueError", "worker")
    assert "Exception in thread worker" in outcome.output  # still reported as threading reports it
    assert outcome.replay == "epollsim.run_seed(dies_in_a_thread, 0)"


def test_the_users_traceback_leaves_out_epollsim() -> None:
    outcome = run_one(str(PROGRAMS / "stuck.py"), 0)
    assert outcome.kind == "Deadlock"
    assert outcome.traceback.splitlines()[0] == "Traceback (most recent call last):"  # no model-internal context
    assert 'stuck.py", line 6, in main' in outcome.traceback
    assert OUR_FRAMES not in outcome.traceback
    try:
        epollsim.Kernel().os.close(99)
    except OSError as exc:
        assert OUR_FRAMES not in user_traceback(exc)


def test_program_references() -> None:
    assert program_ref("tests/x.py").path.endswith("tests/x.py")
    assert program_ref("tests/x.py:other").function == "other"
    ref = program_ref("test_runner:check_then_act")
    assert (ref.module, ref.function) == ("test_runner", "check_then_act")
    with pytest.raises(ValueError):
        program_ref("no_such_thing")
    assert parse_seed_range("5:9") == range(5, 9) and parse_seed_range("3") == range(3)
    for bad in ("9:5", "a:b", "-1:3"):
        with pytest.raises(ValueError):
            parse_seed_range(bad)


def test_a_pool_reports_what_one_process_reports() -> None:
    one = epollsim.explore(RACE, range(60))
    two = epollsim.explore(RACE, range(60), jobs=2)
    assert one.runs == two.runs == 60 and one.digest == two.digest
    assert [f.seed for f in one.failures] == [f.seed for f in two.failures] != []
    assert [f.replay for f in one.failures] == [f.replay for f in two.failures]
    assert str(one) == str(two)
    # A function of an importable module goes to the workers by reference. (Its digests differ
    # from this process's: pytest rewrites this module's asserts here, changing their messages.)
    two = epollsim.explore(check_then_act, range(60), jobs=2)
    assert [f.seed for f in two.failures] == [f.seed for f in epollsim.explore(check_then_act, range(60)).failures]
    remote = two.failures[0]
    assert isinstance(remote.error, epollsim.tools.exploration.ProgramFailed)
    assert remote.outcome is not None and remote.outcome.kind == "AssertionError"
    assert "2 tickets taken from 1" in str(remote.error)


def test_a_pool_stops_at_the_first_failing_seed_in_seed_order() -> None:
    one = epollsim.explore(RACE, range(300), stop_at_first=True)
    two = epollsim.explore(RACE, range(300), stop_at_first=True, jobs=2)
    assert len(one.failures) == len(two.failures) == 1
    assert (one.runs, one.failures[0].seed, one.digest) == (two.runs, two.failures[0].seed, two.digest)
    assert one.runs == one.failures[0].seed + 1


def test_a_pool_needs_a_program_that_pickles() -> None:
    with pytest.raises(TypeError, match="must pickle"):
        epollsim.explore(lambda k: None, range(4), jobs=2)
