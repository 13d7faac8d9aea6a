"""Arguments and results by name, as strace prints them: ``pipe2(O_CLOEXEC)``, ``socket(AF_INET,
SOCK_STREAM|SOCK_CLOEXEC, IPPROTO_IP)``, ``fcntl(3, F_SETFL, O_RDWR|O_NONBLOCK)``, ``= 0``.

A decoder turns one argument's number into Linux's names: a *flag set* (names
joined with ``|``, unknown bits in hex, ``0`` for none) or an *enumeration*
(the one name, or the number when Linux has none for it). Which argument of
which call gets which decoder is one table, ``DECODERS``, keyed by the call's
name and the argument's position; what the table does not name stays a number.
The names come from ``abi/`` (the numbers the model itself uses), so an
option added there is named here too.

Some arguments depend on another: ``setsockopt``'s option name on its level,
``fcntl``'s argument on its command. Those decoders take all the arguments.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ..abi import epoll as _epoll
from ..abi import eventfd as _eventfd
from ..abi import fcntl as _fcntl
from ..abi import inet as _inet
from ..abi import ioctl as _ioctl
from ..abi import poll as _poll
from ..abi import socket as _socket
from ..abi import timerfd as _timerfd


def _names(module: object, prefix: str, exclude: tuple[str, ...] = ()) -> dict[int, str]:
    """``{value: name}`` of a module's constants with ``prefix``: the first name defined wins."""
    table: dict[int, str] = {}
    for name, value in vars(module).items():
        if name.startswith(prefix) and name not in exclude and type(value) is int:
            table.setdefault(value, name)
    return table


def _flags(bits: list[tuple[int, str]]) -> Callable[[int], str]:
    """A flag-set decoder over ``(bit, name)`` pairs, in strace's order (the order given)."""

    def decode(value: int) -> str:
        if not value:
            return "0"
        names = [name for bit, name in bits if value & bit == bit]
        rest = value & ~sum(bit for bit, _ in bits)
        if rest:
            names.append(hex(rest))
        return "|".join(names)

    return decode


def _enum(table: dict[int, str]) -> Callable[[int], str]:
    def decode(value: int) -> str:
        return table.get(value, str(value))

    return decode


# open(2)'s file status flags (include/uapi/asm-generic/fcntl.h), as strace lists them.
_O_FLAGS = [
    (_fcntl.O_CREAT, "O_CREAT"), (_fcntl.O_EXCL, "O_EXCL"), (_fcntl.O_NOCTTY, "O_NOCTTY"),
    (_fcntl.O_TRUNC, "O_TRUNC"), (_fcntl.O_APPEND, "O_APPEND"), (_fcntl.O_NONBLOCK, "O_NONBLOCK"),
    (_fcntl.O_DSYNC, "O_DSYNC"), (_fcntl.O_ASYNC, "O_ASYNC"), (_fcntl.O_DIRECT, "O_DIRECT"),
    (_fcntl.O_LARGEFILE_KERNEL, "O_LARGEFILE"), (_fcntl.O_DIRECTORY, "O_DIRECTORY"),
    (_fcntl.O_NOFOLLOW, "O_NOFOLLOW"), (_fcntl.O_NOATIME, "O_NOATIME"), (_fcntl.O_CLOEXEC, "O_CLOEXEC"),
    (_fcntl.O_PATH, "O_PATH"),
]
_o_flags = _flags(_O_FLAGS)
_ACCMODE = {_fcntl.O_RDONLY: "O_RDONLY", _fcntl.O_WRONLY: "O_WRONLY", _fcntl.O_RDWR: "O_RDWR"}


def open_flags(value: int) -> str:
    """``O_RDWR|O_NONBLOCK``: the access mode is always named, as strace does (``O_RDONLY`` is 0)."""
    mode = _ACCMODE.get(value & _fcntl.O_ACCMODE, hex(value & _fcntl.O_ACCMODE))
    rest = value & ~_fcntl.O_ACCMODE
    return mode if not rest else f"{mode}|{_o_flags(rest)}"


pipe_flags = _flags([(_fcntl.O_NONBLOCK, "O_NONBLOCK"), (_fcntl.O_DIRECT, "O_DIRECT"),
                     (_fcntl.O_CLOEXEC, "O_CLOEXEC"), (_fcntl.O_NOTIFICATION_PIPE, "O_NOTIFICATION_PIPE")])
