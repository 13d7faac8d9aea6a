"""Same program + same seed = the same trace, byte for byte, run twice or under any PYTHONHASHSEED;
another seed, for a program with a race, another trace."""
from __future__ import annotations

import pathlib

from hashseed_helpers import output_under_hashseed
from traced_program import program, racy

import epollsim

HERE = pathlib.Path(__file__).parent

SCRIPT = f"""
import sys
sys.path.insert(0, {str(HERE)!r})
import epollsim
from traced_program import program
k = epollsim.Kernel(seed=int(sys.argv[1]), schedule="random", trace=True)
program(k)
print(k.trace.format())
"""


def traced(seed: int, prog=program) -> str:  # type: ignore[no-untyped-def]
    k = epollsim.Kernel(seed, schedule="random", trace=True)
    prog(k)
    return k.trace.format()


def test_the_same_seed_gives_the_same_trace_twice() -> None:
    first = traced(5)
    assert first == traced(5)
    # The trace covers what it should: calls, blocks, wake-ups, timeouts, clock jumps, switches.
    for part in ("epoll_wait(", "<... epoll_wait resumed>", "write(", "read(", "blocks in", "woken by",
                 "timed out", "(clock)  jumps", "switches to", "started by", "exits"):
        assert part in first, part


def run_in_subprocess(hashseed: str, seed: int) -> str:
    return output_under_hashseed(hashseed, "-c", SCRIPT, str(seed))


def test_the_trace_does_not_depend_on_the_hash_seed() -> None:
    first = run_in_subprocess("0", 5)
    assert first == run_in_subprocess("1", 5) == run_in_subprocess("4242", 5)
    assert first == traced(5) + "\n"  # and the same as in this process


def test_another_seed_gives_another_trace_for_a_racy_program() -> None:
    traces = {seed: traced(seed, racy) for seed in range(6)}
    assert traces[1] != traces[2]
    assert len(set(traces.values())) > 3


def test_the_fifo_schedule_is_one_trace_for_every_seed() -> None:
    def run(seed: int) -> str:
        k = epollsim.Kernel(seed, trace=True)
        racy(k)
        return k.trace.format()

    assert run(1) == run(2)


def test_a_trace_holds_no_addresses_or_wall_times() -> None:
    k = epollsim.Kernel(1, schedule="random", trace=True)
    program(k)
    a, b = k.socket.socketpair()
    a.sendall(b"x" * 5000)
    b.recv(10)
    text = k.trace.format()
    assert " at 0x" not in text and "object at" not in text
    assert "...(5000 bytes)" in text  # big buffers are shortened, deterministically


def test_tracing_does_not_change_what_the_program_sees() -> None:
    for seed in range(8):
        plain = epollsim.Kernel(seed, schedule="random")
        traced_k = epollsim.Kernel(seed, schedule="random", trace=True)
        assert racy(plain) == racy(traced_k)
        assert (plain.now_ns, plain.random.random()) == (traced_k.now_ns, traced_k.random.random())
