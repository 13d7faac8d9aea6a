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
import threading
import time
from typing import Any

import pytest

import epollsim
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


async def fetch_with_retries(log: list[Any]) -> None:
    """GET until it works, sleeping ``random.uniform(0, 0.2 * 2**attempt)`` between tries."""
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
            if len(log) > 1:
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
