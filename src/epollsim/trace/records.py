"""What the trace recorder writes down: plain records, each printable on one line.

Every record carries the virtual time it happened at (``t_ns``, the clock's
nanoseconds, what ``k.time.monotonic_ns()`` reads), the thread (``tid`` and
``thread``, its name then) and the host it acted on. Values are kept as text,
formatted when they are recorded: a buffer the program later reuses cannot
change the trace, the records pickle and compare cheaply, and the text is the
same on every run. Nothing printed here may depend on where an object lives in
memory: no ``id()``, no default ``repr`` of an object (those print an address),
no wall time.

The line format follows strace: a call that returned without sleeping is one
line (``read(3, 100) = b'abc'``); a call that slept is printed where it began
as ``<unfinished ...>`` and where it returned as ``<... read resumed>``, with
what the scheduler did in between (who blocked, who woke whom, timeouts,
clock jumps, switches) on lines of their own.
"""
from __future__ import annotations

import errno as _errno
import os as _os
from dataclasses import dataclass
from typing import Any

from .strace import decode_args, decode_poll_result
from .strace import epoll_mask as _mask

NS_PER_S = 1_000_000_000
BYTES_SHOWN = 32  # bytes of a buffer shown before "..."
ITEMS_SHOWN = 16  # items of a list shown before "..."
TIMER = "(timer)"  # the waker's name for wake-ups that come from a timer, not a thread


def seconds(ns: int) -> str:
    """``1000.000250000``: exact, from integers (no float rounding)."""
    sign = "-" if ns < 0 else ""
    ns = abs(ns)
    return f"{sign}{ns // NS_PER_S}.{ns % NS_PER_S:09d}"


def _line(t_ns: int, who: str, text: str) -> str:
    return f"{seconds(t_ns):>16} s  {who}  {text}"


@dataclass(slots=True)
class Call:
    """One system call through a host's syscall layer (``k.sys`` and every stand-in built on it)."""

    t_ns: int  # at entry
    host: str
    tid: int
    thread: str
    name: str
    args: tuple[str, ...]
    end_ns: int = -1  # at exit; -1 while the call is in progress
    result: str = ""  # the return value, formatted
    error: str = ""  # "EAGAIN (Resource temporarily unavailable)", or "ValueError: ..." for other exceptions
    errno: int = 0  # the errno of an OSError (then ``error`` is its name and message)
    slept: bool = False  # it blocked at least once: its exit is a Return record of its own
    end_seq: int = -1  # how many records there were when it returned (for exporters: where it ends)

    @property
    def done(self) -> bool:
        return self.end_ns >= 0

    @property
    def outcome(self) -> str:
        """``= b'abc'``, ``= -1 EAGAIN (...)``, ``raised ValueError: ...`` or ``...`` while in progress."""
        if not self.done:
            return "..."
        if self.error:
            return f"= -1 {self.error}" if self.errno else f"raised {self.error}"
        return f"= {self.result}"

    def signature(self) -> str:
        return f"{self.name}({', '.join(self.args)})"

    def __str__(self) -> str:
        who = f"{self.thread}@{self.host}"
        if self.slept or not self.done:
            return _line(self.t_ns, who, f"{self.signature()} <unfinished ...>")
        return _line(self.t_ns, who, f"{self.signature()} {self.outcome}")


@dataclass(slots=True)
class Return:
    """The end of a call that slept (strace's ``<... read resumed>``)."""

    t_ns: int
    host: str
    tid: int
    thread: str
    call: Call

    def __str__(self) -> str:
        slept = seconds(self.t_ns - self.call.t_ns)
        text = f"<... {self.call.name} resumed> {self.call.outcome}  [after {slept} s]"
        return _line(self.t_ns, f"{self.thread}@{self.host}", text)


@dataclass(slots=True)
class Block:
    """A thread went to sleep: on what (``what``), hooked how on each wait queue, until when."""

    t_ns: int
    host: str
    tid: int
    thread: str
    what: str
    queues: tuple[str, ...]  # one entry per wait queue: "head", "tail_exclusive" or "head_exclusive"
    deadline_ns: int | None

    def __str__(self) -> str:
        how = ", ".join(self.queues) if self.queues else "no wait queue"
        until = f", until {seconds(self.deadline_ns)} s" if self.deadline_ns is not None else ""
        return _line(self.t_ns, f"{self.thread}@{self.host}", f"blocks in {self.what} [{how}{until}]")


@dataclass(slots=True)
class Wake:
    """A blocked thread was woken: ``waker`` (a thread, or ``(timer)``) made it runnable."""

    t_ns: int
    host: str
    tid: int
    thread: str
    waker_tid: int  # 0 for a timer
    waker: str
    waker_host: str

    def __str__(self) -> str:
        by = self.waker if self.waker_tid == 0 else f"{self.waker}@{self.waker_host}"
        return _line(self.t_ns, f"{self.thread}@{self.host}", f"woken by {by}")


@dataclass(slots=True)
class Timeout:
    """A blocked thread's deadline passed before anything woke it."""

    t_ns: int
    host: str
    tid: int
    thread: str

    def __str__(self) -> str:
        return _line(self.t_ns, f"{self.thread}@{self.host}", "timed out")


@dataclass(slots=True)
class Start:
    """A thread was started (``Thread.start``) by ``parent``."""

    t_ns: int
    host: str
    tid: int
    thread: str
    parent_tid: int
    parent: str

    def __str__(self) -> str:
        return _line(self.t_ns, f"{self.thread}@{self.host}", f"started by {self.parent} (tid {self.tid})")


