"""threading's common surface beyond threads and locks, on both backends: local, Timer, Barrier,
BoundedSemaphore, enumerate, active_count, native ids, excepthook (phases 50 ms apart)."""
from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from epollsim.testing.backends import Backend

PHASE = 0.05


def _run(backend: Backend, fn: Any, name: str | None = None) -> Any:
    t = backend.threading.Thread(target=fn, name=name)
    t.start()
    t.join()
    return t


# -- local ----------------------------------------------------------------------------


def test_local_attributes_are_per_thread(backend: Backend) -> None:
    data = backend.threading.local()
    data.x = 1
    seen: list[Any] = []

    def other() -> None:
        seen.append(hasattr(data, "x"))
        data.x = 2
        seen.append(data.x)

    _run(backend, other)
    assert seen == [False, 2]
    assert data.x == 1
    assert data.__dict__ == {"x": 1}


def test_local_subclass_runs_init_again_in_each_thread_with_the_same_arguments(backend: Backend) -> None:
    inits: list[tuple[int, str]] = []

    class Counter(backend.threading.local):  # type: ignore[name-defined,misc]
        def __init__(self, start: int) -> None:
            self.value = start
            inits.append((start, backend.threading.current_thread().name))

        def bump(self) -> int:
            self.value += 1
            return int(self.value)

    counter = Counter(10)
    assert counter.bump() == 11
    got: list[int] = []
    _run(backend, lambda: got.extend([counter.bump(), counter.bump()]), name="worker")
    assert got == [11, 12]
    assert counter.value == 11
    assert inits == [(10, "MainThread"), (10, "worker")]


def test_local_errors_match_the_stdlib(backend: Backend) -> None:
    local = backend.threading.local
    with pytest.raises(TypeError, match="^Initialization arguments are not supported$"):
        local(1)
    data = local()
    with pytest.raises(AttributeError, match="^'_thread._local' object has no attribute 'x'$"):
        data.x  # noqa: B018
    with pytest.raises(AttributeError, match="^'_thread._local' object attribute '__dict__' is read-only$"):
        data.__dict__ = {}
    with pytest.raises(AttributeError, match="^'_thread._local' object attribute '__dict__' is read-only$"):
        del data.__dict__
    assert repr(local) == "<class '_thread._local'>"

    class Plain(local):  # type: ignore[valid-type,misc]
        pass

    with pytest.raises(TypeError, match="^Initialization arguments are not supported$"):
        Plain(x=1)
    with pytest.raises(AttributeError, match="^'Plain' object attribute '__dict__' is read-only$"):
        Plain().__dict__ = {}


# -- Timer ----------------------------------------------------------------------------


def test_timer_calls_the_function_after_the_interval_in_its_own_thread(backend: Backend) -> None:
    calls: list[tuple[tuple[Any, ...], dict[str, Any], bool]] = []
    main = backend.threading.current_thread()

    def fire(*args: Any, **kwargs: Any) -> None:
        calls.append((args, kwargs, backend.threading.current_thread() is timer))

    timer = backend.threading.Timer(4 * PHASE, fire, args=(1, 2), kwargs={"k": 3})
    assert isinstance(timer, backend.threading.Thread)
    t0 = backend.time.monotonic()
    timer.start()
    backend.time.sleep(PHASE)
    assert calls == []
    timer.join()
    assert calls == [((1, 2), {"k": 3}, True)]
    assert backend.time.monotonic() - t0 >= 4 * PHASE
    assert timer.finished.is_set() and not timer.is_alive()
    assert backend.threading.current_thread() is main


def test_a_cancelled_timer_never_calls_its_function(backend: Backend) -> None:
    calls: list[int] = []
    timer = backend.threading.Timer(PHASE, calls.append, args=[1])
    timer.start()
    timer.cancel()
    timer.join()
    backend.time.sleep(2 * PHASE)
    assert calls == [] and timer.finished.is_set()
    early = backend.threading.Timer(PHASE, calls.append, args=[2])
    early.cancel()  # cancelled before it even starts
    early.start()
    early.join()
    assert calls == []


# -- enumerate, active_count, identities -------------------------------------------------


def test_enumerate_and_active_count_follow_threads_that_start_and_end(backend: Backend) -> None:
    before = backend.threading.active_count()
    assert backend.threading.main_thread() in backend.threading.enumerate()
    go = backend.threading.Event()
    t = backend.threading.Thread(target=go.wait, name="waiter")
    assert t not in backend.threading.enumerate()
    t.start()
    assert t in backend.threading.enumerate()
    assert backend.threading.active_count() == before + 1
    go.set()
    t.join()
    assert t not in backend.threading.enumerate()
    assert backend.threading.active_count() == before == len(backend.threading.enumerate())


def test_native_ids_are_per_thread(backend: Backend) -> None:
    seen: list[int] = []
    t = backend.threading.Thread(target=lambda: seen.append(backend.threading.get_native_id()))
    assert t.native_id is None
    t.start()
    t.join()
    assert seen == [t.native_id]
    assert backend.threading.get_native_id() == backend.threading.main_thread().native_id != t.native_id


def test_a_thread_can_be_renamed(backend: Backend) -> None:
    names: list[str] = []
    t = backend.threading.Thread(target=lambda: names.append(backend.threading.current_thread().name), name="a")
    t.name = "b"
    t.start()
    t.join()
    assert names == ["b"] and t.name == "b"


