"""One fd number space for the model and the real process, while ``k.patch()`` is active.

Theory of operation
-------------------
Under a patch a program holds two kinds of fd at once. Regular files,
directories and devices it opens (``open()``, ``io``, ``pathlib``,
``tempfile``, ``logging``, C code) stay the real process's, with real fds, so
they keep their contents and everything that reads them keeps working.
Pipes, sockets, eventfds, timerfds and epolls are the model's, in the patched
host's fd table. Both kinds are plain ints in one number space, as they would
be in one Linux process, so:

1. **The real process is never given a number the model holds, and the
   model's numbers do not depend on the runner.** Every number the model holds is
   *reserved* in the real process: a placeholder, the ``dup2`` of one real
   ``O_PATH`` fd of /dev/null onto it, made when the model allocates the
   number and closed when the model frees it, so the real kernel can never
   give it to a real ``open()``. (``O_PATH``: a stray real call on a
   placeholder fails with EBADF and never touches /dev/null; as a ``dir_fd``
   it gives ENOTDIR, as a pipe's number would.) The real files the program
   opens through Python (``open``, ``io.open``, ``os.open``, ``os.dup``,
   ``os.openpty``, so ``tempfile``, ``logging``, ``pathlib``) are moved at once
   to the lowest free number from ``REAL_BASE`` (512) up (``F_DUPFD``), so
   the model's numbers stay the model's own lowest free ones (vfs/fdtable.py
   asks ``held(n)`` and skips only what a real file of the run holds: one C
   code opened). What the real process held when the patch was entered (a
   test runner's capture files, a pool worker's pipes) differs from one
   runner to another; it does not move the model's numbers (see below), so
   a seed gives the same fd numbers inline, in a pool worker and in a
   replay. The placeholders' source is a real fd at the top of the real
   number space; closing it by number fails with EBADF, as if it did not
   exist, and a real ``dup2`` onto it moves it first.
2. **Every call that takes an fd goes to the side that owns the number.**
   ``os``'s fd calls (read, write, close, dup, dup2, closerange, fstat, lseek,
   isatty, blocking and inheritable flags, eventfd and timerfd calls, readv,
   writev, sendfile, fsync, ...), ``os.stat(fd)``, ``fcntl.fcntl``/``ioctl``/
   ``flock``/``lockf`` and ``open``/``io.open``/``os.fdopen`` are replaced by
   dispatchers: a number in the model's table is the model's, any other the
   real process's. Calls that make pipes, eventfds and timerfds make the
   model's. ``open(fd)`` on a model fd gives the pure-Python ``_pyio`` file
   objects over the model's calls, which behave as CPython's do over a pipe or
   socket. A call the model has no answer for on its own fd (``fchmod`` of a
   pipe) raises ``Unsupported`` naming it.
3. **select, poll and epoll are the model's and see real files through
   ``lookup``.** A real regular file, directory, block device or /dev/null,
   /dev/zero, /dev/full has no poll method on Linux: select and poll report it
   always ready (DEFAULT_POLLMASK) and ``epoll_ctl`` refuses it with EPERM
   (files/host_file.py). Any other real fd (a tty, a real socket or pipe)
   would need the real kernel's readiness, so it raises ``Unsupported``.

**Numbers the real process held when the patch was entered** (0, 1 and 2
are the model's /dev/null and also the real stdio; a runner's own files)
are not reserved and not skipped: where the model holds or takes such a
number, it *shadows* the real file, whose identity (device and inode) was
noted at entry. While the patch is active ``os``'s fd calls on it reach the
model's file, and the real file keeps working for code that uses it through
its object (``sys.stdout``, a pool's connection), without going through
``os``'s attributes. If the real file there is closed and the number reused
by another real file, the identity differs and the number counts as the
real process's again.

Outside a patch nothing here runs: the table's hook is None and ``k.os`` is
called directly. The real process's numbers are asked with ``fcntl(F_GETFD)``
only when the model allocates an fd, never on read/write/poll paths.
"""
from __future__ import annotations

import fcntl as _fcntl_module
import os
import resource
import stat
import sys
from collections.abc import Callable
from errno import EBADF
from typing import Any

from ..errors import Unsupported, oserror
from ..files.host_file import HostFile
from ..vfs.fdtable import FdTable
from ..vfs.file import OpenFile
from .calls import fd_calls  # imported here, with epollsim: it takes the real functions
from .model_io import model_open

# The real functions, taken when epollsim is imported (never inside a patch).
_close = os.close
_closerange = os.closerange
_dup2 = os.dup2
_fcntl = _fcntl_module.fcntl
_fstat = os.fstat
_open = os.open
_pread = os.pread  # sendfile from a real file the program opened (syscalls/sendfile.py)
_lseek = os.lseek
F_GETFD, F_DUPFD, F_DUPFD_CLOEXEC = _fcntl_module.F_GETFD, _fcntl_module.F_DUPFD, _fcntl_module.F_DUPFD_CLOEXEC

