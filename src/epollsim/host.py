"""Host: one simulated machine on the kernel's network, with its own process and stand-ins.

A Kernel holds one or more hosts. They share the virtual clock, the scheduler
(every green thread of every host runs under one chooser, so a whole network
run is one deterministic interleaving) and the never-reused description ids;
each has its own name, fd table and limits, and its own ``os``, ``select``,
``socket`` and ``fcntl`` stand-ins bound to that fd table. ``time`` and
``threading`` are the kernel's: one clock, one set of threads.
"""
from __future__ import annotations

from collections.abc import Iterator

from .clock import Clock
from .compat._module import on_first_use
from .compat.asyncio import AsyncioModule
from .compat.fcntl import FcntlModule
from .compat.os import OsModule
from .compat.select import SelectModule
from .compat.selectors import SelectorsModule
from .compat.socket import SocketModule
from .compat.threading import ThreadingModule
from .compat.time import TimeModule
from .net.stack import NetStack
from .patching import Patch
from .process import Process
from .sched.scheduler import Scheduler
from .syscalls import Syscalls
from .syscalls.preempt import preemptive_class


class Host:
    """One simulated machine: ``name``, a process with its fd table, and the stand-ins bound to it."""

    def __init__(
        self,
        name: str,
        clock: Clock,
        sched: Scheduler,
        fids: Iterator[int],
        time: TimeModule,
        threading: ThreadingModule,
        *,
        nofile: int,
        privileged: bool,
        max_user_watches: int,
        net: NetStack | None = None,
    ) -> None:
        self.name = name
        self.process = Process(
            clock, sched, fids, nofile=nofile, privileged=privileged, max_user_watches=max_user_watches,
            net=net,
        )
        # The host's network stack: its addresses and port tables (net/stack.py).
        self.net = net
        self.sys = Syscalls(self.process)
        if sched.preemptive:  # every system call a preemption point (syscalls/preempt.py)
            self.sys.__class__ = preemptive_class(Syscalls)
        self.os = OsModule(self.sys)
        self.select = SelectModule(self.sys)
        self.socket = SocketModule(self.sys)
        self.fcntl = FcntlModule(self.sys)
        self.time = time
        self.threading = threading

    # Made on first use (compat/_module.py): most programs never touch them.
    selectors = on_first_use(lambda host: SelectorsModule(host.select))
    asyncio = on_first_use(
        lambda host: AsyncioModule(host.socket, host.selectors, host.os, host.threading, host.time)
    )

    @property
    def addresses(self) -> tuple[str, ...]:
        """The host's own IPv4 and IPv6 addresses on the network (loopback not included)."""
        if self.net is None:
            return ()
        return (self.net.addr4, self.net.addr6)

    def patch(self, *, skip: tuple[str, ...] = ()) -> Patch:
        """A context manager making ``socket``, ``select``, ``selectors``, ``time``, ``threading``
        and ``asyncio`` this host's while it is active (patching.py); ``skip`` names more
        modules (and their submodules) whose imported names are left alone."""
        return Patch(self, skip)

    def __repr__(self) -> str:
        return f"<Host {self.name!r}>"
