"""Model-only: TCP between simulated hosts, latency, partitions, resets, on virtual time.

The timings are Linux's retransmission timers (net/ipv4/tcp_timer.c): SYNs at 0, 1, 3,
7, 15, 31 and 63 s, ETIMEDOUT at 127 s (tcp_syn_retries = 6); data resent after 0.2,
0.6, 1.4, 3.0, 6.2, 12.6 ... s, ETIMEDOUT at 924.6 s (tcp_retries2 = 15).
"""
from __future__ import annotations

import errno
from typing import Any

import pytest

import epollsim


def two_hosts(seed: int = 0) -> tuple[epollsim.Kernel, Any, Any]:
    k = epollsim.Kernel(seed)
    b = k.add_host("b")
    return k, k.localhost, b


def serve_echo(k: epollsim.Kernel, host: Any, port: int = 8080) -> Any:
    """A listener on ``host`` and a thread echoing every connection upper-cased."""
    lsock = host.socket.socket()
    lsock.bind(("0.0.0.0", port))
    lsock.listen()

    def run() -> None:
        while True:
            try:
                conn, _ = lsock.accept()
            except OSError:
                return
            with conn:
                while data := conn.recv(1000):
                    conn.sendall(data.upper())

    k.threading.Thread(target=run, daemon=True).start()
    return lsock


def test_hosts_have_their_own_addresses() -> None:
    k, a, b = two_hosts()
    c = k.add_host("c", address="192.168.7.7")
    assert a.addresses == ("10.0.0.1", "fd00::1")
    assert b.addresses == ("10.0.0.2", "fd00::2")
    assert c.addresses == ("192.168.7.7", "fd00::3")
    with pytest.raises(ValueError):
        k.add_host("d", address="10.0.0.2")


def test_connect_across_hosts_by_address() -> None:
    k, a, b = two_hosts()
    lsock = serve_echo(k, b)
    s = a.socket.socket()
    s.connect(("10.0.0.2", 8080))
    assert s.getpeername() == ("10.0.0.2", 8080)
    assert s.getsockname()[0] == "10.0.0.1"
    s.sendall(b"hello")
    assert s.recv(100) == b"HELLO"
    s.close()
    lsock.close()


def test_ports_are_per_host() -> None:
    k, a, b = two_hosts()
    x = a.socket.socket()
    x.bind(("0.0.0.0", 9000))
    y = b.socket.socket()
    y.bind(("0.0.0.0", 9000))  # another host's port space
    x.close()
    y.close()


def test_refused_across_hosts() -> None:
    k, a, b = two_hosts()
    s = a.socket.socket()
    assert s.connect_ex(("10.0.0.2", 1)) == errno.ECONNREFUSED
    s.close()


def test_connect_times_out_over_a_partition_after_127_seconds() -> None:
    k, a, b = two_hosts()
    lsock = serve_echo(k, b)
    k.network.partition("localhost", "b")
    s = a.socket.socket()
    start = k.time.monotonic()
    with pytest.raises(TimeoutError) as info:
        s.connect(("10.0.0.2", 8080))
    assert info.value.errno == errno.ETIMEDOUT
    assert k.time.monotonic() - start == pytest.approx(127.0)
    s.close()
    lsock.close()


def test_heal_lets_the_next_syn_through() -> None:
    k, a, b = two_hosts()
    lsock = serve_echo(k, b)
    k.network.partition("localhost", "b")

    def heal_later() -> None:
        k.time.sleep(5)
        k.network.heal("localhost", "b")

    k.threading.Thread(target=heal_later).start()
    s = a.socket.socket()
    start = k.time.monotonic()
    s.connect(("10.0.0.2", 8080))  # SYNs at 0, 1, 3: lost; at 7: through
    assert k.time.monotonic() - start == pytest.approx(7.0)
    s.close()
    lsock.close()


def test_connect_with_a_timeout_over_a_partition() -> None:
    k, a, b = two_hosts()
    lsock = serve_echo(k, b)
    k.network.partition("localhost", "b")
    s = a.socket.socket()
    s.settimeout(2.5)
    start = k.time.monotonic()
    with pytest.raises(TimeoutError, match="timed out"):
        s.connect(("10.0.0.2", 8080))
    assert k.time.monotonic() - start == pytest.approx(2.50005)  # with poll's 50 us slack
    s.close()
    lsock.close()


def test_unreachable_address_is_a_black_hole() -> None:
    k, a, _ = two_hosts()
    s = a.socket.socket()
    start = k.time.monotonic()
    assert s.connect_ex(("10.99.0.1", 80)) == errno.ETIMEDOUT
    assert k.time.monotonic() - start == pytest.approx(127.0)
    s.close()


def test_data_over_a_partition_times_out_after_924_6_seconds() -> None:
    k, a, b = two_hosts()
    lsock = serve_echo(k, b)
    s = a.socket.socket()
    s.connect(("10.0.0.2", 8080))
    k.network.partition("localhost", "b")
    start = k.time.monotonic()
    s.sendall(b"lost")
    with pytest.raises(TimeoutError) as info:
        s.recv(10)
    assert info.value.errno == errno.ETIMEDOUT
    assert k.time.monotonic() - start == pytest.approx(924.6)
    assert s.recv(10) == b""
    with pytest.raises(BrokenPipeError):
        s.send(b"x")
    s.close()
    lsock.close()


