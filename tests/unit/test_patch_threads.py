"""Threads from any Thread class, and _thread, on the model under k.patch() (patch_threads.py,
compat/thread.py): no real OS thread is started, the schedule is the model's."""
from __future__ import annotations

import _thread
import concurrent.futures
import os
import queue
import socket
import sys
import threading
import time
from typing import Any

import pytest

import epollsim

REAL_START_NEW_THREAD = _thread.start_new_thread


def os_threads() -> list[str]:
    return sorted(os.listdir("/proc/self/task"))


class EarlyWorker(threading.Thread):
    """Defined at import, before any patch (as anyio's worker thread class is)."""

    def __init__(self, log: list[tuple[Any, ...]], step: float) -> None:
        super().__init__(name=f"early-{step}")
        self.log = log
        self.step = step

    def run(self) -> None:
        for i in range(3):
            time.sleep(self.step)
            me = threading.current_thread()
            # to the ms: every sleep ends 50 us late (timer slack), and these add up
            self.log.append((self.name, i, round(time.monotonic(), 3), me is self, threading.get_ident() == self.ident))


def run_early_workers(schedule: str, seed: int) -> tuple[list[tuple[Any, ...]], list[Any]]:
    k = epollsim.Kernel(seed=seed, schedule=schedule)
    log: list[tuple[Any, ...]] = []
    with k.patch():
        before = os_threads()  # the patch's watchdog included
        workers = [EarlyWorker(log, step) for step in (1, 2, 1)]
        for w in workers:
            w.start()
        assert os_threads() == before  # no real OS thread
        alive = [w.is_alive() for w in workers]
        listed = threading.enumerate()
        for w in workers:
            w.join()
        facts = [alive, [w in listed for w in workers], [w.is_alive() for w in workers],
                 [w.ident for w in workers], [w.native_id for w in workers], round(time.monotonic(), 3)]
    return log, facts


def test_a_thread_subclass_defined_before_the_patch_runs_as_a_model_thread_and_joins() -> None:
    log, facts = run_early_workers("fifo", 0)
    assert facts == [[True] * 3, [True] * 3, [False] * 3, [2, 3, 4], [2, 3, 4], 1006.0]
    assert [entry[:3] for entry in log] == [
        ("early-1", 0, 1001.0), ("early-1", 0, 1001.0), ("early-2", 0, 1002.0), ("early-1", 1, 1002.0),
        ("early-1", 1, 1002.0), ("early-1", 2, 1003.0), ("early-1", 2, 1003.0), ("early-2", 1, 1004.0),
        ("early-2", 2, 1006.0),
    ]
    assert all(entry[3] and entry[4] for entry in log)  # current_thread() is the object; get_ident its ident


def test_the_same_seed_gives_the_same_interleaving_of_early_class_threads() -> None:
    assert run_early_workers("random", 7) == run_early_workers("random", 7)


def test_join_with_a_timeout_and_start_twice_behave_as_cpythons() -> None:
    k = epollsim.Kernel()
    with k.patch():
        w = EarlyWorker([], 10)
        with pytest.raises(RuntimeError, match="cannot join thread before it is started"):
            w.join()
        w.start()
        w.join(timeout=5)
        assert w.is_alive() and time.monotonic() == 1005.00005  # (timer slack)
        with pytest.raises(RuntimeError, match="threads can only be started once"):
            w.start()
        w.join()
        assert not w.is_alive() and time.monotonic() == 1030.00015  # (timer slack, three times)


def test_an_exception_in_an_early_class_thread_goes_to_threading_excepthook() -> None:
    class Failing(EarlyWorker):
        def run(self) -> None:
            time.sleep(1)
            raise ValueError("boom")

    seen: list[tuple[Any, ...]] = []
    k = epollsim.Kernel()
    with k.patch():
        saved = threading.excepthook
        threading.excepthook = lambda args: seen.append((args.exc_type, str(args.exc_value), args.thread.name))
        try:
            t = Failing([], 1)
            t.start()
            t.join()
        finally:
            threading.excepthook = saved
    assert seen == [(ValueError, "boom", "early-1")]


