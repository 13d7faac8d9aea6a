"""The ``run``, ``replay``, ``explore`` and ``diff`` commands of ``python -m epollsim`` (``epollsim``).

A program is a Python file defining ``main(kernel)``: a function written
against the kernel's stand-ins (``kernel.os``, ``kernel.select``,
``kernel.socket``, ``kernel.fcntl``, ``kernel.time``, ``kernel.threading``).
The file is executed afresh for every seed. (``module:function`` names an
importable function instead.) A file without ``main(kernel)`` is a whole
unmodified program, run as ``__main__`` under ``kernel.patch()``. ``replay``
writes the run's trace (``--trace FILE``; ``run`` does on request).

Exit status: 0 when every seed passed, 1 when the program failed (its own
traceback is printed, epollsim's frames left out), 2 for a usage error (a
program, function or module that does not exist, an unreachable Dask
scheduler, a trace format that cannot be written) and when the program passed
but its trace could not be written. Replay lines start as the user started
epollsim (``invocation``), so that they run as printed.
"""
from __future__ import annotations

import argparse
import ast
import importlib.util
import os
import shlex
import shutil
import sys
from typing import Any, TextIO

from ..kernel import Kernel
from ..sched.named import DEFAULT_DEPTH, pct_name
from ..sched.systematic import Systematic
from .dask_explore import SchedulerUnreachable
from .exploration import explore, explore_systematic, systematic_exploration
from .progress import Progress
from .runner import (
    REPLAY_PREFIX,
    Program,
    defines_main,
    parse_seed_range,
    program_ref,
    run_with_error,
    whole_program_message,
)

LISTED = 10  # seeds listed for each distinct failure
TRACE_FORMATS = ".json: Perfetto trace-event JSON, .svg/.png: timeline picture, else text"


