"""Signals on the model: per-host handlers, delivery from other threads and timers, EINTR and
PEP 475's retry, default actions, asyncio's signal handlers, the trace, and the real process's
signal state left alone (sched/signals.py, compat/signal.py)."""
from __future__ import annotations

import signal
from typing import Any

import pytest

import epollsim
from epollsim.errors import Terminated

SIGUSR1, SIGUSR2, SIGTERM, SIGINT = signal.SIGUSR1, signal.SIGUSR2, signal.SIGTERM, signal.SIGINT


def real_handlers() -> dict[int, Any]:
    return {signum: signal.getsignal(signum) for signum in signal.valid_signals()}


def test_each_host_has_its_own_handlers() -> None:
    k = epollsim.Kernel()
    other = k.add_host("other")
    got: list[tuple[str, int]] = []
    k.signal.signal(SIGUSR1, lambda signum, frame: got.append(("localhost", signum)))
    other.signal.signal(SIGUSR1, lambda signum, frame: got.append(("other", signum)))
    other.signal.signal(SIGUSR2, signal.SIG_IGN)
    assert k.signal.getsignal(SIGUSR2) is signal.SIG_DFL
    other.kill(SIGUSR1)
    k.kill(SIGUSR1)
    other.kill(SIGUSR2)  # ignored there
    assert got == [("other", SIGUSR1), ("localhost", SIGUSR1)]
    with pytest.raises(Terminated, match="host 'localhost'"):
        k.kill(SIGUSR2)  # SIG_DFL here: terminate


def test_the_handler_runs_in_the_main_thread_when_it_next_runs() -> None:
    k = epollsim.Kernel()
    seen: list[tuple[str, float]] = []
    k.signal.signal(SIGUSR1, lambda signum, frame: seen.append((k.threading.current_thread().name, k.time.monotonic())))
    order: list[str] = []

    def sender() -> None:
        k.kill(SIGUSR1)  # the main thread is runnable, not asleep: nothing to interrupt
        order.append("sent")

    k.threading.Thread(target=sender).start()
    k.time.sleep(0)  # the sender runs; the handler runs when the main thread resumes
    order.append("main resumed")
    assert seen == [("MainThread", 1000.0)]
    assert order == ["sent", "main resumed"]


def test_a_sleep_is_interrupted_and_sleeps_the_rest_after_the_handler() -> None:
    k = epollsim.Kernel()
    at: list[float] = []
    k.signal.signal(SIGUSR1, lambda signum, frame: at.append(k.time.monotonic()))
    k.threading.Thread(target=lambda: (k.time.sleep(1), k.kill(SIGUSR1))).start()
    start = k.time.monotonic()
    k.time.sleep(5)
    assert at == pytest.approx([start + 1], abs=1e-3)  # to the ms: the sender's sleep ended 50 us late (timer slack)
    assert k.time.monotonic() == pytest.approx(start + 5, abs=1e-3)  # PEP 475: the remaining 4 s, not a new 5


def test_epoll_wait_and_select_are_retried_with_the_remaining_timeout() -> None:
    k = epollsim.Kernel()
    r, w = k.os.pipe()
    ep = k.select.epoll()
    ep.register(r, k.select.EPOLLIN)
    at: list[float] = []
    k.signal.signal(SIGUSR1, lambda signum, frame: at.append(k.time.monotonic()))
    k.threading.Thread(target=lambda: (k.time.sleep(1), k.kill(SIGUSR1))).start()
    start = k.time.monotonic()
    assert ep.poll(3) == []
    assert at == pytest.approx([start + 1], abs=1e-3) and k.time.monotonic() == pytest.approx(start + 3, abs=1e-3)
    k.threading.Thread(target=lambda: (k.time.sleep(1), k.kill(SIGUSR1))).start()
    assert k.select.select([r], [], [], 2) == ([], [], [])
    assert at[1] == pytest.approx(start + 4, abs=1e-3) and k.time.monotonic() == pytest.approx(start + 5, abs=1e-3)


