"""UDP between simulated hosts (model only): delivery by host name, latency on virtual time,
partitions, seeded loss and duplication, ICMP errors across hosts, and the model's resolver."""
from __future__ import annotations

import errno
import sys
from typing import Any

import pytest

import epollsim


def two_hosts(seed: int = 0) -> tuple[Any, Any, Any]:
    k = epollsim.Kernel(seed)
    server = k.add_host("server")
    client = k.add_host("client")
    return k, server, client


def dgram(host: Any, bind: tuple[str, int] | None = None) -> Any:
    s = host.socket
    sock = s.socket(s.AF_INET, s.SOCK_DGRAM)
    if bind is not None:
        sock.bind(bind)
    return sock


def drain(sock: Any) -> list[bytes]:
    sock.setblocking(False)
    out = []
    while True:
        try:
            out.append(sock.recv(1000))
        except BlockingIOError:
            return out


def test_a_datagram_crosses_hosts_by_name() -> None:
    k, server, client = two_hosts()
    srv = dgram(server, ("0.0.0.0", 9999))
    cli = dgram(client)
    cli.sendto(b"ping", ("server", 9999))
    data, (addr, port) = srv.recvfrom(100)
    assert data == b"ping"
    assert addr == client.addresses[0] and port == cli.getsockname()[1]
    srv.sendto(b"pong", (addr, port))
    assert cli.recvfrom(100) == (b"pong", (server.addresses[0], 9999))


def test_ipv6_between_hosts() -> None:
    k, server, client = two_hosts()
    s6 = server.socket.socket(server.socket.AF_INET6, server.socket.SOCK_DGRAM)
    s6.bind(("::", 5353))
    c6 = client.socket.socket(client.socket.AF_INET6, client.socket.SOCK_DGRAM)
    c6.sendto(b"six", (server.addresses[1], 5353))
    data, addr = s6.recvfrom(10)
    assert data == b"six" and addr[0] == client.addresses[1] and addr[2:] == (0, 0)


def test_a_datagram_to_another_hosts_loopback_stays_home() -> None:
    k, server, client = two_hosts()
    srv = dgram(server, ("127.0.0.1", 7000))
    cli = dgram(client)
    cli.sendto(b"lost", ("127.0.0.1", 7000))  # the client's own loopback: nobody listens there
    assert drain(srv) == []


def test_latency_delays_delivery_on_virtual_time() -> None:
    k, server, client = two_hosts()
    k.network.set_latency("server", "client", 0.25)
    srv = dgram(server, ("0.0.0.0", 9999))
    cli = dgram(client)
    start = k.time.monotonic()
    cli.sendto(b"slow", ("server", 9999))
    ep = server.select.epoll()
    ep.register(srv.fileno(), server.select.EPOLLIN)
    assert ep.poll(0) == []
    assert ep.poll(1.0) == [(srv.fileno(), server.select.EPOLLIN)]
    assert k.time.monotonic() - start == pytest.approx(0.25)
    assert srv.recv(10) == b"slow"


def test_a_blocking_recvfrom_waits_for_the_datagram() -> None:
    k, server, client = two_hosts()
    k.network.set_latency("server", "client", 2.0)
    srv = dgram(server, ("0.0.0.0", 9999))
    cli = dgram(client)
    start = k.time.monotonic()
    cli.sendto(b"later", ("server", 9999))
    assert srv.recvfrom(10)[0] == b"later"
    assert k.time.monotonic() - start == pytest.approx(2.0)


def test_a_partition_loses_datagrams_until_healed() -> None:
    k, server, client = two_hosts()
    srv = dgram(server, ("0.0.0.0", 9999))
    cli = dgram(client)
    k.network.partition("server", "client")
    cli.sendto(b"into the void", ("server", 9999))
    assert drain(srv) == []
    k.network.heal("server", "client")
    cli.sendto(b"through", ("server", 9999))
    assert drain(srv) == [b"through"]