def test_start_new_thread_client_and_server_inside_the_patch() -> None:
    """As CPython's own socket tests do: the client runs on a bare _thread thread."""
    k = epollsim.Kernel()
    with k.patch():
        before = os_threads()
        server = socket.socket()
        server.bind(("127.0.0.1", 0))
        server.listen()
        port = server.getsockname()[1]
        done = _thread.allocate_lock()
        done.acquire()
        names: list[str] = []

        def client(greeting: bytes) -> None:
            with socket.create_connection(("127.0.0.1", port)) as c:
                c.sendall(greeting)
                names.append(threading.current_thread().name)
                assert c.recv(10) == b"HELLO"
            done.release()

        ident = _thread.start_new_thread(client, (b"hello",))
        assert os_threads() == before
        conn, _ = server.accept()
        conn.sendall(conn.recv(10).upper())
        assert done.acquire(timeout=5)
        conn.close()
        server.close()
    assert isinstance(ident, int) and names == ["Dummy-1"]


def test_thread_names_come_from_the_models_counter() -> None:
    for _ in range(2):  # the same names each time, whatever real threads the process made
        k = epollsim.Kernel()
        with k.patch():
            t = EarlyWorker.__mro__[1](target=lambda: None)  # the real threading.Thread class
            t.start()
            t.join()
        assert t.name == "Thread-1 (<lambda>)"


def test_underscore_thread_is_the_models_under_the_patch() -> None:
    real_before = dict(threading._active)  # type: ignore[attr-defined]  # (a library's idle real threads too)
    real = (_thread.allocate_lock, _thread.get_ident, _thread.LockType, _thread.RLock, _thread.start_new_thread)
    k = epollsim.Kernel()
    with k.patch():
        lock = _thread.allocate_lock()
        assert isinstance(lock, k.threading.Lock) and isinstance(lock, _thread.LockType)
        assert isinstance(_thread.RLock(), k.threading.RLock)
        assert _thread.get_ident() == threading.get_ident() == 1
        assert threading._allocate_lock is _thread.allocate_lock  # type: ignore[attr-defined]
        assert _thread._count() == 0  # type: ignore[attr-defined]
        assert threading.stack_size(1 << 20) == 0 and _thread.stack_size() == 1 << 20
        with pytest.raises(ValueError, match="size not valid: 100 bytes"):
            threading.stack_size(100)
        with pytest.raises(TypeError, match="first arg must be callable"):
            _thread.start_new_thread(1, ())  # type: ignore[arg-type]
        with pytest.raises(TypeError, match="2nd arg must be a tuple"):
            _thread.start_new_thread(print, [])  # type: ignore[arg-type]
        with pytest.raises(TypeError, match="optional 3rd arg must be a dictionary"):
            _thread.start_new_thread(print, (), 1)  # type: ignore[arg-type]
    assert (_thread.allocate_lock, _thread.get_ident, _thread.LockType, _thread.RLock,
            _thread.start_new_thread) == real
    assert threading._active == real_before  # type: ignore[attr-defined]  # no model thread left registered


def test_the_real_start_new_thread_rejects_what_the_model_rejects() -> None:
    """The messages above are CPython's own."""
    with pytest.raises(ValueError, match="size not valid: 100 bytes"):
        _thread.stack_size(100)
    for args, message in (((1, ()), "first arg must be callable"), ((print, []), "2nd arg must be a tuple"),
                          ((print, (), 1), "optional 3rd arg must be a dictionary")):
        with pytest.raises(TypeError, match=message):
            REAL_START_NEW_THREAD(*args)


