"""How a file kind says "this call has to wait" without knowing about threads.

A kind whose operation cannot proceed on a blocking file raises
``WouldBlock(queue, key)``: the wait queue a change would be announced on,
and the poll bits that would let the call go on. The system-call layer turns
that into a sleep on the queue (through ``sched/``) and retries the
operation. On a non-blocking file the kind raises EAGAIN itself.

A kind's ``read`` may instead *return* a WouldBlock (made once and kept, as
the pipe's is): ``FdCalls.read`` treats both alike. Raising and catching an
exception costs about 0.4 us, and a blocking pipe read is the hot path of
every pipe ping-pong between threads.
"""
from __future__ import annotations

from ..vfs.waitqueue import WaitQueue


class WouldBlock(Exception):
    """``how`` is where the sleeper queues, as the kind's Linux code puts it: ``"head"``
    (prepare_to_wait: every sleeper wakes), ``"tail"`` (do_wait_intr_irq: every
    sleeper wakes, in arrival order) or ``"tail_exclusive"`` (wait_event_*_exclusive:
    one sleeper per wake-up, in arrival order)."""

    __slots__ = ("how", "key", "queue", "what")

    def __init__(self, queue: WaitQueue, key: int, what: str, how: str = "head") -> None:
        super().__init__(what)
        self.queue = queue
        self.key = key
        self.what = what  # why it waits, for deadlock reports
        self.how = how
