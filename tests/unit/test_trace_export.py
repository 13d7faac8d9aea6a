"""Trace exports: the Chrome/Perfetto trace-event JSON and the SVG timeline."""
from __future__ import annotations

import json
import pathlib
import xml.etree.ElementTree as ET
from typing import Any

import pytest

import epollsim

SVG = "{http://www.w3.org/2000/svg}"


def reader_woken_by_writer() -> epollsim.Kernel:
    """A reader blocked in os.read, woken by a writer's os.write 0.1 s later; main joins both."""
    k = epollsim.Kernel(trace=True)
    r, w = k.os.pipe()
    got = []

    def reader() -> None:
        got.append(k.os.read(r, 100))

    def writer() -> None:
        k.time.sleep(0.1)
        k.os.write(w, b"hello")

    threads = [k.threading.Thread(target=reader, name="reader"), k.threading.Thread(target=writer, name="writer")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert got == [b"hello"]
    return k


def load(k: epollsim.Kernel, tmp_path: pathlib.Path) -> list[dict[str, Any]]:
    path = tmp_path / "trace.json"
    k.trace.write_chrome(str(path))
    data = json.loads(path.read_text())
    assert data["displayTimeUnit"] == "ns"
    return data["traceEvents"]


def test_one_process_per_host_and_one_track_per_thread(tmp_path: pathlib.Path) -> None:
    events = load(reader_woken_by_writer(), tmp_path)
    processes = {e["pid"]: e["args"]["name"] for e in events if e["ph"] == "M" and e["name"] == "process_name"}
    threads = {e["tid"]: e["args"]["name"] for e in events if e["ph"] == "M" and e["name"] == "thread_name"}
    assert processes == {1: "localhost"}
    assert threads == {1: "MainThread", 2: "reader", 3: "writer"}
    assert {e["pid"] for e in events if e["ph"] == "X"} == {1}


def slices(events: list[dict[str, Any]], tid: int, cat: str) -> list[dict[str, Any]]:
    return [e for e in events if e["ph"] == "X" and e["tid"] == tid and e["cat"] == cat]


def encloses(s: dict[str, Any], ts: float) -> bool:
    return s["ts"] < ts < s["ts"] + s["dur"]


def test_calls_are_slices_with_their_arguments_and_results(tmp_path: pathlib.Path) -> None:
    events = load(reader_woken_by_writer(), tmp_path)
    (read,) = slices(events, 2, "syscall")
    assert read["name"] == "read"
    assert read["args"]["fd"] == "3" and read["args"]["count"] == "100"
    assert read["args"]["result"] == "b'hello'"
    assert read["args"]["virtual duration"] == "0.100050000 s"  # the sleep's 50 us slack
    assert read["dur"] == pytest.approx(100_050, abs=0.1)  # µs of virtual time (the sleep's 50 us slack)
    (write,) = slices(events, 3, "syscall")
    assert (write["name"], write["args"]["data"], write["args"]["result"]) == ("write", "b'hello'", "5")
    assert write["ts"] == pytest.approx(1000_100_050, abs=0.1)


def test_blocking_periods_are_slices_inside_the_call_that_blocked(tmp_path: pathlib.Path) -> None:
    events = load(reader_woken_by_writer(), tmp_path)
    (read,) = slices(events, 2, "syscall")
    (blocked,) = slices(events, 2, "blocked")
    assert blocked["name"] == "blocked: read(3): pipe is empty"
    assert blocked["args"]["ended"] == "woken by writer"
    assert read["ts"] < blocked["ts"] and blocked["ts"] + blocked["dur"] <= read["ts"] + read["dur"]
    (sleep,) = slices(events, 3, "blocked")
    assert sleep["name"] == "blocked: time.sleep()" and sleep["args"]["ended"] == "timed out"


def test_the_wake_up_is_exactly_one_flow_from_the_writers_write_to_the_readers_block(
    tmp_path: pathlib.Path,
) -> None:
    events = load(reader_woken_by_writer(), tmp_path)
    starts = [e for e in events if e["ph"] == "s"]
    finishes = {e["id"]: e for e in events if e["ph"] == "f"}
    assert len(starts) == len(finishes) and {s["id"] for s in starts} == set(finishes)
    writer_to_reader = [s for s in starts if s["tid"] == 3 and finishes[s["id"]]["tid"] == 2]
    assert len(writer_to_reader) == 1
    start = writer_to_reader[0]
    finish = finishes[start["id"]]
    assert finish["bp"] == "e" and start["cat"] == finish["cat"] and start["name"] == finish["name"]
    # The arrow leaves the write slice and lands in the reader's blocked slice.
    (write,) = slices(events, 3, "syscall")
    (blocked,) = slices(events, 2, "blocked")
    assert encloses(write, start["ts"]) and encloses(blocked, finish["ts"])
    # The only other wake-ups: the exiting threads wake MainThread's joins (the writer's join did not block).
    others = sorted((s["tid"], finishes[s["id"]]["tid"]) for s in starts if s is not start)
    assert others == [(2, 1)]


def test_a_waker_outside_any_call_gets_a_slice_for_the_arrow(tmp_path: pathlib.Path) -> None:
    k = epollsim.Kernel(trace=True)
    ev = k.threading.Event()
    t = k.threading.Thread(target=ev.wait, name="waiter")
    t.start()
    k.time.sleep(0)
    ev.set()  # no system call: a "wake" slice on MainThread carries the flow
    t.join()
    events = load(k, tmp_path)
    (flow,) = [e for e in events if e["ph"] == "s" and e["tid"] == 1]
    (wake,) = slices(events, 1, "wake")
    assert wake["name"] == "wake waiter" and encloses(wake, flow["ts"])


def test_threads_on_two_hosts_are_tracks_of_two_processes(tmp_path: pathlib.Path) -> None:
    k = epollsim.Kernel(trace=True)
    b = k.add_host("b")
    k.threading.Thread(target=b.os.pipe, name="on-b").start()
    k.os.pipe()
    k.time.sleep(0)
    events = load(k, tmp_path)
    processes = {e["args"]["name"]: e["pid"] for e in events if e["ph"] == "M" and e["name"] == "process_name"}
    assert processes == {"localhost": 1, "b": 2}
    calls = {(e["pid"], e["tid"], e["name"]) for e in events if e["ph"] == "X"}
    assert calls == {(1, 1, "pipe2"), (2, 2, "pipe2")}


def test_timestamps_keep_order_at_one_instant_and_can_be_exact(tmp_path: pathlib.Path) -> None:
    k = epollsim.Kernel(trace=True)
    r, w = k.os.pipe()
    k.os.write(w, b"x")
    k.os.read(r, 1)
    xs = [e for e in k.trace.chrome()["traceEvents"] if e["ph"] == "X"]
    assert [e["name"] for e in xs] == ["pipe2", "write", "read"]
    assert xs[0]["ts"] < xs[1]["ts"] < xs[2]["ts"] < 1000_000_000.01
    exact = [e for e in k.trace.chrome(nudge_ns=0)["traceEvents"] if e["ph"] == "X"]
    assert {e["ts"] for e in exact} == {1000_000_000} and {e["dur"] for e in exact} == {0}


def parse_svg(k: epollsim.Kernel) -> ET.Element:
    return ET.fromstring(k.trace.svg().encode())


def test_the_svg_is_well_formed_with_one_lane_per_thread() -> None:
    root = parse_svg(reader_woken_by_writer())
    assert root.tag == f"{SVG}svg"
    lanes = [g for g in root.iter(f"{SVG}g") if g.get("class") == "lane"]
    assert [g.get("data-thread") for g in lanes] == ["MainThread", "reader", "writer"]
    reader = lanes[1]
    calls = [r for r in reader.iter(f"{SVG}rect") if r.get("class") == "call"]
    blocked = [r for r in reader.iter(f"{SVG}rect") if r.get("class") == "blocked"]
    assert len(calls) == 1 and len(blocked) == 1
    assert calls[0].find(f"{SVG}title").text == "read(3, 100) = b'hello'"  # type: ignore[union-attr]
    assert float(blocked[0].get("width", 0)) > 20  # hatched, and wide: other threads ran meanwhile
    arrows = [x for x in root.iter(f"{SVG}line") if x.get("class") == "wake"]
    assert len(arrows) == 2  # writer -> reader, reader's exit -> MainThread's join
    jumps = [x for x in root.iter(f"{SVG}line") if x.get("class") == "jump"]
    assert len(jumps) == 1  # the 0.1 s sleep
    assert "+100.05 ms" in k_svg_text(root)


def k_svg_text(root: ET.Element) -> str:
    return " ".join(t.text or "" for t in root.iter(f"{SVG}text"))


def test_the_svg_escapes_what_the_program_wrote_and_is_the_same_every_time() -> None:
    def run() -> str:
        k = epollsim.Kernel(trace=True)
        r, w = k.os.pipe()
        k.os.write(w, b"<&>\"'")
        return k.trace.svg()

    text = run()
    ET.fromstring(text.encode())  # well-formed despite the markup characters
    assert text == run()


def test_png_needs_matplotlib(tmp_path: pathlib.Path) -> None:
    k = reader_woken_by_writer()
    try:
        import matplotlib  # type: ignore[import-not-found]  # noqa: F401
    except ImportError:
        with pytest.raises(ImportError, match="epollsim\\[pictures\\]"):
            k.trace.write_png(str(tmp_path / "t.png"))
        return
    k.trace.write_png(str(tmp_path / "t.png"))
    assert (tmp_path / "t.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
