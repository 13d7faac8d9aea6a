"""Choosers: who decides the choices a run makes (which runnable thread runs next, which packet is lost).

``Kernel(seed, schedule=...)`` takes ``"fifo"`` (the default: threads run in
wake-up order), ``"random"`` (every choice drawn from the kernel's seeded
generator) or a *chooser*: any object with ``choose(n)``, returning the index
(0 to n-1) of the runnable thread to run next, in wake-up order, so that 0 is
always the FIFO choice. A chooser may also offer ``random()``, a float in
[0, 1] standing for the network's fault draws (a datagram is lost when it is
below the path's loss rate, duplicated when below its duplicate rate): 1.0, the
largest, means "no fault". Everything else the model draws (ephemeral ports,
autobind names, which of several reuseport sockets gets a packet) still comes
from the kernel's seeded generator. A chooser may also offer ``choose_preempt(n)``
(then it is preemptive: ``systematic.py``) and ``choose_timing(n)``, one of n
levels of a packet's latency or a timer's point in its slack, 0 being FIFO's
timing (``timing.py``; without it, a chooser with ``choose_preempt`` is asked there).

``epollsim.testing.hypothesis.HypothesisChooser`` draws both from Hypothesis,
so a failing schedule shrinks toward the FIFO order and no faults.
``ChoiceList`` replays a list of choices (what a chooser's ``choices`` log
recorded), FIFO after the list runs out; ``Deviations`` names only the choices
that depart from FIFO (what ``epollsim.testing.hypothesis.schedules()``
draws, so that Hypothesis shrinks to the fewest departures).
"""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol, runtime_checkable


@runtime_checkable
class Chooser(Protocol):
    """Chooses the next thread: ``choose(n)`` is an index in 0..n-1, 0 the FIFO choice."""

    def choose(self, n: int) -> int: ...


class ChoiceList:
    """A fixed schedule: the i-th choice among n runnable threads is ``choices[i] % n``, then 0.

    ``faults`` likewise feeds the network's fault draws (``random()``), then 1.0 (no fault).
    """

    name = "list"

    def __init__(self, choices: Sequence[int] = (), faults: Sequence[float] = ()) -> None:
        self._choices = list(choices)
        self._faults = list(faults)
        self.made = 0  # choices made so far
        self.drawn = 0  # fault draws so far

    def choose(self, n: int) -> int:
        i = self.made
        self.made += 1
        return self._choices[i] % n if i < len(self._choices) else 0

    def random(self) -> float:
        i = self.drawn
        self.drawn += 1
        return self._faults[i] if i < len(self._faults) else 1.0

    def __repr__(self) -> str:
        return f"ChoiceList({self._choices!r}{f', faults={self._faults!r}' if self._faults else ''})"


class Deviations:
    """A schedule given by where it departs from FIFO: at the k-th choice (counting only choices
    among two or more runnable threads, from 0), run thread ``deviations[k] % n`` of the n runnable
    ones; FIFO everywhere else. The network's k-th fault draw is a fault (0.0) when k is in
    ``faults``, none (1.0) otherwise. The repr is the call that rebuilds it. One run per object:
    it counts the choices made."""

    name = "deviations"

    def __init__(self, deviations: dict[int, int] | None = None, faults: frozenset[int] | set[int] = frozenset()) -> None:
        self.deviations = dict(sorted((deviations or {}).items()))
        self.faults = frozenset(faults)
        self.made = 0
        self.drawn = 0
        self.departed: list[int] = []  # the choices that really departed from FIFO (index not 0)

    def choose(self, n: int) -> int:
        k = self.made
        self.made += 1
        index = self.deviations.get(k, 0) % n
        if index:
            self.departed.append(k)
        return index

    def random(self) -> float:
        k = self.drawn
        self.drawn += 1
        return 0.0 if k in self.faults else 1.0

    def __repr__(self) -> str:
        faults = f", faults={set(sorted(self.faults))!r}" if self.faults else ""
        return f"Deviations({self.deviations!r}{faults})"


class FaultRandom:
    """The network's generator when the chooser draws faults: ``random()`` asks the chooser,
    everything else (ports, names) is the kernel's seeded generator."""

    def __init__(self, chooser: Any, rng: Any) -> None:
        self._chooser = chooser
        self._rng = rng

    def random(self) -> float:
        return float(self._chooser.random())

    def randrange(self, *args: int) -> int:
        return int(self._rng.randrange(*args))

    def getrandbits(self, k: int) -> int:
        return int(self._rng.getrandbits(k))


def network_random(schedule: object, rng: Any) -> Any:
    """The generator the network draws faults from: the chooser's when it offers ``random()``."""
    if isinstance(schedule, str) or not callable(getattr(schedule, "random", None)):
        return rng
    return FaultRandom(schedule, rng)


def schedule_name(schedule: object) -> str:
    """``"fifo"``, ``"random"``, or a chooser's ``name`` (its class name when it has none)."""
    if isinstance(schedule, str):
        return schedule
    return str(getattr(schedule, "name", type(schedule).__name__))