cloexec_flags = _flags([(_fcntl.O_CLOEXEC, "O_CLOEXEC")])
epoll_create_flags = _flags([(_fcntl.O_CLOEXEC, "EPOLL_CLOEXEC")])
eventfd_flags = _flags([(_eventfd.EFD_SEMAPHORE, "EFD_SEMAPHORE"), (_eventfd.EFD_NONBLOCK, "EFD_NONBLOCK"),
                        (_eventfd.EFD_CLOEXEC, "EFD_CLOEXEC")])
timerfd_create_flags = _flags([(_timerfd.TFD_NONBLOCK, "TFD_NONBLOCK"), (_timerfd.TFD_CLOEXEC, "TFD_CLOEXEC")])
timerfd_settime_flags = _flags([(_timerfd.TFD_TIMER_ABSTIME, "TFD_TIMER_ABSTIME"),
                                (_timerfd.TFD_TIMER_CANCEL_ON_SET, "TFD_TIMER_CANCEL_ON_SET")])
clock_id = _enum(_names(_timerfd, "CLOCK_"))
msg_flags = _flags(sorted(((v, k) for v, k in _names(_socket, "MSG_").items()), key=lambda p: p[0]))
poll_events = _flags(sorted(((v, k) for v, k in _names(_poll, "POLL", ("POLLRDNORM", "POLLWRNORM")).items()
                             if v and not v & (v - 1)), key=lambda p: p[0])
                     + [(_poll.POLLRDNORM, "POLLRDNORM"), (_poll.POLLWRNORM, "POLLWRNORM")])
address_family = _enum(_names(_socket, "AF_"))
_SOCK_TYPES = _names(_socket, "SOCK_", ("SOCK_NONBLOCK", "SOCK_CLOEXEC", "SOCK_TYPE_MASK"))
_sock_flags = _flags([(_socket.SOCK_NONBLOCK, "SOCK_NONBLOCK"), (_socket.SOCK_CLOEXEC, "SOCK_CLOEXEC")])
shutdown_how = _enum(_names(_socket, "SHUT_"))
ioctl_request = _enum(dict(_ioctl.NAMES))


def sock_type(value: int) -> str:
    """``SOCK_STREAM|SOCK_CLOEXEC``: the type, then its flags."""
    kind = value & _socket.SOCK_TYPE_MASK
    name = _SOCK_TYPES.get(kind, str(kind))
    rest = value & ~_socket.SOCK_TYPE_MASK
    return name if not rest else f"{name}|{_sock_flags(rest)}"

_PROTOCOLS = _names(_inet, "IPPROTO_", ("IPPROTO_HOPOPTS",))
protocol = _enum(_PROTOCOLS)

# setsockopt/getsockopt: the level, then the option within it (include/uapi/asm-generic/socket.h,
# linux/in.h, linux/in6.h, linux/tcp.h, linux/udp.h).
_LEVELS = {**_PROTOCOLS, _socket.SOL_SOCKET: "SOL_SOCKET"}  # SOL_SOCKET is 1, as IPPROTO_ICMP
_OPTIONS = {
    _socket.SOL_SOCKET: _names(_socket, "SO_"),
    _inet.IPPROTO_IP: _names(_inet, "IP_", ("IP_DEFAULT_MULTICAST_LOOP", "IP_DEFAULT_MULTICAST_TTL",
                                            "IP_MAX_MEMBERSHIPS")),
    _inet.IPPROTO_IPV6: _names(_inet, "IPV6_", ("IPV6_RTHDR_TYPE_0",)),
    _inet.IPPROTO_TCP: _names(_inet, "TCP_"),
    _inet.IPPROTO_UDP: _names(_inet, "UDP_"),
}

# fcntl: the command, and what its argument is.
_FCNTL_CMDS = {**_fcntl.UNMODELLED_COMMANDS, **_names(_fcntl, "F_")}
_FCNTL_ARG: dict[int, Callable[[int], str]] = {
    _fcntl.F_SETFL: open_flags,
    _fcntl.F_SETFD: _flags([(_fcntl.FD_CLOEXEC, "FD_CLOEXEC")]),
}

_MASKS: dict[int, str] = {}  # mask -> its names: enum iteration is slow, and few masks occur


