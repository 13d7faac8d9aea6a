"""The trace as a timeline: tracks, slices, instants and wake-up flows, for the exporters.

A *track* is one thread on one host (a thread that makes calls on two hosts
has a track on each). A *slice* is a span on a track: a system call, or a
period the thread was blocked (from the block to the moment it ran again,
so it encloses the wake-up that ended it). A *flow* is a wake-up, drawn from
the waker's track to the woken's at the moment of the wake-up.

Virtual time stands still while threads run: a whole program without sleeps
happens at one instant. So that every event keeps its place and spans nest,
each event gets a *tick*: its virtual time in ns, moved forward to at least
``nudge_ns`` after the previous event's tick. Ticks stay within a few ns of the
virtual time (the nudges only accumulate while the clock stands still and are
absorbed by the next clock jump); ``nudge_ns=0`` gives exact virtual times
(then spans that begin and end at one instant have no length). Each tick
remembers the virtual time it stands for.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from .records import (
    TIMER,
    Block,
    Call,
    ClockJump,
    Exit,
    Record,
    Return,
    Signal,
    Start,
    Switch,
    Timeout,
    Wake,
    seconds,
)

Track = tuple[str, int]  # (host, tid)


@dataclass(slots=True)
class Slice:
    track: Track
    kind: str  # "call", "blocked" or "wake" (a waker that was in no call)
    name: str
    start: int  # ticks
    end: int
    args: dict[str, str]
    text: str = ""  # the record's one-line text


@dataclass(slots=True)
class Instant:
    track: Track | None  # None: the whole machine (a clock jump)
    kind: str  # "start", "exit", "timeout", "timer", "clock"
    name: str
    at: int
    args: dict[str, str]


@dataclass(slots=True)
class Flow:
    id: int
    src: Track
    dst: Track
    at: int
    name: str


@dataclass
class Timeline:
    hosts: list[str]
    tracks: dict[Track, str] = field(default_factory=dict)  # -> thread name (the latest seen)
    slices: list[Slice] = field(default_factory=list)
    instants: list[Instant] = field(default_factory=list)
    flows: list[Flow] = field(default_factory=list)
    moments: list[tuple[int, int]] = field(default_factory=list)  # (tick, virtual ns), ticks increasing

    def window(self, start_ns: int | None = None, end_ns: int | None = None) -> Timeline:
        """What happened from ``start_ns`` to ``end_ns`` of virtual time (either end open when None).

        Slices that overlap the window are cut to it; instants and flows outside it
        are left out, and so are threads with nothing in it.
        """
        if start_ns is None and end_ns is None:
            return self
        lo = -1 if start_ns is None else start_ns
        hi = float("inf") if end_ns is None else end_ns
        moments = [(tick, t) for tick, t in self.moments if lo <= t <= hi]
        out = Timeline(self.hosts, moments=moments)
        if not moments:
            return out
        first, last = moments[0][0], moments[-1][0]
        for s in self.slices:
            if s.end >= first and s.start <= last:
                out.slices.append(Slice(s.track, s.kind, s.name, max(s.start, first), min(s.end, last), s.args,
                                        s.text))
        out.instants = [i for i in self.instants if first <= i.at <= last]
        out.flows = [f for f in self.flows if first <= f.at <= last]
        used = {s.track for s in out.slices} | {i.track for i in out.instants} | \
            {f.src for f in out.flows} | {f.dst for f in out.flows}
        out.tracks = {track: name for track, name in self.tracks.items() if track in used}
        return out

    def ordered_tracks(self) -> list[Track]:
        """Hosts in the kernel's order (unknown ones last, by name), threads by tid."""
        rank = {h: i for i, h in enumerate(self.hosts)}
        return sorted(self.tracks, key=lambda t: (rank.get(t[0], len(rank)), t[0], t[1]))


@dataclass(slots=True)
class _Blocked:
    """A blocked span not yet ended."""

    rec: Block | None  # None: the thread blocked before the trace started
    track: Track
    start: int
    reason: str = ""  # "woken by ..." / "timed out", once it is runnable again


