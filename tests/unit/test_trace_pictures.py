"""The timeline pictures a person reads: stable colours, a complete legend, labels that never overlap,
a window of time, and the same content in SVG and PNG (trace/layout.py, svg.py, png.py)."""
from __future__ import annotations

import importlib.util
import pathlib
import xml.etree.ElementTree as ET
from typing import Any

import pytest

import epollsim
from epollsim.trace.layout import CHAR_W, Picture, Text, colour_of, lay_out
from epollsim.trace.timeline import build_timeline

SVG = "{http://www.w3.org/2000/svg}"


def _docs_program(name: str) -> Any:
    """A program docs/pictures/make_trace_pictures.py draws, so the test and the docs' picture agree."""
    path = pathlib.Path(__file__).parents[2] / "docs" / "pictures" / "make_trace_pictures.py"
    spec = importlib.util.spec_from_file_location("make_trace_pictures", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return getattr(module, name)


# A poller blocked in epoll_wait, woken by two producers that sleep first (a timeout, a timer, a join).
poller = _docs_program("poller")


def traced(program: object) -> epollsim.Kernel:
    k = epollsim.Kernel(trace=True)
    program(k)  # type: ignore[operator]
    return k


def picture(k: epollsim.Kernel, start: float | None = None, end: float | None = None) -> Picture:
    from epollsim.trace.layout import window_ns

    return lay_out(build_timeline(k.trace.records, k.trace.host_names()).window(*window_ns(start, end)))


def fills(svg: str) -> dict[str, str]:
    """call name -> the fill of its boxes (each name must have one)."""
    out: dict[str, set[str]] = {}
    for rect in ET.fromstring(svg.encode()).iter(f"{SVG}rect"):
        if rect.get("class") == "call":
            name = rect.find(f"{SVG}title").text.split("(")[0]  # type: ignore[union-attr]
            out.setdefault(name, set()).add(rect.get("fill", ""))
    assert all(len(v) == 1 for v in out.values()), out
    return {name: v.pop() for name, v in out.items()}


def test_a_call_has_the_same_colour_in_every_picture() -> None:
    def only_reads(k: epollsim.Kernel) -> None:
        r, w = k.os.pipe()
        k.os.write(w, b"x")
        k.os.read(r, 1)

    def with_more(k: epollsim.Kernel) -> None:
        a, b = k.socket.socketpair()
        e = k.os.eventfd(0)
        k.os.close(e)
        only_reads(k)

    one, two = fills(traced(only_reads).trace.svg()), fills(traced(with_more).trace.svg())
    assert set(one) < set(two)
    for name in one:  # the earlier layout numbered colours by the sorted names of each picture
        assert one[name] == two[name] == colour_of(name)
    assert colour_of("read") != colour_of("write")


def test_the_legend_names_every_mark_and_every_call_in_the_picture() -> None:
    k = traced(poller)
    root = ET.fromstring(k.trace.svg().encode())
    legend = next(g for g in root.iter(f"{SVG}g") if g.get("class") == "legend")
    words = [t.text for t in legend.iter(f"{SVG}text")]
    calls = {r.find(f"{SVG}title").text.split("(")[0] for r in root.iter(f"{SVG}rect")  # type: ignore[union-attr]
             if r.get("class") == "call"}
    assert calls <= set(words)
    marks = {e.get("class") for e in root.iter() if e.get("class")}
    expected = {"blocked": "blocked", "wake": "wakes (waker to woken)", "timeout": "timed out",
                "start": "thread starts", "exit": "thread exits", "jump": "the clock jumps"}
    for mark, word in expected.items():
        assert mark in marks and word in words, (mark, words)
    # a wake-up outside any call (the poller's exit waking the join) has its own entry
    assert "a wake-up outside a call" in words


def text_rows(pic: Picture) -> dict[tuple[int, float], list[Text]]:
    rows: dict[tuple[int, float], list[Text]] = {}
    for n, lane in enumerate(pic.lanes):
        for s in lane.shapes:
            if isinstance(s, Text) and s.x > 100:  # not the lane's name
                rows.setdefault((n, s.y), []).append(s)
    return rows


def busy(k: epollsim.Kernel) -> None:
    """Many short calls on one thread, and long blocked ones beside them."""
    r, w = k.os.pipe()

    def reader() -> None:
        for _ in range(20):
            k.os.read(r, 1)

    t = k.threading.Thread(target=reader, name="reader")
    t.start()
    for _ in range(20):
        k.os.write(w, b"x")
        k.time.sleep(0)
    t.join()


@pytest.mark.parametrize("program", [poller, busy])
def test_no_label_overlaps_another_and_calls_and_blocked_periods_use_two_rows(program: object) -> None:
    pic = picture(traced(program))
    rows = text_rows(pic)
    assert len({y for _, y in rows}) >= 2  # the call row and the blocked row
    for texts in rows.values():
        texts.sort(key=lambda t: t.x)
        for a, b in zip(texts, texts[1:]):
            assert a.x + len(a.text) * CHAR_W <= b.x, (a.text, b.text)
    # every label lies inside its box: a call's name never runs over the next call
    labelled = sum(len(t) for t in rows.values())
    assert labelled >= 10


def test_a_call_too_narrow_for_its_name_gets_a_shortened_label() -> None:
    pic = picture(traced(poller))
    texts = [s.text for lane in pic.lanes for s in lane.shapes if isinstance(s, Text)]
    assert any(t.endswith("…") and len(t) >= 2 for t in texts)  # e.g. "pi…" for a pipe2 box of one step
    assert "epoll_wait" in texts and "epoll_wait(7): no registered file is ready" in texts


def test_a_window_of_virtual_time_draws_only_what_happened_in_it() -> None:
    k = traced(poller)
    whole = k.trace.svg()
    part = k.trace.svg(start=1000.015, end=1000.025)  # around the second producer's write
    root = ET.fromstring(part.encode())
    calls = [r.find(f"{SVG}title").text for r in root.iter(f"{SVG}rect")  # type: ignore[union-attr]
             if r.get("class") == "call"]
    assert "write(6, b'data') = 4" in calls and "write(4, b'data') = 4" not in calls
    assert not any(c.startswith("pipe2") for c in calls)
    lanes = [g.get("data-thread") for g in root.iter(f"{SVG}g") if g.get("class") == "lane"]
    assert "prod-1" not in lanes and "prod-2" in lanes  # a thread with nothing in the window has no lane
    assert float(root.get("width", 0)) < float(ET.fromstring(whole.encode()).get("width", 0))
    assert k.trace.svg(start=1000.015, end=1000.025) == part
    # an open end, and a window with nothing in it
    assert "pipe2" not in k.trace.svg(start=1000.015) and "pipe2" in k.trace.svg(end=1000.001)
    assert 'class="call"' not in k.trace.svg(start=2000.0)


def test_a_long_trace_is_read_a_window_at_a_time() -> None:
    def long(k: epollsim.Kernel) -> None:
        r, w = k.os.pipe()
        for _ in range(1000):
            k.os.write(w, b"x")
            k.os.read(r, 1)
            k.time.sleep(0.001)

    k = traced(long)
    assert len(k.trace.records) >= 3000
    whole = float(ET.fromstring(k.trace.svg().encode()).get("width", 0))
    part = float(ET.fromstring(k.trace.svg(start=1000.1, end=1000.11).encode()).get("width", 0))
    assert whole >= 25_000 and part < whole / 8  # 10 of 1000 iterations: a page, not a scroll


def test_the_png_draws_the_same_shapes_and_labels_as_the_svg(tmp_path: pathlib.Path) -> None:
    matplotlib = pytest.importorskip("matplotlib")
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from epollsim.trace.png import DPI, draw

    k = traced(poller)
    pic = picture(k)
    fig = plt.figure(figsize=(pic.width / DPI, pic.height / DPI), dpi=DPI)
    drawn = draw(fig, pic)
    ax = fig.axes[0]
    png_texts = sorted(t.get_text() for t in ax.texts if t.get_text())
    svg_root = ET.fromstring(k.trace.svg().encode())
    svg_texts = sorted(t.text or "" for t in svg_root.iter(f"{SVG}text") if t.text)
    plt.close(fig)
    assert png_texts == svg_texts  # the blocked periods' labels included
    assert drawn == sum(len(lane.shapes) for lane in pic.lanes) + len(pic.background) + len(pic.overlay) + \
        len(pic.legend)
    k.trace.write_png(tmp_path / "run.png", start=1000.0, end=1000.012)
    assert (tmp_path / "run.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
