"""``python -m epollsim diff PROG.py``: run a program on the real kernel and on the model, and compare.

The program runs twice, unmodified: once on this machine's kernel, in a fresh
interpreter (``python -m epollsim.diff --real``: only fds 0, 1 and 2 open, so
fd numbers compare exactly), and once on the model (``Kernel(seed,
schedule=...)``, FIFO by default), here. Both times the calls it makes to
``os`` (fd calls), ``select``, ``selectors``, ``socket`` and ``time`` are
recorded with their results (``observe.py``, which says what is normalised).
A file defining ``main(kernel)`` gets the stand-ins on the model and the
host's modules on the real side (``kernel.os`` is ``os``, ...).

The recordings are compared thread by thread (the real kernel interleaves
threads as it likes, so only each thread's own sequence is compared), in the
order the model made the calls. In a program with threads, which fd number a
new file gets depends on that interleaving too, so there each fd number is
replaced by a name for the call that made it, ``fd[Thread-1#2]`` (the
thread's second new fd), before comparing (``canonical_fds``); a program
without threads keeps its numbers, compared exactly. the first call whose text or result differs
is reported with the call, both results and the program's ``file:line``.
Then how each run ended (returned, raised, each thread that died), then the
program's output. Exit status 0 when they agree, 1 when they differ, 2 for a
usage error or a real run that did not finish (``--timeout``).

A program whose behaviour depends on timing (a busy loop until a deadline,
a poll with a short timeout racing another thread) may differ for that reason
alone: the model's time is virtual, the real one is not.
"""
from __future__ import annotations

import contextlib
import io
import json
import os
import re
import subprocess
import sys
import tempfile
import threading
from dataclasses import dataclass, field
from typing import Any, TextIO

from ..kernel import Kernel
from ..observe import Observation, Recorder, RecordingPatch, RecordingTarget, fmt_error
from .programs import Program, defines_main, load, program_context, program_ref


@dataclass
class Run:
    """What one side saw: its observations, how the program ended, what it printed."""

    observations: list[Observation] = field(default_factory=list)
    ending: list[str] = field(default_factory=list)  # "returned", or "raised ...", then "Thread-1 raised ..."
    output: str = ""

    def as_json(self) -> str:
        return json.dumps({"observations": [o.as_dict() for o in self.observations], "ending": self.ending,
                           "output": self.output})

    @classmethod
    def from_json(cls, text: str) -> Run:
        data = json.loads(text)
        return cls([Observation(**o) for o in data["observations"]], data["ending"], data["output"])


class _View:
    """What ``main(kernel)`` gets: the recording stand-ins, everything else the base's."""

    def __init__(self, base: Any, recorder: Recorder) -> None:
        self._base = base
        target = RecordingTarget(base, recorder)
        self.os, self.select, self.selectors = target.os, target.select, target.selectors
        self.socket, self.time, self.fcntl = target.socket, target.time, target.fcntl

    def __getattr__(self, name: str) -> Any:
        return getattr(self._base, name)


def _ending(error: BaseException | None, died: list[tuple[str, BaseException]]) -> list[str]:
    if isinstance(error, SystemExit):
        main = "returned" if error.code in (None, 0) else f"exited with status {error.code}"
    else:
        main = "returned" if error is None else fmt_error(error)
    return [main] + [f"{name} {fmt_error(exc)}" for name, exc in sorted(died, key=lambda d: d[0])]


def _whole_program(program: Program) -> bool:
    return not (program.function or defines_main(program.path))


