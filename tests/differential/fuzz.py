"""The bad-input differential fuzzer: random calls, bad arguments, the real kernel beside the model.

    python -m tests.differential.fuzz --calls 1000000 [--seed 0] [--length 40]

draws programs (``fuzz_ops.Drawer``: calls over every file kind, with wrong types, closed fds,
wrong kinds of fd, invalid flags, huge and negative numbers mixed in), runs each on the host's
kernel through the stdlib and on a fresh ``Kernel`` through its stand-ins, call by call, and
compares what each call gave: the value, or the exception's type, errno and message. A program
stops at its first divergence; the divergence is classed by (call, real outcome, model outcome),
and the first program of each class is shrunk (delta debugging: drop chunks of calls, then single
calls, while the same class of divergence still shows first) and printed.

fd numbers are compared as they are: both sides start the program with every number below ``L``
taken (the real process's own fds plus /dev/null fillers in its holes; eventfds on the model) and
allocate lowest-first, so they hand out the same numbers. Ports (ephemeral on both, but different)
are compared by order of first appearance, st_dev and st_ino by which fds share them, reprs
without their addresses, timer values to 0.1 s.

``ALLOWED`` lists the divergences that are documented limits of the model; keep it short.
"""
from __future__ import annotations

import argparse
import fcntl as _fcntl
import os as _os
import random
import re
import select as _select
import signal
import socket as _socket
import sys
import threading as _threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

if __package__:  # python -m tests.differential.fuzz
    from .fuzz_draw import Drawer
    from .fuzz_ops import CALLS, CREATES, RESTORES_NONBLOCK, Addr, Call, Fd, FStat, Port, Side, Skip
else:  # imported by the tests, with this directory on sys.path
    from fuzz_draw import Drawer
    from fuzz_ops import CALLS, CREATES, RESTORES_NONBLOCK, Addr, Call, Fd, FStat, Port, Side, Skip

from epollsim import Kernel
from epollsim.testing.backends import real_nofile
from epollsim.testing.real_os import real_os
from epollsim.testing.realsys import RealSys

Outcome = tuple[Any, ...]


def _is_open(n: int) -> bool:
    try:
        _fcntl.fcntl(n, _fcntl.F_GETFD)
    except OSError:
        return False
    return True


class RealProcess:
    """The host side: numbers below ``low`` are taken for the whole run, the rest are the programs'."""

    def __init__(self) -> None:
        self.foreign = {int(n) for n in _os.listdir("/proc/self/fd") if _is_open(int(n))}
        self.low = max(self.foreign) + 1
        self.fillers = [_os.open("/dev/null", _os.O_RDONLY | _os.O_CLOEXEC)
                        for n in range(self.low) if n not in self.foreign]
        assert all(n < self.low for n in self.fillers)
        self.os = real_os(_os, RealSys())

    def side(self) -> Side:
        return Side("real", self.os, _socket, _select, _fcntl, _threading)

    def clean(self, side: Side) -> None:
        for n in sorted(set(side.fds.values()) | set(side.epolls)):
            if n >= self.low:
                try:
                    _os.close(n)
                except OSError:
                    pass
        for n in range(self.low, self.low + 64):  # what a call made that the program did not record
            if _is_open(n):
                _os.close(n)
        for obj in side.kept:  # every number is closed now: this only marks the objects closed
            try:
                obj.close()
            except OSError:
                pass

    def close(self) -> None:
        for n in self.fillers:
            _os.close(n)


def model_side(low: int, seed: int) -> Side:
    k = Kernel(seed, nofile=real_nofile())
    while k.os.eventfd(0) < low - 1:  # the model's first number is 3
        pass
    return Side("model", k.os, k.socket, k.select, k.fcntl, k.threading)


# -- outcomes ---------------------------------------------------------------------------------------

_ADDRESS = re.compile(r" at 0x[0-9a-f]+")
_PORT_LABEL = re.compile(r"'P\d+'")


def run_call(side: Side, call: Call) -> Outcome:
    try:
        args = side.resolve(call.args)
    except Skip:
        return ("skipped",)
    try:
        value = CALLS[call.op](side, *args)
    except (KeyboardInterrupt, SystemExit):
        raise
    except BaseException as exc:  # noqa: BLE001 - every exception is an outcome to compare
        return ("raised", type(exc).__name__, getattr(exc, "errno", None), _ADDRESS.sub(" at 0x?", str(exc)))
    finally:
        if call.op in RESTORES_NONBLOCK:
            side.make_nonblocking(args[0])
    if call.op in CREATES:
        fds, value = value
        for k, n in enumerate(fds):
            side.fds[Fd(call.cid, k)] = n
            side.make_nonblocking(n)
        return ("ok", tuple(fds), normalize(side, value))
    return ("ok", normalize(side, value))


