"""A timeline picture of the trace, as SVG written by hand (no dependencies).

One lane per thread (per host), top to bottom in host then thread order.
Time runs left to right in *steps*: every event of the trace gets the same
width, so that a program whose threads all run at one virtual instant is as
readable as one that sleeps; where the virtual clock moved, a gap labelled
with the jump (``+0.5 s``) and a dashed line across all lanes mark it.

- a system call is a coloured box (one colour per call name, see the legend);
- a blocked period is a grey hatched box, inside the call that blocked;
- a wake-up is an arrow from the waker's lane to the woken's;
- a wake-up by a timer is a small circle, a timeout a small cross;
- a thread's start is a green triangle, its exit a black bar.

Every box has a ``<title>``: hovering over it in a browser shows the call with
its arguments and result. The picture is deterministic: same trace, same bytes.
"""
from __future__ import annotations

from xml.sax.saxutils import escape, quoteattr

from .records import Record, seconds
from .timeline import Timeline, Track, build_timeline

LANE_H = 30
BOX_H = 20
LABEL_W = 200
TOP = 56
STEP = 16  # px per tick
GAP = 56  # px where the virtual clock moved
MAX_W = 30_000  # px: long traces get narrower steps
CHAR_W = 6.2  # px per character at font-size 10 (for deciding whether a label fits)

# Colour-blind-friendly palette (Okabe-Ito, lightened); chosen by the call name's letters.
PALETTE = ["#9ecae1", "#fdd0a2", "#a1d99b", "#fcbba1", "#dadaeb", "#c7e9c0", "#fdae6b", "#bcbddc",
           "#6baed6", "#fee391", "#9ebcda", "#fa9fb5"]


def colours(names: list[str]) -> dict[str, str]:
    """A colour per call name: distinct for up to 12 names, given in name order (deterministic)."""
    return {name: PALETTE[i % len(PALETTE)] for i, name in enumerate(sorted(set(names)))}


def _attr(value: object) -> str:
    return quoteattr(str(value))


def _fmt(x: float) -> str:
    return f"{x:.1f}".rstrip("0").rstrip(".")


class _Scale:
    """Ticks to x: one step per distinct tick, plus a gap wherever the virtual time moved."""

    def __init__(self, tl: Timeline) -> None:
        n = max(len(tl.moments), 1)
        jumps = sum(1 for a, b in zip(tl.moments, tl.moments[1:]) if b[1] != a[1])
        self.step = min(STEP, max(2.0, (MAX_W - jumps * GAP) / n))
        self.x: dict[int, float] = {}
        self.gaps: list[tuple[float, int, int]] = []  # (x of the gap's middle, from ns, to ns)
        x = float(LABEL_W + 10)
        prev: tuple[int, int] | None = None
        for tick, t_ns in tl.moments:
            if prev is not None:
                if t_ns != prev[1]:
                    self.gaps.append((x + GAP / 2, prev[1], t_ns))
                    x += GAP
                else:
                    x += self.step
            self.x[tick] = x
            prev = (tick, t_ns)
        self.width = x + 40

    def at(self, tick: int) -> float:
        return self.x[tick]


def timeline_svg(records: list[Record], hosts: list[str], title: str = "epollsim trace") -> str:
    tl = build_timeline(records, hosts)
    return render(tl, title)


