"""How a file kind says "this call has to wait" without knowing about threads.

A kind whose operation cannot proceed on a blocking file raises
``WouldBlock(queue, key)``: the wait queue a change would be announced on,
and the poll bits that would let the call go on. The system-call layer turns
that into a sleep on the queue (through ``sched/``) and retries the
operation. On a non-blocking file the kind raises EAGAIN itself.
"""
from __future__ import annotations

from ..vfs.waitqueue import WaitQueue


class WouldBlock(Exception):
    __slots__ = ("key", "queue", "what")

    def __init__(self, queue: WaitQueue, key: int, what: str) -> None:
        super().__init__(what)
        self.queue = queue
        self.key = key
        self.what = what  # why it waits, for deadlock reports
