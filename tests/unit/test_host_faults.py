"""Host faults: a machine that crashes and restarts (Host.crash, Host.restart), and machines whose
wall clocks disagree (Kernel.add_host(clock_offset=..., clock_drift=...))."""
from __future__ import annotations

import errno
from typing import Any

import pytest

import epollsim
from epollsim.clock import Clock, WallClock


def echo_server(host: Any, port: int = 7) -> Any:
    """A threaded echo server on ``host``; returns its accept thread (started, listening)."""

    def serve() -> None:
        s = host.socket.socket()
        s.setsockopt(host.socket.SOL_SOCKET, host.socket.SO_REUSEADDR, 1)
        s.bind(("0.0.0.0", port))
        s.listen()
        while True:
            conn, _ = s.accept()

            def echo(conn: Any = conn) -> None:
                while data := conn.recv(100):
                    conn.sendall(data)

            host.start(echo, name="echo")

    thread = host.start(serve, name="acceptor")
    host.threading.Event().wait(0.001)  # let it bind and listen
    return thread


def test_a_crashed_server_is_silent_and_after_a_restart_resets_old_connections() -> None:
    k = epollsim.Kernel()
    server = k.add_host("server")
    k.network.set_latency("localhost", "server", 0.001)
    acceptor = echo_server(server)
    old = k.socket.create_connection(("server", 7))
    old.sendall(b"hi")
    assert old.recv(10) == b"hi"

    server.crash()
    assert not server.up and not acceptor.is_alive()
    old.settimeout(2)
    old.sendall(b"anyone?")
    t0 = k.time.monotonic()
    with pytest.raises(TimeoutError):
        old.recv(10)  # no FIN, no RST: silence, while TCP retransmits into the void
    assert k.time.monotonic() - t0 == pytest.approx(2.00005)  # (timer slack)
    fresh = k.socket.socket()
    fresh.settimeout(1)
    with pytest.raises(TimeoutError):
        fresh.connect(("server", 7))  # the SYN is lost too

    server.restart()
    assert server.up
    echo_server(server)  # the same port is free again
    new = k.socket.create_connection(("server", 7))
    new.sendall(b"again")
    assert new.recv(10) == b"again"
    old.settimeout(None)
    with pytest.raises(ConnectionResetError) as reset:
        old.recv(10)  # its retransmission reached the new machine, which knows no such connection
    assert reset.value.errno == errno.ECONNRESET


def test_a_crash_stops_the_hosts_threads_where_they_are() -> None:
    k = epollsim.Kernel()
    server = k.add_host("server")
    ran: list[str] = []

    def sleeper() -> None:
        try:
            k.time.sleep(10)
            ran.append("woke")
        finally:
            ran.append("finally")  # a crash runs no finally

    def reader() -> None:
        r, w = server.os.pipe()

        def child() -> None:  # started by a thread of the host: on the host too
            server.os.read(r, 1)
            ran.append("child read")

        server.threading.Thread(target=child).start()
        server.os.read(r, 1)
        ran.append("read")

    threads = [server.start(sleeper), server.start(reader)]
    bystander = k.threading.Thread(target=lambda: (k.time.sleep(20), ran.append("bystander")))
    bystander.start()
    k.time.sleep(1)
    server.crash()
    for t in threads:
        t.join()  # joiners wake: the threads are gone
        assert not t.is_alive()
    k.time.sleep(30)
    bystander.join()
    assert ran == ["bystander"]  # the first host's thread ran on; the server's never ran again
    assert k.clock.pending() == 0  # no timer of the dead host is left to fire


def test_an_asyncio_server_on_a_host_that_crashes() -> None:
    k = epollsim.Kernel()
    server = k.add_host("server")

    async def serve() -> None:
        aio = server.asyncio

        async def handle(reader: Any, writer: Any) -> None:
            writer.write(await reader.readline())
            await writer.drain()

        await aio.start_server(handle, "0.0.0.0", 8080)
        await aio.sleep(3600)

    server.start(server.asyncio.run, serve())

    async def ask() -> bytes:
        aio = k.asyncio
        await aio.sleep(0.01)  # the server's thread starts listening
        reader, writer = await aio.open_connection("server", 8080)
        writer.write(b"ping\n")
        line = await reader.readline()
        server.crash()
        writer.write(b"again\n")
        try:
            await aio.wait_for(reader.readline(), 5)
        except aio.TimeoutError:
            return line + b" then silence"
        return line

    assert k.asyncio.run(ask()) == b"ping\n then silence"


