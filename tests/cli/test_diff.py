"""``epollsim diff``: the real kernel and the model agree on a correct program, and the report points
at the first call where a program sees something else on the model."""
from __future__ import annotations

import io
import pathlib
import subprocess
import sys

import pytest

from epollsim.__main__ import main
from epollsim.observe import Observation, fmt, thread_key
from epollsim.tools.diff import Run, canonical_fds, first_difference, report

PROGRAMS = pathlib.Path(__file__).parent / "programs"


def cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    status = main(list(argv))
    out, err = capsys.readouterr()
    return status, out, err


def test_a_correct_epoll_program_agrees(capsys: pytest.CaptureFixture[str]) -> None:
    import os
    import select
    import socket
    import time

    before = (os.read, os.pipe, select.epoll, socket.socket, socket.socketpair, time.sleep)
    status, out, err = cli(capsys, "diff", str(PROGRAMS / "epoll_pipe.py"))
    assert (os.read, os.pipe, select.epoll, socket.socket, socket.socketpair, time.sleep) == before  # restored
    assert status == 0, out + err
    assert out == (
        f"epollsim diff: {PROGRAMS / 'epoll_pipe.py'}: the real kernel and the model agree "
        "(20 calls in 2 threads; the program returned)\n"
    )


def test_a_program_relying_on_exact_virtual_sleeps_differs_at_its_write(capsys: pytest.CaptureFixture[str]) -> None:
    status, out, _ = cli(capsys, "diff", str(PROGRAMS / "exact_sleep.py"))
    assert status == 1
    assert out.splitlines() == [
        f"epollsim diff: {PROGRAMS / 'exact_sleep.py'}: the real kernel and the model differ at call 5 "
        "(MainThread's call 5), exact_sleep.py:10:",
        "  real:  os.write(4, b'late') = 4  at exact_sleep.py:10",
        "  model: os.write(4, b'exact') = 5  at exact_sleep.py:10",
        "  (4 earlier calls of MainThread agreed)",
    ]


