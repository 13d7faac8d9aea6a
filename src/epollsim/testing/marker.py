"""``@pytest.mark.epollsim(...)``: reading the marker, and grouping its seeds into test items.

``schedule="systematic", preemptions=N`` runs the test under every schedule with at most N
preemptions (one item, no seeds: ``systematic_tests.py``); ``schedule="pct", depth=D`` is PCT of
bug depth D. A marker's arguments are checked when its test is collected; a bad one (a typo such as
``seed=3``, an unknown schedule) raises ``InvalidMarker`` naming it, which the plugin reports as
that test's error at setup (as pytest reports an unknown fixture), never aborting the session.
"""
from __future__ import annotations

import difflib
import inspect
from dataclasses import dataclass, field
from typing import Any

import pytest

PER_SEED_ITEMS = 100  # markers with at most this many seeds get one item per seed
CHUNK = 100  # otherwise, seeds per item

_KNOWN = {"seeds", "schedule", "patch", "chunk", "preemptions", "depth"}
SCHEDULES = ("random", "fifo", "pct", "systematic")


class InvalidMarker(ValueError):
    """A ``@pytest.mark.epollsim`` argument that is unknown or has a bad value (the message names it)."""


def kernel_option_names() -> list[str]:
    """The keyword arguments ``Kernel`` takes that a marker may pass on (``**kernel_options``)."""
    from ..kernel import Kernel  # only for marked tests: importing the plugin loads no model

    parameters = inspect.signature(Kernel).parameters.values()
    return [p.name for p in parameters if p.kind is p.KEYWORD_ONLY and p.name not in _KNOWN]


def _check_names(kwargs: dict[str, Any]) -> None:
    allowed = kernel_option_names()
    for name in kwargs:
        if name in _KNOWN or name in allowed:
            continue
        close = difflib.get_close_matches(name, [*sorted(_KNOWN), *allowed], n=1)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        raise InvalidMarker(
            f"@pytest.mark.epollsim: unknown argument {name!r}{hint}; it takes seeds, schedule, patch, "
            f"chunk, preemptions, depth and the Kernel's options ({', '.join(allowed)})"
        )


@dataclass(frozen=True)
class MarkerOptions:
    seeds: tuple[int, ...] | None
    schedule: str
    patch: bool
    chunk: int | None
    kernel_options: dict[str, Any] = field(default_factory=dict)
    preemptions: int = 2  # schedule="systematic": the bound


def marker_options(marker: pytest.Mark) -> MarkerOptions:
    kwargs = dict(marker.kwargs)
    if marker.args:
        if len(marker.args) > 1 or "seeds" in kwargs:
            raise InvalidMarker("@pytest.mark.epollsim takes one positional argument: seeds")
        kwargs["seeds"] = marker.args[0]
    _check_names(kwargs)
    seeds = kwargs.get("seeds")
    chosen: tuple[int, ...] | None = None
    if seeds is not None:
        try:
            chosen = tuple(range(seeds)) if isinstance(seeds, int) else tuple(dict.fromkeys(int(s) for s in seeds))
        except (TypeError, ValueError):
            raise InvalidMarker(
                f"@pytest.mark.epollsim: seeds must be an int N or an iterable of ints, not {seeds!r}"
            ) from None
        if not chosen:
            raise InvalidMarker("@pytest.mark.epollsim(seeds=...) names no seed")
    schedule = kwargs.get("schedule", "random")
    if schedule not in SCHEDULES:
        raise InvalidMarker(
            f"@pytest.mark.epollsim: schedule must be 'random', 'fifo', 'pct' or 'systematic', not {schedule!r}"
        )
    schedule, preemptions = _strategy(kwargs, schedule, chosen)
    chunk = kwargs.get("chunk")
    if chunk is not None and (not isinstance(chunk, int) or chunk < 1):
        raise InvalidMarker(f"@pytest.mark.epollsim: chunk must be a positive int, not {chunk!r}")
    rest = {k: v for k, v in kwargs.items() if k not in _KNOWN}
    return MarkerOptions(chosen, schedule, bool(kwargs.get("patch", False)), chunk, rest, preemptions)


def _strategy(kwargs: dict[str, Any], schedule: str, seeds: tuple[int, ...] | None) -> tuple[str, int]:
    """The schedule's name (``pct:5`` for PCT of depth 5) and the systematic bound, checked: depth
    goes with pct, preemptions with systematic, which takes no seeds."""
    from ..sched.named import pct_name

    depth, preemptions = kwargs.get("depth"), kwargs.get("preemptions")
    if depth is not None:
        if schedule != "pct":
            raise InvalidMarker(f"@pytest.mark.epollsim: depth= goes with schedule='pct', not {schedule!r}")
        if not isinstance(depth, int) or isinstance(depth, bool) or depth < 1:
            raise InvalidMarker(f"@pytest.mark.epollsim: depth must be an int >= 1 (PCT's bug depth), not {depth!r}")
        schedule = pct_name(depth)
    if preemptions is not None:
        if schedule != "systematic":
            raise InvalidMarker(
                f"@pytest.mark.epollsim: preemptions= goes with schedule='systematic', not {schedule!r}"
            )
        if not isinstance(preemptions, int) or isinstance(preemptions, bool) or preemptions < 0:
            raise InvalidMarker(f"@pytest.mark.epollsim: preemptions must be an int >= 0, not {preemptions!r}")
    if schedule == "systematic" and seeds is not None:
        raise InvalidMarker(
            "@pytest.mark.epollsim: schedule='systematic' takes no seeds: it runs every schedule with at most "
            "`preemptions` preemptions"
        )
    return schedule, 2 if preemptions is None else preemptions


def chunked(seeds: tuple[int, ...], chunk: int | None) -> list[tuple[int, ...]]:
    """The items' seed groups: one seed each up to PER_SEED_ITEMS seeds, else CHUNK seeds each."""
    size = chunk if chunk is not None else (1 if len(seeds) <= PER_SEED_ITEMS else CHUNK)
    return [seeds[i : i + size] for i in range(0, len(seeds), size)]


def chunk_id(group: tuple[int, ...]) -> str:
    return f"seed={group[0]}" if len(group) == 1 else f"seeds={group[0]}-{group[-1]}"
