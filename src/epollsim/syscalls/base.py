"""What every system call shares: the process it acts on, fd lookup, and waiting."""
from __future__ import annotations

from collections.abc import Callable
from errno import EBADF
from functools import partial
from typing import Any, TypeVar

from ..clock import select_estimate_accuracy
from ..errors import oserror
from ..files.blocking import WouldBlock
from ..process import Process
from ..vfs.file import OpenFile

T = TypeVar("T")

NSEC_PER_MSEC = 1_000_000


class SyscallBase:
    __slots__ = ("files", "hb", "proc")

    def __init__(self, proc: Process) -> None:
        self.proc = proc
        self.files = proc.fdtable.files  # fd number -> open file description
        self.hb = proc.sched.hb  # happens-before: data written is a message to its reader

    def fget(self, fd: int) -> OpenFile:
        try:
            return self.files[fd]
        except (KeyError, TypeError):
            raise oserror(EBADF) from None

    def retry(self, call: str, op: Callable[[], T], blocked: WouldBlock | None = None,
              file: OpenFile | None = None) -> T:
        """Run ``op``; while it raises WouldBlock, sleep on its queue and run it again.

        ``blocked`` is the WouldBlock a caller's own first attempt already raised
        (the hot paths try once inline, without building ``op``). While asleep the
        call holds a reference on ``file`` (fdget), so another thread's close()
        of the fd does not release it under the sleeper.
        """
        if file is not None:
            file.get()
        try:
            while True:
                if blocked is not None:
                    self.proc.sched.block_on(blocked.queue, blocked.how, blocked.key, None, f"{call}: {blocked.what}")
                try:
                    return op()
                except WouldBlock as wb:
                    blocked = wb
        finally:
            if file is not None:
                file.put()

    def finish_write(
        self, call: str, write: Callable[[Any], int], data: bytes | memoryview, done: int, file: OpenFile
    ) -> int:
        """The rest of a blocking stream write (pipe_write, unix_stream_sendmsg).

        Linux keeps going, sleeping for room, until everything is written; an
        error after some progress ends the call with the progress ("ret ? : err").
        """
        view = memoryview(data)
        while done < len(data):
            rest = view[done:]
            try:
                done += self.retry(call, partial(write, rest), None, file)
            except OSError:
                break
        return done

    def deadline_after_ms(self, timeout_ms: int) -> int | None:
        """The absolute hard expiry of a poll/select/epoll_wait timeout in ms, its slack
        included (clock.select_estimate_accuracy); negative means none (wait forever)."""
        if timeout_ms < 0:
            return None
        ns = timeout_ms * NSEC_PER_MSEC
        return self.proc.clock.expiry(ns, select_estimate_accuracy(ns))

    def _install_pair(self, a: OpenFile, b: OpenFile, cloexec: bool) -> tuple[int, int]:
        table = self.proc.fdtable
        fa = table.install(a, cloexec)
        try:
            fb = table.install(b, cloexec)
        except OSError:  # EMFILE for the second: both files go, as in do_pipe2
            table.close(fa)
            b.get().put()
            raise
        return fa, fb
