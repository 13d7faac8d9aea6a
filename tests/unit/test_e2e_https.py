"""End to end, unmodified: an HTTPS server (http.server over ``ssl``) on one host and blocking HTTPS
clients (requests, and http.client) on another, with the segments of one response dropped on the way.

A partition that lasts 0.6 s swallows the server's response and its first retransmission; TCP's
retransmission timer (doubling from 200 ms) delivers it after the heal, and the client, which waits up to
5 s, gets its page late. OpenSSL's bytes travel through the model (compat/ssl_socket.py); its random
numbers are its own (the handshake's randoms and key shares), so two runs of a seed differ in the bytes
the trace shows and in nothing else: the runs are compared with every buffer replaced by its length.
"""
from __future__ import annotations

import http.client
import http.server
import pathlib
import ssl
import threading
import time
from typing import Any

import pytest

import epollsim
from epollsim.testing.real_fds import only_file_fds

requests = pytest.importorskip("requests")
from e2e_helpers import settle_urllib3, shape_digest  # noqa: E402

DATA = pathlib.Path(__file__).parents[1] / "data"
CERT, KEY = str(DATA / "tls-cert.pem"), str(DATA / "tls-key.pem")


class Slow(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_GET(self) -> None:  # noqa: N802 (http.server's name)
        time.sleep(0.5)  # the partition starts while the server works
        body = f"hello {self.path} at {time.monotonic():.3f}".encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


def run(seed: int) -> tuple[list[Any], str, int]:
    k = epollsim.Kernel(seed, trace=True)
    host = k.add_host("server")
    k.network.set_latency("localhost", "server", 0.005)
    got: list[Any] = []
    with only_file_fds(), k.patch():
        def boot() -> None:
            ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            ctx.load_cert_chain(CERT, KEY)
            httpd = http.server.ThreadingHTTPServer(("0.0.0.0", 443), Slow)
            httpd.socket = ctx.wrap_socket(httpd.socket, server_side=True)
            threading.Thread(target=httpd.serve_forever, daemon=True).start()

        host.start(boot).join()

        def fetch() -> None:
            with requests.Session() as session:
                for path in ("/one", "/two"):
                    started = time.monotonic()
                    response = session.get(f"https://server{path}", verify=CERT, timeout=5)
                    got.append((response.status_code, response.text, round(time.monotonic() - started, 6)))
            conn = http.client.HTTPSConnection("server", 443, context=ssl.create_default_context(cafile=CERT),
                                               timeout=5)
            conn.request("GET", "/three")
            got.append((conn.getresponse().status, conn.sock.version()))
            conn.close()

        client = threading.Thread(target=fetch)
        client.start()
        time.sleep(1.0)  # the first page has come; the second request is in the server's handler
        k.network.partition("localhost", "server")
        time.sleep(0.6)
        k.network.heal("localhost", "server")
        client.join()
    return got, shape_digest(k.trace.lines()), k.network.lost


def test_requests_over_https_gets_its_page_after_tcp_retransmits_the_dropped_response() -> None:
    wall = time.perf_counter()
    settle_urllib3()
    got, digest, lost = run(seed=9)
    (status1, _, took1), (status2, text2, took2), third = got
    assert status1 == status2 == 200 and took1 < 0.6
    assert text2.startswith("hello /two at") and took2 > 0.6 + 0.5  # after the heal, by a retransmission
    assert lost >= 2  # the response and its first retransmission
    assert third == (200, "TLSv1.3")
    assert run(seed=9) == (got, digest, lost)  # the same run, but for OpenSSL's random bytes
    assert time.perf_counter() - wall < 10
