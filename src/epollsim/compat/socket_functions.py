"""The ``socket`` module's functions beyond sockets: names, services, address text, byte order,
and Lib/socket.py's create_connection/create_server, over the model's resolver.

Every function converts its arguments as Modules/socketmodule.c does and fails
with CPython's exception and message; name lookups go to ``net/resolver.py``
(the model's hosts, never the real resolver). ``inet_pton``, ``inet_ntop``,
``inet_aton`` and ``inet_ntoa`` are pure and match the real ones exactly
(glibc's parsers, in ``net/inet_text.py``).
"""
from __future__ import annotations

import builtins
import socket as _real_socket
import sys
from collections.abc import Callable
from socket import herror  # the real class, as SocketModule.herror
from typing import TYPE_CHECKING, Any

from ..abi.netdb import AI_NUMERICHOST, H_MESSAGES, NO_RECOVERY
from ..abi.socket import AF_INET, AF_INET6, AF_UNSPEC, SOCK_DGRAM, SOCK_STREAM
from ..errors import oserror
from ..net.inet_text import inet_aton, inet_ntop4, inet_ntop6, inet_pton4, inet_pton6
from ..net.resolver import Resolver
from ..net.resolver import getservbyname as _getservbyname
from ..net.resolver import getservbyport as _getservbyport
from ._convert import as_bytes, c_int_313, c_long, format_i
from ._sockaddr import format_I, makesockaddr, setipaddr
from .socket_object import _AddressFamily, _SocketKind

if TYPE_CHECKING:
    from .socket_object import socket
    from .socket_object import socket as _Socket  # where a method's scope has its own "socket"

_EAFNOSUPPORT = 97
_IPPROTO_IPV6 = 41
_IPV6_V6ONLY = 26
_SOL_SOCKET = 1
_SO_REUSEADDR = 2
_SO_REUSEPORT = 15

# /etc/protocols (netbase): the protocols getprotobyname knows.
_PROTOCOLS = {"ip": 0, "icmp": 1, "igmp": 2, "tcp": 6, "udp": 17, "ipv6": 41, "gre": 47,
              "esp": 50, "ah": 51, "ipv6-icmp": 58, "sctp": 132, "udplite": 136, "raw": 255}

# The real module's sentinel: callers (http.client, ...) pass socket._GLOBAL_DEFAULT_TIMEOUT.
_GLOBAL_DEFAULT_TIMEOUT = _real_socket._GLOBAL_DEFAULT_TIMEOUT  # type: ignore[attr-defined]


def _intenum(value: int, enum_klass: Any) -> Any:
    try:
        return enum_klass(value)
    except ValueError:
        return value


def _str_arg(value: Any, func: str, position: int | None) -> str:
    """The "s" format: a str without NUL (``position`` None: the function's only argument, as
    Argument Clinic names it)."""
    if not isinstance(value, str):
        which = "argument" if position is None else f"argument {position}"
        raise TypeError(f"{func}() {which} must be str, not {type(value).__name__}")
    if "\0" in value:
        raise ValueError("embedded null character")
    return value


def _et_arg(value: Any, func: str) -> str:
    """The "et" format with the idna encoding: str (encoded), bytes or bytearray; no NUL."""
    if isinstance(value, str):
        data = value.encode("idna")
    elif isinstance(value, (bytes, bytearray)):
        data = bytes(value)
    else:
        raise TypeError(f"{func}() argument 1 must be str, bytes or bytearray, not {type(value).__name__}")
    if b"\0" in data:
        raise ValueError("embedded null character")
    return data.decode("latin-1")


def _swap16(name: str, value: Any) -> int:
    x = c_int_313(value) if sys.version_info >= (3, 13) else format_i(value)
    if x < 0:
        raise OverflowError(f"{name}: can't convert negative Python int to C 16-bit unsigned integer")
    if x > 0xFFFF:
        raise OverflowError(f"{name}: Python int too large to convert to C 16-bit unsigned integer")
    return ((x & 0xFF) << 8) | (x >> 8)


