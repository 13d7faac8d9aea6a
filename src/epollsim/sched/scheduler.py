"""Green threads on one OS thread, and the one blocking primitive every waiting call uses.

Theory of operation
-------------------
Each simulated thread is a greenlet. The code that created the Kernel is the
first thread ("MainThread"); it runs until it blocks, and so does every other
thread: switching happens only inside ``block`` (and ``yield_now``), so between
two blocking calls a thread runs alone, as if every system call were atomic.

``block`` hooks the current thread on one or more wait queues, as Linux's
sleepers do (``how`` says where: ``"head"`` non-exclusive, ``"tail_exclusive"``
for wait_event_*_exclusive, ``"head_exclusive"`` for epoll_wait's LIFO
sleepers), optionally arms a timer, and switches to the next runnable thread.
A wake-up whose key meets the thread's key makes it runnable and unhooks all
its entries (autoremove), and counts as an exclusive wake-up; a thread that is
already runnable (its timer fired first) does not count, so the wake-up moves
on to the next sleeper and is never lost.

When no thread is runnable, the clock jumps to the earliest pending deadline
and that thread times out: sleeps cost no wall time. When no thread is
runnable and no deadline is pending, every thread waits for something only
another thread could do: ``Deadlock`` is raised in the main thread, listing
each blocked thread, the line of the program where it blocked, and what it
waits for.

Which runnable thread runs next is the chooser's decision: ``"fifo"`` (the
default, a round robin in wake-up order), ``"random"`` (the kernel's seeded
generator), so the same seed gives the same interleaving, a chooser object
whose ``choose(n)`` picks (``choosers.py``; Hypothesis's draws, for shrinking),
or ``"pct"`` (``pct.py``). ``"random"``, ``"pct"`` and a chooser with
``choose_preempt`` (``systematic.py``) are preemptive: every system call, clock
read and ``Thread.start`` is a point where another thread may run first
(``preempt.py``), and choose the timing (``timing.py``, wired by the Kernel).
Threads start from a shallow "nursery" greenlet (``spawn``): 10,000 may block at once.

``observer``, when set (the trace recorder, ``trace/recorder.py``, which this
module does not know), is told of every block, wake-up and its waker,
timeout, thread start and exit, switch and clock jump; while it is None each
of those paths pays one attribute test.

Signals (``signals.py``) reach a thread through two entry points kept apart at
the end of the class: ``add_pending_call`` (what CPython runs in the main
thread when it next gets to run: the Python handlers) and ``interrupt`` (a
sleeping thread wakes at once and its call retries, PEP 475). A resumed thread
runs its pending calls before its blocking call returns: one attribute test
per switch.

Not yet modelled: per-thread CPU time (only repeated clock reads cost time:
``spin.py``), preemption under ``fifo`` (a thread that never blocks is never
switched out) and between two statements with no call between them.
"""
from __future__ import annotations

import itertools
import sys
import traceback
import weakref
from collections import deque
from collections.abc import Callable
from typing import Any

import greenlet

from ..clock import Clock
from ..errors import Deadlock, KernelBug
from ..vfs.waitqueue import WaitEntry, WaitQueue
from .choosers import Chooser
from .control import ThreadControl
from .hb import RaceDetector
from .named import named_schedule
from .observer import Observer, RandomSource
from .pct import PCT
from .preempt import preempt, run_for
from .spin import SpinMeter
from .thread import (
    BLOCKED,
    DEAD,
    RUNNABLE,
    RUNNING,
    GreenThread,
    What,
    _get_asyncgen_hooks,
    _get_running_loop,
    _restore_thread_state,
    _user_call_site,
    describe,
)

# Which scheduler runs each greenlet: how code holding no kernel (epollsim.Shared)
# finds the one it runs under. The greenlet an OS thread starts with is adopted as
# "MainThread" by every Kernel created in it, and belongs to the newest. Weak both
# ways: a finished kernel is not kept alive by its threads' entries.
_owners: weakref.WeakKeyDictionary[greenlet.greenlet, weakref.ref[Scheduler]] = weakref.WeakKeyDictionary()


def current_scheduler() -> Scheduler | None:
    """The scheduler whose thread is running here, or None outside every kernel's threads."""
    ref = _owners.get(greenlet.getcurrent())
    sched = ref() if ref is not None else None
    if sched is None or sched.current.glet is not greenlet.getcurrent():
        return None
    return sched


