"""The pytest plugin's options: each ``--epollsim-*`` command-line option has an ini-file twin of the
same name (``epollsim_seed = 3`` in ``[tool.pytest.ini_options]``); the command line wins."""
from __future__ import annotations

from typing import Any

import pytest


def _seed_range(text: str) -> range:
    from ..tools.runner import parse_seed_range

    try:
        return parse_seed_range(text)
    except ValueError as exc:
        raise pytest.UsageError(f"--epollsim-seeds: {exc}") from None


def _schedule(text: str) -> str:
    from ..sched.named import named_schedule

    if text not in ("random", "fifo", "pct"):
        try:
            named_schedule(text)
        except ValueError as exc:
            raise pytest.UsageError(f"--epollsim-schedule: {exc}") from None
        if text in ("systematic",) or not text.startswith(("systematic:", "pct:")):
            raise pytest.UsageError(f"--epollsim-schedule: {text!r} is not random, fifo, pct[:D] or systematic:...")
    return text


REAL_TIMEOUT = 60.0  # seconds a test may run on the real kernel (--epollsim-real) by default

# (option, its help, how its text parses): each is a command-line option and an ini-file one.
_OPTIONS: list[tuple[str, str, Any]] = [
    ("epollsim_seed", "run @pytest.mark.epollsim tests with seed N only (and seed the kernel fixture with N): "
     "replay", int),
    ("epollsim_seeds", "run @pytest.mark.epollsim tests with seeds A to B-1 instead of their own (CI sharding)",
     _seed_range),
    ("epollsim_trace", "write a failing test's trace to DIR (Perfetto JSON; default: under pytest's basetemp); "
     "'off' records no traces", str),
    ("epollsim_real", "give the kernel fixture the host's real os/select/socket/fcntl/time/threading modules",
     bool),
    ("epollsim_schedule", "run @pytest.mark.epollsim tests under this schedule instead of their own: a "
     "systematic schedule's id (systematic:3=1) replays it, or random, fifo, pct[:D]", _schedule),
    ("epollsim_real_timeout", f"fail a test that runs longer than this on the real kernel (default "
     f"{REAL_TIMEOUT:g} s; 0: no limit)", float),
]


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("epollsim", "epollsim (deterministic simulated kernel)")
    metavars = {"epollsim_seed": "N", "epollsim_seeds": "A:B", "epollsim_trace": "DIR", "epollsim_schedule": "NAME",
                "epollsim_real_timeout": "SECONDS"}
    for name, text, parse in _OPTIONS:
        flag = "--" + name.replace("_", "-")
        if parse is bool:
            group.addoption(flag, action="store_true", default=None, help=text)
            parser.addini(name, text, type="bool", default=False)
        else:
            group.addoption(flag, type=parse, default=None, metavar=metavars[name], help=text)
            parser.addini(name, f"{text} (as {flag})", default=None)


def option(config: pytest.Config, name: str) -> Any:
    """An ``--epollsim-*`` option's value: the command line's, else the ini file's, else None."""
    value = config.getoption(name)
    if value is not None:
        return value
    raw = config.getini(name)
    if raw is None or raw == "" or raw is False:
        return None
    parse = next(parse for known, _, parse in _OPTIONS if known == name)
    if parse is bool:
        return bool(raw)
    try:
        return parse(raw)
    except (TypeError, ValueError) as exc:
        raise pytest.UsageError(f"ini option {name} = {raw!r}: {exc}") from None


