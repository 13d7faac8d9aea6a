"""Timing is explored (issue 12 item 2, sched/timing.py): under a non-default schedule the seed
chooses each packet's extra latency, within Kernel(latency=(lo, hi)), and where a timed wait
ends in its slack window; one connection's segments keep their order; fifo's timing is exact."""
from __future__ import annotations

from collections import Counter
from typing import Any

import pytest

import epollsim
from epollsim import Kernel
from epollsim.sched.choosers import ChoiceList
from epollsim.sched.systematic import PREEMPT, Systematic
from epollsim.sched.timing import SLACK_FLOOR_NS


def arrivals(k: Kernel) -> str:
    """A one-thread asyncio server and three client tasks racing to it over loopback: the
    order in which the clients' names reach the server."""
    asyncio: Any = k.asyncio
    order: list[str] = []

    async def main() -> None:
        async def handle(reader: Any, writer: Any) -> None:
            order.append((await reader.readexactly(1)).decode())
            writer.close()

        server = await asyncio.start_server(handle, "127.0.0.1", 8000)

        async def client(name: str) -> None:
            reader, writer = await asyncio.open_connection("127.0.0.1", 8000)
            writer.write(name.encode())
            await writer.drain()
            await reader.read()
            writer.close()

        await asyncio.gather(*(client(n) for n in "abc"))
        server.close()
        await server.wait_closed()

    asyncio.run(main())
    return "".join(order)


def a_first(k: Kernel) -> None:
    """An order-dependent bug: the server assumes the first client to start arrives first."""
    order = arrivals(k)
    assert order[0] == "a", f"{order[0]} arrived first ({order})"


def test_a_one_thread_asyncio_server_sees_every_arrival_order_across_seeds() -> None:
    assert {arrivals(Kernel(s)) for s in range(5)} == {"abc"}  # fifo: no jitter, one order
    for schedule in ("random", "pct"):
        seen = Counter(arrivals(Kernel(s, schedule=schedule)) for s in range(100))
        assert set(seen) == {"abc", "acb", "bac", "bca", "cab", "cba"}, (schedule, seen)


def test_explore_finds_an_order_dependent_bug_and_its_seed_replays_it() -> None:
    result = epollsim.explore(a_first, seeds=range(20))
    assert result.failures and len(result.failures) < result.runs, str(result)
    for failure in result.failures[:3]:
        with pytest.raises(AssertionError) as again:
            epollsim.run_seed(a_first, failure.seed)
        assert str(again.value) == str(failure.error)
    found = epollsim.explore_systematic(a_first, preemptions=1)
    assert found.failures, str(found)
    chooser = found.failures[0][0]
    with pytest.raises(AssertionError):
        a_first(Kernel(schedule=Systematic(chooser.choices)))  # the systematic schedule replays


def stream(k: Kernel, server_host: str, n: int = 60) -> bytes:
    """n one-byte sends on one TCP connection (no Nagle), from the first host to ``server_host``."""
    server = k.hosts[server_host]
    lsock = server.socket.socket()
    lsock.bind(("0.0.0.0", 9000))
    lsock.listen()
    addr = "127.0.0.1" if server is k.localhost else server.addresses[0]
    got = bytearray()

    def serve() -> None:
        conn, _ = lsock.accept()
        while chunk := conn.recv(4096):
            got.extend(chunk)
        conn.close()

    t = server.start(serve)
    c = k.socket.create_connection((addr, 9000))
    c.setsockopt(k.socket.IPPROTO_TCP, k.socket.TCP_NODELAY, 1)
    for i in range(n):
        c.send(bytes([i]))
        if i % 7 == 0:
            k.time.sleep(0)
    c.close()
    t.join()
    return bytes(got)


def segments_in_arrival_order(k: Kernel) -> dict[tuple[Any, ...], list[int]]:
    """Each TCP flow's data segments' sequence numbers, in the order they arrive."""
    flows: dict[tuple[Any, ...], list[int]] = {}
    deliver = k.network._now

    def watched(dst: Any, fn: Any, packet: Any) -> None:
        if getattr(packet, "data", None) and hasattr(packet, "seq"):
            flows.setdefault((dst.name, packet.src, packet.sport, packet.dport), []).append(packet.seq)
        deliver(dst, fn, packet)

    k.network._now = watched  # type: ignore[method-assign,assignment]
    return flows


