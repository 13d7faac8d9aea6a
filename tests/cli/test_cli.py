"""The command line on sample programs (tests/cli/programs): explore finds a planted race, replay
reproduces it, run runs, and a program's own errors are reported as the program's."""
from __future__ import annotations

import importlib.util
import json
import os
import pathlib
import re
import shlex
import subprocess
import sys

import pytest

import epollsim
from epollsim.__main__ import main
from epollsim.tools.cli import invocation

PROGRAMS = pathlib.Path(__file__).parent / "programs"
# epollsim's own source files (not merely any path with "/epollsim/" in it: a plain `git clone` is named so)
OUR_FRAMES = os.path.join(os.path.dirname(os.path.abspath(epollsim.__file__)), "")


def cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    status = main(list(argv))
    out, err = capsys.readouterr()
    return status, out, err


def test_explore_finds_the_planted_race_and_replay_reproduces_it(
    capsys: pytest.CaptureFixture[str], tmp_path: pathlib.Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)  # replay writes its trace here
    race = str(PROGRAMS / "race.py")
    status, out, err = cli(capsys, "explore", race, "--seeds", "0:200")
    assert status == 1
    lines = out.splitlines()
    assert re.fullmatch(r"200 seeds explored, (\d+) failed \(digest [0-9a-f]{32}\)", lines[0])
    failed = int(lines[0].split(", ")[1].split()[0])
    assert 0 < failed < 200
    assert lines[1] == f"{failed} x AssertionError: 2 tickets taken from 1"
    replay = re.search(r"replay: python -m epollsim replay (\S+) --seed (\d+)", out)
    assert replay and replay.group(1) == race
    seed = replay.group(2)
    assert 'race.py", line 19, in main' in err  # the first failure's traceback: the program's own

    status, out, err = cli(capsys, "replay", race, "--seed", seed)
    assert status == 1
    assert "AssertionError: 2 tickets taken from 1" in err and f"replay: python -m epollsim replay {race} --seed {seed}" in err
    trace = tmp_path / f"race.seed{seed}.trace.json"
    assert f"trace written to {trace.name}" in err
    events = json.loads(trace.read_text())["traceEvents"]
    assert {e["args"]["name"] for e in events if e.get("name") == "thread_name"} >= {"MainThread", "Thread-1 (take)", "Thread-2 (take)"}
    passing = next(s for s in range(200) if cli(capsys, "run", race, "--seed", str(s))[0] == 0)
    assert cli(capsys, "replay", race, "--seed", str(passing))[0] == 0


def test_explore_stops_at_the_first_failure_and_jobs_change_nothing(capsys: pytest.CaptureFixture[str]) -> None:
    race = str(PROGRAMS / "race.py")
    one = cli(capsys, "explore", race, "--seeds", "0:300", "--stop-at-first")
    two = cli(capsys, "explore", race, "--seeds", "0:300", "--stop-at-first", "--jobs", "2")
    assert one[0] == two[0] == 1
    assert one[1] == two[1]  # the same seeds explored, the same failure, the same digest
    assert one[1].splitlines()[1:] == ["1 x AssertionError: 2 tickets taken from 1", "  seeds 2", f"  replay: python -m epollsim replay {race} --seed 2"]


def test_a_correct_program_passes_every_seed(capsys: pytest.CaptureFixture[str]) -> None:
    locked = str(PROGRAMS / "locked.py")
    status, out, err = cli(capsys, "run", locked, "--seed", "7")
    assert (status, out) == (0, "one ticket taken\n")
    assert "passed (seed 7, random schedule)" in err
    status, out, _ = cli(capsys, "explore", locked, "--seeds", "100")
    assert status == 0 and out.startswith("100 seeds explored, 0 failed")


def test_a_programs_own_error_is_reported_as_its_own(capsys: pytest.CaptureFixture[str]) -> None:
    status, out, err = cli(capsys, "run", str(PROGRAMS / "broken.py"))
    assert status == 1
    assert err.startswith("Traceback (most recent call last):\n")
    assert 'broken.py", line 11, in main' in err and 'broken.py", line 5, in parse' in err
    assert "ValueError: invalid literal for int() with base 10: b'x'" in err
    assert OUR_FRAMES not in err  # none of our frames


def test_a_deadlock_is_the_programs_failure(capsys: pytest.CaptureFixture[str]) -> None:
    status, _, err = cli(capsys, "run", str(PROGRAMS / "stuck.py"))
    assert status == 1
    assert "epollsim.errors.Deadlock: every thread is blocked and no deadline is pending:" in err
    assert "MainThread: " in err and OUR_FRAMES not in err


def test_a_syntax_error_is_the_programs_too(capsys: pytest.CaptureFixture[str], tmp_path: pathlib.Path) -> None:
    bad = tmp_path / "bad.py"
    bad.write_text("def main(kernel):\n    return (\n")
    status, out, err = cli(capsys, "explore", str(bad), "--seeds", "0:50")
    assert status == 1 and out.startswith("1 seeds explored, 1 failed")  # not 50 times the same error
    assert "SyntaxError" in err and "bad.py" in err


