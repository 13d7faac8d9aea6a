"""poll(2) (fs/select.c do_sys_poll), on the same poll() answers epoll uses."""
from __future__ import annotations

from ..abi.poll import POLLERR, POLLHUP, POLLNVAL, POLLOUT, POLLWRBAND, POLLWRNORM
from ..vfs.waitqueue import WaitQueue
from .base import SyscallBase

# Bits that say something reached the file from the other side (data, hang-up, error):
# reporting one acquires what was written into it, as a read would (happens-before).
_RX_BITS = ~(POLLOUT | POLLWRNORM | POLLWRBAND)


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
        hb = self.hb if self.hb.on else None
        out = []
        for fd, events in fds:
            if fd < 0:
                out.append(0)
                continue
            file = files.get(fd)
            if file is None:
                file = self.host_file(fd)
                if file is None:
                    out.append(POLLNVAL)
                    continue
            revents = file.poll(None) & (events | POLLERR | POLLHUP)
            if revents & _RX_BITS and hb is not None:
                hb.acquire(file.sync_rx())
            out.append(revents)
        return out
