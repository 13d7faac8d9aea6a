"""The random schedule is preemptive (issue 12 item 1): every system call, clock read and
Thread.start is a point where another runnable thread may run first; fifo is unchanged."""
from __future__ import annotations

import pathlib
import runpy
from collections import Counter
from collections.abc import Callable

import epollsim
from epollsim import Kernel

# Two threads each take a token from a pipe without waiting and put it back: a race whose window
# holds only non-blocking calls (read, then write). The program docs/exploring.md explores.
token_race: Callable[[Kernel], None] = runpy.run_path(
    str(pathlib.Path(__file__).parents[1] / "cli" / "programs" / "token_race.py")
)["main"]


def start_then_read(k: Kernel) -> bytes:
    """The starter reads, without waiting, what the thread it just started writes."""
    r, w = k.os.pipe()
    k.os.set_blocking(r, False)
    t = k.threading.Thread(target=k.os.write, args=(w, b"x"))
    t.start()
    try:
        got = k.os.read(r, 1)
    except BlockingIOError:
        got = b""
    t.join()
    return got


def test_a_race_between_two_non_blocking_calls_is_found_by_random_pct_and_systematic() -> None:
    assert epollsim.explore(token_race, seeds=range(30), schedule="fifo").ok
    for schedule in ("random", "pct"):
        result = epollsim.explore(token_race, seeds=range(100), schedule=schedule)
        assert result.failures and len(result.failures) < result.runs, (schedule, str(result))
        seed = result.failures[0].seed
        try:
            epollsim.run_seed(token_race, seed, schedule)
        except AssertionError as again:
            assert str(again) == str(result.failures[0].error)
        else:
            raise AssertionError(f"seed {seed} did not fail again under {schedule}")
    found = epollsim.explore_systematic(token_race, preemptions=1)
    assert found.failures and found.failures[0][0].preemptions() == 1


def test_both_outcomes_of_a_start_then_read_race_occur_across_seeds() -> None:
    assert {start_then_read(Kernel(s)) for s in range(10)} == {b""}  # fifo: the starter goes on
    for schedule in ("random", "pct"):
        seen = Counter(start_then_read(Kernel(s, schedule=schedule)) for s in range(60))
        assert set(seen) == {b"", b"x"}, (schedule, seen)


def test_the_same_seed_preempts_the_same_way() -> None:
    def run(seed: int) -> tuple[int, str]:
        k = Kernel(seed, schedule="random", trace=True)
        start_then_read(k)
        return k.sched.preemptions, k.trace.digest()

    runs = [run(s) for s in range(12)]
    assert runs == [run(s) for s in range(12)]
    assert len({digest for _, digest in runs}) > 1 and any(n for n, _ in runs)


def test_the_trace_shows_a_preemption_at_a_call_that_does_not_wait() -> None:
    for seed in range(40):
        k = Kernel(seed, schedule="random", trace=True)
        if start_then_read(k) == b"x":
            break
    else:
        raise AssertionError("no seed ran the started thread first")
    lines = k.trace.lines()
    # The starter was switched out at Thread.start or at its read, neither of which waits.
    switch = next(i for i, line in enumerate(lines) if "MainThread@localhost  switches to Thread-1" in line)
    assert not any("blocks" in line for line in lines[:switch]), lines
    assert k.sched.preemptions >= 1


def test_fifo_has_no_preemption_points() -> None:
    fifo, rand = Kernel(), Kernel(schedule="random")
    assert not fifo.sched.preemptive and rand.sched.preemptive
    assert type(rand.sys).__mro__[1] is type(fifo.sys)  # the preempting subclass (syscalls/preempt.py)
    token_race(fifo)
    assert fifo.sched.preemptions == 0


def test_a_call_made_while_the_thread_blocks_is_no_preemption_point() -> None:
    """The idle hook (the patch's collector runs finalizers there) may make a thread runnable
    and then read the clock: the blocked thread is not the running one and must not be
    put on the run queue."""
    for seed in range(10):
        k = Kernel(seed, schedule="random")
        r, w = k.os.pipe()
        got: list[bytes] = []
        reader = k.threading.Thread(target=lambda: got.append(k.os.read(r, 1)))
        reader.start()
        k.time.sleep(0.001)  # the reader blocks in its read

        def idle() -> None:  # runs in the main thread, blocked in join below
            k.sched.on_idle = None
            k.os.write(w, b"x")  # a finalizer's close: wakes the reader
            k.time.monotonic()  # then a clock read

        k.sched.on_idle = idle
        reader.join()
        assert got == [b"x"]