def test_one_connections_segments_keep_their_order_under_jitter() -> None:
    for seed in range(8):
        k = Kernel(seed, schedule="random", latency=(0.0, 0.001))
        flows = segments_in_arrival_order(k)
        k.add_host("far")
        k.network.set_latency("localhost", "far", 0.0005)
        assert stream(k, "localhost") == bytes(range(60))  # loopback
        assert stream(k, "far") == bytes(range(60))  # between two hosts
        assert len(flows) == 2 and all(len(seqs) > 10 for seqs in flows.values())
        for seqs in flows.values():
            assert seqs == sorted(seqs), seqs  # never overtaken: the flow's delivery times are monotonic


def test_one_sockets_datagrams_keep_their_order_and_two_senders_may_cross() -> None:
    crossed = 0
    for seed in range(30):
        k = Kernel(seed, schedule="random", latency=(0.0, 0.001))
        rx = k.socket.socket(k.socket.AF_INET, k.socket.SOCK_DGRAM)
        rx.bind(("127.0.0.1", 9001))
        a, b = (k.socket.socket(k.socket.AF_INET, k.socket.SOCK_DGRAM) for _ in range(2))
        for i in range(5):
            a.sendto(b"a%d" % i, ("127.0.0.1", 9001))
        b.sendto(b"b", ("127.0.0.1", 9001))
        got = [rx.recv(10) for _ in range(6)]
        assert [d for d in got if d.startswith(b"a")] == [b"a%d" % i for i in range(5)]
        crossed += got.index(b"b") < 5
    assert crossed  # b's datagram, sent last, overtook some of a's


def latency_seen(k: Kernel) -> int:
    """The ns between a datagram's send on loopback and its arrival (MSG_DONTWAIT tells 0)."""
    rx = k.socket.socket(k.socket.AF_INET, k.socket.SOCK_DGRAM)
    rx.bind(("127.0.0.1", 9002))
    tx = k.socket.socket(k.socket.AF_INET, k.socket.SOCK_DGRAM)
    start = k.now_ns
    tx.sendto(b"x", ("127.0.0.1", 9002))
    try:
        rx.recv(1, k.socket.MSG_DONTWAIT)
        return 0
    except BlockingIOError:
        rx.recv(1)
        return k.now_ns - start


def test_the_latency_range() -> None:
    assert latency_seen(Kernel()) == 0  # fifo: delivered before the send returns
    assert latency_seen(Kernel(latency=(0.001, 0.002))) == 1_000_000  # fifo takes lo
    seen = {latency_seen(Kernel(s, schedule="random", latency=(0.001, 0.002))) for s in range(20)}
    assert len(seen) > 10 and all(1_000_000 <= ns <= 2_000_000 for ns in seen), seen
    default = {latency_seen(Kernel(s, schedule="random")) for s in range(40)}
    assert max(default) <= 5_000 and len(default) > 30, default  # 0 to 5 us
    with pytest.raises(ValueError, match="lo must not exceed hi"):
        Kernel(latency=(0.002, 0.001))
    with pytest.raises(ValueError, match="seconds >= 0"):
        Kernel(latency=(-1.0, 0.0))
    with pytest.raises(TypeError, match=r"\(lo, hi\) tuple"):
        Kernel(latency=0.001)  # type: ignore[arg-type]


def slept(k: Kernel, seconds: float = 0.3) -> tuple[float, int]:
    t0, n0 = k.time.monotonic(), k.now_ns
    k.time.sleep(seconds)
    return k.time.monotonic() - t0, k.now_ns - n0


def test_a_timed_wait_ends_where_the_seed_says_within_its_slack() -> None:
    assert slept(Kernel()) == (pytest.approx(0.30005, abs=1e-9), 300_050_000)  # fifo: 50 us late
    late = set()
    for seed in range(30):
        elapsed, ns = slept(Kernel(seed, schedule="random"))
        assert elapsed >= 0.3  # never early, in floating point too
        late.add(ns - 300_000_000)
    assert len(late) > 20 and min(late) >= SLACK_FLOOR_NS and max(late) <= 50_000, sorted(late)
    # poll's window is select_estimate_accuracy: 0.1 % of a 1 s timeout, 1 ms
    ends = set()
    for seed in range(30):
        k = Kernel(seed, schedule="random")
        r, _w = k.os.pipe()
        p = k.select.poll()
        p.register(r, k.select.POLLIN)
        start = k.now_ns
        assert p.poll(1000) == []
        ends.add(k.now_ns - start - 1_000_000_000)
    assert max(ends) > 50_000 and min(ends) >= SLACK_FLOOR_NS and max(ends) <= 1_000_000, sorted(ends)