def _swap32(value: Any) -> int:
    if not isinstance(value, int):
        raise TypeError(f"expected int, {type(value).__name__} found")
    if value < 0:
        raise OverflowError("can't convert negative value to unsigned int")
    if value > 0xFFFFFFFFFFFFFFFF:
        raise OverflowError("Python int too large to convert to C unsigned long")
    if value > 0xFFFFFFFF:
        raise OverflowError("int larger than 32 bits")
    return int.from_bytes(int(value).to_bytes(4, "big"), "little")


def _without_all_errors(create_connection: Any) -> Any:
    """Python 3.10's create_connection signature: no ``all_errors`` (the same steps otherwise)."""

    def create_connection_310(
        self: Any, address: Any, timeout: Any = _GLOBAL_DEFAULT_TIMEOUT, source_address: Any = None
    ) -> Any:
        return create_connection(self, address, timeout, source_address)

    create_connection_310.__name__ = create_connection.__name__
    create_connection_310.__qualname__ = create_connection.__qualname__
    create_connection_310.__doc__ = create_connection.__doc__
    return create_connection_310


class SocketFunctions:
    """The module-level functions of ``k.socket`` (mixed into SocketModule)."""

    socket: type[socket]
    _new_socket: Callable[..., _Socket]  # SocketModule's: self.socket(...) on this host
    _hostname: str
    _resolver: Resolver

    has_ipv6 = True

    # -- names ------------------------------------------------------------------

    def gethostname(self) -> str:
        return self._hostname

    def getaddrinfo(
        self, host: Any, port: Any, family: Any = 0, type: Any = 0, proto: Any = 0, flags: Any = 0
    ) -> list[tuple[Any, Any, int, str, Any]]:
        """Lib/socket.py getaddrinfo over socket_getaddrinfo, answered by the model's resolver."""
        family, type, proto, flags = format_i(family), format_i(type), format_i(proto), format_i(flags)
        if host is None:
            name = None
        elif isinstance(host, str):
            name = host.encode("idna").decode("latin-1")
        elif isinstance(host, bytes):
            name = host.decode("latin-1")
        else:
            raise TypeError("getaddrinfo() argument 1 must be string or None")
        if name is not None:
            name = name.split("\0", 1)[0]  # the C string ends at the first NUL
        if port.__class__ is int:  # PyLong_CheckExact: not bool, not an int subclass
            # 3.12 passes any int on as its decimal string (gh-74895); before, a C long.
            service: str | None = str(port if sys.version_info >= (3, 12) else c_long(port))
        elif isinstance(port, str):
            service = port.encode("utf-8").decode("latin-1")
        elif isinstance(port, bytes):
            service = port.decode("latin-1")
        elif port is None:
            service = None
        else:
            raise OSError("Int or String expected")
        if service is not None:
            service = service.split("\0", 1)[0]
        out = []
        for ai in self._resolver.getaddrinfo(name, service, family, type, proto, flags):
            if ai.family == AF_INET:
                sa = makesockaddr(AF_INET, (ai.addr, ai.port))
            else:
                sa = makesockaddr(AF_INET6, (ai.addr, ai.port, 0, ai.scope_id))
            out.append((_intenum(ai.family, _AddressFamily), _intenum(ai.socktype, _SocketKind),
                        ai.proto, ai.canonname, sa))
        return out

    def getnameinfo(self, sockaddr: Any, flags: Any, /) -> tuple[str, str]:
        """socket_getnameinfo: a numeric lookup of the address first, then the reverse one."""
        flags = format_i(flags)  # "Oi:getnameinfo": the flags convert first
        if not isinstance(sockaddr, tuple):
            raise TypeError("getnameinfo() argument 1 must be a tuple")
        if not 2 <= len(sockaddr) <= 4:
            raise TypeError("getnameinfo(): illegal sockaddr argument")
        host = sockaddr[0]
        if not isinstance(host, str):
            raise TypeError("getnameinfo(): illegal sockaddr argument")
        if "\0" in host:
            raise ValueError("embedded null character")
        port = format_i(sockaddr[1])
        flowinfo = format_I(sockaddr[2]) if len(sockaddr) > 2 else 0
        if len(sockaddr) > 3:
            format_I(sockaddr[3])
        if flowinfo > 0xFFFFF:
            raise OverflowError("getnameinfo(): flowinfo must be 0-1048575.")
        res = self._resolver.getaddrinfo(host, str(port), AF_UNSPEC, SOCK_DGRAM, 0, AI_NUMERICHOST)
        if len(res) > 1:
            raise OSError("sockaddr resolved to multiple addresses")
        ai = res[0]
        if ai.family == AF_INET and len(sockaddr) != 2:
            raise OSError("IPv4 sockaddr must be 2 tuple")
        return self._resolver.getnameinfo(ai.family, ai.addr, ai.port, flags)

    def gethostbyname(self, hostname: Any, /) -> str:
        name = _et_arg(hostname, "gethostbyname")
        _, addr, _ = setipaddr(self._resolver, name, AF_INET)
        return addr

    def gethostbyname_ex(self, hostname: Any, /) -> tuple[str, list[str], list[str]]:
        name = _et_arg(hostname, "gethostbyname_ex")
        setipaddr(self._resolver, name, AF_INET)
        if name == "":
            raise herror(NO_RECOVERY, H_MESSAGES[NO_RECOVERY])  # gethostbyname_r("")
        return self._resolver.gethostbyname(name, AF_INET)

    def gethostbyaddr(self, ip_address: Any, /) -> tuple[str, list[str], list[str]]:
        name = _et_arg(ip_address, "gethostbyaddr")
        family, addr, _ = setipaddr(self._resolver, name, AF_UNSPEC)
        return self._resolver.gethostbyaddr(family, addr)

    def getfqdn(self, name: str = "") -> str:
        """Lib/socket.py getfqdn."""
        name = name.strip()
        if not name or name in ("0.0.0.0", "::"):
            name = self.gethostname()
        try:
            hostname, aliases, _ = self.gethostbyaddr(name)
        except OSError:
            pass
        else:
            aliases.insert(0, hostname)
            for name in aliases:
                if "." in name:
                    break
            else:
                name = hostname
        return name

    # -- services and protocols ---------------------------------------------------

    def getservbyname(self, servicename: Any, protocolname: Any = None, /) -> int:
        name = _str_arg(servicename, "getservbyname", 1)
        proto = None if protocolname is None else _str_arg(protocolname, "getservbyname", 2)
        port = _getservbyname(name, proto)
        if port is None:
            raise OSError("service/proto not found")
        return port

    def getservbyport(self, port: Any, protocolname: Any = None, /) -> str:
        num = format_i(port)
        proto = None if protocolname is None else _str_arg(protocolname, "getservbyport", 2)
        if not 0 <= num <= 0xFFFF:
            raise OverflowError("getservbyport: port must be 0-65535.")
        name = _getservbyport(num, proto)
        if name is None:
            raise OSError("port/proto not found")
        return name

    def getprotobyname(self, protocolname: Any, /) -> int:
        name = _str_arg(protocolname, "getprotobyname", 1)
        try:
            return _PROTOCOLS[name]
        except KeyError:
            raise OSError("protocol not found") from None

    # -- address text and byte order ------------------------------------------------

    @staticmethod
    def inet_pton(address_family: Any, ip_string: Any, /) -> bytes:
        af = format_i(address_family)
        text = _str_arg(ip_string, "inet_pton", 2)
        if af == AF_INET:
            packed = inet_pton4(text)
        elif af == AF_INET6:
            packed = inet_pton6(text)
        else:
            raise oserror(_EAFNOSUPPORT)
        if packed is None:
            raise OSError("illegal IP address string passed to inet_pton")
        return packed

    @staticmethod
    def inet_ntop(address_family: Any, packed_ip: Any, /) -> str:
        af = format_i(address_family)
        packed = as_bytes(packed_ip)  # the "y*" format
        if af == AF_INET:
            if len(packed) != 4:
                raise ValueError("invalid length of packed IP address string")
            return inet_ntop4(packed)
        if af == AF_INET6:
            if len(packed) != 16:
                raise ValueError("invalid length of packed IP address string")
            return inet_ntop6(packed)
        raise ValueError(f"unknown address family {af}")

    @staticmethod
    def inet_aton(ip_string: Any, /) -> bytes:
        # 3.13's Argument Clinic names the one argument without a number.
        packed = inet_aton(_str_arg(ip_string, "inet_aton", None if sys.version_info >= (3, 13) else 1))
        if packed is None:
            raise OSError("illegal IP address string passed to inet_aton")
        return packed

    @staticmethod
    def inet_ntoa(packed_ip: Any, /) -> str:
        packed = as_bytes(packed_ip)  # the "y*" format
        if len(packed) != 4:
            raise OSError("packed IP wrong length for inet_ntoa")
        return inet_ntop4(packed)

    @staticmethod
    def htons(x: Any, /) -> int:
        return _swap16("htons", x)

    @staticmethod
    def ntohs(x: Any, /) -> int:
        return _swap16("ntohs", x)

    @staticmethod
    def htonl(x: Any, /) -> int:
        return _swap32(x)

    @staticmethod
    def ntohl(x: Any, /) -> int:
        return _swap32(x)

    # -- Lib/socket.py's helpers ------------------------------------------------------

    def create_connection(
        self, address: Any, timeout: Any = _GLOBAL_DEFAULT_TIMEOUT, source_address: Any = None,
        *, all_errors: bool = False,
    ) -> _Socket:
        """Lib/socket.py create_connection: each getaddrinfo result in turn."""
        host, port = address
        exceptions: list[OSError] = []
        for af, socktype, proto, _canonname, sa in self.getaddrinfo(host, port, 0, SOCK_STREAM):
            sock = None
            try:
                sock = self._new_socket(af, socktype, proto)
                if timeout is not _GLOBAL_DEFAULT_TIMEOUT:
                    sock.settimeout(timeout)
                if source_address:
                    sock.bind(source_address)
                sock.connect(sa)
                exceptions.clear()
                return sock
            except OSError as exc:
                if not all_errors:
                    exceptions.clear()
                exceptions.append(exc)
                if sock is not None:
                    sock.close()
        if exceptions:
            try:
                if not all_errors:
                    raise exceptions[0]
                group = getattr(builtins, "ExceptionGroup")  # noqa: B009 - Python 3.11+, as all_errors
                raise group("create_connection failed", exceptions)
            finally:
                exceptions.clear()
        raise OSError("getaddrinfo returns an empty list")

    if sys.version_info < (3, 11):  # all_errors (and ExceptionGroup) are new in 3.11
        create_connection = _without_all_errors(create_connection)

    def has_dualstack_ipv6(self) -> bool:
        try:
            with self._new_socket(AF_INET6, SOCK_STREAM) as sock:
                sock.setsockopt(_IPPROTO_IPV6, _IPV6_V6ONLY, 0)
                return True
        except OSError:
            return False

    def create_server(
        self, address: Any, *, family: Any = AF_INET, backlog: Any = None, reuse_port: bool = False,
        dualstack_ipv6: bool = False,
    ) -> _Socket:
        """Lib/socket.py create_server (the POSIX branch: SO_REUSEADDR always)."""
        if dualstack_ipv6:
            if not self.has_dualstack_ipv6():
                raise ValueError("dualstack_ipv6 not supported on this platform")
            if family != AF_INET6:
                raise ValueError("dualstack_ipv6 requires AF_INET6 family")
        sock = self._new_socket(family, SOCK_STREAM)
        try:
            try:
                sock.setsockopt(_SOL_SOCKET, _SO_REUSEADDR, 1)
            except OSError:
                pass
            if reuse_port:
                sock.setsockopt(_SOL_SOCKET, _SO_REUSEPORT, 1)
            if family == AF_INET6:
                sock.setsockopt(_IPPROTO_IPV6, _IPV6_V6ONLY, 0 if dualstack_ipv6 else 1)
            try:
                sock.bind(address)
            except OSError as err:
                msg = f"{err.strerror} (while attempting to bind on address {address!r})"
                raise OSError(err.errno, msg) from None
            if backlog is None:
                sock.listen()
            else:
                sock.listen(backlog)
            return sock
        except OSError:
            sock.close()
            raise
