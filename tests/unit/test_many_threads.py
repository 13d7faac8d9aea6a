"""Ten thousand green threads blocked at once, and released (issue 12, item 7).

A greenlet starts at the recursion depth of whoever first switches into it; before
the scheduler's nursery (Scheduler.spawn) each thread started from the stack of the
previous one and some 130 blocked threads overflowed the recursion limit.
"""
from __future__ import annotations

from epollsim import Kernel
from epollsim.sched.thread import BLOCKED

N = 10_000
SLEEPERS, WAITERS, PAIRS = 4_000, 4_000, 1_000  # and 2 readers on each pair: 10,000 threads


def test_ten_thousand_threads_block_at_once_on_sleeps_an_event_and_sockets() -> None:
    k = Kernel(nofile=4 * PAIRS)
    socket, threading, time = k.socket, k.threading, k.time
    event = threading.Event()
    done: list[str] = []
    pairs = [socket.socketpair() for _ in range(PAIRS)]

    def sleeper() -> None:
        time.sleep(1.0)
        done.append("slept")

    def waiter() -> None:
        assert event.wait(10.0)
        done.append("woken")

    def reader(sock: object) -> None:
        assert sock.recv(1) == b"x"  # type: ignore[attr-defined]
        done.append("read")

    threads = [threading.Thread(target=sleeper) for _ in range(SLEEPERS)]
    threads += [threading.Thread(target=waiter) for _ in range(WAITERS)]
    threads += [threading.Thread(target=reader, args=(b,)) for _, b in pairs for _ in range(2)]
    assert len(threads) == N
    for t in threads:
        t.start()
    time.sleep(0.5)  # every thread runs until it blocks
    assert sum(1 for t in k.sched.threads.values() if t.state == BLOCKED) == N
    event.set()
    for a, _ in pairs:
        a.send(b"xx")
    for t in threads:
        t.join()
    assert done.count("slept") == SLEEPERS and done.count("woken") == WAITERS and done.count("read") == 2 * PAIRS
    assert not any(t.is_alive() for t in threads)


def test_threads_that_spawn_threads_do_not_deepen_the_stack() -> None:
    """Each thread starts the next and then blocks: a chain of 2,000 starts, all blocked at once."""
    k = Kernel()
    threading = k.threading
    event = threading.Event()
    count = [0]

    def link(depth: int) -> None:
        count[0] += 1
        if depth:
            threading.Thread(target=link, args=(depth - 1,)).start()
        event.wait()

    threading.Thread(target=link, args=(1_999,)).start()
    k.time.sleep(0.1)
    assert count[0] == 2_000
    event.set()
    k.time.sleep(0.1)
    assert all(t.state != BLOCKED for t in k.sched.threads.values())
