"""Running one seed of a program, purely: ``run_one`` and its ``Outcome``.

``run_one(program, seed, schedule)`` is the unit of exploration: it builds a
fresh ``Kernel(seed, schedule=schedule)``, runs the program on it and returns
an ``Outcome`` (plain data that pickles): passed, or the failure's kind,
message and trimmed traceback, the command that replays it, and a digest of
what the run did. Nothing survives the call: a program file is executed
afresh for every seed (so module-level state in it never leaks from one seed
into the next, whichever process ran the seed before), the entries it needed
in ``sys.modules`` and ``sys.path`` are restored, and the kernel is dropped.

What a *program* is (a callable, ``module:function``, a file) and how it is
loaded: ``programs.py``. Many seeds, in this process or a pool: ``pool.py``.

A seed *fails* when the program raises, in the main thread or in any green
thread it started (a thread's exception is printed as ``threading`` prints it,
and also fails the seed: a race usually shows as an assertion in a worker).
"""
from __future__ import annotations

import array
import contextlib
import hashlib
import io
import os
import shlex
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ..errors import Terminated, Unsupported
from ..kernel import Kernel
from ..sched.named import schedule_id
from .programs import (  # noqa: F401  (re-exported: the runner's public names before programs.py)
    Program,
    defines_main,
    load,
    program_context,
    program_ref,
    whole_program_message,
)

_PACKAGE_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))  # src/epollsim, above tools/
OUTPUT_KEPT = 4000  # characters of a failing seed's captured output kept in its Outcome
# How a replay command starts. The command line prints it as the user invoked epollsim instead
# (``cli.invocation``), so that the line runs as printed from where the user is.
REPLAY_PREFIX = "python -m epollsim"


# -- outcomes -----------------------------------------------------------------


@dataclass(frozen=True)
class Outcome:
    """What one seed did: plain data, the same in every process."""

    seed: int
    schedule: str
    passed: bool
    kind: str = ""  # the exception's type name when it failed ("AssertionError", "Deadlock", ...)
    message: str = ""  # str() of the exception
    thread: str = ""  # the thread that raised it ("MainThread", "Thread-1", ...)
    traceback: str = ""  # the program's traceback, epollsim's own frames left out
    replay: str = ""  # the command (or call) that reruns this seed
    output: str = ""  # captured stdout and stderr (only when captured), the last OUTPUT_KEPT characters
    virtual_ns: int = 0  # the virtual clock when the run ended
    threads: int = 0  # threads the run created, MainThread included
    digest: str = ""  # blake2b of the above facts and the scheduler's random state
    phase: str = "run"  # "load" when the program never started (a syntax error, no main, ...)
    trace_file: str = ""  # where the run's trace was written (``trace_path``)
    trace_error: str = ""  # why it could not be written there (the run's own result stands)

    def __str__(self) -> str:
        if self.passed:
            return f"seed {self.seed}: passed"
        where = "" if self.thread in ("", "MainThread") else f" (in thread {self.thread})"
        first = self.message.splitlines()[0] if self.message else ""
        return f"seed {self.seed}: {self.kind}{where}: {first}\n  replay: {self.replay}"


def replay_command(program: Program, seed: int, schedule: str = "random") -> str:
    """The exact command (for references) or call (for callables) that reruns ``seed`` (a systematic
    schedule, ``systematic:3=1``, names the whole run: no seed)."""
    systematic = schedule.partition(":")[0] == "systematic"
    if program.call is not None:
        if systematic:
            return f"epollsim.run_seed({program.display}, schedule={schedule!r})"
        extra = "" if schedule == "random" else f", schedule={schedule!r}"
        return f"epollsim.run_seed({program.display}, {seed}{extra})"
    name, _, depth = schedule.partition(":")
    if systematic:
        return f"{REPLAY_PREFIX} replay {shlex.quote(program.display)} --schedule {shlex.quote(schedule)}"
    extra = "" if schedule == "random" else f" --schedule {name}" + (f" --depth {depth}" if depth else "")
    return f"{REPLAY_PREFIX} replay {shlex.quote(program.display)} --seed {seed}{extra}"


