"""Same program + same seed = the same observations, whatever PYTHONHASHSEED is."""
from __future__ import annotations

import textwrap

from hashseed_helpers import output_under_hashseed

WORKLOAD = textwrap.dedent(
    """
    import epollsim
    from epollsim.tools.demo import program
    k = epollsim.Kernel(seed=7)
    print(program(k.os, k.select, k.socket))
    os_, sel = k.os, k.select
    eps = [sel.epoll() for _ in range(3)]
    pipes = [os_.pipe2(os_.O_NONBLOCK) for _ in range(20)]
    for i, (r, w) in enumerate(pipes):
        for ep in eps:
            ep.register(r, sel.EPOLLIN | (sel.EPOLLET if i % 3 == 0 else 0))
            ep.register(os_.dup(r), sel.EPOLLIN)
    for i in (5, 2, 17, 9, 0, 13):
        os_.write(pipes[i][1], b"x" * (i + 1))
    for ep in eps:
        print(ep.poll(0, 4), ep.poll(0), k.describe_epoll(ep.fileno()))
    print([os_.fstat(r).st_ino for r, _ in pipes])
    k2 = epollsim.Kernel(seed=11, schedule="random")
    trace = []
    def worker(name):
        for i in range(4):
            trace.append((name, i, k2.now_ns))
            k2.time.sleep(0 if i % 2 else 0.001 * len(name))
    threads = [k2.threading.Thread(target=worker, args=(n,)) for n in ("a", "bb", "ccc", "d")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    print(trace)
    """
)


def run(hashseed: str) -> str:
    return output_under_hashseed(hashseed, "-c", WORKLOAD)


def test_observations_do_not_depend_on_the_hash_seed() -> None:
    first = run("0")
    assert first == run("1") == run("4242")
    assert "ready list" in first
