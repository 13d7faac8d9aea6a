"""Data races on epollsim.Shared: vector clocks per green thread, released and acquired by the
threading primitives, by file writes and reads, and by epoll event delivery."""
from __future__ import annotations

import pathlib
import re
import threading as real_threading
from collections.abc import Callable

import pytest

import epollsim
from epollsim import DataRace, Kernel, Shared

NO_ORDER = "with no happens-before between them (no lock, event, join, or file write/read orders them)"
HERE = pathlib.Path(__file__)
SOURCE = HERE.read_text().splitlines()


def at(marker: str) -> str:
    """'test_races.py:LINE' of the one line of this file marked ``# marker`` (alone or before ':')."""
    lines = [i for i, text in enumerate(SOURCE, 1) if re.search(rf"# {marker}(:|$)", text.rstrip())]
    assert len(lines) == 1, marker
    return f"{HERE.name}:{lines[0]}"


# -- the report ------------------------------------------------------------------


def test_a_race_is_reported_word_for_word() -> None:
    k = Kernel()
    counter = Shared(0, name="counter")

    def writer() -> None:
        counter.set(1)  # W1

    k.threading.Thread(target=writer).start()
    k.time.sleep(1)  # the writer has long finished, but sleeping orders nothing
    with pytest.raises(DataRace) as caught:
        counter.get()  # R1
    assert str(caught.value) == (
        f"data race on Shared 'counter': Thread-1 (writer) wrote it at {at('W1')} "
        f"and MainThread read it at {at('R1')} {NO_ORDER}"
    )
    assert caught.value.earlier == ("Thread-1 (writer)", "wrote", at("W1"))
    assert caught.value.later == ("MainThread", "read", at("R1"))


def test_a_race_met_in_another_thread_stops_the_program_in_the_main_thread() -> None:
    k = Kernel()
    box = Shared([0], name="box")
    after: list[str] = []

    def reader() -> None:
        box.get()  # R2
        after.append("the racing thread went on")

    t = k.threading.Thread(target=reader, name="reader")
    t.start()
    box.set([1])  # W2: after the reader started, and nothing orders it before the read
    with pytest.raises(DataRace) as caught:
        t.join()  # the reader runs meanwhile; its race ends the program here
    assert str(caught.value) == (
        f"data race on Shared 'box': MainThread wrote it at {at('W2')} "
        f"and reader read it at {at('R2')} {NO_ORDER}"
    )
    assert after == []


def test_an_unnamed_cell_is_named_by_where_it_was_created() -> None:
    k = Kernel()
    cell = Shared(0)  # C3
    k.threading.Thread(target=lambda: cell.set(1)).start()  # W3
    k.time.sleep(1)
    with pytest.raises(DataRace, match=rf"^data race on Shared \(created at {at('C3')}\): Thread-1 \(<lambda>\) wrote it at"):
        cell.get()


def test_creating_counts_as_writing() -> None:
    k = Kernel()
    holder: list[Shared[int]] = []
    t = k.threading.Thread(target=lambda: holder[0].get())  # R4
    t.start()
    holder.append(Shared(0, name="late"))  # C4: made after the reader started
    with pytest.raises(DataRace) as caught:
        t.join()
    assert str(caught.value) == (
        f"data race on Shared 'late': MainThread created it at {at('C4')} "
        f"and Thread-1 (<lambda>) read it at {at('R4')} {NO_ORDER}"
    )


def test_a_write_races_with_an_unordered_read() -> None:
    k = Kernel()
    s = Shared(0, name="s")
    k.threading.Thread(target=lambda: s.get()).start()  # R5
    k.time.sleep(1)
    with pytest.raises(DataRace) as caught:
        s.set(2)  # W5
    assert caught.value.earlier == ("Thread-1 (<lambda>)", "read", at("R5"))
    assert caught.value.later == ("MainThread", "wrote", at("W5"))


def test_reads_do_not_race_with_reads() -> None:
    k = Kernel()
    s = Shared(7, name="s")
    ts = [k.threading.Thread(target=s.get) for _ in range(3)]
    for t in ts:
        t.start()
    k.time.sleep(1)
    assert s.get() == 7
    for t in ts:
        t.join()


# -- what orders two accesses ------------------------------------------------------
#
# Each case gives (release, acquire): the writer thread writes the cell, then calls
# release(); the main thread calls acquire(), then reads and writes the cell. Run
# "acquire first" (the main thread waits before the writer runs) and "release first"
# (the writer has finished before the main thread looks), and once more without
# acquire() at all: then it must race, which shows the case can fail.

Case = Callable[[Kernel], tuple[Callable[[], object], Callable[[], object]]]


