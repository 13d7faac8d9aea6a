"""The stand-in's os.timerfd_* against a real CPython >= 3.13, where one is installed.

This repository runs on 3.11, whose ``os`` has no timerfd functions, so the
contract tests' real backend borrows the stand-in's argument conversions
(testing/real_os.py). Here the conversions themselves are checked against
CPython's: the same calls run in a 3.13 subprocess on the host kernel and on
the model, and every outcome that does not depend on the passage of time
(an exception's type and message, errno, exact intervals) must agree.
"""
from __future__ import annotations

import json
import os
import pathlib
import shutil
import subprocess
import sys
from typing import Any

import pytest

import epollsim

CASES = r'''
def cases(os, clock_monotonic):
    class I:
        def __index__(self): return 5
    class F:
        def __float__(self): return 5.5
    class HasFileno:
        def __init__(self, fd): self.fd = fd
        def fileno(self): return self.fd
    d = os.timerfd_create(clock_monotonic, flags=os.TFD_NONBLOCK)
    r, w = os.pipe()
    closed = os.timerfd_create(clock_monotonic)
    os.close(closed)
    return [
        ("constants", lambda: (os.TFD_NONBLOCK, os.TFD_CLOEXEC, os.TFD_TIMER_ABSTIME, os.TFD_TIMER_CANCEL_ON_SET)),
        ("create bad clock", lambda: os.timerfd_create(99)),
        ("create cputime", lambda: os.timerfd_create(2)),
        ("create bad flags", lambda: os.timerfd_create(1, flags=1)),
        ("create clock str", lambda: os.timerfd_create("1")),
        ("create clock float", lambda: os.timerfd_create(1.0)),
        ("create clock huge", lambda: os.timerfd_create(2**40)),
        ("create flags huge", lambda: os.timerfd_create(1, flags=2**40)),
        ("create flags Index", lambda: os.timerfd_create(1, flags=I())),
        ("defaults", lambda: os.timerfd_settime(d)),
        ("interval round trip", lambda: (os.timerfd_settime(d, initial=100, interval=0.25)[1],
                                         os.timerfd_gettime(d)[1], os.timerfd_gettime_ns(d)[1])),
        ("interval ns round trip", lambda: (os.timerfd_settime_ns(d, initial=10**11, interval=7 * 10**9 + 1)[1],
                                            os.timerfd_settime(d)[1], os.timerfd_gettime_ns(d))),
        ("floor 1.5e-9", lambda: (os.timerfd_settime(d, initial=100, interval=1.5e-9)[1], os.timerfd_gettime_ns(d)[1])),
        ("floor 5e-10 disarms", lambda: (os.timerfd_settime(d, initial=5e-10)[1], os.timerfd_gettime_ns(d))),
        ("neg tiny", lambda: os.timerfd_settime(d, initial=-1e-10)),
        ("neg initial", lambda: os.timerfd_settime(d, initial=-1)),
        ("neg interval ns", lambda: os.timerfd_settime_ns(d, interval=-1)),
        ("ns min", lambda: os.timerfd_settime_ns(d, initial=-2**63)),
        ("ns below min", lambda: os.timerfd_settime_ns(d, initial=-2**63 - 1)),
        ("ns above max", lambda: os.timerfd_settime_ns(d, initial=2**63)),
        ("ns float", lambda: os.timerfd_settime_ns(d, initial=1.5)),
        ("ns None", lambda: os.timerfd_settime_ns(d, initial=None)),
        ("ns Index", lambda: (os.timerfd_settime_ns(d, interval=I(), initial=10**12)[1], os.timerfd_gettime_ns(d)[1])),
        ("s Index", lambda: (os.timerfd_settime(d, interval=I(), initial=1000)[1], os.timerfd_gettime_ns(d)[1])),
        ("s __float__", lambda: (os.timerfd_settime(d, interval=F(), initial=1000)[1], os.timerfd_gettime_ns(d)[1])),
        ("s str", lambda: os.timerfd_settime(d, initial="1")),
        ("s None", lambda: os.timerfd_settime(d, interval=None)),
        ("s nan", lambda: os.timerfd_settime(d, initial=float("nan"))),
        ("s inf", lambda: os.timerfd_settime(d, initial=float("-inf"))),
        ("s 1e10", lambda: os.timerfd_settime(d, initial=1e10)),
        ("s 10**400", lambda: os.timerfd_settime(d, initial=10**400)),
        ("flags 4", lambda: os.timerfd_settime(d, flags=4)),
        ("flags -1", lambda: os.timerfd_settime(d, flags=-1)),
        ("flags str", lambda: os.timerfd_settime(d, flags="1")),
        ("flags huge", lambda: os.timerfd_settime_ns(d, flags=2**40)),
        ("fd closed", lambda: os.timerfd_settime(closed, initial=1)),
        ("fd closed, bad flags", lambda: os.timerfd_settime(closed, flags=8)),
        ("fd pipe", lambda: os.timerfd_settime(r, initial=1)),
        ("fd pipe gettime", lambda: os.timerfd_gettime_ns(w)),
        ("fd negative", lambda: os.timerfd_gettime(-1)),
        ("fd str", lambda: os.timerfd_settime_ns("3")),
        ("fd float", lambda: os.timerfd_gettime(3.0)),
        ("fd huge", lambda: os.timerfd_gettime(2**40)),
        ("fd fileno", lambda: (os.timerfd_settime_ns(d, interval=3, initial=10**12)[1],
                                os.timerfd_gettime_ns(HasFileno(d))[1])),
        ("read short", lambda: os.read(d, 7)),
        ("read unexpired", lambda: (os.timerfd_settime(d, initial=100), os.read(d, 8))),
        ("read past", lambda: (os.timerfd_settime_ns(d, flags=os.TFD_TIMER_ABSTIME, initial=1)[1], os.read(d, 100),
                               os.timerfd_gettime_ns(d))),
        ("write", lambda: os.write(d, bytes(8))),
        ("inheritable", lambda: (os.get_inheritable(os.timerfd_create(clock_monotonic)),)),
    ]


def run(os, clock_monotonic):
    out = []
    for label, fn in cases(os, clock_monotonic):
        try:
            value = fn()
            out.append([label, "ok", repr(value)])
        except BaseException as exc:
            out.append([label, type(exc).__name__, str(exc), getattr(exc, "errno", None)])
    return out
'''


