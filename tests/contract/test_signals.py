"""signal(2)/CPython's signal module: the same on the real process (main thread, handlers put
back afterwards) and on the model (docs/signals.md)."""
from __future__ import annotations

import errno
import os
import signal as _signal
import sys
import types
from typing import Any

import pytest

from epollsim.testing.backends import Backend

SIGUSR1 = _signal.SIGUSR1
SIGUSR2 = _signal.SIGUSR2


def test_getsignal_gives_cpythons_startup_handlers(backend: Backend) -> None:
    sig = backend.signal
    assert sig.getsignal(sig.SIGINT) is sig.default_int_handler is _signal.default_int_handler
    assert sig.getsignal(sig.SIGPIPE) is sig.SIG_IGN is _signal.Handlers.SIG_IGN
    assert sig.getsignal(sig.SIGXFSZ) is sig.SIG_IGN
    for signum in (sig.SIGTERM, sig.SIGUSR1, sig.SIGUSR2, sig.SIGKILL, sig.SIGSTOP, sig.SIGCHLD, sig.SIGALRM, 40):
        assert sig.getsignal(signum) is sig.SIG_DFL


def test_signal_numbers_out_of_range_are_value_errors(backend: Backend) -> None:
    sig = backend.signal
    for call in (lambda n: sig.signal(n, sig.SIG_DFL), sig.getsignal, lambda n: sig.siginterrupt(n, True)):
        for signum in (0, -1, sig.NSIG, 1000):
            with pytest.raises(ValueError, match="^signal number out of range$"):
                call(signum)
    for signum in (0, sig.NSIG):
        with pytest.raises(ValueError, match="^signal number out of range$"):
            sig.strsignal(signum)


def test_sigkill_and_sigstop_cannot_be_caught_or_ignored(backend: Backend) -> None:
    sig = backend.signal
    for signum in (sig.SIGKILL, sig.SIGSTOP):
        for handler in (sig.SIG_IGN, sig.SIG_DFL, print):
            with pytest.raises(OSError) as info:
                sig.signal(signum, handler)
            assert info.value.errno == errno.EINVAL and str(info.value) == "[Errno 22] Invalid argument"
        with pytest.raises(OSError) as info:
            sig.siginterrupt(signum, False)
        assert info.value.errno == errno.EINVAL
        assert sig.getsignal(signum) is sig.SIG_DFL


def test_a_handler_must_be_callable_or_sig_dfl_or_sig_ign(backend: Backend) -> None:
    sig = backend.signal
    for handler in (5, None, "handler", 2.5):
        with pytest.raises(TypeError) as info:
            sig.signal(SIGUSR1, handler)
        assert str(info.value) == "signal handler must be signal.SIG_IGN, signal.SIG_DFL, or a callable object"
    with pytest.raises(TypeError, match="^'str' object cannot be interpreted as an integer$"):
        sig.signal("SIGUSR1", sig.SIG_IGN)
    assert sig.signal(SIGUSR1, 1) is sig.SIG_DFL  # Lib/signal.py turns ints into Handlers
    assert sig.signal(SIGUSR1, sig.SIG_DFL) is sig.SIG_IGN


def test_signal_returns_the_previous_handler_and_getsignal_the_current(backend: Backend) -> None:
    sig = backend.signal

    def handler(signum: int, frame: Any) -> None:
        pass

    assert sig.signal(SIGUSR1, handler) is sig.SIG_DFL
    assert sig.getsignal(SIGUSR1) is handler
    assert sig.signal(sig.Signals.SIGUSR1, sig.SIG_IGN) is handler
    assert sig.getsignal(SIGUSR1) is sig.SIG_IGN
    assert sig.signal(SIGUSR1, sig.SIG_DFL) is sig.SIG_IGN


def test_raise_signal_runs_the_handler_before_returning(backend: Backend) -> None:
    sig = backend.signal
    got: list[tuple[Any, Any]] = []
    sig.signal(SIGUSR1, lambda signum, frame: got.append((signum, frame)))
    assert sig.raise_signal(SIGUSR1) is None
    assert len(got) == 1
    signum, frame = got[0]
    assert type(signum) is int and signum == SIGUSR1  # an int, not a Signals member
    assert isinstance(frame, types.FrameType)
    assert frame.f_code.co_name == "test_raise_signal_runs_the_handler_before_returning"


