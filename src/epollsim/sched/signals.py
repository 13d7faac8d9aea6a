"""One process's signals: dispositions, delivery, default actions, and waking a sleeper.

Theory of operation
-------------------
Linux keeps one table of sigactions per process (kernel/signal.c, do_sigaction):
each signal's handler is SIG_DFL, SIG_IGN or a function of the program, with
flags (SA_RESTART). kill(2) sends a signal to the process, and complete_signal
picks a thread that does not block it, the main thread first; tgkill(2) (raise,
pthread_kill) aims at one thread. A caught signal makes the thread run the
handler on its next return to user space; a thread asleep in an interruptible
wait is woken (signal_wake_up) and its call fails with EINTR, or is restarted
when the handler has SA_RESTART, except for the calls signal(7) lists as never
restarted (epoll_wait, poll, select, nanosleep, ...: ``NEVER_RESTARTED``).

The model's program is CPython, whose handler for every signal with a Python
handler is the C function ``signal_handler`` (compat/signal.py's
``trip_signal``): it only marks the signal tripped, asks the main thread to run
the Python handlers (Py_AddPendingCall) and writes the wake-up fd's byte. Here
that "catcher" runs at delivery, in the sender's context, which is as soon as
Linux would run it; the Python handlers run in the main thread through the
scheduler's pending calls (sched/scheduler.py, the interrupt section): at once if
the main thread is the sender, else when it next resumes. A target asleep in a
wait is interrupted, and its call, retried as PEP 475 retries, sleeps again until
its own deadline, unless a handler raised: then that exception leaves the call.

SIG_DFL's default actions (abi/signal.py): ignore, or terminate (with or
without a core) the process: ``Terminated`` is raised in the host's main thread.
Stop and continue are not modelled (``Unsupported``).

Each thread has a blocked set (pthread_sigmask). A signal its target blocks is
queued, in the thread's pending set (tgkill) or the process's (kill), until the
thread unblocks it or ``sigwait`` takes it; a standard signal pending twice is
pending once. A process-wide signal targets the main thread only: when the main
thread blocks it, it stays pending even if another thread does not block it
(Linux would hand it to that thread). New threads start with an empty mask
(Linux copies the creator's).

A host's main thread is the kernel's main thread (``threading.main_thread()`` of
the model) unless ``main`` is set to another green thread (``Host.start_main``).
"""
from __future__ import annotations

from collections.abc import Callable
from errno import EINVAL, ESRCH
from typing import Any, Protocol

from ..abi.signal import CORE, IGNORE, NSIG, SIGKILL, TERMINATE, UNCATCHABLE, default_action
from ..errors import Terminated, Unsupported, oserror
from ..vfs.waitqueue import WaitQueue
from .scheduler import Scheduler
from .thread import BLOCKED, DEAD, RUNNING, GreenThread, describe

SIG_DFL = 0
SIG_IGN = 1
# si_code (include/uapi/asm-generic/siginfo.h): sent by a process (kill, tgkill: this machine's
# kernel reports SI_USER for both), or by the kernel itself (an interval timer).
SI_USER = 0
SI_KERNEL = 0x80

# signal(7), "Interruption of system calls and library functions by signal handlers": the
# waits that fail with EINTR even with SA_RESTART, by the "what" a sleeper gives the scheduler.
NEVER_RESTARTED = ("epoll_wait", "poll", "select", "time.sleep", "signal.pause", "sigtimedwait")

Catcher = Callable[[int], None]


class SignalObserver(Protocol):
    """What the trace recorder is told of each signal sent (``SignalState.observer``)."""

    def signalled(self, host: str, signum: int, sender: GreenThread, target: GreenThread, action: str) -> None: ...


_UNCATCHABLE_MASK = sum(1 << signum for signum in UNCATCHABLE)


def _unnamed(signum: int) -> str:
    return f"signal {signum}"


