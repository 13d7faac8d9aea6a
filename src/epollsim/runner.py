"""Running one seed of a program, purely, and many seeds in a pool of processes.

``run_one(program, seed, schedule)`` is the unit of exploration: it builds a
fresh ``Kernel(seed, schedule=schedule)``, runs the program on it and returns
an ``Outcome`` (plain data that pickles): passed, or the failure's kind,
message and trimmed traceback, the command that replays it, and a digest of
what the run did. Nothing survives the call: a program file is executed
afresh for every seed (so module-level state in it never leaks from one seed
into the next, whichever process ran the seed before), the entries it needed
in ``sys.modules`` and ``sys.path`` are restored, and the kernel is dropped.

A *program* is one of:

- a callable taking the kernel (in-process only, or in a pool when it pickles,
  i.e. a top-level function of an importable module);
- ``"package.module:function"``: an importable function taking the kernel
  (imported once per process, as pickle would; keep its module free of
  mutable state the function relies on);
- ``"path/to/prog.py"``: a file defining ``main(kernel)``, executed afresh for
  each seed. A file with no ``main(kernel)`` is a whole unmodified program:
  it is run as ``__main__`` under ``kernel.patch()`` when the kernel offers
  it (``Unsupported`` until then). ``"path/to/prog.py:name"`` picks another
  function than ``main``.

A seed *fails* when the program raises, in the main thread or in any green
thread it started (a thread's exception is printed as ``threading`` prints it,
and also fails the seed: a race usually shows as an assertion in a worker).

``explore_pool`` runs seeds in chunks in a ``concurrent.futures`` process
pool (``spawn`` by default: a fresh interpreter per worker, inheriting
nothing). Results are delivered in seed order whatever order the chunks
finish in, and ``stop_at_first`` stops at the first failing seed *in seed
order*, so ``jobs=N`` reports exactly what ``jobs=1`` reports. The digest of
an exploration hashes every seed's digest in seed order, so two runs (any
``jobs``) agree on it exactly when every seed did the same thing.
"""
from __future__ import annotations

import array
import ast
import builtins
import contextlib
import hashlib
import importlib
import io
import os
import shlex
import sys
import traceback
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from .errors import Unsupported
from .kernel import Kernel

_PACKAGE_DIR = os.path.dirname(os.path.abspath(__file__))
_MODULE_NAME = "__epollsim_program__"
OUTPUT_KEPT = 4000  # characters of a failing seed's captured output kept in its Outcome


# -- programs -----------------------------------------------------------------


@dataclass(frozen=True)
class Program:
    """A program reference that pickles: what ``run_one`` runs."""

    display: str  # as the user wrote it (what replay commands show)
    path: str = ""  # a program file, absolute
    module: str = ""  # an importable module
    function: str = ""  # the function's name (file: "" means main, if it takes the kernel)
    call: Callable[..., Any] | None = field(default=None, compare=False)  # a callable given directly

    @property
    def is_file(self) -> bool:
        return bool(self.path)


def program_ref(program: str | Callable[..., Any] | Program) -> Program:
    """Understand ``program`` (a callable, ``"module:function"``, ``"prog.py"`` or ``"prog.py:function"``)."""
    if isinstance(program, Program):
        return program
    if callable(program):
        name = getattr(program, "__qualname__", None) or repr(program)
        return Program(display=name, call=program)
    text = str(program)
    path, sep, func = text.rpartition(":")
    if not sep or not (path.endswith(".py") or os.path.sep in path):
        path, func = text, ""
    if path.endswith(".py") or os.path.exists(path):
        return Program(display=text, path=os.path.abspath(path), function=func)
    module, sep, func = text.partition(":")
    if not sep or not module or not func:
        raise ValueError(f"{text!r} is neither a .py file nor a 'module:function' reference")
    return Program(display=text, module=module, function=func)


def defines_main(path: str, function: str = "main") -> bool:
    """Whether the file defines ``function(kernel)`` at top level (read, never executed)."""
    return _compiled(path)[1] if function == "main" else _takes_argument(_parse(path), function)


def _parse(path: str) -> ast.Module:
    with open(path, "rb") as f:
        return ast.parse(f.read(), filename=path)


def _takes_argument(tree: ast.Module, function: str) -> bool:
    for node in tree.body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.name == function:
            args = node.args
            return bool(args.posonlyargs or args.args or args.vararg)
    return False


# Compiled program files, by (path, mtime, size): compiling is pure, so sharing it between seeds is
# safe (executing is not, and happens afresh for every seed). One entry: one program at a time.
_COMPILED: dict[tuple[str, int, int], tuple[Any, bool]] = {}


def _compiled(path: str) -> tuple[Any, bool]:
    """(code object, whether it defines main(kernel)) for a program file."""
    st = os.stat(path)
    key = (path, st.st_mtime_ns, st.st_size)
    found = _COMPILED.get(key)
    if found is None:
        tree = _parse(path)
        found = (compile(tree, path, "exec", dont_inherit=True), _takes_argument(tree, "main"))
        _COMPILED.clear()
        _COMPILED[key] = found
    return found


