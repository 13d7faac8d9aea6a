"""PCT (sched/pct.py) and preemption at system calls, clock reads and Thread.start
(Scheduler.preempt, syscalls/preempt.py): races whose window holds only non-blocking calls."""
from __future__ import annotations

from typing import Any

import pytest

import epollsim
from epollsim import Kernel
from epollsim.sched.pct import PCT


def check_then_act(k: Kernel) -> tuple[str, ...]:
    """Two threads each take a token from a pipe without blocking and put it back: with no
    switch between a thread's read and its write, both always get it."""
    r, w = k.os.pipe()
    k.os.set_blocking(r, False)
    taken: list[str] = []

    def worker(name: str) -> None:
        try:
            token = k.os.read(r, 1)
        except BlockingIOError:
            return
        taken.append(name)
        k.os.write(w, token)

    k.os.write(w, b"t")
    threads = [k.threading.Thread(target=worker, args=(name,)) for name in "ab"]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return tuple(taken)


def outcomes(program: Any, schedule: Any, seeds: int = 200) -> dict[Any, int]:
    seen: dict[Any, int] = {}
    for seed in range(seeds):
        out = program(Kernel(seed, schedule=schedule() if callable(schedule) else schedule))
        seen[out] = seen.get(out, 0) + 1
    return seen


def test_a_race_between_two_non_blocking_calls_is_found_by_pct_and_never_by_fifo() -> None:
    assert set(outcomes(check_then_act, "fifo", 20)) == {("a", "b")}
    found = outcomes(check_then_act, "pct")
    assert ("a",) in found or ("b",) in found
    assert ("a", "b") in found


def start_then_read(k: Kernel) -> str:
    r, w = k.os.pipe()
    k.os.set_blocking(r, False)
    t = k.threading.Thread(target=k.os.write, args=(w, b"x"))
    t.start()
    try:
        got = k.os.read(r, 1)
    except BlockingIOError:
        got = b""
    t.join()
    return "read" if got else "empty"


def test_both_outcomes_of_a_start_then_read_race_occur_under_pct() -> None:
    assert set(outcomes(start_then_read, "fifo", 10)) == {"empty"}
    assert set(outcomes(start_then_read, "pct", 100)) == {"empty", "read"}


def test_a_pct_run_replays_from_its_seed() -> None:
    for seed in range(30):
        first = Kernel(seed, schedule="pct")
        a = check_then_act(first)
        second = Kernel(seed, schedule="pct")
        assert check_then_act(second) == a
        assert first.sched.preemptions == second.sched.preemptions


def test_the_bug_depth_is_a_parameter_and_depth_one_never_preempts() -> None:
    # depth 1: no change points, so the highest-priority thread runs until it blocks
    for seed in range(30):
        k = Kernel(seed, schedule=PCT(depth=1))
        assert check_then_act(k) in {("a", "b"), ("b", "a")}
    with pytest.raises(ValueError, match="depth >= 1"):
        PCT(depth=0)


def test_a_pct_schedule_serves_one_kernel() -> None:
    pct = PCT()
    Kernel(0, schedule=pct)
    with pytest.raises(ValueError, match="one kernel"):
        Kernel(1, schedule=pct)


def test_explore_with_pct_finds_the_race_and_its_seed_replays_it() -> None:
    def program(k: Kernel) -> None:
        assert len(check_then_act(k)) == 2, "a thread found the token gone"

    result = epollsim.explore(program, seeds=range(200), schedule="pct")
    assert not result.ok
    seed = result.failures[0].seed
    with pytest.raises(AssertionError, match="token gone"):
        program(Kernel(seed, schedule="pct"))


def test_the_trace_shows_a_preemption_as_a_switch_at_a_system_call() -> None:
    for seed in range(200):
        k = Kernel(seed, schedule="pct", trace=True)
        if len(check_then_act(k)) == 1:
            break
    else:
        pytest.fail("no seed of 200 preempted between the read and the write")
    assert k.sched.preemptions > 0
    assert any("switches to" in line for line in k.trace.lines())