def render(tl: Timeline, title: str = "epollsim trace") -> str:
    tracks = tl.ordered_tracks()
    lane = {track: i for i, track in enumerate(tracks)}
    scale = _Scale(tl)
    names = sorted({s.name for s in tl.slices if s.kind == "call"})
    colour = colours(names)
    legend_y = TOP + len(tracks) * LANE_H + 24
    height = legend_y + 20 * ((len(names) + 5) // 6) + 16
    width = max(scale.width, LABEL_W + 6 * 150)

    def y(track: Track) -> float:
        return TOP + lane[track] * LANE_H

    out: list[str] = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{_fmt(width)}" height="{height}" '
        f'viewBox="0 0 {_fmt(width)} {height}" font-family="sans-serif" font-size="10">',
        f"<title>{escape(title)}</title>",
        "<defs>",
        '<pattern id="hatch" width="6" height="6" patternUnits="userSpaceOnUse" patternTransform="rotate(45)">'
        '<rect width="6" height="6" fill="#e0e0e0"/><line x1="0" y1="0" x2="0" y2="6" stroke="#888" '
        'stroke-width="2"/></pattern>',
        '<marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" '
        'orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="#d62728"/></marker>',
        "</defs>",
        f'<rect width="{_fmt(width)}" height="{height}" fill="white"/>',
        f'<text x="10" y="18" font-size="13" font-weight="bold">{escape(title)}</text>',
    ]
    # The time axis: the first instant and every clock jump.
    axis = [f'<g class="axis"><line x1="{LABEL_W}" y1="{TOP - 8}" x2="{_fmt(scale.width)}" y2="{TOP - 8}" '
            'stroke="#999"/>']
    if tl.moments:
        axis.append(f'<text x="{LABEL_W + 10}" y="{TOP - 14}">{escape(seconds(tl.moments[0][1]))} s</text>')
    bottom = TOP + len(tracks) * LANE_H
    jumps = []
    for x, frm, to in scale.gaps:
        jumps.append(f'<line class="jump" x1="{_fmt(x)}" y1="{TOP - 8}" x2="{_fmt(x)}" y2="{bottom}" '
                     'stroke="#999" stroke-dasharray="4,3"/>')
        axis.append(f'<text x="{_fmt(x)}" y="{TOP - 26}" text-anchor="middle" fill="#555">'
                    f"+{escape(_short(to - frm))}</text>")
        axis.append(f'<text x="{_fmt(x)}" y="{TOP - 14}" text-anchor="middle">{escape(seconds(to))} s</text>')
    axis.append("</g>")
    out.extend(axis)

    # Lanes, each with its slices and markers.
    for track in tracks:
        top = y(track)
        host, tid = track
        label = f"{tl.tracks[track]}@{host}"
        out.append(f'<g class="lane" data-host={_attr(host)} data-tid="{tid}" data-thread={_attr(tl.tracks[track])}>')
        shade = "#f7f7f7" if lane[track] % 2 == 0 else "#ffffff"
        out.append(f'<rect x="0" y="{top}" width="{_fmt(width)}" height="{LANE_H}" fill="{shade}"/>')
        out.append(f'<text x="8" y="{top + LANE_H / 2 + 4:.0f}">{escape(label)} <tspan fill="#888">'
                   f"(tid {tid})</tspan></text>")
        # Calls first, then what happened inside them (blocked periods), on top; labels last.
        labels = []
        for s in sorted((s for s in tl.slices if s.track == track), key=lambda s: s.kind != "call"):
            x0, x1 = scale.at(s.start), scale.at(s.end)
            w = max(x1 - x0, 3.0)
            if s.kind == "call":
                box = (f'<rect class="call" x="{_fmt(x0)}" y="{top + 5}" width="{_fmt(w)}" height="{BOX_H}" '
                       f'fill="{colour[s.name]}" stroke="#555" stroke-width="0.6">')
                text_y = top + 5 + BOX_H / 2 + 3.5
            elif s.kind == "blocked":
                box = (f'<rect class="blocked" x="{_fmt(x0)}" y="{top + 9}" width="{_fmt(w)}" height="{BOX_H - 8}" '
                       'fill="url(#hatch)" stroke="#888" stroke-width="0.6">')
                text_y = top + 9 + (BOX_H - 8) / 2 + 3.5
            else:  # a wake-up made outside any call
                box = (f'<rect class="wake" x="{_fmt(x0)}" y="{top + 9}" width="{_fmt(w)}" height="{BOX_H - 8}" '
                       'fill="#d62728" fill-opacity="0.25" stroke="#d62728" stroke-width="0.6">')
                text_y = 0.0
            out.append(f"{box}<title>{escape(s.text)}</title></rect>")
            label_text = s.name if s.kind == "call" else (s.name.removeprefix("blocked: ") if s.kind == "blocked" else "")
            if label_text and len(label_text) * CHAR_W + 6 <= w:
                labels.append(f'<text x="{_fmt(x0 + 3)}" y="{text_y:.1f}" pointer-events="none">{escape(label_text)}</text>')
        out.extend(labels)
        for i in tl.instants:
            if i.track != track:
                continue
            x = scale.at(i.at)
            mid = top + LANE_H / 2
            tip = escape(i.name + "".join(f"; {k}: {v}" for k, v in i.args.items()))
            if i.kind == "start":
                shape = f'<path class="start" d="M{_fmt(x)},{mid - 6} L{_fmt(x + 8)},{mid} L{_fmt(x)},{mid + 6} z" fill="#2ca02c">'
                out.append(f"{shape}<title>{tip}</title></path>")
            elif i.kind == "exit":
                out.append(f'<rect class="exit" x="{_fmt(x - 1.5)}" y="{top + 4}" width="3" height="{LANE_H - 8}" '
                           f'fill="#222"><title>{tip}</title></rect>')
            elif i.kind == "timer":
                out.append(f'<circle class="timer" cx="{_fmt(x)}" cy="{mid}" r="4" fill="none" stroke="#1f77b4" '
                           f'stroke-width="1.5"><title>{tip}</title></circle>')
            elif i.kind == "timeout":
                out.append(f'<path class="timeout" d="M{_fmt(x - 4)},{mid - 4} L{_fmt(x + 4)},{mid + 4} '
                           f'M{_fmt(x - 4)},{mid + 4} L{_fmt(x + 4)},{mid - 4}" stroke="#1f77b4" '
                           f'stroke-width="1.5"><title>{tip}</title></path>')
            elif i.kind == "signal":  # a lightning-bolt-like zigzag
                out.append(f'<path class="signal" d="M{_fmt(x + 2)},{mid - 7} L{_fmt(x - 3)},{mid + 1} '
                           f'L{_fmt(x + 3)},{mid - 1} L{_fmt(x - 2)},{mid + 7}" fill="none" stroke="#d62728" '
                           f'stroke-width="1.5"><title>{tip}</title></path>')
        out.append("</g>")

    # A rule between hosts.
    for a, b in zip(tracks, tracks[1:]):
        if a[0] != b[0]:
            out.append(f'<line class="host-rule" x1="0" y1="{y(b)}" x2="{_fmt(width)}" y2="{y(b)}" stroke="#666"/>')
    # Clock jumps and wake-up arrows, over the lanes.
    out.append('<g class="jumps">')
    out.extend(jumps)
    out.append("</g>")
    out.append('<g class="wakes">')
    for f in tl.flows:
        x = scale.at(f.at)
        y0 = y(f.src) + LANE_H / 2
        y1 = y(f.dst) + LANE_H / 2
        y1 += -6 if y1 > y0 else 6
        out.append(f'<line class="wake" x1="{_fmt(x)}" y1="{_fmt(y0)}" x2="{_fmt(x + 4)}" y2="{_fmt(y1)}" '
                   f'stroke="#d62728" stroke-width="1.4" marker-end="url(#arrow)"><title>{escape(f.name)}</title></line>')
    out.append("</g>")

    # The legend: call colours, then the symbols.
    out.append(f'<g class="legend" transform="translate({LABEL_W + 10},{legend_y})">')
    for n, name in enumerate(names):
        lx, ly = (n % 6) * 150, (n // 6) * 20
        out.append(f'<rect x="{lx}" y="{ly - 10}" width="14" height="12" fill="{colour[name]}" stroke="#555" '
                   f'stroke-width="0.6"/><text x="{lx + 18}" y="{ly}">{escape(name)}</text>')
    out.append("</g>")
    key = (f'<g class="key" transform="translate(10,{legend_y})">'
           '<rect x="0" y="-10" width="14" height="12" fill="url(#hatch)" stroke="#888"/>'
           '<text x="18" y="0">blocked</text>'
           '<line x1="70" y1="-4" x2="92" y2="-4" stroke="#d62728" stroke-width="1.4" marker-end="url(#arrow)"/>'
           '<text x="96" y="0">wakes</text></g>')
    out.append(key)
    out.append("</svg>")
    return "\n".join(out) + "\n"


def _short(ns: int) -> str:
    """A compact duration: 500 ms, 1.5 s, 3600 s, 250 us, 40 ns."""
    if ns >= 1_000_000_000:
        return f"{ns / 1_000_000_000:g} s"
    if ns >= 1_000_000:
        return f"{ns / 1_000_000:g} ms"
    if ns >= 1_000:
        return f"{ns / 1_000:g} us"
    return f"{ns} ns"
