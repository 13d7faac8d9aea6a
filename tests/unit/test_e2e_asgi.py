"""End to end, unmodified: an ASGI server (uvicorn + Starlette, a synchronous ``def`` endpoint that runs on
anyio's worker thread) on one host, an async HTTP client (httpx) retrying with jitter on another, and the
server's machine crashing mid-request and booting again. The same seed gives the same trace, byte for byte,
and no real fd but a file's is made.

uvicorn runs programmatically (``Server.serve()`` in the host's asyncio, h11, no uvloop or httptools, no
lifespan); it runs outside the main thread, so it installs no signal handlers.
"""
from __future__ import annotations

import asyncio
import random
import signal
import subprocess
import sys
import threading
import time
from typing import Any

import pytest

import epollsim
from epollsim.errors import Terminated
from epollsim.testing.real_fds import only_file_fds

uvicorn = pytest.importorskip("uvicorn")
httpx = pytest.importorskip("httpx")
pytest.importorskip("httpcore")  # httpx's transport imports it (and trio, if present) on first use: now
from starlette.applications import Starlette  # noqa: E402
from starlette.requests import Request  # noqa: E402
from starlette.responses import PlainTextResponse  # noqa: E402
from starlette.routing import Route  # noqa: E402


def hello(request: Request) -> PlainTextResponse:
    """A blocking endpoint: Starlette runs it in anyio's worker thread."""
    time.sleep(0.5)  # slow work: the crash comes while it sleeps
    return PlainTextResponse(f"hello from {threading.current_thread().name} at {time.monotonic():.3f}")


APP = Starlette(routes=[Route("/", hello)])


def serve(servers: list[Any]) -> Any:
    config = uvicorn.Config(APP, host="0.0.0.0", port=8000, loop="asyncio", http="h11", lifespan="off",
                            log_level="warning")
    server = uvicorn.Server(config)
    servers.append(server)
    return server.serve()


async def fetch_with_retries(log: list[Any], wanted: int = 2) -> None:
    """GET until ``wanted`` answers came, sleeping ``random.uniform(0, 0.2 * 2**attempt)`` after a failure."""
    async with httpx.AsyncClient(timeout=1.0) as client:
        for attempt in range(20):
            try:
                response = await client.get("http://server:8000/")
            except httpx.TransportError as exc:
                pause = random.uniform(0, 0.2 * 2**attempt)
                log.append((round(time.monotonic(), 6), type(exc).__name__, round(pause, 6)))
                await asyncio.sleep(pause)
                continue
            log.append((round(time.monotonic(), 6), response.status_code, response.text))
            wanted -= 1
            if not wanted:
                return


def run(seed: int) -> tuple[list[Any], str]:
    k = epollsim.Kernel(seed, trace=True)
    host = k.add_host("server")
    k.network.set_latency("localhost", "server", 0.005)
    log: list[Any] = []
    servers: list[Any] = []
    with only_file_fds(), k.patch():
        host.start(asyncio.run, serve(servers))
        time.sleep(0.1)
        client = threading.Thread(target=asyncio.run, args=(fetch_with_retries(log),))
        client.start()
        time.sleep(1.0)  # the first request has been answered; a second one is in the endpoint
        host.crash()
        time.sleep(2.0)
        host.restart()
        host.start(asyncio.run, serve(servers))
        client.join()
        servers[-1].should_exit = True
        time.sleep(0.5)  # uvicorn looks at should_exit every 0.1 s
    return log, k.trace.digest()


def test_uvicorn_starlette_and_httpx_across_a_server_crash_and_restart() -> None:
    wall = time.perf_counter()
    log, digest = run(seed=3)
    assert log[0][1:] == (200, "hello from AnyIO worker thread at 1000.625")
    failures = log[1:-1]
    assert failures and failures[0][1] == "ReadTimeout"  # the crash ate the request in the endpoint
    assert all(f[1] in ("ReadTimeout", "ConnectTimeout", "ConnectError") for f in failures)
    assert log[-1][1] == 200 and float(log[-1][2].rsplit(" ", 1)[1]) > 1003.1  # answered after the restart
    assert run(seed=3) == (log, digest)  # the same run, byte for byte
    other, other_digest = run(seed=4)
    assert other_digest != digest and [f[2] for f in other[1:-1]] != [f[2] for f in failures]  # the seed's jitter
    assert time.perf_counter() - wall < 10


def graceful_run(seed: int) -> tuple[list[Any], str]:
    """uvicorn as the server host's program (``start_main``): it installs its SIGINT and SIGTERM handlers
    on the host's model signals; a SIGTERM mid-request shuts it down gracefully, the request answered,
    and uvicorn then raises SIGTERM again with the default disposition, which ends the program."""
    k = epollsim.Kernel(seed, trace=True)
    host = k.add_host("server")
    k.network.set_latency("localhost", "server", 0.005)
    log: list[Any] = []
    servers: list[Any] = []
    k.threading.excepthook = lambda args: log.append((round(time.monotonic(), 6), args.exc_value))  # the end
    with only_file_fds(), k.patch():
        main = host.start_main(asyncio.run, serve(servers))
        time.sleep(0.1)
        client = threading.Thread(target=asyncio.run, args=(fetch_with_retries(log, wanted=1),))
        client.start()
        time.sleep(0.3)  # the request is in the endpoint
        host.kill(signal.SIGTERM)  # uvicorn's handler runs when the server's main thread next runs
        main.join()
        log.append((round(time.monotonic(), 6), "server ended"))
        client.join()
    return log, k.trace.digest()


def test_uvicorn_in_the_hosts_main_thread_shuts_down_gracefully_on_sigterm() -> None:
    real = signal.getsignal(signal.SIGTERM)
    log, digest = graceful_run(seed=3)
    (answered, status, text), (ended, terminated), (joined, what) = log[0], log[1], log[2]
    assert (status, text) == (200, "hello from AnyIO worker thread at 1000.625")  # the in-flight request
    assert isinstance(terminated, Terminated) and terminated.signum == signal.SIGTERM  # uvicorn's re-raise
    assert answered < ended == joined and what == "server ended"
    assert graceful_run(seed=3)[1] == digest
    assert signal.getsignal(signal.SIGTERM) is real  # the real process's handler never changed


FIRST_CLIENT_INSIDE = """
import httpx
import epollsim
k = epollsim.Kernel()
k.add_host("server")
with k.patch():
    httpx.AsyncClient()  # imports httpcore, which imports trio, here
print("made")
"""


def test_httpx_first_client_made_inside_a_two_host_patch() -> None:
    """httpcore imports trio at httpx's first client, and trio reads ``socket.socket.sendmsg`` at
    import: with several hosts ``socket.socket`` is the one class they share (patch_hosts.py)."""
    # In a fresh interpreter: in this one an earlier test imported httpcore and trio already.
    done = subprocess.run([sys.executable, "-c", FIRST_CLIENT_INSIDE], capture_output=True, text=True, timeout=60)
    assert done.stdout == "made\n", done.stderr[-500:]