def test_a_whole_program_runs_under_kernel_patch(capsys: pytest.CaptureFixture[str]) -> None:
    import socket
    import time

    real = (socket.socket, time.sleep)
    status, out, err = cli(capsys, "run", str(PROGRAMS / "script.py"), "--seed", "3", "--schedule", "fifo")
    assert (status, out) == (0, "b'hello' 3600.0000499999996\n")  # the sleep's 50 us slack, in floats
    status, out, err = cli(capsys, "run", str(PROGRAMS / "script.py"), "--seed", "3")
    data, elapsed = out.split()
    assert status == 0 and data == "b'hello'" and 3600.000001 <= float(elapsed) <= 3600.00005  # the seed's point in the slack
    assert (socket.socket, time.sleep) == real  # restored
    status, out, _ = cli(capsys, "explore", str(PROGRAMS / "script.py"), "--seeds", "0:20")
    assert status == 0 and out.startswith("20 seeds explored, 0 failed")


def test_a_whole_program_without_kernel_patch_is_refused(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delattr(epollsim.Kernel, "patch", raising=False)
    status, out, err = cli(capsys, "run", str(PROGRAMS / "script.py"))
    assert status == 2
    assert "defines no main(kernel)" in err and "not available in this version of epollsim yet" in err


def test_usage_errors(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli(capsys, "run", "no_such_program.py")[0] == 2
    with pytest.raises(SystemExit) as exit_:
        main(["explore", str(PROGRAMS / "race.py"), "--seeds", "9:1"])
    assert exit_.value.code == 2
    status, _, err = cli(capsys, "replay", str(PROGRAMS / "race.py"))  # --seed is required
    assert status == 2 and "--seed is required (except with a systematic schedule)" in err


def test_python_dash_m_epollsim_prints_a_replay_line_that_runs_as_printed(tmp_path: pathlib.Path) -> None:
    race = str(PROGRAMS / "race.py")
    done = subprocess.run(
        [sys.executable, "-m", "epollsim", "run", race, "--seed", "2", "--trace", "t.txt"],
        cwd=tmp_path, capture_output=True, text=True,
    )
    assert done.returncode == 1
    assert done.stderr.startswith("Traceback (most recent call last):\n  File ")
    replay = f"{shlex.quote(sys.executable)} -m epollsim replay {race} --seed 2"  # the python it was run with
    assert f"  replay: {replay}\n" in done.stderr
    assert "switches to Thread-1" in (tmp_path / "t.txt").read_text()
    assert "\r" not in done.stderr  # no progress line when stderr is not a terminal
    again = subprocess.run(replay, shell=True, cwd=tmp_path, capture_output=True, text=True)  # as a user pastes it
    assert again.returncode == 1 and "AssertionError: 2 tickets taken from 1" in again.stderr
    assert "trace written to race.seed2.trace.json" in again.stderr


def test_replay_lines_start_as_the_user_started_epollsim(
    monkeypatch: pytest.MonkeyPatch, tmp_path: pathlib.Path
) -> None:
    package_main = os.path.join(os.path.dirname(epollsim.__file__), "__main__.py")
    monkeypatch.setattr(sys, "argv", [package_main, "run"])
    monkeypatch.setattr(sys, "orig_argv", [".venv/bin/python", "-m", "epollsim", "run"])
    assert invocation() == ".venv/bin/python -m epollsim"  # runs from the directory it was typed in
    script = tmp_path / "bin" / "epollsim"
    script.parent.mkdir()
    script.write_text("#!/bin/sh\n")
    script.chmod(0o755)
    monkeypatch.setattr(sys, "argv", [str(script), "run"])
    monkeypatch.setenv("PATH", "/nonexistent")
    assert invocation() == str(script)  # not on PATH: its path
    monkeypatch.setenv("PATH", str(script.parent))
    assert invocation() == "epollsim"
    monkeypatch.setattr(sys, "argv", ["/usr/bin/some-tool"])  # main() called in-process
    assert invocation() == "python -m epollsim"


def test_version_and_help(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_:
        main(["--version"])
    assert exit_.value.code == 0 and capsys.readouterr().out == f"epollsim {epollsim.__version__}\n"
    for argv in (["--help"], *([command, "--help"] for command in ("run", "replay", "explore", "diff", "demo"))):
        with pytest.raises(SystemExit):
            main(argv)
        out = capsys.readouterr().out
        assert out.startswith("usage: epollsim") and not re.search(r"``|:\w+:`", out), out  # no reST markup


def test_a_bad_program_reference_is_a_usage_error(capsys: pytest.CaptureFixture[str], tmp_path: pathlib.Path) -> None:
    race = str(PROGRAMS / "race.py")
    status, out, err = cli(capsys, "run", f"{race}:nosuch")
    assert (status, out) == (2, "") and err == f"epollsim: {race}:nosuch: race.py defines no nosuch\n"
    status, _, err = cli(capsys, "explore", "no_such_module_here:main")
    assert status == 2 and err == "epollsim: no_such_module_here:main: no module named 'no_such_module_here'\n"
    assert cli(capsys, "run", "no_such_package_here.sub:main")[0] == 2
    assigned = tmp_path / "assigned.py"
    assigned.write_text("def _impl(kernel):\n    pass\n\nentry = _impl\n")
    assert cli(capsys, "run", f"{assigned}:entry")[0] == 0  # bound by an assignment: not refused
    assert cli(capsys, "run", f"{assigned}:_impl")[0] == 0
    assert cli(capsys, "run", f"{assigned}:nope")[0] == 2


def test_a_trace_that_cannot_be_written_never_hides_the_programs_result(
    capsys: pytest.CaptureFixture[str], tmp_path: pathlib.Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    race = str(PROGRAMS / "race.py")
    real_find_spec = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "matplotlib" else real_find_spec(name, *a))
    status, out, err = cli(capsys, "run", race, "--seed", "1", "--trace", str(tmp_path / "t.png"))
    assert (status, out) == (2, "") and "needs matplotlib" in err and "Traceback" not in err  # refused before the run
    missing = tmp_path / "no" / "such" / "dir" / "t.txt"
    status, _, err = cli(capsys, "run", race, "--seed", "2", "--trace", str(missing))
    assert status == 1  # the program's failure comes first ...
    assert "AssertionError: 2 tickets taken from 1" in err and "replay: " in err
    assert err.endswith(f"epollsim: trace not written to {missing}: FileNotFoundError: [Errno 2] No such file or directory: '{missing}'\n")
    status, _, err = cli(capsys, "run", str(PROGRAMS / "locked.py"), "--trace", str(missing))
    assert status == 2 and "passed (seed 0" in err and "trace not written" in err  # ... and a pass still shows


def test_a_reader_that_goes_away_ends_the_command_quietly(tmp_path: pathlib.Path) -> None:
    """``epollsim demo | head``: the demo's output meets a closed pipe, as it would after head exits."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "epollsim", "demo", "--model-only"], cwd=tmp_path,
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    assert proc.stdout is not None and proc.stderr is not None
    proc.stdout.close()  # the reader is gone before anything was read
    err = proc.stderr.read()
    assert proc.wait(timeout=120) == 141 and err == ""  # 128 + SIGPIPE, as a shell reports it; no traceback


def test_sys_exit_in_a_whole_program(capsys: pytest.CaptureFixture[str], tmp_path: pathlib.Path) -> None:
    (tmp_path / "ok.py").write_text("import sys, time\ntime.sleep(1)\nsys.exit(0)\n")
    (tmp_path / "bad.py").write_text("import sys\nsys.exit(3)\n")
    assert cli(capsys, "run", str(tmp_path / "ok.py"))[0] == 0
    status, _, err = cli(capsys, "run", str(tmp_path / "bad.py"))
    assert status == 1 and "SystemExit: 3" in err and 'bad.py", line 2, in <module>' in err


def test_explore_systematic_needs_no_seeds_and_reports_the_bounded_space(capsys: pytest.CaptureFixture[str]) -> None:
    status, out, _ = cli(capsys, "explore", str(PROGRAMS / "token_race.py"), "--schedule", "systematic",
                         "--preemptions", "1")
    assert status == 1
    assert out.splitlines()[0] == (
        "12 schedules with at most 1 preemption explored (the bounded space exhausted), 3 failed"
    )
    assert "  systematic:3=1 (1 preemption): AssertionError: only ['a'] got the token" in out
    status, out, _ = cli(capsys, "explore", str(PROGRAMS / "token_race.py"), "--schedule", "systematic",
                         "--preemptions", "0")
    assert status == 0 and "(the bounded space exhausted), 0 failed" in out


def test_trace_window_flags_draw_part_of_the_run(
    capsys: pytest.CaptureFixture[str], tmp_path: pathlib.Path
) -> None:
    """``--from``/``--to`` draw a window of virtual time, as ``k.trace.write_svg(path, start, end)`` does."""
    prog = tmp_path / "phases.py"
    prog.write_text(
        "import os, time\nr, w = os.pipe()\nos.write(w, b'early')\ntime.sleep(2)\n"
        "os.set_blocking(r, False)\nos.read(r, 5)\n"
    )
    pictures = {}
    for name, window in (("whole", ()), ("early", ("--to", "1001")), ("late", ("--from", "1001"))):
        path = tmp_path / f"{name}.svg"
        status, _, err = cli(capsys, "run", str(prog), "--trace", str(path), *window)
        assert status == 0, err
        pictures[name] = path.read_text()
    for call, shown_in in (("pipe2(O_CLOEXEC) = (3, 4)", "early"), ("read(3, 5) = b'early'", "late")):
        assert call in pictures["whole"] and call in pictures[shown_in]
        assert call not in pictures["late" if shown_in == "early" else "early"]
    for window, message in (
        (("--trace", str(tmp_path / "t.json"), "--from", "1001"), "--from/--to choose the window of a picture"),
        (("--from", "1001"), "--from/--to choose the window of a picture"),
        (("--trace", str(tmp_path / "t.svg"), "--from", "1002", "--to", "1001"), "--from 1002 must be before --to 1001"),
    ):
        status, out, err = cli(capsys, "run", str(prog), *window)
        assert (status, out) == (2, "") and message in err