# (namespace, name, original, replacement): one assignment a patch makes and undoes.
Assignment = tuple[dict[str, Any], str, Any, Any]
# What a name of a namespace was before the patch assigned it (Patch._original).
OriginalOf = Callable[[dict[str, Any], str], Any]

# Where the real files a program opens under a patch are numbered from: the same in every
# runner (a runner's own fds are low), and below FD_SETSIZE so select() takes them.
REAL_BASE = 512
_NR_OPEN = 1 << 20  # fs/file.c sysctl_nr_open's default
_MEM_MAJOR = 1
_NO_POLL_MEM_MINORS = (3, 5, 7)  # /dev/null, /dev/zero, /dev/full: mem_fops without poll (drivers/char/mem.c)


def _real_fds(identity: Callable[[int], tuple[int, int, int] | None]) -> dict[int, tuple[int, int, int]]:
    """The real process's open fds and their identities (``/proc/self/fd``; empty without it)."""
    try:
        names = os.listdir("/proc/self/fd")
    except OSError:
        return {}
    out = {}
    for name in sorted(names, key=int):
        known = identity(int(name))
        if known is not None:  # (the listing's own fd is closed by now)
            out[int(name)] = known
    return out


def _placeholder_source() -> int:
    """A real O_PATH fd of /dev/null at the top of the real number space, out of the way of the
    lowest-free numbers both sides hand out."""
    first = _open("/dev/null", os.O_PATH | os.O_CLOEXEC)
    try:
        soft = resource.getrlimit(resource.RLIMIT_NOFILE)[0]
        top = min(soft if soft != resource.RLIM_INFINITY else _NR_OPEN, _NR_OPEN) - 1
        for n in range(top, max(top - 64, first), -1):
            try:
                return _fcntl(first, F_DUPFD_CLOEXEC, n)
            except OSError:
                continue
        return _fcntl(first, F_DUPFD_CLOEXEC, first)
    finally:
        _close(first)