class TimingLog:
    """A chooser that takes FIFO's thread and the other end of every timing choice."""

    name = "timing-log"

    def __init__(self) -> None:
        self.timing: list[int] = []

    def choose(self, n: int) -> int:
        return 0

    def choose_timing(self, n: int) -> int:
        self.timing.append(n)
        return 1


def test_timing_choices_go_to_the_chooser() -> None:
    chooser = TimingLog()
    k = Kernel(schedule=chooser)
    assert latency_seen(k) == 5_000  # the high level of the default range
    assert chooser.timing == [2]
    assert slept(Kernel(schedule=TimingLog()))[1] == 300_000_000 + SLACK_FLOOR_NS  # the early level
    systematic = Systematic()
    latency_seen(Kernel(schedule=systematic))
    assert (PREEMPT, 2) in systematic.log  # systematic search explores it, counted as one departure
    assert latency_seen(Kernel(schedule=Systematic([1]))) == 5_000
    plain = Kernel(schedule=ChoiceList([1, 0]))
    assert not plain.timing.explores and latency_seen(plain) == 0  # older choosers replay as before


def test_the_same_seed_gives_the_same_timing() -> None:
    def run(seed: int) -> tuple[str, str, int]:
        k = Kernel(seed, schedule="random", trace=True)
        order = arrivals(k)
        return order, k.trace.digest(), k.now_ns

    first = [run(s) for s in range(10)]
    assert first == [run(s) for s in range(10)]
    assert len({digest for _, digest, _ in first}) == 10


class Levels:
    """A chooser whose timing choices are the given levels, then 0."""

    name = "levels"

    def __init__(self, levels: list[int]) -> None:
        self.levels = levels

    def choose(self, n: int) -> int:
        return 0

    def choose_timing(self, n: int) -> int:
        return self.levels.pop(0) if self.levels else 0


def test_a_packet_never_overtakes_one_of_its_flow_due_at_the_same_instant() -> None:
    k = Kernel(schedule=Levels([1, 0]), latency=(0.0, 0.001))
    rx = k.socket.socket(k.socket.AF_INET, k.socket.SOCK_DGRAM)
    rx.bind(("127.0.0.1", 9003))
    tx = k.socket.socket(k.socket.AF_INET, k.socket.SOCK_DGRAM)
    tx.sendto(b"first", ("127.0.0.1", 9003))  # 1 ms on the way
    k.clock.advance_to(k.now_ns + 1_000_000)  # its arrival is due, its timer not fired yet
    tx.sendto(b"second", ("127.0.0.1", 9003))  # no latency: still behind the first
    assert [rx.recv(10), rx.recv(10)] == [b"first", b"second"]


def test_a_call_cost_makes_time_pass_for_a_thread_spinning_on_non_blocking_calls() -> None:
    for seed in range(3):
        k = Kernel(seed, schedule="random", call_cost=(1e-6, 2e-6))
        r, w = k.os.pipe()
        k.os.set_blocking(r, False)
        writer = k.threading.Thread(target=lambda: (k.time.sleep(0.001), k.os.write(w, b"x")))
        writer.start()
        start, got = k.now_ns, b""
        for calls in range(1, 100_001):  # no clock read, no wait: only the calls' cost moves the clock
            try:
                got = k.os.read(r, 1)
                break
            except BlockingIOError:
                pass
        assert got == b"x", "the clock never reached the writer's wake-up"
        writer.join()
        assert got == b"x"
        elapsed = k.now_ns - start
        assert 1_000_000 <= elapsed and calls * 1_000 <= elapsed <= calls * 2_000 + 60_000, (calls, elapsed)
    with pytest.raises(ValueError, match="call_cost needs a preemptive schedule"):
        Kernel(call_cost=(1e-6, 1e-6))
    with pytest.raises(ValueError, match="lo must not exceed hi"):
        Kernel(schedule="random", call_cost=(2e-6, 1e-6))
    assert Kernel(schedule="random").sched.call_cost is None  # none unless asked
