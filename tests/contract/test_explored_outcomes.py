"""What the exploring schedules may produce is what Linux may produce, on both backends.

On the real kernel each test runs its program several times (the machine's timing chooses); on
the model it runs the program under several seeds of the ``random`` and ``pct`` schedules, which
preempt at system calls and choose each packet's latency and each timer's point in its slack
(sched/timing.py). Every outcome either side shows must be one Linux allows."""
from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from epollsim.testing.backends import Backend, make_backend

RUNS = 12


def runs(backend: Backend) -> Iterator[Backend]:
    """The backends to run a program on: the real one RUNS times, or the model under seeds."""
    if backend.name == "real":
        for _ in range(RUNS):
            yield backend
        return
    for schedule in ("random", "pct"):
        for seed in range(RUNS // 2):
            b = make_backend("model", seed=seed, schedule=schedule)
            try:
                yield b
            finally:
                b.cleanup()


def outcomes(backend: Backend, program: Callable[[Backend], Any]) -> set[Any]:
    return {program(b) for b in runs(backend)}


def start_then_read(b: Backend) -> bytes:
    r, w = b.os.pipe()
    b.os.set_blocking(r, False)
    t = b.threading.Thread(target=b.os.write, args=(w, b"x"))
    t.start()
    try:
        got: bytes = b.os.read(r, 1)
    except BlockingIOError:
        got = b""
    t.join()
    b.os.close(r)
    b.os.close(w)
    return got


def test_a_thread_started_then_read_from_without_waiting(backend: Backend) -> None:
    assert outcomes(backend, start_then_read) <= {b"", b"x"}


def one_sockets_datagrams(b: Backend) -> tuple[bytes, ...]:
    s = b.socket
    rx = s.socket(s.AF_INET, s.SOCK_DGRAM)
    rx.bind(("127.0.0.1", 0))
    tx = s.socket(s.AF_INET, s.SOCK_DGRAM)
    for i in range(20):
        tx.sendto(b"%d" % i, rx.getsockname())
    got = tuple(rx.recv(10) for _ in range(20))
    rx.close()
    tx.close()
    return got


def test_one_sockets_datagrams_on_loopback_keep_their_order(backend: Backend) -> None:
    assert outcomes(backend, one_sockets_datagrams) == {tuple(b"%d" % i for i in range(20))}


def sleep_elapsed(b: Backend) -> float:
    t0 = b.time.monotonic()
    b.time.sleep(0.01)
    elapsed: float = b.time.monotonic() - t0
    return elapsed


def test_a_sleep_never_ends_early(backend: Backend) -> None:
    seen = outcomes(backend, sleep_elapsed)
    assert min(seen) >= 0.01
    if backend.name == "model":  # within the 50 us slack, at the point each seed chose
        assert max(seen) <= 0.01005 and len(seen) > 1