def lock_case(k: Kernel) -> tuple[Callable[[], object], Callable[[], object]]:
    lock = k.threading.Lock()
    lock.acquire()  # held by the main thread; the writer takes it over after its write

    def release() -> None:
        lock.release()  # a Lock may be released by another thread

    return release, lock.acquire


def rlock_case(k: Kernel) -> tuple[Callable[[], object], Callable[[], object]]:
    lock = k.threading.RLock()

    def release() -> None:
        with lock, lock:  # reentrant: the outermost release publishes
            pass

    def acquire() -> None:
        with lock:
            pass

    return release, acquire


def event_case(k: Kernel) -> tuple[Callable[[], object], Callable[[], object]]:
    ev = k.threading.Event()
    return ev.set, ev.wait


def condition_case(k: Kernel) -> tuple[Callable[[], object], Callable[[], object]]:
    cond = k.threading.Condition()
    done = [False]

    def release() -> None:
        with cond:
            done[0] = True
            cond.notify()

    def acquire() -> None:
        with cond:
            while not done[0]:
                cond.wait()

    return release, acquire


def semaphore_case(k: Kernel) -> tuple[Callable[[], object], Callable[[], object]]:
    sem = k.threading.Semaphore(0)
    return sem.release, sem.acquire


def pipe_case(k: Kernel) -> tuple[Callable[[], object], Callable[[], object]]:
    r, w = k.os.pipe()
    return (lambda: k.os.write(w, b"x")), (lambda: k.os.read(r, 1))


def eventfd_case(k: Kernel) -> tuple[Callable[[], object], Callable[[], object]]:
    efd = k.os.eventfd(0)
    return (lambda: k.os.eventfd_write(efd, 1)), (lambda: k.os.eventfd_read(efd))


def socketpair_case(k: Kernel) -> tuple[Callable[[], object], Callable[[], object]]:
    a, b = k.socket.socketpair()
    return (lambda: a.sendall(b"x")), (lambda: b.recv(1))


def epoll_pipe_case(k: Kernel) -> tuple[Callable[[], object], Callable[[], object]]:
    """The event alone orders: the main thread never reads the pipe."""
    r, w = k.os.pipe()
    ep = k.select.epoll()
    ep.register(r, k.select.EPOLLIN | k.select.EPOLLET)
    return (lambda: k.os.write(w, b"x")), (lambda: ep.poll(-1))


def epoll_eventfd_case(k: Kernel) -> tuple[Callable[[], object], Callable[[], object]]:
    efd = k.os.eventfd(0, k.os.EFD_NONBLOCK)
    ep = k.select.epoll()
    ep.register(efd, k.select.EPOLLIN)
    return (lambda: k.os.eventfd_write(efd, 1)), (lambda: ep.poll(-1))


def epoll_close_case(k: Kernel) -> tuple[Callable[[], object], Callable[[], object]]:
    """The writer closes its end: the EPOLLHUP the reader gets is the message."""
    r, w = k.os.pipe()
    ep = k.select.epoll()
    ep.register(r, k.select.EPOLLIN)
    return (lambda: k.os.close(w)), (lambda: ep.poll(-1))


def poll_case(k: Kernel) -> tuple[Callable[[], object], Callable[[], object]]:
    r, w = k.os.pipe()
    poller = k.select.poll()
    poller.register(r, k.select.POLLIN)
    return (lambda: k.os.write(w, b"x")), (lambda: poller.poll(-1))


def select_case(k: Kernel) -> tuple[Callable[[], object], Callable[[], object]]:
    a, b = k.socket.socketpair()
    return (lambda: a.shutdown(k.socket.SHUT_WR)), (lambda: k.select.select([b], [], []))


CASES: dict[str, Case] = {
    "Lock": lock_case,
    "RLock": rlock_case,
    "Event": event_case,
    "Condition": condition_case,
    "Semaphore": semaphore_case,
    "pipe write/read": pipe_case,
    "eventfd write/read": eventfd_case,
    "socketpair send/recv": socketpair_case,
    "epoll event (pipe)": epoll_pipe_case,
    "epoll event (eventfd)": epoll_eventfd_case,
    "epoll event (hang-up)": epoll_close_case,
    "poll (pipe)": poll_case,
    "select (socket shut down)": select_case,
}
BLOCKING = {"Lock", "Event", "Condition", "Semaphore", "pipe write/read", "eventfd write/read",
            "socketpair send/recv", "epoll event (pipe)", "epoll event (eventfd)", "epoll event (hang-up)",
            "poll (pipe)", "select (socket shut down)"}