def _lossy_run(seed: int) -> list[bytes]:
    k, server, client = two_hosts(seed)
    k.network.drop("server", "client", 0.5)
    srv = dgram(server, ("0.0.0.0", 9999))
    srv.setsockopt(server.socket.SOL_SOCKET, server.socket.SO_RCVBUF, 1 << 20)
    cli = dgram(client)
    for i in range(100):
        cli.sendto(b"%d" % i, ("server", 9999))
    return drain(srv)


def test_loss_is_drawn_from_the_seed() -> None:
    first = _lossy_run(7)
    assert first == _lossy_run(7)
    assert 20 < len(first) < 80
    assert first != _lossy_run(8)
    assert first == sorted(first, key=int)  # what arrives keeps its order


def test_duplication_delivers_twice() -> None:
    k, server, client = two_hosts(3)
    k.network.duplicate("server", "client", 1.0)
    srv = dgram(server, ("0.0.0.0", 9999))
    cli = dgram(client)
    cli.sendto(b"twice", ("server", 9999))
    assert drain(srv) == [b"twice", b"twice"]


def test_duplication_under_a_seed_is_deterministic() -> None:
    def run(seed: int) -> list[bytes]:
        k, server, client = two_hosts(seed)
        k.network.duplicate("server", "client", 0.3)
        srv = dgram(server, ("0.0.0.0", 9999))
        cli = dgram(client)
        for i in range(50):
            cli.sendto(b"%d" % i, ("server", 9999))
        return drain(srv)

    assert run(11) == run(11)
    assert 50 < len(run(11)) < 100


def test_connected_socket_learns_of_a_closed_port_on_another_host_after_a_round_trip() -> None:
    k, server, client = two_hosts()
    k.network.set_latency("server", "client", 0.1)
    cli = dgram(client)
    cli.connect(("server", 4444))
    start = k.time.monotonic()
    cli.send(b"hello?")
    ep = client.select.epoll()
    ep.register(cli.fileno(), client.select.EPOLLIN)
    assert ep.poll(0) == []
    assert ep.poll(1.0) == [(cli.fileno(), client.select.EPOLLERR)]
    assert k.time.monotonic() - start == pytest.approx(0.2)
    with pytest.raises(ConnectionRefusedError) as info:
        cli.recv(10)
    assert info.value.errno == errno.ECONNREFUSED


def test_datagrams_queue_only_as_the_receive_buffer_allows() -> None:
    k, server, client = two_hosts()
    srv = dgram(server, ("0.0.0.0", 9999))
    cli = dgram(client)
    for _ in range(300):
        cli.sendto(b"x", ("server", 9999))
    assert len(drain(srv)) == 256


# -- the resolver ------------------------------------------------------------------------------


def test_every_host_resolves_every_host() -> None:
    k, server, client = two_hosts()
    s = client.socket
    assert s.gethostbyname("server") == server.addresses[0]
    assert s.getaddrinfo("server", 80, s.AF_INET, s.SOCK_STREAM) == [
        (s.AddressFamily.AF_INET, s.SocketKind.SOCK_STREAM, 6, "", (server.addresses[0], 80))
    ]
    unspec = [sa[0] for *_, sa in s.getaddrinfo("SERVER", 80, type=s.SOCK_STREAM)]
    assert unspec == [server.addresses[1], server.addresses[0]]  # IPv6 first, as glibc sorts
    assert s.gethostbyname_ex("server") == ("server", [], [server.addresses[0]])
    assert s.gethostbyaddr(server.addresses[0]) == ("server", [], [server.addresses[0]])
    assert s.getnameinfo((server.addresses[0], 443), 0) == ("server", "https")


def test_each_host_knows_its_own_name() -> None:
    k, server, client = two_hosts()
    assert server.socket.gethostname() == "server"
    assert client.socket.gethostname() == "client"
    assert k.socket.gethostname() == "localhost"
    assert server.socket.getfqdn() == "server"


def test_localhost_is_both_loopbacks_everywhere() -> None:
    k, server, client = two_hosts()
    s = server.socket
    assert [sa for *_, sa in s.getaddrinfo("localhost", 80, type=s.SOCK_STREAM)] == [
        ("::1", 80, 0, 0), ("127.0.0.1", 80)]
    assert s.getaddrinfo("localhost", 80, s.AF_INET6, s.SOCK_STREAM)[0][4] == ("::1", 80, 0, 0)
    assert s.gethostbyaddr("::1") == ("localhost", ["ip6-localhost", "ip6-loopback"], ["::1"])