def run_model(program: Program, seed: int = 0, schedule: str = "fifo") -> Run:
    """Run ``program`` on the model, recording what it sees."""
    from ..observe import thread_key
    from .runner import thread_errors, watch_thread_errors

    kernel = Kernel(seed, schedule=schedule)
    recorder = Recorder(os.path.dirname(program.path), lambda: kernel.threading.current_thread().name)
    sink = io.StringIO()
    error: BaseException | None = None
    watched = watch_thread_errors(kernel)
    with program_context(program.path), contextlib.redirect_stdout(sink), contextlib.redirect_stderr(sink):
        try:
            if _whole_program(program):
                import runpy

                with RecordingPatch(RecordingTarget(kernel.localhost, recorder)):
                    runpy.run_path(program.path, run_name="__main__")
            else:
                load(program)(_View(kernel, recorder))  # type: ignore[arg-type]
        except (Exception, SystemExit) as exc:  # the program's own failure: part of what it saw
            error = exc
    died = [(thread_key(name), exc) for name, exc in thread_errors(kernel, watched)]
    return Run(recorder.observations, _ending(error, died), _stdout_only(sink.getvalue()))


def _stdout_only(text: str) -> str:
    """The output, without thread tracebacks (their paths and line numbers differ by side)."""
    return "\n".join(line for line in text.splitlines() if not line.startswith(("Exception in thread", "Traceback", "  ")))


def run_real(program: Program) -> Run:
    """Run ``program`` on this machine's kernel, here (``python -m epollsim.diff --real`` calls it)."""
    from ..observe import thread_key

    recorder = Recorder(os.path.dirname(program.path), lambda: threading.current_thread().name)
    died: list[tuple[str, BaseException]] = []
    original_hook = threading.excepthook

    def hook(args: Any) -> None:
        if args.exc_value is not None and not isinstance(args.exc_value, SystemExit):
            died.append((thread_key(args.thread.name if args.thread else "?"), args.exc_value))
        original_hook(args)

    threading.excepthook = hook
    sink = io.StringIO()
    error: BaseException | None = None
    with program_context(program.path), contextlib.redirect_stdout(sink), contextlib.redirect_stderr(sink):
        try:
            if _whole_program(program):
                import runpy

                with RecordingPatch(RecordingTarget(_RealModules(), recorder), real=True):
                    runpy.run_path(program.path, run_name="__main__")
                    _join_threads()
            else:
                load(program)(_View(_RealModules(), recorder))  # type: ignore[arg-type]
                _join_threads()
        except (Exception, SystemExit) as exc:
            error = exc
    threading.excepthook = original_hook
    return Run(recorder.observations, _ending(error, died), _stdout_only(sink.getvalue()))


def _join_threads() -> None:
    for t in threading.enumerate():
        if t is not threading.current_thread() and not t.daemon:
            t.join()


class _RealModules:
    """The host's own modules, as a patch target."""

    def __init__(self) -> None:
        import fcntl
        import select
        import selectors
        import signal
        import socket
        import time

        self.os, self.select, self.selectors, self.socket, self.time = os, select, selectors, socket, time
        self.threading, self.fcntl, self.signal = threading, fcntl, signal
        self.asyncio = None


# -- fd numbers in threaded programs -----------------------------------------------------------

# Where an fd number stands in a recorded call or result (group 1 is the number): an object's fd
# (``<socket fd=3>``, ``socket(fd=3).recv``), an os fd call's first argument (and dup2's second),
# the fd that epoll/poll/selector register and report.
_FD_IN_CALL = re.compile(
    r"fd=(\d+)|^os\.\w+\((\d+)|^os\.dup2\(\S+, (\d+)|\.(?:register|modify|unregister)\((\d+)"
)
_FD_IN_RESULT = re.compile(r"fd=(\d+)|(?:^\[|, )\((\d+), |^(\d+)$")  # objects; poll's [(fd, events)]; a bare fd
_BARE_FD_RESULT = re.compile(r"^os\.(?:pipe2?|dup2?|eventfd|timerfd_create|open)\(|\.fileno\(\)$")
# Calls whose result's fds are new files: the os calls above, constructors of the modules' classes
# (``socket.socket(...)``, ``select.epoll()``, ``socket.socketpair()``), accept and dup.
_MAKES = re.compile(r"^os\.(?:pipe2?|dup2?|eventfd|timerfd_create|open)\(|^(?:socket|select|selectors)\.\w+\("
                    r"|\.(?:accept|dup)\(")