@dataclass(slots=True)
class Exit:
    """A thread's function returned (``error`` empty) or raised."""

    t_ns: int
    host: str
    tid: int
    thread: str
    error: str = ""

    def __str__(self) -> str:
        text = f"exits with {self.error}" if self.error else "exits"
        return _line(self.t_ns, f"{self.thread}@{self.host}", text)


@dataclass(slots=True)
class Switch:
    """The scheduler switched from thread ``tid`` to ``to_tid``."""

    t_ns: int
    host: str
    tid: int
    thread: str
    to_tid: int
    to: str

    def __str__(self) -> str:
        return _line(self.t_ns, f"{self.thread}@{self.host}", f"switches to {self.to}")


@dataclass(slots=True)
class ClockJump:
    """No thread could run: the clock jumped to the next timer's deadline, ``to_ns``."""

    t_ns: int
    to_ns: int

    def __str__(self) -> str:
        return _line(self.t_ns, "(clock)", f"jumps +{seconds(self.to_ns - self.t_ns)} s to {seconds(self.to_ns)} s")


@dataclass(slots=True)
class Signal:
    """A signal was sent to ``host``'s process (``tid``/``thread``: its target) by ``sender``
    (a thread, or ``(timer)`` for an alarm or a clock callback); ``action`` is what its
    disposition made of it: "handler", "ignore", "terminate", "core"."""

    t_ns: int
    host: str
    tid: int
    thread: str
    signum: int
    name: str
    sender_tid: int  # 0 for a timer
    sender: str
    action: str

    def __str__(self) -> str:
        text = f"--- {self.name} ({self.signum}) from {self.sender}: {self.action} ---"
        return _line(self.t_ns, f"{self.thread}@{self.host}", text)


Record = Call | Return | Block | Wake | Timeout | Start | Exit | Switch | ClockJump | Signal


# -- formatting values ---------------------------------------------------------------


def fmt(value: Any) -> str:
    """A short, deterministic rendering of a call's argument or result."""
    cls = value.__class__
    if cls is int or cls is bool or value is None:
        return repr(value)
    if isinstance(value, (bytes, bytearray, memoryview)):
        return _fmt_bytes(value)
    if isinstance(value, int):  # IntFlag and other int subclasses: the number
        return str(int(value))
    if isinstance(value, (str, float)):
        text = repr(value)
        return text if len(text) <= 2 * BYTES_SHOWN else text[: 2 * BYTES_SHOWN] + f"...({len(text)} chars)"
    if isinstance(value, _os.stat_result):
        return f"{{st_mode={oct(value.st_mode)}, st_ino={value.st_ino}, st_size={value.st_size}}}"
    if isinstance(value, (list, tuple)):
        shown = [fmt(v) for v in value[:ITEMS_SHOWN]]
        if len(value) > ITEMS_SHOWN:
            shown.append(f"...({len(value)} items)")
        if isinstance(value, tuple):
            return f"({shown[0]},)" if len(shown) == 1 else f"({', '.join(shown)})"
        return f"[{', '.join(shown)}]"
    return f"<{cls.__name__}>"  # never the default repr: it prints an address


def _fmt_bytes(value: bytes | bytearray | memoryview) -> str:
    n = value.nbytes if isinstance(value, memoryview) else len(value)
    head = bytes(value[:BYTES_SHOWN]) if n > BYTES_SHOWN else bytes(value)
    if n > BYTES_SHOWN:
        return f"{head!r}...({n} bytes)"
    return repr(head)


def fmt_error(exc: BaseException) -> str:
    """``EAGAIN (Resource temporarily unavailable)`` for an OSError with an errno; else ``Type: message``."""
    if isinstance(exc, OSError) and exc.errno is not None and exc.errno in _errno.errorcode:
        return f"{_errno.errorcode[exc.errno]} ({exc.strerror})"
    message = str(exc).split("\n", 1)[0]
    return f"{type(exc).__name__}: {message}" if message else type(exc).__name__


def fmt_args(name: str, args: tuple[Any, ...], kwargs: dict[str, Any]) -> tuple[str, ...]:
    """The arguments as strace would show them: flags, operations and masks by name (``strace.py``)."""
    out = [fmt(a) for a in args]
    decode_args(name, args, out)
    out.extend(f"{key}={fmt(value)}" for key, value in kwargs.items())
    return tuple(out)


def fmt_result(name: str, result: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> str:
    if name == "epoll_wait" and isinstance(result, list):
        as_fd = args[3] if len(args) >= 4 else kwargs.get("as_fd", False)
        if as_fd:  # CPython's (fd, events) pairs
            pairs = [f"({fmt(fd)}, {_mask(ev)})" for fd, ev in result[:ITEMS_SHOWN]]
        else:  # Linux's (events, data) pairs
            pairs = [f"({_mask(ev)}, {fmt(data)})" for ev, data in result[:ITEMS_SHOWN]]
        if len(result) > ITEMS_SHOWN:
            pairs.append(f"...({len(result)} items)")
        return f"[{', '.join(pairs)}]"
    if name == "poll" and isinstance(result, list):
        return decode_poll_result(result)
    if result is None:  # a call that returns nothing returned 0, as strace shows it
        return "0"
    return fmt(result)
