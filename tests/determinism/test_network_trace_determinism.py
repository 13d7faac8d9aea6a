"""Whole network runs (several hosts, asyncio over TCP and UDP, latency, UDP loss drawn from the
seed) give the same trace, by digest, run twice in one process and under two PYTHONHASHSEEDs;
another seed gives another trace."""
from __future__ import annotations

import os
import pathlib
import subprocess
import sys

from network_trace_program import traced_run

PROGRAM = pathlib.Path(__file__).with_name("network_trace_program.py")


def digest_in_subprocess(hashseed: str, seed: int) -> str:
    env = dict(os.environ, PYTHONHASHSEED=hashseed)
    done = subprocess.run([sys.executable, str(PROGRAM), str(seed)], env=env, capture_output=True, text=True,
                          check=True)
    return done.stdout.strip()


def test_a_network_run_has_one_trace_per_seed() -> None:
    digest, seen = traced_run(3)
    again, seen_again = traced_run(3)
    assert (again, seen_again) == (digest, seen)
    lost = [entry for entry in seen if entry[1] == "lost"]
    assert lost and all(entry[0] in (2, 12) for entry in lost)  # only h2's datagrams are dropped
    assert sum(1 for entry in seen if isinstance(entry[1], bytes) and entry[1].startswith(b"PING")) > 20
    assert traced_run(4)[0] != digest


def test_a_network_trace_does_not_depend_on_the_hash_seed() -> None:
    digest = traced_run(3)[0]
    assert digest_in_subprocess("0", 3) == digest_in_subprocess("1", 3) == digest
