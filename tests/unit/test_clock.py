"""The virtual clock's timer queue (the model's hrtimers)."""
from __future__ import annotations

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
