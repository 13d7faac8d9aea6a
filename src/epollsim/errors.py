"""The exceptions epollsim raises of its own, and the one way the model builds an errno.

What a real program could observe is an ``OSError`` carrying Linux's errno;
``OSError(code, message)`` already returns the subclass CPython would raise
(``BlockingIOError`` for EAGAIN, ``BrokenPipeError`` for EPIPE, ...).
Everything else here is epollsim's own voice: a model bug, an unmodelled call,
or a program that can never make progress.
"""
from __future__ import annotations

import errno as _errno
import os as _os


class EpollsimError(Exception):
    """Base class of the errors epollsim raises in its own name."""


class Unsupported(EpollsimError):
    """The program used something the model does not simulate.

    Raised instead of ever falling through to the host's real modules.
    """


class NotModelled(Unsupported, NotImplementedError):
    """Something the model deliberately lacks that programs probe for with
    ``except NotImplementedError`` (real processes, asyncio's child watchers): it is both an
    ``Unsupported`` and a ``NotImplementedError``, so either ``except`` catches it."""


class EscapeError(EpollsimError):
    """Something reached the real kernel under ``k.patch()``: a real socket or OS thread made
    while the patch was active (by a C extension, or a real module object saved before it), or
    a model thread stuck in a real blocking call (a real lock made before the patch)."""


class KernelBug(EpollsimError, AssertionError):
    """An invariant of the model broke: a bug in epollsim, never a program error."""


class Deadlock(EpollsimError):
    """Every thread is blocked and nothing pending can ever wake one of them."""


class DataRace(EpollsimError):
    """Two threads accessed one ``epollsim.Shared``, at least one of them writing, and
    nothing ordered the two accesses (no happens-before between them).

    ``earlier`` and ``later`` are the two accesses as (thread name, "created" /
    "wrote" / "read", "file.py:LINE"), the earlier one as the run went.
    """

    def __init__(self, message: str, earlier: tuple[str, str, str], later: tuple[str, str, str]) -> None:
        super().__init__(message)
        self.earlier = earlier
        self.later = later

    def __reduce__(self) -> tuple[type[DataRace], tuple[str, tuple[str, str, str], tuple[str, str, str]]]:
        return DataRace, (str(self), self.earlier, self.later)  # picklable (explore's worker processes)


class Terminated(BaseException):
    """A host's program was ended by a signal whose disposition is its default action, terminate
    (``host.kill(signal.SIGTERM)`` with no handler set, or SIGKILL): raised in the host's main
    thread. A ``BaseException``, as ``SystemExit`` is, so a program's ``except Exception`` does
    not swallow its own death.

    ``host`` is the host's name, ``signum`` the signal, ``core`` whether Linux would dump core.
    """

    def __init__(self, host: str, signum: int, name: str, core: bool) -> None:
        dumped = " (core dumped)" if core else ""
        super().__init__(
            f"host {host!r}: the program was killed by signal {signum} ({name}){dumped}: "
            "its disposition is SIG_DFL, whose default action terminates the process"
        )
        self.host = host
        self.signum = signum
        self.signame = name
        self.core = core

    def __reduce__(self) -> tuple[type[Terminated], tuple[str, int, str, bool]]:
        return Terminated, (self.host, self.signum, self.signame, self.core)  # picklable (pool workers)


_MESSAGES = {code: _os.strerror(code) for code in _errno.errorcode}


def oserror(code: int) -> OSError:
    """The exception a Linux system call failing with ``code`` raises in CPython."""
    return OSError(code, _MESSAGES[code])
