"""The pytest plugin, exercised on inner test suites with ``pytester`` (in-process, for speed)."""
from __future__ import annotations

import json
import pathlib
import re
import subprocess
import sys
import textwrap
import zlib

import pytest

import epollsim
from epollsim.testing import pytest_plugin

pytest_plugins = ["pytester"]


def run(pytester: pytest.Pytester, *args: str) -> pytest.RunResult:
    """An inner session in this process, without the plugins that only cost time here."""
    return pytester.runpytest("-p", "no:cacheprovider", "-p", "no:hypothesispytest", *args)

RACE = textwrap.dedent(
    """
    import pytest

    def take_two_tickets(kernel):
        state = {"tickets": 1, "taken": 0}

        def take():
            if state["tickets"] > 0:
                kernel.time.sleep(0)
                state["tickets"] -= 1
                state["taken"] += 1

        threads = [kernel.threading.Thread(target=take) for _ in range(2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        return state["taken"]
    """
)


def test_the_plugin_is_registered_by_its_entry_point_and_inert(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        import os, select, socket, threading, time

        def test_plain(request):
            assert request.config.pluginmanager.get_plugin("epollsim") is not None
            assert "kernel" not in request.fixturenames  # nothing autouse
            assert os.read.__module__ == "posix" and time.sleep.__module__ == "time"
            assert socket.socket.__module__ == "socket" and select.epoll.__module__ == "select"
            assert threading.Thread.__module__ == "threading"
            r, w = os.pipe()  # the real kernel, as ever
            os.write(w, b"x")
            assert os.read(r, 1) == b"x"
            os.close(r), os.close(w)

        def test_other(kernel):
            assert kernel.os.pipe()  # using the fixture in one test ...

        def test_plain_again():
            assert time.sleep.__module__ == "time"  # ... changes nothing for the next
        """
    )
    before = (sys.modules["os"].read, sys.modules["socket"].socket, sys.modules["time"].sleep)
    result = run(pytester)
    result.assert_outcomes(passed=3)
    assert (sys.modules["os"].read, sys.modules["socket"].socket, sys.modules["time"].sleep) == before
    assert "epollsim" not in result.stdout.str().replace("epollsim-", "")  # no report section, no noise


def test_importing_the_plugin_patches_nothing_and_loads_no_model() -> None:
    code = (
        "import sys, os, socket, select, threading, time\n"
        "before = (os.read, socket.socket, select.epoll, threading.Thread, time.sleep)\n"
        "import epollsim.testing.pytest_plugin\n"
        "assert (os.read, socket.socket, select.epoll, threading.Thread, time.sleep) == before\n"
        "print(sorted(m for m in sys.modules if m.startswith('epollsim')))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    loaded = done.stdout.strip()
    assert "epollsim.testing.pytest_plugin" in loaded
    assert "epollsim.kernel" not in loaded and "epollsim.sched" not in loaded, (
        "pytest imports the plugin in every session where epollsim is installed: epollsim/__init__.py "
        f"must load the model lazily (its _LAZY table), but this was loaded: {loaded}"
    )


def test_the_kernel_fixture_is_fresh_and_seeded_from_the_node_id(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        import zlib
        kernels = []

        def test_a(kernel, epollsim_seed, request):
            assert kernel.seed == epollsim_seed == zlib.crc32(request.node.nodeid.encode())
            assert kernel.sched.schedule == "fifo"
            kernels.append(kernel)
            print("seed", kernel.seed)

        def test_b(kernel):
            assert kernels and kernel is not kernels[0]
            assert kernel.os.pipe() == (3, 4)  # fresh: fds 0-2 only
        """
    )
    result = run(pytester, "-s")
    result.assert_outcomes(passed=2)
    nodeid = "test_the_kernel_fixture_is_fresh_and_seeded_from_the_node_id.py::test_a"
    assert f"seed {zlib.crc32(nodeid.encode())}" in result.stdout.str()