def user_traceback(exc: BaseException) -> str:
    """``exc`` formatted as Python would, leaving out epollsim's frames (and the runner's)."""
    te = traceback.TracebackException(type(exc), exc, exc.__traceback__)
    _trim(te, set())
    return "".join(te.format())


def _trim(te: traceback.TracebackException, seen: set[int]) -> None:
    if id(te) in seen:
        return
    seen.add(id(te))
    kept = [f for f in te.stack if not _ours(f.filename)]
    te.stack = traceback.StackSummary.from_list(kept)
    for name in ("__cause__", "__context__"):
        nested = getattr(te, name)
        if nested is None:
            continue
        if nested.stack and all(_ours(f.filename) for f in nested.stack):
            setattr(te, name, None)  # raised and handled inside epollsim: not the program's business
        else:
            _trim(nested, seen)


def prune_traceback(exc: BaseException) -> None:
    """Leave epollsim's frames out of ``exc``'s traceback and its causes' (in place, relinking the
    traceback objects), as ``user_traceback`` does for text, so that pytest shows the user's frames.
    A ``KernelBug`` keeps them: it is a bug of ours, to debug. Frames all ours are left as they are."""
    from ..errors import KernelBug

    seen: set[int] = set()
    pending: list[BaseException | None] = [exc]
    while pending:
        error = pending.pop()
        if error is None or id(error) in seen or isinstance(error, KernelBug):
            continue
        seen.add(id(error))
        kept = []
        tb = error.__traceback__
        while tb is not None:
            if not _ours(tb.tb_frame.f_code.co_filename):
                kept.append(tb)
            tb = tb.tb_next
        if kept:
            for this, after in zip(kept, [*kept[1:], None]):
                this.tb_next = after
            error.__traceback__ = kept[0]
        pending.extend((error.__cause__, error.__context__))


def _ours(filename: str) -> bool:
    return (
        filename.startswith(_PACKAGE_DIR + os.sep)
        or filename.startswith("<frozen ")
        or os.path.basename(filename) == "runpy.py"
    )


def _trace_digest(kernel: Kernel) -> bytes:
    """The digest of the run's trace, when one was recorded (``trace=True``)."""
    tracer = getattr(kernel, "trace", None)
    if tracer is not None and getattr(tracer, "on", False):
        return str(tracer.digest()).encode()
    return b""


def _digest(outcome_facts: str, kernel: Kernel | None) -> str:
    h = hashlib.blake2b(outcome_facts.encode("utf-8", "backslashreplace"), digest_size=16)
    if kernel is not None:
        version, internal, gauss = kernel.random.getstate()  # how many choices were drawn, in effect
        h.update(array.array("Q", internal).tobytes())
        h.update(f"{version}\0{gauss}".encode())
        h.update(_trace_digest(kernel))
    return h.hexdigest()


def run_with_error(
    program: str | Callable[..., Any] | Program,
    seed: int,
    schedule: str | Any = "random",
    *,
    capture: bool = False,
    trace: bool = False,
    trace_path: str | None = None,
    trace_window: tuple[float | None, float | None] = (None, None),
) -> tuple[Outcome, BaseException | None]:
    """``run_one``, also returning the exception object that failed the seed (in-process use).

    ``trace_window`` is the (start, end) of virtual time, in seconds, that a picture written to
    ``trace_path`` draws (either may be None: open)."""
    prog = program_ref(program)
    kernel: Kernel | None = None
    error: BaseException | None = None
    thread = ""
    phase = "load"
    sink = io.StringIO() if capture else None
    with contextlib.ExitStack() as stack:
        if sink is not None:
            stack.enter_context(contextlib.redirect_stdout(sink))
            stack.enter_context(contextlib.redirect_stderr(sink))
        if prog.path:
            stack.enter_context(program_context(prog.path))
        try:
            entry = load(prog)
            kernel = Kernel(seed, schedule=schedule)
            if trace or trace_path:
                kernel.trace.start()
            watched = watch_thread_errors(kernel)
            phase = "run"
            entry(kernel)
        except SystemExit as exc:  # sys.exit() ends a run: a failure unless its status is 0
            if exc.code not in (None, 0):
                error, thread = exc, "MainThread"
        except (Exception, Terminated) as exc:  # the program's failure (or death by a signal): reported as data
            error, thread = exc, "MainThread"
        else:
            for name, died in thread_errors(kernel, watched)[:1]:
                error, thread = died, name
    now = _now(kernel)
    nthreads = len(_threads(kernel))
    schedule = schedule_id(schedule)  # a chooser's name (a systematic one's: what it took)
    written = unwritten = ""
    if trace_path and kernel is not None:
        try:  # an output error (no matplotlib for .png, a bad directory) never hides the run's result
            kernel.trace.write(trace_path, *trace_window)
            written = trace_path
        except (ImportError, OSError) as exc:
            unwritten = f"{type(exc).__name__}: {exc}"
    if error is None:
        facts = f"passed\0{now}\0{nthreads}"
        digest = _digest(facts, kernel)
        return Outcome(
            seed, schedule, True, virtual_ns=now, threads=nthreads, digest=digest, trace_file=written,
            trace_error=unwritten,
        ), None
    kind = type(error).__name__
    message = str(error)
    facts = f"{kind}\0{thread}\0{message}\0{now}\0{nthreads}"
    output = sink.getvalue()[-OUTPUT_KEPT:] if sink is not None else ""
    outcome = Outcome(
        seed, schedule, False, kind=kind, message=message, thread=thread,
        traceback=user_traceback(error), replay=replay_command(prog, seed, schedule), output=output,
        virtual_ns=now, threads=nthreads, digest=_digest(facts, kernel), phase=phase, trace_file=written,
        trace_error=unwritten,
    )
    return outcome, error