def test_a_raising_handler_ends_an_epoll_wait() -> None:
    k = epollsim.Kernel()
    ep = k.select.epoll()

    def handler(signum: int, frame: Any) -> None:
        raise RuntimeError("stop waiting")

    k.signal.signal(SIGUSR1, handler)
    k.threading.Thread(target=lambda: (k.time.sleep(2), k.kill(SIGUSR1))).start()
    with pytest.raises(RuntimeError, match="stop waiting"):
        ep.poll()
    assert k.time.monotonic() == pytest.approx(1002.0, abs=1e-3)  # to the ms: the sender's sleep ended 50 us late (timer slack)


def test_sigint_from_another_thread_raises_keyboard_interrupt_in_the_blocked_main_thread() -> None:
    k = epollsim.Kernel()
    r, w = k.os.pipe()
    k.threading.Thread(target=lambda: (k.time.sleep(1), k.kill(SIGINT))).start()
    with pytest.raises(KeyboardInterrupt):
        k.os.read(r, 1)
    assert k.time.monotonic() == pytest.approx(1001.0, abs=1e-3)  # to the ms: the sender's sleep ended 50 us late (timer slack)


def test_a_default_terminate_signal_ends_the_program_with_a_report() -> None:
    k = epollsim.Kernel(hostname="server")
    r, w = k.os.pipe()
    k.threading.Thread(target=lambda: (k.time.sleep(1), k.kill(SIGTERM))).start()
    with pytest.raises(Terminated) as info:
        k.os.read(r, 1)
    assert str(info.value) == (
        "host 'server': the program was killed by signal 15 (SIGTERM): "
        "its disposition is SIG_DFL, whose default action terminates the process"
    )
    assert info.value.signum == SIGTERM and not info.value.core
    assert not isinstance(info.value, Exception)  # a program's `except Exception` cannot swallow it
    with pytest.raises(Terminated, match=r"signal 3 \(SIGQUIT\) \(core dumped\)"):
        k.kill(signal.SIGQUIT)


def test_sigkill_terminates_and_default_ignored_signals_do_nothing() -> None:
    k = epollsim.Kernel()
    for signum in (signal.SIGCHLD, signal.SIGURG, signal.SIGWINCH, signal.SIGPIPE):
        k.kill(signum)
    with pytest.raises(Terminated, match="SIGKILL"):
        k.kill(signal.SIGKILL)
    with pytest.raises(epollsim.Unsupported, match="SIGTSTP"):
        k.kill(signal.SIGTSTP)


def test_siginterrupt_false_restarts_a_read_but_never_an_epoll_wait() -> None:
    k = epollsim.Kernel()
    r, w = k.os.pipe()
    order: list[str] = []
    k.signal.signal(SIGUSR1, lambda signum, frame: order.append("handler"))
    k.signal.siginterrupt(SIGUSR1, False)  # SA_RESTART: the read sleeps on, the handler waits

    def sender() -> None:
        k.time.sleep(1)
        k.kill(SIGUSR1)
        order.append("sent")
        k.time.sleep(1)
        order.append("write")
        k.os.write(w, b"x")

    k.threading.Thread(target=sender).start()
    assert k.os.read(r, 1) == b"x"
    assert order == ["sent", "write", "handler"]
    ep = k.select.epoll()
    k.threading.Thread(target=lambda: (k.time.sleep(1), k.kill(SIGUSR1))).start()
    assert ep.poll(3) == []  # epoll_wait is never restarted: the handler runs at once
    assert order[-1] == "handler" and len(order) == 4


