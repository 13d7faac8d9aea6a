"""The spin meter (sched/spin.py): repeated clock reads cost time, deterministically; timers due
on the way fire; normal programs see the round numbers they always saw."""
from __future__ import annotations

from epollsim import Kernel
from epollsim.clock import BOOT_MONOTONIC_NS
from epollsim.sched.spin import FREE_READS, MAX_STEP_NS


def test_a_few_reads_in_a_row_cost_nothing() -> None:
    k = Kernel()
    assert {k.time.monotonic_ns() for _ in range(FREE_READS + 1)} == {BOOT_MONOTONIC_NS}


def test_reads_past_the_free_ones_cost_a_doubling_step_up_to_the_cap() -> None:
    k = Kernel()
    reads = [k.time.monotonic_ns() for _ in range(FREE_READS + 12)]
    steps = [b - a for a, b in zip(reads, reads[1:])][FREE_READS:]
    assert steps == [1_000, 2_000, 4_000, 8_000, 16_000, 32_000, 64_000] + [MAX_STEP_NS] * 4


def test_a_read_by_another_thread_starts_the_count_again() -> None:
    k = Kernel()
    for _ in range(FREE_READS):
        k.time.monotonic()
    t = k.threading.Thread(target=k.time.monotonic)
    t.start()
    t.join()  # no time passed: the other thread's read starts a new count
    assert k.time.monotonic_ns() == BOOT_MONOTONIC_NS


def test_a_sleeping_thread_wakes_while_another_spins() -> None:
    k = Kernel()
    woke: list[int] = []
    t = k.threading.Thread(target=lambda: (k.time.sleep(0.01), woke.append(k.now_ns)))
    t.start()
    k.time.sleep(0)  # t blocks in its sleep
    deadline = k.time.monotonic() + 0.02
    while k.time.monotonic() < deadline:
        pass
    assert woke == []  # runnable, but nothing preempts the spinning thread under fifo
    t.join()
    assert woke and woke[0] > BOOT_MONOTONIC_NS + 20_000_000
    assert t._green.timer is None  # its timer fired during the spin, at its deadline


def test_the_spin_is_the_same_every_run() -> None:
    def run() -> list[int]:
        k = Kernel(seed=3)
        deadline = k.time.monotonic_ns() + 5_000_000
        seen = []
        while (now := k.time.monotonic_ns()) < deadline:
            seen.append(now)
        return seen

    assert run() == run()
