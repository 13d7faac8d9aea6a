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
from .compat.fcntl import FcntlModule
from .compat.os import OsModule
from .compat.select import SelectModule
from .compat.socket import SocketModule
from .compat.threading import ThreadingModule
from .compat.time import TimeModule
from .process import Process
from .sched.scheduler import Scheduler
from .syscalls import Syscalls


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
    ) -> None:
        self.name = name
        self.process = Process(
            clock, sched, fids, nofile=nofile, privileged=privileged, max_user_watches=max_user_watches
        )
        self.sys = Syscalls(self.process)
        self.os = OsModule(self.sys)
        self.select = SelectModule(self.sys)
        self.socket = SocketModule(self.sys)
        self.fcntl = FcntlModule(self.sys)
        self.time = time
        self.threading = threading

    def __repr__(self) -> str:
        return f"<Host {self.name!r}>"
