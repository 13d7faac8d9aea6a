"""The differential state-machine base class users subclass: their rules, both backends, compared."""
from __future__ import annotations

import pytest
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import Bundle, multiple, rule, run_state_machine_as_test

from epollsim.testing.hypothesis import DifferentialMachine

SETTINGS = settings(max_examples=25, stateful_step_count=15, deadline=None, database=None, derandomize=True)


class PipeMachine(DifferentialMachine):
    """What a user writes: rules acting through self.both, on pipes and an epoll."""

    pipes = Bundle("pipes")

    def __init__(self) -> None:
        super().__init__()
        self.ep = {b.name: b.select.epoll() for b in self.backends}
        self.pair(self.ep["model"].fileno(), self.ep["real"].fileno())

    def teardown(self) -> None:
        for ep in self.ep.values():
            ep.close()
        super().teardown()

    @rule(target=pipes)
    def pipe(self) -> object:
        made = self.created("pipe2(O_NONBLOCK)", lambda b: b.os.pipe2(b.os.O_NONBLOCK))
        if made is None:
            return multiple()
        for b in self.backends:
            self.ep[b.name].register(self.fd(b, made[0]), b.select.EPOLLIN | b.select.EPOLLET)
        return made

    @rule(p=pipes, n=st.integers(0, 70000))
    def write(self, p: tuple[int, int], n: int) -> None:
        self.both(f"write({p[1]}, {n})", lambda b: b.os.write(self.fd(b, p[1]), b"x" * n))

    @rule(p=pipes, n=st.integers(1, 70000))
    def read(self, p: tuple[int, int], n: int) -> None:
        self.both(f"read({p[0]}, {n})", lambda b: b.os.read(self.fd(b, p[0]), n))

    @rule()
    def poll(self) -> None:
        self.both("epoll.poll(0)", lambda b: sorted(self.ep[b.name].poll(0)), translate=self.translate_events)


def test_a_users_machine_runs_on_both_backends() -> None:
    run_state_machine_as_test(PipeMachine, settings=SETTINGS)


def test_a_divergence_fails_with_both_outcomes(monkeypatch: pytest.MonkeyPatch) -> None:
    from epollsim.compat.os import OsModule

    real_write = OsModule.write
    monkeypatch.setattr(OsModule, "write", lambda self, fd, data, /: min(real_write(self, fd, data), 4000))
    with pytest.raises(AssertionError) as failed:
        run_state_machine_as_test(PipeMachine, settings=SETTINGS)
    message = str(failed.value)
    assert message.startswith("write(") and ", 4001):" in message.splitlines()[0]  # shrunk to the smallest write
    assert "real:  ('ok', 4001)" in message and "model: ('ok', 4000)" in message