def _cpython313() -> str | None:
    found = os.environ.get("EPOLLSIM_PYTHON313")
    candidates = [found] if found else []
    candidates.append(shutil.which("python3.13") or "")
    pyenv = pathlib.Path.home() / ".pyenv" / "versions"
    if pyenv.is_dir():
        candidates += [str(p) for p in sorted(pyenv.glob("3.1[3-9]*/bin/python3"))]
    for exe in candidates:
        if not exe:
            continue
        try:
            probe = subprocess.run([exe, "-c", "import os; os.timerfd_create"], capture_output=True, timeout=30)
        except OSError:
            continue
        if probe.returncode == 0:
            return exe
    return None


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="timerfd is Linux's")
def test_stand_in_matches_cpython_313() -> None:
    exe = _cpython313()
    if exe is None:
        pytest.skip("no CPython >= 3.13 with os.timerfd_* found (set EPOLLSIM_PYTHON313)")
    script = CASES + "\nimport json, os, time\nprint(json.dumps(run(os, time.CLOCK_MONOTONIC)))\n"
    real = json.loads(subprocess.run([exe, "-c", script], capture_output=True, text=True, check=True,
                                     timeout=60).stdout)
    namespace: dict[str, Any] = {}
    exec(CASES, namespace)
    k = epollsim.Kernel()
    model = json.loads(json.dumps(namespace["run"](k.os, k.time.CLOCK_MONOTONIC)))
    assert model == real