def _seeds(text: str) -> range:
    try:
        return parse_seed_range(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def add_commands(sub: Any) -> None:
    """Add ``run``, ``replay`` and ``explore`` to the ``epollsim`` argument parser."""
    prog_help = "a Python file defining main(kernel) (or module:function)"
    run = sub.add_parser("run", help="run a program once on the model, under one seed")
    run.add_argument("program", metavar="PROG.py", help=prog_help)
    run.add_argument("--seed", type=int, default=0, help="the seed of the schedule (default 0)")
    run.add_argument("--trace", metavar="FILE", help=f"write the run's trace to FILE ({TRACE_FORMATS})")
    replay = sub.add_parser("replay", help="rerun one seed of a program (as explore's report says), traced")
    replay.add_argument("program", metavar="PROG.py", help=prog_help)
    replay.add_argument("--seed", type=int, help="the seed to rerun (none with a systematic schedule)")
    replay.add_argument(
        "--trace", metavar="FILE",
        help=f"where to write the trace ({TRACE_FORMATS}; default PROG.seedN.trace.json here; '' for none)",
    )
    for parser in (run, replay):
        parser.add_argument("--from", dest="trace_from", type=float, metavar="SECONDS",
                            help="with --trace FILE.svg/.png: draw from this virtual time on")
        parser.add_argument("--to", dest="trace_to", type=float, metavar="SECONDS",
                            help="with --trace FILE.svg/.png: draw up to this virtual time")
    explore_cmd = sub.add_parser("explore", help="run a program under many seeds and report the failing ones")
    explore_cmd.add_argument("program", metavar="PROG.py", help=prog_help)
    explore_cmd.add_argument(
        "--seeds", type=_seeds, default=range(100), metavar="A:B", help="seeds A to B-1 (default 0:100)"
    )
    explore_cmd.add_argument("--jobs", "-j", type=int, default=1, metavar="N", help="processes to use (default 1)")
    explore_cmd.add_argument("--stop-at-first", action="store_true", help="stop at the first failing seed")
    explore_cmd.add_argument(
        "--digest-traces", action="store_true", help="record every seed's trace so that the digests cover it (slower)"
    )
    explore_cmd.add_argument(
        "--dask", metavar="ADDRESS",
        help="run the seeds on a Dask distributed cluster (scheduler address, or 'local' for --jobs local "
        "worker processes; pip install 'epollsim[dask]')",
    )
    diff_cmd = sub.add_parser(
        "diff", help="run a program on the real kernel and on the model; show the first call where they differ"
    )
    diff_cmd.add_argument("program", metavar="PROG.py", help="a Python program (or a file defining main(kernel))")
    diff_cmd.add_argument("--seed", type=int, default=0, help="the model's seed (default 0)")
    diff_cmd.add_argument(
        "--timeout", type=float, default=60.0, metavar="SECONDS", help="give up on the real run after this long"
    )
    diff_cmd.add_argument("--schedule", choices=["fifo", "random"], default="fifo",
                          help="the model's schedule (default fifo)")
    for parser in (run, replay, explore_cmd):
        parser.add_argument(
            "--schedule", type=_schedule_for(parser is explore_cmd), default="random", metavar="SCHEDULE",
            help="how the next runnable thread is chosen: random (the default, drawn from the seed), fifo,"
            " pct (PCT, preemptive, bug depth --depth), or systematic: with explore, every schedule within"
            " --preemptions (no seeds); with run and replay, the schedule an exploration reported"
            " (systematic:I=C,...)",
        )
        parser.add_argument(
            "--depth", type=int, default=DEFAULT_DEPTH, metavar="D",
            help=f"with --schedule pct: the bug depth (default {DEFAULT_DEPTH})",
        )
    explore_cmd.add_argument(
        "--preemptions", type=int, default=2, metavar="N",
        help="with --schedule systematic: the most preemptions a schedule may have (default 2)",
    )


def _schedule_for(explore: bool) -> Any:
    """The ``--schedule`` argument's type: a name, or (run, replay) a systematic schedule's id."""

    def schedule(text: str) -> str:
        if text in ("random", "fifo", "pct", "systematic"):
            return text
        if not explore:
            try:
                Systematic.parse(text)
                return text
            except ValueError as exc:
                if text.startswith("systematic"):
                    raise argparse.ArgumentTypeError(str(exc)) from None
        raise argparse.ArgumentTypeError(
            f"invalid choice: {text!r} (choose from 'random', 'fifo', 'pct', 'systematic'"
            + ("" if explore else ", 'systematic:I=C,...'") + ")"
        )

    return schedule


def dispatch(args: argparse.Namespace) -> int | None:
    """Run the command if it is one of ours (None otherwise)."""
    if args.command == "diff":
        from .diff import diff

        return diff(args.program, seed=args.seed, schedule=args.schedule, timeout=args.timeout)
    if args.command not in ("run", "replay", "explore"):
        return None
    program, problem = _check(args.program)
    if problem:
        print(f"epollsim: {problem}", file=sys.stderr)
        return 2
    if args.depth < 1:
        print("epollsim: --depth must be at least 1", file=sys.stderr)
        return 2
    if args.schedule == "pct":
        args.schedule = pct_name(args.depth)
    if args.command == "explore":
        return _explore(program, args)
    systematic = args.schedule.partition(":")[0] == "systematic"
    if args.seed is None:
        if not systematic:
            print("epollsim replay: --seed is required (except with a systematic schedule)", file=sys.stderr)
            return 2
        args.seed = 0
    trace = args.trace
    if args.command == "replay" and trace is None:
        stem = os.path.splitext(os.path.basename(program.path or program.display.replace(":", ".")))[0]
        name = args.schedule.replace(":", ".").replace(",", "_").replace("=", "-") if systematic else f"seed{args.seed}"
        trace = f"{stem}.{name}.trace.json"
    if trace and trace.endswith(".png") and importlib.util.find_spec("matplotlib") is None:
        print(f"epollsim: --trace {trace} needs matplotlib: pip install 'epollsim[pictures]' "
              "(or write .svg, which needs nothing)", file=sys.stderr)
        return 2
    window = (args.trace_from, args.trace_to)
    problem = _window_problem(trace, window)
    if problem:
        print(f"epollsim: {problem}", file=sys.stderr)
        return 2
    return _run(program, args.seed, args.schedule, trace or None, window)


def _window_problem(trace: str | None, window: tuple[float | None, float | None]) -> str:
    """Why ``--from``/``--to`` cannot be used with ``--trace trace`` ("" when they can)."""
    start, end = window
    if start is None and end is None:
        return ""
    if not trace or not trace.lower().endswith((".svg", ".png")):
        return "--from/--to choose the window of a picture: give --trace FILE.svg or FILE.png"
    if start is not None and end is not None and start >= end:
        return f"--from {start:g} must be before --to {end:g}"
    return ""


def invocation() -> str:
    """How the user started this epollsim (``python -m epollsim`` with the python they typed, or the
    ``epollsim`` script by name or path), so that a replay line runs as printed from where they are.
    Called in-process (tests, other tools): ``REPLAY_PREFIX``."""
    argv0 = sys.argv[0] if sys.argv else ""
    if os.path.basename(argv0) == "__main__.py" and os.path.basename(os.path.dirname(argv0)) == "epollsim":
        python = (getattr(sys, "orig_argv", None) or [sys.executable])[0]  # as typed: python3, .venv/bin/python
        return f"{shlex.quote(python)} -m epollsim"
    if os.path.basename(argv0) == "epollsim":  # the console script
        found = shutil.which("epollsim")
        same = found is not None and os.path.abspath(found) == os.path.abspath(argv0)
        return "epollsim" if same else shlex.quote(argv0)
    return REPLAY_PREFIX


def replay_line(outcome: Any) -> str:
    """``outcome.replay`` as a command that runs as printed (``invocation``)."""
    replay: str = outcome.replay
    if replay.startswith(REPLAY_PREFIX + " "):
        return invocation() + replay[len(REPLAY_PREFIX):]
    return replay


def _check(text: str) -> tuple[Program, str]:
    try:
        program = program_ref(text)
    except ValueError as exc:
        return Program(text), str(exc)
    if program.module:
        return program, _missing_module(program)
    if program.path:
        if not os.path.isfile(program.path):
            return program, f"{text}: no such file"
        try:
            has_main = program.function or defines_main(program.path)
            if program.function and not _binds(program.path, program.function):
                return program, f"{text}: {os.path.basename(program.path)} defines no {program.function}"
        except SyntaxError:
            return program, ""  # reported as the program's own error when it runs
        if not has_main and getattr(Kernel, "patch", None) is None:
            return program, whole_program_message(text)
    return program, ""


def _missing_module(program: Program) -> str:
    """Why ``module:function``'s module cannot be imported ("" when it can be found; found, never run)."""
    try:
        found = importlib.util.find_spec(program.module) is not None
    except (ImportError, ValueError):  # a parent package is missing
        found = False
    return "" if found else f"{program.display}: no module named {program.module!r}"


def _binds(path: str, name: str) -> bool:
    """Whether the file's top level may bind ``name`` (read, never executed; ``import *`` may)."""
    with open(path, "rb") as f:
        tree = ast.parse(f.read(), filename=path)
    for node in tree.body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef) and node.name == name:
            return True
        if isinstance(node, ast.Import | ast.ImportFrom):
            for alias in node.names:
                if alias.name == "*" or (alias.asname or alias.name.partition(".")[0]) == name:
                    return True
        elif isinstance(node, ast.Assign | ast.AnnAssign | ast.AugAssign | ast.If | ast.Try | ast.With):
            if any(isinstance(n, ast.Name) and n.id == name and isinstance(n.ctx, ast.Store) for n in ast.walk(node)):
                return True
    return False


