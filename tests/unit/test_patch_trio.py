"""trio and anyio, unmodified, under k.patch(): TCP servers and clients on the model, virtual time,
signals, worker threads on model threads, one trace per seed (patch_methods.py rebinds the real
socket methods trio's socket class holds in closures)."""
from __future__ import annotations

import pathlib
import signal
import socket
import subprocess
import sys
import textwrap
import threading
import time
from functools import partial
from typing import Any

import pytest

import epollsim

trio = pytest.importorskip("trio")
anyio = pytest.importorskip("anyio")


async def upper(stream: Any) -> None:
    async for data in stream:
        await stream.send_all(data.upper())


async def echo_and_sleep(port: int = 8080, nap: float = 3600) -> list[Any]:
    """A trio TCP server and a client in one nursery, then an hour's sleep."""
    seen: list[Any] = []
    async with trio.open_nursery() as nursery:
        listeners = await nursery.start(partial(trio.serve_tcp, upper, port, host="127.0.0.1"))
        seen.append(listeners[0].socket.getsockname())
        stream = await trio.open_tcp_stream("127.0.0.1", listeners[0].socket.getsockname()[1])
        await stream.send_all(b"hello")
        seen.append(await stream.receive_some(100))
        start = trio.current_time()
        await trio.sleep(nap)
        seen.append(round(trio.current_time() - start, 3))
        await stream.aclose()
        nursery.cancel_scope.cancel()
    return seen


def run_echo(seed: int) -> tuple[list[Any], str]:
    k = epollsim.Kernel(seed, trace=True)
    with k.patch():
        seen = trio.run(echo_and_sleep)
        seen.append(time.monotonic())
    return seen, k.trace.digest()


def test_trio_imported_before_the_patch_serves_tcp_on_the_model_in_virtual_time() -> None:
    wall = time.perf_counter()
    seen, _ = run_echo(0)
    assert time.perf_counter() - wall < 30  # an hour of trio.sleep costs no wall time
    # trio rounds epoll_wait's timeout up to the millisecond: 3600.001, as on Linux
    assert seen == [("127.0.0.1", 8080), b"HELLO", pytest.approx(3600, abs=0.002), pytest.approx(4600, abs=0.002)]


def test_trio_sockets_are_real_again_after_the_patch() -> None:
    run_echo(0)
    send = vars(trio._socket._SocketType)["send"]
    # trio's wrapper holds the method it wraps in a closure: the real one again
    assert any(cell.cell_contents is socket.socket.send for cell in send.__closure__ or ())
    seen = trio.run(echo_and_sleep, 0, 0.01)  # on the real kernel, a free port
    assert seen[0][0] == "127.0.0.1" and seen[0][1] != 0 and seen[1] == b"HELLO"


def test_one_seed_gives_one_trace() -> None:
    first, digest = run_echo(3)
    again, digest_again = run_echo(3)
    assert (first, digest) == (again, digest_again)


async def to_thread(k: epollsim.Kernel) -> tuple[Any, Any, float, float]:
    def worker() -> tuple[Any, float]:
        return k.process.sched.current, time.monotonic()

    main = k.process.sched.current
    worker_thread, at = await anyio.to_thread.run_sync(worker)
    await anyio.sleep(10)
    return main, worker_thread, at, time.monotonic()


@pytest.mark.parametrize("backend", ["asyncio", "trio"])
def test_anyio_to_thread_runs_on_a_model_thread(backend: str) -> None:
    k = epollsim.Kernel(0, trace=True)
    real_threads = threading.active_count()
    with k.patch():
        main, worker_thread, at, after = anyio.run(to_thread, k, backend=backend)
    assert worker_thread is not main and worker_thread.tid != main.tid  # another of the model's threads
    assert at == 1000.0 and after == 1010.00005  # virtual time, inside the worker too (50 us timer slack)
    assert threading.active_count() == real_threads


