"""The demonstration ``python -m epollsim demo`` prints.

First, one short program (a pipe and a socketpair watched by one epoll,
level- and edge-triggered) is written once against the ``os``/``select``/
``socket`` API. It runs on the model and, on Linux, also on the real kernel;
the two transcripts are printed side by side, so a reader sees both what
epoll reports at each step and that the model reports the same.

Then the main job: an asyncio client and server on two simulated hosts, with
a network partition injected and healed, on virtual time (``network``).
"""
from __future__ import annotations

import asyncio
import sys
from collections.abc import Callable
from typing import Any

from ..abi.epoll import mask_name
from ..kernel import Kernel

Step = tuple[str, str]


def program(os: Any, select: Any, socket: Any) -> list[Step]:
    """Each step: (what the program did, what epoll.poll(0) reported right after)."""
    steps: list[Step] = []
    ep = select.epoll()
    names: dict[int, str] = {}

    def report(action: str) -> None:
        events = ep.poll(0)
        shown = ", ".join(f"{names[fd]}: {mask_name(mask)}" for fd, mask in events) or "nothing"
        steps.append((action, shown))

    r, w = os.pipe()
    names[r] = "pipe r"
    ep.register(r, select.EPOLLIN | select.EPOLLET)
    report("pipe(); register(r, EPOLLIN|EPOLLET)")
    os.write(w, b"hello")
    report('write(w, b"hello")')
    report("(poll again)")
    os.write(w, b"!")
    report('write(w, b"!")  (data was already there)')
    data = os.read(r, 3)
    report(f"read(r, 3) -> {data!r}  (2 bytes left)")
    os.close(w)
    report("close(w)")
    data = os.read(r, 100)
    report(f"read(r, 100) -> {data!r}")

    a, b = socket.socketpair()
    a.setblocking(False)
    names[a.fileno()] = "sock a"
    ep.register(a, select.EPOLLIN | select.EPOLLOUT | select.EPOLLRDHUP)
    report("socketpair(); register(a, IN|OUT|RDHUP)  (level-triggered)")
    b.send(b"ping")
    report('b.send(b"ping")')
    report("(poll again: level-triggered repeats)")
    data = a.recv(100)
    report(f"a.recv(100) -> {data!r}")
    b.shutdown(socket.SHUT_WR)
    report("b.shutdown(SHUT_WR)")
    b.close()
    report("b.close()")
    a.close()
    report("a.close()  (its registration vanishes)")
    os.close(r)
    ep.close()
    return steps


def _real_modules() -> tuple[Any, Any, Any] | None:
    if not sys.platform.startswith("linux"):
        return None
    import os
    import select
    import socket

    return os, select, socket


def run(out: Callable[[str], None] = print, with_real: bool = True) -> bool:
    """Print the transcript; True when the model and the real kernel agree on every step."""
    k = Kernel(seed=0)
    model = program(k.os, k.select, k.socket)
    real_mods = _real_modules() if with_real else None
    real = program(*real_mods) if real_mods else None
    width = max(len(action) for action, _ in model)
    out("epollsim demo: what epoll.poll(0) reports after each step of a small program")
    out("(the same program runs on the simulated kernel" + (" and on this machine's kernel)" if real else ")"))
    out("")
    out(f"{'step':<{width}}  epoll.poll(0) reports")
    agree = True
    for i, (action, seen) in enumerate(model):
        line = f"{action:<{width}}  {seen}"
        if real is not None:
            same = real[i] == (action, seen)
            agree &= same
            line += "" if same else f"    <- the real kernel says: {real[i][1]}"
        out(line)
    out("")
    if real is not None:
        out("model and real kernel agree on every step" if agree else "MODEL AND REAL KERNEL DIFFER")
    out("")
    network(out)
    return agree


def network(out: Callable[[str], None] = print) -> float:
    """An asyncio client and server on two simulated hosts, 10 ms apart, with a partition injected
    and healed while a line is in flight. Prints what the client sees on the virtual clock and
    returns the virtual seconds the run took (none of them waited for in wall time)."""
    k = Kernel(seed=0)
    server, client = k.add_host("server"), k.add_host("client")
    k.network.set_latency("client", "server", 0.010)
    start = k.time.monotonic()

    def say(what: str) -> None:
        out(f"  {k.time.monotonic() - start:7.3f} s  {what}")

    async def handle(r: Any, w: Any) -> None:
        while line := await r.readline():
            w.write(line.upper())
            await w.drain()
        w.close()

    async def serve() -> None:
        async with await server.asyncio.start_server(handle, "0.0.0.0", 8080) as srv:
            await srv.serve_forever()

    async def talk() -> None:
        aio = client.asyncio
        r, w = await aio.open_connection("server", 8080)
        say(f"client connected to server:8080 ({w.get_extra_info('peername')[0]})")
        w.write(b"hello\n")
        say(f"client got {await r.readline()!r}")
        k.network.partition("client", "server")
        say("partition between client and server")
        w.write(b"still there?\n")
        try:
            await aio.wait_for(r.readline(), timeout=5)
        except asyncio.TimeoutError:  # TimeoutError itself from Python 3.11
            say("client: no answer within 5 s")
        k.network.heal("client", "server")
        say("partition healed")
        say(f"client got {await r.readline()!r}  (TCP retransmitted it, on Linux's timers)")
        w.close()

    out("asyncio on the model: a client and a server on two simulated hosts, 10 ms apart")
    out("(CPython's own event loop; its selector is the model's epoll, its clock the virtual clock)")
    out("")
    k.threading.Thread(target=server.asyncio.run, args=(serve(),), daemon=True).start()
    client.asyncio.run(talk())
    elapsed = k.time.monotonic() - start
    out("")
    out(f"{elapsed:.3f} s of virtual time, none of it waited for: the clock jumps when every thread waits")
    return elapsed
