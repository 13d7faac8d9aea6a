"""Unmodified programs on several hosts under one ``k.patch()`` (patch_hosts.py): each thread's calls go to
the host it runs on (``host.start``), and faults (a partition, a crash) reach them as on real machines."""
from __future__ import annotations

import asyncio
import http.client
import http.server
import socket
import threading
import time
from typing import Any

import pytest

import epollsim


async def shout(reader: Any, writer: Any) -> None:
    while line := await reader.readline():
        writer.write(line.upper())
        await writer.drain()
    writer.close()


async def serve() -> None:
    server = await asyncio.start_server(shout, "0.0.0.0", 8080)
    async with server:
        await server.serve_forever()


def asyncio_run(seed: int) -> tuple[list[str], str]:
    """An asyncio server on "server" and a client on the first host, one program, a partition."""
    k = epollsim.Kernel(seed, trace=True)
    server = k.add_host("server")
    k.network.set_latency("localhost", "server", 0.010)
    seen: list[str] = []
    with k.patch():
        server.start(asyncio.run, serve())
        time.sleep(0.01)

        async def talk() -> None:
            reader, writer = await asyncio.open_connection("server", 8080)
            writer.write(b"hello\n")
            seen.append(f"{(await reader.readline())!r} at {asyncio.get_running_loop().time():.3f}")
            k.network.partition("localhost", "server")
            writer.write(b"again\n")
            try:
                await asyncio.wait_for(reader.readline(), 2)
            except asyncio.TimeoutError:
                seen.append(f"timed out at {asyncio.get_running_loop().time():.3f}")
            k.network.heal("localhost", "server")
            seen.append(f"{(await reader.readline())!r}")
            writer.close()

        asyncio.run(talk())
    return seen, k.trace.digest()


def test_an_asyncio_server_and_client_on_two_hosts_in_one_patched_program() -> None:
    seen, digest = asyncio_run(0)
    # 10 ms after the start, the handshake and the line take three 10 ms trips
    assert seen == ["b'HELLO\\n' at 1000.070", "timed out at 1002.070", "b'AGAIN\\n'"]
    assert asyncio_run(0) == (seen, digest)  # the same run, byte for byte


class Hello(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:  # noqa: N802 (http.server's name)
        body = f"{socket.gethostname()} says hello".encode()  # the server's own host name
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


def test_a_threaded_http_server_on_a_host_that_crashes() -> None:
    k = epollsim.Kernel()
    server = k.add_host("server")
    with k.patch():
        httpd = None

        def boot() -> None:
            nonlocal httpd
            httpd = http.server.ThreadingHTTPServer(("0.0.0.0", 80), Hello)
            threading.Thread(target=httpd.serve_forever, daemon=True).start()

        server.start(boot).join()
        conn = http.client.HTTPConnection("server", 80, timeout=3)
        conn.request("GET", "/")
        assert conn.getresponse().read() == b"server says hello"
        assert socket.gethostname() == "localhost"
        server.crash()
        conn2 = http.client.HTTPConnection("server", 80, timeout=3)
        with pytest.raises(TimeoutError):
            conn2.request("GET", "/")  # the SYN is lost: the machine is down
        server.restart()
        server.start(boot).join()
        conn3 = http.client.HTTPConnection("server", 80, timeout=3)
        conn3.request("GET", "/")
        assert conn3.getresponse().read() == b"server says hello"


def test_classes_answer_for_the_running_threads_host() -> None:
    k = epollsim.Kernel()
    server = k.add_host("server", clock_offset=60.0)
    with k.patch():
        class Named(socket.socket):  # a program's class, derived inside the patch
            def where(self) -> str:
                return f"{socket.gethostname()} {self.family!s}"

        here = Named()
        out: dict[str, Any] = {}

        def there() -> None:
            sock = Named()
            out["where"] = sock.where()
            out["host socket"] = isinstance(sock, socket.socket)
            out["time"] = time.time()
            sock.close()

        server.start(there).join()
        assert here.where() == "localhost 2" and out["where"] == "server 2"
        assert isinstance(here, socket.socket) and isinstance(here, Named) and out["host socket"]
        assert out["time"] - time.time() == pytest.approx(60)
        assert issubclass(type(here), socket.socket)
        here.close()
    assert socket.socket.__module__ == "socket" and not hasattr(socket.socket, "_router")
    assert k.sched.current.host is None  # the patching thread runs on no host in particular again


def test_one_host_gets_direct_replacements() -> None:
    k = epollsim.Kernel()
    with k.patch():
        assert socket.socket is k.socket.socket  # no router: nothing to choose between


def test_every_hosts_sockets_are_of_the_one_socket_class() -> None:
    """trio checks ``type(sock) is socket.socket``: under a patch of several hosts, every socket the
    program gets, made or accepted on any host, is of that very class, and on its own host."""
    k = epollsim.Kernel()
    server = k.add_host("server")
    out: dict[str, Any] = {}
    with k.patch():
        def there() -> None:
            listener = socket.socket()
            listener.bind(("0.0.0.0", 80))
            listener.listen()
            conn, _ = listener.accept()
            pair = socket.socketpair()
            own = server.socket.socket()  # a host's stand-in by name: that host's own class
            out["types"] = [type(s) is socket.socket for s in (listener, conn, *pair, conn.dup())]
            out["own"] = (type(own) is server.socket.socket, type(own) is socket.socket)
            out["accepted on"] = conn.getsockname()
            conn.close()

        thread = server.start(there)
        time.sleep(0.01)  # it listens
        client = socket.create_connection(("server", 80))
        assert type(client) is socket.socket and client.getsockname()[0] == "10.0.0.1"
        thread.join()
        client.close()
        server.crash()
        server.restart()  # new stand-ins: its first socket.socket() adopts the shared class
        server.start(lambda: out.update(after=[type(s) is socket.socket for s in socket.socketpair()])).join()
    assert out["types"] == [True] * 5 and out["own"] == (True, False)
    assert out["accepted on"] == ("10.0.0.2", 80) and out["after"] == [True, True]
    assert socket.socket.__module__ == "socket" and not hasattr(socket.socket, "_shared")


def test_an_asyncio_server_runs_again_on_its_restarted_host() -> None:
    """A restarted host has new stand-ins: asyncio's routed policy and loop class are the new ones."""
    k = epollsim.Kernel()
    server = k.add_host("server")
    replies: list[bytes] = []
    listening: list[bool] = []

    async def serve_here() -> None:
        listener = await asyncio.start_server(shout, "0.0.0.0", 8080)
        listening.append(listener.sockets[0].fileno() in server.process.fdtable.files)  # this boot's table
        await asyncio.sleep(3600)

    async def ask() -> None:
        reader, writer = await asyncio.open_connection("server", 8080)
        writer.write(b"hi\n")
        replies.append(await reader.readline())
        writer.close()

    with k.patch():
        for _ in range(2):
            server.start(asyncio.run, serve_here())
            time.sleep(0.01)
            asyncio.run(ask())
            server.crash()
            server.restart()
    assert replies == [b"HI\n", b"HI\n"] and listening == [True, True]