def _run(program: Program, seed: int, schedule: str, trace: str | None = None,
         window: tuple[float | None, float | None] = (None, None)) -> int:
    outcome, _ = run_with_error(program, seed, schedule, trace_path=trace, trace_window=window)
    if outcome.passed:
        what = f"seed {seed}, {schedule} schedule" if outcome.schedule.partition(":")[0] != "systematic" else (
            f"schedule {outcome.schedule}"
        )
        print(f"epollsim: {program.display} passed ({what})", file=sys.stderr)
    else:
        _print_failure(outcome, sys.stderr)
    if outcome.trace_file:
        print(f"epollsim: trace written to {outcome.trace_file}", file=sys.stderr)
    if outcome.trace_error:
        print(f"epollsim: trace not written to {trace}: {outcome.trace_error}", file=sys.stderr)
        return 2 if outcome.passed else 1
    return 0 if outcome.passed else 1


def _print_failure(outcome: Any, out: TextIO) -> None:
    where = "" if outcome.thread in ("", "MainThread") else f" in thread {outcome.thread}"
    out.write(outcome.traceback)
    what = f"seed {outcome.seed} failed{where} ({outcome.schedule} schedule)"
    if outcome.schedule.partition(":")[0] == "systematic":
        what = f"schedule {outcome.schedule} failed{where}"
    print(
        f"epollsim: {what}\n"
        f"  replay: {replay_line(outcome)}",
        file=out,
    )


