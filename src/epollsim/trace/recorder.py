"""The trace recorder: ``k.trace``, off until started, free while off.

Theory of operation
-------------------
System calls. Every host's raw calls live on one ``Syscalls`` instance
(``host.sys``), and every stand-in (``os``, ``select``, ``socket``, ``fcntl``)
reaches them by looking the method up on that instance at each call (none
keeps a bound method). ``Syscalls`` has ``__slots__`` and no instance dict, so
starting the trace cannot shadow methods per instance; instead it switches the
instance's class to a subclass made for that host, whose public methods
record and then call the original (``__class__`` assignment is allowed
between classes of the same layout). Stopping switches the class back. While
off, no code of the recorder runs at all: the cost of tracing off is nil on
the syscall path. A call made inside another call of the same thread (for
example ``epoll_create`` calling ``epoll_create1``) is not recorded twice.

The scheduler. ``sched.observer`` is None while off; the scheduler calls it,
when set, at each block, wake-up, timeout, thread start and exit, switch, and
clock jump: one attribute check on those paths while off. The scheduler does
not know this module (it sits below it): it calls whatever object is there.
Wake-ups that happen while the clock's timers fire (a timeout, a timerfd
expiring) are reported with no waker: a timer woke them, not a thread.

Hosts. A thread is not bound to a host: it acts on whichever host's calls it
makes. Its events (blocks, wake-ups) are attributed to the host of its latest
call, or to the first host before it made any.

Determinism. Records hold virtual times, tids, names and values formatted as
text (``records.fmt``): the same program and seed give the same records, under
any PYTHONHASHSEED, on any machine.
"""
from __future__ import annotations

import functools
import hashlib
import inspect
import os
import sys
from collections.abc import Callable, Iterator
from typing import IO, TYPE_CHECKING, Any

from ..clock import Clock
from ..compat.signal import signal_name
from ..sched.scheduler import Scheduler
from ..sched.thread import GreenThread
from ..syscalls import Syscalls
from ..syscalls.preempt import syscall_names, unpreempted
from ..vfs.waitqueue import WaitQueue
from .records import (
    TIMER,
    Block,
    Call,
    ClockJump,
    Exit,
    Record,
    Return,
    Signal,
    Start,
    Switch,
    Timeout,
    Wake,
    fmt_args,
    fmt_error,
    fmt_result,
)

if TYPE_CHECKING:
    from ..host import Host

StrPath = str | os.PathLike[str]