def epoll_mask(mask: int) -> str:
    """``EPOLLIN|EPOLLET``, cached."""
    name = _MASKS.get(mask)
    if name is None:
        name = _epoll.mask_name(mask)
        if len(_MASKS) < 4096:
            _MASKS[mask] = name
    return name


epoll_op = _enum({_epoll.EPOLL_CTL_ADD: "EPOLL_CTL_ADD", _epoll.EPOLL_CTL_DEL: "EPOLL_CTL_DEL",
                  _epoll.EPOLL_CTL_MOD: "EPOLL_CTL_MOD"})

Decoder = Callable[[int], str]
# call name -> {argument position: decoder}
DECODERS: dict[str, dict[int, Decoder]] = {
    "pipe2": {0: pipe_flags},
    "dup3": {2: cloexec_flags},
    "eventfd2": {1: eventfd_flags},
    "open_devnull": {0: open_flags},
    "epoll_create1": {0: epoll_create_flags},
    "epoll_ctl": {1: epoll_op, 3: epoll_mask},
    "socket": {0: address_family, 1: sock_type},
    "socketpair": {0: address_family, 1: sock_type},
    "accept4": {1: _sock_flags},
    "sendto": {2: msg_flags},
    "recvfrom": {2: msg_flags},
    "recvmsg": {3: msg_flags},
    "shutdown": {1: shutdown_how},
    "ioctl": {1: ioctl_request},
    "timerfd_create": {0: clock_id, 1: timerfd_create_flags},
    "timerfd_settime": {1: timerfd_settime_flags},
}


def _sockopt(args: tuple[Any, ...], out: list[str]) -> None:
    if len(args) < 3:
        return
    level, option = args[1], args[2]
    if type(level) is int:
        out[1] = _LEVELS.get(level, out[1])
        if type(option) is int:
            out[2] = _OPTIONS.get(level, {}).get(option, out[2])


def _fcntl_call(args: tuple[Any, ...], out: list[str]) -> None:
    if len(args) < 2:
        return
    cmd = args[1]
    if type(cmd) is int:
        out[1] = _FCNTL_CMDS.get(cmd, out[1])
        decode = _FCNTL_ARG.get(cmd)
        if decode is not None and len(args) >= 3 and type(args[2]) is int:
            out[2] = decode(args[2])


def _poll_call(args: tuple[Any, ...], out: list[str]) -> None:
    fds = args[0] if args else None
    if isinstance(fds, list) and all(isinstance(p, tuple) and len(p) == 2 for p in fds[:16]):
        shown = [f"{{fd={fd}, events={poll_events(ev) if type(ev) is int else repr(ev)}}}" for fd, ev in fds[:16]]
        if len(fds) > 16:
            shown.append(f"...({len(fds)} items)")
        out[0] = f"[{', '.join(shown)}]"


def _socket_call(args: tuple[Any, ...], out: list[str]) -> None:
    _decode(DECODERS["socket"], args, out)
    if len(args) >= 3 and type(args[2]) is int and args[0] in (_socket.AF_INET, _socket.AF_INET6):
        out[2] = protocol(args[2])  # strace names the protocol of an inet socket only


# call name -> a decoder that sees every argument (the dependent ones)
DEPENDENT: dict[str, Callable[[tuple[Any, ...], list[str]], None]] = {
    "setsockopt": _sockopt,
    "getsockopt": _sockopt,
    "fcntl": _fcntl_call,
    "socket": _socket_call,
    "socketpair": _socket_call,
    "poll": _poll_call,
}


def decode_args(name: str, args: tuple[Any, ...], out: list[str]) -> None:
    """Replace, in ``out`` (the arguments already formatted), the numbers Linux has names for."""
    dependent = DEPENDENT.get(name)
    if dependent is not None:
        dependent(args, out)
        return
    table = DECODERS.get(name)
    if table is not None:
        _decode(table, args, out)


def _decode(table: dict[int, Decoder], args: tuple[Any, ...], out: list[str]) -> None:
    for i, decode in table.items():
        if i < len(args) and type(args[i]) is int:
            out[i] = decode(args[i])


def decode_poll_result(result: list[int]) -> str:
    """poll's revents, one per fd, by name: ``[POLLIN, 0]``."""
    shown = [poll_events(ev) if type(ev) is int else repr(ev) for ev in result[:16]]
    if len(result) > 16:
        shown.append(f"...({len(result)} items)")
    return f"[{', '.join(shown)}]"
