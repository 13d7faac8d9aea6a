"""The bad-input differential fuzzer (fuzz.py) in CI: a bounded run finds nothing new.

``python -m tests.differential.fuzz --calls 1000000`` is the long run (docs/testing.md).
"""
from __future__ import annotations

import os
from typing import Any

import pytest
from fuzz import CALLS, KNOWN, Fuzzer, known
from fuzz_ops import Call

CI_CALLS = int(os.environ.get("EPOLLSIM_FUZZ_CALLS", "30000"))


@pytest.fixture
def fuzzer() -> Any:
    f = Fuzzer(seed=int(os.environ.get("EPOLLSIM_FUZZ_SEED", "0")))
    yield f
    f.close()


def test_bounded_run_finds_no_new_divergence(fuzzer: Fuzzer) -> None:
    report = fuzzer.fuzz(CI_CALLS)
    assert report.calls >= CI_CALLS
    assert not report.found, report.summary()


def test_a_planted_divergence_is_found_and_shrunk(fuzzer: Fuzzer, monkeypatch: pytest.MonkeyPatch) -> None:
    """The model's get_blocking answers wrong once an fd has been written to: found, shrunk to a few calls."""
    real_call = CALLS["get_blocking"]

    def planted(side: Any, fd: Any) -> Any:
        value = real_call(side, fd)
        return (not value) if side.name == "model" and side.written else value

    def write(side: Any, fd: Any, data: Any) -> Any:
        n = side.os.write(fd, data)
        side.written = True
        return n

    monkeypatch.setattr("fuzz_ops.Side.written", False, raising=False)
    monkeypatch.setitem(CALLS, "get_blocking", planted)
    monkeypatch.setitem(CALLS, "write", write)
    report = fuzzer.fuzz(3000)
    key = ("get_blocking", "ok", "ok (other value)")
    assert key in report.found, report.summary()
    program = report.found[key].program
    assert [c.op for c in program][-1] == "get_blocking"
    assert len(program) <= 4, program  # a creator, a write, the call (shrinking dropped the rest)


def test_only_documented_unsupported_calls_are_known() -> None:
    from fuzz import Divergence

    call = Call(1, "pipe2", (0o40000,))
    real = ("ok", (5, 6), None)
    documented = ("raised", "Unsupported", None, "packet-mode and notification pipes are not modelled")
    other = ("raised", "Unsupported", None, "os.fork is not modelled")
    assert known(Divergence(call, real, documented, [call])) == KNOWN[0][0]
    assert known(Divergence(call, real, other, [call])) is None