class Tracer:
    """``k.trace``: records system calls and scheduler events while on.

    ``start()`` / ``stop()`` (or ``with k.trace:``), ``on``, ``records``,
    ``clear()``; ``format()`` / ``dump()`` / ``digest()`` for text;
    ``chrome()`` / ``write_chrome(path)`` for Perfetto; ``svg()`` /
    ``write_svg(path)`` / ``write_png(path)`` for a picture; ``write(path)``
    picks the format from the suffix (.json, .svg, .png, anything else text).
    """

    def __init__(self, sched: Scheduler, clock: Clock, hosts: dict[str, Host]) -> None:
        self._sched = sched
        self._clock = clock
        self._hosts = hosts  # the kernel's own dict: hosts added later are seen
        self.records: list[Record] = []
        self.on = False
        self.params: dict[str, tuple[str, ...]] = {}  # call name -> parameter names
        self._attached: dict[str, tuple[Syscalls, type]] = {}  # host -> (its sys, the class it had)
        self._inside: dict[int, Call] = {}  # tid -> the call it is in
        self._where: dict[int, str] = {}  # tid -> the host of its latest call

    # -- switching on and off ------------------------------------------------------

    def start(self) -> Tracer:
        """Start recording (records so far are kept); returns the tracer."""
        if not self.on:
            self.on = True
            for host in self._hosts.values():
                self.attach(host)
            self._sched.observer = self
        return self

    def stop(self) -> None:
        """Stop recording: every host's calls and the scheduler run untraced again."""
        if self.on:
            self.on = False
            self._sched.observer = None
            for sys_, cls in self._attached.values():
                sys_.__class__ = cls
                sys_.proc.signals.observer = None
            self._attached.clear()

    def clear(self) -> None:
        """Forget the records so far (recording goes on if it was on)."""
        self.records.clear()

    def __enter__(self) -> Tracer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def attach(self, host: Host) -> None:
        """Trace ``host``'s calls (the kernel calls this for hosts added while tracing)."""
        if not self.on or host.name in self._attached:
            return
        sys_ = host.sys
        cls = sys_.__class__
        sys_.__class__ = self._traced_class(cls, host.name)
        sys_.proc.signals.observer = self  # signals sent to it (sched/signals.py)
        self._attached[host.name] = (sys_, cls)

    def _traced_class(self, cls: type, host: str) -> type:
        namespace: dict[str, Any] = {"__slots__": (), "__module__": cls.__module__, "__doc__": cls.__doc__}
        for name in syscall_names(cls):
            fn = getattr(cls, name)
            if name not in self.params:
                self.params[name] = tuple(inspect.signature(fn).parameters)[1:]
            namespace[name] = self._wrap(host, name, fn)
        return type(cls.__name__, (cls,), namespace)

    def _wrap(self, host: str, name: str, fn: Callable[..., Any]) -> Callable[..., Any]:
        record = self._syscall
        original = unpreempted(fn)
        if original is not None:  # a preemptive schedule's call: the switch comes before the call

            @functools.wraps(original)
            def preempted(sys_: Syscalls, *args: Any, **kwargs: Any) -> Any:
                sys_.proc.sched.preempt()
                return record(host, name, original, sys_, args, kwargs)

            return preempted

        @functools.wraps(fn)
        def traced(sys_: Syscalls, *args: Any, **kwargs: Any) -> Any:
            return record(host, name, fn, sys_, args, kwargs)

        return traced

    def _syscall(
        self, host: str, name: str, fn: Callable[..., Any], sys_: Syscalls, args: tuple[Any, ...],
        kwargs: dict[str, Any],
    ) -> Any:
        thread = self._sched.current
        tid = thread.tid
        if tid in self._inside or not self.on:
            return fn(sys_, *args, **kwargs)
        self._where[tid] = host
        records = self.records
        call = Call(self._clock.now_ns, host, tid, thread.name, name, fmt_args(name, args, kwargs))
        records.append(call)
        self._inside[tid] = call
        try:
            result = fn(sys_, *args, **kwargs)
        except BaseException as exc:
            call.error = fmt_error(exc)
            if isinstance(exc, OSError) and exc.errno:
                call.errno = exc.errno
            raise
        else:
            call.result = fmt_result(name, result, args, kwargs)
            return result
        finally:
            self._inside.pop(tid, None)
            call.end_ns = self._clock.now_ns
            call.end_seq = len(records)
            if call.slept and self.on:
                records.append(Return(call.end_ns, host, tid, thread.name, call))

    # -- the scheduler's observer ----------------------------------------------------

    def _host_of(self, tid: int) -> str:
        host = self._where.get(tid)
        if host is None:
            host = next(iter(self._hosts), "")
        return host

    def blocked(self, thread: GreenThread, queues: list[tuple[WaitQueue, str]], deadline_ns: int | None,
                what: str) -> None:
        tid = thread.tid
        call = self._inside.get(tid)
        if call is not None:
            call.slept = True
        how = tuple(position for _, position in queues)
        self.records.append(Block(self._clock.now_ns, self._host_of(tid), tid, thread.name, what, how, deadline_ns))

    def woken(self, waker: GreenThread | None, thread: GreenThread, woken: bool) -> None:
        tid = thread.tid
        now = self._clock.now_ns
        if not woken:
            self.records.append(Timeout(now, self._host_of(tid), tid, thread.name))
        elif waker is None:
            self.records.append(Wake(now, self._host_of(tid), tid, thread.name, 0, TIMER, ""))
        else:
            self.records.append(Wake(now, self._host_of(tid), tid, thread.name, waker.tid, waker.name,
                                     self._host_of(waker.tid)))

    def spawned(self, parent: GreenThread, thread: GreenThread) -> None:
        host = self._host_of(parent.tid)
        self._where[thread.tid] = host  # a new thread starts on its parent's host
        self.records.append(Start(self._clock.now_ns, host, thread.tid, thread.name, parent.tid, parent.name))

    def exited(self, thread: GreenThread) -> None:
        error = fmt_error(thread.exc) if thread.exc is not None else ""
        self.records.append(Exit(self._clock.now_ns, self._host_of(thread.tid), thread.tid, thread.name, error))

    def switched(self, prev: GreenThread, nxt: GreenThread) -> None:
        self.records.append(Switch(self._clock.now_ns, self._host_of(prev.tid), prev.tid, prev.name,
                                   nxt.tid, nxt.name))

    def signalled(self, host: str, signum: int, sender: GreenThread, target: GreenThread, action: str) -> None:
        """A signal sent to ``host`` (told by the host's SignalState, not the scheduler)."""
        from_timer = self._sched._in_timers
        self.records.append(Signal(
            self._clock.now_ns, host, target.tid, target.name, signum, signal_name(signum),
            0 if from_timer else sender.tid, TIMER if from_timer else f"{sender.name}@{self._host_of(sender.tid)}",
            action,
        ))

    def clock_jump(self, from_ns: int, to_ns: int) -> None:
        if to_ns > from_ns:
            self.records.append(ClockJump(from_ns, to_ns))

    # -- reading the trace -------------------------------------------------------------

    def __len__(self) -> int:
        return len(self.records)

    def __iter__(self) -> Iterator[Record]:
        return iter(self.records)

    def calls(self, name: str | None = None, thread: str | None = None) -> list[Call]:
        """The Call records, optionally only those of one call name or one thread name."""
        return [
            r for r in self.records
            if isinstance(r, Call) and (name is None or r.name == name) and (thread is None or r.thread == thread)
        ]

    def lines(self, switches: bool = True) -> list[str]:
        """One line per record; ``switches=False`` leaves out the scheduler's switches."""
        return [str(r) for r in self.records if switches or not isinstance(r, Switch)]

    def format(self, switches: bool = True) -> str:
        """The whole trace as text, one record a line."""
        return "\n".join(self.lines(switches))

    def dump(self, file: IO[str] | None = None, switches: bool = True) -> None:
        """Print the trace (to stdout by default)."""
        print(self.format(switches), file=file if file is not None else sys.stdout)

    def digest(self) -> str:
        """A SHA-256 of the text: equal digests, equal traces."""
        return hashlib.sha256(self.format().encode()).hexdigest()

    def host_names(self) -> list[str]:
        """Every host, in the order the kernel added them."""
        return list(self._hosts)

    def chrome(self, nudge_ns: int = 1) -> dict[str, Any]:
        """The trace as a Chrome/Perfetto trace-event JSON object (see ``chrome.py``)."""
        from .chrome import trace_events

        return trace_events(self.records, self.host_names(), self.params, nudge_ns)

    def write_chrome(self, path: StrPath, nudge_ns: int = 1) -> None:
        """Write the trace-event JSON to ``path`` (open it in ui.perfetto.dev or chrome://tracing)."""
        import json

        with open(path, "w", encoding="utf-8") as f:
            json.dump(self.chrome(nudge_ns), f, indent=None, separators=(",", ":"))
            f.write("\n")

    def svg(self, start: float | None = None, end: float | None = None) -> str:
        """A timeline picture as SVG text: one lane per thread (see ``layout.py``).

        ``start`` and ``end`` (seconds of virtual time, as ``k.time.monotonic()``
        reads them; either may be left open) draw only that window of the run.
        """
        from .svg import timeline_svg

        return timeline_svg(self.records, self.host_names(), start=start, end=end)

    def write_svg(self, path: StrPath, start: float | None = None, end: float | None = None) -> None:
        with open(path, "w", encoding="utf-8") as f:
            f.write(self.svg(start, end))

    def write_png(self, path: StrPath, start: float | None = None, end: float | None = None) -> None:
        """The same picture as PNG; needs matplotlib (``pip install 'epollsim[pictures]'``)."""
        from .png import write_png

        write_png(self.records, self.host_names(), os.fspath(path), start=start, end=end)

    def write(self, path: StrPath, start: float | None = None, end: float | None = None) -> None:
        """Write the trace in the format ``path``'s suffix names: .json, .svg, .png, else text.

        ``start``/``end`` choose a window of virtual time for the pictures.
        """
        lower = str(path).lower()
        if lower.endswith(".json"):
            self.write_chrome(path)
        elif lower.endswith(".svg"):
            self.write_svg(path, start, end)
        elif lower.endswith(".png"):
            self.write_png(path, start, end)
        else:
            with open(path, "w", encoding="utf-8") as f:
                f.write(self.format() + "\n")

    def __repr__(self) -> str:
        return f"<Tracer {'on' if self.on else 'off'}, {len(self.records)} records>"
