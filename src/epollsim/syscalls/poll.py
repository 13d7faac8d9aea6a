"""poll(2) (fs/select.c do_sys_poll), on the same poll() answers epoll uses."""
from __future__ import annotations

from ..abi.poll import POLLERR, POLLHUP, POLLNVAL
from .base import SyscallBase


class PollCalls(SyscallBase):
    __slots__ = ()

    def poll(self, fds: list[tuple[int, int]], timeout_ms: int) -> list[int]:
        """``revents`` for each ``(fd, events)``, in order; waits up to ``timeout_ms``."""
        revents = self._poll_once(fds)
        if any(revents) or timeout_ms == 0:
            return revents
        self.wait("poll()", "no polled file is ready", self.deadline_after_ms(timeout_ms))
        return self._poll_once(fds)

    def _poll_once(self, fds: list[tuple[int, int]]) -> list[int]:
        files = self.files
        out = []
        for fd, events in fds:
            if fd < 0:
                out.append(0)
                continue
            file = files.get(fd)
            if file is None:
                out.append(POLLNVAL)
                continue
            out.append(file.poll(None) & (events | POLLERR | POLLHUP))
        return out