def test_data_resent_when_the_partition_heals() -> None:
    k, a, b = two_hosts()
    lsock = serve_echo(k, b)
    s = a.socket.socket()
    s.connect(("10.0.0.2", 8080))
    k.network.partition("localhost", "b")

    def heal_later() -> None:
        k.time.sleep(10)
        k.network.heal("localhost", "b")

    k.threading.Thread(target=heal_later).start()
    start = k.time.monotonic()
    s.sendall(b"late")
    assert s.recv(10) == b"LATE"  # resent at 0.2, 0.6, 1.4, 3.0, 6.2: lost; 12.6: through
    assert k.time.monotonic() - start == pytest.approx(12.6)
    s.close()
    lsock.close()


def test_latency_round_trip_takes_twice_the_latency() -> None:
    k, a, b = two_hosts()
    k.network.set_latency("localhost", "b", 0.05)
    lsock = serve_echo(k, b)
    s = a.socket.socket()
    start = k.time.monotonic()
    s.connect(("10.0.0.2", 8080))  # SYN there, SYN-ACK back
    assert k.time.monotonic() - start == pytest.approx(0.1)
    start = k.time.monotonic()
    s.sendall(b"ping")
    assert s.recv(10) == b"PING"
    assert k.time.monotonic() - start == pytest.approx(0.1)
    s.close()
    lsock.close()


def test_loopback_is_never_partitioned_or_delayed() -> None:
    k, a, b = two_hosts()
    k.network.partition("localhost", "b")
    k.network.set_latency("localhost", "b", 1.0)
    lsock = serve_echo(k, a)
    s = a.socket.socket()
    start = k.time.monotonic()
    s.connect(("10.0.0.1", 8080))  # the host's own address is loopback too
    s.sendall(b"x")
    assert s.recv(10) == b"X"
    assert k.time.monotonic() == start
    s.close()
    lsock.close()
    with pytest.raises(ValueError):
        k.network.partition("b", "b")


def test_reset_connections_resets_both_ends() -> None:
    k, a, b = two_hosts()
    lsock = b.socket.socket()
    lsock.bind(("0.0.0.0", 8080))
    lsock.listen()
    s = a.socket.socket()
    s.connect(("10.0.0.2", 8080))
    conn, _ = lsock.accept()
    assert k.network.reset_connections("localhost", "b") == 2
    for end in (s, conn):
        with pytest.raises(ConnectionResetError):
            end.recv(10)
        assert end.recv(10) == b""
    for x in (s, conn, lsock):
        x.close()


