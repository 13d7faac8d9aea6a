"""What stops or interrupts a thread from outside it: signals (pending calls, EINTR), a host's
crash (halt), and an error that ends the whole run (fail). A mixin of ``Scheduler`` (scheduler.py),
kept apart from the switch and block paths it relies on.
"""
from __future__ import annotations

from collections import deque
from collections.abc import Callable
from typing import Any

from ..errors import KernelBug
from .thread import BLOCKED, DEAD, RUNNABLE, RUNNING, GreenThread, _restore_thread_state, _save_thread_state


class ThreadControl:
    """Scheduler's methods that act on a thread other than by waking it for what it waits on."""

    current: GreenThread
    main: GreenThread
    runnable: deque[GreenThread]
    halted: list[GreenThread]
    observer: Any
    _make_runnable: Callable[[GreenThread, bool], None]  # Scheduler's (scheduler.py)

    # -- interrupts: what signal delivery needs (sched/signals.py) -------------------------

    def add_pending_call(self, thread: GreenThread, call: Callable[[], None]) -> None:
        """Py_AddPendingCall aimed at ``thread``: ``call`` runs in it when it next resumes from a
        switch, before the call it blocked in returns (the running thread runs it at its next
        ``run_pending_calls``). A call already pending is not added twice."""
        calls = thread.pending_calls
        if calls is None:
            thread.pending_calls = [call]
        elif call not in calls:
            calls.append(call)

    def interrupt(self, thread: GreenThread) -> None:
        """signal_wake_up: end ``thread``'s sleep at once, as a wake-up. The call it slept in
        re-checks its condition and sleeps again until its own deadline (PEP 475's retry with
        the remaining timeout), unless a pending call raised: then that exception leaves it."""
        if thread.state == BLOCKED:
            self._make_runnable(thread, True)

    def run_pending_calls(self, thread: GreenThread) -> None:
        """Run ``thread``'s pending calls now (it is running). The first to raise ends the run;
        the calls after it stay pending. How the thread's last wait ended is kept."""
        calls = thread.pending_calls
        if calls is None:
            return
        thread.pending_calls = None
        woken = thread.woken  # a call may block (a handler that sleeps): keep the caller's result
        for i, call in enumerate(calls):
            try:
                call()
            except BaseException:
                rest = calls[i + 1:]
                if rest:
                    thread.pending_calls = rest + (thread.pending_calls or [])
                raise
        thread.woken = woken

    def halt(self, thread: GreenThread) -> None:
        """Stop ``thread`` for good where it is, as a machine's crash stops it: unhooked from what it
        waited on, its timer cancelled, never run again, no ``finally`` run. Its joiners wake.
        Its greenlet is kept (``halted``), so no garbage collection ever resumes it mid-run."""
        if thread is self.current:
            raise KernelBug("a thread cannot halt itself")
        if thread.state == DEAD:
            return
        if thread.timer is not None:
            thread.timer.cancel()
            thread.timer = None
        for entry in (thread.entry, *thread.entries):
            if entry is not None and entry.queue is not None:
                entry.queue.remove(entry)
        thread.entries.clear()
        if thread.state == RUNNABLE:
            self.runnable.remove(thread)
        thread.state = DEAD
        thread.what = "halted"
        self.halted.append(thread)
        if self.observer is not None:
            self.observer.exited(thread)
        thread.exit_queue.wake_all()

    def fail(self, exc: BaseException) -> None:
        """Stop the run: ``exc`` is raised in the main thread, wherever it waits.

        For errors that end the whole program (a data race), not just the thread
        that met them: the thread running now is left stopped for good.
        """
        me = self.current
        if me is self.main:
            raise exc
        me.state = BLOCKED
        me.what = f"stopped: {type(exc).__name__}"
        main = self.main
        if main.state == BLOCKED:
            self._make_runnable(main, False)  # woken=False: unhook it from whatever it waited on
        self.runnable.remove(main)
        main.state = RUNNING
        self.current = main
        _save_thread_state(me)
        _restore_thread_state(main)
        main.glet.throw(exc)
