"""``@pytest.mark.epollsim(...)``: reading the marker, and grouping its seeds into test items."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pytest

PER_SEED_ITEMS = 100  # markers with at most this many seeds get one item per seed
CHUNK = 100  # otherwise, seeds per item

_KNOWN = {"seeds", "schedule", "patch", "chunk"}


@dataclass(frozen=True)
class MarkerOptions:
    seeds: tuple[int, ...] | None
    schedule: str
    patch: bool
    chunk: int | None
    kernel_options: dict[str, Any] = field(default_factory=dict)


def marker_options(marker: pytest.Mark) -> MarkerOptions:
    kwargs = dict(marker.kwargs)
    if marker.args:
        if len(marker.args) > 1 or "seeds" in kwargs:
            raise pytest.UsageError("@pytest.mark.epollsim takes one positional argument: seeds")
        kwargs["seeds"] = marker.args[0]
    seeds = kwargs.get("seeds")
    chosen: tuple[int, ...] | None = None
    if seeds is not None:
        chosen = tuple(range(seeds)) if isinstance(seeds, int) else tuple(dict.fromkeys(int(s) for s in seeds))
        if not chosen:
            raise pytest.UsageError("@pytest.mark.epollsim(seeds=...) names no seed")
    schedule = kwargs.get("schedule", "random")
    if schedule not in ("random", "fifo", "pct"):
        raise pytest.UsageError(
            f"@pytest.mark.epollsim: schedule must be 'random', 'fifo' or 'pct', not {schedule!r}"
        )
    chunk = kwargs.get("chunk")
    if chunk is not None and (not isinstance(chunk, int) or chunk < 1):
        raise pytest.UsageError("@pytest.mark.epollsim: chunk must be a positive int")
    rest = {k: v for k, v in kwargs.items() if k not in _KNOWN}
    return MarkerOptions(chosen, schedule, bool(kwargs.get("patch", False)), chunk, rest)


def chunked(seeds: tuple[int, ...], chunk: int | None) -> list[tuple[int, ...]]:
    """The items' seed groups: one seed each up to PER_SEED_ITEMS seeds, else CHUNK seeds each."""
    size = chunk if chunk is not None else (1 if len(seeds) <= PER_SEED_ITEMS else CHUNK)
    return [seeds[i : i + size] for i in range(0, len(seeds), size)]


def chunk_id(group: tuple[int, ...]) -> str:
    return f"seed={group[0]}" if len(group) == 1 else f"seeds={group[0]}-{group[-1]}"
