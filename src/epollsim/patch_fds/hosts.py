"""The shared fd number space under a patch of several hosts: each fd call goes to the running thread's host.

space.py shares the *patch's* host's fd table with the real process. Under a
patch of several hosts (patch_hosts.py) a thread started with ``host.start``
runs on another host, whose pipes, sockets and eventfds are in that host's
table, numbered independently of the patch host's (both may hold fd 5). So each
dispatcher of calls.py is wrapped once more: on the patch's host (the first
check) it is the dispatcher itself; on any other host it is the same
dispatcher built over that host's table and stand-ins (``OtherHost``), whose
real side (settling new real files above ``REAL_BASE``, closing them) is the
patch host's ``SharedFds``: there is one real process. The dispatchers of a
host are built on its first call and again after it reboots (``restart``: a new
process, a new table).

Not shared: another host's numbers are not reserved in the real process (they
are low, and the program's real files are moved above ``REAL_BASE``), and its
select, poll and epoll do not see real files (``lookup``) as the patch host's do.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .calls import fd_calls
from .model_io import model_open
from .space import Assignment, SharedFds


class OtherHost:
    """What calls.py's dispatchers need of a ``SharedFds``, for a host that is not the patch's."""

    def __init__(self, shared: SharedFds, host: Any) -> None:
        self.shared = shared  # the real side: the patch host's
        self.target = host
        self.process = host.process
        self.files = host.process.fdtable.files
        self._model_open: Callable[..., Any] | None = None

    @property
    def source(self) -> int:
        return self.shared.source

    def settle(self, fd: int) -> int:
        return self.shared.settle(fd)

    def real_close(self, fd: int) -> None:
        self.shared.real_close(fd)

    def real_closerange(self, low: int, high: int) -> None:
        self.shared.real_closerange(low, high)

    def make_room(self, fd: int) -> None:
        self.shared.make_room(fd)

    def model_open(self) -> Callable[..., Any]:
        if self._model_open is None:
            self._model_open = model_open(self.target.os)
        return self._model_open


def routed_fd_calls(shared: SharedFds, calls: list[Assignment], host_of: Callable[[], Any]) -> list[Assignment]:
    """``calls`` (the patch host's dispatchers), each answering for the running thread's host."""
    default = shared.target
    sides: dict[int, tuple[OtherHost, dict[tuple[int, str], Callable[..., Any]]]] = {}

    def on(host: Any) -> dict[tuple[int, str], Callable[..., Any]]:
        side = sides.get(id(host))
        if side is None or side[0].process is not host.process:  # new, or rebooted
            other = OtherHost(shared, host)
            side = sides[id(host)] = (other, {(id(vars(m)), n): f for m, n, f in fd_calls(other)})  # type: ignore[arg-type]
        return side[1]

    def route(namespace: dict[str, Any], name: str, mine: Callable[..., Any]) -> Callable[..., Any]:
        key = (id(namespace), name)

        def routed(*args: Any, **kwargs: Any) -> Any:
            host = host_of()
            if host is default:
                return mine(*args, **kwargs)
            return on(host)[key](*args, **kwargs)

        for attr in ("__name__", "__qualname__", "__module__", "__doc__"):
            setattr(routed, attr, getattr(mine, attr, None))
        return routed

    return [(namespace, name, original, route(namespace, name, replacement))
            for namespace, name, original, replacement in calls]
