"""An unmodified program that touches every source of randomness and time a program has, a finalizer,
threads, and sockets on one host and across two, run under ``k.patch()`` by test_sealed_hashseed.py in fresh interpreters:

``python sealed_program.py SEED`` prints, for two runs of SEED in this one process, the trace digest
and everything the program observed. It imports the stdlib the ordinary way, before any patch.
"""
from __future__ import annotations

import datetime
import os
import random
import secrets
import socket
import sys
import tempfile
import threading
import time
import uuid
from random import uniform
from time import monotonic
from typing import Any

import epollsim


class Reactor:  # a clock kept as a class attribute before the patch (Twisted's style)
    seconds = staticmethod(time.time)


def backoff(attempt: int, clock: Any = time.monotonic) -> float:  # a clock as a default argument
    return clock() + uniform(0, 0.01 * 2**attempt)  # retry jitter


class Connection:
    """A socket held in a reference cycle: only the collector frees it, and its finalizer closes it."""

    def __init__(self, sock: socket.socket, log: list[Any]) -> None:
        self.sock, self.log, self.me = sock, log, self

    def __del__(self) -> None:
        self.log.append(("finalized", time.monotonic_ns()))
        self.sock.close()


def clocks() -> list[Any]:
    out: list[Any] = [time.time(), time.time_ns(), monotonic(), time.perf_counter_ns(), time.process_time(),
                      time.thread_time_ns(), time.ctime(), time.strftime("%c"), time.gmtime(), time.localtime(),
                      time.asctime(), Reactor.seconds(), datetime.datetime.now(), datetime.datetime.today(),
                      datetime.date.today(), datetime.datetime.now(datetime.timezone.utc)]
    for name in sorted(n for n in dir(time) if n.startswith("CLOCK_")):
        out.append(time.clock_gettime_ns(getattr(time, name)))
    return out


def draws() -> list[Any]:
    return [random.random(), random.Random().getrandbits(32), random.SystemRandom().random(), os.urandom(6),
            os.getrandom(6), secrets.token_hex(6), uuid.uuid4(), uuid.uuid1(), tempfile.mktemp(),
            random.sample(range(100), 5)]


def echo_server() -> None:
    """On the other host: upper-case what one client sends."""
    with socket.create_server(("0.0.0.0", 7000)) as server:
        conn, _ = server.accept()
        with conn:
            while data := conn.recv(100):
                conn.sendall(data.upper())


def over_the_network(host: Any, log: list[Any]) -> None:
    """A TCP exchange with another host, 5 ms away: a uuid out, its echo back."""
    server = host.start(echo_server)
    time.sleep(0.001)
    with socket.create_connection(("server", 7000), timeout=1) as conn:
        conn.sendall(uuid.uuid4().hex.encode())
        log.append(("echo", conn.recv(100), time.monotonic_ns()))
    server.join()


def program(log: list[Any], host: Any) -> None:
    a, b = socket.socketpair()
    Connection(a, log)
    del a

    def client(i: int) -> None:
        for attempt in range(3):
            deadline = backoff(attempt)
            time.sleep(max(0.0, deadline - monotonic()))
            log.append((i, attempt, monotonic(), draws()))

    def reader() -> None:
        log.append(("peer", b.recv(1), time.monotonic_ns()))  # EOF when the finalizer closes a
        b.close()

    threads = [threading.Thread(target=client, args=(i,)) for i in range(3)]
    threads.append(threading.Thread(target=reader))
    threads.append(threading.Thread(target=over_the_network, args=(host, log)))
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    log.append(clocks())


def run(seed: int) -> str:
    k = epollsim.Kernel(seed, schedule="random")
    host = k.add_host("server")
    k.network.set_latency("localhost", "server", 0.005)
    log: list[Any] = []
    with k.trace, k.patch():
        program(log, host)
    return f"{k.trace.digest()}\n{log!r}"


if __name__ == "__main__":
    tempfile.gettempdir()  # found before the patch: the search writes a probe file with real fds
    seed = int(sys.argv[1])
    first, second = run(seed), run(seed)
    assert first == second, "two runs of one seed in one process differ"
    print(first)
