"""Twisted's epoll reactor, unmodified, under k.patch(): a TCP echo server on one host and a reconnecting
client on another, callLater and deferLater on virtual time, the server's host crashing and coming back,
SIGTERM stopping a reactor through its wake-up fd; one trace per seed, and no real fd but files.

Twisted's global reactor is a process-wide singleton installed at its first import. These tests make
their own ``EPollReactor()`` per run instead (one per host), and install the client's as the global one
only for the run (``global_reactor``): ``task.LoopingCall`` and ``ClientFactory`` look the global one up,
and one imported inside a patch would otherwise stay, over a finished kernel, for the next run.
"""
from __future__ import annotations

import signal
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest

import epollsim
from epollsim.testing.real_fds import only_file_fds

pytest.importorskip("twisted")
from twisted.internet import protocol, task  # noqa: E402
from twisted.internet.epollreactor import EPollReactor  # noqa: E402


@contextmanager
def global_reactor(reactor: Any) -> Iterator[Any]:
    """``reactor`` is ``twisted.internet.reactor`` inside the block; whatever was before comes back."""
    import twisted.internet
    from twisted.internet.main import installReactor

    before = sys.modules.pop("twisted.internet.reactor", None)
    had = vars(twisted.internet).pop("reactor", None)
    installReactor(reactor)
    try:
        yield reactor
    finally:
        del sys.modules["twisted.internet.reactor"], twisted.internet.reactor
        if before is not None:
            sys.modules["twisted.internet.reactor"] = before
        if had is not None:
            twisted.internet.reactor = had


class Upper(protocol.Protocol):
    def dataReceived(self, data: bytes) -> None:  # noqa: N802 (Twisted's names)
        self.transport.write(data.upper())


class Pinger(protocol.Protocol):
    """Says hello, then "ping" every second (so a crashed peer is noticed: retransmissions, then RST)."""

    factory: Reconnecting

    def connectionMade(self) -> None:  # noqa: N802
        self.factory.resetDelay()
        self.factory.current = self
        self.factory.note("connected")
        self.transport.write(b"hello")
        self.ping = task.LoopingCall(self.transport.write, b"ping")
        self.ping.clock = self.factory.reactor
        self.ping.start(1, now=False)

    def dataReceived(self, data: bytes) -> None:  # noqa: N802
        self.factory.note(data.decode())

    def connectionLost(self, reason: Any = None) -> None:  # noqa: N802
        self.ping.stop()


class Reconnecting(protocol.ReconnectingClientFactory):
    protocol = Pinger
    maxDelay = 2

    def __init__(self, reactor: Any) -> None:
        self.reactor = self.clock = reactor  # clock: the retry delays' callLater
        self.start = reactor.seconds()
        self.log: list[tuple[str, float]] = []
        self.current: Pinger | None = None

    def note(self, what: str) -> None:
        self.log.append((what, round(self.reactor.seconds() - self.start, 3)))

    def clientConnectionLost(self, connector: Any, reason: Any) -> None:  # noqa: N802
        self.note("lost")
        super().clientConnectionLost(connector, reason)

    def clientConnectionFailed(self, connector: Any, reason: Any) -> None:  # noqa: N802
        self.note(f"failed: {reason.type.__name__}")
        super().clientConnectionFailed(connector, reason)


def serve(log: list[str]) -> None:
    """The server host's program: an echo server on port 8080 until SIGTERM."""
    reactor = EPollReactor()
    factory = protocol.ServerFactory()
    factory.protocol = Upper
    reactor.listenTCP(8080, factory)
    reactor.run()  # installs SIGINT/SIGTERM handlers and a wake-up fd: this is the host's main thread
    log.append(f"server stopped at {time.time() - 1767225600:.3f}")


def run_crash(seed: int) -> tuple[list[Any], list[str], str]:
    k = epollsim.Kernel(seed, trace=True)
    server = k.add_host("server")
    k.network.set_latency("localhost", "server", 0.010)
    server_log: list[str] = []
    with only_file_fds(), k.patch():
        server.start_main(serve, server_log)
        reactor = EPollReactor()
        with global_reactor(reactor):
            client = Reconnecting(reactor)
            reactor.callLater(0.5, reactor.connectTCP, "server", 8080, client)
            reactor.callLater(2, lambda: (client.note("crash"), server.crash()))
            reactor.callLater(6, lambda: (server.restart(), server.start_main(serve, server_log)))

            def finish(result: str) -> None:
                client.note(result)
                client.stopTrying()
                assert client.current is not None
                client.current.transport.loseConnection()
                reactor.callLater(0.5, stop_both)

            def stop_both() -> None:
                # Once the connection is closed on both sides: a reactor stopping with several
                # connections closes them in the order of a set of objects (memory addresses).
                server.kill(signal.SIGTERM)  # Twisted's handler stops the server's reactor
                reactor.stop()

            task.deferLater(reactor, 12, lambda: "done").addCallback(finish)
            reactor.run()
        time.sleep(0.1)  # the server's reactor stops at its next turn
    return client.log, server_log, k.trace.digest()


