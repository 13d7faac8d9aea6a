"""What the scheduler is given: the protocols of its random source and of its observer."""
from __future__ import annotations

from typing import Any, Protocol

from ..vfs.waitqueue import WaitQueue
from .thread import GreenThread


class RandomSource(Protocol):
    """What the scheduler needs of the kernel's seeded random.Random."""

    def randrange(self, start: int, stop: int | None = ..., step: int = ...) -> int: ...

    def sample(self, population: Any, k: int) -> list[Any]: ...  # PCT.bind's (pct.py)


class Observer(Protocol):
    """What the scheduler tells an observer (the trace recorder), when ``Scheduler.observer`` is set.

    ``woken``'s waker is the running thread, or None when a timer woke it
    (the clock's timers fire between threads); ``woken=False`` is a timeout.
    """

    def blocked(self, thread: GreenThread, queues: list[tuple[WaitQueue, str]], deadline_ns: int | None,
                what: str) -> None: ...

    def woken(self, waker: GreenThread | None, thread: GreenThread, woken: bool) -> None: ...

    def spawned(self, parent: GreenThread, thread: GreenThread) -> None: ...

    def exited(self, thread: GreenThread) -> None: ...

    def switched(self, prev: GreenThread, nxt: GreenThread) -> None: ...

    def clock_jump(self, from_ns: int, to_ns: int) -> None: ...