def test_an_exception_in_a_bare_thread_goes_to_the_unraisable_hook(monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[Any] = []
    monkeypatch.setattr(sys, "unraisablehook", seen.append)

    def fails() -> None:
        raise KeyError("x")

    k = epollsim.Kernel()
    with k.patch():
        _thread.start_new_thread(fails, ())
        _thread.start_new_thread(_thread.exit, ())  # SystemExit: silent
        time.sleep(1)
    if sys.version_info >= (3, 13):  # as CPython's thread_run reports it, in each version
        assert [(h.exc_type, h.err_msg, h.object) for h in seen] == [
            (KeyError, f"Exception ignored in thread started by {fails!r}", None)]
    else:
        assert [(h.exc_type, h.err_msg, h.object) for h in seen] == [
            (KeyError, "Exception ignored in thread started by", fails)]


def test_a_thread_pool_made_inside_runs_an_early_class_workload() -> None:
    k = epollsim.Kernel()
    with k.patch():
        def job(n: int) -> str:
            w = EarlyWorker([], n)
            w.start()
            w.join()
            return threading.current_thread().name

        with concurrent.futures.ThreadPoolExecutor(max_workers=2) as pool:
            names = list(pool.map(job, [3, 1, 2]))
        assert time.monotonic() == 1009.0003  # six waits, each ending 50 us late (timer slack)
    # (the pool's number comes from concurrent.futures' process-wide counter)
    assert [name.rpartition("_")[2] for name in names] == ["0", "1", "1"]


class LoopWorker(threading.Thread):
    """anyio's to_thread worker, in small: a Thread subclass defined at import, fed by a queue, that
    hands results back to the event loop with call_soon_threadsafe."""

    def __init__(self, loop: Any) -> None:
        super().__init__(name="AnyIO worker thread", daemon=True)
        self.loop = loop
        self.queue: queue.Queue[Any] = queue.Queue(2)

    def run(self) -> None:
        while (item := self.queue.get()) is not None:
            func, future = item
            self.loop.call_soon_threadsafe(future.set_result, func())


def test_an_event_loop_hands_blocking_calls_to_an_early_class_worker_thread() -> None:
    import asyncio

    async def main() -> list[Any]:
        worker = LoopWorker(asyncio.get_running_loop())
        worker.start()
        results = []
        for seconds in (2, 3):
            future = asyncio.get_running_loop().create_future()
            worker.queue.put((lambda s=seconds: (time.sleep(s), threading.current_thread().name)[1], future))
            results.append((await future, asyncio.get_running_loop().time()))
        worker.queue.put(None)
        worker.join()
        return results

    k = epollsim.Kernel()
    with k.patch():
        before = os_threads()
        assert asyncio.run(main()) == [("AnyIO worker thread", 1002.00005), ("AnyIO worker thread", 1005.0001)]
        assert os_threads() == before


def test_a_real_thread_that_ends_during_the_patch_finds_its_own_bookkeeping(monkeypatch: pytest.MonkeyPatch) -> None:
    """The patch is process-wide: a real thread running meanwhile calls threading's get_ident too."""
    unraisable: list[Any] = []
    monkeypatch.setattr(sys, "unraisablehook", unraisable.append)
    go = threading.Event()
    real = threading.Thread(target=go.wait)
    real.start()
    k = epollsim.Kernel()
    with k.patch():
        assert threading.get_ident() == 1  # the model's main thread
        go.set()
        real.join()  # (a short real wait)
    assert not unraisable and not real.is_alive()
    assert real not in threading.enumerate()


class _Context(threading.local):
    """A thread-local a module made at import, as trio's run context is."""

    depth = 0

    def deeper(self) -> int:
        self.depth += 1
        return self.depth


EARLY_LOCAL = _Context()  # a real thread-local: one value per OS thread


def test_a_thread_local_in_a_module_global_is_per_model_thread_under_the_patch() -> None:
    EARLY_LOCAL.depth = 5
    original = EARLY_LOCAL
    k = epollsim.Kernel()
    seen: list[tuple[str, int]] = []

    def work() -> None:
        for _ in range(2):
            seen.append((threading.current_thread().name, EARLY_LOCAL.deeper()))
            time.sleep(0.1)

    with k.patch():
        assert EARLY_LOCAL is not original and type(EARLY_LOCAL).__name__ == "_Context"  # the global
        threads = [threading.Thread(target=work, name=name) for name in ("a", "b")]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    # each model thread counts from the class's 0, as each would on its own OS thread
    assert seen == [("a", 1), ("b", 1), ("a", 2), ("b", 2)]
    assert EARLY_LOCAL is original and EARLY_LOCAL.depth == 5
