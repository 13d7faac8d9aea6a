"""epoll_wakeup_test.c patterns B, D, E and G (spec 12.1) on the model under many schedules.

The selftest accepts "2 or 3" where its outcome depends on which thread looks first (pattern E
with the inner item edge-triggered: epoll34, 36, ..., 48). Here the default FIFO schedule gives
one pinned outcome, and ``epollsim.explore`` over 200 random schedules must give only allowed
outcomes, and both of them; every other pattern has one allowed outcome, under every schedule.
The programs are the ones ``test_kernel_selftests_threads.py`` runs on both backends."""
from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from typing import Any

import pytest

import epollsim
from epollsim import Kernel
from epollsim.testing.backends import Backend

from ._kernel_backend import KernelBackend
from .test_kernel_selftests_threads import (
    PATTERN_B,
    PATTERN_D,
    PATTERN_E,
    PATTERN_G,
    pattern_b,
    pattern_d,
    pattern_e,
    pattern_g,
)

EPOLLIN, EPOLLET = 0x1, 0x80000000


def explore_outcomes(run: Callable[[Backend, str], int], name: str, seeds: range) -> Counter[int]:
    """Every seed's outcome under ``epollsim.explore`` (which must see no failure)."""
    seen: Counter[int] = Counter()

    def program(kernel: Kernel) -> None:
        seen[run(KernelBackend(kernel), name)] += 1

    result = epollsim.explore(program, seeds=seeds)
    assert result.ok, str(result)
    assert sum(seen.values()) == len(seeds)
    return seen


def fifo_outcome(run: Callable[[Backend, str], int], name: str) -> int:
    return run(KernelBackend(Kernel()), name)


EITHER = [name for name, (_x, y_et, _k0, _k1) in PATTERN_E.items() if y_et]  # "2 or 3"
BOTH = [name for name in PATTERN_E if name not in EITHER]  # "add": both always succeed


@pytest.mark.parametrize("name", EITHER)
def test_pattern_e_two_or_three_fifo_outcome_is_pinned_and_schedules_give_both(name: str) -> None:
    """FIFO runs t0 first: the write's callback on s0 wakes t0 (e1's sleeper or poller) before
    e1's own wake-up reaches e0 and t1; t0 consumes the ET item, so t1 finds e1 not ready
    and times out (2). A schedule that runs t1 first lets both succeed (3); 1 never happens."""
    assert fifo_outcome(pattern_e, name) == 2
    seen = explore_outcomes(pattern_e, name, range(200))
    assert set(seen) == {2, 3}, seen


@pytest.mark.parametrize("name", BOTH)
def test_pattern_e_with_a_level_triggered_inner_item_both_succeed_under_every_schedule(name: str) -> None:
    assert fifo_outcome(pattern_e, name) == 3
    assert set(explore_outcomes(pattern_e, name, range(50))) == {3}


ONE_OUTCOME: list[tuple[Callable[[Backend, str], int], str, int]] = [
    *((pattern_b, name, spec[-1]) for name, spec in PATTERN_B.items()),
    *((pattern_d, name, spec[-1]) for name, spec in PATTERN_D.items()),
    *((pattern_g, name, 2) for name in PATTERN_G),
]


@pytest.mark.parametrize(("run", "name", "expected"), ONE_OUTCOME, ids=[n for _, n, _ in ONE_OUTCOME])
def test_patterns_b_d_g_have_one_outcome_under_every_schedule(
    run: Callable[[Backend, str], int], name: str, expected: Any
) -> None:
    assert fifo_outcome(run, name) == expected
    assert set(explore_outcomes(run, name, range(50))) == {expected}
