"""What every system call shares: the process it acts on, fd lookup, and waiting."""
from __future__ import annotations

from collections.abc import Callable
from errno import EAGAIN, EBADF
from functools import partial
from typing import Any, TypeVar

from ..abi.epoll import EPOLLOUT
from ..abi.signal import SIGPIPE
from ..clock import select_estimate_accuracy
from ..errors import oserror
from ..files.blocking import WouldBlock
from ..process import Process
from ..vfs.file import OpenFile
from .sockopts import timeout_ns

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

    def poll_target(self, fd: int) -> OpenFile:
        """fget for select: also the real process's regular files under a patch (host_file)."""
        file = self.files.get(fd)
        if file is None:
            file = self.host_file(fd)
            if file is None:
                raise oserror(EBADF)
        return file

    def host_file(self, fd: int) -> OpenFile | None:
        """A number the model does not hold: while a patch shares the fd number space, the
        real process's file there as poll and epoll see it (files/host_file.py), else None."""
        host = self.proc.fdtable.host_fds
        if host is None or fd.__class__ is not int:
            return None
        return host.lookup(fd)

    def retry(self, call: str, op: Callable[[], T], blocked: WouldBlock | None = None,
              file: OpenFile | None = None, timeo: bool = True) -> T:
        """Run ``op``; while it raises WouldBlock, sleep on its queue and run it again.

        ``blocked`` is the WouldBlock a caller's own first attempt already raised
        (the hot paths try once inline, without building ``op``). While asleep the
        call holds a reference on ``file`` (fdget), so another thread's close()
        of the fd does not release it under the sleeper. A socket's SO_RCVTIMEO
        (a wait for input) or SO_SNDTIMEO (for room) bounds the sleeping: past it
        the call fails with EAGAIN (``timeo`` False: connect, which CPython keeps
        waiting for anyway).
        """
        if file is not None:
            file.get()
        try:
            deadline: int | None = -1  # not looked up yet
            while True:
                if blocked is not None:
                    if deadline == -1:
                        deadline = self._sock_deadline(file, blocked.key) if timeo else None
                    if deadline is not None and self.proc.clock.now_ns >= deadline:
                        raise oserror(EAGAIN)  # sock_rcvtimeo / sock_sndtimeo ran out
                    self.proc.sched.block_on(blocked.queue, blocked.how, blocked.key, deadline, f"{call}: {blocked.what}")
                try:
                    return op()
                except WouldBlock as wb:
                    blocked = wb
        finally:
            if file is not None:
                file.put()

    def _sigpipe(self) -> None:
        """send_sig(SIGPIPE, current, 0): what pipe_write, unix_stream_sendmsg and
        sk_stream_error do before failing with EPIPE (not for MSG_NOSIGNAL). CPython ignores
        SIGPIPE, so this usually does nothing; with SIG_DFL the program dies (``Terminated``),
        and a Python handler runs now, before the EPIPE is raised (CPython runs it just after)."""
        signals = self.proc.signals
        signals.kill(SIGPIPE, self.proc.sched.current)
        signals.check()
    def _sock_deadline(self, file: OpenFile | None, key: int) -> int | None:
        """When a socket's SO_RCVTIMEO/SO_SNDTIMEO ends this wait (None: never)."""
        opts = getattr(file, "sockopts", None)
        if not opts:
            return None
        timeout = timeout_ns(opts, bool(key & EPOLLOUT))
        return None if timeout is None else self.proc.clock.now_ns + timeout

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
