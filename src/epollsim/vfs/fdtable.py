"""The file-descriptor table of one process (fs/file.c).

Maps fd numbers to open file descriptions and keeps the one per-fd flag,
FD_CLOEXEC. A new fd gets the lowest free number (at or above ``minfd`` for
F_DUPFD), which is what makes fd-number reuse observable. Each entry holds
one reference on its description; closing the entry drops it.

While ``k.patch()`` is active the patched host's table shares its number space
with the real process (patch_fds/): ``host_fds`` is then the patch's hook, a
new number also skips the numbers the hook says the real process holds (real
files opened during the run), and is reserved there (so a real ``open()``
cannot be given it) until it is closed.
Outside a patch ``host_fds`` is None and the table never asks anything of the
real process.
"""
from __future__ import annotations

import heapq
import os
from errno import EBADF, EMFILE
from typing import Protocol

from ..errors import oserror
from .file import OpenFile


class HostFds(Protocol):
    """The real process's side of a shared fd number space (patch_fds.SharedFds implements it)."""

    def held(self, fd: int) -> bool:
        """The real process holds ``fd`` for a file of its own (not a reservation of the model's)."""

    def reserve(self, fd: int) -> None:
        """Make the real process hold ``fd`` for the model (raises OSError when it cannot)."""

    def release(self, fd: int) -> None:
        """The model no longer holds ``fd``: free it in the real process if it was reserved."""

    def lookup(self, fd: int) -> OpenFile | None:
        """The real process's file at ``fd`` as the model's poll and epoll see it, or None."""

    def pread(self, fd: int, count: int, offset: int | None) -> bytes:
        """Up to ``count`` bytes of the real regular file at ``fd``, from ``offset`` (its position
        if None), which stays where it was (sendfile's source: syscalls/sendfile.py)."""

    def lseek(self, fd: int, position: int, whence: int) -> int:
        """lseek on the real file (sendfile moves its position on by what it sent)."""

    def fstat(self, fd: int) -> os.stat_result:
        """The real file's stat (asyncio's sendfile sizes a real file with it)."""


class FdTable:
    __slots__ = ("_free", "_next", "cloexec", "files", "host_fds", "nofile")

    def __init__(self, nofile: int) -> None:
        self.files: dict[int, OpenFile] = {}
        self.cloexec: set[int] = set()  # numbers only, never iterated
        self.nofile = nofile  # RLIMIT_NOFILE: numbers must stay below it
        # Lowest-free allocation: every number below _next that may be free
        # is in the heap (stale entries are skipped); numbers from _next up
        # are free unless dup2 placed something there.
        self._free: list[int] = []
        self._next = 0
        self.host_fds: HostFds | None = None  # set only while a patch shares the number space

    def _lowest_free(self, minfd: int) -> int:
        files = self.files
        if minfd == 0:
            free = self._free
            while free:
                n = heapq.heappop(free)
                if n not in files:
                    return n
            n = self._next
            while n in files:
                n += 1
            self._next = n + 1
            return n
        n = minfd
        while n in files:
            n += 1
        return n

    def _lowest_shared(self, minfd: int, host: HostFds) -> int:
        """The lowest number free on both sides (the real process's numbers are taken too)."""
        if minfd:
            files = self.files
            n = minfd
            while n in files or host.held(n):
                n += 1
            return n
        skipped = []
        while True:
            n = self._lowest_free(0)
            if not host.held(n):
                break
            skipped.append(n)  # free in the model: offered again once the real process lets go
        for s in skipped:
            heapq.heappush(self._free, s)
        return n

    def install(self, file: OpenFile, cloexec: bool, minfd: int = 0) -> int:
        """Give ``file`` the lowest free number; takes a new reference (EMFILE when full)."""
        host = self.host_fds
        n = self._lowest_free(minfd) if host is None else self._lowest_shared(minfd, host)
        if n >= self.nofile:
            if n < self._next:
                heapq.heappush(self._free, n)
            raise oserror(EMFILE)
        if host is not None:
            try:
                host.reserve(n)
            except OSError:
                if n < self._next:
                    heapq.heappush(self._free, n)
                raise
        self.files[n] = file.get()
        if cloexec:
            self.cloexec.add(n)
        return n

    def get(self, fd: int) -> OpenFile:
        try:
            return self.files[fd]
        except KeyError:
            raise oserror(EBADF) from None

    def close(self, fd: int) -> None:
        file = self.files.pop(fd, None)
        if file is None:
            raise oserror(EBADF)
        self.cloexec.discard(fd)
        if fd < self._next:
            heapq.heappush(self._free, fd)
        if self.host_fds is not None:
            self.host_fds.release(fd)
        file.put()

    def replace(self, fd: int, file: OpenFile, cloexec: bool) -> None:
        """dup2/dup3: point ``fd`` at ``file``, silently closing what it held.

        ``fd`` is an unsigned int in the syscall, so a negative number is a
        huge one: at or above RLIMIT_NOFILE, EBADF (ksys_dup3).
        """
        if not 0 <= fd < self.nofile:
            raise oserror(EBADF)
        old = self.files.get(fd)
        if old is None and self.host_fds is not None:
            self.host_fds.reserve(fd)  # closes what the real process had there, as dup2 does
        self.files[fd] = file.get()
        if cloexec:
            self.cloexec.add(fd)
        else:
            self.cloexec.discard(fd)
        if old is not None:
            old.put()

    def close_all(self) -> None:
        for fd in sorted(self.files):
            self.close(fd)
