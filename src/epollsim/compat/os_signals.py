"""``os.kill`` and ``os.killpg`` aimed at the host's own process (the model has no other).

The simulated process answers to the real process's ids: under ``k.patch()``
``os.getpid()`` and ``os.getpgrp()`` are the real ones, so ``os.kill(os.getpid(),
sig)`` (and pid 0, the caller's process group) sends ``sig`` to the host's
process, through its signal state (sched/signals.py), and then runs the
handlers of the calling thread's pending signals, as CPython's os.kill does
(``PyErr_CheckSignals`` after ``kill``). Any other pid would be another
process, which the model does not have: ``Unsupported``, never a real signal.
"""
from __future__ import annotations

import os as _real_os
from errno import EINVAL
from typing import Any

from ..abi.signal import NSIG
from ..errors import Unsupported, oserror
from ..sched.signals import SignalState
from ._convert import c_int, ssize_t


class OsSignalFunctions:
    """``kill`` and ``killpg`` for a stand-in ``os`` whose ``_sys`` is a host's raw layer."""

    _sys: Any

    def _own_signals(self, pid: int, own: int, call: str) -> SignalState:
        if pid not in (0, own):
            raise Unsupported(
                f"os.{call} of another process (pid {pid}) is not modelled by epollsim: "
                "the host's program is the only process"
            )
        return self._sys.proc.signals  # type: ignore[no-any-return]

    def kill(self, pid: Any, signal: Any, /) -> None:
        pid = c_int(pid)
        signum = ssize_t(signal)
        signals = self._own_signals(pid, _real_os.getpid(), "kill")
        if not 0 <= signum < NSIG:
            raise oserror(EINVAL)
        signals.kill(signum)
        signals.check()

    def killpg(self, pgid: Any, signal: Any, /) -> None:
        pgid = c_int(pgid)
        signum = c_int(signal)
        signals = self._own_signals(pgid, _real_os.getpgrp(), "killpg")
        if not 0 <= signum < NSIG:
            raise oserror(EINVAL)
        signals.kill(signum)
        signals.check()
