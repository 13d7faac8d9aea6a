"""The fd calls of ``os``, ``fcntl`` and ``io`` under a patch: each goes to the side that owns its number.

See space.py for the design. Here each replaced function asks one question,
"is this number in the model's table?", and calls the model's stand-in (the
patch target's ``os``/``fcntl``) or the real function taken at import. The
model's stand-ins convert their arguments as CPython does; the dispatch only
finds the number (an int, an ``__index__``, or ``fileno()`` for the calls
that take file objects) and lets the chosen side raise what CPython raises.
"""
from __future__ import annotations

import builtins
import fcntl
import io
import operator
import os
from collections.abc import Callable
from errno import EBADF, EINVAL, ENOTDIR, ENOTTY
from types import ModuleType
from typing import TYPE_CHECKING, Any

from ..errors import Unsupported, oserror

if TYPE_CHECKING:
    from .space import SharedFds

# os functions whose first argument is an fd and that the model answers on its own fds.
MODEL_FD_CALLS = (
    "fstat", "lseek", "isatty", "get_blocking", "set_blocking", "get_inheritable", "set_inheritable",
    "eventfd_read", "eventfd_write",
    "timerfd_settime", "timerfd_settime_ns", "timerfd_gettime", "timerfd_gettime_ns",
    "readv", "writev", "pread", "pwrite", "preadv", "pwritev",
)
# os functions that make new files of the kinds the model has: always the model's.
MODEL_NEW = ("pipe", "pipe2", "eventfd", "timerfd_create")
# Linux's answer on every kind of file the model has (none is regular, none a tty): vfs_fsync
# without an fsync op and do_ftruncate of a non-regular file are EINVAL; a tty call is ENOTTY.
ERRNO_ON_MODEL = {
    "fsync": EINVAL, "fdatasync": EINVAL, "ftruncate": EINVAL,
    "ttyname": ENOTTY, "tcgetpgrp": ENOTTY, "tcsetpgrp": ENOTTY,
}
# os functions on an fd that the model does not answer for its own files.
UNMODELLED_ON_MODEL = (
    "fchmod", "fchown", "fchdir", "fstatvfs", "fpathconf", "lockf", "posix_fallocate",
    "posix_fadvise", "splice", "copy_file_range", "login_tty",
)
# os functions taking a path or an fd: on a model fd, Linux's answer for a pipe or socket (not
# a directory: ENOTDIR; truncate of a non-regular file: EINVAL), or None: not modelled.
PATH_OR_FD_ON_MODEL: dict[str, int | None] = {
    "chdir": ENOTDIR, "listdir": ENOTDIR, "scandir": ENOTDIR, "truncate": EINVAL,
    "chmod": None, "chown": None, "utime": None, "statvfs": None, "pathconf": None,
}
# Every real function replaced, taken when epollsim is imported (never inside a patch).
REAL: dict[str, Callable[..., Any]] = {
    name: getattr(os, name)
    for name in (*MODEL_FD_CALLS, *MODEL_NEW, *ERRNO_ON_MODEL, *UNMODELLED_ON_MODEL, *PATH_OR_FD_ON_MODEL,
                 "read", "write", "close", "closerange", "dup", "dup2", "open", "openpty", "stat",
                 "sendfile", "get_terminal_size", "device_encoding")
    if hasattr(os, name)
}
REAL_FCNTL = {name: getattr(fcntl, name) for name in ("fcntl", "ioctl", "flock", "lockf")}
REAL_IO_OPEN = io.open


def _number(fd: Any) -> Any:
    """The fd number an argument names, for dispatch only (the called side converts it again)."""
    if fd.__class__ is int:
        return fd
    try:
        return operator.index(fd)
    except TypeError:
        fileno = getattr(fd, "fileno", None)
        if fileno is None:
            return None
        try:
            return fileno()
        except Exception:  # noqa: BLE001 (the called side raises what CPython raises)
            return None


def _named(func: Callable[..., Any], name: str, like: Any) -> Callable[..., Any]:
    func.__name__ = func.__qualname__ = name
    func.__module__ = getattr(like, "__module__", None) or "posix"
    func.__doc__ = getattr(like, "__doc__", None)
    return func