class SignalState:
    """A process's sigactions and the delivery of signals to its threads.

    ``handlers`` holds each signal's handler that is not SIG_DFL (SIG_IGN or a catcher), and
    ``restart`` the signals whose sigaction has SA_RESTART (an ordered set of ints).
    """

    __slots__ = (
        "blocked", "codes", "handlers", "host", "main", "names", "observer", "pending", "restart",
        "sched", "thread_pending", "waiters",
    )

    def __init__(self, sched: Scheduler, host: str = "") -> None:
        self.sched = sched
        self.host = host  # for reports
        self.main: GreenThread = sched.main  # where process-wide signals go, and Python handlers run
        self.handlers: dict[int, int | Catcher] = {}
        self.restart: dict[int, None] = {}
        self.observer: SignalObserver | None = None
        self.names: Callable[[int], str] = _unnamed  # "SIGTERM" (the signal stand-in sets it)
        # Masks of signal numbers (bit ``1 << signum``): each thread's blocked set (by tid; none
        # for a thread never masked), the process's pending set (shared_pending) and each
        # thread's own (tgkill to a thread blocking the signal), and the sigwait sleepers.
        self.blocked: dict[int, int] = {}
        self.pending = 0
        self.thread_pending: dict[int, int] = {}
        self.codes: dict[tuple[int, int], int] = {}  # (tid, or 0 for the process; signum) -> si_code
        self.waiters = WaitQueue()

    def sigaction(self, signum: int, handler: int | Catcher) -> None:
        """Set ``signum``'s handler, keeping its SA_RESTART (EINVAL as do_sigaction gives it)."""
        self._check_catchable(signum)
        if handler == SIG_DFL:
            self.handlers.pop(signum, None)
        else:
            self.handlers[signum] = handler
        if handler == SIG_IGN or (handler == SIG_DFL and default_action(signum) == IGNORE):
            # do_sigaction: an action that ignores discards the signal where it is pending
            # (POSIX 3.3.1.3), in the process and in every thread.
            bit = 1 << signum
            self.pending &= ~bit
            for tid, mask in list(self.thread_pending.items()):
                if mask & bit:
                    if mask & ~bit:
                        self.thread_pending[tid] = mask & ~bit
                    else:
                        del self.thread_pending[tid]

    def set_restart(self, signum: int, restart: bool) -> None:
        """siginterrupt(3): SA_RESTART on (``restart``) or off, keeping the handler."""
        self._check_catchable(signum)
        if restart:
            self.restart[signum] = None
        else:
            self.restart.pop(signum, None)

    def handler(self, signum: int) -> int | Catcher:
        return self.handlers.get(signum, SIG_DFL)

    def _check_catchable(self, signum: int) -> None:
        if not 1 <= signum < NSIG or signum in UNCATCHABLE:
            raise oserror(EINVAL)

    # -- delivery ------------------------------------------------------------------------

    def kill(self, signum: int, thread: GreenThread | None = None, code: int = SI_USER) -> None:
        """Send ``signum`` to the process (kill(2); ``thread`` None) or to one of its threads
        (tgkill(2)). Signal 0 only checks. The sender runs its own pending calls afterwards
        (``check``), as CPython's os.kill, raise_signal and pthread_kill do."""
        if not 0 <= signum < NSIG:
            raise oserror(EINVAL)
        target = self.main if thread is None else thread
        if target.state == DEAD:  # the host's program has ended: no such process (or thread)
            raise oserror(ESRCH)
        if signum == 0:
            return
        bit = 1 << signum
        if self.blocked.get(target.tid, 0) & bit:  # queued until unblocked or taken by sigwait
            if self.observer is not None:
                self.observer.signalled(self.host, signum, self.sched.current, target, "pending")
            if thread is None:
                if not self.pending & bit:
                    self.codes[(0, signum)] = code
                self.pending |= bit
            else:
                mine = self.thread_pending.get(target.tid, 0)
                if not mine & bit:
                    self.codes[(target.tid, signum)] = code
                self.thread_pending[target.tid] = mine | bit
            self.waiters.wake_all()
            return
        self._deliver(signum, target)

    def _deliver(self, signum: int, target: GreenThread) -> None:
        """Act on ``signum`` for ``target``, which does not block it (get_signal)."""
        handler: Any = SIG_DFL if signum == SIGKILL else self.handlers.get(signum, SIG_DFL)
        if handler == SIG_DFL:
            what = default_action(signum)
        else:
            what = "ignore" if handler == SIG_IGN else "handler"
        if self.observer is not None:
            self.observer.signalled(self.host, signum, self.sched.current, target, what)
        if what == IGNORE:
            return
        if what in (TERMINATE, CORE):
            self._terminate(signum, what == CORE)
            return
        if what != "handler":
            raise Unsupported(f"the default action of {self.names(signum)} ({what}) is not modelled by epollsim")
        handler(signum)  # the catcher: CPython's signal_handler (compat/signal.py)
        if target.state == BLOCKED and not (signum in self.restart and _restartable(target)):
            self.sched.interrupt(target)

    def _terminate(self, signum: int, core: bool) -> None:
        """The default action "terminate": the host's program ends with ``Terminated``."""
        exc = Terminated(self.host, signum, self.names(signum), core)
        main = self.main
        if main is self.sched.current and main.state == RUNNING:
            raise exc

        def die() -> None:
            raise exc

        self.sched.add_pending_call(main, die)
        self.sched.interrupt(main)

    # -- masks: sigprocmask, sigpending, sigwait (kernel/signal.c) -----------------------------

    def sigprocmask(self, how: int, mask: int) -> int:
        """Change the calling thread's blocked set (SIG_BLOCK 0, SIG_UNBLOCK 1, SIG_SETMASK 2) and
        return the old one; SIGKILL and SIGSTOP are never blocked. The signals pending for it
        that it no longer blocks are delivered now, lowest first (to the caller, as Linux does
        on its return to user space)."""
        me = self.sched.current
        old = self.blocked.get(me.tid, 0)
        if how == 0:
            new = old | mask
        elif how == 1:
            new = old & ~mask
        elif how == 2:
            new = mask
        else:
            raise oserror(EINVAL)
        new &= ~_UNCATCHABLE_MASK
        if new:
            self.blocked[me.tid] = new
        else:
            self.blocked.pop(me.tid, None)
        ready = (self.pending | self.thread_pending.get(me.tid, 0)) & ~new
        while ready:
            signum = (ready & -ready).bit_length() - 1
            ready &= ~(1 << signum)
            self._take(me, signum)
            self._deliver(signum, me)
        return old

    def pending_for(self, thread: GreenThread) -> int:
        """sigpending: what is pending for ``thread`` or its process."""
        return self.pending | self.thread_pending.get(thread.tid, 0)

    def sigwait(self, mask: int, deadline_ns: int | None = None, what: str = "signal.sigwait()") -> tuple[int, int] | None:
        """Take the lowest pending signal of ``mask`` (the caller's own first), waiting for one
        to be sent until ``deadline_ns`` (do_sigtimedwait; the wait is retried after a handler
        ran, as glibc's sigwait and CPython's sigwaitinfo retry): (signum, si_code), or None."""
        me = self.sched.current
        while True:
            ready = self.pending_for(me) & mask
            if ready:
                signum = (ready & -ready).bit_length() - 1
                return signum, self._take(me, signum)
            if not self.sched.block_on(self.waiters, "head", 0, deadline_ns, what):
                return None

    def _take(self, thread: GreenThread, signum: int) -> int:
        """dequeue_signal: from the thread's own pending set first, then the process's; its si_code."""
        bit = 1 << signum
        mine = self.thread_pending.get(thread.tid, 0)
        if mine & bit:
            mine &= ~bit
            if mine:
                self.thread_pending[thread.tid] = mine
            else:
                del self.thread_pending[thread.tid]
            return self.codes.pop((thread.tid, signum), SI_USER)
        self.pending &= ~bit
        return self.codes.pop((0, signum), SI_USER)

    def check(self) -> None:
        """Run the calling thread's pending calls if it has any (PyErr_CheckSignals after a kill)."""
        current = self.sched.current
        if current.pending_calls is not None and current.state == RUNNING:
            self.sched.run_pending_calls(current)


def _restartable(thread: GreenThread) -> bool:
    """Whether SA_RESTART restarts the wait ``thread`` sleeps in (not one of NEVER_RESTARTED)."""
    return not describe(thread.what).startswith(NEVER_RESTARTED)