class SharedFds:
    """The real process's side of the patched host's fd table (``vfs.fdtable.HostFds``)."""

    def __init__(self, target: Any, table: FdTable) -> None:
        self.target = target  # the stand-ins the model side of each call goes to
        self.table = table
        self.files = table.files
        self.placeholders: dict[int, None] = {}  # numbers reserved for the model (an ordered set)
        self.shadowed: dict[int, None] = {}  # model numbers a real file held at entry still holds
        self.entry: dict[int, tuple[int, int, int]] = {}  # real fd -> identity, at entry
        self.source = -1  # the real O_PATH fd of /dev/null every placeholder is a dup of
        self.base = REAL_BASE
        self._supports: list[tuple[set[Any], Any]] = []  # what enter added to os.supports_*
        self._class_attrs: list[tuple[type, str, Any]] = []  # what enter set on classes
        self._model_open: Callable[..., Any] | None = None

    def _identity(self, fd: int) -> tuple[int, int, int] | None:
        try:
            st = _fstat(fd)
        except OSError:
            return None
        return (st.st_dev, st.st_ino, st.st_mode)

    def _entry_file(self, fd: int) -> bool:
        """``fd`` is still the real file the process held there when the patch was entered."""
        known = self.entry.get(fd)
        return known is not None and self._identity(fd) == known

    # -- the hook the model's fd table calls (vfs/fdtable.py HostFds) --------------------------

    def held(self, fd: int) -> bool:
        if fd in self.placeholders or fd in self.shadowed:
            return False
        if fd in self.entry:
            known = self.entry[fd]
            now = self._identity(fd)
            return now is not None and now != known  # an entry file is shadowed, not skipped
        try:
            _fcntl(fd, F_GETFD)
        except OSError:
            return False
        return True

    def reserve(self, fd: int) -> None:
        if fd in self.placeholders or fd in self.shadowed:
            return
        if self._entry_file(fd):
            self.shadowed[fd] = None
            return
        _dup2(self.source, fd, False)  # closes a real file of the run there, as dup2 does
        self.placeholders[fd] = None

    def release(self, fd: int) -> None:
        if fd in self.placeholders:
            del self.placeholders[fd]
            _close(fd)
        else:
            self.shadowed.pop(fd, None)

    def lookup(self, fd: int) -> OpenFile | None:
        if fd < 0 or fd == self.source or fd in self.placeholders:
            return None
        try:
            st = _fstat(fd)
        except OSError:
            return None
        mode, rdev = st.st_mode, st.st_rdev
        if stat.S_ISREG(mode):
            return HostFile(fd, "regular file")
        if stat.S_ISDIR(mode):
            return HostFile(fd, "directory")
        if stat.S_ISBLK(mode):
            return HostFile(fd, "block device")
        if stat.S_ISCHR(mode) and os.major(rdev) == _MEM_MAJOR and os.minor(rdev) in _NO_POLL_MEM_MINORS:
            return HostFile(fd, "memory device")
        kind = ("character device (a terminal?)" if stat.S_ISCHR(mode) else "pipe" if stat.S_ISFIFO(mode)
                else "socket" if stat.S_ISSOCK(mode) else f"file of mode {mode:#o}")
        raise Unsupported(
            f"fd {fd} is a real {kind} of the host process: the model's select, poll and epoll "
            "do not watch real files other than regular files, directories and /dev/null"
        )

    def pread(self, fd: int, count: int, offset: int | None) -> bytes:
        start = _lseek(fd, 0, os.SEEK_CUR) if offset is None else offset
        return _pread(fd, count, start)

    def lseek(self, fd: int, position: int, whence: int) -> int:
        return _lseek(fd, position, whence)

    def fstat(self, fd: int) -> os.stat_result:
        return _fstat(fd)

    # -- entering and leaving -------------------------------------------------------------------

    def enter(self, original_of: OriginalOf) -> list[Assignment]:
        """Reserve the model's numbers and hook the table; returns (namespace, name, original,
        replacement) for every call to patch (patching.py assigns them and undoes them).
        ``original_of(namespace, name)`` is what the name was before the patch."""
        self.entry = _real_fds(self._identity)
        soft = resource.getrlimit(resource.RLIMIT_NOFILE)[0]
        if soft != resource.RLIM_INFINITY:
            self.base = min(REAL_BASE, soft // 2)
        self.source = _placeholder_source()
        try:
            for fd in sorted(self.files):
                self.reserve(fd)
        except BaseException:
            self.exit()
            raise
        self.table.host_fds = self
        calls = self._calls(original_of)
        # Python 3.10's pathlib opens through a class attribute holding io.open itself.
        accessor = getattr(sys.modules.get("pathlib"), "_NormalAccessor", None)
        for _, name, original, replacement in calls:
            if name == "open" and accessor is not None and vars(accessor).get("open") is original:
                accessor.open = staticmethod(replacement)
                self._class_attrs.append((accessor, "open", original))
        # shutil and others test ``os.open in os.supports_dir_fd``: the dispatchers are in them too.
        for group in (os.supports_fd, os.supports_dir_fd, os.supports_follow_symlinks):
            for _, _, original, replacement in calls:
                if original in group and replacement not in group:
                    group.add(replacement)
                    self._supports.append((group, replacement))
        return calls

    def exit(self) -> None:
        """Unhook the table and close every placeholder (and their source)."""
        self.table.host_fds = None
        for cls, name, original in reversed(self._class_attrs):
            setattr(cls, name, original)
        self._class_attrs.clear()
        for group, replacement in self._supports:
            group.discard(replacement)
        self._supports.clear()
        for fd in sorted(self.placeholders):
            _close(fd)
        self.placeholders.clear()
        self.shadowed.clear()
        if self.source >= 0:
            _close(self.source)
            self.source = -1

    def settle(self, fd: int) -> int:
        """A new real fd of the program's: move it to the lowest free number from ``base`` up,
        so where it lands depends on the program alone (and never on a model number)."""
        # The kernel handed ``fd`` out, so what the real process held there at entry is gone
        # (closed behind os's back), even if this is the same file opened again.
        self.entry.pop(fd, None)
        self.shadowed.pop(fd, None)
        self._recheck_shadows()
        if fd >= self.base and fd not in self.files:
            return fd
        cmd = F_DUPFD_CLOEXEC if _fcntl(fd, F_GETFD) else F_DUPFD
        moved = _fcntl(fd, cmd, self.base)
        if fd in self.files:  # a model number: reserve it again
            self.reserve(fd)  # dup2 closes the new real file at fd and puts the placeholder there
        else:
            _close(fd)
        return moved

    def _recheck_shadows(self) -> None:
        """A model number whose real entry file was closed meanwhile gets its placeholder now."""
        for fd in [fd for fd in self.shadowed if not self._entry_file(fd)]:
            del self.shadowed[fd]
            if self._identity(fd) is None:
                self.reserve(fd)

    # -- the dispatchers ------------------------------------------------------------------------

    def _calls(self, original_of: OriginalOf) -> list[Assignment]:
        out = []
        for module, name, replacement in fd_calls(self):
            namespace = vars(module)
            if name in namespace:
                out.append((namespace, name, original_of(namespace, name), replacement))
        return out

    def model_open(self) -> Callable[..., Any]:
        """``open()`` for the model's fds (model_io.py), made on first use."""
        if self._model_open is None:
            self._model_open = model_open(self.target.os)
        return self._model_open

    def make_room(self, fd: int) -> None:
        """A real ``dup2`` onto ``fd`` is coming: if the placeholders' source is there, move it."""
        if fd == self.source:
            old = self.source
            self.source = _placeholder_source()
            _close(old)

    def real_close(self, fd: int) -> None:
        if fd == self.source:
            raise oserror(EBADF)
        _close(fd)

    def real_closerange(self, low: int, high: int) -> None:
        """closerange over the run's real files only: not the placeholders nor their source, and
        not what the real process held at entry (the runner's files, which the program never got)."""
        entry = [n for n in self.entry if low <= n < high and self._entry_file(n)]
        keep = sorted({n for n in (*self.files, self.source, *entry) if low <= n < high})
        start = low
        for n in keep:
            if start < n:
                _closerange(start, n)
            start = n + 1
        if start < high:
            _closerange(start, high)

