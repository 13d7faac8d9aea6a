"""Schedules by name: what ``Kernel(schedule="...")``, the command line's ``--schedule`` and the
pytest marker's ``schedule=`` take, as strings that pickle to worker processes and print as
replay lines.

``"fifo"`` and ``"random"`` are the scheduler's own; ``"pct"`` is PCT with bug depth 3 and
``"pct:D"`` with depth D (``pct.py``); ``"systematic"`` is the schedule that never departs from
the running thread (preemptive, every choice 0), and ``"systematic:I=C,..."`` one that takes
choice C at choice point I (``systematic.py``: the id a systematic exploration reports).
``schedule_id`` is the inverse: the name that rebuilds a schedule.
"""
from __future__ import annotations

from typing import Any

from .pct import PCT
from .systematic import NAME as SYSTEMATIC
from .systematic import Systematic

DEFAULT_DEPTH = 3


def named_schedule(schedule: Any) -> Any:
    """The chooser a schedule's name stands for (``"pct:5"``, ``"systematic:3=1"``); anything else
    as it is (``"fifo"``, ``"random"``, ``"pct"`` and choosers are the scheduler's to judge)."""
    if not isinstance(schedule, str):
        return schedule
    if schedule == SYSTEMATIC or schedule.startswith(SYSTEMATIC + ":"):
        return Systematic.parse(schedule)
    if schedule.startswith("pct:"):
        try:
            depth = int(schedule[4:])
        except ValueError:
            raise ValueError(f"a PCT schedule is 'pct' or 'pct:D' (bug depth D), not {schedule!r}") from None
        return PCT(depth=depth)
    return schedule


def pct_name(depth: int) -> str:
    """The name of PCT with that bug depth."""
    return "pct" if depth == DEFAULT_DEPTH else f"pct:{depth}"


def schedule_id(schedule: Any) -> str:
    """The name that rebuilds ``schedule`` (a systematic chooser's after its run: what it took)."""
    if isinstance(schedule, str):
        return schedule
    if isinstance(schedule, Systematic):
        return schedule.id
    if isinstance(schedule, PCT) and schedule.steps == 50:
        return pct_name(schedule.depth)
    return str(getattr(schedule, "name", type(schedule).__name__))
