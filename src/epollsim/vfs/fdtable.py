"""The file-descriptor table of one process (fs/file.c).

Maps fd numbers to open file descriptions and keeps the one per-fd flag,
FD_CLOEXEC. A new fd gets the lowest free number (at or above ``minfd`` for
F_DUPFD), which is what makes fd-number reuse observable. Each entry holds
one reference on its description; closing the entry drops it.
"""
from __future__ import annotations

import heapq
from errno import EBADF, EMFILE

from ..errors import oserror
from .file import OpenFile


class FdTable:
    __slots__ = ("_free", "_next", "cloexec", "files", "nofile")

    def __init__(self, nofile: int) -> None:
        self.files: dict[int, OpenFile] = {}
        self.cloexec: set[int] = set()  # numbers only, never iterated
        self.nofile = nofile  # RLIMIT_NOFILE: numbers must stay below it
        # Lowest-free allocation: every number below _next that may be free
        # is in the heap (stale entries are skipped); numbers from _next up
        # are free unless dup2 placed something there.
        self._free: list[int] = []
        self._next = 0

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

    def install(self, file: OpenFile, cloexec: bool, minfd: int = 0) -> int:
        """Give ``file`` the lowest free number; takes a new reference (EMFILE when full)."""
        n = self._lowest_free(minfd)
        if n >= self.nofile:
            if n < self._next:
                heapq.heappush(self._free, n)
            raise oserror(EMFILE)
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
        file.put()

    def replace(self, fd: int, file: OpenFile, cloexec: bool) -> None:
        """dup2/dup3: point ``fd`` at ``file``, silently closing what it held.

        ``fd`` is an unsigned int in the syscall, so a negative number is a
        huge one: at or above RLIMIT_NOFILE, EBADF (ksys_dup3).
        """
        if not 0 <= fd < self.nofile:
            raise oserror(EBADF)
        old = self.files.get(fd)
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