def test_an_exception_from_the_handler_leaves_raise_signal(backend: Backend) -> None:
    sig = backend.signal

    def handler(signum: int, frame: Any) -> None:
        raise RuntimeError(f"handled {signum}")

    sig.signal(SIGUSR2, handler)
    with pytest.raises(RuntimeError, match=f"^handled {int(SIGUSR2)}$"):
        sig.raise_signal(SIGUSR2)


def test_sigint_default_handler_raises_keyboard_interrupt(backend: Backend) -> None:
    sig = backend.signal
    with pytest.raises(KeyboardInterrupt):
        sig.raise_signal(sig.SIGINT)


def test_raise_signal_checks_its_number(backend: Backend) -> None:
    sig = backend.signal
    assert sig.raise_signal(0) is None
    for signum in (-1, sig.NSIG, 1000):
        with pytest.raises(OSError) as info:
            sig.raise_signal(signum)
        assert info.value.errno == errno.EINVAL


def test_an_ignored_signal_does_nothing(backend: Backend) -> None:
    sig, os = backend.signal, backend.os
    r, w = os.pipe()
    os.set_blocking(r, False)
    os.set_blocking(w, False)
    sig.set_wakeup_fd(w)
    sig.signal(SIGUSR1, sig.SIG_IGN)
    sig.raise_signal(SIGUSR1)
    with pytest.raises(BlockingIOError):
        os.read(r, 10)
    sig.set_wakeup_fd(-1)
    os.close(r)
    os.close(w)


def test_the_wakeup_fd_gets_the_signal_number_as_a_byte(backend: Backend) -> None:
    sig, os = backend.signal, backend.os
    r, w = os.pipe()
    os.set_blocking(w, False)
    got: list[int] = []
    sig.signal(SIGUSR1, lambda signum, frame: got.append(signum))
    sig.signal(SIGUSR2, lambda signum, frame: got.append(signum))
    assert sig.set_wakeup_fd(w) == -1
    sig.raise_signal(SIGUSR1)
    sig.raise_signal(SIGUSR2)
    assert os.read(r, 10) == bytes([SIGUSR1, SIGUSR2])
    assert got == [SIGUSR1, SIGUSR2]
    assert sig.set_wakeup_fd(-1) == w
    assert sig.set_wakeup_fd(-1) == -1
    os.close(r)
    os.close(w)


def test_set_wakeup_fd_needs_a_non_blocking_open_fd(backend: Backend) -> None:
    sig, os = backend.signal, backend.os
    r, w = os.pipe()
    with pytest.raises(ValueError) as info:
        sig.set_wakeup_fd(w)
    assert str(info.value) == f"the fd {w} must be in non-blocking mode"
    os.set_blocking(w, False)
    assert sig.set_wakeup_fd(w, warn_on_full_buffer=False) == -1
    assert sig.set_wakeup_fd(-1) == w
    os.close(r)
    os.close(w)
    for fd in (w, -5):
        with pytest.raises(OSError) as oserr:
            sig.set_wakeup_fd(fd)
        assert oserr.value.errno == errno.EBADF
    with pytest.raises(TypeError, match="^'str' object cannot be interpreted as an integer$"):
        sig.set_wakeup_fd("3")


def test_signal_and_set_wakeup_fd_only_work_in_the_main_thread(backend: Backend) -> None:
    sig = backend.signal
    errors: list[str] = []
    results: list[Any] = []

    def worker() -> None:
        for call in (lambda: sig.signal(SIGUSR1, sig.SIG_IGN), lambda: sig.set_wakeup_fd(-1)):
            try:
                call()
            except ValueError as exc:
                errors.append(str(exc))
        results.append(sig.getsignal(SIGUSR1))  # getsignal and siginterrupt work in any thread
        results.append(sig.siginterrupt(SIGUSR1, True))

    t = backend.threading.Thread(target=worker)
    t.start()
    t.join()
    assert errors == [
        "signal only works in main thread of the main interpreter",
        "set_wakeup_fd only works in main thread of the main interpreter",
    ]
    assert results == [sig.SIG_DFL, None]


