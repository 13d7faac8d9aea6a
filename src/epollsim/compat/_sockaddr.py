"""Socket addresses as CPython converts them (Modules/socketmodule.c), with its exact errors.

``getsockaddrarg`` turns a Python address into what the model's system
calls take, checking in CPython's order: the type (``"connect(): AF_INET
address must be tuple, not str"``), the tuple's length (``"AF_INET address
must be a pair (host, port)"``), the host (idna_converter: str, bytes or
bytearray, no NUL), the port's conversion, then ``setipaddr`` resolves the
host (through the model's resolver: "" is the passive wildcard,
"<broadcast>" 255.255.255.255, numeric text without a lookup, anything else
getaddrinfo), and only then is the port's range checked (``"port must be
0-65535."``, an OverflowError, as is any overflow in the conversion).

What the system calls take and give: AF_INET ``(host, port)`` and AF_INET6
``(host, port, flowinfo, scope_id)`` with the host as canonical text (the
form ``net/addr.py`` compares), AF_UNIX the path as bytes (a leading NUL for
an abstract name, empty for autobind). ``makesockaddr`` is the reverse, into
the objects CPython returns: ``('127.0.0.1', 5000)``, ``('::1', 5000, 0, 0)``,
a str path, or bytes for an abstract name.
"""
from __future__ import annotations

import operator
import os
from typing import Any

from ..abi.netdb import AI_PASSIVE
from ..abi.socket import AF_INET, AF_INET6, AF_UNIX, AF_UNSPEC, SOCK_DGRAM
from ..net.inet_text import inet_ntop4, inet_ntop6, inet_pton4, inet_pton6
from ..net.resolver import Resolver
from ._convert import format_i, tp_name

# struct sockaddr_un: sun_path[108].
UNIX_PATH_MAX = 108

InetAddr = tuple[str, int]
Inet6Addr = tuple[str, int, int, int]


def host_bytes(obj: Any) -> bytes:
    """idna_converter: str (ASCII as is, else IDNA-encoded), bytes or bytearray; no NUL inside."""
    if isinstance(obj, bytes):
        data = obj
    elif isinstance(obj, bytearray):
        data = bytes(obj)
    elif isinstance(obj, str):
        if obj.isascii():
            data = obj.encode("ascii")
        else:
            try:
                data = obj.encode("idna")
            except UnicodeError:
                raise TypeError("encoding of hostname failed") from None
    else:
        raise TypeError(f"str, bytes or bytearray expected, not {type(obj).__name__}")
    if b"\0" in data:
        raise TypeError("host name must not contain null character")
    return data


def format_I(value: Any) -> int:
    """The "I" format: an unsigned int, masked (no overflow check)."""
    try:
        return operator.index(value) & 0xFFFFFFFF
    except TypeError:
        raise TypeError(f"'{tp_name(value)}' object cannot be interpreted as an integer") from None


def setipaddr(resolver: Resolver, name: str, af: int) -> tuple[int, str, int]:
    """setipaddr: (family, canonical text, scope id) of a host name or numeric address."""
    if name == "":
        res = resolver.getaddrinfo(None, "0", af, SOCK_DGRAM, 0, AI_PASSIVE)
        if len(res) > 1:
            raise OSError("wildcard resolved to multiple address")
        return res[0].family, res[0].addr, 0
    if name in ("255.255.255.255", "<broadcast>"):
        if af not in (AF_INET, AF_UNSPEC):
            raise OSError("address family mismatched")
        return AF_INET, "255.255.255.255", 0
    if af in (AF_UNSPEC, AF_INET):
        packed4 = inet_pton4(name)
        if packed4 is not None:
            return AF_INET, inet_ntop4(packed4), 0
    if af in (AF_UNSPEC, AF_INET6) and "%" not in name:
        packed6 = inet_pton6(name)
        if packed6 is not None:
            return AF_INET6, inet_ntop6(packed6), 0
    first = resolver.getaddrinfo(name, None, af)[0]
    return first.family, first.addr, first.scope_id


def _port(value: Any, caller: str) -> int:
    try:
        return format_i(value)
    except OverflowError:
        raise OverflowError(f"{caller}(): port must be 0-65535.") from None


def getsockaddrarg(family: int, address: Any, caller: str, resolver: Resolver) -> Any:
    """The address argument of bind/connect/sendto for a socket of ``family``."""
    if family == AF_UNIX:
        return unix_path(address)
    if family == AF_INET:
        if not isinstance(address, tuple):
            raise TypeError(f"{caller}(): AF_INET address must be tuple, not {type(address).__name__}")
        if len(address) != 2:
            raise TypeError("AF_INET address must be a pair (host, port)")
        host = host_bytes(address[0])
        port = _port(address[1], caller)
        _, text, _ = setipaddr(resolver, host.decode("latin-1"), AF_INET)
        if not 0 <= port <= 0xFFFF:
            raise OverflowError(f"{caller}(): port must be 0-65535.")
        return (text, port)
    if family == AF_INET6:
        if not isinstance(address, tuple):
            raise TypeError(f"{caller}(): AF_INET6 address must be tuple, not {type(address).__name__}")
        if not 2 <= len(address) <= 4:
            raise TypeError("AF_INET6 address must be a tuple (host, port[, flowinfo[, scopeid]])")
        host = host_bytes(address[0])
        port = _port(address[1], caller)
        flowinfo = format_I(address[2]) if len(address) > 2 else 0
        scope_id = format_I(address[3]) if len(address) > 3 else 0
        _, text, _ = setipaddr(resolver, host.decode("latin-1"), AF_INET6)
        if not 0 <= port <= 0xFFFF:
            raise OverflowError(f"{caller}(): port must be 0-65535.")
        if flowinfo > 0xFFFFF:
            raise OverflowError(f"{caller}(): flowinfo must be 0-1048575.")
        return (text, port, flowinfo, scope_id)
    raise OSError(f"{caller}(): bad family")


def unix_path(address: Any) -> bytes:
    """getsockaddrarg for AF_UNIX: str (fs-encoded) or a bytes-like path, with Linux's length rules."""
    if isinstance(address, str):
        path = os.fsencode(address)
    else:
        try:
            path = memoryview(address).tobytes()
        except TypeError:
            raise TypeError(f"a bytes-like object is required, not '{type(address).__name__}'") from None
    if not path or path[0] == 0:  # the abstract namespace (or autobind, for an empty name)
        if len(path) > UNIX_PATH_MAX:
            raise OSError("AF_UNIX path too long")
    elif len(path) >= UNIX_PATH_MAX:
        raise OSError("AF_UNIX path too long")
    return path


def makesockaddr(family: int, addr: Any) -> Any:
    """makesockaddr: the Python object for an address the model's system calls return."""
    if addr is None:
        return None  # "No address -- may be recvfrom() from known socket"
    if family == AF_INET:
        host, port = addr
        return (inet_ntop4(inet_pton4(host) or b"\0\0\0\0"), port)
    if family == AF_INET6:
        host, port, flowinfo, scope_id = addr
        return (inet_ntop6(inet_pton6(host) or bytes(16)), port, flowinfo, scope_id)
    if family == AF_UNIX:
        path = bytes(addr)
        if path and path[0] == 0:
            return path  # Linux abstract namespace
        return os.fsdecode(path.split(b"\0", 1)[0])
    raise OSError(f"makesockaddr: family {family} is not modelled")
