"""The pytest marker's schedule="systematic" (every schedule within a preemption bound, one item,
the failure shrunk and replayable with --epollsim-schedule) and schedule="pct", depth=D."""
from __future__ import annotations

import textwrap

import pytest

pytest_plugins = ["pytester"]

TOKEN_RACE = textwrap.dedent(
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

    def race_free(kernel):
        r, w = kernel.os.pipe()
        t = kernel.threading.Thread(target=kernel.os.write, args=(w, b"x"))
        t.start()
        assert kernel.os.read(r, 1) == b"x"
        t.join()
    """
)


def run(pytester: pytest.Pytester, *args: str) -> pytest.RunResult:
    return pytester.runpytest("-p", "no:cacheprovider", "-p", "no:hypothesispytest", *args)


def test_systematic_finds_the_race_as_one_item_and_reports_the_shrunk_schedule(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_tokens=TOKEN_RACE + textwrap.dedent(
        """
        @pytest.mark.epollsim(schedule="systematic", preemptions=2)
        def test_race(kernel):
            assert token_race(kernel) == 2

        @pytest.mark.epollsim(schedule="systematic", preemptions=1)
        def test_race_free(kernel):
            race_free(kernel)

        @pytest.mark.epollsim(schedule="systematic", preemptions=0)
        def test_no_preemption_no_failure(kernel):
            assert token_race(kernel) == 2
        """
    ))
    result = run(pytester, "-v")
    result.assert_outcomes(passed=2, failed=1)
    out = result.stdout.str()
    assert "test_tokens.py::test_race FAILED" in out  # one item, no seeds
    assert "schedule: systematic:3=1 (6 schedules with at most 2 preemptions run, the bounded space NOT" in out
    assert "replay: pytest test_tokens.py::test_race --epollsim-schedule systematic:3=1" in out
    assert "assert 1 == 2" in out  # the shrunk schedule's own failure, run again
    again = run(pytester, "test_tokens.py::test_race", "--epollsim-schedule", "systematic:3=1")
    again.assert_outcomes(failed=1)
    assert "schedule: systematic:3=1 (replayed)" in again.stdout.str()
    fixed = run(pytester, "test_tokens.py::test_race", "--epollsim-schedule", "systematic:2=1")
    fixed.assert_outcomes(passed=1)
    seeded = run(pytester, "test_tokens.py::test_race", "--epollsim-seed", "7")
    seeded.assert_outcomes(failed=1)
    assert "--epollsim-schedule systematic:3=1 --epollsim-seed 7" in seeded.stdout.str()


def test_a_failure_in_a_simulated_thread_fails_the_search_too(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_threads=TOKEN_RACE + textwrap.dedent(
        """
        @pytest.mark.epollsim(schedule="systematic")
        def test_in_a_thread(kernel):
            def check():
                assert token_race(kernel) == 2
            t = kernel.threading.Thread(target=check)
            t.start()
            t.join()
        """
    ))
    result = run(pytester)
    result.assert_outcomes(failed=1)
    assert "--epollsim-schedule systematic:" in result.stdout.str()


@pytest.mark.parametrize(("args", "message"), [
    ("schedule='systematic', seeds=3", "schedule='systematic' takes no seeds"),
    ("schedule='random', preemptions=2", "preemptions= goes with schedule='systematic', not 'random'"),
    ("schedule='systematic', preemptions=-1", "preemptions must be an int >= 0, not -1"),
    ("schedule='pct', depth=0", "depth must be an int >= 1 (PCT's bug depth), not 0"),
    ("schedule='systematic', depth=2", "depth= goes with schedule='pct', not 'systematic'"),
    ("schedule='systematic', preemption=2", "unknown argument 'preemption' (did you mean 'preemptions'?)"),
])
def test_bad_strategy_arguments_fail_the_test_at_setup(pytester: pytest.Pytester, args: str, message: str) -> None:
    pytester.makepyfile(f"""
        import pytest

        @pytest.mark.epollsim({args})
        def test_x(kernel):
            pass
        """)
    result = run(pytester)
    result.assert_outcomes(errors=1)
    assert message in result.stdout.str()


def test_pct_with_a_depth(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_inner_depth=TOKEN_RACE + textwrap.dedent(
        """
        import epollsim

        @pytest.mark.epollsim(seeds=range(4), schedule="pct", depth=2)
        def test_depth(kernel):
            assert kernel.sched.pct.depth == 2
            assert token_race(kernel) == 2
        """
    ))
    result = run(pytester)
    out = result.stdout.str()
    outcomes = result.parseoutcomes()
    assert outcomes.get("passed", 0) + outcomes.get("failed", 0) == 4
    assert "assert 3 == 2" not in out  # the depth reached the kernel
    if outcomes.get("failed"):
        assert "(schedule 'pct:2')" in out


def test_a_bad_epollsim_schedule_option_is_a_usage_error(pytester: pytest.Pytester) -> None:
    pytester.makepyfile("def test_x():\n    pass\n")
    result = run(pytester, "--epollsim-schedule", "systematic:x")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    assert "--epollsim-schedule: a systematic schedule is" in result.stderr.str()


def test_a_fixture_built_on_the_kernel_is_refused_with_the_reason(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        import pytest

        @pytest.fixture
        def pipe(kernel):
            return kernel.os.pipe()

        @pytest.mark.epollsim(schedule="systematic")
        def test_x(kernel, pipe):
            kernel.os.write(pipe[1], b"x")
        """
    )
    result = run(pytester)
    result.assert_outcomes(failed=1)
    assert "a fixture of this test is built on the kernel once" in result.stdout.str()