def run_case(case: Case, order: str) -> None:
    k = Kernel()
    s = Shared(0, name="s")
    release, acquire = case(k)

    def writer() -> None:
        s.set(1)  # CASE-W
        release()

    k.threading.Thread(target=writer, name="writer").start()
    if order == "release first":
        k.time.sleep(1)  # the writer runs to its end meanwhile
        acquire()
    elif order == "acquire first":
        acquire()  # blocks until the writer's release
    else:  # "no acquire"
        k.time.sleep(1)
    assert s.get() == 1  # CASE-R
    s.set(2)


@pytest.mark.parametrize("name", list(CASES))
def test_ordered_by(name: str) -> None:
    run_case(CASES[name], "release first")
    if name in BLOCKING:
        run_case(CASES[name], "acquire first")


@pytest.mark.parametrize("name", list(CASES))
def test_races_without_the_acquire(name: str) -> None:
    with pytest.raises(DataRace) as caught:
        run_case(CASES[name], "no acquire")
    assert str(caught.value) == (
        f"data race on Shared 's': writer wrote it at {at('CASE-W')} "
        f"and MainThread read it at {at('CASE-R')} {NO_ORDER}"
    )


def test_epoll_event_for_data_written_before_the_registration_orders() -> None:
    k = Kernel()
    s = Shared(0, name="s")
    r, w = k.os.pipe()

    def writer() -> None:
        s.set(1)
        k.os.write(w, b"x")

    k.threading.Thread(target=writer).start()
    k.time.sleep(1)
    ep = k.select.epoll()
    ep.register(r, k.select.EPOLLIN)  # ready at once: no wake-up ever reaches the interest
    assert ep.poll(0) == [(r, k.select.EPOLLIN)]
    assert s.get() == 1


def test_epoll_reports_room_made_by_a_reader_as_a_message_from_it() -> None:
    # Reads release nothing into the pipe; the wake-up of the full pipe's writers does,
    # through the epoll interest it queues.
    k = Kernel()
    s = Shared(0, name="s")
    r, w = k.os.pipe()
    k.os.set_blocking(w, False)
    with pytest.raises(BlockingIOError):
        while True:
            k.os.write(w, b"x" * 4096)
    ep = k.select.epoll()
    ep.register(w, k.select.EPOLLOUT | k.select.EPOLLET)

    def reader() -> None:
        s.set(1)
        k.os.read(r, 4096)

    k.threading.Thread(target=reader).start()
    assert ep.poll(-1) == [(w, k.select.EPOLLOUT)]
    assert s.get() == 1


def test_a_write_the_reader_did_not_read_yet_still_orders_a_later_read() -> None:
    # One buffer clock per pipe (as Miri keeps it): a read acquires every write so far.
    k = Kernel()
    s = Shared(0, name="s")
    r, w = k.os.pipe()

    def writer() -> None:
        k.os.write(w, b"a")
        s.set(1)
        k.os.write(w, b"b")

    k.threading.Thread(target=writer).start()
    k.time.sleep(1)
    assert k.os.read(r, 1) == b"a"
    assert s.get() == 1


def test_what_a_thread_does_after_its_release_is_not_ordered_by_it() -> None:
    k = Kernel()
    s = Shared(0, name="s")
    ev = k.threading.Event()

    def writer() -> None:
        ev.set()
        s.set(1)  # AFTER-W: the event was already sent

    k.threading.Thread(target=writer).start()
    ev.wait()
    k.time.sleep(1)
    with pytest.raises(DataRace) as caught:
        s.get()  # AFTER-R
    assert caught.value.earlier == ("Thread-1 (writer)", "wrote", at("AFTER-W"))
    assert caught.value.later == ("MainThread", "read", at("AFTER-R"))


def test_start_orders_the_parent_before_the_child() -> None:
    k = Kernel()
    s = Shared(0, name="s")
    s.set(1)
    t = k.threading.Thread(target=lambda: s.set(s.get() + 1))
    t.start()
    t.join()
    assert s.get() == 2


def test_join_orders_the_child_before_the_joiner() -> None:
    k = Kernel()
    s = Shared(0, name="s")
    t = k.threading.Thread(target=lambda: s.set(1))
    t.start()
    t.join()
    s.set(s.get() + 1)
    assert s.get() == 2