def canonical_fds(observations: list[Observation]) -> list[Observation]:
    """``observations`` (one run's, in its order) with each fd number made in a program with threads
    replaced by the name of the call that made it: ``fd[T#k]``, the k-th new fd of thread T. The
    names depend only on each thread's own calls, so two runs that interleaved their threads
    differently name the same files alike. Without threads: as they are (numbers compared exactly)."""
    if len({o.thread for o in observations}) < 2:
        return observations
    names: dict[str, str] = {}  # fd number (as text) -> the name of the file it stands for now
    made: dict[str, int] = {}  # thread -> fds it made so far
    out = []
    for o in observations:
        call = _rename(_FD_IN_CALL, o.call, names)
        result = o.result
        if _MAKES.search(o.call) and not result.startswith("raised"):
            bare = _BARE_FD_RESULT.search(o.call) is not None
            new = re.findall(r"-?\d+" if bare else r"fd=(\d+)", result)
            for number in dict.fromkeys(new):
                made[o.thread] = made.get(o.thread, 0) + 1
                names[number] = f"[{o.thread}#{made[o.thread]}]"
            if bare:
                result = re.sub(r"-?\d+", lambda m: "fd" + names.get(m.group(), m.group()), result)
        if not _BARE_FD_RESULT.search(o.call):
            result = _rename(_FD_IN_RESULT, result, names, bare=False)
        elif o.call.endswith(".fileno()"):
            result = _rename(_FD_IN_RESULT, result, names)
        out.append(Observation(o.thread, call, result, o.site))
    return out


def _rename(pattern: re.Pattern[str], text: str, names: dict[str, str], bare: bool = True) -> str:
    """``text`` with the fd numbers ``pattern`` finds replaced by their names (``fd=[T#k]``,
    ``fd[T#k]``); a bare-number match only when ``bare``."""

    def one(m: re.Match[str]) -> str:
        whole, start = m.group(), m.start()
        for i, number in enumerate(m.groups(), 1):
            if number and number in names and (bare or whole != number):
                a, b = m.start(i) - start, m.end(i) - start
                prefix = "" if whole[:a].endswith("fd=") else "fd"
                return whole[:a] + prefix + names[number] + whole[b:]
        return whole

    return pattern.sub(one, text)


# -- comparing ----------------------------------------------------------------------------------


@dataclass
class Difference:
    thread: str
    seq: int  # the call's index among its thread's calls (0-based)
    index: int  # its index in the run it comes from (the model's, or the real one's when only it has it)
    real: Observation | None
    model: Observation | None


def first_difference(real: list[Observation], model: list[Observation]) -> Difference | None:
    """The first call, in the model's order, where a thread's calls differ between the runs."""
    by_thread: dict[str, list[Observation]] = {}
    for o in real:
        by_thread.setdefault(o.thread, []).append(o)
    seen: dict[str, int] = {}
    for index, o in enumerate(model):
        seq = seen.get(o.thread, 0)
        seen[o.thread] = seq + 1
        theirs = by_thread.get(o.thread, [])
        other = theirs[seq] if seq < len(theirs) else None
        if other is None or other.key() != o.key():
            return Difference(o.thread, seq, index, other, o)
    counted: dict[str, int] = {}
    for index, o in enumerate(real):
        seq = counted.get(o.thread, 0)
        counted[o.thread] = seq + 1
        if seq >= seen.get(o.thread, 0):
            return Difference(o.thread, seq, index, o, None)
    return None


def _show(o: Observation | None, same_call: bool, ending: list[str]) -> str:
    if o is None:
        return f"(no such call: the thread made no more; the run {ending[0] if ending else 'ended'})"
    result = o.result if o.result.startswith("raised") else f"= {o.result}"
    return result if same_call else f"{o.call} {result}  at {o.site}"