def test_the_marker_makes_one_item_per_seed_with_stable_ids(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        import pytest

        @pytest.mark.epollsim(seeds=[3, 17, 3, 42])
        def test_listed(kernel, epollsim_seed):
            assert kernel.seed == epollsim_seed and kernel.sched.schedule == "random"

        @pytest.mark.epollsim(seeds=4, schedule="fifo")
        def test_counted(kernel):
            assert kernel.sched.schedule == "fifo"

        @pytest.mark.epollsim(seeds=range(250))
        def test_many(kernel):
            pass

        @pytest.mark.epollsim(seeds=range(5), chunk=2)
        def test_grouped():  # no fixture asked for: the marker provides the kernel anyway
            pass
        """
    )
    result = run(pytester, "--collect-only", "-q")
    ids = [line.split("::")[1] for line in result.stdout.lines if "::" in line]
    assert ids == [
        "test_listed[seed=3]", "test_listed[seed=17]", "test_listed[seed=42]",
        "test_counted[seed=0]", "test_counted[seed=1]", "test_counted[seed=2]", "test_counted[seed=3]",
        "test_many[seeds=0-99]", "test_many[seeds=100-199]", "test_many[seeds=200-249]",
        "test_grouped[seeds=0-1]", "test_grouped[seeds=2-3]", "test_grouped[seed=4]",
    ]
    result = run(pytester)
    result.assert_outcomes(passed=13)


def test_every_seed_of_a_chunk_runs_on_its_own_kernel(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        import pytest
        seen = []

        @pytest.mark.epollsim(seeds=range(150))
        def test_many(kernel, epollsim_seed):
            assert kernel.seed == epollsim_seed
            assert kernel not in [k for _, k in seen]
            seen.append((epollsim_seed, kernel))

        def test_all_seen():
            assert [s for s, _ in seen] == list(range(150))
        """
    )
    run(pytester).assert_outcomes(passed=3)


def test_a_fixture_built_on_the_kernel_gets_one_item_per_seed(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        import pytest

        @pytest.fixture
        def pipe(kernel):
            return kernel.os.pipe()

        @pytest.mark.epollsim(seeds=range(150))
        def test_many(kernel, pipe):
            assert kernel.file(pipe[0])  # the pipe is this seed's kernel's
        """
    )
    result = run(pytester, "--collect-only", "-q")
    assert len([line for line in result.stdout.lines if "test_many[seed=" in line]) == 150
    run(pytester, "test_a_fixture_built_on_the_kernel_gets_one_item_per_seed.py::test_many[seed=149]").assert_outcomes(passed=1)


def test_epollsim_seed_selects_one_seed(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        import pytest

        @pytest.mark.epollsim(seeds=range(1000))
        def test_x(kernel, epollsim_seed):
            print("ran seed", epollsim_seed, kernel.seed)

        def test_plain_fixture(kernel):
            print("fixture seed", kernel.seed)
        """
    )
    result = run(pytester, "-s", "-v", "--epollsim-seed", "17")
    result.assert_outcomes(passed=2)
    result.stdout.fnmatch_lines(["*::test_x[[]seed=17[]] ran seed 17 17*", "*::test_plain_fixture fixture seed 17*"])
    assert "seed=18" not in result.stdout.str()


