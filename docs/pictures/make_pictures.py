"""Regenerate every picture of docs/: python docs/pictures/make_pictures.py

Each picture is the trace of a small program on the model, drawn by epollsim itself
(``k.trace.write_svg``); each program also returns what it observed, which the guide quotes.
tests/unit/test_docs.py checks that the committed pictures are what this script draws."""
from __future__ import annotations

import pathlib
import sys
from collections.abc import Callable

import epollsim

HERE = pathlib.Path(__file__).parent
sys.path.insert(0, str(HERE))

from make_trace_pictures import poller  # noqa: E402  (the picture of docs/tracing.md)


def ready_list(k: epollsim.Kernel) -> list[str]:
    """A poller in epoll_wait on two pipes, woken by two producers that sleep first."""
    poller(k)
    return []


def lt_and_et_waiters(k: epollsim.Kernel) -> list[str]:
    """Two threads wait on a level-triggered epoll, two on an edge-triggered one, all watching the
    same pipe; one write. The LT pair both wake (the first waiter's harvest leaves the LT item
    queued, which wakes the next); of the ET pair only one does, and the other times out."""
    os, sel = k.os, k.select
    r, w = os.pipe()
    lt, et = sel.epoll(), sel.epoll()
    lt.register(r, sel.EPOLLIN)
    et.register(r, sel.EPOLLIN | sel.EPOLLET)
    seen: list[str] = []

    def wait(ep: object, name: str) -> None:
        events = ep.poll(1.0)  # type: ignore[attr-defined]
        seen.append(f"{name}: {'woken with EPOLLIN' if events else 'timed out after 1 s'}")

    threads = [
        k.threading.Thread(target=wait, args=(ep, name), name=name)
        for ep, name in ((lt, "lt-1"), (lt, "lt-2"), (et, "et-1"), (et, "et-2"))
    ]
    for t in threads:
        t.start()
    k.time.sleep(0.01)  # every waiter is asleep in epoll_wait
    os.write(w, b"x")
    for t in threads:
        t.join()
    return sorted(seen)


def dup_and_close(k: epollsim.Kernel) -> list[str]:
    """An interest belongs to the open file description, not the fd number: closing the registered
    fd while a dup keeps the description open leaves the interest reporting under the closed number;
    closing the last reference removes it silently: the poller is not told, and just times out."""
    os, sel = k.os, k.select
    r, w = os.pipe()
    ep = sel.epoll()
    ep.register(r, sel.EPOLLIN | sel.EPOLLET)
    seen: list[str] = []

    def poll() -> None:
        for _ in range(2):
            events = ep.poll(1.0)
            seen.append(f"epoll_wait returned {[(fd, 'EPOLLIN') for fd, _ in events]}")

    t = k.threading.Thread(target=poll, name="poller")
    t.start()
    k.time.sleep(0.01)
    copy = os.dup(r)
    os.close(r)  # fd r is closed, but the description lives on in `copy`
    os.write(w, b"x")  # the poller is woken, with the event for the closed fd number
    seen.append(f"registered fd {r}, dup'ed as {copy}, closed {r}, wrote")
    k.time.sleep(0.01)
    os.close(copy)  # the last reference: the interest vanishes, with no event and no error
    seen.append(f"closed {copy}, the last reference")
    t.join()
    return seen


PICTURES: dict[str, tuple[Callable[[epollsim.Kernel], list[str]], str]] = {
    "trace-poller.svg": (ready_list, "a poller in epoll_wait, woken by two producers"),
    "epoll-lt-et-waiters.svg": (lt_and_et_waiters, "one write: two LT waiters wake, one of two ET waiters"),
    "epoll-dup-close.svg": (dup_and_close, "close(fd) with a dup open: the interest stays; the last close: gone"),
}


def draw(name: str) -> tuple[str, list[str]]:
    """The picture's SVG text (what ``k.trace.write_svg`` writes, with a title) and what its program
    observed."""
    from epollsim.trace.svg import timeline_svg

    program, title = PICTURES[name]
    k = epollsim.Kernel(trace=True)
    seen = program(k)
    return timeline_svg(k.trace.records, k.trace.host_names(), title), seen


if __name__ == "__main__":
    for name in PICTURES:
        svg, seen = draw(name)
        (HERE / name).write_text(svg)
        print(name)
        for line in seen:
            print("   ", line)
