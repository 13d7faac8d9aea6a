"""The model's resolver: glibc's getaddrinfo/getnameinfo over the model's hosts, never the real one.

Theory of operation
-------------------
The model's "hosts file" is built from the kernel's network: every host has
the entries a typical Debian /etc/hosts has (``127.0.0.1 localhost`` and
``::1 localhost ip6-localhost ip6-loopback``), followed by one IPv4 and one
IPv6 entry for each simulated host, named after it. So every host resolves
every host's name, and "localhost" is 127.0.0.1 and ::1 everywhere. Names
match without regard to case, as nss_files compares them; anything else is
unknown (EAI_NONAME): there is no DNS.

``getaddrinfo`` is sysdeps/posix/getaddrinfo.c step by step: the argument
checks (EAI_NONAME for neither host nor service, EAI_BADFLAGS, EAI_FAMILY),
the service (a number as strtoul reads it, or a name from ``SERVICES``
for each protocol of the socket-type table, EAI_SERVICE when none has it),
the host (numeric IPv4 as inet_aton_exact reads it, numeric IPv6 with an
optional %scope, EAI_ADDRFAMILY for a numeric address of the other family,
AI_NUMERICHOST, AI_V4MAPPED), and the results: each address with each
(socket type, protocol) pair, the canonical name on the first. The order is
what glibc's RFC 3484 sort gives with its default tables: IPv6 before IPv4
(::1 has precedence 50, other IPv6 40, IPv4 10), except that the passive
wildcards come IPv4 first (0.0.0.0, then ::: an unspecified IPv6
destination has no source address, which rule 1 puts last).

Errors are ``socket.gaierror(code, gai_strerror(code))`` and, for the
gethostby* family, ``socket.herror(h_errno, hstrerror(h_errno))``.
"""
from __future__ import annotations

from socket import gaierror, herror  # the real exception classes: programs catch these
from typing import TYPE_CHECKING, NamedTuple

from ..abi.netdb import (
    AI_ACCEPTED,
    AI_ALL,
    AI_CANONNAME,
    AI_NUMERICHOST,
    AI_NUMERICSERV,
    AI_PASSIVE,
    AI_V4MAPPED,
    EAI_ADDRFAMILY,
    EAI_BADFLAGS,
    EAI_FAMILY,
    EAI_NONAME,
    EAI_SERVICE,
    EAI_SOCKTYPE,
    GAI_MESSAGES,
    H_MESSAGES,
    HOST_NOT_FOUND,
    NI_ACCEPTED,
    NI_DGRAM,
    NI_NAMEREQD,
    NI_NUMERICHOST,
    NI_NUMERICSERV,
)
from ..abi.socket import AF_INET, AF_INET6, AF_UNSPEC, SOCK_DGRAM, SOCK_SEQPACKET, SOCK_STREAM
from .inet_text import inet_aton, inet_ntop4, inet_ntop6, inet_pton4, inet_pton6

if TYPE_CHECKING:
    from .network import Network

_SOCK_RAW = 3
_SOCK_DCCP = 6

# sysdeps/posix/getaddrinfo.c gaih_inet_typeproto: (socktype, protocol, name,
# PROTOANY, NOSERV, returned for socktype 0 and protocol 0).
_TYPEPROTO = (
    (SOCK_STREAM, 6, "tcp", False, False, True),
    (SOCK_DGRAM, 17, "udp", False, False, True),
    (_SOCK_DCCP, 33, "dccp", False, False, False),
    (SOCK_DGRAM, 136, "udplite", False, False, False),
    (SOCK_STREAM, 132, "sctp", False, False, False),
    (SOCK_SEQPACKET, 132, "sctp", False, False, False),
    (_SOCK_RAW, 0, "raw", True, True, True),
)

