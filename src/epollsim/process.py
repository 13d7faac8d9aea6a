"""One simulated process: its fd table, its signals and the credentials the kernel checks."""
from __future__ import annotations

from collections.abc import Iterator

from .clock import Clock, WallClock
from .files.null import NullDevice
from .net.stack import NetStack
from .sched.scheduler import Scheduler
from .sched.signals import SignalState
from .vfs.epoll import EpollUser
from .vfs.fdtable import FdTable

PID = 100  # the simulated process's pid on every host


class Process:
    __slots__ = ("clock", "epoll_user", "fdtable", "fids", "gid", "net", "pid", "privileged", "sched", "signals",
                 "uid", "wall")

    def __init__(
        self,
        clock: Clock,
        sched: Scheduler,
        fids: Iterator[int],
        *,
        nofile: int,
        privileged: bool,
        max_user_watches: int,
        net: NetStack | None = None,
        wall: WallClock | None = None,
    ) -> None:
        self.clock = clock
        self.wall = wall if wall is not None else WallClock(clock)  # the host's CLOCK_REALTIME
        self.sched = sched  # its threads
        self.fids = fids  # the kernel-wide, never-reused description ids
        self.fdtable = FdTable(nofile)
        self.epoll_user = EpollUser(max_user_watches)
        # CAP_SYS_RESOURCE (growing a pipe past pipe-max-size). The default,
        # False, is what a container's root usually has.
        self.privileged = privileged
        self.net = net  # the host's network stack (addresses, ports)
        self.signals = SignalState(sched)  # its sigactions and signal delivery (sched/signals.py)
        # Credentials (SO_PEERCRED, SCM_CREDENTIALS, os.getpid): each host is one machine
        # with one process, so every host's process has the same pid; it runs as root.
        self.pid = PID
        self.uid = 0
        self.gid = 0
        # Every process starts with 0, 1 and 2 open; here they are /dev/null.
        null = NullDevice(next(fids), 0o2)
        for _ in range(3):
            self.fdtable.install(null, cloexec=False)
