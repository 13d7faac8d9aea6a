"""``open(fd)`` on a model fd: CPython's pure-Python io stack (``_pyio``) over the model's calls.

The C ``io.FileIO`` makes real system calls on its fd, so it cannot stand over
a model pipe or socket. ``_pyio``'s ``FileIO`` makes them through its module's
``os`` global; here that module's functions and its ``FileIO`` are re-created
(compat/asyncio_rebind.py's rebinding: same code, other globals) over an ``os``
whose fd calls are the host's stand-ins. The objects ``model_open`` returns
therefore reach the model's file whether a patch is active or not (a file
object left open after the patch never calls the real ``close`` on a number
the real process may have reused), and are ``io.RawIOBase``/``BufferedIOBase``/
``TextIOBase`` instances as ``_pyio``'s are. The buffered layers above are
``_pyio``'s own; their locks are real locks (see docs/differences.md).
"""
from __future__ import annotations

import _pyio  # type: ignore[import-not-found,unused-ignore]  # no stub in typeshed
import os as _real_os
import types
from collections.abc import Callable
from errno import EINVAL
from typing import Any

from ..compat.asyncio_rebind import _rebase_class, _rebind_function, _rebound_module
from ..errors import oserror

# The fd calls _pyio.FileIO and _pyio.open make on an fd they were given.
_FD_CALLS = ("read", "write", "close", "fstat", "lseek", "isatty", "set_inheritable")


class _ModelIoOs:
    """The ``os`` of the rebound ``_pyio``: the host's fd calls, the real module's constants."""

    def __init__(self, model_os: Any) -> None:
        for name in _FD_CALLS:
            setattr(self, name, getattr(model_os, name))

    @staticmethod
    def ftruncate(fd: int, length: int) -> None:
        raise oserror(EINVAL)  # do_ftruncate: no file of the model is regular

    def __getattr__(self, name: str) -> Any:
        return getattr(_real_os, name)  # O_*, SEEK_*, fspath, strerror, linesep: pure


def model_open(model_os: Any) -> Callable[..., Any]:
    """``_pyio.open`` over ``model_os`` (the host's ``os`` stand-in)."""
    namespace = _rebound_module(_pyio, {"os": _ModelIoOs(model_os)})
    namespace["FileIO"] = _rebase_class(_pyio.FileIO, namespace, None)
    # _pyio.open is a staticmethod at module level (so a class may hold it): rebind its function.
    opener = vars(_pyio)["open"]
    function = opener.__func__ if isinstance(opener, staticmethod) else opener
    assert isinstance(function, types.FunctionType)
    namespace["open"] = _rebind_function(function, namespace)
    return namespace["open"]  # type: ignore[no-any-return]
