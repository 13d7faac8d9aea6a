"""Escapes are loud: what ``k.patch()`` watches while it is active, with a real OS thread of its own.

Theory of operation
-------------------
The patch replaces what Python code reaches the kernel through; it cannot
replace what a C extension calls (gRPC's core makes its own sockets and
threads), nor a real module object saved before the patch
(``real = _thread.start_new_thread``), nor a real lock made before the patch,
which a model thread can block on for good: the model runs every green thread
on one OS thread, so a real blocking call stops them all.

A ``Seal`` watches for all three, from the watchdog: a real OS thread started
at entry with the real ``_thread`` (saved here at import, before any patch).

- **Escapes.** At entry it lists the process's sockets (``/proc/self/fd``
  links ``socket:[inode]``) and OS threads (``/proc/self/task``, and the Python
  thread idents of ``sys._current_frames()``). The watchdog lists them again on
  every tick and the patch once more at exit; a socket or thread that is new
  (the watchdog's own thread excepted) is an escape, named by its fd, inode and
  address (``/proc/self/net``), or by its tid, ``comm`` and the line it runs.
  The patch raises ``EscapeError`` listing them when it exits. Regular files,
  directories and devices opened under the patch keep real fds on purpose:
  they are not escapes.
- **Real blocking calls.** On every tick the watchdog samples the patch's OS
  thread: its innermost Python frame and instruction (``sys._current_frames``)
  and its kernel state (``/proc/self/task/<tid>/stat``). The same instruction,
  sleeping ('S' or 'D'), for ``WATCHDOG_SECONDS`` of wall time means the thread
  is inside a real blocking call (a model call never sleeps in the kernel:
  virtual time jumps). The watchdog then names the object (the last
  ``name.attr`` expression on the frame's line whose value is a real lock,
  RLock, SimpleQueue or socket) and the line, prints that to stderr, and ends
  the wait: it schedules ``RealBlockingCall`` as an asynchronous exception in
  that thread (``PyThreadState_SetAsyncExc``, raised at the next instruction)
  and wakes the call: a plain lock is released, an RLock released with
  ``_release_save`` (it checks no owner), a SimpleQueue gets a ``None`` (the
  exception fires before the program sees it), a socket is shut down; for
  anything else, if the thread is the main thread and SIGINT's handler is
  Python's default, SIGINT interrupts the call (the KeyboardInterrupt is
  replaced by the report at exit). No signal handler is ever changed. The
  patch's exit raises the report if nothing else did.

The watchdog never touches the model: it reads /proc and frames, and wakes
only the real object the thread is stuck on. It uses no clock: a tick is a
timed acquire of a real lock, and "stuck for N seconds" is N/tick ticks.
"""
from __future__ import annotations

import _queue
import _socket
import _thread
import os
import signal
import sys
import threading
from types import FrameType
from typing import Any

from .errors import EscapeError

# Wall seconds a model OS thread may sit in one real blocking call before the watchdog
# reports it (tests lower it). A model call never sleeps in the real kernel.
WATCHDOG_SECONDS = 5.0

# The real functions, saved at import (the patch swaps the module attributes).
_start_new_thread = _thread.start_new_thread
_allocate_lock = _thread.allocate_lock
_get_ident = _thread.get_ident
_get_native_id = _thread.get_native_id
_listdir = os.listdir
_os_open = os.open
_os_read = os.read
_os_close = os.close
_readlink = os.readlink
_getsignal = signal.getsignal
_pthread_kill = signal.pthread_kill
_current_frames = sys._current_frames
_default_int_handler = signal.default_int_handler
_main_thread_ident = threading.main_thread().ident
_REAL_LOCK = _thread.LockType
_REAL_RLOCK = _thread.RLock
_REAL_SIMPLE_QUEUE = _queue.SimpleQueue
_REAL_SOCKET = _socket.socket
_BLOCKERS = (_REAL_LOCK, _REAL_RLOCK, _REAL_SIMPLE_QUEUE, _REAL_SOCKET)
_PACKAGE_DIR = os.path.dirname(os.path.abspath(__file__)) + os.sep
_STDLIB_DIR = os.path.dirname(os.__file__) + os.sep

_reports: list[str] = []  # the message the next RealBlockingCall carries


class RealBlockingCall(EscapeError):
    """A model thread was stuck in a real blocking call (raised in it by the watchdog)."""

    def __init__(self, *args: object) -> None:
        super().__init__(*(args or (_reports[-1] if _reports else "a real blocking call",)))


def _read(path: str) -> str:
    """A /proc file's text, through the real os calls saved at import (never the model's)."""
    fd = _os_open(path, os.O_RDONLY | os.O_CLOEXEC)
    try:
        chunks = []
        while chunk := _os_read(fd, 65536):
            chunks.append(chunk)
        return b"".join(chunks).decode("ascii", "replace")
    finally:
        _os_close(fd)