def test_pthread_kill_to_the_main_thread_runs_the_handler(backend: Backend) -> None:
    sig, threading = backend.signal, backend.threading
    got: list[int] = []
    sig.signal(SIGUSR1, lambda signum, frame: got.append(signum))
    assert sig.pthread_kill(threading.get_ident(), 0) is None
    sig.pthread_kill(threading.get_ident(), SIGUSR1)
    assert got == [SIGUSR1]


def test_valid_signals_and_strsignal(backend: Backend) -> None:
    sig = backend.signal
    valid = sig.valid_signals()
    assert valid == _signal.valid_signals()
    assert len(valid) == 62 and 32 not in valid and 33 not in valid and 64 in valid
    assert sig.strsignal(sig.SIGTERM) == "Terminated"
    assert sig.strsignal(40) == "Real-time signal 6"


def test_a_blocking_read_is_interrupted_and_retried_after_the_handler(backend: Backend) -> None:
    sig, os, threading, time = backend.signal, backend.os, backend.threading, backend.time
    r, w = os.pipe()
    main = threading.get_ident()
    order: list[str] = []
    frames: list[str] = []
    sig.signal(SIGUSR1, lambda signum, frame: (order.append("handler"), frames.append(frame.f_code.co_name)))

    def sender() -> None:
        time.sleep(0.05)
        order.append("kill")
        sig.pthread_kill(main, SIGUSR1)
        time.sleep(0.05)
        order.append("write")
        os.write(w, b"data")

    t = threading.Thread(target=sender)
    t.start()
    assert os.read(r, 10) == b"data"  # EINTR, the handler, then read again (PEP 475)
    t.join()
    assert order == ["kill", "handler", "write"]
    assert frames == ["test_a_blocking_read_is_interrupted_and_retried_after_the_handler"]  # the reader's
    os.close(r)
    os.close(w)


def test_a_handler_that_raises_ends_the_blocking_read(backend: Backend) -> None:
    sig, os, threading, time = backend.signal, backend.os, backend.threading, backend.time
    r, w = os.pipe()
    main = threading.get_ident()

    def handler(signum: int, frame: Any) -> None:
        raise InterruptedError("from the handler")

    sig.signal(SIGUSR1, handler)
    t = threading.Thread(target=lambda: (time.sleep(0.05), sig.pthread_kill(main, SIGUSR1)))
    t.start()
    with pytest.raises(InterruptedError, match="^from the handler$"):
        os.read(r, 10)
    t.join()
    os.close(r)
    os.close(w)


def process_directed_signals_reach_this_thread(backend: Backend) -> None:
    """kill(getpid()) and ITIMER_REAL are process-directed: with other OS threads (pytest-xdist's),
    Linux may hand the signal to one of them, which neither interrupts this thread's sleep nor, for
    a signal it does not block, spares the process. On the real kernel such a test needs to be the
    process's only thread."""
    if not backend.is_model and len(os.listdir("/proc/self/task")) > 1:
        pytest.skip("process-directed signals need a single-threaded process on the real kernel")


def test_setitimer_sends_sigalrm_on_time_and_sleep_is_cut_short_by_a_raising_handler(backend: Backend) -> None:
    process_directed_signals_reach_this_thread(backend)
    sig, time = backend.signal, backend.time

    class Alarm(Exception):
        pass

    def handler(signum: int, frame: Any) -> None:
        raise Alarm

    sig.signal(sig.SIGALRM, handler)
    assert sig.setitimer(sig.ITIMER_REAL, 0.05) == (0.0, 0.0)
    delay, interval = sig.getitimer(sig.ITIMER_REAL)
    assert 0 < delay <= 0.05 and interval == 0.0
    start = time.monotonic_ns()
    with pytest.raises(Alarm):
        time.sleep(2)
    assert 50_000_000 <= time.monotonic_ns() - start < 1_000_000_000
    assert sig.getitimer(sig.ITIMER_REAL) == (0.0, 0.0)
    with pytest.raises(sig.ItimerError) as info:
        sig.setitimer(sig.ITIMER_REAL, -1)
    assert info.value.errno == errno.EINVAL


