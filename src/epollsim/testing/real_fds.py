"""``only_file_fds()``: a block in which the real process may make fds for files only.

A sealed run (``k.patch()``) keeps the program's pipes, sockets, eventfds,
timerfds and epolls in the model; only the files it opens are real. This
context manager checks that from the outside, for end-to-end tests::

    with only_file_fds():
        with k.patch():
            run_the_program()

Inside the block:

- the real process's calls that make fds of other kinds (``os.pipe``,
  ``pipe2``, ``eventfd``, ``timerfd_create``, ``memfd_create``,
  ``pidfd_open``, ``openpty``, ``forkpty``, ``select.epoll``,
  ``socket.socketpair``) raise ``RealFdEscape``, in their modules and in
  every module that copied them (as the patch rebinds copies); enter this
  *outside* the patch, so that the patch's own stand-ins are what the
  program gets;
- a real socket object made in any way raises ``RealFdEscape`` (an audit hook
  on CPython's ``socket.__new__`` event: C code making its own sockets with
  the C library is not seen there);
- on leaving, every real fd that is open and was not before is looked at in
  ``/proc/self/fd``: one that is not a file (``pipe:``, ``socket:``,
  ``anon_inode:``, a pty) raises ``RealFdEscape`` naming it. This catches what
  C code made and left open, but not an fd made and closed within the block.

``RealFdEscape`` derives from AssertionError: a test fails with it.
"""
from __future__ import annotations

import _socket
import os
import select
import socket
import sys
import types
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any


class RealFdEscape(AssertionError):
    """The real process made an fd that is not a file while ``only_file_fds()`` was active."""


# (module, name) of the real calls that make fds of kinds other than files.
CREATORS: tuple[tuple[types.ModuleType, str], ...] = (
    *((os, name) for name in ("pipe", "pipe2", "eventfd", "timerfd_create", "memfd_create", "pidfd_open",
                              "openpty", "forkpty")),
    (select, "epoll"), (socket, "socketpair"), (_socket, "socketpair"),
)
_NOT_FILES = ("pipe:", "socket:", "anon_inode:", "/dev/pts/", "/dev/ptmx", "/memfd:")

_active: list[bool] = []  # the audit hook's switch (the hook itself cannot be removed)
_hooked: list[bool] = []


def _audit(event: str, args: tuple[Any, ...]) -> None:
    if event == "socket.__new__" and _active:
        raise RealFdEscape(f"a real socket was made (family {args[1]}, type {args[2]}) inside only_file_fds()")


def open_fds() -> dict[int, str]:
    """The real process's open fds and what ``/proc/self/fd`` says each is."""
    out = {}
    for name in sorted(os.listdir("/proc/self/fd"), key=int):
        try:
            out[int(name)] = os.readlink(f"/proc/self/fd/{name}")
        except OSError:
            continue  # the listing's own directory fd, closed already
    return out


def _refuser(qualname: str, original: Any) -> Any:
    def refuse(*args: Any, **kwargs: Any) -> Any:
        raise RealFdEscape(f"{qualname} made a real fd inside only_file_fds()")

    refuse.__name__ = refuse.__qualname__ = qualname.rpartition(".")[2]
    # The original's module, so that a patch entered inside still replaces it (patching.py
    # replaces only the names a patched module defines itself).
    refuse.__module__ = getattr(original, "__module__", None) or qualname.rpartition(".")[0]
    return refuse


@contextmanager
def only_file_fds() -> Iterator[None]:
    """See the module comment."""
    if not _hooked:
        sys.addaudithook(_audit)
        _hooked.append(True)
    before = open_fds()
    undo: list[tuple[dict[str, Any], str, Any]] = []
    swaps: dict[int, Any] = {}
    for module, name in CREATORS:
        original = vars(module).get(name)
        if original is None:
            continue
        replacement = swaps.setdefault(id(original), _refuser(f"{module.__name__}.{name}", original))
        undo.append((vars(module), name, original))
        vars(module)[name] = replacement
    originals = {id(original): original for _, _, original in undo}
    for module_name, module in sorted(sys.modules.items(), key=lambda item: item[0]):
        if module_name.startswith("epollsim") or not isinstance(module, types.ModuleType):
            continue  # epollsim holds the real calls on purpose, for the patch's own use
        namespace = getattr(module, "__dict__", None)
        if not isinstance(namespace, dict):
            continue
        for name, value in list(namespace.items()):
            if id(value) in swaps and originals.get(id(value)) is value:
                undo.append((namespace, name, value))
                namespace[name] = swaps[id(value)]
    _active.append(True)
    try:
        yield
    finally:
        _active.pop()
        for namespace, name, original in reversed(undo):
            namespace[name] = original
    escaped = [f"fd {fd} ({what})" for fd, what in open_fds().items()
               if before.get(fd) != what and what.startswith(_NOT_FILES)]
    if escaped:
        raise RealFdEscape("real fds that are not files were made inside only_file_fds(): " + ", ".join(escaped))