def test_a_lock_around_every_access_keeps_two_incrementers_race_free() -> None:
    k = Kernel(schedule="random", seed=3)
    counter = Shared(0, name="counter")
    lock = k.threading.Lock()

    def worker() -> None:
        for _ in range(5):
            with lock:
                counter.set(counter.get() + 1)
            k.time.sleep(0)

    ts = [k.threading.Thread(target=worker) for _ in range(3)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    assert counter.get() == 15


# -- independent of the interleaving -------------------------------------------------


def incrementers(k: Kernel) -> int:
    counter = Shared(0, name="counter")

    def worker() -> None:
        for _ in range(3):
            counter.set(counter.get() + 1)  # INC

    ts = [k.threading.Thread(target=worker) for _ in range(2)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    return counter.get()


def test_a_race_the_default_schedule_hides_is_still_reported() -> None:
    # Threads are never preempted: under the default schedule the first worker runs all its
    # increments before the second starts, so the count would come out right. Nothing orders
    # the two workers, though, and the clocks say so whatever the interleaving.
    with pytest.raises(DataRace) as caught:
        incrementers(Kernel())
    assert str(caught.value) == (
        f"data race on Shared 'counter': Thread-1 (worker) wrote it at {at('INC')} "
        f"and Thread-2 (worker) read it at {at('INC')} {NO_ORDER}"
    )


def flag_then_pipe(k: Kernel) -> None:
    """A race only some interleavings have: the reader looks at the cell even when the
    non-blocking read found nothing, i.e. when it ran before the writer."""
    s = Shared(0, name="s")
    r, w = k.os.pipe()
    k.os.set_blocking(r, False)

    def writer() -> None:
        s.set(1)  # FLAG-W
        k.os.write(w, b"x")

    def reader() -> None:
        try:
            k.os.read(r, 1)
        except BlockingIOError:
            pass
        s.get()  # FLAG-R

    ts = [k.threading.Thread(target=writer, name="writer"), k.threading.Thread(target=reader, name="reader")]
    for t in ts:
        t.start()
    for t in ts:
        t.join()


def test_exploration_finds_a_race_the_default_schedule_does_not_have() -> None:
    flag_then_pipe(Kernel())  # writer first: the read acquires the write, no race
    result = epollsim.explore(flag_then_pipe, seeds=range(40))
    assert result.failures, "some seed must run the reader first"
    assert len(result.failures) < result.runs, "and some the writer first"
    for failure in result.failures:
        assert isinstance(failure.error, DataRace)
        # Either side first: random preempts at system calls, so the writer may be switched
        # out after its write to the cell, before the pipe write that would order them.
        assert str(failure.error) in (
            f"data race on Shared 's': reader read it at {at('FLAG-R')} "
            f"and writer wrote it at {at('FLAG-W')} {NO_ORDER}",
            f"data race on Shared 's': writer wrote it at {at('FLAG-W')} "
            f"and reader read it at {at('FLAG-R')} {NO_ORDER}",
        )
    seed = result.failures[0].seed
    with pytest.raises(DataRace):
        epollsim.run_seed(flag_then_pipe, seed)  # the replay races the same way


def test_the_report_is_deterministic() -> None:
    messages = []
    for _ in range(2):
        with pytest.raises(DataRace) as caught:
            incrementers(Kernel(seed=5, schedule="random"))
        messages.append(str(caught.value))
    assert messages[0] == messages[1]


# -- finding the kernel, and the cost ------------------------------------------------


def test_clocks_start_with_the_first_shared() -> None:
    k = Kernel()
    r, w = k.os.pipe()
    k.os.write(w, b"x")
    assert not k.sched.hb.on
    assert k.sched.main.vclock is None
    Shared(0)
    assert k.sched.hb.on


def test_a_cell_outside_every_kernel_thread_is_an_error() -> None:
    errors: list[BaseException] = []

    def elsewhere() -> None:  # a real thread: no kernel runs in it
        try:
            Shared(0)
        except epollsim.EpollsimError as exc:
            errors.append(exc)

    t = real_threading.Thread(target=elsewhere)
    t.start()
    t.join()
    assert [str(e) for e in errors] == ["epollsim.Shared must be created by a thread of a Kernel (none runs here)"]


def test_a_cell_used_by_another_kernels_thread_is_an_error() -> None:
    k1 = Kernel()
    s = Shared(0, name="s")
    k2 = Kernel()
    seen: list[BaseException] = []

    def other() -> None:
        try:
            s.get()
        except epollsim.EpollsimError as exc:
            seen.append(exc)

    t = k2.threading.Thread(target=other)
    t.start()
    t.join()
    assert [str(e) for e in seen] == ["Shared 's' used outside the threads of the kernel it belongs to"]
    del k1


def test_value_property() -> None:
    Kernel()
    s = Shared(1, name="s")
    s.value = s.value + 1
    assert s.get() == 2
    assert repr(s) == "<Shared 's': 2>"


def test_a_race_report_survives_pickling() -> None:
    import pickle

    with pytest.raises(DataRace) as caught:
        incrementers(Kernel())
    again = pickle.loads(pickle.dumps(caught.value))
    assert (str(again), again.earlier, again.later) == (str(caught.value), caught.value.earlier, caught.value.later)
