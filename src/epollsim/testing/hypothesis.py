"""Hypothesis for epollsim: schedules that shrink, and a differential state machine to subclass.

Needs Hypothesis (``pip install 'epollsim[hypothesis]'``); importing ``epollsim`` never imports it.

**Schedules.** ``schedules()`` is a strategy of schedules to pass as
``Kernel(schedule=...)``: each is a ``Deviations`` (``sched/choosers.py``),
the few places where the run departs from the default FIFO order (at the
k-th choice among several runnable threads, run the i-th in wake-up order
instead of the first) and the network fault draws that are faults (a datagram
lost or duplicated). Hypothesis shrinks a failing one to the fewest
departures, the earliest and smallest, and prints it as the call that
rebuilds it, ``Deviations({9: 1})``, to paste into a regression test::

    from hypothesis import given
    from epollsim.testing.hypothesis import schedules

    @given(schedules())
    def test_tickets(schedule):
        k = epollsim.Kernel(schedule=schedule)   # one kernel per schedule: it counts choices
        ...

``choices()`` instead draws *every* choice from Hypothesis as it is made
(``HypothesisChooser``: an index among the runnable threads, 0 the FIFO one,
and every fault draw): it reaches any interleaving, and shrinks toward FIFO,
but Hypothesis minimises the number of draws first, so the shrunk schedule may
keep more departures than it needs. ``chooser.choices`` logs ``(index,
among)`` pairs and ``chooser.replay()`` replays them without Hypothesis.

**Differential machines.** ``DifferentialMachine`` is a
``RuleBasedStateMachine`` with the two backends of ``backends.py``,
``self.real`` (the host's kernel) and ``self.model`` (a fresh ``Kernel``);
``self.both(what, call)`` runs ``call(backend)`` on each and fails with both
outcomes when they differ (value, or exception type, errno and message). fd
numbers are paired (``self.pair(model_fd, real_fd)``, done by ``created``)
and translated (``self.to_real``), since the real process has other fds open.
"""
from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any

from hypothesis import event
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine

from ..sched.choosers import ChoiceList, Deviations
from ..sched.scheduler import current_scheduler
from .backends import Backend, make_backend

FAULT_STEPS = 1024  # resolution of a fault draw: random() is 1 - k/FAULT_STEPS, k drawn from 0..FAULT_STEPS-1


class HypothesisChooser:
    """A chooser (``Kernel(schedule=...)``) drawing every choice from Hypothesis's ``st.data()``."""

    name = "hypothesis"

    def __init__(self, data: Any, faults: bool = True) -> None:
        self._data = data
        self._faults = faults
        self.choices: list[tuple[int, int]] = []  # (index chosen, among how many runnable threads)
        self.fault_draws: list[float] = []

    def choose(self, n: int) -> int:
        index = self._draw(n, f"choice {len(self.choices) + 1} of {n} threads")
        self.choices.append((index, n))
        return index

    def random(self) -> float:
        if not self._faults:
            value = 1.0
        else:
            k = self._draw(FAULT_STEPS, f"fault draw {len(self.fault_draws) + 1}")
            value = 1.0 - k / FAULT_STEPS
        self.fault_draws.append(value)
        return value

    def _draw(self, n: int, label: str) -> int:
        try:
            return int(self._data.draw(st.integers(0, n - 1), label=label))
        except BaseException as exc:
            # Hypothesis ends an example from inside a draw (StopTest when shrinking runs out of
            # data): that must reach Hypothesis through the main thread, not die in a green one.
            sched = current_scheduler()
            if sched is not None and sched.current is not sched.main:
                sched.fail(exc)
            raise

    @property
    def non_default(self) -> int:
        """How many choices were not the FIFO one (and fault draws not 'no fault')."""
        return sum(1 for index, _ in self.choices if index) + sum(1 for v in self.fault_draws if v < 1.0)

    def replay(self) -> ChoiceList:
        """The same schedule as a plain ``ChoiceList`` (for a regression test without Hypothesis)."""
        return ChoiceList([index for index, _ in self.choices], self.fault_draws)

    def __repr__(self) -> str:
        picked = [f"{i}:{index}/{n}" for i, (index, n) in enumerate(self.choices) if index]
        return f"HypothesisChooser({len(self.choices)} choices, non-FIFO at {picked or 'none'})"


def choices(faults: bool = True) -> st.SearchStrategy[HypothesisChooser]:
    """Choosers drawing every choice as it comes; ``faults=False`` leaves the network fault-free."""
    return st.builds(partial(HypothesisChooser, faults=faults), st.data())


def schedules(
    max_departures: int = 8, horizon: int = 1000, max_threads: int = 8, faults: bool = True,
) -> st.SearchStrategy[Deviations]:
    """Schedules that depart from FIFO at up to ``max_departures`` of the first ``horizon`` choices
    (choosing among up to ``max_threads`` runnable threads), and fault at up to as many of the first
    ``horizon`` network fault draws (none with ``faults=False``). FIFO is the simplest."""
    departures = st.dictionaries(st.integers(0, horizon - 1), st.integers(1, max_threads - 1), max_size=max_departures)
    fault_draws = (
        st.frozensets(st.integers(0, horizon - 1), max_size=max_departures) if faults else st.just(frozenset())
    )
    return st.builds(Deviations, departures, fault_draws)


