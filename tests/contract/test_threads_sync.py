"""Locks, conditions, semaphores and events between threads, on both backends (phases 50 ms apart)."""
from __future__ import annotations

from typing import Any

import pytest

from epollsim.testing.backends import Backend

PHASE = 0.05


def _start(backend: Backend, fn: Any, *args: Any) -> Any:
    t = backend.threading.Thread(target=fn, args=args)
    t.start()
    return t


def test_rlock_is_reentrant_and_owned(backend: Backend) -> None:
    lock = backend.threading.RLock()
    with lock, lock:
        got: list[bool] = []
        t = _start(backend, lambda: got.append(lock.acquire(timeout=PHASE)))
        t.join()
        assert got == [False]  # another thread cannot take it
    with pytest.raises(RuntimeError, match="cannot release un-acquired lock"):
        lock.release()


def test_condition_wakes_a_waiter_on_notify(backend: Backend) -> None:
    cond = backend.threading.Condition()
    box: list[int] = []
    results: list[Any] = []

    def consumer() -> None:
        with cond:
            results.append(cond.wait_for(lambda: box, timeout=5))

    t = _start(backend, consumer)
    backend.time.sleep(PHASE)
    with cond:
        box.append(1)
        cond.notify()
    t.join()
    assert results == [[1]]


def test_condition_wait_times_out(backend: Backend) -> None:
    cond = backend.threading.Condition()
    with cond:
        assert cond.wait(PHASE) is False


def test_semaphore_admits_value_threads_at_once(backend: Backend) -> None:
    sem = backend.threading.Semaphore(2)
    assert sem.acquire() and sem.acquire()
    assert sem.acquire(blocking=False) is False
    got: list[bool] = []
    t = _start(backend, lambda: got.append(sem.acquire(timeout=5)))
    backend.time.sleep(PHASE)
    assert got == []
    sem.release()
    t.join()
    assert got == [True]
    with pytest.raises(ValueError, match="semaphore initial value must be >= 0"):
        backend.threading.Semaphore(-1)


def test_event_wait_returns_when_set_by_another_thread(backend: Backend) -> None:
    ev = backend.threading.Event()
    got: list[bool] = []
    t = _start(backend, lambda: got.append(ev.wait(5)))
    backend.time.sleep(PHASE)
    ev.set()
    t.join()
    assert got == [True] and ev.is_set()
    ev.clear()
    assert ev.wait(PHASE) is False
