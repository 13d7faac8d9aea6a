"""asyncio's signal handlers on the model: add_signal_handler over a host's signal, asyncio.run's
SIGINT handler, a server host's graceful SIGTERM shutdown, and the real process left alone."""
from __future__ import annotations

import asyncio
import signal
from typing import Any

import pytest

import epollsim

SIGUSR1, SIGTERM, SIGINT = signal.SIGUSR1, signal.SIGTERM, signal.SIGINT


def real_handlers() -> dict[int, Any]:
    return {signum: signal.getsignal(signum) for signum in signal.valid_signals()}


def test_asyncio_signal_handlers_via_host_asyncio() -> None:
    k = epollsim.Kernel()
    before = real_handlers()

    async def main() -> tuple[str, float]:
        loop = asyncio.get_running_loop()
        fut = loop.create_future()
        loop.add_signal_handler(SIGTERM, fut.set_result, "terminated")
        assert k.signal.getsignal(SIGTERM) is not signal.SIG_DFL  # the model's, not the real one
        assert signal.getsignal(SIGTERM) is signal.SIG_DFL
        k.threading.Thread(target=lambda: (k.time.sleep(2), k.kill(SIGTERM))).start()
        result = await fut
        assert loop.remove_signal_handler(SIGTERM)
        return result, loop.time()

    assert k.asyncio.run(main()) == ("terminated", 1002.00005)  # the killer's sleep ended 50 us late (timer slack)
    assert k.signal.getsignal(SIGTERM) is signal.SIG_DFL
    assert real_handlers() == before


def test_asyncio_signal_handlers_and_sigint_under_the_patch() -> None:
    k = epollsim.Kernel()
    before = real_handlers()
    events: list[str] = []
    with k.patch():
        import threading
        import time

        async def main() -> None:
            loop = asyncio.get_running_loop()
            done = asyncio.Event()
            loop.add_signal_handler(SIGUSR1, lambda: (events.append(f"SIGUSR1 at {loop.time()}"), done.set()))
            threading.Thread(target=lambda: (time.sleep(1), k.kill(SIGUSR1))).start()
            await done.wait()
            loop.remove_signal_handler(SIGUSR1)
            threading.Thread(target=lambda: (time.sleep(1), k.kill(SIGINT))).start()
            await asyncio.sleep(100)  # cancelled by asyncio.run's SIGINT handler
            events.append("not reached")

        with pytest.raises(KeyboardInterrupt):
            asyncio.run(main())
        assert signal.getsignal(SIGINT) is signal.default_int_handler
    assert events == ["SIGUSR1 at 1001.00005"]  # (timer slack)
    assert real_handlers() == before


def test_host_asyncio_run_sets_its_sigint_handler_on_the_host_only() -> None:
    k = epollsim.Kernel()
    seen: list[Any] = []

    async def main() -> None:
        seen.append(signal.getsignal(SIGINT))  # the real process's: untouched
        seen.append(k.signal.getsignal(SIGINT))  # the host's: asyncio.Runner's
        k.threading.Thread(target=lambda: (k.time.sleep(1), k.kill(SIGINT))).start()
        await asyncio.sleep(100)

    with pytest.raises(KeyboardInterrupt):
        k.asyncio.run(main())
    assert seen[0] is signal.default_int_handler
    assert seen[1] is not signal.default_int_handler and "Runner._on_sigint" in repr(seen[1])
    assert k.signal.getsignal(SIGINT) is signal.default_int_handler
    assert k.time.monotonic() == 1001.00005  # (timer slack)


def test_a_host_started_with_start_main_handles_sigterm_in_its_own_main_thread() -> None:
    k = epollsim.Kernel()
    server = k.add_host("server")
    log: list[str] = []

    async def serve() -> None:
        loop = asyncio.get_running_loop()
        stop = loop.create_future()
        loop.add_signal_handler(SIGTERM, stop.set_result, None)  # server's main thread: allowed

        async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            writer.write((await reader.readline()).upper())
            await writer.drain()
            writer.close()

        srv = await asyncio.start_server(handle, "0.0.0.0", 8000)
        log.append("serving")
        await stop
        srv.close()
        await srv.wait_closed()
        log.append(f"graceful shutdown at {loop.time()}")

    thread = server.start_main(server.asyncio.run, serve())
    assert thread.name == "server:main"
    with pytest.raises(ValueError, match="main thread"):
        server.signal.signal(SIGTERM, signal.SIG_IGN)  # the kernel's thread is not server's main
    k.signal.signal(SIGTERM, signal.SIG_IGN)  # localhost's main thread is still the kernel's
    k.time.sleep(1)
    s = k.socket.create_connection((server.addresses[0], 8000))
    s.sendall(b"hello\n")
    assert s.recv(100) == b"HELLO\n"
    s.close()
    k.kill(SIGTERM)  # ignored on localhost
    server.kill(SIGTERM)
    thread.join()
    assert log == ["serving", "graceful shutdown at 1001.00005"]  # (timer slack)
