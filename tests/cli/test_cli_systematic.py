"""The command line's systematic and PCT options: explore --schedule systematic [--preemptions N]
(no seeds; --jobs splits the space), replay --schedule systematic:ID (no seed), --depth D."""
from __future__ import annotations

import os
import pathlib
import shlex
import subprocess
import sys

import pytest

import epollsim
from epollsim.__main__ import main

PROGRAMS = pathlib.Path(__file__).parent / "programs"
TOKEN_RACE = str(PROGRAMS / "token_race.py")
# The subprocesses import this epollsim, wherever the tests found it.
ENV = {**os.environ, "PYTHONPATH": os.path.dirname(os.path.dirname(epollsim.__file__))}


def cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    status = main(list(argv))
    out, err = capsys.readouterr()
    return status, out, err


def test_explore_systematic_over_two_processes_reports_what_one_does(capsys: pytest.CaptureFixture[str]) -> None:
    one = cli(capsys, "explore", TOKEN_RACE, "--schedule", "systematic")
    two = cli(capsys, "explore", TOKEN_RACE, "--schedule", "systematic", "--jobs", "2")
    assert one[0] == two[0] == 1
    assert one[1] == two[1]
    assert one[1].splitlines()[0] == (
        "28 schedules with at most 2 preemptions explored (the bounded space exhausted), 7 failed"
    )
    assert f"  replay: python -m epollsim replay {TOKEN_RACE} --schedule systematic:3=1" in one[1]
    assert "first failure, schedule systematic:3=1:" in one[2]
    assert "AssertionError: only ['a'] got the token" in one[2]


def test_stop_at_first_gives_the_fewest_preemptions_whatever_the_jobs(capsys: pytest.CaptureFixture[str]) -> None:
    for jobs in ("1", "2"):
        status, out, _ = cli(capsys, "explore", TOKEN_RACE, "--schedule", "systematic", "--stop-at-first",
                             "--jobs", jobs)
        assert status == 1
        assert "the bounded space NOT exhausted), 1 failed\n  systematic:3=1 (1 preemption)" in out


def test_replay_runs_the_schedule_an_exploration_printed(tmp_path: pathlib.Path) -> None:
    replay = f"{shlex.quote(sys.executable)} -m epollsim replay {TOKEN_RACE} --schedule systematic:3=1"
    done = subprocess.run(replay + " --trace t.txt", shell=True, cwd=tmp_path, capture_output=True, text=True, env=ENV)
    assert done.returncode == 1, done.stderr
    assert "AssertionError: only ['a'] got the token" in done.stderr
    assert "epollsim: schedule systematic:3=1 failed\n  replay: " + replay in done.stderr
    trace = (tmp_path / "t.txt").read_text()
    assert "read(3, 1) = -1 EAGAIN" in trace  # the other thread found the token gone
    passing = subprocess.run(
        [sys.executable, "-m", "epollsim", "replay", TOKEN_RACE, "--schedule", "systematic", "--trace", ""],
        cwd=tmp_path, capture_output=True, text=True, env=ENV,
    )
    assert passing.returncode == 0 and "passed (schedule systematic)" in passing.stderr
    default_name = subprocess.run(replay, shell=True, cwd=tmp_path, capture_output=True, text=True, env=ENV)
    assert "trace written to token_race.systematic.3-1.trace.json" in default_name.stderr


def test_pct_depth_reaches_the_kernel_and_the_replay_line(capsys: pytest.CaptureFixture[str]) -> None:
    status, out, err = cli(capsys, "explore", TOKEN_RACE, "--schedule", "pct", "--depth", "2", "--seeds", "0:60")
    depth3 = cli(capsys, "explore", TOKEN_RACE, "--schedule", "pct", "--seeds", "0:60")
    assert out.split("(digest")[1] != depth3[1].split("(digest")[1]  # another depth, other schedules
    if status == 1:
        assert "--schedule pct --depth 2" in out


@pytest.mark.parametrize(("argv", "message"), [
    (["explore", TOKEN_RACE, "--schedule", "systematic", "--preemptions", "-1"], "--preemptions must be at least 0"),
    (["run", TOKEN_RACE, "--schedule", "pct", "--depth", "0"], "--depth must be at least 1"),
    (["replay", TOKEN_RACE], "--seed is required (except with a systematic schedule)"),
])
def test_usage_errors(capsys: pytest.CaptureFixture[str], argv: list[str], message: str) -> None:
    status, _, err = cli(capsys, *argv)
    assert status == 2 and message in err


def test_a_bad_schedule_id_is_an_argument_error(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_:
        main(["replay", TOKEN_RACE, "--schedule", "systematic:x"])
    assert exit_.value.code == 2
    assert "a systematic schedule is 'systematic' or 'systematic:I=C,...'" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["explore", TOKEN_RACE, "--schedule", "systematic:3=1"])  # explore searches, replays nothing
