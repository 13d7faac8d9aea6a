"""End to end, unmodified: a blocking client (requests, with urllib3's ``Retry(backoff_factor=...,
backoff_jitter=...)``) against a threaded HTTP server on a host whose clock is 30 s behind.

The server is down for maintenance until a time on its own clock and answers 503 with a ``Retry-After``
date. The client, 30 s ahead, reads that date as past, so urllib3 falls back to exponential backoff with
``random.uniform`` jitter until the server's clock reaches the time: the skew is what the program sees,
the jitter is the seed's, and the same seed gives the same trace, byte for byte.
"""
from __future__ import annotations

import email.utils
import http.server
import threading
import time
from typing import Any

import pytest

import epollsim
from epollsim.testing.real_fds import only_file_fds

requests = pytest.importorskip("requests")
from e2e_helpers import settle_urllib3  # noqa: E402
from requests.adapters import HTTPAdapter  # noqa: E402
from urllib3.util.retry import Retry  # noqa: E402

SKEW = -30.0  # the server's clock is this far behind the client's


class Maintenance(http.server.BaseHTTPRequestHandler):
    """503 with ``Retry-After: <date>`` until the server's clock reaches ``ready``, then 200."""

    ready = 0.0
    protocol_version = "HTTP/1.1"

    def do_GET(self) -> None:  # noqa: N802 (http.server's name)
        now = time.time()  # the server host's own clock
        if now < self.ready:
            self.send_response(503)
            self.send_header("Retry-After", email.utils.formatdate(self.ready, usegmt=True))
            body = b"down for maintenance"
        else:
            self.send_response(200)
            body = f"up at {now:.3f}".encode()
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


def run(seed: int, skew: float = SKEW) -> tuple[list[Any], str]:
    k = epollsim.Kernel(seed, trace=True)
    host = k.add_host("server", clock_offset=skew)
    k.network.set_latency("localhost", "server", 0.002)
    with only_file_fds(), k.patch():
        def boot() -> None:
            Maintenance.ready = time.time() + 5.0  # back in 5 s, by the server's clock
            httpd = http.server.ThreadingHTTPServer(("0.0.0.0", 80), Maintenance)
            threading.Thread(target=httpd.serve_forever, daemon=True).start()

        host.start(boot).join()
        retry = Retry(total=8, status_forcelist=[503], backoff_factor=0.25, backoff_jitter=0.5,
                      allowed_methods=["GET"])
        with requests.Session() as session:
            session.mount("http://", HTTPAdapter(max_retries=retry))
            response = session.get("http://server/", timeout=2)
            up_at = float(response.text.split()[-1])
            history = [entry.status for entry in response.raw.retries.history]
            out = [response.status_code, round(up_at - Maintenance.ready, 6), history, time.monotonic()]
    return out, k.trace.digest()


def test_requests_retries_with_seeded_jitter_against_a_server_with_a_skewed_clock() -> None:
    settle_urllib3()
    log, digest = run(seed=5)
    status, late, history, done = log
    assert status == 200 and late >= 0  # up by the server's own clock
    assert history == [503] * 5  # the Retry-After date looked past: urllib3 backed off with jitter instead
    assert 1005 < done < 1015  # the 5 s went by in backoffs (monotonic clocks are the kernel's, not skewed)
    assert run(seed=5) == (log, digest)  # the same run, byte for byte
    other, other_digest = run(seed=6)
    assert other_digest != digest and other[3] != done  # another seed, other jitter


def test_without_the_skew_the_client_honours_retry_after() -> None:
    (status, _, history, done), _ = run(seed=5, skew=0.0)
    assert (status, history) == (200, [503]) and done == pytest.approx(1005, abs=0.1)  # one wait, to the date
