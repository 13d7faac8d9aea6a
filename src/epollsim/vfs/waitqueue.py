"""Wait queues, as include/linux/wait.h and kernel/sched/wait.c define them.

A wait queue is an ordered list of entries; each entry is a callback and an
"exclusive" flag. A file wakes its queue with a *key* (the poll bits that
changed, or 0 for "anything may have changed") and a count of exclusive
entries to wake (1 for an ordinary wake-up, 0 for wake-all):

* entries run from the head; an exclusive entry whose callback returns
  true uses up one of the count, and the walk stops when the count reaches 0;
* ``add`` (add_wait_queue) puts a non-exclusive entry at the head, so the
  most recently added hook runs first;
* ``add_exclusive_tail`` (add_wait_queue_exclusive) appends an exclusive
  entry, as EPOLLEXCLUSIVE hooks are;
* ``add_exclusive_head`` (__add_wait_queue_exclusive) pushes an exclusive
  entry at the head, as threads sleeping in epoll_wait are: wake-one is LIFO.

Nothing here knows about threads: a sleeper is just an entry whose callback
makes its thread runnable (see ``sched/``).
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

# func(entry, key) -> true if the entry counts as woken.
WakeFunc = Callable[["WaitEntry", int], Any]


class WaitEntry:
    __slots__ = ("exclusive", "func", "private", "queue")

    def __init__(self, func: WakeFunc, private: object = None) -> None:
        self.func = func
        self.exclusive = False
        self.private = private
        self.queue: WaitQueue | None = None


class WaitQueue:
    __slots__ = ("entries",)

    def __init__(self) -> None:
        self.entries: list[WaitEntry] = []

    def add(self, entry: WaitEntry) -> None:
        entry.exclusive = False
        entry.queue = self
        self.entries.insert(0, entry)

    def add_tail(self, entry: WaitEntry) -> None:
        """__add_wait_queue_entry_tail of a non-exclusive entry (do_wait_intr_irq: timerfd's reader)."""
        entry.exclusive = False
        entry.queue = self
        self.entries.append(entry)

    def add_exclusive_tail(self, entry: WaitEntry) -> None:
        entry.exclusive = True
        entry.queue = self
        self.entries.append(entry)

    def add_exclusive_head(self, entry: WaitEntry) -> None:
        entry.exclusive = True
        entry.queue = self
        self.entries.insert(0, entry)

    def remove(self, entry: WaitEntry) -> None:
        self.entries.remove(entry)
        entry.queue = None

    def wake(self, key: int = 0, nr_exclusive: int = 1) -> None:
        """__wake_up: run the entries from the head (a snapshot: callbacks may unhook)."""
        entries = self.entries
        if not entries:
            return
        if len(entries) == 1:  # the common case: one watcher, nothing to snapshot
            entry = entries[0]
            entry.func(entry, key)
            return
        for entry in tuple(entries):
            if entry.func(entry, key) and entry.exclusive:
                nr_exclusive -= 1
                if nr_exclusive == 0:
                    return

    def wake_all(self, key: int = 0) -> None:
        self.wake(key, 0)

    def __len__(self) -> int:
        return len(self.entries)
