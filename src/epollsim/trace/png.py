"""The timeline picture as PNG, drawn with matplotlib (an optional extra: ``epollsim[pictures]``).

The same layout as ``svg.py`` (lanes, steps, gaps at clock jumps, hatched
blocked periods, wake-up arrows); matplotlib is imported only when called.
"""
from __future__ import annotations

from .records import Record, seconds
from .svg import _short, colours
from .timeline import build_timeline


def write_png(records: list[Record], hosts: list[str], path: str, title: str = "epollsim trace") -> None:
    try:
        import matplotlib  # type: ignore[import-not-found]

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt  # type: ignore[import-not-found]
        from matplotlib.patches import Patch, Rectangle  # type: ignore[import-not-found]
    except ImportError:
        raise ImportError(
            "write_png needs matplotlib: pip install 'epollsim[pictures]' (or write_svg, which needs nothing)"
        ) from None

    tl = build_timeline(records, hosts)
    tracks = tl.ordered_tracks()
    lane = {track: i for i, track in enumerate(tracks)}
    # x in steps, with a gap of 3 steps wherever the virtual clock moved.
    xs: dict[int, float] = {}
    gaps: list[tuple[float, int, int]] = []
    x = 0.0
    prev: tuple[int, int] | None = None
    for tick, t_ns in tl.moments:
        if prev is not None:
            if t_ns != prev[1]:
                gaps.append((x + 1.5, prev[1], t_ns))
                x += 3
            else:
                x += 1
        xs[tick] = x
        prev = (tick, t_ns)
    width = max(6.0, min(60.0, 2 + x * 0.12))
    fig, ax = plt.subplots(figsize=(width, 1 + 0.45 * max(len(tracks), 1)))
    colour = colours([s.name for s in tl.slices if s.kind == "call"])
    for s in sorted(tl.slices, key=lambda s: s.kind != "call"):  # calls under what happened in them
        row = lane[s.track]
        x0, x1 = xs[s.start], xs[s.end]
        w = max(x1 - x0, 0.3)
        if s.kind == "call":
            ax.add_patch(Rectangle((x0, row - 0.35), w, 0.7, facecolor=colour[s.name], edgecolor="#555", lw=0.5))
            if w >= 0.5 * len(s.name):
                ax.text(x0 + 0.1, row, s.name, va="center", fontsize=7)
        elif s.kind == "blocked":
            ax.add_patch(Rectangle((x0, row - 0.22), w, 0.44, facecolor="#e0e0e0", edgecolor="#888", hatch="///",
                                   lw=0.5))
        else:
            ax.add_patch(Rectangle((x0, row - 0.22), w, 0.44, facecolor="#f4b6b6", edgecolor="#d62728", lw=0.5))
    for f in tl.flows:
        xf = xs[f.at]
        ax.annotate("", xy=(xf + 0.2, lane[f.dst]), xytext=(xf, lane[f.src]),
                    arrowprops={"arrowstyle": "->", "color": "#d62728", "lw": 1.2})
    for i in tl.instants:
        if i.track is None:
            continue
        xi, row = xs[i.at], lane[i.track]
        marker = {"start": (">", "#2ca02c"), "exit": ("|", "#222"), "timer": ("o", "#1f77b4"),
                  "timeout": ("x", "#1f77b4")}.get(i.kind)
        if marker:
            ax.plot([xi], [row], marker=marker[0], color=marker[1], markersize=6,
                    markerfacecolor="none" if i.kind == "timer" else marker[1])
    for xg, frm, to in gaps:
        ax.axvline(xg, color="#999", ls="--", lw=0.8)
        ax.text(xg, -0.8, f"+{_short(to - frm)}", ha="center", fontsize=7, color="#555")
    ax.set_yticks(range(len(tracks)))
    ax.set_yticklabels([f"{tl.tracks[t]}@{t[0]}" for t in tracks])
    ax.set_ylim(len(tracks) - 0.5, -1.2)
    ax.set_xlim(-1, x + 2)
    ax.set_xticks([])
    start = f"from {seconds(tl.moments[0][1])} s" if tl.moments else ""
    ax.set_title(f"{title} {start}", fontsize=10)
    names = sorted({s.name for s in tl.slices if s.kind == "call"})
    handles = [Patch(facecolor=colour[n], edgecolor="#555", label=n) for n in names]
    handles.append(Patch(facecolor="#e0e0e0", edgecolor="#888", hatch="///", label="blocked"))
    ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(1.0, 1.0), fontsize=7, frameon=False)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
