"""The virtual clock's timer queue (the model's hrtimers)."""
from __future__ import annotations

import pytest

from epollsim.clock import BOOT_MONOTONIC_NS, Clock


def test_timers_fire_in_deadline_then_arming_order():
    clock = Clock()
    fired: list[str] = []
    clock.call_at(BOOT_MONOTONIC_NS + 20, fired.append, "late")
    clock.call_at(BOOT_MONOTONIC_NS + 10, fired.append, "first")
    clock.call_at(BOOT_MONOTONIC_NS + 10, fired.append, "second")
    assert clock.advance_to_next_timer()
    assert fired == ["first", "second"]
    assert clock.now_ns == BOOT_MONOTONIC_NS + 10
    assert clock.advance_to_next_timer()
    assert fired == ["first", "second", "late"]
    assert not clock.advance_to_next_timer()


def test_a_cancelled_timer_never_moves_the_clock():
    clock = Clock()
    fired: list[int] = []
    clock.call_at(BOOT_MONOTONIC_NS + 5, fired.append, 1).cancel()
    assert clock.pending() == 0
    assert not clock.advance_to_next_timer()
    assert clock.now_ns == BOOT_MONOTONIC_NS
    assert fired == []


def test_a_timer_armed_in_the_past_by_a_callback_fires_in_the_same_instant():
    clock = Clock()
    fired: list[str] = []

    def rearm(_: object) -> None:
        fired.append("outer")
        clock.call_at(clock.now_ns - 1, fired.append, "inner")

    clock.call_at(BOOT_MONOTONIC_NS + 7, rearm)
    clock.call_at(BOOT_MONOTONIC_NS + 8, fired.append, "later")
    clock.advance_to_next_timer()
    assert fired == ["outer", "inner"]
    assert clock.now_ns == BOOT_MONOTONIC_NS + 7


def test_select_estimate_accuracy_is_a_thousandth_between_the_task_slack_and_100_ms() -> None:
    from epollsim.clock import TIMER_SLACK_NS, select_estimate_accuracy

    assert select_estimate_accuracy(-5) == select_estimate_accuracy(0) == TIMER_SLACK_NS
    assert select_estimate_accuracy(10_000_000) == TIMER_SLACK_NS  # 10 ms: 10 us, below 50 us
    assert select_estimate_accuracy(1_000_000_000) == 1_000_000  # 1 s: 1 ms
    assert select_estimate_accuracy(3600 * 1_000_000_000) == 100_000_000  # capped at MAX_SLACK


def test_expiry_is_the_deadline_plus_the_task_slack_or_a_chosen_point_in_the_window() -> None:
    from epollsim.clock import TIMER_SLACK_NS
    from epollsim.errors import KernelBug

    clock = Clock()
    assert clock.expiry(1_000, 1_000_000) == BOOT_MONOTONIC_NS + 1_000 + TIMER_SLACK_NS
    clock.slack_choice = lambda width: width
    assert clock.expiry(1_000, 1_000_000) == BOOT_MONOTONIC_NS + 1_001_000
    clock.slack_choice = lambda width: width + 1
    with pytest.raises(KernelBug):
        clock.expiry(1_000, 1_000_000)
