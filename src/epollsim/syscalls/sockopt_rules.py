"""How one socket option is checked, stored and read back: the building blocks of ``sockopt_table``.

Theory of operation
-------------------
Most of the options of socket(7), ip(7), ipv6(7), tcp(7) and udp(7) change
nothing the model simulates (timestamps, marks, priorities, multicast
hops...). Linux checks the value, stores it in struct sock (or inet_sock,
ipv6_pinfo, tcp_sock) and reads it back. ``Opt`` is that: the value's
checks and normalisation (``store``: the raw int in, the stored value out,
or an OSError with Linux's errno), the default a fresh socket reads, and
the socket kinds the option exists for. The stored values live in the
socket's ``sockopts`` dict, keyed by ``level << 16 | optname`` (plain ints:
deterministic order).

Options the model does simulate (SO_SNDBUF, TCP_NODELAY, SO_LINGER, ...)
stay with the code that simulates them (``syscalls/inet.py``,
``syscalls/socket.py``); the table only answers what they leave.

A socket's *kind* is one of ``KINDS``: tcp4, tcp6, udp4, udp6, ustream
(SOCK_STREAM AF_UNIX: socketpair ends, named and unnamed sockets) and
udgram. An option used on a kind it does not exist for gives the row's
``other`` errnos (getsockopt's, setsockopt's), as the level's handler does.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from errno import EINVAL, ENOPROTOOPT, EOPNOTSUPP
from typing import Any

from ..errors import oserror

KINDS = ("tcp4", "tcp6", "udp4", "udp6", "ustream", "udgram")
ALL = frozenset(KINDS)
INET = frozenset(("tcp4", "tcp6", "udp4", "udp6"))
TCP = frozenset(("tcp4", "tcp6"))
UDP = frozenset(("udp4", "udp6"))
UNIX = frozenset(("ustream", "udgram"))
V6 = frozenset(("tcp6", "udp6"))
INT_MAX = 0x7FFFFFFF

# A store function: (the int the program passed, the raw bytes, the socket's kind) -> the stored
# value, or raises OSError. A get function: (socket, stored value or default, kind, optlen) -> value.
Store = Callable[[int, bytes, str], Any]


def flag(val: int, raw: bytes, kind: str) -> int:
    """sock_valbool_flag / inet_test_bit: any non-zero value reads back as 1."""
    return 1 if val else 0


def anyint(val: int, raw: bytes, kind: str) -> int:
    return val


def nonneg(val: int, raw: bytes, kind: str) -> int:
    if val < 0:
        raise oserror(EINVAL)
    return val


def between(lo: int, hi: int, minus_one: int | None = None) -> Store:
    """A value in [lo, hi] (EINVAL otherwise); ``minus_one``: what -1 stores (the sysctl default)."""

    def store(val: int, raw: bytes, kind: str) -> int:
        if val == -1 and minus_one is not None:
            return minus_one
        if not lo <= val <= hi:
            raise oserror(EINVAL)
        return val

    return store


def tcp_state(sock: Any) -> int:
    """A TCP socket's state (files/tcp_states.py numbers: CLOSE 7, LISTEN 10...)."""
    return int(sock.state)


def checked(first: Store, then: Store) -> Store:
    """``first``'s checks, then ``then`` on the value ``first`` stores."""

    def store(val: int, raw: bytes, kind: str) -> Any:
        return then(first(val, raw, kind), raw, kind)

    return store


def fails(errno_: int) -> Store:
    """setsockopt always fails with ``errno_`` (a read-only option, or a struct a 4-byte value cannot be)."""

    def store(val: int, raw: bytes, kind: str) -> int:
        raise oserror(errno_)

    return store


def struct_of(size: int, what: str, short: int = EINVAL) -> Store:
    """An option that takes a struct of ``size`` bytes: shorter is ``short``; a real one is not modelled."""

    def store(val: int, raw: bytes, kind: str) -> int:
        if len(raw) < size:
            raise oserror(short)
        from ..errors import Unsupported
        raise Unsupported(f"{what} is not modelled")

    return store


def u8_masked(mask: int) -> Store:
    """IP_TOS: the low byte; a stream socket keeps its ECN bits out (``mask``: __ip_sock_set_tos)."""

    def store(val: int, raw: bytes, kind: str) -> int:
        if kind in TCP:
            return val & 0xFF & mask
        return val & 0xFF

    return store


def tclass(val: int, raw: bytes, kind: str) -> int:
    """IPV6_TCLASS: -1 is the default (0), else 0..255; a stream socket keeps its ECN bits out."""
    if val < -1 or val > 0xFF:
        raise oserror(EINVAL)
    if val == -1:
        return 0
    return val & 0xFC if kind in TCP else val


def noop(value: int) -> Store:
    """Accepted and ignored: getsockopt keeps reading ``value`` (SO_BSDCOMPAT, TCP_THIN_DUPACK)."""

    def store(val: int, raw: bytes, kind: str) -> int:
        return value

    return store


def unmodelled(what: str, allowed: tuple[int, ...] = (0,)) -> Store:
    """Values in ``allowed`` store (they change nothing); others would change what the model
    simulates and raise Unsupported naming it."""

    def store(val: int, raw: bytes, kind: str) -> int:
        if val not in allowed:
            from ..errors import Unsupported
            raise Unsupported(f"{what} is not modelled")
        return val

    return store


@dataclass(frozen=True, slots=True)
class Opt:
    """One option at one level (a row of the table)."""

    name: str
    store: Store = anyint
    default: Any = 0  # an int (4 bytes), bytes (a struct), or a function (sock, kind) -> either
    kinds: frozenset[str] = ALL
    other: tuple[int, int] = (ENOPROTOOPT, ENOPROTOOPT)  # (getsockopt, setsockopt) on other kinds
    get_errno: int = 0  # getsockopt fails with this (a set-only option)
    getter: Callable[..., Any] | None = None  # (sock, stored, kind, optlen, calls) -> int | bytes
    min_len: int = 4  # setsockopt's optlen below this: EINVAL
    shares: int = 0  # another option number of the same level whose stored value this one is
    check: Callable[[Any, int], None] | None = None  # (sock, value): a set's state checks, first

    def read_default(self, sock: Any, kind: str) -> Any:
        d = self.default
        return d(sock, kind) if callable(d) else d


NOT_HERE = (EOPNOTSUPP, EOPNOTSUPP)  # sk_{get,set}sockopt of an option the family lacks


def int_bytes(value: int, size: int = 4) -> bytes:
    return (value & ((1 << (8 * size)) - 1)).to_bytes(size, "little")
