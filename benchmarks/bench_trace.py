"""What tracing costs: the same loops with the trace recorder off, on, and never started.

    python benchmarks/bench_trace.py [--quick]

Rows (ns per iteration, best of the repetitions, off and on interleaved):

  a   os.write(w, b"x") + ep.poll(0) + os.read(r, 1) on a non-blocking pipe (bench_core's case a)
  pp  a one-byte ping-pong through two pipes between two model threads (two blocks, two wake-ups,
      two switches per round)

"off" is a kernel whose trace was started and stopped again (the state after a traced run), so it
also shows that stopping leaves nothing behind; "never" a kernel that never traced.
"""
from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from typing import Any

import epollsim


def loop_a(k: epollsim.Kernel) -> Callable[[int], None]:
    os_ = k.os
    r, w = os_.pipe2(os_.O_NONBLOCK)
    ep = k.select.epoll()
    ep.register(r, k.select.EPOLLIN)

    def run(n: int) -> None:
        for _ in range(n):
            os_.write(w, b"x")
            ep.poll(0)
            os_.read(r, 1)
        k.trace.clear()

    return run


def ping_pong(k: epollsim.Kernel) -> Callable[[int], None]:
    os_ = k.os
    a_r, a_w = os_.pipe()
    b_r, b_w = os_.pipe()

    def run(n: int) -> None:
        def echo() -> None:
            for _ in range(n):
                os_.write(b_w, os_.read(a_r, 1))

        t = k.threading.Thread(target=echo)
        t.start()
        for _ in range(n):
            os_.write(a_w, b"x")
            os_.read(b_r, 1)
        t.join()
        k.trace.clear()

    return run


def kernel(state: str) -> epollsim.Kernel:
    k = epollsim.Kernel()
    if state in ("on", "off"):
        k.trace.start()
    if state == "off":
        k.trace.stop()
    return k


def measure(make: Callable[[epollsim.Kernel], Callable[[int], None]], n: int, repeats: int) -> dict[str, float]:
    loops: dict[str, Any] = {state: make(kernel(state)) for state in ("never", "off", "on")}
    best = {state: float("inf") for state in loops}
    for _ in range(repeats):
        for state, run in loops.items():  # interleaved: a busy machine slows all three alike
            t0 = time.perf_counter_ns()
            run(n)
            best[state] = min(best[state], (time.perf_counter_ns() - t0) / n)
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    n, repeats = (2000, 5) if args.quick else (20000, 9)
    print(f"{'loop':<44} {'never':>9} {'off':>9} {'on':>9} {'on/off':>7}")
    for label, make in (("a   write 1B + poll(0) + read 1B", loop_a), ("pp  pipe ping-pong, two threads", ping_pong)):
        best = measure(make, n, repeats)
        print(f"{label:<44} {best['never']:>9,.0f} {best['off']:>9,.0f} {best['on']:>9,.0f} "
              f"{best['on'] / best['off']:>6.1f}x")


if __name__ == "__main__":
    main()
