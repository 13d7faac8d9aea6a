"""End to end, unmodified: a websockets echo server on one host and a reconnecting websockets client on
another, with a partition that heals.

The client masks every frame with a key from ``secrets`` (RFC 6455 5.3), and after the keepalive ping
times out in the partition it reconnects after ``random.random() * 5`` s (websockets' ``backoff``): both
draw from the kernel's seeded generator under the patch, so the same seed gives the same trace, byte for
byte, masked payloads included, and another seed other masks and another reconnection time.
"""
from __future__ import annotations

import asyncio
import logging
import time
from typing import Any

import pytest

import epollsim
from epollsim.testing.real_fds import only_file_fds

websockets = pytest.importorskip("websockets")
from websockets.asyncio.client import connect  # noqa: E402
from websockets.asyncio.server import serve  # noqa: E402
from websockets.exceptions import ConnectionClosed  # noqa: E402

SERVING = 20.0  # virtual seconds the server runs


async def echo(ws: Any) -> None:
    try:
        async for message in ws:
            await ws.send(f"echo {message}")
    except ConnectionClosed:
        pass  # the keepalive timed out in the partition


async def server_main() -> None:
    async with serve(echo, "0.0.0.0", 8765):
        await asyncio.sleep(SERVING)


async def client_main(k: epollsim.Kernel, log: list[Any]) -> None:
    sent, partitioned = 0, False
    loop = asyncio.get_running_loop()
    async for ws in connect("ws://server:8765", ping_interval=1.0, ping_timeout=1.0, open_timeout=1.0,
                              close_timeout=0.5):
        log.append((round(loop.time(), 6), "connected"))
        try:
            while sent < 6:
                if sent == 2 and not partitioned:
                    k.network.partition("localhost", "server")  # heals 5 s later (the test's main thread)
                    partitioned = True
                await ws.send(f"message {sent}")
                log.append((round(loop.time(), 6), await ws.recv()))
                sent += 1
                await asyncio.sleep(0.5)
            await ws.close()
            return
        except ConnectionClosed as exc:
            log.append((round(loop.time(), 6), f"closed {exc.rcvd and exc.rcvd.code} {exc.sent and exc.sent.code}"))


class Reconnects(logging.Handler):
    """websockets' "connect failed; reconnecting in 1.2 seconds: ..." lines, at the virtual time."""

    def __init__(self, log: list[Any]) -> None:
        super().__init__(logging.INFO)
        self.log = log

    def emit(self, record: logging.LogRecord) -> None:
        self.log.append((round(time.monotonic(), 6), record.getMessage().split(":")[0]))


def run(seed: int) -> tuple[list[Any], str, list[str]]:
    k = epollsim.Kernel(seed, trace=True)
    host = k.add_host("server")
    k.network.set_latency("localhost", "server", 0.005)
    log: list[Any] = []
    logger = logging.getLogger("websockets.client")
    handler, level = Reconnects(log), logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    with only_file_fds(), k.patch():
        server = host.start(asyncio.run, server_main())
        time.sleep(0.1)
        client = k.localhost.start(asyncio.run, client_main(k, log))
        time.sleep(6.0)
        k.network.heal("localhost", "server")
        client.join()
        server.join()
    logger.removeHandler(handler)
    logger.setLevel(level)
    # The client's frames after each opening handshake, masked (and compressed: permessage-deflate).
    frames = [line.split("sendto", 1)[1] for line in k.trace.lines()
              if "@localhost  sendto" in line and "GET / HTTP" not in line]
    return log, k.trace.digest(), frames


def test_a_reconnecting_websockets_client_across_a_partition_with_the_seeds_masks() -> None:
    wall = time.perf_counter()
    log, digest, frames = run(seed=7)
    words = [entry[1] for entry in log]
    assert words[:3] == ["connected", "echo message 0", "echo message 1"]
    assert any(w.startswith("closed") for w in words)  # the keepalive ping timed out in the partition
    assert any(w.startswith("connect failed; reconnecting in") for w in words)  # then backoff, jitter first
    assert words[-5:] == ["connected", *(f"echo message {i}" for i in range(2, 6))]  # back, after the heal
    assert run(seed=7) == (log, digest, frames)  # the same run, byte for byte, masks included
    other_log, other_digest, other_frames = run(seed=8)
    assert other_digest != digest
    assert frames[0] != other_frames[0]  # another mask for the first message (the same length)
    assert frames[0].split(", ")[-1] == other_frames[0].split(", ")[-1]
    assert other_log != log  # another reconnection time: websockets' backoff draws random() * 5 s
    assert time.perf_counter() - wall < 10
