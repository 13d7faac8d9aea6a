"""poll(2) (fs/select.c do_sys_poll), on the same poll() answers epoll uses."""
from __future__ import annotations

from ..abi.poll import POLLERR, POLLHUP, POLLNVAL
from ..vfs.waitqueue import WaitQueue
from .base import SyscallBase


class PollCalls(SyscallBase):
    __slots__ = ()

    def poll(self, fds: list[tuple[int, int]], timeout_ms: int) -> list[int]:
        """``revents`` for each ``(fd, events)``, in order; waits up to ``timeout_ms``."""
        revents = self._poll_once(fds)
        if any(revents) or timeout_ms == 0:
            return revents
        # do_poll: hook every file's queues (poll_wait), sleep, poll again.
        deadline = self.deadline_after_ms(timeout_ms)
        what = f"poll({', '.join(str(fd) for fd, _ in fds)}): no polled file is ready"
        queues: list[tuple[WaitQueue, str]] = []

        def hook(wq: WaitQueue) -> None:  # __pollwait
            queues.append((wq, "head"))

        while True:
            queues.clear()
            files = [self.files[fd] for fd, _ in fds if fd >= 0 and fd in self.files]
            for file in files:
                file.get()
                file.poll(hook)
            try:
                self.proc.sched.block(queues, 0, deadline, what)
            finally:
                for file in files:
                    file.put()
            revents = self._poll_once(fds)
            if any(revents) or (deadline is not None and self.proc.clock.now_ns >= deadline):
                return revents

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
