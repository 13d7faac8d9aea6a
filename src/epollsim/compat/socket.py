"""A stand-in for ``socket``: the module (socketpair, fromfd, default timeout, constants).

The socket objects it makes live in ``socket_object.py``.
"""
from __future__ import annotations

import socket as _real_socket
import sys
from typing import Any, ClassVar

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
    # The constants set on this class after it is made (copy_constants below: abi/socket.py, inet.py and netdb.py), where the
    # running CPython's module has them, declared for type checkers (tests/unit/test_typing.py
    # checks that the two lists agree).
    AF_INET: ClassVar[int]
    AF_INET6: ClassVar[int]
    AF_UNIX: ClassVar[int]
    AF_UNSPEC: ClassVar[int]
    AI_ADDRCONFIG: ClassVar[int]
    AI_ALL: ClassVar[int]
    AI_CANONNAME: ClassVar[int]
    AI_NUMERICHOST: ClassVar[int]
    AI_NUMERICSERV: ClassVar[int]
    AI_PASSIVE: ClassVar[int]
    AI_V4MAPPED: ClassVar[int]
    EAI_ADDRFAMILY: ClassVar[int]
    EAI_AGAIN: ClassVar[int]
    EAI_BADFLAGS: ClassVar[int]
    EAI_FAIL: ClassVar[int]
    EAI_FAMILY: ClassVar[int]
    EAI_MEMORY: ClassVar[int]
    EAI_NODATA: ClassVar[int]
    EAI_NONAME: ClassVar[int]
    EAI_OVERFLOW: ClassVar[int]
    EAI_SERVICE: ClassVar[int]
    EAI_SOCKTYPE: ClassVar[int]
    EAI_SYSTEM: ClassVar[int]
    INADDR_ALLHOSTS_GROUP: ClassVar[int]
    INADDR_ANY: ClassVar[int]
    INADDR_BROADCAST: ClassVar[int]
    INADDR_LOOPBACK: ClassVar[int]
    INADDR_MAX_LOCAL_GROUP: ClassVar[int]
    INADDR_NONE: ClassVar[int]
    INADDR_UNSPEC_GROUP: ClassVar[int]
    IPPROTO_AH: ClassVar[int]
    IPPROTO_DSTOPTS: ClassVar[int]
    IPPROTO_EGP: ClassVar[int]
    IPPROTO_ESP: ClassVar[int]
    IPPROTO_FRAGMENT: ClassVar[int]
    IPPROTO_GRE: ClassVar[int]
    IPPROTO_HOPOPTS: ClassVar[int]
    IPPROTO_ICMP: ClassVar[int]
    IPPROTO_ICMPV6: ClassVar[int]
    IPPROTO_IDP: ClassVar[int]
    IPPROTO_IGMP: ClassVar[int]
    IPPROTO_IP: ClassVar[int]
    IPPROTO_IPIP: ClassVar[int]
    IPPROTO_IPV6: ClassVar[int]
    IPPROTO_MPTCP: ClassVar[int]
    IPPROTO_NONE: ClassVar[int]
    IPPROTO_PIM: ClassVar[int]
    IPPROTO_PUP: ClassVar[int]
    IPPROTO_RAW: ClassVar[int]
    IPPROTO_ROUTING: ClassVar[int]
    IPPROTO_RSVP: ClassVar[int]
    IPPROTO_SCTP: ClassVar[int]
    IPPROTO_TCP: ClassVar[int]
    IPPROTO_TP: ClassVar[int]
    IPPROTO_UDP: ClassVar[int]
    IPPROTO_UDPLITE: ClassVar[int]
    IPV6_CHECKSUM: ClassVar[int]
    IPV6_DONTFRAG: ClassVar[int]
    IPV6_DSTOPTS: ClassVar[int]
    IPV6_HOPLIMIT: ClassVar[int]
    IPV6_HOPOPTS: ClassVar[int]
    IPV6_JOIN_GROUP: ClassVar[int]
    IPV6_LEAVE_GROUP: ClassVar[int]
    IPV6_MULTICAST_HOPS: ClassVar[int]
    IPV6_MULTICAST_IF: ClassVar[int]
    IPV6_MULTICAST_LOOP: ClassVar[int]
    IPV6_NEXTHOP: ClassVar[int]
    IPV6_PATHMTU: ClassVar[int]
    IPV6_PKTINFO: ClassVar[int]
    IPV6_RECVDSTOPTS: ClassVar[int]
    IPV6_RECVHOPLIMIT: ClassVar[int]
    IPV6_RECVHOPOPTS: ClassVar[int]
    IPV6_RECVPATHMTU: ClassVar[int]
    IPV6_RECVPKTINFO: ClassVar[int]
    IPV6_RECVRTHDR: ClassVar[int]
    IPV6_RECVTCLASS: ClassVar[int]
    IPV6_RTHDR: ClassVar[int]
    IPV6_RTHDRDSTOPTS: ClassVar[int]
    IPV6_RTHDR_TYPE_0: ClassVar[int]
    IPV6_TCLASS: ClassVar[int]
    IPV6_UNICAST_HOPS: ClassVar[int]
    IPV6_V6ONLY: ClassVar[int]
    IP_ADD_MEMBERSHIP: ClassVar[int]
    IP_DEFAULT_MULTICAST_LOOP: ClassVar[int]
    IP_DEFAULT_MULTICAST_TTL: ClassVar[int]
    IP_DROP_MEMBERSHIP: ClassVar[int]
    IP_HDRINCL: ClassVar[int]
    IP_MAX_MEMBERSHIPS: ClassVar[int]
    IP_MULTICAST_IF: ClassVar[int]
    IP_MULTICAST_LOOP: ClassVar[int]
    IP_MULTICAST_TTL: ClassVar[int]
    IP_OPTIONS: ClassVar[int]
    IP_RECVOPTS: ClassVar[int]
    IP_RECVRETOPTS: ClassVar[int]
    IP_RECVTOS: ClassVar[int]
    IP_RETOPTS: ClassVar[int]
    IP_TOS: ClassVar[int]
    IP_TRANSPARENT: ClassVar[int]
    IP_TTL: ClassVar[int]
    MSG_CMSG_CLOEXEC: ClassVar[int]
    MSG_CONFIRM: ClassVar[int]
    MSG_CTRUNC: ClassVar[int]
    MSG_DONTROUTE: ClassVar[int]
    MSG_DONTWAIT: ClassVar[int]
    MSG_EOR: ClassVar[int]
    MSG_ERRQUEUE: ClassVar[int]
    MSG_FASTOPEN: ClassVar[int]
    MSG_MORE: ClassVar[int]
    MSG_NOSIGNAL: ClassVar[int]
    MSG_OOB: ClassVar[int]
    MSG_PEEK: ClassVar[int]
    MSG_TRUNC: ClassVar[int]
    MSG_WAITALL: ClassVar[int]
    NI_DGRAM: ClassVar[int]
    NI_MAXHOST: ClassVar[int]
    NI_MAXSERV: ClassVar[int]
    NI_NAMEREQD: ClassVar[int]
    NI_NOFQDN: ClassVar[int]
    NI_NUMERICHOST: ClassVar[int]
    NI_NUMERICSERV: ClassVar[int]
    SHUT_RD: ClassVar[int]
    SHUT_RDWR: ClassVar[int]
    SHUT_WR: ClassVar[int]
    SOCK_CLOEXEC: ClassVar[int]
    SOCK_DGRAM: ClassVar[int]
    SOCK_NONBLOCK: ClassVar[int]
    SOCK_RAW: ClassVar[int]
    SOCK_RDM: ClassVar[int]
    SOCK_SEQPACKET: ClassVar[int]
    SOCK_STREAM: ClassVar[int]
    SOL_IP: ClassVar[int]
    SOL_SOCKET: ClassVar[int]
    SOL_TCP: ClassVar[int]
    SOL_UDP: ClassVar[int]
    SOMAXCONN: ClassVar[int]
    SO_ACCEPTCONN: ClassVar[int]
    SO_BINDTODEVICE: ClassVar[int]
    SO_BROADCAST: ClassVar[int]
    SO_DEBUG: ClassVar[int]
    SO_DOMAIN: ClassVar[int]
    SO_DONTROUTE: ClassVar[int]
    SO_ERROR: ClassVar[int]
    SO_KEEPALIVE: ClassVar[int]
    SO_LINGER: ClassVar[int]
    SO_MARK: ClassVar[int]
    SO_OOBINLINE: ClassVar[int]
    SO_PASSCRED: ClassVar[int]
    SO_PASSSEC: ClassVar[int]
    SO_PEERCRED: ClassVar[int]
    SO_PEERSEC: ClassVar[int]
    SO_PRIORITY: ClassVar[int]
    SO_PROTOCOL: ClassVar[int]
    SO_RCVBUF: ClassVar[int]
    SO_RCVLOWAT: ClassVar[int]
    SO_RCVTIMEO: ClassVar[int]
    SO_REUSEADDR: ClassVar[int]
    SO_REUSEPORT: ClassVar[int]
    SO_SNDBUF: ClassVar[int]
    SO_SNDLOWAT: ClassVar[int]
    SO_SNDTIMEO: ClassVar[int]
    SO_TYPE: ClassVar[int]
    TCP_CONGESTION: ClassVar[int]
    TCP_CORK: ClassVar[int]
    TCP_DEFER_ACCEPT: ClassVar[int]
    TCP_FASTOPEN: ClassVar[int]
    TCP_INFO: ClassVar[int]
    TCP_KEEPCNT: ClassVar[int]
    TCP_KEEPIDLE: ClassVar[int]
    TCP_KEEPINTVL: ClassVar[int]
    TCP_LINGER2: ClassVar[int]
    TCP_MAXSEG: ClassVar[int]
    TCP_NODELAY: ClassVar[int]
    TCP_NOTSENT_LOWAT: ClassVar[int]
    TCP_QUICKACK: ClassVar[int]
    TCP_SYNCNT: ClassVar[int]
    TCP_USER_TIMEOUT: ClassVar[int]
    TCP_WINDOW_CLAMP: ClassVar[int]
    if sys.version_info >= (3, 11):
        IP_BIND_ADDRESS_NO_PORT: ClassVar[int]
        SO_INCOMING_CPU: ClassVar[int]
    if sys.version_info >= (3, 12):
        IP_ADD_SOURCE_MEMBERSHIP: ClassVar[int]
        IP_BLOCK_SOURCE: ClassVar[int]
        IP_DROP_SOURCE_MEMBERSHIP: ClassVar[int]
        IP_PKTINFO: ClassVar[int]
        IP_UNBLOCK_SOURCE: ClassVar[int]
        TCP_CC_INFO: ClassVar[int]
        TCP_FASTOPEN_CONNECT: ClassVar[int]
        TCP_FASTOPEN_KEY: ClassVar[int]
        TCP_FASTOPEN_NO_COOKIE: ClassVar[int]
        TCP_INQ: ClassVar[int]
        TCP_MD5SIG: ClassVar[int]
        TCP_MD5SIG_EXT: ClassVar[int]
        TCP_QUEUE_SEQ: ClassVar[int]
        TCP_REPAIR: ClassVar[int]
        TCP_REPAIR_OPTIONS: ClassVar[int]
        TCP_REPAIR_QUEUE: ClassVar[int]
        TCP_REPAIR_WINDOW: ClassVar[int]
        TCP_SAVED_SYN: ClassVar[int]
        TCP_SAVE_SYN: ClassVar[int]
        TCP_THIN_DUPACK: ClassVar[int]
        TCP_THIN_LINEAR_TIMEOUTS: ClassVar[int]
        TCP_TIMESTAMP: ClassVar[int]
        TCP_TX_DELAY: ClassVar[int]
        TCP_ULP: ClassVar[int]
        TCP_ZEROCOPY_RECEIVE: ClassVar[int]
    if sys.version_info >= (3, 13):
        NI_IDN: ClassVar[int]
        SO_BINDTOIFINDEX: ClassVar[int]

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

    # This host's socket classes, made on first use (compat/_module.py): ``SocketType`` is
    # ``_socket.socket`` (under k.patch() too), with sock_repr's ``<socket object, fd=3, ...>``,
    # and ``socket`` its subclass with Lib/socket.py's repr, as in CPython.
    SocketType: on_first_use[type[SocketObject]] = on_first_use(
        lambda m: type("socket", (socket,), {"__slots__": (), "_module": m, "_sys": m._sys, "__module__": "_socket",
                                             "__repr__": socket._c_repr})
    )
    socket: on_first_use[type[SocketObject]] = on_first_use(
        lambda m: type("socket", (m.SocketType,), {"__slots__": (), "__module__": "socket", "__repr__": socket.__repr__})
    )
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