def test_pthread_kill_to_a_blocked_worker_retries_its_call_and_runs_the_handler_in_main() -> None:
    k = epollsim.Kernel()
    r, w = k.os.pipe()
    seen: list[str] = []
    k.signal.signal(SIGUSR1, lambda signum, frame: seen.append(k.threading.current_thread().name))
    got: list[bytes] = []
    worker = k.threading.Thread(target=lambda: got.append(k.os.read(r, 1)), name="worker")
    worker.start()
    k.time.sleep(1)  # the worker sleeps in read
    k.signal.pthread_kill(worker.ident, SIGUSR1)
    assert seen == ["MainThread"]  # handlers run in the main thread only: here, pthread_kill's check
    k.time.sleep(0)
    assert got == [] and worker.is_alive()  # the worker's read went back to sleep
    k.os.write(w, b"y")
    worker.join()
    assert got == [b"y"]
    with pytest.raises(ProcessLookupError):
        k.signal.pthread_kill(worker.ident, SIGUSR1)


def test_alarm_fires_from_the_clock_and_interrupts_the_sleeping_main_thread() -> None:
    k = epollsim.Kernel()

    class Alarm(Exception):
        pass

    def handler(signum: int, frame: Any) -> None:
        raise Alarm

    k.signal.signal(signal.SIGALRM, handler)
    k.signal.alarm(3)
    with pytest.raises(Alarm):
        k.time.sleep(10)
    assert k.time.monotonic() == 1003.0
    ticks: list[float] = []
    k.signal.signal(signal.SIGALRM, lambda signum, frame: ticks.append(k.time.monotonic()))
    k.signal.setitimer(signal.ITIMER_REAL, 0.5, 1.0)
    k.time.sleep(3)
    assert ticks == [1003.5, 1004.5, 1005.5]
    assert k.signal.setitimer(signal.ITIMER_REAL, 0) == pytest.approx((0.5, 1.0), abs=1e-3)  # (the sleep's slack)


def test_pause_waits_for_a_handled_signal() -> None:
    k = epollsim.Kernel()
    got: list[int] = []
    k.signal.signal(SIGUSR1, lambda signum, frame: got.append(signum))
    k.signal.signal(SIGUSR2, signal.SIG_IGN)

    def sender() -> None:
        k.time.sleep(1)
        k.kill(SIGUSR2)  # ignored: pause sleeps on
        k.time.sleep(1)
        k.kill(SIGUSR1)

    k.threading.Thread(target=sender).start()
    assert k.signal.pause() is None
    assert got == [SIGUSR1] and k.time.monotonic() == pytest.approx(1002.0, abs=1e-3)


def test_a_signal_is_in_the_trace() -> None:
    k = epollsim.Kernel(trace=True)
    k.signal.signal(SIGUSR1, lambda signum, frame: None)
    k.threading.Thread(target=lambda: k.kill(SIGUSR1), name="killer").start()
    k.time.sleep(1)
    k.signal.alarm(1)
    k.signal.signal(signal.SIGALRM, signal.SIG_IGN)
    k.time.sleep(2)
    lines = [line for line in k.trace.lines() if "---" in line]
    assert lines == [
        "  1000.000000000 s  MainThread@localhost  --- SIGUSR1 (10) from killer@localhost: handler ---",
        "  1002.000050000 s  MainThread@localhost  --- SIGALRM (14) from (timer): ignore ---",  # (timer slack)
    ]
    events = [e for e in k.trace.chrome()["traceEvents"] if e.get("cat") == "signal"]
    assert [(e["name"], e["args"]["from"]) for e in events] == [
        ("SIGUSR1 (10)", "killer@localhost"), ("SIGALRM (14)", "(timer)"),
    ]
    assert k.trace.svg().count('class="signal"') == 2


def test_the_same_seed_gives_the_same_trace() -> None:
    def run() -> str:
        k = epollsim.Kernel(3, schedule="random", trace=True)
        r, w = k.os.pipe()
        k.os.set_blocking(w, False)
        k.signal.set_wakeup_fd(w)
        k.signal.signal(SIGUSR1, lambda signum, frame: k.os.write(w, b"h"))
        for i in range(3):
            k.threading.Thread(target=lambda: (k.time.sleep(0.5), k.kill(SIGUSR1))).start()
        k.time.sleep(1)
        return k.trace.digest() + repr(k.os.read(r, 100))

    assert run() == run()


