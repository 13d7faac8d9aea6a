"""Escapes are loud (patch_escapes.py): a real socket or OS thread made while k.patch() is active
is reported when the patch exits, and a model thread stuck in a real blocking call (a real lock made
before the patch) is reported, naming the object and the line, by the watchdog: never a silent hang."""
from __future__ import annotations

import _socket
import _thread
import ctypes
import os
import pathlib
import queue
import socket
import threading
import time
from collections.abc import Callable

import pytest

import epollsim
from epollsim import patch_escapes
from epollsim.errors import EscapeError

# Real things saved before any patch where the patch's scan of module globals does not reach
# (a C extension's own pointers, a library's dict or closure).
REAL = {"socket": _socket.socket, "start_new_thread": _thread.start_new_thread, "close": os.close}
LIBC = ctypes.CDLL(None, use_errno=True)


@pytest.fixture
def quick_watchdog(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(patch_escapes, "WATCHDOG_SECONDS", 0.4)


def rescue_after(seconds: float, action: Callable[[], object]) -> threading.Timer:
    """A real thread, started before the patch, that ends the wait itself if the watchdog did not:
    then the test fails instead of hanging."""
    timer = threading.Timer(seconds, action)
    timer.start()
    return timer


def test_a_real_socket_made_under_the_patch_is_reported_at_exit() -> None:
    k = epollsim.Kernel()
    with pytest.raises(EscapeError, match=r"a real socket \(fd \d+, inode \d+, tcp 127\.0\.0\.1:\d+\)") as caught:
        with k.patch():
            escaped = REAL["socket"](_socket.AF_INET, _socket.SOCK_STREAM)
            escaped.bind(("127.0.0.1", 0))
            escaped.listen()  # (/proc/net/tcp lists a TCP socket once it listens or connects)
            model = socket.socket()  # the model's: not an escape
            model.close()
    escaped.close()
    assert str(caught.value).startswith("escaped the model while k.patch() was active:")
    assert str(caught.value).count("a real socket") == 1


def test_a_socket_a_c_extension_makes_is_reported() -> None:
    k = epollsim.Kernel()
    with pytest.raises(EscapeError, match=r"a real socket \(fd \d+, inode \d+, address unknown\)") as caught:
        with k.patch():
            fd = LIBC.socket(socket.AF_INET, socket.SOCK_DGRAM, 0)
            assert fd >= 0
    REAL["close"](fd)
    assert f"fd {fd}," in str(caught.value)


def test_a_real_os_thread_started_with_the_saved_real_start_new_thread_is_reported() -> None:
    running, release = _thread.allocate_lock(), _thread.allocate_lock()
    running.acquire()
    release.acquire()

    def body() -> None:
        running.release()
        release.acquire()

    k = epollsim.Kernel()
    with pytest.raises(EscapeError) as caught:
        with k.patch():
            REAL["start_new_thread"](body, ())
            running.acquire()  # (a real wait, short of the watchdog's limit)
    release.release()
    assert "a real OS thread (tid " in str(caught.value)
    assert "a real Python thread (ident " in str(caught.value)
    assert "test_patch_escapes.py:" in str(caught.value) and " in body" in str(caught.value)


def test_regular_files_model_sockets_and_model_threads_are_not_escapes(tmp_path: pathlib.Path) -> None:
    k = epollsim.Kernel()
    with k.patch():
        with open(tmp_path / "log.txt", "w") as f:
            f.write("kept real")
        a, b = socket.socketpair()
        t = threading.Thread(target=a.send, args=(b"x",))
        t.start()
        t.join()
        assert b.recv(1) == b"x"
        a.close()
        b.close()
        time.sleep(3600)
    assert (tmp_path / "log.txt").read_text() == "kept real"


def test_a_model_thread_blocked_on_a_real_lock_is_reported_with_the_object_and_the_line(
    quick_watchdog: None, capsys: pytest.CaptureFixture[str]
) -> None:
    held = threading.Lock()  # real: made before the patch
    held.acquire()
    rescue = rescue_after(10, held.release)
    k = epollsim.Kernel()
    with pytest.raises(EscapeError) as caught:
        with k.patch():
            def worker() -> None:
                held.acquire()  # THE LINE

            t = threading.Thread(target=worker, name="stuck")
            t.start()
            t.join()
    message = str(caught.value)
    line = next(i for i, text in enumerate(pathlib.Path(__file__).read_text().splitlines(), 1) if "# THE LINE" in text
                and "held.acquire()" in text)
    assert "model thread 'stuck' has been blocked for" in message
    assert "real blocking call on `held` (<locked _thread.lock object at" in message
    assert f"test_patch_escapes.py:{line} in worker" in message
    assert "epollsim watchdog: model thread 'stuck'" in capsys.readouterr().err  # said when it happened
    assert held.locked()  # as it was
    held.release()
    rescue.cancel()


def test_the_main_model_thread_on_a_real_queue_gets_the_error_at_its_line(quick_watchdog: None) -> None:
    real_queue: queue.SimpleQueue[object] = queue.SimpleQueue()  # C: its get() blocks the OS thread
    rescue = rescue_after(10, lambda: real_queue.put("rescued"))
    k = epollsim.Kernel()
    with pytest.raises(EscapeError, match=r"real blocking call on `real_queue` \(<_queue.SimpleQueue") as caught:
        with k.patch():
            real_queue.get()
    assert isinstance(caught.value.__context__, patch_escapes.RealBlockingCall)
    rescue.cancel()
    assert real_queue.empty()  # the None that woke it never reached the program


def test_a_real_rlock_held_by_another_real_thread(quick_watchdog: None) -> None:
    rlock = threading.RLock()
    taken, done = threading.Event(), threading.Event()

    def holder() -> None:
        rlock.acquire()  # (the watchdog releases it to wake the model thread: not released here)
        taken.set()
        done.wait()

    real = threading.Thread(target=holder)
    real.start()
    taken.wait()
    rescue = rescue_after(10, lambda: rlock._release_save())  # type: ignore[attr-defined]
    k = epollsim.Kernel()
    try:
        with pytest.raises(EscapeError, match=r"on `self\._rlock` \(<unlocked _thread\.RLock|on `self\._rlock` \(<locked"):
            with k.patch():
                class Holder:
                    def __init__(self) -> None:
                        self._rlock = rlock

                    def get(self) -> None:
                        with self._rlock:
                            pass

                Holder().get()
    finally:
        rescue.cancel()
        done.set()
        real.join()


def test_a_model_thread_reading_a_real_socket_made_before_the_patch(quick_watchdog: None) -> None:
    a, b = socket.socketpair()  # real
    rescue = rescue_after(10, lambda: b.send(b"!"))
    k = epollsim.Kernel()
    try:
        with pytest.raises(EscapeError, match=r"real blocking call on `a` \(<socket\.socket fd=\d+"):
            with k.patch():
                a.recv(1)
    finally:
        rescue.cancel()
        a.close()
        b.close()


def test_a_real_event_made_before_the_patch_works_between_model_threads() -> None:
    """Its Condition makes the waiter lock at wait time: the model's, so it never blocks the OS thread;
    left unset, the model reports a deadlock instead of hanging."""
    event = threading.Event()  # real
    k = epollsim.Kernel()
    with k.patch():
        setter = threading.Thread(target=lambda: (time.sleep(3), event.set()))
        setter.start()
        assert event.wait() and time.monotonic() == 1003.00005  # (timer slack)
        setter.join()
        event.clear()
        assert not event.wait(timeout=5) and time.monotonic() == 1008.0001  # (timer slack, twice)
        with pytest.raises(epollsim.Deadlock, match=r"MainThread: blocked at threading.py:\d+ in Lock.acquire\(\)"):
            event.wait()


def test_a_real_blocking_call_on_no_known_object_is_interrupted_in_the_main_thread(quick_watchdog: None) -> None:
    import select
    import signal

    if signal.getsignal(signal.SIGINT) is not signal.default_int_handler:
        pytest.skip("SIGINT has a handler of the test runner's")
    r, w = os.pipe()  # real
    saved = {"select": select.select, "write": os.write}  # held where the patch's scan does not look
    rescue = rescue_after(10, lambda: saved["write"](w, b"!"))
    k = epollsim.Kernel()
    try:
        with pytest.raises(EscapeError, match=r"real blocking call on an object outside the model at .*test_patch_escapes"
                                              r"\.py:\d+ in test_a_real_blocking_call_on_no_known_object") as caught:
            with k.patch():
                saved["select"]([r], [], [])
        assert isinstance(caught.value.__context__, (KeyboardInterrupt, patch_escapes.RealBlockingCall))
    finally:
        rescue.cancel()
        os.close(r)
        os.close(w)
