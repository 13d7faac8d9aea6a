"""A small threaded program for the trace determinism tests: pipes, epoll (LT and ET), threads,
sleeps, an Event. Run as ``program(kernel)``; also run in subprocesses, so it imports nothing of
the tests."""
from __future__ import annotations

from typing import Any


def program(k: Any) -> list[bytes]:
    os, sel = k.os, k.select
    r1, w1 = os.pipe()
    r2, w2 = os.pipe2(os.O_NONBLOCK)
    ep = sel.epoll()
    ep.register(r1, sel.EPOLLIN)
    ep.register(r2, sel.EPOLLIN | sel.EPOLLET)
    got: list[bytes] = []
    done = k.threading.Event()

    def poller() -> None:
        while sum(len(b) for b in got) < 12:
            for fd, _ in ep.poll(1.0):
                got.append(os.read(fd, 100))
        done.set()

    def producer(w: int, tag: bytes, delay: float) -> None:
        for i in range(3):
            k.time.sleep(delay * (i % 2))
            os.write(w, tag + bytes([48 + i]))

    threads = [
        k.threading.Thread(target=poller, name="poller"),
        k.threading.Thread(target=producer, args=(w1, b"a", 0.001), name="producer-a"),
        k.threading.Thread(target=producer, args=(w2, b"b", 0.0015), name="producer-b"),
    ]
    for t in threads:
        t.start()
    done.wait(5)
    for t in threads:
        t.join()
    return got


def racy(k: Any) -> list[str]:
    """Two threads append to one list with yields in between: the order is the schedule's."""
    order: list[str] = []
    r, w = k.os.pipe()

    def worker(name: str) -> None:
        for i in range(3):
            order.append(f"{name}{i}")
            k.os.write(w, name.encode())
            k.time.sleep(0)

    threads = [k.threading.Thread(target=worker, args=(n,), name=n) for n in ("x", "y", "z")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    k.os.read(r, 100)
    return order