def test_the_patch_never_changes_the_real_processs_signal_state() -> None:
    k = epollsim.Kernel()
    before = real_handlers()
    with k.patch():
        for signum in signal.valid_signals():
            if signum not in (signal.SIGKILL, signal.SIGSTOP):
                signal.signal(signum, lambda s, f: None)
        r, w = k.os.pipe()
        k.os.set_blocking(w, False)
        assert signal.set_wakeup_fd(w) == -1
        signal.siginterrupt(SIGUSR1, False)
        signal.setitimer(signal.ITIMER_REAL, 100)
        assert signal.pthread_sigmask(signal.SIG_BLOCK, [SIGUSR1, SIGUSR2]) == set()
        k.kill(SIGUSR1)
        assert signal.sigpending() == {signal.SIGUSR1}
    assert real_handlers() == before
    assert signal.pthread_sigmask(signal.SIG_BLOCK, []) == set()  # the real mask
    assert signal.sigpending() == set()
    assert signal.set_wakeup_fd(-1) == -1  # the real wake-up fd was never set
    assert signal.getitimer(signal.ITIMER_REAL) == (0.0, 0.0)


def test_signal_only_works_in_the_host_main_thread() -> None:
    k = epollsim.Kernel()
    errors: list[str] = []

    def worker() -> None:
        try:
            k.signal.signal(SIGUSR1, signal.SIG_IGN)
        except ValueError as exc:
            errors.append(str(exc))

    k.threading.Thread(target=worker).start()
    k.time.sleep(0)
    assert errors == ["signal only works in main thread of the main interpreter"]


