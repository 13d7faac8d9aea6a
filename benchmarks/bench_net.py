"""Loopback TCP on the model against the real kernel, side by side in one process.

    python benchmarks/bench_net.py [--quick]

Cases (the same loop code runs on both backends; see _harness.py for timing):

  accept     connect a new socket to a listener, accept it, close both. The client
             sets SO_LINGER 0, so its close is a RST and no TIME_WAIT piles up on
             the real kernel's ephemeral ports. Reported also as connections per second.
  echo       one byte client -> server and one byte back over a connected pair
             (send, recv, send, recv: a round trip of the socket API).
  bulk       64 KiB sent and received in 64 KiB recv calls over a connected pair.

It also reports the virtual-time cost of connecting across a partition (127 s of
virtual time for the SYN retries) in wall milliseconds.
"""
from __future__ import annotations

import argparse
import os
import platform
import struct
import sys
import time
from collections.abc import Callable
from typing import Any

from _harness import Env, Result, model_env, real_env, run_case, table

import epollsim

_LINGER0 = struct.pack("ii", 1, 0)


def setup_accept(env: Env) -> tuple[tuple[Any, ...], Callable[[], None]]:
    socket = env.socket
    lsock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    lsock.bind(("127.0.0.1", 0))
    lsock.listen(128)
    loop_accept(socket, lsock, lsock.getsockname(), 2)  # both backends: the loop works
    return (socket, lsock, lsock.getsockname()), lsock.close


def loop_accept(socket: Any, lsock: Any, addr: Any, n: int) -> None:
    for _ in range(n):
        c = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        c.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, _LINGER0)
        c.connect(addr)
        s, _ = lsock.accept()
        c.close()
        s.close()


def _pair(env: Env) -> tuple[Any, Any, Any]:
    socket = env.socket
    lsock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    lsock.bind(("127.0.0.1", 0))
    lsock.listen(1)
    c = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    c.connect(lsock.getsockname())
    s, _ = lsock.accept()
    lsock.close()
    return lsock, c, s


def setup_echo(env: Env) -> tuple[tuple[Any, ...], Callable[[], None]]:
    _, c, s = _pair(env)
    loop_echo(c, s, 2)

    def cleanup() -> None:
        c.close()
        s.close()

    return (c, s), cleanup


def loop_echo(c: Any, s: Any, n: int) -> None:
    for _ in range(n):
        c.send(b"x")
        s.recv(1)
        s.send(b"y")
        c.recv(1)


_BLOCK = b"z" * 65536


def setup_bulk(env: Env) -> tuple[tuple[Any, ...], Callable[[], None]]:
    _, c, s = _pair(env)
    loop_bulk(c, s, 2)

    def cleanup() -> None:
        c.close()
        s.close()

    return (c, s), cleanup


def loop_bulk(c: Any, s: Any, n: int) -> None:
    for _ in range(n):
        c.sendall(_BLOCK)
        left = 65536
        while left:
            left -= len(s.recv(left))


def partition_connect_ms() -> tuple[float, float]:
    """Wall ms and virtual s of a connect that times out over a partition."""
    k = epollsim.Kernel()
    k.add_host("b")
    k.network.partition(k.localhost.name, "b")
    s = k.socket.socket()
    t0 = time.perf_counter()
    v0 = k.time.monotonic()
    err = s.connect_ex(("10.0.0.2", 80))
    assert err == 110, err
    return (time.perf_counter() - t0) * 1000, k.time.monotonic() - v0


def run(quick: bool) -> int:
    rounds, rep_s = (5, 0.02) if quick else (15, 0.05)
    print(f"epollsim net benchmark: Python {platform.python_version()}, Linux {platform.release()}")
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    print(f"{os.cpu_count()} CPUs, load average {load}; {rounds} interleaved rounds, ~{rep_s * 1000:.0f} ms each;"
          " ns per iteration (median, best); model/real = median of per-round ratios\n")

    def both(setup: Callable[..., Any]) -> dict[str, tuple[Env, Callable[..., Any]]]:
        return {"model": (model_env(), setup), "real": (real_env(), setup)}

    results: list[Result] = [
        run_case("accept  connect + accept + close both", loop_accept, both(setup_accept), rounds=rounds, rep_s=rep_s),
        run_case("echo    1 byte there and back", loop_echo, both(setup_echo), rounds=rounds, rep_s=rep_s),
        run_case("bulk    64 KiB send + recv", loop_bulk, both(setup_bulk), rounds=rounds, rep_s=rep_s),
    ]
    print(table(results))
    acc = results[0]
    for backend in ("model", "real"):
        med = acc.median(backend)
        if med:
            print(f"connections accepted per second ({backend}): {1e9 / med:,.0f}")
    wall_ms, virtual_s = partition_connect_ms()
    print(f"connect over a partition: ETIMEDOUT after {virtual_s:.1f} s of virtual time, {wall_ms:.2f} ms of wall time")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="fewer and shorter rounds")
    args = parser.parse_args(argv)
    return run(args.quick)


if __name__ == "__main__":
    sys.exit(main())
