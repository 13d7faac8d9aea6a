"""A stand-in for ``signal``: CPython's signal module over one host's signals (sched/signals.py).

Theory of operation
-------------------
CPython (Modules/signalmodule.c) keeps, per process, a table of Python handlers
(``Handlers[i].func``: SIG_DFL, SIG_IGN, a callable, or NULL for a disposition
it did not set, which ``getsignal`` answers with None), a tripped flag per
signal, and the wake-up fd. ``signal.signal(sig, callable)`` installs the C
function ``signal_handler`` as the kernel's handler; SIG_DFL and SIG_IGN are
passed down as they are. When a signal arrives, ``signal_handler`` runs
``trip_signal``: mark the signal tripped, make the main thread's eval loop call
``PyErr_CheckSignals``, and write the signal number as one byte to the wake-up
fd (a full non-blocking fd is reported only with ``warn_on_full_buffer``).
``PyErr_CheckSignals``, in the main thread only, calls each tripped signal's
Python handler with ``(signum, frame)``; if one raises, the exception leaves the
code that was running and the rest stay tripped.

Here each host has its own copy of that state (``SignalModule``, made per
host), and ``trip_signal`` is the catcher the host's ``SignalState`` calls at
delivery. ``check_signals`` is queued on the host's main thread with the
scheduler's pending calls, so it runs when that thread next resumes, before the
call it slept in returns (CPython runs it just after), or at once when the main
thread itself sent the signal (``raise_signal``, ``pthread_kill``, ``host.kill``,
which call ``PyErr_CheckSignals`` before returning). The startup state is
CPython's: SIGINT's handler is ``default_int_handler`` (KeyboardInterrupt),
SIGPIPE and SIGXFSZ are ignored, every other signal is SIG_DFL.

``Lib/signal.py``'s wrappers (``signal``, ``getsignal``, ``valid_signals``:
enum conversions) are reproduced line for line; ``default_int_handler`` and
``strsignal`` are the real C functions (pure: they touch no process state).
The real process's handlers, wake-up fd and timers are never read or changed.
``pthread_sigmask``, ``sigpending`` and ``sigwait`` work on the host's masks
(sched/signals.py), and so do ``sigwaitinfo`` and ``sigtimedwait``. Not
modelled: ``pidfd_send_signal`` and ``setitimer``'s CPU-time timers.
"""
from __future__ import annotations

import functools
import operator
import os as _real_os
import signal as _real_signal
import sys
import traceback
import warnings
from errno import EAGAIN, ESRCH
from typing import Any, ClassVar, NamedTuple

from ..abi.fcntl import F_GETFL, O_NONBLOCK
from ..abi.signal import (
    GLIBC_RESERVED,
    NSIG,
    SIGINT,
    SIGPIPE,
    SIGXFSZ,
)
from ..errors import oserror
from ..sched.signals import SI_USER, SIG_DFL, SIG_IGN, SignalState
from ..sched.thread import DEAD
from ..syscalls import Syscalls
from ._convert import c_int, time_to_ns, unsigned_mask
from ._module import StandIn, copy_constants
from .signal_itimer import ItimerFunctions

_Signals = _real_signal.Signals
_Handlers = _real_signal.Handlers

# Frames of epollsim's own code are not the program's: a handler gets the program's frame.
_PACKAGE_DIR = _real_os.path.dirname(_real_os.path.dirname(_real_os.path.abspath(__file__))) + _real_os.sep


def _enum_to_int(value: Any) -> Any:
    """Lib/signal.py: convert an IntEnum member to a numeric value; other values pass through."""
    try:
        return int(value)
    except (ValueError, TypeError):
        return value


def _int_to_enum(value: Any, enum_klass: Any) -> Any:
    """Lib/signal.py: convert a numeric value to an IntEnum member; other values pass through."""
    if not isinstance(value, int):
        return value
    try:
        return enum_klass(value)
    except ValueError:
        return value


