"""``threading.main_thread()`` on a host is the host's main thread (``Host.start_main``), the thread its
signals go to: so a library that installs signal handlers only "in the main thread" (asyncio.run's SIGINT
handler, uvicorn's) does so in a host's program as in a real process."""
from __future__ import annotations

import asyncio
import signal
import sys
import threading
from typing import Any

import pytest

import epollsim


def test_main_thread_is_the_hosts_own_once_start_main_started_it() -> None:
    k = epollsim.Kernel()
    server = k.add_host("server")
    seen: dict[str, Any] = {}

    def program() -> None:
        seen["main"] = k.threading.main_thread()
        seen["current"] = k.threading.current_thread()
        worker = k.threading.Thread(target=lambda: seen.setdefault("from a worker", k.threading.main_thread()))
        worker.start()
        worker.join()

    before = server.start(lambda: seen.setdefault("before", k.threading.main_thread()))
    before.join()
    server.start_main(program).join()
    assert seen["before"].name == "MainThread"  # no program of its own yet: the kernel's
    assert seen["main"] is seen["current"] is seen["from a worker"] and seen["main"].name == "server:main"
    assert k.threading.main_thread().name == "MainThread"  # the first host's is still the kernel's


@pytest.mark.skipif(sys.version_info < (3, 11), reason="asyncio.Runner's SIGINT handler is new in 3.11")
def test_asyncio_run_in_a_hosts_main_thread_turns_sigint_into_a_cancel() -> None:
    k = epollsim.Kernel()
    server = k.add_host("server")
    log: list[str] = []
    real = signal.getsignal(signal.SIGINT)

    async def forever() -> str:
        try:
            await asyncio.sleep(3600)
        except asyncio.CancelledError:  # asyncio.Runner's SIGINT handler cancelled the main task
            log.append(f"cancelled at {asyncio.get_running_loop().time():.3f}")
            await asyncio.sleep(1)  # a graceful shutdown
        return "graceful"

    def program() -> None:
        try:
            log.append(server.asyncio.run(forever()))  # swallowed, the cancel ends no KeyboardInterrupt
        except KeyboardInterrupt:  # default_int_handler's: no handler of the loop's was installed
            log.append("KeyboardInterrupt")

    with k.patch():
        thread = server.start_main(program)
        k.time.sleep(2)
        server.kill(signal.SIGINT)  # asyncio.Runner's SIGINT handler cancels the main task, then raises
        thread.join()
        assert isinstance(threading.main_thread(), k.threading.Thread)
    assert log == ["cancelled at 1002.000", "graceful"]
    assert signal.getsignal(signal.SIGINT) is real  # the real process's handler never changed


def test_without_start_main_sigint_reaches_no_loop_handler() -> None:
    k = epollsim.Kernel()
    server = k.add_host("server")
    thread = server.start(server.asyncio.run, asyncio.sleep(3600))  # not the host's main thread
    k.time.sleep(1)
    with pytest.raises(KeyboardInterrupt):
        server.kill(signal.SIGINT)  # default_int_handler, in the host's main thread: the kernel's, here
    assert thread.is_alive()