# The common entries of /etc/services (Debian netbase 6.4, IANA's registry):
# (name, port, protocol, aliases), in file order.
SERVICES: tuple[tuple[str, int, str, tuple[str, ...]], ...] = (
    ("echo", 7, "tcp", ()), ("echo", 7, "udp", ()),
    ("discard", 9, "tcp", ("sink", "null")), ("discard", 9, "udp", ("sink", "null")),
    ("daytime", 13, "tcp", ()), ("daytime", 13, "udp", ()),
    ("ftp-data", 20, "tcp", ()), ("ftp", 21, "tcp", ()),
    ("ssh", 22, "tcp", ()), ("telnet", 23, "tcp", ()), ("smtp", 25, "tcp", ("mail",)),
    ("domain", 53, "tcp", ()), ("domain", 53, "udp", ()),
    ("bootps", 67, "udp", ()), ("bootpc", 68, "udp", ()), ("tftp", 69, "udp", ()),
    ("http", 80, "tcp", ("www",)),
    ("kerberos", 88, "tcp", ("kerberos5", "krb5", "kerberos-sec")),
    ("kerberos", 88, "udp", ("kerberos5", "krb5", "kerberos-sec")),
    ("pop3", 110, "tcp", ("pop-3",)), ("ntp", 123, "udp", ()), ("imap2", 143, "tcp", ("imap",)),
    ("snmp", 161, "tcp", ()), ("snmp", 161, "udp", ()),
    ("ldap", 389, "tcp", ()), ("ldap", 389, "udp", ()),
    ("https", 443, "tcp", ()), ("https", 443, "udp", ()),
    ("syslog", 514, "udp", ()), ("submission", 587, "tcp", ()),
    ("imaps", 993, "tcp", ()), ("pop3s", 995, "tcp", ()),
    ("mysql", 3306, "tcp", ()), ("sip", 5060, "tcp", ()), ("sip", 5060, "udp", ()),
    ("postgresql", 5432, "tcp", ("postgres",)), ("redis", 6379, "tcp", ()),
    ("http-alt", 8080, "tcp", ("webcache",)),
)

# Interface names a %scope may use (if_nametoindex): the model's hosts have a
# loopback device (index 1) and one network device (index 2).
_INTERFACES = {"lo": 1, "eth0": 2}


_LOOPBACK_NAMES = ("localhost", "ip6-localhost", "ip6-loopback")


class HostEntry(NamedTuple):
    """One line of the hosts file: canonical name, aliases, one address (canonical text)."""

    name: str
    aliases: tuple[str, ...]
    family: int
    addr: str


class AddrInfo(NamedTuple):
    """One getaddrinfo result; ``addr`` is the address as inet_ntop prints it."""

    family: int
    socktype: int
    proto: int
    canonname: str
    addr: str
    port: int
    scope_id: int


def gai_error(code: int) -> gaierror:
    return gaierror(code, GAI_MESSAGES[code])


def h_error(code: int) -> herror:
    return herror(code, H_MESSAGES[code])


def getservbyname(name: str, proto: str | None) -> int | None:
    """getservbyname(3) over ``SERVICES``: the port, or None."""
    for sname, port, sproto, aliases in SERVICES:
        if (name == sname or name in aliases) and (proto is None or proto == sproto):
            return port
    return None


def getservbyport(port: int, proto: str | None) -> str | None:
    for sname, sport, sproto, _ in SERVICES:
        if port == sport and (proto is None or proto == sproto):
            return sname
    return None


def _strtoul_int(s: str) -> tuple[int, bool]:
    """(int)strtoul(s, &end, 10) and whether the whole string was the number (``*end == 0``)."""
    i, n = 0, len(s)
    while i < n and s[i] in " \t\n\v\f\r":
        i += 1
    neg = False
    if i < n and s[i] in "+-":
        neg = s[i] == "-"
        i += 1
    j = i
    while j < n and "0" <= s[j] <= "9":
        j += 1
    if j == i:
        return 0, n == 0
    value = int(s[i:j])
    value = 0xFFFFFFFFFFFFFFFF if value > 0xFFFFFFFFFFFFFFFF else (-value if neg else value) & 0xFFFFFFFFFFFFFFFF
    value &= 0xFFFFFFFF
    if value >= 0x80000000:
        value -= 1 << 32
    return value, j == n


def _mapped(addr4: str) -> str:
    return inet_ntop6(b"\0" * 10 + b"\xff\xff" + inet_pton4(addr4))  # type: ignore[operator]


def _is_link_local6(packed: bytes) -> bool:
    return (packed[0] == 0xFE and packed[1] & 0xC0 == 0x80) or (packed[0] == 0xFF and packed[1] & 0x0F == 2)


def _scope_id(packed: bytes, scope: str) -> int | None:
    """__inet6_scopeid_pton: an interface name or number, for link-local addresses only."""
    if not _is_link_local6(packed):
        return None
    if scope in _INTERFACES:
        return _INTERFACES[scope]
    if scope and scope.isdigit() and scope.isascii():
        value = int(scope)
        return value if value <= 0xFFFFFFFF else None
    return None


