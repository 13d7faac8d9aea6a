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
what each thread waits for.

Which runnable thread runs next is the chooser's decision: ``"fifo"`` (the
default, a round robin in wake-up order) or ``"random"`` (the kernel's seeded
generator), so the same seed gives the same interleaving.

Not yet modelled: signals (nothing is ever interrupted), per-thread CPU time,
preemption (a thread that never blocks is never switched out).
"""
from __future__ import annotations

import asyncio.events as asyncio_events
import itertools
import sys
import traceback
from collections import deque
from collections.abc import Callable
from typing import Any, Protocol

import greenlet

from ..clock import Clock, Timer
from ..errors import Deadlock, KernelBug
from ..vfs.waitqueue import WaitEntry, WaitQueue


class RandomSource(Protocol):
    """What the scheduler needs of the kernel's seeded random.Random."""

    def randrange(self, start: int, stop: int | None = ..., step: int = ...) -> int: ...

RUNNING, RUNNABLE, BLOCKED, DEAD = "running", "runnable", "blocked", "dead"


class GreenThread:
    """One simulated thread."""

    __slots__ = (
        "tid", "name", "glet", "state", "entries", "key", "what", "woken", "timer",
        "exit_queue", "daemon", "exc", "saved", "hint",
    )

    def __init__(self, tid: int, name: str, glet: greenlet.greenlet, daemon: bool = False) -> None:
        self.tid = tid
        self.name = name
        self.glet = glet
        self.state = RUNNABLE
        self.entries: list[WaitEntry] = []  # where it is hooked while blocked
        self.key = 0  # the poll bits it waits for (0: any wake-up)
        self.what = ""  # why it waits, for deadlock reports
        self.hint: Callable[[], str | None] | None = None  # a likely cause, if one is recognisable
        self.woken = False  # how the last block ended: True woken, False timed out
        self.timer: Timer | None = None  # the armed timeout of the current wait
        self.exit_queue = WaitQueue()  # joiners
        self.daemon = daemon
        self.exc: BaseException | None = None
        # The per-OS-thread interpreter state asyncio keeps, saved while switched out:
        # (running event loop, asyncgen hooks). A new thread starts with neither.
        self.saved: tuple[Any, Any] = (None, (None, None))

    def __repr__(self) -> str:
        return f"<GreenThread {self.name} ({self.state})>"