def signal_name(signum: int) -> str:
    """``SIGTERM``, or ``signal 40`` for one without a name."""
    try:
        return _Signals(signum).name
    except ValueError:
        return f"signal {signum}"


def _check_range(signum: int) -> None:
    if not 1 <= signum < NSIG:
        raise ValueError("signal number out of range")


def _sigset(iterable: Any) -> int:
    """_Py_Sigset_Converter: an iterable of signal numbers as a mask (bit ``1 << signum``);
    glibc's reserved 32 and 33 are left out with CPython's RuntimeWarning."""
    mask = 0
    for item in iterable:
        signum = operator.index(item)
        if not 0 < signum < NSIG:
            if sys.version_info < (3, 11):  # 3.11 added the range to the message
                raise ValueError(f"signal number {signum} out of range")
            raise ValueError(f"signal number {signum} out of range [1; {NSIG - 1}]")
        if signum in GLIBC_RESERVED:  # sigaddset fails: EINVAL
            warnings.warn(f"invalid signal number {signum}, please use valid_signals()", RuntimeWarning, stacklevel=3)
            continue
        mask |= 1 << signum
    return mask


def _siginfo(signum: int, code: int) -> Any:
    """fill_siginfo: a struct_siginfo; a signal a process sent names it (the model's process
    answers to the real pid and uid, as ``os.getpid()`` does), where si_band shares si_pid's
    place in the kernel's union; the kernel's own (SI_KERNEL) name nobody."""
    pid, uid = (_real_os.getpid(), _real_os.getuid()) if code == SI_USER else (0, 0)
    return _real_signal.struct_siginfo((signum, code, 0, pid, uid, 0, pid))


def _sigset_members(mask: int) -> list[int]:
    return [signum for signum in range(1, NSIG) if mask >> signum & 1]


def _program_frame() -> Any:
    """The innermost frame of the program (outside epollsim): the frame a handler is given."""
    frame: Any = sys._getframe(1)
    while frame is not None and frame.f_code.co_filename.startswith(_PACKAGE_DIR):
        frame = frame.f_back
    return frame


