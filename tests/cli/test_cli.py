"""The command line on sample programs (tests/cli/programs): explore finds a planted race, replay
reproduces it, run runs, and a program's own errors are reported as the program's."""
from __future__ import annotations

import json
import pathlib
import re
import subprocess
import sys

import pytest

import epollsim
from epollsim.__main__ import main

PROGRAMS = pathlib.Path(__file__).parent / "programs"


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
    replay = re.search(r"replay: epollsim replay (\S+) --seed (\d+)", out)
    assert replay and replay.group(1) == race
    seed = replay.group(2)
    assert 'race.py", line 19, in main' in err  # the first failure's traceback: the program's own

    status, out, err = cli(capsys, "replay", race, "--seed", seed)
    assert status == 1
    assert "AssertionError: 2 tickets taken from 1" in err and f"replay: epollsim replay {race} --seed {seed}" in err
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
    assert one[1].splitlines()[1:] == ["1 x AssertionError: 2 tickets taken from 1", "  seeds 1", f"  replay: epollsim replay {race} --seed 1"]


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
    assert "/epollsim/" not in err  # none of our frames


def test_a_deadlock_is_the_programs_failure(capsys: pytest.CaptureFixture[str]) -> None:
    status, _, err = cli(capsys, "run", str(PROGRAMS / "stuck.py"))
    assert status == 1
    assert "epollsim.errors.Deadlock: every thread is blocked and no deadline is pending:" in err
    assert "MainThread: " in err and "/epollsim/" not in err


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
    status, out, err = cli(capsys, "run", str(PROGRAMS / "script.py"), "--seed", "3")
    assert (status, out) == (0, "b'hello' 3600.0000499999996\n")  # the sleep's 50 us slack, in floats
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
    with pytest.raises(SystemExit):
        main(["replay", str(PROGRAMS / "race.py")])  # --seed is required


def test_python_dash_m_epollsim(tmp_path: pathlib.Path) -> None:
    race = str(PROGRAMS / "race.py")
    done = subprocess.run(
        [sys.executable, "-m", "epollsim", "run", race, "--seed", "1", "--trace", "t.txt"],
        cwd=tmp_path, capture_output=True, text=True,
    )
    assert done.returncode == 1
    assert done.stderr.startswith("Traceback (most recent call last):\n  File ")
    assert f"replay: epollsim replay {race} --seed 1" in done.stderr
    assert "switches to Thread-1" in (tmp_path / "t.txt").read_text()
    assert "\r" not in done.stderr  # no progress line when stderr is not a terminal


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
        "12 schedules with at most 1 preemptions explored (the bounded space exhausted), 3 failed"
    )
    assert "Systematic([0, 0, 0, 1]) (1 preemptions): AssertionError: only ['a'] got the token" in out
    status, out, _ = cli(capsys, "explore", str(PROGRAMS / "token_race.py"), "--schedule", "systematic",
                         "--preemptions", "0")
    assert status == 0 and "(the bounded space exhausted), 0 failed" in out
