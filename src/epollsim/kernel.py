"""Kernel: the single root of all simulated state, and where the layers are wired together.

``Kernel(seed)`` is a small simulated world: a virtual clock, one scheduler of
green threads, and one or more hosts (``host.py``), each a Linux machine with
one process, its fd table and open files. The first host's raw system calls
(``k.sys``) and stand-ins for the stdlib modules (``k.os``, ``k.select``,
``k.socket``, ``k.fcntl``) are the kernel's own; ``k.time`` and
``k.threading`` are shared by all hosts. ``k.network`` (``net/network.py``)
connects the hosts' network stacks: addresses, latency, partitions, loss.
Nothing in it touches the real kernel or the real network.
"""
from __future__ import annotations

import itertools
import random
from typing import TYPE_CHECKING

from .abi.fcntl import INR_OPEN_CUR
from .abi.limits import MAX_USER_WATCHES_DEFAULT
from .clock import Clock, WallClock
from .compat._module import on_first_use
from .compat.random import Entropy
from .compat.threading import ThreadingModule
from .compat.time import TimeModule
from .host import Host
from .net.network import Network
from .patching import Patch
from .sched.choosers import Chooser, network_random
from .sched.pct import PCT
from .sched.scheduler import Scheduler
from .sched.timing import Timing
from .trace.recorder import Tracer
from .vfs.epoll import Epoll
from .vfs.file import OpenFile

if TYPE_CHECKING:
    from .compat.asyncio import AsyncioModule
    from .compat.selectors import SelectorsModule


