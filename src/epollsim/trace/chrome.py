"""The trace in the Chrome / Perfetto trace-event JSON format (open it in ui.perfetto.dev).

One process per host (``pid``: the host's rank in the kernel, from 1, named
by a ``process_name`` metadata event) and one thread track per thread
(``tid``: the model's thread id, named by ``thread_name``). Each system call
is a complete slice (``"ph": "X"``) with its arguments and result in
``args``; each blocked period is a slice ``blocked: <what>`` (inside the call
that blocked, or on its own for sleeps, joins and locks); each wake-up is a
flow (``"ph": "s"`` on the waker's track, ``"ph": "f"`` with ``"bp": "e"`` on
the woken's, same ``id``) from the waker's slice to the woken's blocked
slice. Thread start and exit, timeouts and wake-ups by a timer are instant
events on their thread; clock jumps are global instant events.

``ts`` and ``dur`` are in microseconds of virtual time, moved forward by at
most a few ns so that events at one instant keep their order (``timeline.py``);
each slice's ``args`` also give its exact virtual time.
"""
from __future__ import annotations

from typing import Any

from .records import Record
from .timeline import Timeline, Track, build_timeline


def _us(ns: int) -> float | int:
    """ns as µs: an int when whole, else a float (exact to the ns for any uptime below ~100 days)."""
    return ns // 1000 if ns % 1000 == 0 else ns / 1000


def timeline_events(tl: Timeline) -> dict[str, Any]:
    pids = {host: i + 1 for i, host in enumerate(tl.hosts)}
    for host, _ in tl.ordered_tracks():
        pids.setdefault(host, len(pids) + 1)

    def where(track: Track) -> dict[str, Any]:
        return {"pid": pids[track[0]], "tid": track[1]}

    meta: list[dict[str, Any]] = []
    for host, pid in pids.items():
        meta.append({"ph": "M", "name": "process_name", "pid": pid, "tid": 0, "args": {"name": host}})
        meta.append({"ph": "M", "name": "process_sort_index", "pid": pid, "tid": 0, "args": {"sort_index": pid}})
    for track in tl.ordered_tracks():
        meta.append({"ph": "M", "name": "thread_name", **where(track), "args": {"name": tl.tracks[track]}})
        meta.append({"ph": "M", "name": "thread_sort_index", **where(track), "args": {"sort_index": track[1]}})

    events: list[dict[str, Any]] = []
    for s in tl.slices:
        cat = {"call": "syscall", "blocked": "blocked", "wake": "wake"}[s.kind]
        events.append({
            "ph": "X", "cat": cat, "name": s.name, **where(s.track),
            "ts": _us(s.start), "dur": _us(s.end - s.start), "args": s.args,
        })
    for i in tl.instants:
        if i.track is None:
            events.append({"ph": "i", "s": "g", "cat": i.kind, "name": i.name, "pid": 0, "tid": 0,
                           "ts": _us(i.at), "args": i.args})
        else:
            events.append({"ph": "i", "s": "t", "cat": i.kind, "name": i.name, **where(i.track),
                           "ts": _us(i.at), "args": i.args})
    for f in tl.flows:
        events.append({"ph": "s", "cat": "wake", "name": "wake-up", "id": f.id, **where(f.src),
                       "ts": _us(f.at), "args": {"what": f.name}})
        events.append({"ph": "f", "bp": "e", "cat": "wake", "name": "wake-up", "id": f.id, **where(f.dst),
                       "ts": _us(f.at), "args": {"what": f.name}})
    # In time order; at one ts, longer slices first so that they enclose the shorter ones.
    events.sort(key=lambda e: (e["ts"], -e.get("dur", 0)))
    return {
        "traceEvents": meta + events,
        "displayTimeUnit": "ns",
        "otherData": {
            "generator": "epollsim",
            "clock": "virtual (CLOCK_MONOTONIC of the model), nudged a few ns to keep order",
        },
    }


def trace_events(
    records: list[Record], hosts: list[str], params: dict[str, tuple[str, ...]] | None = None, nudge_ns: int = 1
) -> dict[str, Any]:
    """The trace-event JSON object (a dict ready for ``json.dump``) for ``records``."""
    return timeline_events(build_timeline(records, hosts, params, nudge_ns))
