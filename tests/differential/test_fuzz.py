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


REVERT_CALLS = 20000


def test_a_reverted_fix_is_found_again(monkeypatch: pytest.MonkeyPatch) -> None:
    """Issue 13 item 3 undone: a UDP socket connected to port 0 reports that port as its peer again
    (the model before the fix); the fuzzer, drawing as it always does, finds it within
    ``REVERT_CALLS`` calls and shrinks it to the UDP socket, its connect and the getpeername
    (``python -m pytest tests/differential/test_fuzz.py -k reverted`` reruns the check)."""
    from errno import ENOTCONN

    from epollsim.errors import oserror
    from epollsim.files.udp import UdpSocket

    def peername_before_the_fix(self: Any) -> tuple[str, int]:
        if not self.raddr:  # the fix added "or not self.rport" (inet_getname)
            raise oserror(ENOTCONN)
        return self._seen(self.raddr), self.rport

    monkeypatch.setattr(UdpSocket, "peername", peername_before_the_fix)
    f = Fuzzer(seed=0)
    try:
        report = f.fuzz(REVERT_CALLS)
    finally:
        f.close()
    key = ("getpeername", "OSError:107", "ok")
    assert key in report.found, report.summary()
    program = report.found[key].program
    ops = [c.op for c in program]
    assert ops[-1] == "getpeername" and "connect" in ops, program
    assert len(program) <= 5, program  # socket, connect (to port 0), perhaps a dup, getpeername