def normalize(side: Side, v: Any) -> Any:
    if isinstance(v, FStat):
        st = v.st
        dev = side.devs.setdefault(st.st_dev, f"D{len(side.devs)}")
        ino = side.inos.setdefault((st.st_dev, st.st_ino), f"I{len(side.inos)}")
        return ("stat", st.st_mode, st.st_nlink, st.st_uid, st.st_gid, st.st_size, st.st_rdev, st.st_blksize,
                dev, ino)
    if isinstance(v, tuple):
        if len(v) in (2, 4) and isinstance(v[0], str) and type(v[1]) is int and v[1] >= 1024:
            port = side.ports.setdefault(v[1], f"P{len(side.ports)}")
            return (v[0], port, *v[2:])
        return tuple(normalize(side, x) for x in v)
    if isinstance(v, list):
        return [normalize(side, x) for x in v]
    if isinstance(v, float):  # timer values: the real clock runs on between calls, the virtual one not
        return float(round(v))
    if isinstance(v, str):
        return _ADDRESS.sub(" at 0x?", v)
    if isinstance(v, bytes) and len(v) == 6 and v[:1] == b"\0":  # a unix autobind name: 5 random hex digits
        return b"\0<autobind>"
    if v is None or isinstance(v, (int, bytes)):
        return v
    return f"<{type(v).__name__} object>"  # an object passed in and handed back (select.select's lists)


def klass(o: Outcome) -> str:
    if o[0] == "raised":
        return f"{o[1]}:{o[2]}" if o[2] is not None else o[1]
    return o[0]


# -- divergences the model is allowed (documented limits), and known bugs -----------------------------

# (reason, test of (call, real outcome, model outcome)): the run goes on. Keep this list short.
ALLOWED: list[tuple[str, Callable[[Call, Outcome, Outcome], bool]]] = [
    # CPython sizes getsockname's buffer by the object's family: socket(AF_INET, fileno=<an AF_INET6
    # socket>).getsockname() decodes a truncated sockaddr_in6 (garbage flow info and scope id).
    ("getsockname through a socket object of another family",
     lambda call, real, model: call.op == "socket_on_fd" and real[0] == model[0] == "ok"
     and real[1][:2] == model[1][:2]),
    # Linux may give a connect() the ephemeral port another connection (to another destination)
    # has; the model never shares one (net/stack.py, docs/differences.md). Ports are compared by
    # order of first appearance, so from then on the labels part: the outcomes agree but for them.
    ("an ephemeral port Linux shares between connections",
     lambda call, real, model: real[0] == model[0] == "ok" and real != model
     and _PORT_LABEL.sub("P", repr(real)) == _PORT_LABEL.sub("P", repr(model))),
    # glibc's eventfd_read turns a short read into -1 and leaves errno as an earlier call left it;
    # the model says errno 0 (docs/differences.md).
    ("os.eventfd_read's short read: a stale errno",
     lambda call, real, model: call.op == "eventfd_read" and real[0] == "raised" and real[2] is not None
     and model == ("raised", "OSError", 0, "[Errno 0] Error")),
]


def allowed(call: Call, real: Outcome, model: Outcome) -> str | None:
    for reason, test in ALLOWED:
        if test(call, real, model):
            return reason
    return None


def _connects_to_a_non_listener(d: Divergence) -> bool:
    """A connect, from a bound socket, to the port of a socket not listening then (or its own)."""
    listening: set[Any] = set()
    bound: set[Any] = set()
    for c in d.program:
        if c.op == "listen":
            listening.add(c.args[0])
        elif c.op == "bind":
            bound.add(c.args[0])
        elif c.op in ("connect", "connect_ex") and isinstance(c.args[1], Addr) and isinstance(c.args[1].port, Port):
            target = c.args[1].port.fd
            if c.args[0] in bound and (target == c.args[0] or target not in listening):
                return True
    return False


def _on_socketpair(d: Divergence) -> bool:
    """The call's fd is a socketpair end (or a dup of one)."""
    pairs: set[Any] = set()
    for c in d.program:
        if c.op == "socketpair":
            pairs |= {Fd(c.cid, 0), Fd(c.cid, 1)}
        elif c.op in ("dup", "dup2", "F_DUPFD_CLOEXEC") and c.args[0] in pairs:
            pairs.add(Fd(c.cid, 0))
    return bool(d.call.args) and isinstance(d.call.args[0], Fd) and d.call.args[0] in pairs