def real_sockets() -> dict[int, str]:
    """The process's real sockets: inode -> 'fd N'."""
    found: dict[int, str] = {}
    for name in _listdir("/proc/self/fd"):
        try:
            target = _readlink(f"/proc/self/fd/{name}")
        except OSError:
            continue  # closed meanwhile (or the listing's own fd)
        if target.startswith("socket:["):
            found.setdefault(int(target[8:-1]), f"fd {name}")
    return found


def os_threads() -> list[int]:
    return sorted(int(tid) for tid in _listdir("/proc/self/task"))


def _socket_address(inode: int) -> str:
    """What /proc/self/net says of the socket ``inode`` (protocol and local address)."""
    for proto in ("tcp", "tcp6", "udp", "udp6", "unix"):
        try:
            lines = _read(f"/proc/self/net/{proto}").splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            fields = line.split()
            if proto == "unix" and len(fields) >= 7 and fields[6] == str(inode):
                return f"unix {fields[7] if len(fields) > 7 else '(unnamed)'}"
            if proto != "unix" and len(fields) > 9 and fields[9] == str(inode):
                return f"{proto} {_inet_address(fields[1])}"
    return "address unknown"


def _inet_address(hex_address: str) -> str:
    host, _, port = hex_address.partition(":")
    if len(host) == 8:  # little-endian IPv4 (net/ipv4/tcp_ipv4.c get_tcp4_sock)
        host = ".".join(str(int(host[i:i + 2], 16)) for i in (6, 4, 2, 0))
    return f"{host}:{int(port, 16)}"


def _where(frame: FrameType) -> str:
    return f"{frame.f_code.co_filename}:{frame.f_lineno} in {frame.f_code.co_name}"


def _program_frame(frame: FrameType | None) -> FrameType | None:
    """The innermost frame of the program's own code (not epollsim's, not the stdlib's)."""
    while frame is not None:
        name = frame.f_code.co_filename
        if not name.startswith((_PACKAGE_DIR, _STDLIB_DIR)) and not name.startswith("<frozen"):
            return frame
        frame = frame.f_back
    return None


def blocking_object(frame: FrameType) -> tuple[str, Any] | None:
    """The real object the frame's current call blocks on: the last ``name.attr...`` expression of
    its line, up to the current instruction, whose value is a real lock, RLock, SimpleQueue or socket
    (or a method of one)."""
    import dis  # here: loaded only when a hang is reported (each module loaded costs every patch's scan)

    line = frame.f_lineno
    chains: list[list[tuple[str, str]]] = []
    current_line: int | None = None
    for ins in dis.get_instructions(frame.f_code):
        positions = getattr(ins, "positions", None)  # 3.11+: each instruction's own line
        if positions is not None and positions.lineno is not None:
            current_line = positions.lineno
        elif positions is None and ins.starts_line is not None:  # 3.10
            current_line = ins.starts_line
        if ins.offset > frame.f_lasti:
            break
        if current_line != line:
            continue
        if ins.opname in ("LOAD_FAST", "LOAD_DEREF", "LOAD_CLOSURE", "LOAD_GLOBAL", "LOAD_NAME",
                          "LOAD_FAST_CHECK", "LOAD_FAST_AND_CLEAR", "LOAD_FAST_LOAD_FAST"):
            names = ins.argval if isinstance(ins.argval, tuple) else (ins.argval,)
            for name in names:
                chains.append([(ins.opname, str(name))])
        elif ins.opname in ("LOAD_ATTR", "LOAD_METHOD") and chains:
            chains[-1] = [*chains[-1], ("attr", str(ins.argval))]
    for chain in reversed(chains):
        expression, value = _evaluate(frame, chain)
        if isinstance(getattr(value, "__self__", None), _BLOCKERS):
            expression, value = expression.rpartition(".")[0], value.__self__
        if isinstance(value, _BLOCKERS):
            return expression, value
    return None


_MISSING = object()


def _evaluate(frame: FrameType, chain: list[tuple[str, str]]) -> tuple[str, Any]:
    (op, root), *attrs = chain
    if op in ("LOAD_GLOBAL", "LOAD_NAME"):
        value = frame.f_globals.get(root, _MISSING)
        if value is _MISSING:
            value = frame.f_builtins.get(root, _MISSING)
    else:
        value = frame.f_locals.get(root, _MISSING)
    expression = root
    for _, attr in attrs:
        if value is _MISSING:
            break
        try:
            value = getattr(value, attr)
        except Exception:
            value = _MISSING
        expression += f".{attr}"
    return expression, value