class Scheduler:
    def __init__(self, clock: Clock, rng: RandomSource, schedule: str = "fifo") -> None:
        if schedule not in ("fifo", "random"):
            raise ValueError(f"schedule must be 'fifo' or 'random', not {schedule!r}")
        self.clock = clock
        self.rng = rng
        self.schedule = schedule
        self._tids = itertools.count(1)
        self.threads: dict[int, GreenThread] = {}
        self.runnable: deque[GreenThread] = deque()
        self.main = self._adopt_current("MainThread")
        self.current = self.main

    def _adopt_current(self, name: str) -> GreenThread:
        thread = GreenThread(next(self._tids), name, greenlet.getcurrent())
        thread.state = RUNNING
        self.threads[thread.tid] = thread
        return thread

    # -- threads ------------------------------------------------------------

    def spawn(self, fn: Callable[[], Any], name: str | None = None, daemon: bool = False) -> GreenThread:
        tid = next(self._tids)
        # A thread first entered through a finished greenlet's return gets its value: ignore it.
        glet = greenlet.greenlet(parent=self.main.glet)
        thread = GreenThread(tid, name or f"Thread-{tid - 1}", glet, daemon)
        glet.run = lambda *_: self._run(thread, fn)
        self.threads[tid] = thread
        self.runnable.append(thread)
        return thread

    def _run(self, thread: GreenThread, fn: Callable[[], Any]) -> None:
        try:
            fn()
        except greenlet.GreenletExit:
            return
        except BaseException as exc:  # threading's excepthook: report, let the others run
            thread.exc = exc
            print(f"Exception in thread {thread.name}:", file=sys.stderr)
            traceback.print_exception(exc, file=sys.stderr)
        thread.state = DEAD
        thread.exit_queue.wake_all()
        # Hand over to the next thread by making it this greenlet's parent: a
        # finished greenlet returns into its parent.
        nxt = self._next_thread()
        if nxt is None:  # the exception goes to the parent: the main thread, which is blocked
            _restore_thread_state(self.main)
            thread.glet.parent = self.main.glet
            raise self._deadlock()
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
        what: str,
        hint: Callable[[], str | None] | None = None,
    ) -> bool:
        """Sleep on ``queues`` until woken (True) or ``deadline_ns`` passes (False).

        ``what`` says what the thread waits for; ``hint``, asked only if the run
        deadlocks, may name a recognisable cause.
        """
        thread = self.current
        thread.state = BLOCKED
        thread.key = key
        thread.what = what
        thread.hint = hint
        for wq, how in queues:
            entry = WaitEntry(self._wake_entry, thread)
            thread.entries.append(entry)
            if how == "head":
                wq.add(entry)
            elif how == "tail_exclusive":
                wq.add_exclusive_tail(entry)
            elif how == "head_exclusive":
                wq.add_exclusive_head(entry)
            else:
                raise KernelBug(f"unknown wait-queue position {how!r}")
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
        self._make_runnable(thread, woken=True)
        return 1

    def _time_out(self, thread: GreenThread) -> None:
        thread.timer = None
        if thread.state == BLOCKED:
            self._make_runnable(thread, woken=False)

    def _make_runnable(self, thread: GreenThread, woken: bool) -> None:
        if thread.timer is not None:
            thread.timer.cancel()
            thread.timer = None
        for entry in thread.entries:  # autoremove_wake_function
            if entry.queue is not None:
                entry.queue.remove(entry)
        thread.entries.clear()
        thread.woken = woken
        thread.state = RUNNABLE
        self.runnable.append(thread)

    def yield_now(self) -> None:
        """Let every other runnable thread run once (sched_yield)."""
        thread = self.current
        thread.state = RUNNABLE
        self.runnable.append(thread)
        self._switch_away()

    def _next_thread(self) -> GreenThread | None:
        """Choose who runs next; fire timers when nobody can; None when nothing ever can."""
        while not self.runnable:
            if not self.clock.advance_to_next_timer():
                return None
        if self.schedule == "random" and len(self.runnable) > 1:
            index = self.rng.randrange(len(self.runnable))
            thread = self.runnable[index]
            del self.runnable[index]
            return thread
        return self.runnable.popleft()

    def _switch_away(self) -> None:
        me = self.current
        nxt = self._next_thread()
        if nxt is None:
            if me is self.main:
                raise self._deadlock()
            self.main.glet.throw(self._deadlock())
            return
        self.current = nxt
        nxt.state = RUNNING
        if nxt is not me:
            _save_thread_state(me)
            _restore_thread_state(nxt)
            nxt.glet.switch()

    def _deadlock(self) -> Deadlock:
        lines = ["every thread is blocked and no deadline is pending:"]
        for thread in self.threads.values():
            if thread.state == BLOCKED:
                lines.append(f"  {thread.name}: {thread.what}")
                cause = thread.hint() if thread.hint is not None else None
                if cause:
                    lines.append(f"    {cause}")
        return Deadlock("\n".join(lines))


# A greenlet switch swaps the Python stack and the contextvars context, but not
# what CPython keeps per OS thread: asyncio's running loop and the asyncgen
# hooks (python-stdlib.md 1.5). Each green thread gets its own, swapped here.


def _save_thread_state(thread: GreenThread) -> None:
    thread.saved = (asyncio_events._get_running_loop(), sys.get_asyncgen_hooks())


def _restore_thread_state(thread: GreenThread) -> None:
    loop, hooks = thread.saved
    asyncio_events._set_running_loop(loop)
    sys.set_asyncgen_hooks(*hooks)
