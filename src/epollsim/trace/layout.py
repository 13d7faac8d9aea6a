"""The timeline picture as shapes on a page: what ``svg.py`` and ``png.py`` both draw.

Theory of operation
-------------------
The picture is laid out once, here, in pixels, as a list of plain shapes (boxes,
lines, polygons, circles and texts, each with its tooltip); the SVG writer and
the PNG writer only translate shapes, so the two pictures hold the same things
at the same places, labels included.

- **Lanes.** One lane per thread per host, top to bottom in host then thread
  order. A lane has two rows: a call's box fills the lane and its label sits in
  the upper row; a blocked period is a hatched band in the lower row, with its
  own label there. So a call's name and what it blocked on never overlap.
- **Steps.** Time runs left to right in steps: every event of the trace gets
  the same width, so a program whose threads all run at one virtual instant is
  as readable as one that sleeps. Where the virtual clock moved, a gap labelled
  with the jump (``+0.5 s``) and a dashed line across the lanes mark it.
- **Labels.** A label is drawn inside its box, cut with "…" when the box is too
  narrow for all of it; a label is never drawn over the previous label of its
  row (it is then left out: the tooltip still names the call).
- **Colours.** A call's colour depends on its name only (``colour_of``), so
  ``read`` has the same colour in every picture.
- **Window.** ``start_ns``/``end_ns`` keep only what happened in that stretch of
  virtual time (``Timeline.window``): a long run is read a window at a time.
- **Legend.** Every kind of mark the picture can hold has an entry, and every
  call name in the picture its colour.

Everything is computed from the records alone: same trace, same picture.
"""
from __future__ import annotations

import zlib
from dataclasses import dataclass, field

from .records import NS_PER_S, seconds
from .timeline import Timeline

LANE_H = 34
BOX_TOP, BOX_H = 3, 28  # a call's box, from the lane's top
BAND_TOP, BAND_H = 18, 12  # a blocked period's band (the lower row)
CALL_TEXT_Y, BAND_TEXT_Y = 13.5, 27.0  # the rows' text baselines
LABEL_W = 200
TOP = 56
STEP = 24  # px per tick
GAP = 56  # px where the virtual clock moved
MAX_W = 30_000  # px: long traces get narrower steps
FONT = 9
CHAR_W = 5.4  # px per character at FONT (to decide what fits)
LEGEND_COL_W = 150
LEGEND_COLS = 6
ELLIPSIS = "…"

BLOCKED_FILL, BLOCKED_STROKE = "#e0e0e0", "#888888"
WAKE_COLOUR = "#d62728"
TIMER_COLOUR = "#1f77b4"
START_COLOUR = "#2ca02c"
EXIT_COLOUR = "#222222"
JUMP_COLOUR = "#999999"

# Colour-blind-friendly light tints (Okabe-Ito and ColorBrewer pastels). The calls
# programs make most have fixed colours; any other name gets one by a hash of its
# letters (crc32: the same in every process, unlike hash()).
PALETTE = ["#9ecae1", "#fdd0a2", "#a1d99b", "#fcbba1", "#dadaeb", "#c7e9c0", "#fdae6b", "#bcbddc",
           "#6baed6", "#fee391", "#9ebcda", "#fa9fb5", "#d9d9d9", "#ccebc5", "#ffffb3", "#80b1d3"]
FIXED = {
    "read": "#9ecae1", "write": "#fdd0a2", "epoll_wait": "#a1d99b", "epoll_ctl": "#c7e9c0",
    "recvfrom": "#6baed6", "sendto": "#fdae6b", "poll": "#ccebc5", "close": "#d9d9d9",
    "pipe2": "#fcbba1", "eventfd2": "#fa9fb5", "socket": "#dadaeb", "connect": "#bcbddc",
    "accept4": "#9ebcda", "epoll_create1": "#ffffb3", "bind": "#fee391", "listen": "#80b1d3",
}


def colour_of(name: str) -> str:
    """The colour of a call named ``name``: the same in every picture."""
    fixed = FIXED.get(name)
    return fixed if fixed is not None else PALETTE[zlib.crc32(name.encode()) % len(PALETTE)]