async def wait_for_sigusr1(k: epollsim.Kernel) -> tuple[int, float]:
    start = trio.current_time()  # trio's clock: a random offset (from the seed) + time.perf_counter()
    with trio.open_signal_receiver(signal.SIGUSR1) as signals:
        await trio.sleep(1)
        k.kill(signal.SIGUSR1)
        async for signum in signals:
            return signum, trio.current_time() - start
    raise AssertionError("no signal")


def test_trio_receives_a_signal_the_model_delivers() -> None:
    before = signal.getsignal(signal.SIGUSR1)
    k = epollsim.Kernel(0, trace=True)
    with k.patch():
        signum, at = trio.run(wait_for_sigusr1, k)
    assert signum == signal.SIGUSR1 and at == pytest.approx(1, abs=0.002)
    assert signal.getsignal(signal.SIGUSR1) is before  # the real process's signal state is untouched


IMPORTED_INSIDE = textwrap.dedent("""
    import functools, sys
    import epollsim
    assert "trio" not in sys.modules and "anyio" not in sys.modules

    async def upper(stream):
        async for data in stream:
            await stream.send_all(data.upper())

    async def main():
        async with trio.open_nursery() as nursery:
            listeners = await nursery.start(functools.partial(trio.serve_tcp, upper, 0, host="127.0.0.1"))
            stream = await trio.open_tcp_stream("127.0.0.1", listeners[0].socket.getsockname()[1])
            await stream.send_all(b"ping")
            got = await stream.receive_some(10)
            await stream.aclose()
            nursery.cancel_scope.cancel()
        return got

    k = epollsim.Kernel(0)
    with k.patch():
        import trio
        print(trio.run(main))
    # After the patch the same trio module runs on the real kernel.
    print(trio.run(main))
""")


def test_trio_imported_only_inside_the_patch() -> None:
    done = subprocess.run([sys.executable, "-c", IMPORTED_INSIDE], capture_output=True, text=True, timeout=120,
                          env={"PYTHONPATH": epollsim.__path__[0].rpartition("/")[0], "PATH": "/usr/bin:/bin"})
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == ["b'PING'", "b'PING'"]


ONE_RUN = textwrap.dedent("""
    import sys
    sys.path.insert(0, TESTS)
    from test_patch_trio import run_echo
    print(run_echo(5)[1])
""")


def test_one_seed_gives_one_trace_in_every_process() -> None:
    """The same digest under different PYTHONHASHSEEDs: trio's own generator (its clock's offset, its
    scheduler's shuffles) is reseeded from the kernel's seed, whatever else the process imported."""
    tests = str(pathlib.Path(__file__).parent)
    digests = set()
    for hashseed in ("0", "1"):
        done = subprocess.run(
            [sys.executable, "-c", f"TESTS = {tests!r}\n" + ONE_RUN], capture_output=True, text=True, timeout=120,
            env={"PYTHONPATH": epollsim.__path__[0].rpartition("/")[0], "PATH": "/usr/bin:/bin",
                 "PYTHONHASHSEED": hashseed},
        )
        assert done.returncode == 0, done.stderr
        digests.add(done.stdout)
    assert len(digests) == 1


def test_a_real_idle_trio_worker_from_before_the_patch_is_never_used_on_the_model() -> None:
    """trio's thread cache keeps an idle real worker after a real ``to_thread`` (10 s): under the patch
    a job must go to a model thread of a fresh cache, not to it (it hung the serial suite once)."""
    async def real_job() -> int:
        return await trio.to_thread.run_sync(threading.get_ident)

    real_ident = trio.run(real_job)  # leaves a real idle worker in trio's cache
    assert any(t.ident == real_ident for t in threading.enumerate()) or real_ident
    k = epollsim.Kernel(0)
    with k.patch():
        main, worker_thread, at, after = anyio.run(to_thread, k, backend="trio")
    assert worker_thread is not main and after == 1010.00005
