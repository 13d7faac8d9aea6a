"""A stand-in for ``fcntl``: fcntl() with integer arguments, for the commands the model knows."""
from __future__ import annotations

import fcntl as _real_fcntl
from typing import Any

from ..abi import fcntl as _abi_fcntl
from ..errors import Unsupported
from ..syscalls import Syscalls
from ._convert import fildes
from ._module import StandIn, copy_constants


class FcntlModule(StandIn):
    _mirrors = _real_fcntl

    def __init__(self, sys: Syscalls) -> None:
        self._sys = sys

    def fcntl(self, fd: Any, cmd: int, arg: int = 0, /) -> int:
        if not isinstance(arg, int):
            raise Unsupported("fcntl.fcntl with a buffer argument is not modelled")
        # CPython parses the argument with "I": any int, cut to 32 bits.
        value = arg & 0xFFFFFFFF
        if value >= 1 << 31:
            value -= 1 << 32
        return self._sys.fcntl(fildes(fd), int(cmd), value)


copy_constants(FcntlModule, _abi_fcntl, prefixes=("F_", "FD_"))