class _Builder:
    def __init__(self, hosts: list[str], params: dict[str, tuple[str, ...]], nudge_ns: int) -> None:
        self.tl = Timeline(list(hosts))
        self.params = params
        self.nudge = nudge_ns
        self.last: int | None = None
        self.open_calls: dict[int, tuple[Call, Track, int]] = {}  # tid -> (call, track, start tick)
        self.ending: dict[int, list[int]] = {}  # record index -> tids whose call ends there
        self.blocked: dict[int, _Blocked] = {}  # tid -> its open blocked span
        self.flows = 0

    def tick(self, t_ns: int) -> int:
        t = t_ns if self.last is None or self.nudge == 0 else max(t_ns, self.last + self.nudge)
        if self.last is not None and t < self.last:
            t = self.last  # nudge 0 and a record out of order: keep ticks non-decreasing
        self.last = t
        if not self.tl.moments or self.tl.moments[-1][0] != t:
            self.tl.moments.append((t, t_ns))
        return t

    def track(self, host: str, tid: int, name: str) -> Track:
        key = (host, tid)
        self.tl.tracks[key] = name
        return key

    # -- calls --------------------------------------------------------------------

    def open_call(self, index: int, call: Call) -> None:
        track = self.track(call.host, call.tid, call.thread)
        start = self.tick(call.t_ns)
        self.open_calls[call.tid] = (call, track, start)
        end = call.end_seq if call.end_seq > index else (index + 1 if call.done else -1)
        if end >= 0:
            self.ending.setdefault(end, []).append(call.tid)

    def close_call(self, tid: int) -> None:
        entry = self.open_calls.pop(tid, None)
        if entry is None:
            return
        call, track, start = entry
        if tid in self.blocked:
            self.close_blocked(tid, call.end_ns if call.done else None)
        end = self.tick(call.end_ns if call.done else (self.last or call.t_ns))
        args = {}
        names = self.params.get(call.name, ())
        for i, value in enumerate(call.args):
            args[names[i] if i < len(names) and "=" not in value else f"arg{i}"] = value
        if not call.done:
            args["result"] = "(still in progress)"
        elif call.error:
            args["error" if call.errno else "raised"] = call.error
        else:
            args["result"] = call.result
        args["virtual time"] = f"{seconds(call.t_ns)} s"
        if call.done and call.end_ns != call.t_ns:
            args["virtual duration"] = f"{seconds(call.end_ns - call.t_ns)} s"
        text = f"{call.signature()} {call.outcome}"
        self.tl.slices.append(Slice(track, "call", call.name, start, end, args, text))

    # -- blocking -----------------------------------------------------------------

    def open_blocked(self, rec: Block) -> None:
        if rec.tid in self.blocked:
            self.close_blocked(rec.tid, rec.t_ns)
        track = self.track(rec.host, rec.tid, rec.thread)
        self.blocked[rec.tid] = _Blocked(rec, track, self.tick(rec.t_ns))

    def close_blocked(self, tid: int, t_ns: int | None) -> None:
        span = self.blocked.pop(tid)
        rec, track, start, reason = span.rec, span.track, span.start, span.reason
        end = self.tick(t_ns if t_ns is not None else (self.last or 0))
        if rec is None:
            what, args = "(blocked before the trace started)", {}
        else:
            what = rec.what
            args = {"what": rec.what, "wait queues": ", ".join(rec.queues) or "none"}
            if rec.deadline_ns is not None:
                args["deadline"] = f"{seconds(rec.deadline_ns)} s"
        args["ended"] = reason or "(still blocked)"
        text = f"blocked in {what}: {args['ended']}"
        self.tl.slices.append(Slice(track, "blocked", f"blocked: {what}", start, end, args, text))

    def ensure_blocked(self, rec: Wake | Timeout, at: int) -> _Blocked:
        """The woken thread's open blocked span (one from ``at`` if it blocked before the trace)."""
        entry = self.blocked.get(rec.tid)
        if entry is None:
            entry = _Blocked(None, self.track(rec.host, rec.tid, rec.thread), at)
            self.blocked[rec.tid] = entry
        return entry

    def resumed(self, tid: int, t_ns: int) -> None:
        """Thread ``tid`` runs again: its blocked span, if it was woken, ends now."""
        entry = self.blocked.get(tid)
        if entry is not None and entry.reason:
            self.close_blocked(tid, t_ns)

    # -- the walk -------------------------------------------------------------------

    def run(self, records: list[Record]) -> Timeline:
        for index, rec in enumerate(records):
            for tid in self.ending.pop(index, ()):
                self.close_call(tid)
            self.add(index, rec)
        for index in sorted(self.ending):
            for tid in self.ending[index]:
                self.close_call(tid)
        for tid in list(self.open_calls):
            self.close_call(tid)
        for tid in list(self.blocked):
            self.close_blocked(tid, None)
        return self.tl

    def add(self, index: int, rec: Record) -> None:
        if isinstance(rec, Call):
            self.resumed(rec.tid, rec.t_ns)
            self.open_call(index, rec)
        elif isinstance(rec, Return):
            self.resumed(rec.tid, rec.t_ns)
        elif isinstance(rec, Block):
            self.open_blocked(rec)
        elif isinstance(rec, Wake):
            self.wake(rec)
        elif isinstance(rec, Timeout):
            at = self.tick(rec.t_ns)
            entry = self.ensure_blocked(rec, at)
            entry.reason = "timed out"
            self.tl.instants.append(Instant(entry.track, "timeout", "timeout", at, {}))
        elif isinstance(rec, Switch):
            self.resumed(rec.to_tid, rec.t_ns)
            self.track(rec.host, rec.tid, rec.thread)
        elif isinstance(rec, Start):
            track = self.track(rec.host, rec.tid, rec.thread)
            at = self.tick(rec.t_ns)
            self.tl.instants.append(Instant(track, "start", "thread start", at, {"started by": rec.parent}))
        elif isinstance(rec, Exit):
            self.resumed(rec.tid, rec.t_ns)
            track = self.track(rec.host, rec.tid, rec.thread)
            at = self.tick(rec.t_ns)
            args = {"error": rec.error} if rec.error else {}
            self.tl.instants.append(Instant(track, "exit", "thread exit", at, args))
        elif isinstance(rec, Signal):
            track = self.track(rec.host, rec.tid, rec.thread)
            at = self.tick(rec.t_ns)
            args = {"from": rec.sender, "action": rec.action}
            self.tl.instants.append(Instant(track, "signal", f"{rec.name} ({rec.signum})", at, args))
        elif isinstance(rec, ClockJump):
            at = self.tick(rec.t_ns)
            args = {"from": f"{seconds(rec.t_ns)} s", "to": f"{seconds(rec.to_ns)} s"}
            self.tl.instants.append(Instant(None, "clock", f"clock +{seconds(rec.to_ns - rec.t_ns)} s", at, args))

    def wake(self, rec: Wake) -> None:
        t0 = self.tick(rec.t_ns)
        at = self.tick(rec.t_ns)
        t2 = self.tick(rec.t_ns)
        entry = self.ensure_blocked(rec, t0)
        dst = entry.track
        if rec.waker_tid == 0:
            entry.reason = f"woken by {TIMER}"
            self.tl.instants.append(Instant(dst, "timer", f"woken by {TIMER}", at, {}))
            return
        entry.reason = f"woken by {rec.waker}"
        src = self.track(rec.waker_host, rec.waker_tid, rec.waker)
        if rec.waker_tid not in self.open_calls:  # woken outside a call: give the arrow a slice to leave
            args = {"woke": f"{rec.thread}@{rec.host}"}
            self.tl.slices.append(Slice(src, "wake", f"wake {rec.thread}", t0, t2, args, f"wakes {rec.thread}"))
        self.flows += 1
        self.tl.flows.append(Flow(self.flows, src, dst, at, f"{rec.waker} wakes {rec.thread}"))


def build_timeline(
    records: list[Record], hosts: list[str], params: dict[str, tuple[str, ...]] | None = None, nudge_ns: int = 1
) -> Timeline:
    """The timeline of ``records`` (the hosts in the kernel's order, for the track order)."""
    return _Builder(hosts, params or {}, nudge_ns).run(records)