def test_epollsim_seeds_runs_a_range_instead(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        import pytest

        @pytest.mark.epollsim(seeds=3)
        def test_x(epollsim_seed):
            pass
        """
    )
    result = run(pytester, "--collect-only", "-q", "--epollsim-seeds", "10:13")
    assert [line for line in result.stdout.lines if "::" in line] == [
        f"test_epollsim_seeds_runs_a_range_instead.py::test_x[seed={s}]" for s in (10, 11, 12)
    ]
    result = run(pytester, "--collect-only", "-q", "--epollsim-seeds", "0:1000")
    assert "test_x[seeds=900-999]" in result.stdout.str()
    result = run(pytester, "--epollsim-seeds", "9:x")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    assert "seed range '9:x'" in result.stderr.str()


def test_a_failure_reports_its_seed_and_replay_command_and_replays(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_race=RACE + textwrap.dedent(
        """
        @pytest.mark.epollsim(seeds=range(40))
        def test_race(kernel):
            assert take_two_tickets(kernel) == 1
        """
    ))
    result = run(pytester)
    out = result.stdout.str()
    failed = sorted(int(s) for s in re.findall(r"FAILED test_race.py::test_race\[seed=(\d+)\]", out))
    assert failed and len(failed) < 40
    seed = failed[0]
    assert f"seed: {seed} (schedule 'random')" in out
    command = f"pytest 'test_race.py::test_race[seed={seed}]' --epollsim-seed {seed}"
    assert f"replay: {command}" in out
    # the command replays it: same seed, same failure; a passing seed passes again
    again = run(pytester, f"test_race.py::test_race[seed={seed}]", "--epollsim-seed", str(seed))
    again.assert_outcomes(failed=1)
    assert "assert 2 == 1" in again.stdout.str()
    passing = min(set(range(40)) - set(failed))
    run(
        pytester, f"test_race.py::test_race[seed={passing}]", "--epollsim-seed", str(passing)
    ).assert_outcomes(passed=1)


def test_epollsim_trace_writes_a_failing_tests_trace(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_traced=RACE + textwrap.dedent(
        """
        @pytest.mark.epollsim(seeds=[2])
        def test_race(kernel):
            assert take_two_tickets(kernel) == 1
        """
    ))
    result = run(pytester, "--epollsim-trace", "traces")
    result.assert_outcomes(failed=1)
    match = re.search(r"trace: (\S+\.json)  \(open it in ui.perfetto.dev\)", result.stdout.str())
    assert match, result.stdout.str()
    assert pathlib.Path(match.group(1)) == pytester.path / "traces" / "test_traced.py_test_race_seed=2.json"
    events = json.loads(pathlib.Path(match.group(1)).read_text())["traceEvents"]
    assert {e["args"]["name"] for e in events if e.get("name") == "thread_name"} >= {"MainThread", "Thread-1 (take)"}
    plain = run(pytester)  # by default the trace goes under pytest's basetemp
    default = re.search(r"trace: (\S+\.json)  \(open it in ui.perfetto.dev\)", plain.stdout.str())
    assert default, plain.stdout.str()
    assert pathlib.Path(default.group(1)).parent.name == "epollsim-traces"
    assert json.loads(pathlib.Path(default.group(1)).read_text())["traceEvents"]
    off = run(pytester, "--epollsim-trace", "off")
    assert "trace: none recorded (tracing is off: replay without --epollsim-trace off" in off.stdout.str()


def test_a_failing_seed_in_a_chunk_is_replayed_alone(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_chunk=RACE + textwrap.dedent(
        """
        @pytest.mark.epollsim(seeds=range(200))
        def test_race(kernel):
            assert take_two_tickets(kernel) == 1
        """
    ))
    result = run(pytester, "test_chunk.py::test_race[seeds=0-99]")
    result.assert_outcomes(failed=1)
    match = re.search(r"replay: pytest '(test_chunk.py::test_race\[seed=(\d+)\])' --epollsim-seed (\d+)", result.stdout.str())
    assert match and match.group(2) == match.group(3)
    again = run(pytester, match.group(1), "--epollsim-seed", match.group(2))
    again.assert_outcomes(failed=1)
    assert "assert 2 == 1" in again.stdout.str()


def test_a_deadlock_is_reported_with_what_each_thread_waits_for(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        def test_stuck(kernel):
            r, w = kernel.os.pipe()
            reader = kernel.threading.Thread(target=kernel.os.read, args=(r, 1), name="reader")
            reader.start()
            kernel.os.read(r, 1)
        """
    )
    result = run(pytester)
    result.assert_outcomes(failed=1)
    out = result.stdout.str()
    section = out[out.index("- epollsim -"):]
    seed = zlib.crc32(b"test_a_deadlock_is_reported_with_what_each_thread_waits_for.py::test_stuck")
    assert f"seed: {seed} (schedule 'fifo')" in section
    assert f"--epollsim-seed {seed}" in section
    assert "deadlock: every thread is blocked and no deadline is pending:" in section
    assert "reader: " in section and "MainThread: " in section


