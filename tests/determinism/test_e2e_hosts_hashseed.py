"""Twisted and trio on two hosts under k.patch() (tests/unit/test_e2e_*.py): one seed, one trace,
under any PYTHONHASHSEED (in a fresh interpreter each, so no run inherits another's state)."""
from __future__ import annotations

import pathlib

import pytest
from hashseed_helpers import output_under_hashseed

pytest.importorskip("twisted")
pytest.importorskip("trio")

PROGRAM = str(pathlib.Path(__file__).with_name("e2e_hosts_program.py"))


def test_two_host_runs_are_the_same_under_any_hashseed() -> None:
    first = output_under_hashseed("0", PROGRAM)
    assert first == output_under_hashseed("31337", PROGRAM)
    assert first.count("HELLO") >= 2  # each run did its work