@dataclass(slots=True)
class Box:
    x: float
    y: float
    w: float
    h: float
    fill: str
    stroke: str
    kind: str  # "call", "blocked", "wake", "lane", "exit", "legend"
    tip: str = ""
    hatch: bool = False
    opacity: float = 1.0


@dataclass(slots=True)
class Line:
    x1: float
    y1: float
    x2: float
    y2: float
    colour: str
    kind: str  # "wake" (an arrow), "jump" (dashed), "axis", "host-rule", "legend"
    tip: str = ""
    width: float = 1.0
    dashed: bool = False
    arrow: bool = False


@dataclass(slots=True)
class Poly:
    points: list[tuple[float, float]]
    colour: str
    kind: str  # "start" (a filled triangle), "timeout" (a cross), "signal" (a zigzag): open ones are strokes
    tip: str = ""
    closed: bool = True


@dataclass(slots=True)
class Circle:
    x: float
    y: float
    r: float
    colour: str
    kind: str  # "timer"
    tip: str = ""


@dataclass(slots=True)
class Text:
    x: float
    y: float
    text: str
    size: float = FONT
    colour: str = "#000000"
    anchor: str = "start"  # "start" or "middle"
    bold: bool = False


Shape = Box | Line | Poly | Circle | Text


@dataclass
class Lane:
    host: str
    tid: int
    thread: str
    y: float
    shapes: list[Shape] = field(default_factory=list)


@dataclass
class Picture:
    width: float
    height: float
    title: str
    background: list[Shape] = field(default_factory=list)  # the axis, stripes
    lanes: list[Lane] = field(default_factory=list)
    overlay: list[Shape] = field(default_factory=list)  # clock jumps, wake-up arrows, host rules
    legend: list[Shape] = field(default_factory=list)


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


def fit(label: str, width: float) -> str:
    """``label``, or as much of it as ``width`` px hold followed by "…", or "" when not a letter fits."""
    room = int((width - 4) / CHAR_W)
    if len(label) <= room:
        return label
    return label[: room - 1] + ELLIPSIS if room >= 2 else ""


class _Row:
    """One row of labels: where the last one ended, so the next never overlaps it."""

    def __init__(self) -> None:
        self.end = -1e9

    def place(self, x: float, label: str, width: float) -> str:
        if x < self.end + 2:
            return ""
        text = fit(label, width)
        if text:
            self.end = x + 2 + len(text) * CHAR_W
        return text


def window_ns(start: float | None, end: float | None) -> tuple[int | None, int | None]:
    """Seconds of virtual time (as ``k.time.monotonic()`` reads them) to the clock's ns."""
    return (None if start is None else round(start * NS_PER_S), None if end is None else round(end * NS_PER_S))


def short(ns: int) -> str:
    """A compact duration: 500 ms, 1.5 s, 3600 s, 250 us, 40 ns."""
    if ns >= 1_000_000_000:
        return f"{ns / 1_000_000_000:g} s"
    if ns >= 1_000_000:
        return f"{ns / 1_000_000:g} ms"
    if ns >= 1_000:
        return f"{ns / 1_000:g} us"
    return f"{ns} ns"


