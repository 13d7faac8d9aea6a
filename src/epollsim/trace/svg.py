"""The timeline picture as SVG written by hand (no dependencies): ``layout.py``'s shapes, as SVG.

- a system call is a coloured box (one colour per call name, the same in every picture);
- a blocked period is a grey hatched band, inside the call that blocked;
- a wake-up is an arrow from the waker's lane to the woken's;
- a wake-up by a timer is a small circle, a timeout a small cross;
- a thread's start is a green triangle, its exit a black bar;
- a dashed line, labelled with the jump, is where the virtual clock moved.

Every mark has a ``<title>``: hovering over it in a browser shows the call with
its arguments and result. Lanes are ``<g class="lane">`` with the host, tid and
thread as data attributes. The picture is deterministic: same trace, same bytes.
"""
from __future__ import annotations

from xml.sax.saxutils import escape, quoteattr

from .layout import FONT, Box, Circle, Line, Picture, Poly, Shape, lay_out, short, window_ns
from .records import Record
from .timeline import build_timeline

__all__ = ["render", "short", "timeline_svg", "window_ns"]


def timeline_svg(records: list[Record], hosts: list[str], title: str = "epollsim trace",
                 start: float | None = None, end: float | None = None) -> str:
    tl = build_timeline(records, hosts).window(*window_ns(start, end))
    return render(lay_out(tl, title))


def _n(x: float) -> str:
    return f"{x:.1f}".rstrip("0").rstrip(".")


def _tip(tip: str) -> str:
    return f"<title>{escape(tip)}</title>" if tip else ""


def shape(s: Shape) -> str:
    if isinstance(s, Box):
        fill = "url(#hatch)" if s.hatch else s.fill
        extra = f' fill-opacity="{s.opacity}"' if s.opacity != 1.0 else ""
        stroke = "" if s.kind == "lane" else f' stroke="{s.stroke}" stroke-width="0.6"'
        head = (f'<rect class="{s.kind}" x="{_n(s.x)}" y="{_n(s.y)}" width="{_n(s.w)}" height="{_n(s.h)}" '
                f'fill="{fill}"{extra}{stroke}')
        return f"{head}>{_tip(s.tip)}</rect>" if s.tip else f"{head}/>"
    if isinstance(s, Line):
        extra = ' stroke-dasharray="4,3"' if s.dashed else ""
        extra += ' marker-end="url(#arrow)"' if s.arrow else ""
        head = (f'<line class="{s.kind}" x1="{_n(s.x1)}" y1="{_n(s.y1)}" x2="{_n(s.x2)}" y2="{_n(s.y2)}" '
                f'stroke="{s.colour}" stroke-width="{_n(s.width)}"{extra}')
        return f"{head}>{_tip(s.tip)}</line>" if s.tip else f"{head}/>"
    if isinstance(s, Poly):
        d = " ".join(f"{'M' if i == 0 else 'L'}{_n(x)},{_n(y)}" for i, (x, y) in enumerate(s.points))
        paint = f'd="{d} z" fill="{s.colour}"' if s.closed else f'd="{d}" fill="none" stroke="{s.colour}" stroke-width="1.5"'
        return f'<path class="{s.kind}" {paint}>{_tip(s.tip)}</path>'
    if isinstance(s, Circle):
        return (f'<circle class="{s.kind}" cx="{_n(s.x)}" cy="{_n(s.y)}" r="{_n(s.r)}" fill="none" '
                f'stroke="{s.colour}" stroke-width="1.5">{_tip(s.tip)}</circle>')
    anchor = ' text-anchor="middle"' if s.anchor == "middle" else ""
    style = ' font-weight="bold"' if s.bold else ""
    style += f' fill="{s.colour}"' if s.colour != "#000000" else ""
    style += f' font-size="{_n(s.size)}"' if s.size != FONT else ""
    return f'<text x="{_n(s.x)}" y="{_n(s.y)}"{anchor}{style} pointer-events="none">{escape(s.text)}</text>'


def render(pic: Picture) -> str:
    w, h = _n(pic.width), _n(pic.height)
    out: list[str] = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}" viewBox="0 0 {w} {h}" '
        'font-family="sans-serif" font-size="9">',
        f"<title>{escape(pic.title)}</title>",
        "<defs>",
        '<pattern id="hatch" width="6" height="6" patternUnits="userSpaceOnUse" patternTransform="rotate(45)">'
        '<rect width="6" height="6" fill="#e0e0e0"/><line x1="0" y1="0" x2="0" y2="6" stroke="#888" '
        'stroke-width="2"/></pattern>',
        '<marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" '
        'orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="#d62728"/></marker>',
        "</defs>",
        f'<rect width="{w}" height="{h}" fill="white"/>',
        f'<text x="10" y="18" font-size="13" font-weight="bold">{escape(pic.title)}</text>',
        '<g class="axis">',
        *(shape(s) for s in pic.background),
        "</g>",
    ]
    for lane in pic.lanes:
        out.append(f'<g class="lane" data-host={quoteattr(lane.host)} data-tid="{lane.tid}" '
                   f"data-thread={quoteattr(lane.thread)}>")
        out.extend(shape(s) for s in lane.shapes)
        out.append("</g>")
    out.append('<g class="overlay">')
    out.extend(shape(s) for s in pic.overlay)
    out.append("</g>")
    out.append('<g class="legend">')
    out.extend(shape(s) for s in pic.legend)
    out.append("</g>")
    out.append("</svg>")
    return "\n".join(out) + "\n"