@contextlib.contextmanager
def _program_context(path: str) -> Iterator[None]:
    """What ``python prog.py`` gives a program: its directory first on sys.path. Restored after."""
    saved_path = list(sys.path)
    saved_module = sys.modules.get(_MODULE_NAME)
    sys.path.insert(0, os.path.dirname(path))
    try:
        yield
    finally:
        sys.path[:] = saved_path
        if saved_module is None:
            sys.modules.pop(_MODULE_NAME, None)
        else:
            sys.modules[_MODULE_NAME] = saved_module


def load(program: Program) -> Callable[[Kernel], Any]:
    """The function to call with the kernel (a program file's module code runs here, once per call)."""
    if program.call is not None:
        return program.call
    if program.module:
        target: Any = importlib.import_module(program.module)
        for part in program.function.split("."):
            target = getattr(target, part)
        return target  # type: ignore[no-any-return]
    function = program.function or "main"
    if program.function or defines_main(program.path):
        code = _compiled(program.path)[0]
        module = type(sys)(_MODULE_NAME)
        module.__file__ = program.path
        module.__builtins__ = builtins  # type: ignore[attr-defined]
        sys.modules[_MODULE_NAME] = module  # dataclasses, pickle and typing look modules up by name
        exec(code, module.__dict__)
        entry = module.__dict__.get(function)
        if not callable(entry):
            raise Unsupported(f"{program.display} defines no function {function}(kernel)")
        return entry  # type: ignore[no-any-return]
    if getattr(Kernel, "patch", None) is None:
        raise Unsupported(whole_program_message(program.display))

    def whole_program(kernel: Kernel) -> None:
        import runpy

        with kernel.patch():  # type: ignore[attr-defined]
            runpy.run_path(program.path, run_name="__main__")

    return whole_program


def whole_program_message(display: str) -> str:
    return (
        f"{display} defines no main(kernel), and running a whole unmodified program (under "
        "Kernel.patch()) is not available in this version of epollsim yet; define main(kernel) "
        "and use the kernel's stand-ins (kernel.os, kernel.socket, kernel.threading, ...)"
    )


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

    def __str__(self) -> str:
        if self.passed:
            return f"seed {self.seed}: passed"
        where = "" if self.thread in ("", "MainThread") else f" (in thread {self.thread})"
        first = self.message.splitlines()[0] if self.message else ""
        return f"seed {self.seed}: {self.kind}{where}: {first}\n  replay: {self.replay}"


def replay_command(program: Program, seed: int, schedule: str = "random") -> str:
    """The exact command (for references) or call (for callables) that reruns ``seed``."""
    if program.call is not None:
        extra = "" if schedule == "random" else f", schedule={schedule!r}"
        return f"epollsim.run_seed({program.display}, {seed}{extra})"
    extra = "" if schedule == "random" else f" --schedule {schedule}"
    return f"epollsim replay {shlex.quote(program.display)} --seed {seed}{extra}"


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
    schedule: str = "random",
    *,
    capture: bool = False,
    trace: bool = False,
    trace_path: str | None = None,
) -> tuple[Outcome, BaseException | None]:
    """``run_one``, also returning the exception object that failed the seed (in-process use)."""
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
            stack.enter_context(_program_context(prog.path))
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
        except Exception as exc:  # the program's failure: reported as data, never swallowed
            error, thread = exc, "MainThread"
        else:
            for name, died in thread_errors(kernel, watched)[:1]:
                error, thread = died, name
    now = _now(kernel)
    nthreads = len(_threads(kernel))
    written = ""
    if trace_path and kernel is not None:
        kernel.trace.write(trace_path)
        written = trace_path
    if error is None:
        facts = f"passed\0{now}\0{nthreads}"
        digest = _digest(facts, kernel)
        return Outcome(seed, schedule, True, virtual_ns=now, threads=nthreads, digest=digest, trace_file=written), None
    kind = type(error).__name__
    message = str(error)
    facts = f"{kind}\0{thread}\0{message}\0{now}\0{nthreads}"
    output = sink.getvalue()[-OUTPUT_KEPT:] if sink is not None else ""
    outcome = Outcome(
        seed, schedule, False, kind=kind, message=message, thread=thread,
        traceback=user_traceback(error), replay=replay_command(prog, seed, schedule), output=output,
        virtual_ns=now, threads=nthreads, digest=_digest(facts, kernel), phase=phase, trace_file=written,
    )
    return outcome, error


def run_one(
    program: str | Callable[..., Any] | Program,
    seed: int,
    schedule: str = "random",
    *,
    capture: bool = False,
    trace: bool = False,
    trace_path: str | None = None,
) -> Outcome:
    """Run ``program`` once on a fresh ``Kernel(seed, schedule=schedule)``; what happened, as data.

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


# -- many seeds -----------------------------------------------------------------


@dataclass(frozen=True)
class ChunkResult:
    """What a worker sends back for one chunk of seeds: the failures and every seed's digest."""

    index: int
    runs: int
    digests: bytes  # 16 bytes per seed run, in seed order
    failures: list[Outcome]