# What the model does not simulate at all raises Unsupported naming it; docs/differences.md lists
# each of these. Such a call is a divergence that stops the program (the two sides' states part
# there: a packet-mode pipe exists on one side only) but is counted apart, not as a failure.
UNSUPPORTED = [
    "packet-mode and notification pipes are not modelled",  # pipe2(O_DIRECT)
    "AF_UNIX SOCK_SEQPACKET sockets are not modelled",
    "send flags ", "recv flags ",  # MSG_OOB on streams, MSG_WAITALL, unknown bits
    "ioctl request ", "ioctl(SIOCOUTQ) on a",  # requests other than FIONREAD and TIOCOUTQ
    "fcntl.fcntl with a buffer argument is not modelled",
    "on an inet socket is not modelled",
    "os.sendfile from a socket into a pipe (splice) is not modelled",  # sendmsg's IP-level and unknown SOL_SOCKET ancillary data
]


def _documented_unsupported(d: Divergence) -> bool:
    return d.model[:2] == ("raised", "Unsupported") and any(m in d.model[3] for m in UNSUPPORTED)


# Known model bugs, each with the item of issue 13 it is: a program that diverges this way is counted
# and stops, but does not fail the CI test. Remove an entry when the bug is fixed (all of items 1-7
# are: the fuzzer found each of them, listed here, before its fix; docs/testing.md).
def _disconnected(d: Divergence) -> bool:
    """A listen and a shutdown, or a connect that can fail (port 0 or 1, or a port of the program)."""
    ops = [c.op for c in d.program[:-1]]
    return ("listen" in ops and "shutdown" in ops) or any(
        c.op in ("connect", "connect_ex") and isinstance(c.args[1], Addr) for c in d.program[:-1])


_AFTER_A_BIG_SEND = ("ioctl", "recv", "recvfrom", "read")


def _big_send(d: Divergence) -> bool:
    """A TCP socket in the program, and a send of 64 KiB or more."""
    tcp = any(c.op == "socket" and c.args[0] in (_socket.AF_INET, _socket.AF_INET6) and c.args[1] == _socket.SOCK_STREAM
              for c in d.program)
    return tcp and any(c.op in ("send", "sendto", "write") and isinstance(c.args[1], bytes) and len(c.args[1]) >= 65507
               for c in d.program)


KNOWN: list[tuple[str, Callable[[Divergence], bool]]] = [
    ("not modelled (Unsupported, in docs/differences.md)", _documented_unsupported),
    # Found at 10^6 calls, not fixed: after one send of 64 KiB Linux leaves about 32 KiB unsent
    # (the receiver's initial window); the model sends it all at once.
    ("found by this fuzzer: TCP after a send of 64 KiB (SIOCOUTQ, how much a read gets)",
     lambda d: d.real[0] == d.model[0] == "ok" and _big_send(d) and d.call.op in _AFTER_A_BIG_SEND),
    # Found at 10^6 calls, not fixed: after tcp_disconnect (a failed connect, a listener shut for
    # reading) Linux 6.18's port bookkeeping refuses a connect (EINVAL) or a bind to the old port
    # (EADDRINUSE) that the model allows.
    # (And SIOCOUTQ of a listener made with backlog 0 and shut down: 2 on Linux, 0 in the model,
    # as files/tcp.py's ioctl says.)
    ("found by this fuzzer: connect, bind, getsockname and SIOCOUTQ after tcp_disconnect",
     lambda d: d.call.op in ("connect", "connect_ex", "bind", "getsockname", "ioctl") and _disconnected(d)
     and (d.real in (("ok", 22), ("raised", "OSError", 22, "[Errno 22] Invalid argument"))
          or d.real[:3] == ("raised", "OSError", 98) or d.call.op in ("getsockname", "ioctl") and d.real[0] == "ok")),
]


def known(d: Divergence) -> str | None:
    for reason, test in KNOWN:
        if test(d):
            return reason
    return None


# -- running, shrinking, reporting ------------------------------------------------------------------


@dataclass
class Divergence:
    call: Call
    real: Outcome
    model: Outcome
    program: list[Call]

    @property
    def key(self) -> tuple[str, str, str]:
        r, m = klass(self.real), klass(self.model)
        return (self.call.op, r, m if m != r else m + " (other value)")

    def __str__(self) -> str:
        lines = [f"{self.key[0]}: real {self.key[1]}, model {self.key[2]}"]
        lines += [f"    {c!r}" for c in self.program]
        lines += [f"  real:  {self.real!r}"[:400], f"  model: {self.model!r}"[:400]]
        return "\n".join(lines)


@dataclass
class Report:
    calls: int = 0
    programs: int = 0
    found: dict[tuple[str, str, str], Divergence] = field(default_factory=dict)
    counts: dict[tuple[str, str, str], int] = field(default_factory=dict)
    allowed: dict[str, int] = field(default_factory=dict)
    known: dict[str, int] = field(default_factory=dict)
    examples: dict[str, Divergence] = field(default_factory=dict)  # the first of each known one

    def summary(self, known_examples: bool = False) -> str:
        lines = [f"{self.calls} calls in {self.programs} programs: {len(self.found)} kinds of new divergence"]
        for key, d in self.found.items():
            lines.append(f"\n[{self.counts[key]}x] {d}")
        for reason, n in self.known.items():
            lines.append(f"known {n}x: {reason}")
            if known_examples:
                lines.append(str(self.examples[reason]))
        for reason, n in self.allowed.items():
            lines.append(f"allowed {n}x: {reason}")
        return "\n".join(lines)