def test_a_reconnecting_client_rides_out_its_servers_crash_and_restart() -> None:
    wall = time.perf_counter()
    log, server_log, digest = run_crash(0)
    assert time.perf_counter() - wall < 10
    # 10 ms each way; the crash at 2 s goes unnoticed until the restarted server answers a
    # retransmitted ping with a reset; then the reconnection (ReconnectingClientFactory's delay)
    assert log[:4] == [("connected", 0.52), ("HELLO", 0.54), ("PING", 1.54), ("crash", 2.0)]
    lost = log[4]
    assert lost[0] == "lost" and 6 < lost[1] < 12
    assert [what for what, _ in log[5:]] == ["connected", "HELLO", "PING", "done", "lost"]
    assert log[6][1] == pytest.approx(log[5][1] + 0.020, abs=0.001)
    assert server_log == ["server stopped at 12.500"]  # SIGTERM through the reactor's wake-up fd
    assert run_crash(0) == (log, server_log, digest)  # the same run, byte for byte


def run_timers(seed: int) -> tuple[list[tuple[str, float]], float, str]:
    k = epollsim.Kernel(seed, trace=True)
    fired: list[tuple[str, float]] = []
    with only_file_fds(), k.patch():
        reactor = EPollReactor()
        start = reactor.seconds()

        def note(what: str) -> None:
            fired.append((what, round(reactor.seconds() - start, 6)))

        reactor.callLater(3600, note, "an hour")
        reactor.callLater(0.25, note, "a quarter second")
        call = reactor.callLater(10, note, "never")
        reactor.callLater(5, call.cancel)
        task.deferLater(reactor, 7200, note, "two hours").addCallback(lambda _: reactor.stop())
        reactor.run()
        skew = reactor.seconds() - time.time()
    return fired, skew, k.trace.digest()


def test_call_later_and_defer_later_run_on_virtual_time() -> None:
    wall = time.perf_counter()
    fired, skew, digest = run_timers(1)
    assert time.perf_counter() - wall < 5  # two hours of timers cost no wall time
    # each epoll_wait wakes 50 us late (the timer slack, as on Linux): four waits to the hour (0.25, 5, 10)
    assert fired == [("a quarter second", 0.25005), ("an hour", 3600.0002), ("two hours", 7200.00025)]
    assert abs(skew) < 0.001  # the reactor's clock (staticmethod(time.time)) is the host's
    assert run_timers(1) == (fired, skew, digest)


def run_partition(seed: int) -> tuple[list[tuple[bytes, float]], list[str], str]:
    k = epollsim.Kernel(seed, trace=True)
    server = k.add_host("server")
    k.network.set_latency("localhost", "server", 0.005)
    server_log: list[str] = []
    with only_file_fds(), k.patch():
        server.start_main(serve, server_log)
        reactor = EPollReactor()
        seen: list[tuple[bytes, float]] = []
        start = reactor.seconds()

        class Once(protocol.Protocol):
            def connectionMade(self) -> None:  # noqa: N802
                k.network.partition("localhost", "server")
                self.transport.write(b"through the partition")
                reactor.callLater(3, k.network.heal, "localhost", "server")

            def dataReceived(self, data: bytes) -> None:  # noqa: N802
                seen.append((data, round(reactor.seconds() - start, 3)))
                self.transport.loseConnection()
                reactor.callLater(0.5, lambda: (server.kill(signal.SIGTERM), reactor.stop()))

        factory = protocol.ClientFactory()
        factory.protocol = Once
        reactor.callLater(0.1, reactor.connectTCP, "server", 8080, factory)
        reactor.callLater(30, reactor.stop)  # a failure fails the test, rather than hanging it
        reactor.run()
        time.sleep(0.1)
    return seen, server_log, k.trace.digest()


def test_a_partition_that_heals_delays_the_echo() -> None:
    seen, server_log, digest = run_partition(2)
    assert len(seen) == 1 and seen[0][0] == b"THROUGH THE PARTITION"
    assert 3.1 < seen[0][1] < 5  # retransmitted after the heal (at 3.11 s): TCP's backoff decides when
    assert server_log and server_log[0].startswith("server stopped")
    assert run_partition(2) == (seen, server_log, digest)


def test_twisteds_reserved_fd_is_the_runs_own_and_closed_after_it() -> None:
    """Twisted reserves a real fd (``open(os.devnull)``) at its first ``listenTCP``, for the process's
    life: a run gets a reservation of its own, released on exit (patch_libraries.py)."""
    import os

    from twisted.internet import tcp

    def real_fds() -> list[str]:
        return sorted(os.listdir("/proc/self/fd"))

    original = tcp._reservedFD
    before = real_fds()
    k = epollsim.Kernel()
    with k.patch():
        reactor = EPollReactor()
        factory = protocol.ServerFactory()
        factory.protocol = Upper
        reactor.listenTCP(80, factory)
        assert tcp._reservedFD is not original and tcp._reservedFD.available()
    assert tcp._reservedFD is original
    assert real_fds() == before