def run_chunk(
    program: Program, index: int, seeds: Sequence[int], schedule: str, stop_at_first: bool, trace: bool = False
) -> ChunkResult:
    """Run ``seeds`` in order (in a worker process); output is captured into failing outcomes."""
    digests = bytearray()
    failures: list[Outcome] = []
    runs = 0
    for seed in seeds:
        outcome = run_one(program, seed, schedule, capture=True, trace=trace)
        runs += 1
        digests += bytes.fromhex(outcome.digest)
        if not outcome.passed:
            failures.append(outcome)
            if stop_at_first or outcome.phase == "load":
                break
    return ChunkResult(index, runs, bytes(digests), failures)


def chunk_size_for(total: int, jobs: int) -> int:
    """About 16 chunks per worker (progress and stop_at_first stay responsive), 1 to 256 seeds each."""
    return max(1, min(256, total // (jobs * 16) or 1))


def explore_pool(
    program: Program,
    seeds: Sequence[int],
    *,
    schedule: str = "random",
    jobs: int = 2,
    stop_at_first: bool = False,
    progress: Callable[[int, int, int], None] | None = None,
    start_method: str = "spawn",
    chunk_size: int | None = None,
    trace: bool = False,
) -> tuple[int, list[Outcome], str]:
    """Run ``seeds`` over ``jobs`` processes; (seeds run, failures in seed order, digest)."""
    import concurrent.futures
    import multiprocessing
    import pickle

    try:
        pickle.dumps(program)
    except (pickle.PicklingError, AttributeError, TypeError) as exc:
        raise TypeError(
            f"explore(jobs={jobs}) runs the program in other processes, so it must pickle: pass a "
            f"top-level function of an importable module, 'module:function' or a .py file, not "
            f"{program.display} ({exc})"
        ) from None
    size = chunk_size or chunk_size_for(len(seeds), jobs)
    chunks = [seeds[i : i + size] for i in range(0, len(seeds), size)]
    done: dict[int, ChunkResult] = {}
    stop_after: int | None = None  # the first chunk (in seed order) that ended the exploration
    finished = failed = 0
    context = multiprocessing.get_context(start_method)
    with concurrent.futures.ProcessPoolExecutor(max_workers=jobs, mp_context=context) as pool:
        pending: dict[concurrent.futures.Future[ChunkResult], int] = {}
        following = 0
        window = jobs * 4

        def fill() -> None:
            nonlocal following
            while following < len(chunks) and len(pending) < window:
                if stop_after is not None and following > stop_after:
                    return
                future = pool.submit(
                    run_chunk, program, following, chunks[following], schedule, stop_at_first, trace
                )
                pending[future] = following
                following += 1

        fill()
        while pending:
            finished_now, _ = concurrent.futures.wait(pending, return_when=concurrent.futures.FIRST_COMPLETED)
            for future in finished_now:
                index = pending.pop(future)
                result = future.result()
                done[index] = result
                finished += result.runs
                failed += len(result.failures)
                ends = result.failures and (stop_at_first or result.failures[-1].phase == "load")
                if ends and (stop_after is None or index < stop_after):
                    stop_after = index
            if stop_after is not None:
                for future, index in list(pending.items()):
                    if index > stop_after and future.cancel():
                        del pending[future]
            if progress is not None:
                progress(finished, len(seeds), failed)
            fill()
    last = stop_after if stop_after is not None else len(chunks) - 1
    runs = 0
    failures: list[Outcome] = []
    h = hashlib.blake2b(digest_size=16)
    for index in range(last + 1):
        result = done[index]
        runs += result.runs
        failures.extend(result.failures)
        h.update(result.digests)
    return runs, failures, h.hexdigest()


def explore_inline(
    program: Program,
    seeds: Sequence[int],
    *,
    schedule: str = "random",
    stop_at_first: bool = False,
    progress: Callable[[int, int, int], None] | None = None,
    capture: bool = False,
    trace: bool = False,
) -> tuple[int, list[tuple[Outcome, BaseException | None]], str]:
    """``explore_pool`` in this process, keeping each failure's exception object."""
    runs = 0
    failures: list[tuple[Outcome, BaseException | None]] = []
    h = hashlib.blake2b(digest_size=16)
    total = len(seeds)
    for seed in seeds:
        outcome, error = run_with_error(program, seed, schedule, capture=capture, trace=trace)
        runs += 1
        h.update(bytes.fromhex(outcome.digest))
        if not outcome.passed:
            failures.append((outcome, error))
        if progress is not None and (runs % 64 == 0 or runs == total):
            progress(runs, total, len(failures))
        if not outcome.passed and (stop_at_first or outcome.phase == "load"):
            break
    if progress is not None and runs % 64 and runs != total:
        progress(runs, total, len(failures))
    return runs, failures, h.hexdigest()


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
