"""Running time and preemption points: what the running thread's own progress does to the
clock and the scheduler, apart from blocking.

``run_for`` moves the clock on while a thread runs (the spin meter's clock reads,
``spin.py``), firing the timers due on the way as interrupts would. ``preempt`` is a
preemption point of a preemptive schedule (random, ``pct.py``, ``systematic.py``): at a system call
(``syscalls/preempt.py``), a clock read or ``Thread.start``, the schedule picks
who runs now; index 0, the running thread, is the choice nearest FIFO, so a
chooser that shrinks toward 0 shrinks toward fewer preemptions.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

from .thread import RUNNABLE, RUNNING, _restore_thread_state, _save_thread_state

if TYPE_CHECKING:
    from .scheduler import Scheduler


def run_for(sched: Scheduler, ns: int) -> None:
    """The running thread computes for ``ns``: the clock moves on by that much, and the
    timers due on the way fire in order, as interrupts would (spin.py)."""
    clock = sched.clock
    end = clock.now_ns + ns
    sched._in_timers = True
    try:
        while True:
            deadline = clock.next_deadline()
            if deadline is None or deadline > end:
                break
            if sched.observer is not None:
                sched.observer.clock_jump(clock.now_ns, deadline)
            clock.advance_to_next_timer()
    finally:
        sched._in_timers = False
    if sched.observer is not None:
        sched.observer.clock_jump(clock.now_ns, end)
    clock.advance_to(end)


def preempt(sched: Scheduler) -> None:
    """A preemption point of a preemptive schedule (a system call, a clock read,
    Thread.start): the schedule picks who runs now, the running thread (index 0, the
    choice nearest FIFO) or one of the runnable ones, which the running thread follows
    in the run queue, as a preempted task goes back on the runqueue."""
    me = sched.current
    if me.state != RUNNING or sched._in_timers:
        # No thread's own call: one made while the thread blocks (a finalizer the idle
        # collector runs, patch_gc.py) or from a timer.
        return
    if sched.call_cost is not None:  # what the call costs (Kernel(call_cost=...): timing.py)
        run_for(sched, sched.call_cost())
    runnable = sched.runnable
    if not runnable:
        return
    if sched.pct is not None:
        index = sched.pct.pick(me, [me, *runnable])
    elif sched.choose_preempt is not None:
        index = sched.choose_preempt(len(runnable) + 1)
    else:
        assert sched.choose is not None
        index = sched.choose(len(runnable) + 1)
    if index == 0:
        return
    nxt = runnable[index - 1]
    del runnable[index - 1]
    me.state = RUNNABLE
    runnable.append(me)
    sched.preemptions += 1
    sched.current = nxt
    nxt.state = RUNNING
    if sched.observer is not None:
        sched.observer.switched(me, nxt)
    _save_thread_state(me)
    _restore_thread_state(nxt)
    nxt.glet.switch()
