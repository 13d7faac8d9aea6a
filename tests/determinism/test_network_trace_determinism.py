"""Whole network runs (several hosts, asyncio over TCP and UDP, latency, UDP loss drawn from the
seed) give the same trace, by digest, run twice in one process and under two PYTHONHASHSEEDs;
another seed gives another trace."""
from __future__ import annotations

import pathlib

from hashseed_helpers import output_under_hashseed
from network_trace_program import traced_run

PROGRAM = pathlib.Path(__file__).with_name("network_trace_program.py")


def digest_in_subprocess(hashseed: str, seed: int) -> str:
    return output_under_hashseed(hashseed, str(PROGRAM), str(seed)).strip()


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