class Scheduler(ThreadControl):
    def __init__(self, clock: Clock, rng: RandomSource, schedule: str | Chooser | PCT = "fifo") -> None:
        # Who picks the next of several runnable threads (choosers.py): None is FIFO.
        self.choose: Callable[[int], int] | None
        # PCT (pct.py) is preemptive: every system call, clock read and Thread.start is a point
        # where another runnable thread may run first (``preempt``).
        self.pct: PCT | None = None
        schedule = named_schedule(schedule)  # "pct:5", "systematic:3=1" (named.py)
        if schedule == "pct":
            schedule = PCT()
        if isinstance(schedule, PCT):
            schedule.bind(rng)
            self.pct = schedule
            self.choose = self._pct_choose
        elif isinstance(schedule, str):
            if schedule not in ("fifo", "random"):
                raise ValueError(f"schedule must be 'fifo', 'random', 'pct', 'systematic' or a chooser, not {schedule!r}")
            self.choose = rng.randrange if schedule == "random" else None
        elif isinstance(schedule, Chooser):
            self.choose = schedule.choose
        else:
            raise TypeError(f"schedule must be 'fifo', 'random' or a chooser (with choose(n)), not {schedule!r}")
        self.clock = clock
        self.rng = rng
        self.schedule = schedule
        # A chooser with choose_preempt (systematic.py) is preemptive too, and picks there;
        # so is "random", which picks at a preemption point as it picks where a thread blocks.
        self.choose_preempt: Callable[[int], int] | None = getattr(schedule, "choose_preempt", None)
        self.preemptive = self.pct is not None or self.choose_preempt is not None or schedule == "random"
        self.preemptions = 0  # how many times preempt() switched
        # The virtual time each preemption point costs (Kernel(call_cost=...): timing.py), or None.
        self.call_cost: Callable[[], int] | None = None
        self._tids = itertools.count(1)
        self.threads: dict[int, GreenThread] = {}
        self.runnable: deque[GreenThread] = deque()
        self.hb = RaceDetector(self)  # happens-before, off until the first epollsim.Shared
        # Told of every block, wake-up, start, exit, switch and clock jump when set (the
        # trace recorder); None costs one attribute check on those paths.
        self.observer: Observer | None = None
        self._in_timers = False  # wake-ups now come from timers, not from the running thread
        self.halted: list[GreenThread] = []  # threads stopped by a host's crash (halt), kept suspended
        # Called when no thread can run, before the clock jumps (or a deadlock is declared):
        # the patch's garbage collection (patch_gc.py). It may make threads runnable.
        self.on_idle: Callable[[], None] | None = None
        self._weak = weakref.ref(self)
        self._nursery: greenlet.greenlet | None = None  # where new threads start (spawn)
        self.spin = SpinMeter(self)  # the program's clock reads: time moves while one spins
        self.main = self._adopt_current("MainThread")
        self.current = self.main

    def _adopt_current(self, name: str) -> GreenThread:
        thread = GreenThread(next(self._tids), name, greenlet.getcurrent())
        thread.state = RUNNING
        self.threads[thread.tid] = thread
        _owners[thread.glet] = self._weak  # the newest kernel made in a thread owns it
        return thread

    # -- threads ------------------------------------------------------------

    def spawn(self, fn: Callable[[], Any], name: str | None = None, daemon: bool = False) -> GreenThread:
        tid = next(self._tids)
        glet = greenlet.greenlet(parent=self.main.glet)
        thread = GreenThread(tid, name or f"Thread-{tid - 1}", glet, daemon)
        thread.host = self.current.host  # a thread runs on its starter's host
        glet.run = lambda back: self._run(thread, fn, back)
        self.threads[tid] = thread
        _owners[glet] = self._weak
        # Start the greenlet now, from the nursery's shallow stack, and park it at the top of
        # _run: a greenlet begins at the recursion depth of whoever first switches into it,
        # so a thread first entered from a blocked thread's switch would start that deep, the
        # next one deeper, and some 130 threads blocked at once overflowed the interpreter's
        # recursion limit. Entered from the nursery, every thread starts at the same depth.
        nursery = self._nursery
        if nursery is None:
            nursery = self._nursery = greenlet.greenlet(_nursery_run, parent=self.main.glet)
        nursery.switch((glet, greenlet.getcurrent()))
        if self.preemptive:
            self.preempt()  # Thread.start: the new thread may run before the starter goes on
        if self.hb.on:
            self.hb.fork(thread)
        if self.observer is not None:
            self.observer.spawned(self.current, thread)
        self.runnable.append(thread)
        return thread

    def _run(self, thread: GreenThread, fn: Callable[[], Any], back: greenlet.greenlet) -> None:
        try:
            back.switch()  # parked (see spawn) until first chosen to run; what resumes it is ignored
            fn()
        except greenlet.GreenletExit:
            return
        except BaseException as exc:  # threading's excepthook: report, let the others run
            thread.exc = exc
            print(f"Exception in thread {thread.name}:", file=sys.stderr)
            traceback.print_exception(exc, file=sys.stderr)
        thread.state = DEAD
        if self.observer is not None:
            self.observer.exited(thread)
        thread.exit_queue.wake_all()
        # Hand over to the next thread by making it this greenlet's parent: a
        # finished greenlet returns into its parent.
        nxt = self._next_thread()
        if nxt is None:  # the exception goes to the parent: the main thread, which is blocked
            _restore_thread_state(self.main)
            thread.glet.parent = self.main.glet
            raise self._deadlock()
        if self.observer is not None:
            self.observer.switched(thread, nxt)
        self.current = nxt
        nxt.state = RUNNING
        _restore_thread_state(nxt)
        thread.glet.parent = nxt.glet

    # -- blocking ------------------------------------------------------------

    def block(
        self,
        queues: list[tuple[WaitQueue, str]],
        key: int,
        deadline_ns: int | None,
        what: What,
        hint: Callable[[], str | None] | None = None,
    ) -> bool:
        """Sleep on ``queues`` until woken (True) or ``deadline_ns`` passes (False).

        ``what`` says what the thread waits for (a str, or the parts of one: ``describe``);
        ``hint``, asked only if the run deadlocks, may name a recognisable cause.
        """
        if len(queues) == 1:
            wq, how = queues[0]
            return self.block_on(wq, how, key, deadline_ns, what, hint)
        thread = self.current
        thread.state = BLOCKED
        thread.key = key
        thread.what = what
        thread.hint = hint
        if self.observer is not None:
            self.observer.blocked(thread, queues, deadline_ns, describe(what))
        for wq, how in queues:
            entry = WaitEntry(self._wake_entry, thread)
            thread.entries.append(entry)
            _hook(wq, how, entry)
        if deadline_ns is not None:
            thread.timer = self.clock.call_at(deadline_ns, self._time_out, thread)
        self._switch_away()
        return thread.woken

    def block_on(
        self,
        wq: WaitQueue,
        how: str,
        key: int,
        deadline_ns: int | None,
        what: What,
        hint: Callable[[], str | None] | None = None,
    ) -> bool:
        """``block`` on the one queue ``wq``: what a read, write or epoll_wait does.

        The hot path of every blocking call (a pipe ping-pong blocks twice per
        round trip), so it hooks the thread's own entry, made once and reused,
        and builds no list.
        """
        thread = self.current
        thread.state = BLOCKED
        thread.key = key
        thread.what = what
        thread.hint = hint
        if self.observer is not None:
            self.observer.blocked(thread, [(wq, how)], deadline_ns, describe(what))
        entry = thread.entry
        if entry is None:
            entry = thread.entry = WaitEntry(self._wake_entry, thread)
        if how == "tail_exclusive":  # pipes and locks: WaitQueue.add_exclusive_tail, inlined
            entry.exclusive = True
            entry.queue = wq
            wq.entries.append(entry)
        else:
            _hook(wq, how, entry)
        if deadline_ns is not None:
            thread.timer = self.clock.call_at(deadline_ns, self._time_out, thread)
        self._switch_away()
        return thread.woken

    def _wake_entry(self, entry: WaitEntry, key: int) -> int:
        thread: GreenThread = entry.private  # type: ignore[assignment]
        if thread.state != BLOCKED:
            return 0  # already runnable: let the wake-up go on to the next sleeper
        if key and thread.key and not key & thread.key:
            return 0
        if entry is thread.entry and thread.timer is None:
            # The hot path (a thread blocked on one queue with no deadline, as a reader
            # of an empty pipe): _make_runnable(thread, True), inlined.
            entry.queue.entries.remove(entry)  # type: ignore[union-attr]
            entry.queue = None
            thread.woken = True
            thread.state = RUNNABLE
            self.runnable.append(thread)
            if self.observer is not None:
                self.observer.woken(None if self._in_timers else self.current, thread, True)
            return 1
        self._make_runnable(thread, True)
        return 1

    def _time_out(self, thread: GreenThread) -> None:
        thread.timer = None
        if thread.state == BLOCKED:
            self._make_runnable(thread, woken=False)

    def _make_runnable(self, thread: GreenThread, woken: bool) -> None:
        if thread.timer is not None:
            thread.timer.cancel()
            thread.timer = None
        # autoremove_wake_function: unhook from every queue (WaitQueue.remove, inlined).
        entry = thread.entry
        if entry is not None and entry.queue is not None:
            entry.queue.entries.remove(entry)
            entry.queue = None
        if thread.entries:
            for entry in thread.entries:
                if entry.queue is not None:
                    entry.queue.remove(entry)
            thread.entries.clear()
        thread.woken = woken
        thread.state = RUNNABLE
        self.runnable.append(thread)
        if self.observer is not None:
            self.observer.woken(None if self._in_timers else self.current, thread, woken)

    def yield_now(self) -> None:
        """Let every other runnable thread run once (sched_yield)."""
        thread = self.current
        thread.state = RUNNABLE
        self.runnable.append(thread)
        self._switch_away()

    def _next_thread(self) -> GreenThread | None:
        """Choose who runs next; fire timers when nobody can; None when nothing ever can."""
        while not self.runnable:
            if self.on_idle is not None:
                self.on_idle()
                if self.runnable:
                    break
            if self.observer is not None:
                if not self._advance_observed():
                    return None
            elif not self.clock.advance_to_next_timer():
                return None
        if self.choose is not None and len(self.runnable) > 1:
            index = self.choose(len(self.runnable))
            thread = self.runnable[index]
            del self.runnable[index]
            return thread
        return self.runnable.popleft()

    def _advance_observed(self) -> bool:
        """``clock.advance_to_next_timer`` with the observer told of the jump, and wake-ups
        during the timers reported as a timer's, not the running thread's."""
        deadline = self.clock.next_deadline()
        if deadline is None:
            return False
        if self.observer is not None:
            self.observer.clock_jump(self.clock.now_ns, deadline)
        self._in_timers = True
        try:
            return self.clock.advance_to_next_timer()
        finally:
            self._in_timers = False

    def run_for(self, ns: int) -> None:
        """The running thread computes for ``ns``: the clock moves on, timers due on the way fire."""
        run_for(self, ns)

    def _pct_choose(self, n: int) -> int:
        """``choose`` under PCT: the runnable thread of highest priority."""
        assert self.pct is not None and n == len(self.runnable)
        return self.pct.pick(self.current, list(self.runnable))

    def preempt(self) -> None:
        """A preemption point of a preemptive schedule: another runnable thread may run first."""
        preempt(self)

    def _switch_away(self) -> None:
        me = self.current
        runnable = self.runnable
        # One runnable thread leaves no choice to make (for any chooser): take it without
        # asking _next_thread. The hot path of every hand-over between two threads.
        nxt = runnable.popleft() if len(runnable) == 1 else self._next_thread()
        if nxt is None:
            if me is self.main:
                raise self._deadlock()
            self.main.glet.throw(self._deadlock())
            return
        self.current = nxt
        nxt.state = RUNNING
        if nxt is not me:
            if self.observer is not None:
                self.observer.switched(me, nxt)
            # Save my asyncio state and restore the next thread's (_save_thread_state, inlined),
            # which is usually the same (no loop running in either): then there is nothing to set.
            loop = me.loop = _get_running_loop()
            hooks = me.hooks = _get_asyncgen_hooks()
            if nxt.loop is not loop or nxt.hooks != hooks:
                _restore_thread_state(nxt)
            nxt.glet.switch()
        if me.pending_calls is not None:  # a signal arrived meanwhile (interrupt section below)
            self.run_pending_calls(me)

    def _deadlock(self) -> Deadlock:
        lines = ["every thread is blocked and no deadline is pending:"]
        for thread in self.threads.values():
            if thread.state == BLOCKED:
                site = _user_call_site(thread.glet)
                at = f" at {site}" if site else ""
                lines.append(f"  {thread.name}: blocked{at} in {describe(thread.what)}")
                cause = thread.hint() if thread.hint is not None else None
                if cause:
                    lines.append(f"    {cause}")
        return Deadlock("\n".join(lines))


def _nursery_run(start: tuple[greenlet.greenlet, greenlet.greenlet]) -> None:
    """The nursery greenlet: enters each new thread's greenlet, handing it the greenlet
    to switch back to, from the same shallow stack every time (see Scheduler.spawn)."""
    while True:
        glet, back = start
        start = glet.switch(back)


# Sleepers hook where ``how`` says (see ``block``), as the WaitQueue methods do.
_HOOKS: dict[str, Callable[[WaitQueue, WaitEntry], None]] = {
    "head": WaitQueue.add,
    "tail": WaitQueue.add_tail,
    "head_exclusive": WaitQueue.add_exclusive_head,
}


def _hook(wq: WaitQueue, how: str, entry: WaitEntry) -> None:
    if how == "tail_exclusive":  # pipes: the ping-pong's hot path (WaitQueue.add_exclusive_tail, inlined)
        entry.exclusive = True
        entry.queue = wq
        wq.entries.append(entry)
        return
    add = _HOOKS.get(how)
    if add is None:
        raise KernelBug(f"unknown wait-queue position {how!r}")
    add(wq, entry)
