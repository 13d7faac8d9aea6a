"""One simulated thread (a greenlet and what the scheduler keeps about it), and the per-thread
interpreter state a switch must carry along.

A ``GreenThread`` is the scheduler's record of a thread: its state, where it is
hooked while blocked, its timeout, why it waits (for deadlock reports), its
exit queue (joiners) and, once race detection is on, its vector clock. The
helpers below are what a switch between greenlets must do beyond switching
stacks, and where a blocked thread's program made its call.
"""
from __future__ import annotations

import asyncio.events as asyncio_events
import os
import sys
from collections.abc import Callable
from typing import Any

import greenlet

from ..clock import Timer
from ..vfs.vclock import VClock
from ..vfs.waitqueue import WaitEntry, WaitQueue

RUNNING, RUNNABLE, BLOCKED, DEAD = "running", "runnable", "blocked", "dead"

# Why a thread waits: a str, or ``(call, fd, reason)`` for "call(fd): reason", which a
# blocking read passes so that its hot path formats nothing; ``describe`` makes the text,
# only when a deadlock report or the trace recorder asks for it.
What = str | tuple[str, int, str]


def describe(what: What) -> str:
    if isinstance(what, str):
        return what
    call, fd, reason = what
    return f"{call}({fd}): {reason}"


class GreenThread:
    """One simulated thread."""

    __slots__ = (
        "tid", "name", "glet", "state", "entry", "entries", "key", "what", "woken", "timer",
        "exit_queue", "daemon", "exc", "loop", "hooks", "hint", "vclock", "host", "pending_calls",
    )

    def __init__(self, tid: int, name: str, glet: greenlet.greenlet, daemon: bool = False) -> None:
        self.tid = tid
        self.name = name
        self.glet = glet
        self.state = RUNNABLE
        # Where it is hooked while blocked: ``entry``, its own, reused by every wait on one
        # queue (Scheduler.block_on), or fresh ``entries`` for a wait on several.
        self.entry: WaitEntry | None = None  # made by the scheduler, whose callback it holds
        self.entries: list[WaitEntry] = []
        self.key = 0  # the poll bits it waits for (0: any wake-up)
        self.what: What = ""  # why it waits, for deadlock reports (see ``describe``)
        self.hint: Callable[[], str | None] | None = None  # a likely cause, if one is recognisable
        self.woken = False  # how the last block ended: True woken, False timed out
        self.timer: Timer | None = None  # the armed timeout of the current wait
        self.exit_queue = WaitQueue()  # joiners
        self.daemon = daemon
        self.exc: BaseException | None = None
        # The per-OS-thread interpreter state asyncio keeps, saved while switched out:
        # the running event loop and the asyncgen hooks. A new thread starts with neither.
        self.loop: Any = None
        self.hooks: Any = (None, None)
        self.vclock: VClock | None = None  # its vector clock, once race detection is on (hb.py)
        # The host it runs on (host.py: Host.start), inherited by the threads it starts;
        # None is the kernel's first host. A host's crash stops its threads.
        self.host: Any = None
        # Calls to run when it next resumes (Py_AddPendingCall: a signal's Python handlers).
        self.pending_calls: list[Callable[[], None]] | None = None

    def __repr__(self) -> str:
        return f"<GreenThread {self.name} ({self.state})>"


# Diagnostics only (nothing the model does depends on it): where a blocked thread's
# program made the call that blocked, as "file.py:LINE", the innermost frame of its
# greenlet's stack outside the epollsim package. None when the thread's whole stack is
# epollsim's (a Thread whose target is itself a stand-in, such as k.os.read).
_PACKAGE_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__))) + os.sep


def _user_call_site(glet: greenlet.greenlet) -> str | None:
    frame = sys._getframe() if glet is greenlet.getcurrent() else glet.gr_frame
    while frame is not None:
        filename = frame.f_code.co_filename
        if not filename.startswith(_PACKAGE_DIR):
            return f"{os.path.basename(filename)}:{frame.f_lineno}"
        frame = frame.f_back
    return None


# A greenlet switch swaps the Python stack and the contextvars context, but not
# what CPython keeps per OS thread: asyncio's running loop and the asyncgen
# hooks (python-stdlib.md 1.5). Each green thread gets its own, swapped here.


_get_running_loop = asyncio_events._get_running_loop
_get_asyncgen_hooks = sys.get_asyncgen_hooks


def _save_thread_state(thread: GreenThread) -> None:
    thread.loop = _get_running_loop()
    thread.hooks = _get_asyncgen_hooks()


def _restore_thread_state(thread: GreenThread) -> None:
    asyncio_events._set_running_loop(thread.loop)
    sys.set_asyncgen_hooks(*thread.hooks)
