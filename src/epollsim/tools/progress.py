"""The progress of a long exploration on stderr: seeds done, failures, rate and time left.

On a terminal one line is rewritten in place, at most ``LIVE_EVERY`` seconds apart; elsewhere (a
CI log, a file) a plain line is written at most every ``LOG_EVERY`` seconds, so that a log shows the
run is alive and when it will end without filling up. Nothing is written for a run that ends
within its first interval. This is the one place of the tools that reads the wall clock (the
house rules allow it here): the model never sees it.
"""
from __future__ import annotations

import time
from collections.abc import Callable
from typing import TextIO

LIVE_EVERY = 0.1  # seconds between redraws of the terminal line
LOG_EVERY = 5.0  # seconds between lines in a log


def _duration(seconds: float) -> str:
    seconds = int(seconds + 0.5)
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


class Progress:
    """A ``progress(done, total, failed)`` callback for ``explore``; ``close()`` when it ends."""

    def __init__(self, stream: TextIO, live: bool, clock: Callable[[], float] = time.monotonic) -> None:
        self.stream = stream
        self.live = live
        self.clock = clock
        self.started = clock()
        self.last = self.started
        self.shown = False

    def line(self, done: int, total: int, failed: int) -> str:
        elapsed = self.clock() - self.started
        rate = done / elapsed if elapsed > 0 else 0.0
        eta = _duration((total - done) / rate) if rate > 0 else "?"
        return f"exploring: {done}/{total} seeds, {failed} failed, {rate:,.0f} seeds/s, {eta} left"

    def __call__(self, done: int, total: int, failed: int) -> None:
        now = self.clock()
        if now - self.last < (LIVE_EVERY if self.live else LOG_EVERY) or done >= total:
            return
        self.last = now
        text = self.line(done, total, failed)
        self.stream.write(f"\r{text}\033[K" if self.live else f"{text}\n")
        self.stream.flush()
        self.shown = True

    def close(self) -> None:
        if self.shown and self.live:
            self.stream.write("\r\033[K")
            self.stream.flush()
