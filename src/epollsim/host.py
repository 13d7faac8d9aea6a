"""Host: one simulated machine on the kernel's network, with its own process and stand-ins.

A Kernel holds one or more hosts. They share the virtual clock, the scheduler
(every green thread of every host runs under one chooser, so a whole network
run is one deterministic interleaving) and the never-reused description ids;
each has its own name, fd table and limits, and its own ``os``, ``select``,
``socket`` and ``fcntl`` stand-ins bound to that fd table. ``time`` and
``threading`` are the kernel's: one clock, one set of threads.
"""
from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

from .clock import Clock, WallClock
from .compat._convert import c_int
from .compat._module import on_first_use
from .compat.asyncio import AsyncioModule
from .compat.fcntl import FcntlModule
from .compat.os import OsModule
from .compat.random import Entropy
from .compat.select import SelectModule
from .compat.selectors import SelectorsModule
from .compat.signal import SignalModule
from .compat.socket import SocketModule
from .compat.threading import ThreadingModule
from .compat.time import TimeModule
from .net.stack import NetStack
from .patching import Patch
from .process import Process
from .sched.scheduler import Scheduler
from .syscalls import Syscalls
from .syscalls.preempt import preemptive_class

if TYPE_CHECKING:
    from .compat.threading import Thread


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
        wall: WallClock | None = None,
        entropy: Entropy | None = None,
    ) -> None:
        self.name = name
        self._boot_args = (clock, sched, fids, nofile, privileged, max_user_watches)
        # The host's network stack: its addresses and port tables (net/stack.py).
        self.net = net
        # Its CLOCK_REALTIME: the kernel's, plus this host's offset and drift (clock.py).
        self.wall = wall if wall is not None else WallClock(clock)
        self.hosts = {name: self}
        self._boot()
        self.time = time
        self.threading = threading
        # The program's randomness under the patch (compat/random.py): the kernel's, shared.
        self.entropy = entropy if entropy is not None else Entropy(0)

    def _boot(self) -> None:
        """A new process with its fd table, and the stand-ins bound to it."""
        clock, sched, fids, nofile, privileged, max_user_watches = self._boot_args
        self.process = Process(
            clock, sched, fids, nofile=nofile, privileged=privileged, max_user_watches=max_user_watches,
            net=self.net, wall=self.wall,
        )
        self.sys = Syscalls(self.process)
        if sched.preemptive:  # every system call a preemption point (syscalls/preempt.py)
            self.sys.__class__ = preemptive_class(Syscalls)
        self.os = OsModule(self.sys)
        self.select = SelectModule(self.sys)
        self.socket = SocketModule(self.sys)
        self.fcntl = FcntlModule(self.sys)
        self.process.signals.host = self.name
        self.signal = SignalModule(self.sys)  # now: CPython sets SIGINT's handler at startup
        for name in ("selectors", "asyncio"):  # made again on first use, over the new process
            self.__dict__.pop(name, None)

    # Made on first use (compat/_module.py): most programs never touch them.
    selectors = on_first_use(lambda host: SelectorsModule(host.select))
    asyncio = on_first_use(
        lambda host: AsyncioModule(host.socket, host.selectors, host.os, host.threading, host.time, host.signal)
    )

    # -- threads, crashes and restarts -----------------------------------------------

    def start(self, target: Callable[..., Any], *args: Any, name: str | None = None,
              daemon: bool = True) -> Thread:
        """Run ``target(*args)`` in a new model thread on this host; returns the ``Thread``.

        A thread runs on the host that started it (the main thread on the first host), and
        so do the threads it starts: ``crash()`` stops them all, and ``time.time()`` in them
        reads this host's clock. ``host.start(host.asyncio.run, main())`` runs an asyncio
        program on the host.
        """
        sched = self.process.sched
        me = sched.current
        saved, me.host = me.host, self
        try:
            thread = self.threading.Thread(target=target, args=args, name=name, daemon=daemon)
            thread.start()
        finally:
            me.host = saved
        return thread

    @property
    def up(self) -> bool:
        """False between ``crash()`` and ``restart()``."""
        return self.net is None or not self.net.down

    def crash(self) -> None:
        """The machine stops dead, as at a power cut.

        Its threads stop where they are (no ``finally`` runs; their joiners wake); its
        sockets and files vanish without a FIN or RST and its ports are free; its timers
        never fire. Until ``restart()``, whatever the network carries to it, or was carrying,
        is lost, so peers see silence: their TCP retransmits until it gives up.
        """
        sched = self.process.sched
        if self.is_first:
            raise RuntimeError(f"host {self.name!r} is the kernel's first host, where the main thread runs: "
                               "crash another host")
        if self._runs_here(sched.current):
            raise RuntimeError(f"host {self.name!r} cannot crash itself: crash it from a thread of another host")
        if not self.up:
            raise RuntimeError(f"host {self.name!r} is already down")
        for thread in [t for t in sched.threads.values() if self._runs_here(t)]:
            sched.halt(thread)
        socks = self.net.crash() if self.net is not None else []
        for file in [*socks, *self.process.fdtable.files.values()]:
            file.host_crashed()

    def restart(self) -> None:
        """Boot again after ``crash()``: the same name and addresses, an empty process (fds 0-2
        on /dev/null), no bound ports. A segment for a connection from before the crash finds
        no socket and is answered with a RST, as Linux answers it, so the peer sees ECONNRESET."""
        if self.up:
            raise RuntimeError(f"host {self.name!r} is up: crash() it first")
        assert self.net is not None
        self.net.down = False
        self._boot()

    def _runs_here(self, thread: Any) -> bool:
        host = thread.host
        return host is self or (host is None and self.is_first)

    is_first = False  # the kernel's first host (Kernel sets it): threads with no host run there
    hosts: dict[str, Host]  # the kernel's hosts, this one among them (Kernel.add_host sets it)
    def start_main(self, target: Callable[..., Any], *args: Any, name: str | None = None) -> Thread:
        """Start the host's program: ``target(*args)`` in a new model thread that becomes the
        host's main thread, the one its signals go to, where its Python handlers run and where
        its ``signal.signal`` and ``set_wakeup_fd`` may be called (until then every host's main
        thread is the kernel's). It runs on the host, as ``start`` does. Returns the
        ``k.threading.Thread``; the thread is named ``"<host>:main"`` unless ``name`` says otherwise."""
        thread = self.start(target, *args, name=name or f"{self.name}:main", daemon=False)
        assert thread._green is not None  # started
        self.process.signals.main = thread._green
        return thread

    def kill(self, signum: int) -> None:
        """Send ``signum`` to the host's process, as ``kill(pid, signum)`` from outside it would.

        A Python handler runs in the host's main thread: at once if that is the caller,
        else when it next runs (a blocking call it sleeps in is interrupted and retried);
        SIGINT's default handler raises KeyboardInterrupt; a signal whose disposition is
        SIG_DFL and whose default action terminates ends the program with ``Terminated``.
        """
        signals = self.process.signals
        signals.kill(c_int(signum))
        signals.check()

    @property
    def addresses(self) -> tuple[str, ...]:
        """The host's own IPv4 and IPv6 addresses on the network (loopback not included)."""
        if self.net is None:
            return ()
        return (self.net.addr4, self.net.addr6)

    def patch(self, *, skip: tuple[str, ...] = ()) -> Patch:
        """A context manager making ``socket``, ``select``, ``selectors``, ``time``, ``threading``,
        ``signal`` and ``asyncio`` this host's while it is active (patching.py); ``skip`` names more
        modules (and their submodules) whose imported names are left alone."""
        return Patch(self, skip)

    def __repr__(self) -> str:
        return f"<Host {self.name!r}>"