def test_a_simulated_thread_dying_fails_the_test(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        def test_worker_fails(kernel):
            def work():
                raise ValueError("bad input")
            t = kernel.threading.Thread(target=work, name="worker")
            t.start()
            t.join()
        """
    )
    result = run(pytester)
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*ThreadFailed: simulated thread worker raised ValueError: bad input*"])


def test_patch_true_needs_kernel_patch(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> None:
    pytester.makepyfile(
        """
        import pytest

        @pytest.mark.epollsim(seeds=2, patch=True)
        def test_patched(kernel):
            assert getattr(kernel, "patched", False)
        """
    )
    if getattr(epollsim.Kernel, "patch", None) is None:
        result = run(pytester)
        result.assert_outcomes(failed=2)
        result.stdout.fnmatch_lines(["*Unsupported: @pytest.mark.epollsim(patch=True) runs the test under Kernel.patch(), which is not available*"])
    entered: list[int] = []

    class FakePatch:
        def __init__(self, kernel: epollsim.Kernel) -> None:
            self.kernel = kernel

        def __enter__(self) -> None:
            self.kernel.patched = True  # type: ignore[attr-defined]
            entered.append(self.kernel.seed)

        def __exit__(self, *exc: object) -> None:
            self.kernel.patched = False  # type: ignore[attr-defined]

    monkeypatch.setattr(epollsim.Kernel, "patch", lambda self: FakePatch(self), raising=False)
    run(pytester).assert_outcomes(passed=2)
    assert entered == [0, 1]


@pytest.mark.skipif(getattr(epollsim.Kernel, "patch", None) is None, reason="Kernel.patch() not available")
def test_patch_true_runs_unmodified_code_on_the_model(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        import socket, threading, time
        import pytest

        @pytest.mark.epollsim(seeds=3, patch=True)
        def test_unmodified(kernel):
            start = time.monotonic()
            a, b = socket.socketpair()
            t = threading.Thread(target=lambda: (time.sleep(3600), b.sendall(b"hi")))
            t.start()
            assert a.recv(2) == b"hi"
            assert 3600.000001 <= time.monotonic() - start <= 3600.00005  # virtual: at once, within 50 us of slack
            t.join()
            assert kernel.now_ns > 0 and a.fileno() == 3  # the model's fd table

        def test_after():
            assert time.sleep.__module__ == "time" and socket.socket.__module__ == "socket"
        """
    )
    run(pytester).assert_outcomes(passed=4)


def test_epollsim_real_hands_out_the_host_modules(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        import os, select, socket, time, threading
        import pytest

        def test_pipe(kernel):
            assert kernel.os is os and kernel.time is time and kernel.threading is threading
            ep = kernel.select.epoll()
            assert isinstance(ep, select.epoll)
            r, w = kernel.os.pipe()
            ep.register(r, kernel.select.EPOLLIN | kernel.select.EPOLLET)
            kernel.os.write(w, b"x")
            assert ep.poll(0) == [(r, kernel.select.EPOLLIN)]
            a, b = kernel.socket.socketpair()
            assert isinstance(a, socket.socket)

        @pytest.mark.epollsim(seeds=50)
        def test_marked(kernel, epollsim_seed):
            assert kernel.is_real

        def test_model_only(kernel):
            kernel.describe_epoll(3)
        """
    )
    result = run(pytester, "-rs", "--epollsim-real")
    result.assert_outcomes(passed=2, skipped=1)
    result.stdout.fnmatch_lines(["*kernel.describe_epoll exists only on the model*"])
    assert "seed=" not in result.stdout.str()


def test_bad_marker_arguments_fail_their_own_test_at_setup_naming_the_argument(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        import pytest

        @pytest.mark.epollsim(seeds=2, seed=3)
        def test_typo(kernel):
            pass

        @pytest.mark.epollsim(seeds=2, schedul="fifo")
        def test_typo_without_the_fixture():
            pass

        @pytest.mark.epollsim(seeds=2, schedule="lifo")
        def test_lifo():
            pass

        @pytest.mark.epollsim(seeds="many")
        def test_seeds():
            pass

        @pytest.mark.epollsim(seeds=2, max_user_watches=10)
        def test_kernel_option(kernel):
            assert kernel.max_user_watches == 10 if hasattr(kernel, "max_user_watches") else True
        """
    )
    result = run(pytester)
    result.assert_outcomes(passed=2, errors=4)  # the session goes on: only the bad tests fail
    out = result.stdout.str()
    assert "ERROR at setup of test_typo _" in out
    assert "@pytest.mark.epollsim: unknown argument 'seed' (did you mean 'seeds'?); it takes seeds, schedule" in out
    assert "unknown argument 'schedul' (did you mean 'schedule'?)" in out
    assert "@pytest.mark.epollsim: schedule must be 'random', 'fifo', 'pct' or 'systematic', not 'lifo'" in out
    assert "seeds must be an int N or an iterable of ints, not 'many'" in out
    assert "TypeError" not in out and "During handling" not in out


