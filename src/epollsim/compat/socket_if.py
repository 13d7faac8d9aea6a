"""socket.if_nameindex, if_nametoindex, if_indextoname over a host's interfaces, and socket.close
(Modules/socketmodule.c socket_if_nameindex, socket_if_nametoindex, socket_if_indextoname,
socket_close).

Every host has the loopback interface ``lo`` (index 1) and, on the network, one ethernet
interface ``eth0`` (index 2); a process with no network stack has only ``lo``.
"""
from __future__ import annotations

import os as _real_os
import sys
from errno import EINVAL, ENXIO, EPERM
from typing import Any

from ..errors import oserror
from ..syscalls import Syscalls
from ._convert import c_long

_ULONG_MAX = (1 << 64) - 1
_UINT_MAX = (1 << 32) - 1
_ECONNRESET = 104


def interfaces(sys_: Syscalls) -> list[tuple[int, str]]:
    """(index, name) of each of the host's interfaces."""
    return [(1, "lo"), (2, "eth0")] if sys_.proc.net is not None else [(1, "lo")]


def if_nameindex(sys_: Syscalls) -> list[tuple[int, str]]:
    return interfaces(sys_)


def if_nametoindex(sys_: Syscalls, oname: Any) -> int:
    """PyUnicode_FSConverter, then if_nametoindex(3): 0 is "no interface with this name"."""
    name = _real_os.fsdecode(_real_os.fspath(oname)) if not isinstance(oname, (bytes, str)) else (
        oname.decode(sys.getfilesystemencoding(), "surrogateescape") if isinstance(oname, bytes) else oname)
    for index, ifname in interfaces(sys_):
        if ifname == name:
            return index
    raise OSError("no interface with this name")


def if_indextoname(sys_: Syscalls, index: Any) -> str:
    if not isinstance(index, int):
        raise TypeError("an integer is required")
    if index < 0:
        raise OverflowError("can't convert negative value to unsigned int")
    if index > _ULONG_MAX:
        raise OverflowError("Python int too large to convert to C unsigned long")
    if index > _UINT_MAX:
        if sys.version_info >= (3, 13):
            raise OverflowError("index is too large")
        index &= _UINT_MAX  # cast to the C unsigned int
    for i, name in interfaces(sys_):
        if i == index:
            return name
    raise oserror(ENXIO)


def close(sys_: Syscalls, fd: Any) -> None:
    """socket.close(fd): close(2) of any fd; ECONNRESET is not an error (socket_close)."""
    n = c_long(fd)
    try:
        sys_.close(n if -(1 << 31) <= n < 1 << 31 else n & 0xFFFFFFFF)
    except OSError as exc:
        if exc.errno != _ECONNRESET:
            raise


def sethostname(module: Any, name: Any) -> None:
    """The host's name, as gethostname reports it (the resolver's names do not change, as
    /etc/hosts does not)."""
    raw = name if isinstance(name, bytes) else _real_os.fsencode(name)
    if not module._sys.proc.privileged:
        raise oserror(EPERM)
    if len(raw) > 64:  # __NEW_UTS_LEN
        raise oserror(EINVAL)
    module._hostname = raw.decode("utf-8", "surrogateescape")
