"""Waiting in a process that has exactly one thread.

With one thread, a call that has to wait can only be ended by its own
deadline: nothing else runs to make the file ready. So a timed wait moves
the virtual clock to its deadline at no wall-clock cost, and an untimed wait
can never end, which is a deadlock, reported with what was waited on.
Green threads (which make waiting a real suspension) replace this module's
policy without changing its callers.
"""
from __future__ import annotations

from ..clock import Clock
from ..errors import Deadlock


def wait_alone(clock: Clock, deadline_ns: int | None, call: str, what: str) -> None:
    """Wait with no other thread to wake us: jump to the deadline, or report a deadlock."""
    if deadline_ns is None:
        raise Deadlock(
            f"{call} blocks forever: {what}, and this program has no other thread "
            "that could change that"
        )
    if deadline_ns > clock.now_ns:
        clock.advance_to(deadline_ns)