def test_many_clients_and_determinism_under_seeds() -> None:
    def run(seed: int) -> list[Any]:
        k = epollsim.Kernel(seed, schedule="random")
        server = k.add_host("server")
        lsock = serve_echo(k, server)
        out: list[Any] = []
        clients = [k.add_host(f"c{i}") for i in range(4)]

        def client(host: Any, i: int) -> None:
            s = host.socket.socket()
            s.connect(("server", 8080))
            s.sendall(f"hi {i}".encode())
            out.append((i, s.getsockname()[1], s.recv(100), k.time.monotonic()))
            s.close()

        threads = [k.threading.Thread(target=client, args=(h, i)) for i, h in enumerate(clients)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        lsock.close()
        return out

    first = run(3)
    assert sorted(x[2] for x in first) == [b"HI 0", b"HI 1", b"HI 2", b"HI 3"]
    assert run(3) == first
    assert any(run(seed) != first for seed in (4, 5, 6))


def test_bulk_transfer_across_hosts_with_latency_and_a_slow_reader() -> None:
    k, a, b = two_hosts()
    k.network.set_latency("localhost", "b", 0.005)
    lsock = b.socket.socket()
    lsock.bind(("0.0.0.0", 9000))
    lsock.listen()
    payload = bytes(range(256)) * 40_000  # 10 MB: more than both buffers
    got = bytearray()

    def reader() -> None:
        conn, _ = lsock.accept()
        while data := conn.recv(100_000):
            got.extend(data)
            k.time.sleep(0.001)  # a slow reader: the window closes and reopens
        conn.close()

    t = k.threading.Thread(target=reader)
    t.start()
    s = a.socket.socket()
    s.connect(("10.0.0.2", 9000))
    s.sendall(payload)
    s.close()
    t.join()
    assert bytes(got) == payload
    lsock.close()


def test_segments_lost_in_flight_are_resent() -> None:
    k, a, b = two_hosts()
    k.network.set_latency("localhost", "b", 0.5)
    lsock = serve_echo(k, b)
    s = a.socket.socket()
    s.connect(("10.0.0.2", 8080))
    s.sendall(b"in flight")

    def cut_and_heal() -> None:
        k.network.partition("localhost", "b")  # the segment is half-way there: lost on arrival
        k.time.sleep(0.7)
        k.network.heal("localhost", "b")

    k.threading.Thread(target=cut_and_heal).start()
    start = k.time.monotonic()
    assert s.recv(100) == b"IN FLIGHT"
    # RTO = RTT + max(2 RTT, 200 ms) = 3 s: resent then, there at 3.5 s, back at 4 s.
    assert k.time.monotonic() - start == pytest.approx(4.0)
    s.close()
    lsock.close()


def test_reuseport_listeners_share_connections_by_the_seed() -> None:
    def run(seed: int) -> list[int]:
        k = epollsim.Kernel(seed)
        socket = k.socket
        listeners = []
        for _ in range(2):
            lsock = socket.socket()
            lsock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
            lsock.bind(("127.0.0.1", 7070))
            lsock.listen()
            lsock.setblocking(False)
            listeners.append(lsock)
        picks = []
        for _ in range(20):
            c = socket.create_connection(("127.0.0.1", 7070))
            for i, lsock in enumerate(listeners):
                try:
                    conn, _ = lsock.accept()
                except BlockingIOError:
                    continue
                picks.append(i)
                conn.close()
            c.close()
        for lsock in listeners:
            lsock.close()
        return picks

    first = run(1)
    assert len(first) == 20 and set(first) == {0, 1}
    assert run(1) == first


def test_ipv6_between_hosts_and_a_dual_stack_listener() -> None:
    k, a, b = two_hosts()
    lsock = b.socket.socket(b.socket.AF_INET6)
    lsock.bind(("::", 8080))
    lsock.listen()
    s6 = a.socket.socket(a.socket.AF_INET6)
    s6.connect(("fd00::2", 8080))
    s4 = a.socket.socket()
    s4.connect(("10.0.0.2", 8080))
    c6, addr6 = lsock.accept()
    c4, addr4 = lsock.accept()
    assert addr6 == ("fd00::1", s6.getsockname()[1], 0, 0)
    assert addr4 == ("::ffff:10.0.0.1", s4.getsockname()[1], 0, 0)
    assert s6.getsockname()[0] == "fd00::1"
    for x in (s6, s4, c6, c4, lsock):
        x.close()


@pytest.mark.parametrize("blocking", [False, True])
def test_crossed_syns_make_one_connection(blocking: bool) -> None:
    """Simultaneous open (tcp_rcv_synsent_state_process): each SYN reaches a socket in SYN_SENT,
    which goes to SYN_RECV and answers SYN-ACK; each SYN-ACK completes the other side."""
    k, a, b = two_hosts()
    k.network.set_latency("localhost", "b", 0.010)
    sa, sb = a.socket.socket(), b.socket.socket()
    sa.bind(("10.0.0.1", 7001))
    sb.bind(("10.0.0.2", 7002))
    results: dict[str, Any] = {}

    def connect(name: str, sock: Any, addr: tuple[str, int]) -> None:
        if blocking:
            results[name] = sock.connect_ex(addr)
        else:
            sock.setblocking(False)
            results[name] = [sock.connect_ex(addr)]
            k.time.sleep(0.025)  # one way and back: both SYN-ACKs are in
            results[name].append(sock.connect_ex(addr))

    threads = [k.threading.Thread(target=connect, args=("a", sa, ("10.0.0.2", 7002))),
               k.threading.Thread(target=connect, args=("b", sb, ("10.0.0.1", 7001)))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    expected: Any = 0 if blocking else [errno.EINPROGRESS, 0]
    assert results == {"a": expected, "b": expected}
    assert sa.getpeername() == ("10.0.0.2", 7002) and sb.getpeername() == ("10.0.0.1", 7001)
    sa.setblocking(True)
    sb.setblocking(True)
    sa.sendall(b"ping")
    assert sb.recv(10) == b"ping"
    sb.sendall(b"pong")
    assert sa.recv(10) == b"pong"
    sa.close()
    assert sb.recv(10) == b""
    sb.close()


def test_a_simultaneous_open_whose_syn_ack_is_lost_times_out_as_a_connect() -> None:
    """SYN_RECV of a simultaneous open resends its SYN-ACK on the SYN timers and ends as a connect
    does (tcp_write_timeout: ETIMEDOUT), not as a listener's request."""
    k, a, b = two_hosts()
    k.network.set_latency("localhost", "b", 0.010)
    sa, sb = a.socket.socket(), b.socket.socket()
    sa.bind(("10.0.0.1", 7001))
    sb.bind(("10.0.0.2", 7002))
    results: dict[str, Any] = {}

    def connect(name: str, sock: Any, addr: tuple[str, int]) -> None:
        results[name] = sock.connect_ex(addr)

    threads = [k.threading.Thread(target=connect, args=("a", sa, ("10.0.0.2", 7002))),
               k.threading.Thread(target=connect, args=("b", sb, ("10.0.0.1", 7001)))]
    for t in threads:
        t.start()
    k.time.sleep(0.015)  # both SYNs arrived (SYN_RECV), both SYN-ACKs are on the wire: cut them
    k.network.partition("localhost", "b")
    start = k.time.monotonic()
    for t in threads:
        t.join()
    assert results == {"a": errno.ETIMEDOUT, "b": errno.ETIMEDOUT}
    assert 120 < k.time.monotonic() - start < 135