class SignalModule(ItimerFunctions, StandIn):
    """``host.signal``: handlers, the wake-up fd and signals of one host's process."""

    _mirrors = _real_signal
    # The constants set on this class after it is made (the loop below: the real module's enum members), where the
    # running CPython's module has them, declared for type checkers (tests/unit/test_typing.py
    # checks that the two lists agree).
    ITIMER_PROF: ClassVar[int]
    ITIMER_REAL: ClassVar[int]
    ITIMER_VIRTUAL: ClassVar[int]
    SIGABRT: ClassVar[_real_signal.Signals]
    SIGALRM: ClassVar[_real_signal.Signals]
    SIGBUS: ClassVar[_real_signal.Signals]
    SIGCHLD: ClassVar[_real_signal.Signals]
    SIGCLD: ClassVar[_real_signal.Signals]
    SIGCONT: ClassVar[_real_signal.Signals]
    SIGFPE: ClassVar[_real_signal.Signals]
    SIGHUP: ClassVar[_real_signal.Signals]
    SIGILL: ClassVar[_real_signal.Signals]
    SIGINT: ClassVar[_real_signal.Signals]
    SIGIO: ClassVar[_real_signal.Signals]
    SIGIOT: ClassVar[_real_signal.Signals]
    SIGKILL: ClassVar[_real_signal.Signals]
    SIGPIPE: ClassVar[_real_signal.Signals]
    SIGPOLL: ClassVar[_real_signal.Signals]
    SIGPROF: ClassVar[_real_signal.Signals]
    SIGPWR: ClassVar[_real_signal.Signals]
    SIGQUIT: ClassVar[_real_signal.Signals]
    SIGRTMAX: ClassVar[_real_signal.Signals]
    SIGRTMIN: ClassVar[_real_signal.Signals]
    SIGSEGV: ClassVar[_real_signal.Signals]
    SIGSTOP: ClassVar[_real_signal.Signals]
    SIGSYS: ClassVar[_real_signal.Signals]
    SIGTERM: ClassVar[_real_signal.Signals]
    SIGTRAP: ClassVar[_real_signal.Signals]
    SIGTSTP: ClassVar[_real_signal.Signals]
    SIGTTIN: ClassVar[_real_signal.Signals]
    SIGTTOU: ClassVar[_real_signal.Signals]
    SIGURG: ClassVar[_real_signal.Signals]
    SIGUSR1: ClassVar[_real_signal.Signals]
    SIGUSR2: ClassVar[_real_signal.Signals]
    SIGVTALRM: ClassVar[_real_signal.Signals]
    SIGWINCH: ClassVar[_real_signal.Signals]
    SIGXCPU: ClassVar[_real_signal.Signals]
    SIGXFSZ: ClassVar[_real_signal.Signals]
    SIG_BLOCK: ClassVar[_real_signal.Sigmasks]
    SIG_DFL: ClassVar[_real_signal.Handlers]
    SIG_IGN: ClassVar[_real_signal.Handlers]
    SIG_SETMASK: ClassVar[_real_signal.Sigmasks]
    SIG_UNBLOCK: ClassVar[_real_signal.Sigmasks]
    if sys.version_info >= (3, 11):
        SIGSTKFLT: ClassVar[_real_signal.Signals]

    # The enums, constants and exception of the real module: Linux's numbers, the same objects.
    Signals = _Signals
    Handlers = _Handlers
    Sigmasks = _real_signal.Sigmasks
    ItimerError = _real_signal.ItimerError
    NSIG = NSIG
    # Pure C functions touching no process state: the real ones (so getsignal(SIGINT) is
    # signal.default_int_handler, patched or not).
    default_int_handler = staticmethod(_real_signal.default_int_handler)
    strsignal = staticmethod(_real_signal.strsignal)

    def __init__(self, sys_: Syscalls) -> None:
        self._sys = sys_
        proc = sys_.proc
        self._sched = proc.sched
        self._clock = proc.clock
        self._state: SignalState = proc.signals
        self._state.names = signal_name
        # Handlers[i].func, as CPython's signal_module_exec leaves it: SIGINT's handler is
        # default_int_handler, SIGPIPE and SIGXFSZ are ignored (_PySignal_Init), every other
        # signal is SIG_DFL (absent here).
        self._handlers: dict[int, Any] = {SIGINT: _real_signal.default_int_handler, SIGPIPE: SIG_IGN, SIGXFSZ: SIG_IGN}
        self._tripped: dict[int, None] = {}  # the signals tripped and not yet handled (an ordered set)
        self._wakeup_fd = -1
        self._warn_on_full_buffer = True
        self._alarm: Any = None  # the armed ITIMER_REAL: (clock timer, interval ns)
        self._state.handlers.update({SIGINT: self._trip_signal, SIGPIPE: SIG_IGN, SIGXFSZ: SIG_IGN})

    # -- the C side: signal_handler / trip_signal, PyErr_CheckSignals -------------------------

    def _trip_signal(self, signum: int) -> None:
        """CPython's signal_handler: mark it tripped, ask the main thread to check, write the byte."""
        self._tripped[signum] = None
        self._sched.add_pending_call(self._state.main, self._check_signals)
        fd = self._wakeup_fd
        if fd != -1:
            try:
                self._sys.write(fd, bytes((signum,)))
            except OSError as exc:
                if self._warn_on_full_buffer or exc.errno != EAGAIN:
                    self._sched.add_pending_call(self._state.main, functools.partial(_report_wakeup_write_error, exc))

    def _check_signals(self) -> None:
        """_PyErr_CheckSignalsTstate: run the Python handler of each tripped signal, lowest first."""
        if not self._tripped or self._sched.current is not self._state.main:
            return
        frame = None
        for signum in range(1, NSIG):
            if signum not in self._tripped:
                continue
            del self._tripped[signum]
            func = self._handlers.get(signum, SIG_DFL)
            if func is None or (type(func) is int and func in (SIG_IGN, SIG_DFL)):
                # bpo-43406: the handler changed after the signal arrived.
                _write_unraisable(OSError(f"Signal {signum} ignored due to race condition"), None)
                continue
            if frame is None:
                frame = _program_frame()
            try:
                func(signum, frame)
            except BaseException:
                if self._tripped:  # re-schedule a check for the signals left tripped
                    self._sched.add_pending_call(self._state.main, self._check_signals)
                raise

    def _check(self) -> None:
        """PyErr_CheckSignals from the calling thread (a no-op outside the main thread)."""
        self._state.check()

    def _main_only(self, what: str) -> None:
        if self._sched.current is not self._state.main:
            raise ValueError(f"{what} only works in main thread of the main interpreter")

    # -- _signal's functions --------------------------------------------------------------

    def _signal(self, signalnum: Any, handler: Any) -> Any:
        signalnum = c_int(signalnum)
        self._main_only("signal")
        _check_range(signalnum)
        func: Any
        if callable(handler):
            func = self._trip_signal
        elif type(handler) is int and handler == SIG_IGN:
            func = SIG_IGN
        elif type(handler) is int and handler == SIG_DFL:
            func = SIG_DFL
        else:
            raise TypeError("signal handler must be signal.SIG_IGN, signal.SIG_DFL, or a callable object")
        self._check()  # "Check for pending signals before changing signal handler"
        self._state.sigaction(signalnum, func)
        old = self._handlers.get(signalnum, SIG_DFL)
        self._handlers[signalnum] = handler
        return old

    def _getsignal(self, signalnum: Any) -> Any:
        signalnum = c_int(signalnum)
        _check_range(signalnum)
        return self._handlers.get(signalnum, SIG_DFL)

    # -- Lib/signal.py's wrappers --------------------------------------------------------------

    def signal(self, signalnum: Any, handler: Any, /) -> Any:
        handler = self._signal(_enum_to_int(signalnum), _enum_to_int(handler))
        return _int_to_enum(handler, _Handlers)

    def getsignal(self, signalnum: Any, /) -> Any:
        handler = self._getsignal(_enum_to_int(signalnum))
        return _int_to_enum(handler, _Handlers)

    def valid_signals(self) -> set[Any]:
        return {_int_to_enum(x, _Signals) for x in range(1, NSIG) if x not in GLIBC_RESERVED}

    # -- masks: _signal's sigset functions, with Lib/signal.py's wrappers --------------------

    def pthread_sigmask(self, how: Any, mask: Any, /) -> set[Any]:
        how = c_int(how)
        old = self._state.sigprocmask(how, _sigset(mask))
        self._check()  # "if signals was unblocked, signal handlers have been called"
        return {_int_to_enum(x, _Signals) for x in _sigset_members(old)}

    def sigpending(self) -> set[Any]:
        return {_int_to_enum(x, _Signals) for x in _sigset_members(self._state.pending_for(self._sched.current))}

    def sigwait(self, sigset: Any, /) -> Any:
        taken = self._state.sigwait(_sigset(sigset))
        assert taken is not None  # no deadline
        return _int_to_enum(taken[0], _Signals)

    def sigwaitinfo(self, sigset: Any, /) -> Any:
        taken = self._state.sigwait(_sigset(sigset), None, "sigwaitinfo()")
        assert taken is not None  # no deadline
        return _siginfo(*taken)

    def sigtimedwait(self, sigset: Any, timeout: Any, /) -> Any:
        """The signal's struct_siginfo, or None when ``timeout`` seconds pass first (EAGAIN)."""
        mask = _sigset(sigset)
        ns = time_to_ns(timeout, 1_000_000_000)
        if ns < 0:
            raise ValueError("timeout must be non-negative")
        taken = self._state.sigwait(mask, self._clock.now_ns + ns, "sigtimedwait()")
        return None if taken is None else _siginfo(*taken)

    # -- the rest of _signal ------------------------------------------------------------------

    def set_wakeup_fd(self, fd: Any, /, *, warn_on_full_buffer: Any = True) -> int:
        fd = c_int(fd)
        warn = bool(warn_on_full_buffer)
        self._main_only("set_wakeup_fd")
        if fd != -1:
            self._sys.fstat(fd)  # _Py_fstat_noraise: EBADF
            if not self._sys.fcntl(fd, F_GETFL) & O_NONBLOCK:  # _Py_get_blocking
                raise ValueError(f"the fd {fd} must be in non-blocking mode")
        old = self._wakeup_fd
        self._wakeup_fd = fd
        self._warn_on_full_buffer = warn
        return old

    def siginterrupt(self, signalnum: Any, flag: Any, /) -> None:
        signalnum = c_int(signalnum)
        flag = c_int(flag)
        _check_range(signalnum)
        self._state.set_restart(signalnum, not flag)

    def raise_signal(self, signalnum: Any, /) -> None:
        """raise(3): the signal goes to the calling thread (tgkill), then PyErr_CheckSignals."""
        signalnum = c_int(signalnum)
        self._state.kill(signalnum, self._sched.current)
        self._check()

    def pthread_kill(self, thread_id: Any, signalnum: Any, /) -> None:
        thread_id = unsigned_mask(thread_id, 64)  # unsigned_long(bitwise=True)
        signalnum = c_int(signalnum)
        thread = self._sched.threads.get(thread_id)
        if thread is None or thread.state == DEAD:
            raise oserror(ESRCH)
        self._state.kill(signalnum, thread)
        self._check()

    def pause(self) -> None:
        """pause(2): sleep until a signal's handler runs (then its exception, if any, leaves)."""
        self._sched.block([], 0, None, "signal.pause()")
        self._check()

    def __repr__(self) -> str:
        return "<module 'signal' (epollsim)>"


