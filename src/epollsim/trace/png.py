"""The timeline picture as PNG, drawn with matplotlib (an optional extra: ``epollsim[pictures]``).

It draws ``layout.py``'s shapes, the very ones ``svg.py`` writes, at the same
pixels (a figure of the picture's size at 72 dpi, y pointing down): the same
lanes, boxes, labels, marks and legend. Only the tooltips are SVG's alone.
matplotlib is imported only when called.
"""
from __future__ import annotations

from typing import Any

from .layout import Box, Circle, Line, Picture, Poly, Shape, Text, lay_out, window_ns
from .records import Record
from .timeline import build_timeline

DPI = 72  # one point is one pixel: font sizes and line widths mean what they mean in the SVG


def write_png(records: list[Record], hosts: list[str], path: str, title: str = "epollsim trace",
              start: float | None = None, end: float | None = None) -> None:
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        raise ImportError(
            "write_png needs matplotlib: pip install 'epollsim[pictures]' (or write_svg, which needs nothing)"
        ) from None
    pic = lay_out(build_timeline(records, hosts).window(*window_ns(start, end)), title)
    fig = plt.figure(figsize=(pic.width / DPI, pic.height / DPI), dpi=DPI)
    try:
        draw(fig, pic)
        fig.savefig(path, dpi=DPI)
    finally:
        plt.close(fig)


def draw(fig: Any, pic: Picture) -> int:
    """Draw every shape of ``pic`` on ``fig``; returns how many were drawn."""
    ax = fig.add_axes((0, 0, 1, 1))
    ax.set_xlim(0, pic.width)
    ax.set_ylim(pic.height, 0)  # y down, as in SVG
    ax.axis("off")
    ax.add_patch(_patches().Rectangle((0, 0), pic.width, pic.height, facecolor="white", edgecolor="none"))
    ax.text(10, 18, pic.title, fontsize=13, fontweight="bold", family="sans-serif")
    shapes: list[Shape] = [*pic.background]
    for lane in pic.lanes:
        shapes.extend(lane.shapes)
    shapes.extend(pic.overlay)
    shapes.extend(pic.legend)
    for z, s in enumerate(shapes):
        _draw(ax, s, z)
    return len(shapes)


def _patches() -> Any:
    import matplotlib.patches as patches

    return patches


def _draw(ax: Any, s: Shape, z: int) -> None:
    p = _patches()
    if isinstance(s, Box):
        ax.add_patch(p.Rectangle((s.x, s.y), s.w, s.h, facecolor=s.fill, alpha=s.opacity if s.opacity != 1 else None,
                                 edgecolor="none" if s.kind == "lane" else s.stroke, lw=0.6,
                                 hatch="///" if s.hatch else None, zorder=z))
    elif isinstance(s, Line):
        if s.arrow:
            ax.annotate("", xy=(s.x2, s.y2), xytext=(s.x1, s.y1), zorder=z,
                        arrowprops={"arrowstyle": "-|>", "color": s.colour, "lw": s.width, "shrinkA": 0, "shrinkB": 0})
        else:
            ax.plot([s.x1, s.x2], [s.y1, s.y2], color=s.colour, lw=s.width, ls="--" if s.dashed else "-", zorder=z)
    elif isinstance(s, Poly):
        if s.closed:
            ax.add_patch(p.Polygon(s.points, closed=True, facecolor=s.colour, edgecolor="none", zorder=z))
        else:
            ax.plot([x for x, _ in s.points], [y for _, y in s.points], color=s.colour, lw=1.5, zorder=z)
    elif isinstance(s, Circle):
        ax.add_patch(p.Circle((s.x, s.y), s.r, facecolor="none", edgecolor=s.colour, lw=1.5, zorder=z))
    elif isinstance(s, Text):
        ax.text(s.x, s.y, s.text, fontsize=s.size, color=s.colour, ha="center" if s.anchor == "middle" else "left",
                va="baseline", fontweight="bold" if s.bold else "normal", family="sans-serif", zorder=z)
