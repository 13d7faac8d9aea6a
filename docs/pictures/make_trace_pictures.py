"""The program behind docs/tracing.md's picture; make_pictures.py draws it (and every other picture):
python docs/pictures/make_pictures.py"""
from __future__ import annotations

import pathlib

import epollsim

HERE = pathlib.Path(__file__).parent


def poller(k: epollsim.Kernel) -> None:
    """A poller thread in epoll_wait on two pipes, woken by two producers that sleep first."""
    os, sel = k.os, k.select
    r1, w1 = os.pipe()
    r2, w2 = os.pipe()
    ep = sel.epoll()
    ep.register(r1, sel.EPOLLIN)
    ep.register(r2, sel.EPOLLIN)

    def poll() -> None:
        seen = 0
        while seen < 2:
            for fd, _ in ep.poll(2.0):
                os.read(fd, 100)
                seen += 1

    def produce(w: int, delay: float) -> None:
        k.time.sleep(delay)
        os.write(w, b"data")

    threads = [
        k.threading.Thread(target=poll, name="poller"),
        k.threading.Thread(target=produce, args=(w1, 0.01), name="prod-1"),
        k.threading.Thread(target=produce, args=(w2, 0.02), name="prod-2"),
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()


if __name__ == "__main__":
    import runpy

    runpy.run_path(str(HERE / "make_pictures.py"), run_name="__main__")
