"""Exploring schedules finds a planted check-then-act race, and a seed replays it."""
from __future__ import annotations

import pytest

import epollsim
from epollsim import Kernel


def check_then_act(k: Kernel) -> None:
    """Two threads take a ticket: check, yield (a switch point), then act. Racy."""
    state = {"tickets": 1, "taken": 0}

    def take() -> None:
        if state["tickets"] > 0:
            k.time.sleep(0)  # any blocking call between the check and the act opens the window
            state["tickets"] -= 1
            state["taken"] += 1

    threads = [k.threading.Thread(target=take) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert state["taken"] == 1, f"{state['taken']} tickets taken from 1"


def test_exploration_finds_the_race_within_100_seeds_and_replays_it() -> None:
    result = epollsim.explore(check_then_act, seeds=range(100))
    assert not result.ok and result.runs == 100
    failure = result.failures[0]
    assert "2 tickets taken from 1" in str(failure.error)
    assert failure.replay == f"epollsim.run_seed(check_then_act, {failure.seed})"
    with pytest.raises(AssertionError, match="2 tickets taken from 1"):
        epollsim.run_seed(check_then_act, failure.seed)
    passing = next(s for s in range(100) if s not in {f.seed for f in result.failures})
    epollsim.run_seed(check_then_act, passing)  # and a passing seed passes again


def test_the_default_schedule_is_one_fixed_order() -> None:
    with pytest.raises(AssertionError):
        check_then_act(Kernel())  # FIFO runs both checks before either act
    assert str(epollsim.explore(lambda k: None, seeds=range(3))) == "3 seeds explored, 0 failed"
