"""Under k.patch() the cyclic collector runs only at deterministic points (when the simulated machine
goes idle, and at exit), so finalizers run at the same point of every run of a seed, and an object
closed only by a finalizer (a socket caught in a cycle) is still closed within the run."""
from __future__ import annotations

import gc
import socket
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest

import epollsim


class Connection:
    """Holds a socket in a reference cycle; its finalizer closes it (as many libraries' do)."""

    def __init__(self, name: str, sock: Any, log: list[Any]) -> None:
        self.name, self.sock, self.log = name, sock, log
        self.me = self  # the cycle: only the collector frees it

    def __del__(self) -> None:
        self.log.append(("finalized", self.name, time.monotonic()))
        self.sock.close()


@pytest.fixture(autouse=True)
def gc_state() -> Iterator[None]:
    threshold = gc.get_threshold()
    enabled = gc.isenabled()
    yield
    gc.set_threshold(*threshold)
    if enabled:
        gc.enable()


def test_a_socket_in_a_cycle_is_closed_when_the_machine_goes_idle() -> None:
    k = epollsim.Kernel()
    log: list[Any] = []
    with k.patch():
        a, b = socket.socketpair()
        Connection("a", a, log)
        del a
        # Nothing else can run and no timer is armed: the collector runs before a deadlock is declared.
        log.append(("recv", b.recv(1), time.monotonic()))
        b.close()
    assert log == [("finalized", "a", 1000.0), ("recv", b"", 1000.0)]


def program(log: list[Any]) -> None:
    """Threads that drop cycles holding sockets at different points, while others sleep."""

    def worker(i: int) -> None:
        for j in range(4):
            a, b = socket.socketpair()
            Connection(f"{i}.{j}", a, log)
            del a
            time.sleep(0.001 * ((i + j) % 3))
            log.append(("peer", i, j, b.recv(1), time.monotonic()))
            b.close()

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()


def run(seed: int, threshold: int) -> list[Any]:
    gc.set_threshold(threshold)  # how often CPython would collect on its own: must not matter
    junk = [[object()] for _ in range(1000)]  # garbage and allocations made before the patch
    k = epollsim.Kernel(seed, schedule="random")
    log: list[Any] = []
    with k.patch():
        del junk
        program(log)
    return log


def test_finalizers_run_at_the_same_point_of_every_run() -> None:
    first = run(5, 700)
    assert first == run(5, 700) == run(5, 1) == run(5, 100_000)
    assert len([e for e in first if e[0] == "finalized"]) == 16
    assert all(e[3] == b"" for e in first if e[0] == "peer")
    assert first != run(6, 700)


def test_what_is_left_is_finalized_at_exit_on_the_model() -> None:
    k = epollsim.Kernel()
    log: list[Any] = []
    with k.patch():
        a, b = socket.socketpair()
        fd = a.fileno()
        time.sleep(3)
        Connection("a", a, log)
        del a
    assert log == [("finalized", "a", 1003.00005)]  # on the virtual clock: the patch was still active
    with pytest.raises(OSError) as info:
        k.os.fstat(fd)  # closed on the model
    assert info.value.errno == 9
    b.close()


def test_automatic_collection_is_off_inside_and_restored_after() -> None:
    assert gc.isenabled()
    with epollsim.Kernel().patch():
        assert not gc.isenabled() and gc.get_freeze_count() > 0
    assert gc.isenabled() and gc.get_freeze_count() == 0
    gc.disable()
    with epollsim.Kernel().patch():
        assert not gc.isenabled()
    assert not gc.isenabled()


def test_a_deadlock_is_still_a_deadlock() -> None:
    k = epollsim.Kernel()
    with k.patch():
        a, b = socket.socketpair()
        with pytest.raises(epollsim.Deadlock):
            b.recv(1)
        a.close()
        b.close()