class Resolver:
    """Name and service lookups for the hosts of one network (or just localhost, without one)."""

    def __init__(self, network: Network | None = None) -> None:
        self.network = network

    # -- the hosts file -------------------------------------------------------

    def entries(self) -> list[HostEntry]:
        lines = [
            HostEntry("localhost", (), AF_INET, "127.0.0.1"),
            HostEntry("localhost", ("ip6-localhost", "ip6-loopback"), AF_INET6, "::1"),
        ]
        if self.network is not None:
            for name, stack in self.network.stacks.items():
                if name.lower() in _LOOPBACK_NAMES:
                    continue  # a host called "localhost" is the loopback lines above
                lines.append(HostEntry(name, (), AF_INET, stack.addr4))
                lines.append(HostEntry(name, (), AF_INET6, inet_ntop6(inet_pton6(stack.addr6) or b"")))
        return lines

    def by_name(self, name: str) -> list[HostEntry]:
        """Every hosts-file line naming ``name`` (nss_files: case-insensitive), in file order."""
        key = name.lower()
        return [e for e in self.entries() if e.name.lower() == key or key in (a.lower() for a in e.aliases)]

    def by_addr(self, family: int, addr: str) -> HostEntry | None:
        for e in self.entries():
            if e.family == family and e.addr == addr:
                return e
        return None

    # -- getaddrinfo ----------------------------------------------------------

    def getaddrinfo(
        self, name: str | None, service: str | None, family: int = AF_UNSPEC,
        socktype: int = 0, proto: int = 0, flags: int = 0,
    ) -> list[AddrInfo]:
        """sysdeps/posix/getaddrinfo.c getaddrinfo; raises gaierror."""
        if name == "*":
            name = None
        if service == "*":
            service = None
        if name is None and service is None:
            raise gai_error(EAI_NONAME)
        if flags & ~AI_ACCEPTED:
            raise gai_error(EAI_BADFLAGS)
        if flags & AI_CANONNAME and name is None:
            raise gai_error(EAI_BADFLAGS)
        if family not in (AF_UNSPEC, AF_INET, AF_INET6):
            raise gai_error(EAI_FAMILY)
        num: int | None = None
        if service:
            num, whole = _strtoul_int(service)
            if not whole:
                if flags & AI_NUMERICSERV:
                    raise gai_error(EAI_NONAME)
                num = -1
        ports = self._services(service if service else None, num, socktype, proto)
        addrs, canon = self._hosts(name, family, flags)
        if not flags & AI_CANONNAME:
            canon = ""
        out = []
        for fam, addr, scope in addrs:
            for stype, sproto, port in ports:
                out.append(AddrInfo(fam, stype, sproto, canon, addr, port, scope))
                canon = ""
        return out

    @staticmethod
    def _services(service: str | None, num: int | None, socktype: int, proto: int) -> list[tuple[int, int, int]]:
        """gaih_inet's choice of (socktype, protocol, port) tuples."""
        tp = None
        if socktype or proto:
            for entry in _TYPEPROTO:
                stype, eproto, _, anyproto, _, _ = entry
                if (socktype and socktype != stype) or (proto and not anyproto and proto != eproto):
                    continue
                tp = entry
                break
            if tp is None:
                raise gai_error(EAI_SOCKTYPE if socktype else EAI_SERVICE)
        if service is not None:
            if tp is not None and tp[4]:
                raise gai_error(EAI_SERVICE)
            if num is not None and num < 0:
                if tp is not None:
                    port = getservbyname(service, tp[2])
                    if port is None:
                        raise gai_error(EAI_SERVICE)
                    return [(tp[0], proto if tp[3] else tp[1], port)]
                found = []
                for stype, eproto, pname, anyproto, noserv, _ in _TYPEPROTO:
                    if noserv:
                        continue
                    port = getservbyname(service, pname)
                    if port is not None:
                        found.append((stype, proto if anyproto else eproto, port))
                if not found:
                    raise gai_error(EAI_SERVICE)
                return found
        port = (num or 0) & 0xFFFF
        if tp is not None:
            return [(tp[0], proto if tp[3] else tp[1], port)]
        return [(stype, eproto, port) for stype, eproto, _, _, _, default in _TYPEPROTO if default]

    def _hosts(self, name: str | None, family: int, flags: int) -> tuple[list[tuple[int, str, int]], str]:
        """The addresses (family, text, scope id) in glibc's order, and the canonical name."""
        if name is None:
            if flags & AI_PASSIVE:
                any4, any6 = "0.0.0.0", "::"
                order = (AF_INET, AF_INET6)
            else:
                any4, any6 = "127.0.0.1", "::1"
                order = (AF_INET6, AF_INET)
            return [(f, any4 if f == AF_INET else any6, 0) for f in order if family in (AF_UNSPEC, f)], ""
        packed4 = inet_aton(name, exact=True)
        if packed4 is not None:
            if family in (AF_UNSPEC, AF_INET):
                return [(AF_INET, inet_ntop4(packed4), 0)], name
            if flags & AI_V4MAPPED:
                return [(AF_INET6, _mapped(inet_ntop4(packed4)), 0)], name
            raise gai_error(EAI_ADDRFAMILY)
        text, _, scope = name.partition("%")
        packed6 = inet_pton6(text)
        if packed6 is not None:
            if family == AF_INET and packed6[:12] == b"\0" * 10 + b"\xff\xff":
                return [(AF_INET, inet_ntop4(packed6[12:]), 0)], name  # a v4-mapped address
            if family not in (AF_UNSPEC, AF_INET6):
                raise gai_error(EAI_ADDRFAMILY)
            scope_id = 0
            if "%" in name:
                found = _scope_id(packed6, scope)
                if found is None:
                    raise gai_error(EAI_NONAME)
                scope_id = found
            return [(AF_INET6, inet_ntop6(packed6), scope_id)], name
        if flags & AI_NUMERICHOST:
            raise gai_error(EAI_NONAME)
        entries = self.by_name(name)
        v6 = [(AF_INET6, e.addr, 0) for e in entries if e.family == AF_INET6]
        v4 = [(AF_INET, e.addr, 0) for e in entries if e.family == AF_INET]
        if family == AF_INET:
            found_addrs = v4
        elif family == AF_INET6:
            found_addrs = v6
            if flags & AI_V4MAPPED and (not v6 or flags & AI_ALL):
                found_addrs = v6 + [(AF_INET6, _mapped(a), 0) for _, a, _ in v4]
        else:
            found_addrs = v6 + v4
        if not found_addrs:
            raise gai_error(EAI_NONAME)
        return found_addrs, entries[0].name

    # -- the reverse direction ---------------------------------------------------

    def getnameinfo(self, family: int, addr: str, port: int, flags: int) -> tuple[str, str]:
        """sysdeps/posix/getnameinfo.c for AF_INET/AF_INET6: (host, service)."""
        if flags & ~NI_ACCEPTED:
            raise gai_error(EAI_BADFLAGS)
        if family not in (AF_INET, AF_INET6):
            raise gai_error(EAI_FAMILY)
        host = addr
        if not flags & NI_NUMERICHOST:
            entry = self.by_addr(family, addr)
            if entry is not None:
                host = entry.name
            elif flags & NI_NAMEREQD:
                raise gai_error(EAI_NONAME)
        serv = None
        if not flags & NI_NUMERICSERV:
            serv = getservbyport(port, "udp" if flags & NI_DGRAM else "tcp")
        return host, serv if serv is not None else str(port)

    def gethostbyaddr(self, family: int, addr: str) -> tuple[str, list[str], list[str]]:
        """gethostbyaddr_r: (name, aliases, [addr]); herror(HOST_NOT_FOUND) when no line has it."""
        entry = self.by_addr(family, addr)
        if entry is None:
            raise h_error(HOST_NOT_FOUND)
        return entry.name, list(entry.aliases), [addr]

    def gethostbyname(self, name: str, family: int) -> tuple[str, list[str], list[str]]:
        """gethostbyname_r (AF_INET): (canonical name, aliases, addresses)."""
        packed4 = inet_aton(name, exact=True)
        if packed4 is not None and family == AF_INET:
            text = inet_ntop4(packed4)
            return text, [], [text]
        entries = [e for e in self.by_name(name) if e.family == family]
        if not entries:
            raise h_error(HOST_NOT_FOUND)
        aliases: list[str] = []
        for e in entries:
            aliases.extend(a for a in e.aliases if a not in aliases)
        return entries[0].name, aliases, [e.addr for e in entries]
