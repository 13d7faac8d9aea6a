"""The exploration's progress line: live on a terminal, a line every few seconds in a log, each with
the count, the rate and the time left; nothing for a short run."""
from __future__ import annotations

import io

from epollsim.tools.progress import LOG_EVERY, Progress


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_a_log_gets_a_line_every_few_seconds_with_count_rate_and_time_left() -> None:
    clock, log = Clock(), io.StringIO()
    progress = Progress(log, live=False, clock=clock)
    clock.now += 1
    progress(50, 10_000, 0)
    assert log.getvalue() == ""  # a run that ends within its first interval says nothing
    clock.now += LOG_EVERY
    progress(600, 10_000, 3)
    clock.now += 1
    progress(700, 10_000, 3)  # within the interval: no line
    clock.now += LOG_EVERY
    progress(1300, 10_000, 4)
    progress(10_000, 10_000, 9)  # the end: the report follows, no line
    progress.close()
    assert log.getvalue().splitlines() == [
        "exploring: 600/10000 seeds, 3 failed, 100 seeds/s, 1:34 left",
        "exploring: 1300/10000 seeds, 4 failed, 108 seeds/s, 1:20 left",
    ]


def test_a_terminal_gets_one_line_rewritten_in_place_and_cleared() -> None:
    clock, tty = Clock(), io.StringIO()
    progress = Progress(tty, live=True, clock=clock)
    clock.now += 3600
    progress(1, 3, 0)
    progress.close()
    assert tty.getvalue() == "\rexploring: 1/3 seeds, 0 failed, 0 seeds/s, 2:00:00 left\033[K\r\033[K"
