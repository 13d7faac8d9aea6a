"""Model-only: the network layer itself (net/network.py, net/stack.py), below any socket."""
from __future__ import annotations

from typing import Any

import pytest

import epollsim
from epollsim.net.stack import IPPROTO_TCP, IPPROTO_UDP, LOCAL_PORT_HIGH, LOCAL_PORT_LOW


def deliveries(k: epollsim.Kernel) -> tuple[list[Any], Any]:
    got: list[Any] = []

    def deliver(stack: Any, packet: Any) -> None:
        got.append((stack.name, packet, k.clock.now_ns))

    return got, deliver


def test_latency_keeps_a_path_in_order_even_when_it_drops() -> None:
    k = epollsim.Kernel()
    k.add_host("b")
    a = k.localhost.net
    got, deliver = deliveries(k)
    k.network.set_latency("localhost", "b", 1.0)
    k.network.transmit(a, "10.0.0.2", deliver, "first")
    k.network.set_latency("localhost", "b", 0.1)
    k.network.transmit(a, "10.0.0.2", deliver, "second")
    assert got == []
    k.time.sleep(2)
    assert [g[1] for g in got] == ["first", "second"]
    assert got[0][2] == got[1][2]  # the second waited for the first


def test_partition_loses_packets_in_flight() -> None:
    k = epollsim.Kernel()
    k.add_host("b")
    got, deliver = deliveries(k)
    k.network.set_latency("localhost", "b", 1.0)
    assert k.network.transmit(k.localhost.net, "10.0.0.2", deliver, "x")
    k.network.partition("localhost", "b")
    k.time.sleep(2)
    assert got == []
    assert not k.network.transmit(k.localhost.net, "10.0.0.2", deliver, "y")
    k.network.heal("localhost", "b")
    assert k.network.transmit(k.localhost.net, "10.0.0.2", deliver, "z")
    k.time.sleep(2)
    assert [g[1] for g in got] == ["z"]


def test_drop_and_duplicate_apply_to_datagrams_only_and_follow_the_seed() -> None:
    def run(seed: int) -> list[Any]:
        k = epollsim.Kernel(seed)
        k.add_host("b")
        got, deliver = deliveries(k)
        k.network.drop("localhost", "b", 0.3)
        k.network.duplicate("localhost", "b", 0.3)
        for i in range(50):
            k.network.transmit(k.localhost.net, "10.0.0.2", deliver, i, datagram=True)
        for i in range(50, 60):
            k.network.transmit(k.localhost.net, "10.0.0.2", deliver, i)  # a TCP segment
        return [g[1] for g in got]

    first = run(1)
    assert first == run(1)
    assert first != run(2)
    datagrams = [x for x in first if x < 50]
    assert len(set(datagrams)) < 50  # some lost
    assert len(datagrams) > len(set(datagrams))  # some twice
    assert [x for x in first if x >= 50] == list(range(50, 60))
    with pytest.raises(ValueError):
        epollsim.Kernel().network.drop("localhost", "localhost", 0.5)


def test_loopback_and_own_address_stay_in_the_host() -> None:
    k = epollsim.Kernel()
    k.add_host("b")
    k.network.partition("localhost", "b")
    got, deliver = deliveries(k)
    for addr in ("127.0.0.1", "127.9.9.9", "::1", "10.0.0.1", "fd00::1"):
        assert k.network.transmit(k.localhost.net, addr, deliver, addr)
    assert [g[0] for g in got] == ["localhost"] * 5
    assert not k.network.transmit(k.localhost.net, "10.77.0.1", deliver, "nowhere")


def test_ephemeral_ports_follow_the_seed_and_linux_parity() -> None:
    def ports(seed: int) -> list[int]:
        stack = epollsim.Kernel(seed).localhost.net
        out = [stack.bind(IPPROTO_TCP, object(), 2, "0.0.0.0", 0).port for _ in range(3)]
        out += [stack.bind(IPPROTO_TCP, object(), 2, "0.0.0.0", 0, for_connect=True).port for _ in range(3)]
        return out

    first = ports(7)
    assert first == ports(7) and first != ports(8)
    assert all(LOCAL_PORT_LOW <= p <= LOCAL_PORT_HIGH for p in first)
    assert [p % 2 for p in first] == [1, 1, 1, 0, 0, 0]


def test_udp_bind_rules() -> None:
    stack = epollsim.Kernel().localhost.net
    stack.bind(IPPROTO_UDP, "a", 2, "0.0.0.0", 5000, reuseaddr=True)
    stack.bind(IPPROTO_UDP, "b", 2, "127.0.0.1", 5000, reuseaddr=True)  # both SO_REUSEADDR
    with pytest.raises(OSError) as info:
        stack.bind(IPPROTO_UDP, "c", 2, "127.0.0.1", 5000)
    assert info.value.errno == 98
    stack.bind(IPPROTO_TCP, "d", 2, "127.0.0.1", 5000)  # another protocol's table
    assert stack.lookup(IPPROTO_UDP, "127.0.0.1", 5000, "127.0.0.1", 9) == "b"  # exact beats wildcard
    assert stack.lookup(IPPROTO_UDP, "10.0.0.1", 5000, "10.0.0.2", 9) == "a"