# -- differential machines ----------------------------------------------------------------------

# Exceptions compared as outcomes (anything else, an epollsim bug or Unsupported, propagates).
COMPARED: tuple[type[BaseException], ...] = (OSError, ValueError, TypeError, OverflowError, KeyError, RuntimeError)


def outcome(thunk: Callable[[], Any], compared: tuple[type[BaseException], ...] = COMPARED) -> tuple[Any, ...]:
    """``("ok", value)`` or ``("raised", type name, errno, message)``."""
    try:
        return ("ok", thunk())
    except compared as exc:
        return ("raised", type(exc).__name__, getattr(exc, "errno", None), str(exc))


class DifferentialMachine(RuleBasedStateMachine):
    """Subclass with rules that act through ``self.both`` (see the module comment).

    ``kernel_options`` go to the model's ``Kernel``; ``compared`` are the exception types that
    count as outcomes. ``teardown`` closes what the rules left open on both backends (call
    ``super().teardown()`` when overriding it).
    """

    kernel_options: dict[str, Any] = {}
    compared: tuple[type[BaseException], ...] = COMPARED

    def __init__(self) -> None:
        super().__init__()
        self.real: Any = make_backend("real")
        self.model: Any = make_backend("model", **self.kernel_options)
        self.m2r: dict[int, int] = {}  # model fd number -> real fd number
        self.r2m: dict[int, int] = {}

    @property
    def backends(self) -> tuple[Backend, Backend]:
        return (self.real, self.model)

    def teardown(self) -> None:
        self.real.cleanup(made=self.r2m)  # the numbers its rules made are closed without a gc.collect()
        self.model.cleanup()

    # -- comparing --------------------------------------------------------------------

    def outcomes(self, call: Callable[[Any], Any]) -> tuple[tuple[Any, ...], tuple[Any, ...]]:
        """(real outcome, model outcome) of ``call(backend)``, real first."""
        return outcome(partial(call, self.real), self.compared), outcome(partial(call, self.model), self.compared)

    def both(self, what: str, call: Callable[[Any], Any],
             translate: Callable[[Any], Any] | None = None) -> tuple[Any, ...]:
        """Run ``call`` on both backends; assert the outcomes agree; return the real one.

        ``translate`` maps the model's value into the real one's terms (``self.to_real`` for an
        fd number, ``self.translate_events`` for poll results) before comparing."""
        got_real, got_model = self.outcomes(call)
        if translate is not None and got_model[0] == "ok":
            got_model = ("ok", translate(got_model[1]))
        assert got_model == got_real, f"{what}:\n  real:  {got_real!r}\n  model: {got_model!r}"
        event(f"{what.split('(')[0]}: {summary(got_real)}")
        return got_real

    def created(self, what: str, call: Callable[[Any], Any]) -> tuple[int, ...] | None:
        """A call returning new fd numbers (a tuple, in the same order on both): both succeed (the
        numbers are paired; the model's are returned) or fail alike (None)."""
        got_real, got_model = self.outcomes(call)
        if got_real[0] == "ok" and got_model[0] == "ok":
            for r, m in zip(got_real[1], got_model[1]):
                self.pair(m, r)
            return tuple(got_model[1])
        assert got_model == got_real, f"{what}:\n  real:  {got_real!r}\n  model: {got_model!r}"
        return None

    # -- fd numbers -----------------------------------------------------------------------

    def pair(self, m: int, r: int) -> None:
        """Pair model fd ``m`` with real fd ``r``; a pairing contradicting an earlier one fails."""
        old_r, old_m = self.m2r.get(m, r), self.r2m.get(r, m)
        assert old_r == r and old_m == m, (
            f"fd numbering diverged: new fd is model {m} / real {r}, but model {m} was paired with "
            f"real {old_r} and real {r} with model {old_m}"
        )
        self.m2r[m] = r
        self.r2m[r] = m

    def to_real(self, m: int) -> int:
        assert m in self.m2r, f"the model reported fd {m}, a number this machine never created"
        return self.m2r[m]

    def fd(self, backend: Any, m: int) -> int:
        """Model fd number ``m`` as ``backend`` numbers it."""
        return m if getattr(backend, "is_model", False) else self.m2r[m]

    def translate_events(self, events: list[tuple[int, int]]) -> list[tuple[int, int]]:
        """An ``epoll.poll``/``select.poll`` result, its fd numbers in the real process's terms."""
        return [(self.to_real(fd), ev) for fd, ev in events]


def summary(got: tuple[Any, ...]) -> str:
    """A short class of an outcome, for ``hypothesis.event`` statistics."""
    import errno as _errno

    if got[0] == "raised":
        return f"{got[1]} {_errno.errorcode.get(got[2], '') if got[2] else ''}".rstrip()
    value = got[1]
    if isinstance(value, list):
        return "events" if value else "[]"
    if isinstance(value, bytes):
        return "data" if value else "b''"
    return "ok"