REAL_CALL_LIMIT_S = 5.0


class RealCallBlocked(Exception):
    """Raised by SIGALRM in a real call that did not return within REAL_CALL_LIMIT_S."""


def _blocked(signum: int, frame: Any) -> None:
    raise RealCallBlocked(f"the real call blocked for {REAL_CALL_LIMIT_S} s")


class Fuzzer:
    def __init__(self, seed: int = 0) -> None:
        signal.signal(signal.SIGALRM, _blocked)
        self.real = RealProcess()
        self.seed = seed
        self.runs = 0  # each run's unix names are its own: f"{pid}-{run}" (fuzz_ops.UnixName)

    def run(self, program: list[Call], report: Report | None = None) -> tuple[int, Divergence | None]:
        """Run ``program`` on fresh sides; (calls made, the first divergence or None)."""
        real, model = self.real.side(), model_side(self.real.low, self.seed)
        self.runs += 1
        real.tag = model.tag = f"{_os.getpid()}-{self.runs}"
        done = 0
        try:
            for call in program:
                # A real call that blocks (a bug of the fuzzer: some fd left blocking) is cut
                # short by SIGALRM and reported as a divergence, instead of hanging the run.
                signal.setitimer(signal.ITIMER_REAL, REAL_CALL_LIMIT_S)
                try:
                    got_real = run_call(real, call)
                finally:
                    signal.setitimer(signal.ITIMER_REAL, 0)
                got_model = run_call(model, call)
                done += 1
                if got_real == got_model:
                    continue
                reason = allowed(call, got_real, got_model)
                if reason is not None:
                    if report is not None:
                        report.allowed[reason] = report.allowed.get(reason, 0) + 1
                    continue
                return done, Divergence(call, got_real, got_model, program[:done])
            return done, None
        finally:
            self.real.clean(real)

    def shrink(self, d: Divergence) -> Divergence:
        """Delta debugging: drop chunks of calls while the same kind of divergence still comes first."""
        best = d
        chunk = max(1, len(best.program) // 2)
        while chunk >= 1:
            i = 0
            while i < len(best.program) - 1:  # the divergent call itself stays
                trial = best.program[:i] + best.program[i + chunk:]
                if best.call not in trial:
                    i += chunk
                    continue
                _, got = self.run(trial)
                if got is not None and got.key == d.key:
                    best = got
                else:
                    i += chunk
            chunk //= 2
        return best

    def fuzz(self, calls: int, length: int = 40, shrink: bool = True, progress: bool = False) -> Report:
        report = Report()
        rng = random.Random(self.seed)
        drawer = Drawer(rng)
        started = time.monotonic()
        while report.calls < calls:
            program = drawer.program(min(length, calls - report.calls))
            done, d = self.run(program, report)
            report.calls += done
            report.programs += 1
            reason = known(d) if d is not None else None
            if reason is not None:
                report.known[reason] = report.known.get(reason, 0) + 1
                report.examples.setdefault(reason, d)  # type: ignore[arg-type]
            elif d is not None:
                report.counts[d.key] = report.counts.get(d.key, 0) + 1
                if d.key not in report.found:
                    report.found[d.key] = self.shrink(d) if shrink else d
                    if progress:  # at once, not only in the summary: a long run can be stopped
                        print(f"new: {report.found[d.key]}\n", file=sys.stderr, flush=True)
            if progress and report.programs % 500 == 0:
                rate = report.calls / (time.monotonic() - started)
                print(f"{report.calls} calls, {len(report.found)} kinds of divergence, {rate:.0f} calls/s",
                      file=sys.stderr, flush=True)
        return report

    def close(self) -> None:
        self.real.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--calls", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--length", type=int, default=40, help="calls per program")
    parser.add_argument("--no-shrink", action="store_true")
    parser.add_argument("--all", action="store_true", help="treat the known divergences as new ones")
    parser.add_argument("--examples", action="store_true", help="print one program for each known divergence")
    args = parser.parse_args(argv)
    if args.all:
        KNOWN.clear()
    fuzzer = Fuzzer(args.seed)
    try:
        report = fuzzer.fuzz(args.calls, args.length, shrink=not args.no_shrink, progress=True)
    finally:
        fuzzer.close()
    print(report.summary(args.examples))
    return 1 if report.found else 0


if __name__ == "__main__":
    sys.exit(main())
