"""The patch's garbage collection: finalizers run at the same point of every run of a seed.

Theory of operation
-------------------
CPython's cyclic collector starts when allocations minus deallocations of
tracked objects pass a threshold: a count that imports, caches and the test
runner move from run to run. So an unreferenced socket caught in a cycle is
closed (by its finalizer) at a different point of each run, and the trace
differs. While the patch is active:

- **Entry**, before anything is swapped, freezes every object the process
  has (``gc.freeze``: they are not scanned again until exit, so a collection
  costs what the patch's own objects cost, and garbage made before the patch
  is finalized after it, in the real world) and turns automatic collection
  off.
- **Collections happen when the simulated machine goes idle**: when no thread
  can run and the scheduler is about to jump the clock to the next timer,
  ``Scheduler.on_idle`` counts an idle point, and every 4th runs a
  collection, generationally as CPython does: generation 0, and 1 every 10th
  time, 2 every 100th. When no timer is pending either (the run would end in a
  deadlock), it collects everything. Those points are the schedule's, so they
  are the same in every run of a seed, and so is what each finds: an object's
  generation counts the collections it survived. A finalizer that wakes a
  thread (closing a socket makes its peer readable) is seen before the clock
  moves or a deadlock is declared.
- **Exit** collects everything the patch made, while the model is still in
  place (finalizers close model fds on the model), then unfreezes and turns
  automatic collection back on if it was.

A program that never goes idle (it always has a runnable thread) is collected
only when it calls ``gc.collect()`` itself, and at exit. Finalizers run in the
thread that went idle, as CPython runs them in whichever thread allocated;
one must not block.
"""
from __future__ import annotations

import gc
from collections.abc import Callable
from typing import Any, Protocol


class _Patch(Protocol):
    host: Any

    def at_exit(self, undo: Callable[..., object]) -> None: ...


class IdleCollector:
    """``Scheduler.on_idle`` while a patch is active: a generational collection every few idle points,
    and a full one when no timer is pending (the run would end in a deadlock otherwise)."""

    __slots__ = ("clock", "idle")

    # Generation 0 every PERIOD-th idle point, 1 every 10th of those, 2 every 100th: CPython's
    # ratios. Every idle point would cost about 9 us more per point (bench_patch.py).
    PERIOD = 4

    def __init__(self, clock: Any) -> None:
        self.clock = clock
        self.idle = 0  # idle points so far

    def __call__(self) -> None:
        self.idle += 1
        n, period = self.idle, self.PERIOD
        if self.clock.next_deadline() is None:
            gc.collect()
        elif n % period == 0:
            gc.collect(2 if n % (100 * period) == 0 else 1 if n % (10 * period) == 0 else 0)


def enter(patch: _Patch) -> None:
    """First thing on entry: freeze every object, automatic collection off, idle hook on
    (for a simulated host's patch: a patch of recording wrappers over the real modules has none)."""
    process = getattr(patch.host, "process", None)
    if process is None:
        return
    enabled = gc.isenabled()
    gc.disable()
    gc.freeze()
    sched = process.sched
    previous = sched.on_idle
    sched.on_idle = IdleCollector(sched.clock)

    def leave() -> None:
        sched.on_idle = previous
        gc.unfreeze()
        if enabled:
            gc.enable()

    patch.at_exit(leave)


def collect_at_exit(patch: _Patch) -> None:
    """Last thing on entry, so the first on exit: the patch's garbage is finalized on the model."""
    if getattr(patch.host, "process", None) is None:
        return
    patch.at_exit(gc.collect)