def run_one(
    program: str | Callable[..., Any] | Program,
    seed: int,
    schedule: str | Any = "random",
    *,
    capture: bool = False,
    trace: bool = False,
    trace_path: str | None = None,
) -> Outcome:
    """Run ``program`` once on a fresh ``Kernel(seed, schedule=schedule)``; what happened, as data.
    ``schedule`` is a name (``sched/named.py``) or a chooser.

    ``capture`` keeps the program's output (in a failing outcome); ``trace`` records the run's
    trace so that the digest covers it; ``trace_path`` also writes it there (by suffix: .json
    Perfetto, .svg, .png, else text)."""
    return run_with_error(program, seed, schedule, capture=capture, trace=trace, trace_path=trace_path)[0]


def watch_thread_errors(kernel: Any) -> list[tuple[str, BaseException]]:
    """Record each exception that ends one of ``kernel``'s threads, as (thread name, exception),
    by wrapping ``kernel.threading.excepthook`` (which still reports it, as ``threading`` does).
    A program that installs its own hook takes over; SystemExit ends a thread silently."""
    died: list[tuple[str, BaseException]] = []
    module = getattr(kernel, "threading", None)
    original = getattr(module, "excepthook", None)
    if module is None or original is None:
        return died

    def excepthook(args: Any, /) -> None:
        if args.exc_value is not None and not isinstance(args.exc_value, SystemExit):
            died.append((args.thread.name if args.thread is not None else "?", args.exc_value))
        original(args)

    try:
        module.excepthook = excepthook
    except (AttributeError, TypeError, Unsupported):
        pass
    return died


def thread_errors(kernel: Any, watched: list[tuple[str, BaseException]]) -> list[tuple[str, BaseException]]:
    """The watched exceptions, or (where threads bypass excepthook) those the scheduler kept."""
    if watched:
        return watched
    return [(t.name, t.exc) for t in _threads(kernel) if getattr(t, "exc", None) is not None]


def _threads(kernel: Kernel | None) -> list[Any]:
    sched = getattr(kernel, "sched", None)
    return list(getattr(sched, "threads", {}).values())


def _now(kernel: Kernel | None) -> int:
    return int(getattr(kernel, "now_ns", 0) or 0) if kernel is not None else 0



def parse_seed_range(text: str) -> range:
    """``"A:B"`` (seeds A to B-1) or ``"B"`` (0 to B-1), as the command line and pytest take them."""
    start, sep, stop = text.partition(":")
    try:
        first, end = (int(start or 0), int(stop)) if sep else (0, int(start))
    except ValueError:
        raise ValueError(f"seed range {text!r} is not A:B (seeds A to B-1) or B (seeds 0 to B-1)") from None
    if first < 0 or end < first:
        raise ValueError(f"seed range {text!r} is empty or negative")
    return range(first, end)