def _explore_systematic(program: Program, args: argparse.Namespace) -> int:
    """explore --schedule systematic: every schedule within the bound, no seeds; the first
    failure shrunk, with its traceback and the line that replays it."""
    try:
        if getattr(args, "dask", None):
            from .dask_explore import explore_dask_systematic

            found = explore_dask_systematic(
                program, args.preemptions, args.dask, args.stop_at_first, workers=args.jobs
            )
        else:
            found = explore_systematic(
                program, args.preemptions, stop_at_first=args.stop_at_first, jobs=args.jobs, capture=True
            )
    except (ImportError, SchedulerUnreachable) as exc:
        print(f"epollsim: {exc}", file=sys.stderr)
        return 2
    result = systematic_exploration(program, found)
    print(found)
    if not result.failures:
        return 0
    first = result.failures[0]
    outcome = first.outcome
    if outcome is None:  # found in this process: the exception itself
        outcome, _ = run_with_error(program, 0, found.failures[0][0].id, capture=True)
    print(f"  replay: {replay_line(outcome)}")
    print(f"\nfirst failure, schedule {outcome.schedule}:", file=sys.stderr)
    if outcome.output:
        print(f"its output:\n{outcome.output.rstrip()}", file=sys.stderr)
    _print_failure(outcome, sys.stderr)
    return 1


def _explore(program: Program, args: argparse.Namespace) -> int:
    if args.jobs < 1:
        print("epollsim: --jobs must be at least 1", file=sys.stderr)
        return 2
    if args.schedule == "systematic":
        if args.preemptions < 0:
            print("epollsim: --preemptions must be at least 0", file=sys.stderr)
            return 2
        return _explore_systematic(program, args)
    progress = Progress(sys.stderr, live=sys.stderr.isatty())
    try:
        if getattr(args, "dask", None):
            from .dask_explore import explore_dask

            result = explore_dask(
                program, args.seeds, args.dask, args.stop_at_first, schedule=args.schedule,
                progress=progress, trace=args.digest_traces, workers=args.jobs,
            )
        else:
            result = explore(
                program, args.seeds, args.stop_at_first, jobs=args.jobs, schedule=args.schedule,
                progress=progress, capture=True, trace=args.digest_traces,
            )
    except (ImportError, SchedulerUnreachable) as exc:
        print(f"epollsim: {exc}", file=sys.stderr)
        return 2
    finally:
        progress.close()
    failures = [f.outcome for f in result.failures if f.outcome is not None]
    print(f"{result.runs} seeds explored, {len(failures)} failed (digest {result.digest})")
    groups: dict[tuple[str, str, str], list[Any]] = {}
    for outcome in failures:  # one group per distinct failure, in order of its first seed
        first_line = outcome.message.splitlines()[0] if outcome.message else ""
        groups.setdefault((outcome.kind, outcome.thread, first_line), []).append(outcome)
    for (kind, thread, first_line), members in groups.items():
        where = "" if thread in ("", "MainThread") else f" (in thread {thread})"
        seeds = ", ".join(str(o.seed) for o in members[:LISTED])
        more = f", ... ({len(members) - LISTED} more)" if len(members) > LISTED else ""
        print(f"{len(members)} x {kind}{where}: {first_line}")
        print(f"  seeds {seeds}{more}")
        print(f"  replay: {replay_line(members[0])}")
    if failures:
        first = failures[0]
        print(f"\nfirst failure, seed {first.seed}:", file=sys.stderr)
        if first.output:
            print(f"its output:\n{first.output.rstrip()}", file=sys.stderr)
        _print_failure(first, sys.stderr)
        return 1
    return 0