def lay_out(tl: Timeline, title: str = "epollsim trace") -> Picture:
    """The picture of ``tl`` (already cut to its window)."""
    tracks = tl.ordered_tracks()
    lane_of = {track: i for i, track in enumerate(tracks)}
    scale = _Scale(tl)
    names = sorted({s.name for s in tl.slices if s.kind == "call"})
    width = max(scale.width, LABEL_W + LEGEND_COLS * LEGEND_COL_W)
    bottom = TOP + len(tracks) * LANE_H
    keys = _legend_keys(tl)
    legend_rows = (len(keys) + LEGEND_COLS - 1) // LEGEND_COLS + (len(names) + LEGEND_COLS - 1) // LEGEND_COLS
    height = bottom + 24 + 20 * legend_rows + 16
    pic = Picture(width, height, title)

    def top_of(track: tuple[str, int]) -> float:
        return TOP + lane_of[track] * LANE_H

    # The time axis: the first instant and every clock jump.
    pic.background.append(Line(LABEL_W, TOP - 8, scale.width, TOP - 8, JUMP_COLOUR, "axis"))
    if tl.moments:
        pic.background.append(Text(LABEL_W + 10, TOP - 14, f"{seconds(tl.moments[0][1])} s"))
    for x, frm, to in scale.gaps:
        pic.overlay.append(Line(x, TOP - 8, x, bottom, JUMP_COLOUR, "jump", dashed=True))
        pic.background.append(Text(x, TOP - 26, f"+{short(to - frm)}", colour="#555555", anchor="middle"))
        pic.background.append(Text(x, TOP - 14, f"{seconds(to)} s", anchor="middle"))

    for track in tracks:
        top = top_of(track)
        host, tid = track
        lane = Lane(host, tid, tl.tracks[track], top)
        shade = "#f7f7f7" if lane_of[track] % 2 == 0 else "#ffffff"
        lane.shapes.append(Box(0, top, width, LANE_H, shade, shade, "lane"))
        lane.shapes.append(Text(8, top + LANE_H / 2 + 4, f"{tl.tracks[track]}@{host} (tid {tid})"))
        rows = (_Row(), _Row())
        labels: list[Text] = []
        # Calls first, then what happened inside them (blocked periods) on top; labels last.
        for s in sorted((s for s in tl.slices if s.track == track), key=lambda s: (s.kind != "call", s.start)):
            x0 = scale.x[s.start]
            w = max(scale.x[s.end] - x0, 3.0)
            if s.kind == "call":
                lane.shapes.append(Box(x0, top + BOX_TOP, w, BOX_H, colour_of(s.name), "#555555", "call", s.text))
                text = rows[0].place(x0, s.name, w)
                y = top + CALL_TEXT_Y
            elif s.kind == "blocked":
                lane.shapes.append(Box(x0, top + BAND_TOP, w, BAND_H, BLOCKED_FILL, BLOCKED_STROKE, "blocked",
                                       s.text, hatch=True))
                text = rows[1].place(x0, s.name.removeprefix("blocked: "), w)
                y = top + BAND_TEXT_Y
            else:  # a wake-up made outside any call
                lane.shapes.append(Box(x0, top + BAND_TOP, w, BAND_H, WAKE_COLOUR, WAKE_COLOUR, "wake", s.text,
                                       opacity=0.25))
                text = ""
            if text:
                labels.append(Text(x0 + 2, y, text))
        lane.shapes.extend(labels)
        mid = top + LANE_H / 2
        for i in tl.instants:
            if i.track != track:
                continue
            x = scale.x[i.at]
            tip = i.name + "".join(f"; {k}: {v}" for k, v in i.args.items())
            if i.kind == "start":
                lane.shapes.append(Poly([(x, mid - 6), (x + 8, mid), (x, mid + 6)], START_COLOUR, "start", tip))
            elif i.kind == "exit":
                lane.shapes.append(Box(x - 1.5, top + 4, 3, LANE_H - 8, EXIT_COLOUR, EXIT_COLOUR, "exit", tip))
            elif i.kind == "timer":
                lane.shapes.append(Circle(x, mid, 4, TIMER_COLOUR, "timer", tip))
            elif i.kind == "timeout":
                lane.shapes.append(Poly([(x - 4, mid - 4), (x + 4, mid + 4), (x, mid), (x - 4, mid + 4),
                                         (x + 4, mid - 4)], TIMER_COLOUR, "timeout", tip, closed=False))
            elif i.kind == "signal":  # a zigzag, like a lightning bolt
                lane.shapes.append(Poly([(x + 2, mid - 7), (x - 3, mid + 1), (x + 3, mid - 1), (x - 2, mid + 7)],
                                        WAKE_COLOUR, "signal", tip, closed=False))
        pic.lanes.append(lane)

    for a, b in zip(tracks, tracks[1:]):
        if a[0] != b[0]:
            pic.overlay.append(Line(0, top_of(b), width, top_of(b), "#666666", "host-rule"))
    for f in tl.flows:
        x = scale.x[f.at]
        y0 = top_of(f.src) + LANE_H / 2
        y1 = top_of(f.dst) + LANE_H / 2
        y1 += -6 if y1 > y0 else 6
        pic.overlay.append(Line(x, y0, x + 4, y1, WAKE_COLOUR, "wake", f.name, width=1.4, arrow=True))

    _legend(pic, bottom + 24, keys, names)
    return pic