def test_the_default_unraisable_hook_prints_a_full_wakeup_fd(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import sys

    monkeypatch.setattr(sys, "unraisablehook", sys.__unraisablehook__)  # not pytest's
    k = epollsim.Kernel()
    r, w = k.os.pipe()
    k.os.set_blocking(w, False)
    with pytest.raises(BlockingIOError):
        while True:
            k.os.write(w, b"x" * 65536)
    k.signal.signal(SIGUSR1, lambda signum, frame: None)
    k.signal.set_wakeup_fd(w)
    k.signal.raise_signal(SIGUSR1)
    err = capsys.readouterr().err
    assert err.startswith("Exception ignored when trying to write to the signal wakeup fd:\nTraceback")
    assert err.endswith("BlockingIOError: [Errno 11] Resource temporarily unavailable\n")


def _killed_by_sigterm(k: epollsim.Kernel) -> None:
    r, w = k.os.pipe()
    k.threading.Thread(target=lambda: (k.time.sleep(1), k.kill(SIGTERM))).start()
    k.os.read(r, 1)


def test_the_runner_reports_a_program_killed_by_a_signal() -> None:
    from epollsim.tools.runner import run_one

    outcome = run_one(_killed_by_sigterm, 0)
    assert not outcome.passed
    assert outcome.kind == "Terminated"
    assert "killed by signal 15 (SIGTERM)" in outcome.message
    assert 1_001_000_001_000 <= outcome.virtual_ns <= 1_001_000_050_000  # (where in its timer slack: the seed)


def test_os_kill_of_the_own_pid_under_the_patch_reaches_the_model_only() -> None:
    import os

    k = epollsim.Kernel()
    before = real_handlers()
    got: list[int] = []
    with k.patch():
        signal.signal(SIGUSR1, lambda signum, frame: got.append(signum))
        os.kill(os.getpid(), SIGUSR1)  # the handler runs before os.kill returns
        assert got == [SIGUSR1]
        os.killpg(0, SIGUSR1)
        assert got == [SIGUSR1, SIGUSR1]
        with pytest.raises(Terminated, match="SIGTERM"):
            os.kill(0, SIGTERM)
        with pytest.raises(epollsim.Unsupported, match="another process"):
            os.kill(1, 0)
        with pytest.raises(OSError):
            os.kill(os.getpid(), 99)
    assert real_handlers() == before


def test_a_default_terminate_signal_ends_a_started_main_thread(capsys: pytest.CaptureFixture[str]) -> None:
    k = epollsim.Kernel()
    server = k.add_host("server")
    thread = server.start_main(k.time.sleep, 100)
    k.time.sleep(1)
    server.kill(signal.SIGHUP)
    thread.join()
    assert k.time.monotonic() == pytest.approx(1001.0, abs=1e-3)  # (timer slack)
    err = capsys.readouterr().err
    assert "Exception in thread server:main" in err
    assert "Terminated: host 'server': the program was killed by signal 1 (SIGHUP)" in err
    with pytest.raises(ProcessLookupError):  # the host's program has ended
        server.kill(0)


def test_a_sigwait_thread_takes_the_signals_the_main_thread_blocks() -> None:
    k = epollsim.Kernel()
    k.signal.pthread_sigmask(signal.SIG_BLOCK, [SIGTERM, signal.SIGHUP])  # SIG_DFL: would terminate
    got: list[tuple[Any, float]] = []

    def waiter() -> None:
        for _ in range(2):
            got.append((k.signal.sigwait({SIGTERM, signal.SIGHUP}), k.time.monotonic()))

    t = k.threading.Thread(target=waiter)
    t.start()
    k.time.sleep(1)
    k.kill(SIGTERM)  # pending in the process: the sigwait thread is woken and takes it
    k.time.sleep(1)
    k.kill(signal.SIGHUP)
    t.join()
    assert [(sig, round(at, 3)) for sig, at in got] == [(signal.SIGTERM, 1001.0), (signal.SIGHUP, 1002.0)]  # (timer slack)
    assert k.signal.sigpending() == set()


def test_pthread_kill_to_a_thread_blocking_the_signal_leaves_it_pending_for_that_thread() -> None:
    k = epollsim.Kernel()
    got: list[Any] = []
    ready = k.threading.Event()

    def worker() -> None:
        k.signal.pthread_sigmask(signal.SIG_BLOCK, [SIGUSR1])
        ready.set()
        got.append(k.signal.sigwait([SIGUSR1]))

    t = k.threading.Thread(target=worker)
    t.start()
    ready.wait()
    k.signal.pthread_kill(t.ident, SIGUSR1)
    assert k.signal.sigpending() == set()  # pending for the worker, not for the main thread
    t.join()
    assert got == [signal.SIGUSR1]


def test_a_blocked_signal_is_traced_as_pending() -> None:
    k = epollsim.Kernel(trace=True)
    k.signal.pthread_sigmask(signal.SIG_BLOCK, [SIGUSR1])
    k.signal.signal(SIGUSR1, lambda signum, frame: None)
    k.kill(SIGUSR1)
    k.signal.pthread_sigmask(signal.SIG_UNBLOCK, [SIGUSR1])
    assert [line.split("  ")[-1] for line in k.trace.lines() if "---" in line] == [
        "--- SIGUSR1 (10) from MainThread@localhost: pending ---",
        "--- SIGUSR1 (10) from MainThread@localhost: handler ---",
    ]


def test_a_program_that_resets_sigpipe_dies_of_a_write_to_a_closed_pipe() -> None:
    k = epollsim.Kernel()
    k.signal.signal(signal.SIGPIPE, signal.SIG_DFL)
    r, w = k.os.pipe()
    k.os.close(r)
    with pytest.raises(Terminated, match=r"signal 13 \(SIGPIPE\)"):
        k.os.write(w, b"x")
    k.signal.signal(signal.SIGPIPE, signal.SIG_IGN)
    with pytest.raises(BrokenPipeError):
        k.os.write(w, b"x")