class Kernel:
    """A deterministic simulated Linux kernel: a clock, threads, and hosts.

    ``seed`` feeds the kernel's one random generator (every later choice the
    model makes comes from it). ``schedule`` is how the next runnable green
    thread is chosen: ``"fifo"`` (round robin in wake-up order, each thread
    running until it waits), ``"random"``, ``"pct"`` / ``"pct:D"`` (PCT of bug depth D: both
    preemptive, and they choose the timing too), ``"systematic"`` /
    ``"systematic:3=1"`` (one schedule of a systematic exploration: ``sched/named.py``),
    or a chooser (``sched/choosers.py``: ``choose(n)``, and
    ``random()`` for the network's faults). ``nofile`` is each process's RLIMIT_NOFILE;
    ``privileged`` grants CAP_SYS_RESOURCE (growing pipes past
    pipe-max-size); ``max_user_watches`` bounds epoll registrations (ENOSPC).
    ``hostname`` names the first host; ``add_host`` adds more (each host gets
    the same limits). ``trace=True`` starts the trace recorder, ``k.trace``, at
    once (``k.trace.start()`` starts it later). ``latency=(lo, hi)`` is the range, in
    seconds, of the extra one-way latency each packet gets (loopback included): a
    non-default schedule chooses it per packet (default 0 to 5 us), ``fifo`` takes ``lo``
    (default none); see ``sched/timing.py``, which also says how a non-default schedule
    chooses when a timed wait ends within its slack. ``call_cost=(lo, hi)`` (seconds,
    preemptive schedules only) is what each system call, clock read and ``Thread.start``
    costs in virtual time, chosen likewise.
    """

    def __init__(
        self,
        seed: int = 0,
        *,
        schedule: str | Chooser | PCT = "fifo",
        nofile: int = INR_OPEN_CUR,
        privileged: bool = False,
        max_user_watches: int = MAX_USER_WATCHES_DEFAULT,
        hostname: str = "localhost",
        trace: bool = False,
        latency: tuple[float, float] | None = None,
        call_cost: tuple[float, float] | None = None,
    ) -> None:
        self.seed = seed
        self.random = random.Random(seed)
        # The program's randomness (compat/random.py): derived from the seed, apart from self.random,
        # so a program's own draws never change which thread runs next.
        self.entropy = Entropy(seed)
        self.clock = Clock()
        self.sched = Scheduler(self.clock, self.random, schedule)
        self._fids = itertools.count(1)
        self.time = TimeModule(self.clock, self.sched)  # time.time() reads the running thread's host's wall clock
        self.threading = ThreadingModule(self.clock, self.sched)
        self._nofile = nofile
        self._privileged = privileged
        self._max_user_watches = max_user_watches
        self.hosts: dict[str, Host] = {}
        # The trace recorder (trace/recorder.py): off, and free, until started.
        self.trace = Tracer(self.sched, self.clock, self.hosts)
        # The network between the hosts (net/network.py): addresses, latency, faults.
        self.network = Network(self.clock, network_random(schedule, self.random))
        # What the schedule chooses of the timing (sched/timing.py): each packet's extra latency,
        # where in its slack window a timed wait ends. Nothing under fifo without ``latency``.
        self.timing = Timing(schedule, self.random, latency, call_cost)
        if self.timing.jitters:
            self.network.jitter = self.timing.latency
        if self.timing.explores:
            self.clock.slack_choice = self.timing.slack
        if call_cost is not None:
            if not self.sched.preemptive:
                raise ValueError(f"call_cost needs a preemptive schedule (random, pct, a Systematic chooser), not {schedule!r}")
            self.sched.call_cost = self.timing.call_cost
        # The first host is the one the kernel's own stand-ins (k.os, k.socket...) use.
        self.localhost = self.add_host(hostname)
        self.localhost.is_first = True
        self.threading._first_host = self.localhost
        self.process = self.localhost.process
        self.sys = self.localhost.sys
        self.os = self.localhost.os
        self.select = self.localhost.select
        self.socket = self.localhost.socket
        self.fcntl = self.localhost.fcntl
        self.signal = self.localhost.signal
        self.kill = self.localhost.kill  # signals to the first host's process (Host.kill)
        if trace:
            self.trace.start()

    # The first host's, made on its first use (compat/_module.py).
    selectors: on_first_use[SelectorsModule] = on_first_use(lambda k: k.localhost.selectors)
    asyncio: on_first_use[AsyncioModule] = on_first_use(lambda k: k.localhost.asyncio)

    def add_host(self, name: str, *, address: str | None = None, address6: str | None = None,
                 clock_offset: float = 0.0, clock_drift: float = 0.0) -> Host:
        """Add a simulated machine called ``name``, with its own process, fd table and network stack.

        The host's addresses are 10.0.0.N and fd00::N (the N-th host) unless
        ``address`` (IPv4 or IPv6) and ``address6`` say otherwise; it also has
        its own loopback (127.0.0.1, ::1). Its wall clock (``time.time()``,
        ``datetime``, CLOCK_REALTIME timerfds, in its threads: ``Host.start``)
        is the kernel's plus ``clock_offset`` seconds, running ``clock_drift``
        faster (``1e-4`` gains 100 us a second; negative loses); its
        monotonic clock is everyone's.
        """
        if not isinstance(clock_offset, (int, float)) or not isinstance(clock_drift, (int, float)):
            raise TypeError("clock_offset and clock_drift are numbers of seconds and a rate")
        if not -0.5 < clock_drift < 0.5:
            raise ValueError(f"clock_drift must be between -0.5 and 0.5, not {clock_drift!r}")
        if not isinstance(name, str) or not name:
            raise ValueError(f"a host name must be a non-empty str, not {name!r}")
        if name in self.hosts:
            raise ValueError(f"there is already a host named {name!r}")
        stack = self.network.add_stack(name, address, address6)
        wall = self.time.wall if not self.hosts else WallClock(self.clock, round(clock_offset * 1e9), clock_drift)
        host = Host(
            name, self.clock, self.sched, self._fids, self.time, self.threading,
            nofile=self._nofile, privileged=self._privileged, max_user_watches=self._max_user_watches,
            net=stack, wall=wall, entropy=self.entropy,
        )
        self.hosts[name] = host
        host.hosts = self.hosts  # every host sees the others (a patch routes between them)
        self.trace.attach(host)  # only while tracing
        return host

    def host(self, name: str) -> Host:
        """The host called ``name``."""
        try:
            return self.hosts[name]
        except KeyError:
            raise KeyError(f"no host named {name!r}; hosts are {sorted(self.hosts)}") from None

    def patch(self, *, skip: tuple[str, ...] = ()) -> Patch:
        """``with k.patch():`` runs unmodified code on the first host's stand-ins: the real
        ``socket``, ``select``, ``selectors``, ``time``, ``threading``, ``signal`` and ``asyncio``
        are the model's inside the block and exactly themselves again after it (see patching.py)."""
        return self.localhost.patch(skip=skip)

    def file(self, fd: int) -> OpenFile:
        """The open file description behind ``fd`` (for inspection and tests)."""
        return self.sys.fget(fd)

    def epoll(self, fd: int) -> Epoll:
        """The epoll instance behind ``fd``."""
        file = self.sys.fget(fd)
        if not isinstance(file, Epoll):
            raise TypeError(f"fd {fd} is a {file.kind}, not an epoll")
        return file

    def describe_epoll(self, fd: int) -> str:
        """A readable dump: the interest list with masks by name, the ready list in order, and the
        threads asleep in epoll_wait on it (most recent first: the one a wake-up wakes first)."""
        from .abi.epoll import mask_name
        from .sched.thread import GreenThread

        ep = self.epoll(fd)
        lines = [f"epoll fd {fd}: {len(ep.interests)} interests, {ep.nready} ready"]
        for item in ep.interests.values():
            lines.append(f"  fd {item.fd:<4} {item.file.kind:<8} {mask_name(item.events)} data={item.data}")
        order = [item for item in ep.ready if item.rdllink]
        lines.append("  ready list: " + (", ".join(f"fd {i.fd}" for i in order) or "(empty)"))
        sleepers = []
        for entry in ep.wq.entries:
            thread = entry.private
            if isinstance(thread, GreenThread):
                timer = thread.timer
                until = f", until {timer.deadline_ns // 10**9}.{timer.deadline_ns % 10**9:09d} s" if timer else ""
                sleepers.append(f"{thread.name} (tid {thread.tid}{until})")
        lines.append("  sleepers: " + (", ".join(sleepers) or "(none)"))
        if ep.poll_wait.entries:
            lines.append(f"  watched by {len(ep.poll_wait.entries)} poll() callers or outer epolls")
        return "\n".join(lines)

    @property
    def now_ns(self) -> int:
        return self.clock.now_ns