def test_a_wrong_result_on_the_model_is_pointed_at(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A model whose os.read loses a pipe's last byte (planted here) is caught at the read that saw it."""
    from epollsim.compat.os import OsModule

    real_read = OsModule.read

    def lossy_read(self: OsModule, fd: int, length: int, /) -> bytes:
        return real_read(self, fd, length)[:-1]

    monkeypatch.setattr(OsModule, "read", lossy_read)
    status, out, _ = cli(capsys, "diff", str(PROGRAMS / "epoll_main.py"))
    assert status == 1
    assert out.splitlines()[0].endswith("differ at call 8 (MainThread's call 8), epoll_main.py:12:")
    assert out.splitlines()[1:] == [
        "  call:  os.read(3, 100)",
        "  real:  = b'xxxxxxxxxx'",
        "  model: = b'xxxxxxxxx'",
        "  (7 earlier calls of MainThread agreed)",
    ]


def test_a_main_kernel_program_agrees(capsys: pytest.CaptureFixture[str]) -> None:
    status, out, err = cli(capsys, "diff", str(PROGRAMS / "epoll_main.py"))
    assert status == 0, out + err
    assert "agree (11 calls in 1 thread; the program returned)" in out


def obs(thread: str, call: str, result: str = "None", line: int = 1) -> Observation:
    return Observation(thread, call, result, f"p.py:{line}")


def test_threads_are_compared_each_on_its_own() -> None:
    """The real kernel interleaves threads as it likes: only each thread's own sequence counts."""
    model = [obs("MainThread", "a()"), obs("Thread-1", "b()"), obs("MainThread", "c()")]
    real = [obs("Thread-1", "b()"), obs("MainThread", "a()"), obs("MainThread", "c()")]
    assert first_difference(real, model) is None
    real[2] = obs("MainThread", "c()", "1")
    found = first_difference(real, model)
    assert found is not None and (found.thread, found.seq, found.index) == ("MainThread", 1, 2)
    # A call only the real run made is a difference too.
    found = first_difference(real + [obs("Thread-1", "d()")], [obs("MainThread", "a()"), obs("Thread-1", "b()"),
                                                                obs("MainThread", "c()", "1")])
    assert found is not None and found.model is None and found.real is not None and found.real.call == "d()"


def test_fd_numbers_of_threads_are_named_by_who_made_them_not_by_the_interleaving() -> None:
    """Two threads each make a pipe: which gets 3 and which 5 is the real kernel's choice."""
    model = [
        obs("Thread-1", "os.pipe()", "(3, 4)"), obs("Thread-2", "os.pipe()", "(5, 6)"),
        obs("Thread-1", "os.write(4, b'x')", "1"), obs("Thread-2", "os.write(6, b'y')", "1"),
        obs("MainThread", "select.epoll()", "<epoll fd=7>"), obs("MainThread", "epoll(fd=7).register(5, 1)", "None"),
        obs("MainThread", "epoll(fd=7).poll(1)", "[(5, 1)]"), obs("Thread-1", "os.close(4)", "None"),
    ]
    real = [
        obs("Thread-2", "os.pipe()", "(3, 4)"), obs("Thread-1", "os.pipe()", "(5, 6)"),
        obs("Thread-2", "os.write(4, b'y')", "1"), obs("Thread-1", "os.write(6, b'x')", "1"),
        obs("MainThread", "select.epoll()", "<epoll fd=7>"), obs("MainThread", "epoll(fd=7).register(3, 1)", "None"),
        obs("MainThread", "epoll(fd=7).poll(1)", "[(3, 1)]"), obs("Thread-1", "os.close(6)", "None"),
    ]
    assert first_difference(real, model) is not None  # compared as numbers: a false difference
    assert first_difference(canonical_fds(real), canonical_fds(model)) is None
    assert report("p.py", Run(list(real), ["returned"]), Run(list(model), ["returned"]), io.StringIO()) == 0
    assert canonical_fds(model)[5].call == "epoll(fd=[MainThread#1]).register(fd[Thread-2#1], 1)"
    real[3] = obs("Thread-1", "os.write(5, b'x')", "1")  # Thread-1 writing to its read end: a real difference
    found = first_difference(canonical_fds(real), canonical_fds(model))
    assert found is not None and (found.thread, found.seq) == ("Thread-1", 1)
    single = [obs("MainThread", "os.pipe()", "(3, 4)")]
    assert canonical_fds(single) == single  # one thread: numbers are compared exactly


def test_endings_and_output_are_compared_after_the_calls(capsys: pytest.CaptureFixture[str]) -> None:
    import io

    calls = [obs("MainThread", "a()")]
    out = io.StringIO()
    assert report("p.py", Run(calls, ["returned"], "x"), Run(calls, ["raised Deadlock: ..."], "x"), out) == 1
    assert "ended differently" in out.getvalue() and "model: raised Deadlock" in out.getvalue()
    out = io.StringIO()
    assert report("p.py", Run(calls, ["returned"], "1\n2"), Run(calls, ["returned"], "1\n3"), out) == 1
    assert "printed differently (line 2)" in out.getvalue()
    assert report("p.py", Run(calls, ["returned"], "1"), Run(calls, ["returned"], "1"), io.StringIO()) == 0


def test_normalisation() -> None:
    assert thread_key("Thread-3 (worker)") == thread_key("Thread-3") == "Thread-3"
    assert fmt(("127.0.0.1", 40000)) == "('127.0.0.1', <port>)" and fmt(("127.0.0.1", 8080)) == "('127.0.0.1', 8080)"
    assert fmt(b"x" * 100).endswith("...(100 bytes)")
    import socket

    assert fmt(socket.AF_UNIX) == "1"


def test_usage_errors(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli(capsys, "diff", "no_such_program.py")[0] == 2
    assert cli(capsys, "diff", "os:getcwd")[0] == 2


def test_a_real_run_that_hangs_times_out(capsys: pytest.CaptureFixture[str], tmp_path: pathlib.Path) -> None:
    stuck = tmp_path / "stuck.py"
    stuck.write_text("import os\nr, w = os.pipe()\nos.read(r, 1)\n")
    status, _, err = cli(capsys, "diff", str(stuck), "--timeout", "2")
    assert status == 2
    assert "did not finish in 2 s" in err and "raised Deadlock" in err


def test_python_dash_m_epollsim_diff() -> None:
    done = subprocess.run([sys.executable, "-m", "epollsim", "diff", str(PROGRAMS / "exact_sleep.py")],
                          capture_output=True, text=True)
    assert done.returncode == 1 and "differ at call 5" in done.stdout
