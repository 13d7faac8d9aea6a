"""The virtual clock: CLOCK_MONOTONIC of the simulated machine, in nanoseconds.

It only moves forward, and only when the model says so (a timed wait that
nothing can end early, later the scheduler jumping to the next deadline), so a
run costs no wall time and is the same on every machine.
"""
from __future__ import annotations

from .errors import KernelBug

# The simulated machine has been up for a while, as real ones are: a clock
# that starts at 0 hides bugs that treat 0 as "no deadline".
BOOT_MONOTONIC_NS = 1_000_000_000_000


class Clock:
    __slots__ = ("now_ns",)

    def __init__(self, start_ns: int = BOOT_MONOTONIC_NS) -> None:
        self.now_ns = start_ns

    def advance_to(self, deadline_ns: int) -> None:
        if deadline_ns < self.now_ns:
            raise KernelBug(f"clock moved backwards: {deadline_ns} < {self.now_ns}")
        self.now_ns = deadline_ns