def _legend_keys(tl: Timeline) -> list[str]:
    """The marks this picture holds, in a fixed order."""
    kinds = {s.kind for s in tl.slices} | {i.kind for i in tl.instants}
    keys: list[str] = [k for k in ("blocked", "wake", "timer", "timeout", "start", "exit", "signal") if k in kinds]
    if tl.flows:
        keys.insert(keys.index("wake") if "wake" in keys else len(keys), "arrow")
    if any(b[1] != a[1] for a, b in zip(tl.moments, tl.moments[1:])):
        keys.append("clock")
    return keys


_KEY_TEXT = {
    "blocked": "blocked", "arrow": "wakes (waker to woken)", "wake": "a wake-up outside a call",
    "timer": "woken by a timer", "timeout": "timed out", "start": "thread starts", "exit": "thread exits",
    "signal": "a signal delivered",
    "clock": "the clock jumps",
}


def _legend(pic: Picture, y0: float, keys: list[str], names: list[str]) -> None:
    """First the marks, then one colour per call name; six to a row."""
    out = pic.legend
    entries: list[tuple[str, str]] = [("key", k) for k in keys] + [("call", n) for n in names]
    row = 0
    for group in ("key", "call"):
        items = [name for g, name in entries if g == group]
        for n, name in enumerate(items):
            lx = LABEL_W + 10 + (n % LEGEND_COLS) * LEGEND_COL_W
            ly = y0 + (row + n // LEGEND_COLS) * 20
            if group == "call":
                out.append(Box(lx, ly - 10, 14, 12, colour_of(name), "#555555", "legend"))
            else:
                _key_mark(out, name, lx, ly)
            out.append(Text(lx + 18, ly, name if group == "call" else _KEY_TEXT[name]))
        row += (len(items) + LEGEND_COLS - 1) // LEGEND_COLS
    if names or keys:
        out.append(Text(10, y0, "legend", bold=True))


def _key_mark(out: list[Shape], key: str, x: float, y: float) -> None:
    mid = y - 4
    if key == "blocked":
        out.append(Box(x, y - 10, 14, 12, BLOCKED_FILL, BLOCKED_STROKE, "legend", hatch=True))
    elif key == "wake":
        out.append(Box(x, y - 10, 14, 12, WAKE_COLOUR, WAKE_COLOUR, "legend", opacity=0.25))
    elif key == "arrow":
        out.append(Line(x, mid, x + 14, mid, WAKE_COLOUR, "legend", width=1.4, arrow=True))
    elif key == "timer":
        out.append(Circle(x + 7, mid, 4, TIMER_COLOUR, "legend"))
    elif key == "timeout":
        out.append(Poly([(x + 3, mid - 4), (x + 11, mid + 4), (x + 7, mid), (x + 3, mid + 4), (x + 11, mid - 4)],
                        TIMER_COLOUR, "legend", closed=False))
    elif key == "start":
        out.append(Poly([(x + 3, mid - 6), (x + 11, mid), (x + 3, mid + 6)], START_COLOUR, "legend"))
    elif key == "exit":
        out.append(Box(x + 5.5, y - 12, 3, 16, EXIT_COLOUR, EXIT_COLOUR, "legend"))
    elif key == "signal":
        out.append(Poly([(x + 9, mid - 7), (x + 4, mid + 1), (x + 10, mid - 1), (x + 5, mid + 7)], WAKE_COLOUR,
                        "legend", closed=False))
    elif key == "clock":
        out.append(Line(x + 7, y - 12, x + 7, y + 4, JUMP_COLOUR, "legend", dashed=True))