def test_a_failure_shows_the_tests_frames_not_epollsims(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        import pytest

        def test_stuck(kernel):
            lock = kernel.threading.Lock()
            lock.acquire()
            t = kernel.threading.Thread(target=lock.acquire)
            t.start()
            t.join()

        def test_dies(kernel):
            t = kernel.threading.Thread(target=lambda: 1 / 0, name="worker")
            t.start()
            t.join()
        """
    )
    ours = str(pathlib.Path(epollsim.__file__).parent) + "/"
    result = run(pytester)
    result.assert_outcomes(failed=2)
    out = result.stdout.str().partition("Captured stderr call")[0]  # (threading prints its own frames there)
    assert ours not in out, out  # no frame of epollsim's, the plugin's included
    assert ">       t.join()" in out and "E       epollsim.errors.Deadlock: every thread is blocked" in out
    assert "ZeroDivisionError: division by zero" in out and "ThreadFailed" in out
    assert ours in run(pytester, "--full-trace").stdout.str()  # ... unless asked for


def test_every_option_has_an_ini_twin_and_the_command_line_wins(pytester: pytest.Pytester) -> None:
    pytester.makeini(
        """
        [pytest]
        epollsim_seeds = 5:8
        epollsim_trace = off
        epollsim_real_timeout = 7
        """
    )
    pytester.makepyfile(
        """
        import pytest

        @pytest.mark.epollsim(seeds=100)
        def test_sweep(kernel, epollsim_seed):
            assert not kernel.trace.on
            assert epollsim_seed < 7
        """
    )
    result = run(pytester, "-v")
    result.assert_outcomes(passed=2, failed=1)
    assert "test_sweep[seed=7] FAILED" in result.stdout.str()
    assert "trace: none recorded (tracing is off" in result.stdout.str()
    run(pytester, "--epollsim-seeds", "0:3").assert_outcomes(passed=3)
    run(pytester, "--epollsim-seed", "6").assert_outcomes(passed=1)
    options = pytester.parseconfig().getini
    assert [options(name) for name in ("epollsim_seed", "epollsim_real")] == [None, False]
    pytester.makeini("[pytest]\nepollsim_seed = 7\n")
    run(pytester).assert_outcomes(failed=1)


def test_a_sweep_runs_untraced_and_reruns_its_failing_seed_traced(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        import pytest

        SEEN = []

        @pytest.mark.epollsim(seeds=range(200), chunk=100)
        def test_sweep(kernel, epollsim_seed):
            SEEN.append((epollsim_seed, kernel.trace.on))
            kernel.time.sleep(1)
            assert epollsim_seed != 150

        def test_after():
            assert SEEN[:100] == [(s, False) for s in range(100)]  # the first chunk: untraced
            assert SEEN[100:] == [(s, False) for s in range(100, 151)] + [(150, True)]  # then a traced rerun
        """
    )
    result = run(pytester)
    result.assert_outcomes(passed=2, failed=1)
    match = re.search(r"trace: (\S+\.json)  \(open it in ui.perfetto.dev\)", result.stdout.str())
    assert match and "seed=150" in match.group(1)
    events = json.loads(pathlib.Path(match.group(1)).read_text())["traceEvents"]
    assert any(e.get("name", "").startswith("clock_nanosleep") or "sleep" in e.get("name", "") for e in events), events[:20]


def test_a_traced_rerun_that_does_not_repeat_says_so(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        import pytest

        RUNS = []

        @pytest.mark.epollsim(seeds=range(150))
        def test_not_repeatable(kernel, epollsim_seed):
            RUNS.append(epollsim_seed)
            assert RUNS.count(3) != 1
        """
    )
    out = run(pytester).stdout.str()
    assert "(the traced rerun passed: the test does not repeat itself for one seed)" in out


def test_epollsim_real_refuses_kernel_options_and_times_out(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        import pytest, socket

        @pytest.mark.epollsim(seeds=3, max_user_watches=10)
        def test_limits(kernel):
            pass

        @pytest.mark.epollsim(patch=True)
        def test_patched(kernel):
            a, b = socket.socketpair()  # the real modules are already in place: honoured
            a.send(b"x")
            assert b.recv(1) == b"x" and kernel.is_real

        def test_deadlock(kernel):
            r, w = kernel.os.pipe()
            kernel.os.read(r, 1)  # blocks forever on Linux
        """
    )
    result = run(pytester, "-rs", "--epollsim-real", "--epollsim-real-timeout", "0.5")
    result.assert_outcomes(passed=1, skipped=1, failed=1)
    out = result.stdout.str()
    assert "--epollsim-real cannot honour @pytest.mark.epollsim(max_user_watches=10)" in out
    assert "RealRunTimeout: the test ran longer than 0.5 s on the real kernel (--epollsim-real-timeout)" in out