def fd_calls(shared: SharedFds) -> list[tuple[ModuleType, str, Callable[..., Any]]]:
    """(module, name, replacement) for every call a patch replaces to share the fd number space."""
    files = shared.files
    model_os = shared.target.os
    out: list[tuple[ModuleType, str, Callable[..., Any]]] = []

    def add(module: ModuleType, name: str, func: Callable[..., Any], like: Any) -> None:
        out.append((module, name, _named(func, name, like)))

    def kind(n: int) -> str:
        return files[n].kind

    # The hot two, without *args.
    m_read, r_read = model_os.read, REAL["read"]
    m_write, r_write = model_os.write, REAL["write"]

    def read(fd: Any, length: Any, /) -> bytes:
        if (fd if fd.__class__ is int else _number(fd)) in files:
            return m_read(fd, length)  # type: ignore[no-any-return]
        return r_read(fd, length)  # type: ignore[no-any-return]

    def write(fd: Any, data: Any, /) -> int:
        if (fd if fd.__class__ is int else _number(fd)) in files:
            return m_write(fd, data)  # type: ignore[no-any-return]
        return r_write(fd, data)  # type: ignore[no-any-return]

    add(os, "read", read, r_read)
    add(os, "write", write, r_write)

    def dispatch(name: str, model: Callable[..., Any], real: Callable[..., Any]) -> Callable[..., Any]:
        def call(fd: Any, *args: Any, **kwargs: Any) -> Any:
            if _number(fd) in files:
                return model(fd, *args, **kwargs)
            return real(fd, *args, **kwargs)
        return call

    for name in MODEL_FD_CALLS:
        if name in REAL:
            add(os, name, dispatch(name, getattr(model_os, name), REAL[name]), REAL[name])
    for name in MODEL_NEW:
        if name in REAL:
            out.append((os, name, getattr(model_os, name)))

    def refuse(name: str, errno: int | None) -> Callable[..., Any]:
        def answer(fd: Any, *args: Any, **kwargs: Any) -> Any:
            n = _number(fd)
            if errno is not None:
                raise oserror(errno)
            raise Unsupported(f"os.{name} on the model's {kind(n)} (fd {n}) is not modelled by epollsim")
        return answer

    for name, errno in ERRNO_ON_MODEL.items():
        if name in REAL:
            add(os, name, dispatch(name, refuse(name, errno), REAL[name]), REAL[name])
    for name in UNMODELLED_ON_MODEL:
        if name in REAL:
            add(os, name, dispatch(name, refuse(name, None), REAL[name]), REAL[name])

    def path_or_fd(name: str, errno: int | None) -> Callable[..., Any]:
        real, answer = REAL[name], refuse(name, errno)

        def call(path: Any = None, *args: Any, **kwargs: Any) -> Any:
            if path.__class__ is int and path in files:
                return answer(path)
            if path is None:
                return real(*args, **kwargs)  # listdir() and scandir(): the current directory
            return real(path, *args, **kwargs)
        return call

    for name, on_model in PATH_OR_FD_ON_MODEL.items():
        if name in REAL:
            add(os, name, path_or_fd(name, on_model), REAL[name])

    # -- closing and duplicating ------------------------------------------------------------

    m_close, m_dup, m_dup2 = model_os.close, model_os.dup, model_os.dup2

    def close(fd: Any) -> None:
        if _number(fd) in files:
            return m_close(fd)  # type: ignore[no-any-return]
        return shared.real_close(operator.index(fd))

    def closerange(fd_low: Any, fd_high: Any, /) -> None:
        low, high = operator.index(fd_low), operator.index(fd_high)
        for n in sorted(n for n in files if low <= n < high):
            try:
                m_close(n)
            except OSError:
                pass
        shared.real_closerange(low, high)

    def dup(fd: Any, /) -> int:
        if _number(fd) in files:
            return m_dup(fd)  # type: ignore[no-any-return]
        return shared.settle(REAL["dup"](fd))

    def dup2(fd: Any, fd2: Any, inheritable: bool = True) -> int:
        n, n2 = _number(fd), _number(fd2)
        if n in files:
            return m_dup2(fd, fd2, inheritable)  # type: ignore[no-any-return]
        if n2 in files and n is not None and n != n2:
            # A real fd onto a number the model holds: the model's file there is closed (as
            # dup2 closes what newfd had), after checking oldfd as do_dup2 does first.
            if n == shared.source:
                raise oserror(EBADF)
            REAL_FCNTL["fcntl"](n, fcntl.F_GETFD)
            m_close(n2)
        if n2 is not None and n != n2:
            shared.make_room(n2)
        return REAL["dup2"](fd, fd2, inheritable)  # type: ignore[no-any-return]

    add(os, "close", close, REAL["close"])
    add(os, "closerange", closerange, REAL["closerange"])
    add(os, "dup", dup, REAL["dup"])
    add(os, "dup2", dup2, REAL["dup2"])

    # -- real files: new real numbers are settled off the model's ----------------------------

    r_open, r_stat, m_fstat = REAL["open"], REAL["stat"], model_os.fstat

    def open_(path: Any, flags: int, mode: int = 0o777, *, dir_fd: int | None = None) -> int:
        return shared.settle(r_open(path, flags, mode, dir_fd=dir_fd))

    def stat(path: Any, *, dir_fd: int | None = None, follow_symlinks: bool = True) -> os.stat_result:
        if path.__class__ is int and dir_fd is None and follow_symlinks and path in files:
            return m_fstat(path)  # type: ignore[no-any-return]
        return r_stat(path, dir_fd=dir_fd, follow_symlinks=follow_symlinks)  # type: ignore[no-any-return]

    add(os, "open", open_, r_open)
    add(os, "stat", stat, r_stat)
    if "openpty" in REAL:
        r_openpty = REAL["openpty"]

        def openpty() -> tuple[int, int]:
            a, b = r_openpty()
            return shared.settle(a), shared.settle(b)

        add(os, "openpty", openpty, r_openpty)

    # -- vectors, sendfile, terminals -------------------------------------------------------

    def sendfile(out_fd: Any, in_fd: Any, offset: Any, count: Any) -> int:
        """Into a model file: the model's (a real regular file as the source is read with pread)."""
        n_out, n_in = _number(out_fd), _number(in_fd)
        if n_out in files:
            return model_os.sendfile(out_fd, in_fd, offset, count)  # type: ignore[no-any-return]
        if n_in in files:
            raise Unsupported(f"os.sendfile from the model's {kind(n_in)} (fd {n_in}) into a real file is not modelled")
        return REAL["sendfile"](out_fd, in_fd, offset, count)  # type: ignore[no-any-return]

    def get_terminal_size(fd: Any = 1, /) -> os.terminal_size:
        if _number(fd) in files:
            raise oserror(ENOTTY)
        return REAL["get_terminal_size"](fd)  # type: ignore[no-any-return]

    def device_encoding(fd: Any) -> str | None:
        if _number(fd) in files:
            return None  # no model file is a terminal
        return REAL["device_encoding"](fd)  # type: ignore[no-any-return]

    add(os, "sendfile", sendfile, REAL["sendfile"])
    add(os, "get_terminal_size", get_terminal_size, REAL["get_terminal_size"])
    add(os, "device_encoding", device_encoding, REAL["device_encoding"])

    # -- fcntl ------------------------------------------------------------------------------

    model_fcntl = shared.target.fcntl

    def fcntl_dispatch(name: str) -> Callable[..., Any]:
        real = REAL_FCNTL[name]

        def call(fd: Any, *args: Any) -> Any:
            if _number(fd) in files:
                return getattr(model_fcntl, name)(fd, *args)  # flock, lockf: Unsupported
            return real(fd, *args)
        return call

    for name, real in REAL_FCNTL.items():
        add(fcntl, name, fcntl_dispatch(name), real)

    # -- open(), io.open(), os.fdopen() -----------------------------------------------------

    def settle_opener(path: Any, flags: int) -> int:
        return shared.settle(r_open(path, flags, 0o666))

    def io_open(file: Any, mode: str = "r", buffering: int = -1, encoding: str | None = None,
                errors: str | None = None, newline: str | None = None, closefd: bool = True,
                opener: Callable[[Any, int], int] | None = None) -> Any:
        if file.__class__ is int:
            if file in files:  # the model's file: the pure-Python io stack over the model's calls
                return shared.model_open()(file, mode, buffering, encoding, errors, newline, closefd, opener)
        elif opener is None:
            opener = settle_opener
        else:
            user_opener = opener

            def opener(path: Any, flags: int) -> int:
                return shared.settle(user_opener(path, flags))
        return REAL_IO_OPEN(file, mode, buffering, encoding, errors, newline, closefd, opener)

    add(io, "open", io_open, REAL_IO_OPEN)
    if builtins.open is not REAL_IO_OPEN:  # the rebinding scan finds builtins.open otherwise
        add(builtins, "open", io_open, REAL_IO_OPEN)
    return out