class Seal:
    """What one active patch watches (see the module comment)."""

    def __init__(self, model_thread_name: Any) -> None:
        self._model_thread_name = model_thread_name  # () -> the running green thread's name
        self._ident = _get_ident()
        self._native_id = _get_native_id()
        self._sockets = real_sockets()
        self._threads = os_threads()
        self._idents = sorted(_current_frames())
        self._watchdog_tid: int | None = None
        self._watchdog_ident: int | None = None
        self.escapes: dict[str, str] = {}  # key -> description, in the order found
        self.hang: str | None = None
        self._stop = _allocate_lock()
        self._stop.acquire()
        self._stopped = _allocate_lock()
        self._stopped.acquire()
        self._started = _allocate_lock()
        self._started.acquire()
        self.seconds = WATCHDOG_SECONDS
        _start_new_thread(self._watch, ())
        self._started.acquire()  # its tid is known before anything is compared

    # -- the watchdog thread ---------------------------------------------------------

    def _watch(self) -> None:
        self._watchdog_tid = _get_native_id()
        self._watchdog_ident = _get_ident()
        self._started.release()
        tick = min(0.25, self.seconds / 5)
        limit = max(1, round(self.seconds / tick))
        last: tuple[int, int] | None = None
        same = 0
        try:
            while not self._stop.acquire(timeout=tick):
                known = len(self.escapes)
                self.scan()
                for found in list(self.escapes.values())[known:]:  # said when seen; raised at exit
                    print(f"epollsim watchdog: escaped the model: {found}", file=sys.stderr, flush=True)
                sample = self._sample()
                if sample is None or sample != last:
                    last, same = sample, 0
                    continue
                same += 1
                if same >= limit and self.hang is None:
                    self._end_hang(same * tick)
        finally:
            self._stopped.release()

    def _sample(self) -> tuple[int, int] | None:
        """(id of the frame, its instruction) while the patch's OS thread sleeps in the kernel."""
        try:
            state = _read(f"/proc/self/task/{self._native_id}/stat").rpartition(")")[2].split()[0]
        except (OSError, IndexError):
            return None
        frame = _current_frames().get(self._ident)
        if frame is None or state not in ("S", "D"):
            return None
        return id(frame), frame.f_lasti

    def _end_hang(self, seconds: float) -> None:
        frame = _current_frames().get(self._ident)
        if frame is None:
            return
        found = blocking_object(frame)
        what = f"`{found[0]}` ({found[1]!r})" if found else "an object outside the model"
        program = _program_frame(frame)
        at = _where(frame) + (f", called from {_where(program)}" if program not in (None, frame) else "")
        self.hang = (
            f"model thread {self._model_thread_name()!r} has been blocked for {seconds:.1f} s of wall time in a "
            f"real blocking call on {what} at {at}: a real lock, queue or socket (made before k.patch()) "
            "blocks the one OS thread every model thread runs on; make it inside the patch"
        )
        _reports.append(self.hang)
        print(f"epollsim watchdog: {self.hang}", file=sys.stderr, flush=True)
        obj = found[1] if found else None
        wake = None
        if isinstance(obj, _REAL_LOCK):
            wake = obj.release
        elif isinstance(obj, _REAL_RLOCK):
            wake = obj._release_save  # type: ignore[attr-defined]
        elif isinstance(obj, _REAL_SIMPLE_QUEUE):
            wake = lambda: obj.put(None)  # noqa: E731
        elif isinstance(obj, _REAL_SOCKET):
            wake = lambda: obj.shutdown(_socket.SHUT_RDWR)  # noqa: E731
        if wake is not None:
            import ctypes  # here: loaded only when a hang is reported

            # Raised at the first instruction after the woken call returns (checked on 3.10-3.13),
            # before the program sees what the wake-up gave it.
            async_exc = ctypes.pythonapi.PyThreadState_SetAsyncExc
            async_exc(ctypes.c_ulong(self._ident), ctypes.py_object(RealBlockingCall))
            try:
                wake()
                return
            except Exception:
                async_exc(ctypes.c_ulong(self._ident), None)  # not woken: take it back
        # No asynchronous exception here: raised only later, it could fire inside the patch's exit.
        if self._ident == _main_thread_ident and _getsignal(signal.SIGINT) is _default_int_handler:
            _pthread_kill(self._ident, signal.SIGINT)  # the blocked call raises KeyboardInterrupt

    # -- escapes -----------------------------------------------------------------------

    def scan(self) -> None:
        """Record sockets and OS threads that are new since entry."""
        for inode, fd in real_sockets().items():
            if inode not in self._sockets and f"socket {inode}" not in self.escapes:
                self.escapes[f"socket {inode}"] = f"a real socket ({fd}, inode {inode}, {_socket_address(inode)})"
        for tid in os_threads():
            if tid not in self._threads and tid != self._watchdog_tid and f"thread {tid}" not in self.escapes:
                try:
                    comm = _read(f"/proc/self/task/{tid}/comm").strip()
                except OSError:
                    continue
                self.escapes[f"thread {tid}"] = f"a real OS thread (tid {tid}, {comm!r})"
        for ident, frame in sorted(_current_frames().items(), key=lambda item: item[0]):
            if ident not in self._idents and ident != self._watchdog_ident and f"python {ident}" not in self.escapes:
                self.escapes[f"python {ident}"] = f"a real Python thread (ident {ident}) running {_where(frame)}"

    def close(self) -> str | None:
        """Stop the watchdog; the error to raise (escapes and a hang), or None."""
        self._stop.release()
        self._stopped.acquire()
        self.scan()
        problems = list(self.escapes.values())
        if self.hang is not None:
            problems.insert(0, self.hang)
            _reports.remove(self.hang)
        if not problems:
            return None
        return "escaped the model while k.patch() was active:\n  " + "\n  ".join(problems)
