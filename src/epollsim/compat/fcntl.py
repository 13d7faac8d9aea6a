"""A stand-in for ``fcntl``: fcntl() with integer arguments, for the commands the model knows."""
from __future__ import annotations

import fcntl as _real_fcntl
import operator
from typing import Any

from ..abi import fcntl as _abi_fcntl
from ..errors import Unsupported
from ..syscalls import Syscalls
from ._convert import c_int, fildes
from ._module import StandIn, copy_constants


class FcntlModule(StandIn):
    _mirrors = _real_fcntl

    def __init__(self, sys: Syscalls) -> None:
        self._sys = sys

    def fcntl(self, fd: Any, cmd: int, arg: Any = 0, /) -> int:
        """fcntl_fcntl_impl: ``fd`` through fildes, ``cmd`` a C int, ``arg`` a buffer or an int.

        A str or bytes-like ``arg`` is the buffer form (parsed first, with
        "s#"), which the model does not simulate. Anything else is parsed with
        "I": __index__, then cut to 32 bits without a range check, and handed
        to the kernel as a C int.
        """
        fd = fildes(fd)
        cmd = c_int(cmd)
        if isinstance(arg, (str, bytes, bytearray, memoryview)):
            raise Unsupported("fcntl.fcntl with a buffer argument is not modelled")
        value = operator.index(arg) & 0xFFFFFFFF
        if value >= 1 << 31:
            value -= 1 << 32
        return self._sys.fcntl(fd, cmd, value)


copy_constants(FcntlModule, _abi_fcntl, prefixes=("F_", "FD_"))
