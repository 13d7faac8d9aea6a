"""No real process, ever: what ``k.patch()`` puts in place of every way Python starts one.

A simulated host has one process, the program's; the model has no fork, exec or
children. Under the patch every call that would start a real process raises
``NotModelled`` before doing anything (no pipe is made, no fd is touched):
``NotModelled`` is both epollsim's ``Unsupported`` and a ``NotImplementedError``,
so code that probes for the feature (``try: os.fork() except NotImplementedError``,
as on platforms without fork) takes its fallback, and anything else fails loudly
naming the call.

The ways in, and where they are cut:

- ``os``: fork, forkpty, posix_spawn(p), system, popen, every exec* and spawn*
  (the Python ones call the C ones through ``os``'s globals; each is replaced anyway,
  so the message names what the program called). ``os.wait*`` answer as a process
  with no children does: ``ChildProcessError`` (ECHILD), never a real child's status.
- ``_posixsubprocess.fork_exec``, under which ``subprocess`` (3.11+ copies it as
  ``subprocess._fork_exec``: the patch's scan rebinds the copy) and
  ``multiprocessing``'s spawn and forkserver start methods start children;
  ``multiprocessing``'s fork method goes through ``os.fork``.
- ``subprocess.Popen.__init__``, ``multiprocessing``'s ``BaseProcess.start``, the
  constructors of ``multiprocessing.Pool`` and ``concurrent.futures.ProcessPoolExecutor``,
  when their modules are loaded at entry, so the error names what the program called and comes
  before any pipe is made; if one is first imported inside the patch, the cuts above
  still stop the process (but a pool's pipes may have been made first).
- ``ctypes.util.find_library`` runs ``ldconfig -p``, ``gcc`` and ``ld``, and answers None
  where none of them can run (it catches their ``OSError``): under the patch it answers
  None at once, running nothing, as on a host without them. Libraries that look a C
  library up at import (trio's thread cache: ``find_library("pthread")``) take their
  fallback instead of failing to import. ``ctypes.util`` is imported with this module,
  so the answer is in place even for a library first imported inside the patch.
- asyncio's subprocess transports and child watchers raise ``NotModelled`` in the
  model's loop and policy (compat/asyncio_loop.py).
"""
from __future__ import annotations

import _posixsubprocess
import ctypes.util  # noqa: F401  (imported here: inside a patch its find_library must already be replaced)
import errno
import os
import sys
from collections.abc import Callable, MutableMapping
from typing import Any

from .errors import NotModelled, oserror

# What starts a process, by module; each name is replaced only where the module has it.
OS_PROCESS_CALLS: tuple[str, ...] = (
    "fork", "forkpty", "posix_spawn", "posix_spawnp", "system", "popen",
    "execv", "execve", "execl", "execle", "execlp", "execlpe", "execvp", "execvpe",
    "spawnv", "spawnve", "spawnvp", "spawnvpe", "spawnl", "spawnle", "spawnlp", "spawnlpe",
)
# What waits for a child: the model's process has none (ECHILD, kernel/exit.c do_wait).
OS_WAIT_CALLS: tuple[str, ...] = ("wait", "waitpid", "wait3", "wait4", "waitid")

Assign = Callable[[MutableMapping[str, Any], str, Any], None]


def refusal(qualname: str) -> Callable[..., Any]:
    """A stand-in for ``qualname`` that starts nothing and raises ``NotModelled``."""
    message = f"{qualname}: real processes are not modelled by epollsim (nothing was started)"

    def refuse(*args: Any, **kwargs: Any) -> Any:
        raise NotModelled(message)

    refuse.__name__ = refuse.__qualname__ = qualname.rpartition(".")[2]
    refuse.__doc__ = message
    return refuse


def _no_library(name: str) -> None:
    """``ctypes.util.find_library`` on a host where ldconfig, gcc and ld cannot run: None."""
    return None


def _no_children(*args: Any, **kwargs: Any) -> Any:
    raise oserror(errno.ECHILD)


class ClassAttributes(MutableMapping[str, Any]):
    """A class's attributes as a mapping the patch can assign through and restore."""

    def __init__(self, cls: type) -> None:
        self.cls = cls

    def __getitem__(self, name: str) -> Any:
        return vars(self.cls)[name]

    def __setitem__(self, name: str, value: Any) -> None:
        setattr(self.cls, name, value)

    def __delitem__(self, name: str) -> None:
        delattr(self.cls, name)

    def __iter__(self) -> Any:
        return iter(vars(self.cls))

    def __len__(self) -> int:
        return len(vars(self.cls))


def refuse_processes(assign: Assign, swaps: dict[int, tuple[Any, Any]]) -> None:
    """Replace every way in (see the module comment) through ``assign``, the patch's recorded
    assignment; functions go into ``swaps`` too, so copies held elsewhere are rebound."""

    def replace(namespace: MutableMapping[str, Any], name: str, replacement: Any) -> None:
        original = namespace[name]
        assign(namespace, name, replacement)
        swaps[id(original)] = (original, replacement)

    namespace = vars(os)
    for name in OS_PROCESS_CALLS:
        if name in namespace:
            replace(namespace, name, refusal(f"os.{name}"))
    for name in OS_WAIT_CALLS:
        if name in namespace:
            replace(namespace, name, _no_children)
    replace(vars(_posixsubprocess), "fork_exec", refusal("_posixsubprocess.fork_exec"))
    subprocess = sys.modules.get("subprocess")
    if subprocess is not None:
        assign(ClassAttributes(subprocess.Popen), "__init__", refusal("subprocess.Popen"))
    process = sys.modules.get("multiprocessing.process")
    if process is not None:
        assign(ClassAttributes(process.BaseProcess), "start", refusal("multiprocessing.Process.start"))
    # Process pools refuse when made, before they make pipes whose Connections would use the real
    # os.read/os.write they bound at import on the model's fd numbers.
    pool = sys.modules.get("multiprocessing.pool")
    if pool is not None:
        refuse_pool = refusal("multiprocessing.Pool")

        def pool_init(self: Any, *args: Any, **kwargs: Any) -> None:
            self._state = pool.CLOSE  # what Pool.__del__ reads first
            refuse_pool()

        assign(ClassAttributes(pool.Pool), "__init__", pool_init)
    futures = sys.modules.get("concurrent.futures.process")
    if futures is not None:
        assign(ClassAttributes(futures.ProcessPoolExecutor), "__init__",
               refusal("concurrent.futures.ProcessPoolExecutor"))
    util = sys.modules.get("ctypes.util")
    if util is not None and "find_library" in vars(util):
        replace(vars(util), "find_library", _no_library)
