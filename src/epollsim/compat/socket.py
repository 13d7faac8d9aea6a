"""A stand-in for ``socket``: the module (socketpair, fromfd, default timeout, constants).

The socket objects it makes live in ``socket_object.py``.
"""
from __future__ import annotations

import socket as _real_socket
from typing import Any

from ..abi import inet as _abi_inet
from ..abi import netdb as _abi_netdb
from ..abi import socket as _abi_socket
from ..abi.fcntl import F_DUPFD_CLOEXEC
from ..abi.socket import AF_UNIX, SOCK_CLOEXEC, SOCK_STREAM
from ..net.resolver import Resolver
from ..syscalls import Syscalls
from . import socket_if as _if
from ._convert import c_int, format_i
from ._module import StandIn, copy_constants, on_first_use
from .socket_functions import SocketFunctions
from .socket_msg import cmsg_len, cmsg_space, recv_fds, send_fds
from .socket_object import _NS_PER_SEC, _AddressFamily, _parse_timeout, _SocketKind, socket
from .ssl_socket import SSLSocketMixin

SocketObject = socket  # for annotations inside SocketModule, whose "socket" is its own subclass


class SocketModule(SocketFunctions, StandIn):
    """``k.socket``: the name functions (getaddrinfo, inet_pton, ...) are in socket_functions.py."""

    _mirrors = _real_socket

    # The exception classes are the real ones, so ``except socket.timeout`` works either way.
    error = OSError
    timeout = TimeoutError
    herror = _real_socket.herror
    gaierror = _real_socket.gaierror
    AddressFamily = _AddressFamily
    SocketKind = _SocketKind

    def __init__(self, sys: Syscalls) -> None:
        self._sys = sys
        # The host's name and the model's resolver over the kernel's network (net/resolver.py).
        net = sys.proc.net
        self._hostname = net.name if net is not None else "localhost"
        self._resolver = Resolver(net.network if net is not None else None)
        self._default_timeout_ns: int | None = None
        # The real module while a k.patch() of this host is active (patching.py): where the
        # model's own code looks names up at call time (module_view.py).
        self._patched_into: Any = None
        # Under a patch of several hosts, ``socket.socket``: the class of the sockets the model makes
        # for this host (accept, socketpair, fromfd), so they are the program's class (patch_hosts.py).
        self._shared: type[SocketObject] | None = None

    # This host's socket class, made on first use (compat/_module.py).
    socket: on_first_use[type[SocketObject]] = on_first_use(
        lambda m: type("socket", (socket,), {"__slots__": (), "_module": m, "_sys": m._sys, "__module__": "socket"})
    )
    SocketType: on_first_use[type[SocketObject]] = on_first_use(lambda m: m.socket)
    # ssl.SSLSocket over this host's sockets (compat/ssl_socket.py), for k.patch() and wrap_socket.
    _SSLSocket: on_first_use[type[Any]] = on_first_use(
        lambda m: type("SSLSocket", (SSLSocketMixin, m.socket), {"_plain": m.socket, "__module__": "ssl"})
    )

    def socketpair(self, family: Any = None, type: Any = SOCK_STREAM, proto: Any = 0) -> tuple[SocketObject, SocketObject]:
        """Lib/socket.py socketpair over _socket.socketpair (always SOCK_CLOEXEC)."""
        if family is None:
            family = AF_UNIX
        family, type, proto = format_i(family), format_i(type), format_i(proto)
        a, b = self._sys.socketpair(family, type | SOCK_CLOEXEC, proto)
        return (
            (self._shared or self.socket)._from_fd(a, family, type, proto, self),
            (self._shared or self.socket)._from_fd(b, family, type, proto, self),
        )

    def fromfd(self, fd: Any, family: Any, type: Any, proto: Any = 0) -> SocketObject:
        nfd = self._sys.fcntl(c_int(fd), F_DUPFD_CLOEXEC, 0)
        return self._new_socket(family, type, proto, fileno=nfd)

    def _new_socket(self, *args: Any, **kwargs: Any) -> SocketObject:
        """``self.socket(*args, **kwargs)``, or under a patch of several hosts a socket of the class
        they share, on this host (patch_hosts.py)."""
        cls = self._shared or self.socket
        sock = cls.__new__(cls, _module=self)
        sock.__init__(*args, **kwargs)  # type: ignore[misc]
        return sock

    # Modules/socketmodule.c and Lib/socket.py, over the stand-in's sockets (compat/socket_msg.py).
    CMSG_LEN = staticmethod(cmsg_len)
    CMSG_SPACE = staticmethod(cmsg_space)
    send_fds = staticmethod(send_fds)
    recv_fds = staticmethod(recv_fds)
    SCM_RIGHTS = 1
    SCM_CREDENTIALS = 2

    def if_nameindex(self) -> list[tuple[int, str]]:
        return _if.if_nameindex(self._sys)

    def if_nametoindex(self, oname: Any, /) -> int:
        return _if.if_nametoindex(self._sys, oname)

    def if_indextoname(self, index: Any, /) -> str:
        return _if.if_indextoname(self._sys, index)

    def sethostname(self, name: Any, /) -> None:
        """socket_sethostname: bytes, or a path-like through PyUnicode_FSConverter; then
        sethostname(2), which needs CAP_SYS_ADMIN (the host's ``privileged`` process has it,
        as a privileged container's root does; EPERM otherwise) and at most 64 bytes (EINVAL)."""
        _if.sethostname(self, name)

    def close(self, fd: Any, /) -> None:
        _if.close(self._sys, fd)

    def getdefaulttimeout(self) -> float | None:
        ns = self._default_timeout_ns
        return None if ns is None else ns / _NS_PER_SEC

    def setdefaulttimeout(self, timeout: Any, /) -> None:
        self._default_timeout_ns = _parse_timeout(timeout)


copy_constants(
    SocketModule, _abi_socket, _abi_inet, _abi_netdb,
    prefixes=("AF_", "SOCK_", "SHUT_", "SOL_", "SO_", "MSG_", "IPPROTO_", "IP_", "IPV6_", "TCP_",
              "INADDR_", "SOMAXCONN", "AI_", "NI_", "EAI_"),
)