ASYNC_RACE = textwrap.dedent(
    """
    import asyncio
    import pytest

    async def test_an_hour_in_no_time(kernel):
        loop = asyncio.get_running_loop()
        start = loop.time()
        await asyncio.sleep(3600)
        assert round(loop.time() - start, 3) == 3600 and kernel.now_ns >= 3600 * 10**9  # (50 us of timer slack)

    @pytest.mark.epollsim(seeds=range(20))
    async def test_one_ticket(kernel):
        state = {"tickets": 1, "taken": 0}

        def take():
            if state["tickets"] > 0:
                kernel.time.sleep(0)
                state["tickets"] -= 1
                state["taken"] += 1

        await asyncio.gather(asyncio.to_thread(take), asyncio.to_thread(take))
        assert state["taken"] == 1

    @pytest.mark.epollsim(patch=True)
    async def test_patched(kernel):
        import time
        start = time.monotonic()
        await asyncio.sleep(60)
        assert 60 < time.monotonic() - start <= 60.06  # within epoll_wait's slack, 0.1 %
    """
)


def failing_seeds(result: pytest.RunResult, name: str) -> list[int]:
    return sorted(int(s) for s in re.findall(rf"FAILED \S+::{name}\[seed=(\d+)\]", result.stdout.str()))


def test_an_async_test_runs_on_the_kernels_loop_in_virtual_time_and_replays(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_async=ASYNC_RACE)
    result = run(pytester, "-p", "no:asyncio", "-p", "no:anyio")  # no other async plugin
    failed = failing_seeds(result, "test_one_ticket")
    assert 0 < len(failed) < 20
    result.assert_outcomes(passed=2 + 20 - len(failed), failed=len(failed))
    assert "not natively supported" not in result.stdout.str()
    seed = failed[0]
    again = run(pytester, "-p", "no:asyncio", "-p", "no:anyio", f"test_async.py::test_one_ticket[seed={seed}]",
                "--epollsim-seed", str(seed))
    again.assert_outcomes(failed=1)
    assert "assert 2 == 1" in again.stdout.str()


def test_pytest_asyncio_tests_run_on_the_model_with_the_same_seeds(pytester: pytest.Pytester) -> None:
    pytest.importorskip("pytest_asyncio")
    pytester.makepyfile(test_async=ASYNC_RACE)
    plain = failing_seeds(run(pytester, "-p", "no:asyncio", "-p", "no:anyio"), "test_one_ticket")
    pytester.makepyfile(test_async=ASYNC_RACE.replace("    async def", "    @pytest.mark.asyncio\n    async def"))
    pytester.makepyfile(test_plain=textwrap.dedent(
        """
        import asyncio, pytest

        class Policy(asyncio.DefaultEventLoopPolicy):
            def new_event_loop(self):
                loop = super().new_event_loop()
                loop.made_by_the_policy = True
                return loop

        @pytest.fixture(scope="module")
        def event_loop_policy():
            return Policy()

        @pytest.mark.asyncio
        async def test_real():  # epollsim stays out of it: the project's policy makes its loop
            assert asyncio.get_running_loop().made_by_the_policy
            await asyncio.sleep(0.01)
        """
    ))
    result = run(pytester, "-p", "no:anyio", "-W", "ignore::DeprecationWarning")
    assert failing_seeds(result, "test_one_ticket") == plain  # one interleaving per seed, whoever runs it
    result.assert_outcomes(passed=3 + 20 - len(plain), failed=len(plain))
    seed = plain[0]
    again = run(pytester, f"test_async.py::test_one_ticket[seed={seed}]", "--epollsim-seed", str(seed))
    again.assert_outcomes(failed=1)


