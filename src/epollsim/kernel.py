"""Kernel: the single root of all simulated state, and where the layers are wired together.

``Kernel(seed)`` is one simulated Linux machine running one process: a
virtual clock, the process's fd table and open files, the raw system calls
(``k.sys``) and the stand-ins for the stdlib modules (``k.os``, ``k.select``,
``k.socket``, ``k.fcntl``). Nothing in it touches the host's kernel.
"""
from __future__ import annotations

import itertools
import random

from .abi.fcntl import INR_OPEN_CUR
from .abi.limits import MAX_USER_WATCHES_DEFAULT
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
from .vfs.epoll import Epoll
from .vfs.file import OpenFile


class Kernel:
    """A deterministic simulated Linux kernel with one process.

    ``seed`` feeds the kernel's one random generator (every later choice the
    model makes comes from it). ``schedule`` is how the next runnable green
    thread is chosen: ``"fifo"`` (round robin in wake-up order) or ``"random"``. ``nofile`` is the process's RLIMIT_NOFILE;
    ``privileged`` grants CAP_SYS_RESOURCE (growing pipes past
    pipe-max-size); ``max_user_watches`` bounds epoll registrations (ENOSPC).
    """

    def __init__(
        self,
        seed: int = 0,
        *,
        schedule: str = "fifo",
        nofile: int = INR_OPEN_CUR,
        privileged: bool = False,
        max_user_watches: int = MAX_USER_WATCHES_DEFAULT,
    ) -> None:
        self.seed = seed
        self.random = random.Random(seed)
        self.clock = Clock()
        self.sched = Scheduler(self.clock, self.random, schedule)
        self._fids = itertools.count(1)
        self.process = Process(
            self.clock,
            self.sched,
            self._fids,
            nofile=nofile,
            privileged=privileged,
            max_user_watches=max_user_watches,
        )
        self.sys = Syscalls(self.process)
        self.os = OsModule(self.sys)
        self.select = SelectModule(self.sys)
        self.socket = SocketModule(self.sys)
        self.fcntl = FcntlModule(self.sys)
        self.time = TimeModule(self.clock, self.sched)
        self.threading = ThreadingModule(self.clock, self.sched)

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
        """A readable dump: the interest list with masks by name, and the ready list in order."""
        from .abi.epoll import mask_name

        ep = self.epoll(fd)
        lines = [f"epoll fd {fd}: {len(ep.interests)} interests, {ep.nready} ready"]
        for item in ep.interests.values():
            lines.append(f"  fd {item.fd:<4} {item.file.kind:<8} {mask_name(item.events)} data={item.data}")
        order = [item for item in ep.ready if item.rdllink]
        lines.append("  ready list: " + (", ".join(f"fd {i.fd}" for i in order) or "(empty)"))
        return "\n".join(lines)

    @property
    def now_ns(self) -> int:
        return self.clock.now_ns
