"""A whole network run (hosts, TCP, latency, a partition, a reset) observes the same things under
any PYTHONHASHSEED: same ports, same interleaving, same virtual times."""
from __future__ import annotations

import textwrap

from hashseed_helpers import output_under_hashseed

WORKLOAD = textwrap.dedent(
    """
    import epollsim
    k = epollsim.Kernel(seed=5, schedule="random")
    server = k.add_host("server")
    hosts = [k.add_host(f"h{i}") for i in range(3)]
    k.network.set_latency("h0", "server", 0.003)
    k.network.set_latency("h1", "server", 0.011)
    log = []
    lsock = server.socket.socket()
    lsock.bind(("0.0.0.0", 7000))
    lsock.listen()

    def serve():
        while True:
            try:
                conn, addr = lsock.accept()
            except OSError:
                return
            log.append(("accept", addr, k.now_ns))
            def echo(conn=conn):
                try:
                    while data := conn.recv(100):
                        conn.sendall(data[::-1])
                except OSError as e:
                    log.append(("server error", e.errno, k.now_ns))
                conn.close()
            k.threading.Thread(target=echo, daemon=True).start()

    def client(i, host):
        s = host.socket.socket()
        s.settimeout(30)
        try:
            s.connect(("server", 7000))
            for j in range(3):
                s.sendall(f"{i}-{j}".encode())
                log.append((i, s.recv(100), s.getsockname(), k.now_ns))
                k.time.sleep(0.01 * (i + 1))
        except OSError as e:
            log.append((i, type(e).__name__, e.errno, k.now_ns))
        s.close()

    k.threading.Thread(target=serve, daemon=True).start()
    threads = [k.threading.Thread(target=client, args=(i, h)) for i, h in enumerate(hosts)]
    for t in threads:
        t.start()
    k.time.sleep(0.05)
    k.network.partition("h2", "server")
    k.network.reset_connections("h1", "server")
    for t in threads:
        t.join()
    for entry in log:
        print(entry)
    """
)


def run(hashseed: str) -> str:
    return output_under_hashseed(hashseed, "-c", WORKLOAD)


def test_network_runs_do_not_depend_on_the_hash_seed() -> None:
    first = run("0")
    assert first == run("1") == run("777")
    assert "accept" in first and "ConnectionResetError" in first
