"""A program touching every source of randomness and time (random, SystemRandom, os.urandom,
os.getrandom, secrets, uuid1/uuid4, tempfile names, datetime, every time function and clock id, a
staticmethod clock, a default-argument clock), a finalizer closing a socket held in a cycle, threads, and a
TCP exchange with a second host, run
under k.patch(): the seed fixes its trace and everything it observes, under any PYTHONHASHSEED."""
from __future__ import annotations

import pathlib

from hashseed_helpers import output_under_hashseed

PROGRAM = str(pathlib.Path(__file__).with_name("sealed_program.py"))


def test_the_seed_fixes_the_trace_and_the_observations_under_any_hashseed() -> None:
    first = output_under_hashseed("0", PROGRAM, "1")  # the program checks two runs in one process too
    assert first == output_under_hashseed("1", PROGRAM, "1") == output_under_hashseed("4242", PROGRAM, "1")
    assert "('finalized'" in first and "('peer', b''" in first and "UUID(" in first and "('echo', b'" in first


def test_another_seed_gives_another_run() -> None:
    first, other = output_under_hashseed("0", PROGRAM, "1"), output_under_hashseed("0", PROGRAM, "2")
    assert first.splitlines()[0] != other.splitlines()[0]  # the trace digests
    assert first != other
