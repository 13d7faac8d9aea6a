"""A failing marked test's ``epollsim`` report section: the seed (or systematic schedule) and
schedule, the command that replays it, the deadlock or data race, and the trace file."""
from __future__ import annotations

import shlex
import zlib
from typing import TYPE_CHECKING

from .marker import chunk_id

if TYPE_CHECKING:
    from .pytest_plugin import _State


def node_seed(nodeid: str) -> int:
    """The seed of a test that does not choose one: a stable 32-bit hash of its node id."""
    return zlib.crc32(nodeid.encode("utf-8"))


def replay_nodeid(state: _State) -> str:
    """The node id that reruns the failing seed alone (a chunk's id becomes that seed's)."""
    if state.chunked:
        return state.nodeid.replace(chunk_id(state.seeds), f"seed={state.seed}", 1)
    return state.nodeid


def replay_command(state: _State) -> str:
    if state.schedule:  # a systematic schedule (run with the node's seed unless --epollsim-seed said)
        seed = "" if state.seed == node_seed(state.nodeid) else f" --epollsim-seed {state.seed}"
        return f"pytest {shlex.quote(state.nodeid)} --epollsim-schedule {state.schedule}{seed}"
    return f"pytest {shlex.quote(replay_nodeid(state))} --epollsim-seed {state.seed}"


def trace_file(state: _State) -> str | None:
    """Write the failing run's trace (under --epollsim-trace DIR, or pytest's basetemp); its path
    (None when tracing is off)."""
    tracer = getattr(state.kernel, "trace", None)
    if state.trace_dir is None or tracer is None or not getattr(tracer, "on", False):
        return None
    import os
    import re

    directory = state.trace_dir or os.path.join(state.trace_root.getbasetemp(), "epollsim-traces")
    os.makedirs(directory, exist_ok=True)
    name = re.sub(r"[^A-Za-z0-9_.=-]+", "_", replay_nodeid(state)).strip("_")
    path = os.path.abspath(os.path.join(directory, f"{name}.json"))
    tracer.write_chrome(path)
    return path


def report_text(state: _State, error: BaseException | None) -> str:
    lines = [
        f"schedule: {state.schedule} ({state.search_note})" if state.schedule else
        f"seed: {state.seed} (schedule {state.options.schedule!r})",
        f"replay: {replay_command(state)}",
    ]
    from .. import errors

    reported = tuple(
        cls for cls in (errors.Deadlock, getattr(errors, "DataRace", None)) if isinstance(cls, type)
    )
    cause = error
    while cause is not None and not isinstance(cause, reported):
        cause = cause.__cause__
    if cause is not None:
        kind = "deadlock" if isinstance(cause, errors.Deadlock) else "data race"
        lines.append(f"{kind}: {cause}")
    path = trace_file(state)
    if path:
        lines.append(f"trace: {path}  (open it in ui.perfetto.dev)")
        if state.rerun_note:
            lines.append(f"  ({state.rerun_note})")
    else:
        lines.append("trace: none recorded (tracing is off: replay without --epollsim-trace off to get one)")
    return "\n".join(lines)