def test_alarm_returns_the_seconds_left_of_the_previous_alarm(backend: Backend) -> None:
    sig = backend.signal
    assert sig.alarm(100) == 0
    assert sig.alarm(0) == 100
    assert sig.alarm(0) == 0
    assert sig.getitimer(sig.ITIMER_REAL) == (0.0, 0.0)


def test_the_signal_enums_are_the_real_modules(backend: Backend) -> None:
    sig = backend.signal
    assert sig.Signals is _signal.Signals and sig.Handlers is _signal.Handlers
    assert sig.SIGTERM is _signal.SIGTERM and sig.NSIG == 65


def test_a_full_wakeup_fd_is_reported_unless_warn_on_full_buffer_is_false(
    backend: Backend, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    sig, os = backend.signal, backend.os
    reports: list[tuple[str, str, Any, Any]] = []
    monkeypatch.setattr(sys, "unraisablehook", lambda args: reports.append(
        (args.exc_type.__name__, str(args.exc_value), args.err_msg, args.object)
    ))
    r, w = os.pipe()
    os.set_blocking(w, False)
    with pytest.raises(BlockingIOError):
        while True:
            os.write(w, b"x" * 65536)
    got: list[int] = []
    sig.signal(SIGUSR1, lambda signum, frame: got.append(signum))
    sig.set_wakeup_fd(w)
    sig.raise_signal(SIGUSR1)
    sig.raise_signal(SIGUSR1)  # the report is a pending call: it has surely run by now
    assert len(reports) == 2
    message = "Exception ignored when trying to write to the signal wakeup fd"
    if sys.version_info >= (3, 12):
        assert reports[0] == ("BlockingIOError", "[Errno 11] Resource temporarily unavailable", message, None)
        assert capsys.readouterr().err == ""
    else:
        assert reports[0] == ("BlockingIOError", "[Errno 11] Resource temporarily unavailable", None, None)
        assert capsys.readouterr().err == f"{message}:\n{message}:\n"
    sig.set_wakeup_fd(w, warn_on_full_buffer=False)
    sig.raise_signal(SIGUSR1)
    assert len(reports) == 2
    assert got == [SIGUSR1] * 3
    sig.set_wakeup_fd(-1)
    os.close(r)
    os.close(w)


def test_pthread_sigmask_checks_its_arguments(backend: Backend) -> None:
    sig = backend.signal
    for bad in (0, sig.NSIG):
        with pytest.raises(ValueError) as info:
            sig.pthread_sigmask(sig.SIG_BLOCK, [bad])
        bounds = " [1; 64]" if sys.version_info >= (3, 11) else ""  # (3.11 added the range)
        assert str(info.value) == f"signal number {bad} out of range{bounds}"
    with pytest.raises(TypeError, match="^'int' object is not iterable$"):
        sig.pthread_sigmask(sig.SIG_BLOCK, 5)
    with pytest.raises(OSError) as oserr:
        sig.pthread_sigmask(7, [])
    assert oserr.value.errno == errno.EINVAL
    with pytest.warns(RuntimeWarning, match="invalid signal number 32, please use valid_signals"):
        sig.pthread_sigmask(sig.SIG_BLOCK, [32])
    assert sig.pthread_sigmask(sig.SIG_BLOCK, [sig.SIGKILL, sig.SIGSTOP, SIGUSR1]) == set()
    assert sig.pthread_sigmask(sig.SIG_UNBLOCK, [SIGUSR1]) == {sig.Signals.SIGUSR1}  # never SIGKILL
    assert sig.pthread_sigmask(sig.SIG_SETMASK, []) == set()


def test_a_blocked_signal_waits_in_sigpending_until_sigwait_takes_it(backend: Backend) -> None:
    sig = backend.signal
    got: list[int] = []
    sig.signal(SIGUSR1, lambda signum, frame: got.append(signum))
    sig.pthread_sigmask(sig.SIG_BLOCK, [SIGUSR1])
    sig.raise_signal(SIGUSR1)
    sig.raise_signal(SIGUSR1)  # a standard signal is pending once
    assert got == []
    assert sig.sigpending() == {sig.Signals.SIGUSR1}
    assert sig.sigwait([SIGUSR2, SIGUSR1]) is sig.Signals.SIGUSR1
    assert sig.sigpending() == set()
    sig.pthread_sigmask(sig.SIG_UNBLOCK, [SIGUSR1])
    assert got == []


def test_unblocking_a_pending_signal_runs_its_handler_before_pthread_sigmask_returns(backend: Backend) -> None:
    sig = backend.signal
    got: list[int] = []
    sig.signal(SIGUSR1, lambda signum, frame: got.append(signum))
    sig.signal(SIGUSR2, lambda signum, frame: got.append(signum))
    sig.pthread_sigmask(sig.SIG_BLOCK, [SIGUSR1, SIGUSR2])
    sig.raise_signal(SIGUSR2)
    sig.raise_signal(SIGUSR1)
    sig.raise_signal(SIGUSR1)
    assert sig.pthread_sigmask(sig.SIG_SETMASK, []) == {sig.Signals.SIGUSR1, sig.Signals.SIGUSR2}
    assert got == [SIGUSR1, SIGUSR2]  # once each, lowest first


def test_ignoring_a_pending_signal_discards_it(backend: Backend) -> None:
    sig = backend.signal
    sig.pthread_sigmask(sig.SIG_BLOCK, [SIGUSR2, sig.SIGCHLD])
    sig.signal(SIGUSR2, sig.SIG_IGN)
    sig.raise_signal(SIGUSR2)  # blocked signals are queued even when ignored
    sig.raise_signal(sig.SIGCHLD)
    assert sig.sigpending() == {sig.Signals.SIGUSR2, sig.Signals.SIGCHLD}
    sig.signal(SIGUSR2, lambda signum, frame: None)
    assert sig.sigpending() == {sig.Signals.SIGUSR2, sig.Signals.SIGCHLD}
    sig.signal(SIGUSR2, sig.SIG_IGN)  # do_sigaction flushes it
    sig.signal(sig.SIGCHLD, sig.SIG_DFL)  # SIGCHLD's default action ignores: flushed too
    assert sig.sigpending() == set()
    sig.pthread_sigmask(sig.SIG_SETMASK, [])


def test_sigwaitinfo_and_sigtimedwait_give_the_senders_siginfo(backend: Backend) -> None:
    import os as _os

    process_directed_signals_reach_this_thread(backend)
    sig, os = backend.signal, backend.os
    sig.pthread_sigmask(sig.SIG_BLOCK, [SIGUSR1, sig.SIGALRM])
    os.kill(_os.getpid(), SIGUSR1)
    info = sig.sigwaitinfo([SIGUSR1])
    assert isinstance(info, _signal.struct_siginfo)
    assert tuple(info) == (SIGUSR1, 0, 0, _os.getpid(), _os.getuid(), 0, _os.getpid())  # SI_USER
    sig.raise_signal(SIGUSR1)
    assert sig.sigtimedwait([SIGUSR1], 0).si_signo == SIGUSR1
    assert sig.sigtimedwait([SIGUSR1], 0) is None
    assert sig.sigtimedwait([SIGUSR1], 0.01) is None
    with pytest.raises(ValueError, match="^timeout must be non-negative$"):
        sig.sigtimedwait([SIGUSR1], -1)
    sig.setitimer(sig.ITIMER_REAL, 0.01)
    info = sig.sigwaitinfo([sig.SIGALRM])
    assert tuple(info) == (sig.SIGALRM, 0x80, 0, 0, 0, 0, 0)  # SI_KERNEL: sent by the timer
    sig.pthread_sigmask(sig.SIG_SETMASK, [])


def test_epipe_sends_sigpipe_unless_msg_nosignal(backend: Backend) -> None:
    sig, os, socket = backend.signal, backend.os, backend.socket
    got: list[Any] = []
    sig.signal(sig.SIGPIPE, lambda signum, frame: got.append(signum))
    r, w = os.pipe()
    os.close(r)
    with pytest.raises(BrokenPipeError):
        os.write(w, b"x")
    a, b = socket.socketpair()
    b.close()
    with pytest.raises(BrokenPipeError):
        a.send(b"x")
    with pytest.raises(BrokenPipeError):
        a.send(b"x", socket.MSG_NOSIGNAL)
    for _ in range(3):
        backend.time.sleep(0)  # CPython runs the handler at its next check, the model before EPIPE
    assert got == [sig.SIGPIPE, sig.SIGPIPE]
    a.close()
    os.close(w)