def test_unnamed_threads_are_numbered_and_carry_their_targets_name(backend: Backend) -> None:
    import re

    def worker() -> None:
        pass

    named_by_target = backend.threading.Thread(target=worker)
    plain = backend.threading.Thread()
    empty = backend.threading.Thread(target=worker, name="")
    first = int(re.fullmatch(r"Thread-(\d+) \(worker\)", named_by_target.name).group(1))  # type: ignore[union-attr]
    # One counter for the process: each unnamed thread takes the next number, at creation.
    assert plain.name == f"Thread-{first + 1}"
    assert empty.name == f"Thread-{first + 2} (worker)"
    assert repr(plain) == f"<Thread(Thread-{first + 1}, initial)>"


# -- excepthook ------------------------------------------------------------------------


@pytest.fixture
def restore_excepthook(backend: Backend) -> Iterator[None]:
    hook = backend.threading.excepthook
    yield
    backend.threading.excepthook = hook


def test_an_uncaught_exception_goes_to_excepthook(backend: Backend, restore_excepthook: None) -> None:
    got: list[tuple[Any, ...]] = []
    backend.threading.excepthook = lambda args: got.append(
        (args.exc_type, str(args.exc_value), args.exc_traceback is not None, args.thread)
    )

    def boom() -> None:
        raise ValueError("boom")

    t = _run(backend, boom, name="worker")
    assert got == [(ValueError, "boom", True, t)]
    assert not t.is_alive()


def test_the_default_excepthook_prints_the_thread_name_and_traceback(
    backend: Backend, restore_excepthook: None, capsys: pytest.CaptureFixture[str]
) -> None:
    backend.threading.excepthook = backend.threading.__excepthook__  # pytest installs its own

    def boom() -> None:
        raise KeyError("nope")

    _run(backend, boom, name="worker")
    err = capsys.readouterr().err
    assert err.startswith("Exception in thread worker:\nTraceback (most recent call last):\n")
    assert err.endswith("KeyError: 'nope'\n")
    _run(backend, lambda: exec("raise SystemExit(3)"))  # SystemExit ends a thread silently
    assert capsys.readouterr().err == ""


def test_a_failing_excepthook_is_reported_through_sys_excepthook(
    backend: Backend, restore_excepthook: None, capsys: pytest.CaptureFixture[str]
) -> None:
    def bad_hook(args: Any) -> None:
        raise RuntimeError("hook failed")

    backend.threading.excepthook = bad_hook
    _run(backend, lambda: 1 / 0)
    err = capsys.readouterr().err
    assert err.startswith("Exception in threading.excepthook:\nTraceback (most recent call last):\n")
    assert err.endswith("RuntimeError: hook failed\n")


# -- Barrier, BoundedSemaphore -----------------------------------------------------------


def test_barrier_releases_all_parties_together_and_runs_the_action_once(backend: Backend) -> None:
    actions: list[str] = []
    barrier = backend.threading.Barrier(3, action=lambda: actions.append("go"))
    indices: list[int] = []
    threads = [backend.threading.Thread(target=lambda: indices.append(barrier.wait())) for _ in range(2)]
    for t in threads:
        t.start()
    for _ in range(100):  # until both wait (at most 5 s)
        if barrier.n_waiting == 2:
            break
        backend.time.sleep(PHASE)
    backend.time.sleep(PHASE)
    assert indices == [] and barrier.n_waiting == 2 and actions == []
    indices.append(barrier.wait())
    for t in threads:
        t.join()
    assert sorted(indices) == [0, 1, 2] and actions == ["go"]
    assert barrier.n_waiting == 0 and barrier.parties == 3 and not barrier.broken


def test_a_barrier_wait_that_times_out_breaks_the_barrier(backend: Backend) -> None:
    barrier = backend.threading.Barrier(2)
    with pytest.raises(backend.threading.BrokenBarrierError):
        barrier.wait(timeout=PHASE)
    assert barrier.broken
    with pytest.raises(backend.threading.BrokenBarrierError):
        barrier.wait()
    barrier.reset()
    assert not barrier.broken
    barrier.abort()
    assert barrier.broken


def test_an_abort_wakes_a_waiting_party_with_broken_barrier_error(backend: Backend) -> None:
    barrier = backend.threading.Barrier(2)
    got: list[str] = []

    def party() -> None:
        try:
            barrier.wait()
        except backend.threading.BrokenBarrierError:
            got.append("broken")

    t = backend.threading.Thread(target=party)
    t.start()
    backend.time.sleep(PHASE)
    barrier.abort()
    t.join()
    assert got == ["broken"]


def test_bounded_semaphore_refuses_to_go_above_its_initial_value(backend: Backend) -> None:
    sem = backend.threading.BoundedSemaphore(2)
    assert isinstance(sem, backend.threading.Semaphore)
    assert sem.acquire()
    sem.release()
    with pytest.raises(ValueError, match="^Semaphore released too many times$"):
        sem.release()
    assert sem.acquire() and sem.acquire() and not sem.acquire(blocking=False)
    with pytest.raises(ValueError, match="^Semaphore released too many times$"):
        sem.release(3)
    sem.release(2)


# -- the lock types ---------------------------------------------------------------------


def test_lock_and_rlock_are_types_of_thread(backend: Backend) -> None:
    """CPython's Lock and RLock are C types of ``_thread``; trio asserts RLock's module is "_thread"
    (its entry queue needs the signal-safe C RLock)."""
    assert type(backend.threading.RLock()).__module__ == "_thread"
    assert type(backend.threading.Lock()).__module__ == "_thread"