def test_unknown_names_fail_as_glibc_says_and_never_reach_the_real_resolver(monkeypatch: pytest.MonkeyPatch) -> None:
    import socket as real

    def forbidden(*args: object, **kwargs: object) -> None:
        raise AssertionError("the model called the real resolver")

    for name in ("getaddrinfo", "getnameinfo", "gethostbyname", "gethostbyname_ex", "gethostbyaddr",
                 "gethostname", "getservbyname", "getservbyport", "inet_pton", "inet_ntop", "inet_aton"):
        monkeypatch.setattr(real, name, forbidden)
    k, server, client = two_hosts()
    s = client.socket
    with pytest.raises(real.gaierror) as info:
        s.getaddrinfo("python.org", 443)
    assert info.value.args == (-2, "Name or service not known")
    with pytest.raises(real.gaierror):
        s.gethostbyname("nosuch")
    assert s.getaddrinfo("10.9.8.7", "https", s.AF_INET, s.SOCK_STREAM)[0][4] == ("10.9.8.7", 443)
    assert s.inet_pton(s.AF_INET6, "::1")[-1] == 1
    sock = dgram(client)
    with pytest.raises(real.gaierror):
        sock.sendto(b"x", ("python.org", 53))


def test_create_connection_tries_each_address() -> None:
    k, server, client = two_hosts()
    s = client.socket
    with pytest.raises(ConnectionRefusedError):
        s.create_connection(("server", 1))
    if sys.version_info < (3, 11):  # all_errors and ExceptionGroup are new in 3.11
        return
    with pytest.raises(ExceptionGroup) as info:  # noqa: F821 - Python 3.11+
        s.create_connection(("server", 1), all_errors=True)
    assert len(info.value.exceptions) == 2  # fd00::2 and then 10.0.0.2


def test_a_blocked_recv_wakes_with_the_icmp_error() -> None:
    k, server, client = two_hosts()
    k.network.set_latency("server", "client", 0.5)
    cli = dgram(client)
    cli.connect(("server", 4444))
    cli.send(b"anyone?")
    start = k.time.monotonic()
    with pytest.raises(ConnectionRefusedError):
        cli.recv(10)  # blocks until the port unreachable is back
    assert k.time.monotonic() - start == pytest.approx(1.0)


def test_asyncio_datagram_endpoints_across_hosts() -> None:
    import asyncio

    k, server, client = two_hosts()
    k.network.set_latency("server", "client", 0.05)

    class Echo(asyncio.DatagramProtocol):
        def connection_made(self, transport: Any) -> None:
            self.transport = transport

        def datagram_received(self, data: bytes, addr: Any) -> None:
            self.transport.sendto(data.upper(), addr)

    async def serve() -> None:
        loop = asyncio.get_running_loop()
        transport, _ = await loop.create_datagram_endpoint(Echo, local_addr=("0.0.0.0", 9999))
        await asyncio.sleep(1)
        transport.close()

    async def ask() -> tuple[bytes, Any, float]:
        loop = asyncio.get_running_loop()
        answer: asyncio.Future[tuple[bytes, Any]] = loop.create_future()

        class Client(asyncio.DatagramProtocol):
            def connection_made(self, transport: Any) -> None:
                transport.sendto(b"hello")

            def datagram_received(self, data: bytes, addr: Any) -> None:
                answer.set_result((data, addr))

        await asyncio.sleep(0.01)
        start = loop.time()
        transport, _ = await loop.create_datagram_endpoint(Client, remote_addr=("server", 9999),
                                                           family=client.socket.AF_INET)
        data, addr = await answer
        transport.close()
        return data, addr, loop.time() - start

    t = server.threading.Thread(target=lambda: server.asyncio.run(serve()))
    t.start()
    data, addr, elapsed = client.asyncio.run(ask())
    t.join()
    assert (data, addr) == (b"HELLO", (server.addresses[0], 9999))
    assert elapsed == pytest.approx(0.1)
