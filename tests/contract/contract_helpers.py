"""Helpers shared by the contract tests of CPython's wrappers."""
from __future__ import annotations

import sys
from typing import Any

import pytest

# CPython 3.13 made _PyTime_t public as PyTime_t, and its overflow message says so.
PYTIME_OVERFLOW = "timestamp too large to convert to C " + ("PyTime_t" if sys.version_info >= (3, 13) else "_PyTime_t")
# A float timeout out of range: CPython 3.10's _PyTime_FromDouble reported it as an int's.
FLOAT_TIME_OVERFLOW = "timestamp out of range for platform time_t" if sys.version_info >= (3, 11) else PYTIME_OVERFLOW


class Index:
    """An object that is not an int but has __index__ (CPython's converters differ on these)."""

    def __init__(self, n: int) -> None:
        self._n = n

    def __index__(self) -> int:
        return self._n


def raises_exactly(exc: type[BaseException], message: str, call: Any, *args: Any, **kwargs: Any) -> BaseException:
    """``call`` raises exactly ``exc`` (not a subclass) with exactly ``message``."""
    with pytest.raises(exc) as info:
        call(*args, **kwargs)
    assert type(info.value) is exc
    assert str(info.value) == message
    return info.value


def intenum_str(cls: str, member: str, value: int) -> str:
    """``str()`` of an IntEnum member (a socket's family and type, as its repr shows them): the
    number from CPython 3.11; Enum's ``"AddressFamily.AF_UNIX"`` on 3.10."""
    return str(value) if sys.version_info >= (3, 11) else f"{cls}.{member}"


AF_UNIX_STR = intenum_str("AddressFamily", "AF_UNIX", 1)
AF_INET_STR = intenum_str("AddressFamily", "AF_INET", 2)
AF_INET6_STR = intenum_str("AddressFamily", "AF_INET6", 10)
SOCK_STREAM_STR = intenum_str("SocketKind", "SOCK_STREAM", 1)