class _UnraisableArgs(NamedTuple):
    """What sys.unraisablehook reads (the real UnraisableHookArgs cannot be made from Python)."""

    exc_type: type[BaseException]
    exc_value: BaseException
    exc_traceback: Any
    err_msg: str | None
    object: Any


def _write_unraisable(exc: BaseException, err_msg: str | None) -> None:
    """PyErr_WriteUnraisable: a hook the program set gets the error; else the default hook's text."""
    try:
        raise exc.with_traceback(None)
    except BaseException as raised:  # a traceback from here, as CPython's has the current frame
        exc = raised
    hook = sys.unraisablehook
    if hook is not sys.__unraisablehook__:
        hook(_UnraisableArgs(type(exc), exc, exc.__traceback__, err_msg, None))  # type: ignore[arg-type]  # a lookalike
        return
    # write_unraisable_exc_file, for an object that is None
    if err_msg is not None:
        print(f"{err_msg}:", file=sys.stderr)
    print("Traceback (most recent call last):", file=sys.stderr)
    traceback.print_tb(exc.__traceback__, file=sys.stderr)
    print(f"{type(exc).__name__}: {exc}", file=sys.stderr)


_WAKEUP_ERROR = "Exception ignored when trying to write to the signal wakeup fd"


def _report_wakeup_write_error(exc: OSError) -> None:
    """report_wakeup_write_error: the failed write of the wake-up byte, as an unraisable error
    (3.12 gave the text to the hook; before, it was printed first)."""
    if sys.version_info >= (3, 12):
        _write_unraisable(exc, _WAKEUP_ERROR)
    else:
        print(f"{_WAKEUP_ERROR}:", file=sys.stderr)
        _write_unraisable(exc, None)


# The SIG*, ITIMER_* and SIG_BLOCK... constants: the real module's enum members (Linux's numbers).
for _name, _value in vars(_real_signal).items():
    if _name.isupper() and isinstance(_value, int) and _name not in vars(SignalModule):
        setattr(SignalModule, _name, _value)
copy_constants(SignalModule, prefixes=())  # every other name of the real signal module: Unsupported