def test_udp_to_a_crashed_host_is_lost() -> None:
    k = epollsim.Kernel()
    server = k.add_host("server")
    rx = server.socket.socket(server.socket.AF_INET, server.socket.SOCK_DGRAM)
    rx.bind(("0.0.0.0", 9))
    tx = k.socket.socket(k.socket.AF_INET, k.socket.SOCK_DGRAM)
    tx.sendto(b"one", ("server", 9))
    assert rx.recv(10) == b"one"
    lost = k.network.lost
    server.crash()
    tx.sendto(b"two", ("server", 9))
    assert k.network.lost == lost + 1
    server.restart()
    rx2 = server.socket.socket(server.socket.AF_INET, server.socket.SOCK_DGRAM)
    rx2.bind(("0.0.0.0", 9))  # the port is free: the old socket vanished with the machine
    tx.sendto(b"three", ("server", 9))
    assert rx2.recv(10) == b"three"


def test_what_crash_and_restart_refuse() -> None:
    k = epollsim.Kernel()
    server = k.add_host("server")
    with pytest.raises(RuntimeError, match="first host"):
        k.localhost.crash()
    with pytest.raises(RuntimeError, match="is up: crash"):
        server.restart()
    errors: list[BaseException] = []

    def suicide() -> None:
        try:
            server.crash()
        except RuntimeError as exc:
            errors.append(exc)

    server.start(suicide).join()
    assert "cannot crash itself" in str(errors[0])
    server.crash()
    with pytest.raises(RuntimeError, match="already down"):
        server.crash()


def crash_run(seed: int) -> str:
    k = epollsim.Kernel(seed, schedule="random", trace=True)
    server = k.add_host("server")
    k.network.set_latency("localhost", "server", 0.002)
    echo_server(server)
    c = k.socket.create_connection(("server", 7))
    c.sendall(b"x")
    c.recv(1)
    server.crash()
    c.settimeout(1)
    with pytest.raises(TimeoutError):
        c.recv(1)
    server.restart()
    return k.trace.digest()


def test_crashes_replay_under_a_seed() -> None:
    assert crash_run(3) == crash_run(3)


# -- wall clocks that disagree ------------------------------------------------------------


def test_each_host_reads_its_own_wall_clock() -> None:
    k = epollsim.Kernel()
    ahead = k.add_host("ahead", clock_offset=3600.0)
    fast = k.add_host("fast", clock_drift=1e-3)
    seen: dict[str, float] = {}
    base = k.time.time()

    def read(name: str) -> None:
        k.time.sleep(10)
        seen[name] = k.time.time()
        seen[name + " monotonic"] = k.time.monotonic()

    for host in (ahead, fast):
        host.start(read, host.name).join()
    assert seen["ahead"] - base == pytest.approx(3600 + 10)
    assert seen["fast"] - base == pytest.approx(20.0001 * 1.001)  # 20 s (and two slacks) since the start, 0.1 % fast
    assert seen["fast monotonic"] - seen["ahead monotonic"] == pytest.approx(10.00005)  # one monotonic clock
    assert k.time.time() - base == pytest.approx(20.0001)  # the first host's clock is the kernel's
    assert k.time.clock_gettime(k.time.CLOCK_REALTIME) == pytest.approx(k.time.time())


def test_a_realtime_timerfd_fires_when_its_hosts_clock_says() -> None:
    k = epollsim.Kernel()
    fast = k.add_host("fast", clock_drift=0.25)
    out: dict[str, float] = {}

    def arm() -> None:
        os = fast.os
        fd = os.timerfd_create(k.time.CLOCK_REALTIME)
        now = k.time.clock_gettime(k.time.CLOCK_REALTIME)
        os.timerfd_settime(fd, flags=os.TFD_TIMER_ABSTIME, initial=now + 100)
        t0 = k.time.monotonic()
        os.read(fd, 8)
        out["waited"] = k.time.monotonic() - t0

    fast.start(arm).join()
    assert out["waited"] == pytest.approx(80, abs=1e-6)  # 100 s of a clock running 25 % fast


@pytest.mark.parametrize("drift", [1e-4, -3e-4, 0.2, -0.2])
def test_wall_clock_arithmetic_is_exact(drift: float) -> None:
    clock = Clock()
    wall = WallClock(clock, 5_000_000_000, drift)
    for step in (1, 999_999_937, 12_345_678_901):
        clock.advance_to(clock.now_ns + step)
        now = wall.now_ns()
        for target in (now, now + 1, now + 1_000_003, now + 77_777_777_777):
            m = wall.monotonic_at(target)
            saved = clock.now_ns
            clock.now_ns = m
            assert wall.now_ns() >= target  # the first instant that reads it...
            clock.now_ns = m - 1
            assert wall.now_ns() < target  # ...and not one ns earlier
            clock.now_ns = saved


def test_add_host_checks_its_clock_arguments() -> None:
    k = epollsim.Kernel()
    with pytest.raises(TypeError):
        k.add_host("a", clock_offset="1")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="clock_drift"):
        k.add_host("b", clock_drift=2.0)