def test_anyio_tests_run_on_the_model_through_their_backend_fixture(pytester: pytest.Pytester) -> None:
    pytest.importorskip("anyio")
    pytester.makepyfile(test_async=ASYNC_RACE)
    plain = failing_seeds(run(pytester, "-p", "no:asyncio", "-p", "no:anyio"), "test_one_ticket")
    pytester.makepyfile(test_async=ASYNC_RACE.replace("    async def", "    @pytest.mark.anyio\n    async def") + (
        "\n@pytest.fixture\ndef anyio_backend(kernel):\n"
        "    return ('asyncio', {'loop_factory': kernel.asyncio.new_event_loop})\n"
    ))
    result = run(pytester, "-p", "no:asyncio")
    assert failing_seeds(result, "test_one_ticket") == plain
    result.assert_outcomes(passed=2 + 20 - len(plain), failed=len(plain))


def test_chunking_rule() -> None:
    assert pytest_plugin.chunked(tuple(range(100)), None) == [(s,) for s in range(100)]
    groups = pytest_plugin.chunked(tuple(range(1000)), None)
    assert len(groups) == 10 and groups[-1] == tuple(range(900, 1000))
    assert [pytest_plugin.chunk_id(g) for g in pytest_plugin.chunked((5, 9, 2), 2)] == ["seeds=5-9", "seed=2"]


def test_pytest_xdist_spreads_the_seed_items_and_workers_agree(pytester: pytest.Pytester) -> None:
    pytest.importorskip("xdist")
    pytester.makepyfile(test_spread=RACE + textwrap.dedent(
        """
        import os, zlib

        @pytest.mark.epollsim(seeds=range(400))
        def test_many(kernel, epollsim_seed):
            assert kernel.seed == epollsim_seed
            print(os.environ["PYTEST_XDIST_WORKER"])

        def test_plain(kernel, request):
            assert kernel.seed == zlib.crc32(request.node.nodeid.encode())

        @pytest.mark.epollsim(seeds=[0, 1, 2, 3])
        def test_race(kernel):
            assert take_two_tickets(kernel) == 1
        """
    ))
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "-p", "no:hypothesispytest", "-n", "2", "-v")
    out = result.stdout.str()
    chunks = re.findall(r"\[(gw\d)\] .*PASSED test_spread.py::test_many\[seeds=(\d+)-(\d+)\]", out)
    assert sorted((int(a), int(b)) for _, a, b in chunks) == [(0, 99), (100, 199), (200, 299), (300, 399)]
    assert set(re.findall(r"\[(gw\d)\] ", out)) == {"gw0", "gw1"}  # both workers ran items
    assert re.search(r"PASSED test_spread.py::test_plain", out)
    failed = re.findall(r"FAILED test_spread.py::test_race\[seed=(\d)\]", out)
    assert failed  # seeds 1, 2 and 3 race (the same seeds as in one process)
    for seed in failed:  # the report section survives the trip from the worker
        assert f"replay: pytest 'test_spread.py::test_race[seed={seed}]' --epollsim-seed {seed}" in out


def test_the_marker_takes_the_pct_schedule_which_finds_a_race_without_waits(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        import pytest

        def token_race(kernel):
            r, w = kernel.os.pipe()
            kernel.os.set_blocking(r, False)
            taken = []

            def worker(name):
                try:
                    token = kernel.os.read(r, 1)
                except BlockingIOError:
                    return
                taken.append(name)
                kernel.os.write(w, token)

            kernel.os.write(w, b"t")
            threads = [kernel.threading.Thread(target=worker, args=(n,)) for n in "ab"]
            for t in threads:
                t.start()
            for t in threads:
                t.join()
            return len(taken)

        @pytest.mark.epollsim(seeds=range(8, 12), schedule="pct")
        def test_pct(kernel):
            assert token_race(kernel) == 2

        @pytest.mark.epollsim(seeds=range(8, 12), schedule="random")
        def test_random(kernel):
            assert token_race(kernel) == 2
        """
    )
    result = run(pytester)
    result.assert_outcomes(passed=7, failed=1)  # pct's seed 10 preempts between read and write
    assert "seed: 10 (schedule 'pct')" in result.stdout.str()