def report(name: str, real: Run, model: Run, out: TextIO) -> int:
    """Print the comparison; 0 when the runs agree, 1 when they differ."""
    found = first_difference(canonical_fds(real.observations), canonical_fds(model.observations))
    if found is not None:
        where = found.model or found.real
        assert where is not None
        same_call = found.real is not None and found.model is not None and found.real.call == found.model.call
        print(f"epollsim diff: {name}: the real kernel and the model differ at call {found.index + 1} "
              f"({found.thread}'s call {found.seq + 1}), {where.site}:", file=out)
        if same_call:
            print(f"  call:  {where.call}", file=out)
        print(f"  real:  {_show(found.real, same_call, real.ending)}", file=out)
        print(f"  model: {_show(found.model, same_call, model.ending)}", file=out)
        print(f"  ({found.seq} earlier calls of {found.thread} agreed)", file=out)
        return 1
    if real.ending != model.ending:
        print(f"epollsim diff: {name}: every call agreed, but the runs ended differently:", file=out)
        print(f"  real:  {'; '.join(real.ending)}", file=out)
        print(f"  model: {'; '.join(model.ending)}", file=out)
        return 1
    if real.output != model.output:
        lines = list(zip(real.output.splitlines() + [""], model.output.splitlines() + [""]))
        n, (r, m) = next((i, p) for i, p in enumerate(lines) if p[0] != p[1])
        print(f"epollsim diff: {name}: every call agreed, but the program printed differently "
              f"(line {n + 1}):", file=out)
        print(f"  real:  {r!r}", file=out)
        print(f"  model: {m!r}", file=out)
        return 1
    threads = len({o.thread for o in model.observations}) or 1
    print(f"epollsim diff: {name}: the real kernel and the model agree ({len(model.observations)} calls in "
          f"{threads} thread{'s' if threads != 1 else ''}; the program {model.ending[0]})", file=out)
    return 0


def diff(text: str, *, seed: int = 0, schedule: str = "fifo", timeout: float = 60.0,
         out: TextIO | None = None) -> int:
    """``python -m epollsim diff``: 0 agree, 1 differ, 2 usage error or the real run did not finish."""
    out = out if out is not None else sys.stdout
    try:
        program = program_ref(text)
    except ValueError as exc:
        print(f"epollsim: {exc}", file=sys.stderr)
        return 2
    if not program.path or not os.path.isfile(program.path):
        print(f"epollsim: diff needs a program file: {text}: no such file", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory() as tmp:
        result = os.path.join(tmp, "real.json")
        command = [sys.executable, "-m", "epollsim.tools.diff", "--real", text, result]
        try:
            done = subprocess.run(command, capture_output=True, text=True, timeout=timeout)
        except subprocess.TimeoutExpired:
            print(f"epollsim: {text}: the real run did not finish in {timeout:g} s (--timeout); "
                  "on the model it ends as: " + "; ".join(run_model(program, seed, schedule).ending),
                  file=sys.stderr)
            return 2
        if not os.path.exists(result):
            print(f"epollsim: the real run failed:\n{done.stderr}", file=sys.stderr)
            return 2
        with open(result, encoding="utf-8") as f:
            real = Run.from_json(f.read())
    model = run_model(program, seed, schedule)
    return report(program.display, real, model, out)


def _real_main(argv: list[str]) -> int:
    """``python -m epollsim.diff --real PROG OUT``: the real side, in a fresh interpreter."""
    if len(argv) != 3 or argv[0] != "--real":
        print("usage: python -m epollsim.diff --real PROG.py OUT.json", file=sys.stderr)
        return 2
    run = run_real(program_ref(argv[1]))
    with open(argv[2], "w", encoding="utf-8") as f:  # opened only now: no fd of ours during the run
        f.write(run.as_json())
    return 0


if __name__ == "__main__":
    sys.exit(_real_main(sys.argv[1:]))
