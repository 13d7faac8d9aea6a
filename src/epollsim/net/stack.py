"""One host's network stack: its addresses and its port tables (TCP, UDP).

Theory of operation
-------------------
A host owns 127.0.0.0/8 and ::1 on its loopback device plus one IPv4 and one
IPv6 address on the simulated network (10.0.0.N and fd00::N unless
``Kernel.add_host(name, address=...)`` says otherwise).

Every bound socket has a ``Binding`` in its protocol's port table: the
address it owns (``addr.Cover``: an AF_INET6 socket on ``::`` without
IPV6_V6ONLY also owns the IPv4 wildcard), its SO_REUSEADDR/SO_REUSEPORT
flags, its state as far as binding cares (``BOUND``, ``LISTEN``,
``CONNECTED``, ``TIME_WAIT``) and, once connected, its remote end.

``bind`` applies Linux's conflict rules:

* TCP (net/ipv4/inet_connection_sock.c inet_bind_conflict, with relax=true
  as inet_csk_get_port calls it): two bindings whose addresses overlap
  conflict unless both have SO_REUSEADDR and the older one is not
  listening, or both have SO_REUSEPORT (same user: the model has one). A
  TIME_WAIT binding keeps the flags of the socket it came from. ``listen``
  re-checks (inet_csk_listen_start calls get_port again), so of two
  SO_REUSEADDR sockets on one port only the first can listen.
* UDP (net/ipv4/udp.c udp_lib_lport_inuse): overlapping bindings conflict
  unless both have SO_REUSEADDR or both SO_REUSEPORT.

Port 0 picks an ephemeral port from net.ipv4.ip_local_port_range (32768 to
60999): bind() tries odd ports and connect() even ones first, as
inet_csk_find_open_port and __inet_hash_connect do, starting from an offset
the kernel's seeded rng draws (Linux hashes a secret), stepping by 2, and
taking the first port no binding of this protocol uses at all (Linux may
share a port when no conflict results; the model never does for port 0).
A connect() from an unbound socket does the same with the even ports, and
fails with EADDRNOTAVAIL when none is left.

``lookup`` finds the socket a packet for (dst, dport) from (src, sport)
goes to: Linux's compute_score (an exact local address beats a wildcard,
a connected socket whose remote matches beats an unconnected one, an
AF_INET socket beats an AF_INET6 one for IPv4). Among several SO_REUSEPORT
sockets of the best score, the rng picks one (Linux: a hash of the
4-tuple), so a run is the same under a seed.
"""
from __future__ import annotations

from collections.abc import Iterator
from errno import EADDRINUSE, EADDRNOTAVAIL, EINVAL
from typing import Any

from ..abi.socket import AF_INET, AF_INET6
from ..errors import KernelBug, oserror
from . import addr as A
from .unix_names import UnixNames

IPPROTO_TCP = 6
IPPROTO_UDP = 17

# net.ipv4.ip_local_port_range default (net/ipv4/af_inet.c inet_init_net).
LOCAL_PORT_LOW = 32768
LOCAL_PORT_HIGH = 60999

BOUND = "bound"
LISTEN = "listen"
CONNECTED = "connected"
TIME_WAIT = "time_wait"


class Binding:
    """One socket's claim on a port: what it owns, its reuse flags, its state."""

    __slots__ = (
        "addr", "conn_key", "cover", "family", "port", "proto", "remote", "reuseaddr", "reuseport", "sock", "state",
    )

    def __init__(
        self, proto: int, sock: Any, family: int, addr: str, port: int,
        reuseaddr: bool, reuseport: bool, v6only: bool,
    ) -> None:
        self.proto = proto
        self.sock = sock
        self.family = family
        self.addr = addr  # as the socket sees it (an AF_INET6 socket may hold ::ffff:a.b.c.d)
        self.port = port
        self.cover = A.cover(family, addr, v6only)
        self.reuseaddr = reuseaddr
        self.reuseport = reuseport
        self.state = BOUND
        self.remote: tuple[str, int] | None = None  # wire address (IPv4 dotted, never mapped)
        self.conn_key: tuple[int, str, int, str, int] | None = None  # where the stack indexed it

    def __repr__(self) -> str:
        return f"<Binding {self.proto}:{self.addr}:{self.port} {self.state}>"


class NetStack:
    """A host's addresses and port tables; ``network`` is the Network it is attached to."""

    def __init__(self, name: str, addr4: str, addr6: str, rng: Any, network: Any = None) -> None:
        self.name = name
        self.addr4 = A.canonical(addr4)
        self.addr6 = A.canonical(addr6)
        self.local_memo: dict[str, bool] = {}  # is_local's answers (Network.transmit reads it first)
        self.rng = rng
        self.network = network
        self.down = False  # the host crashed: what is sent to it or from it is lost (host.py)
        self._empty_tables()

    def _empty_tables(self) -> None:
        # proto -> port -> bindings in bind order (a dict used as an ordered set)
        self._ports: dict[int, dict[int, dict[Binding, None]]] = {IPPROTO_TCP: {}, IPPROTO_UDP: {}}
        # The same bindings indexed for delivery: unconnected ones by port (listeners, UDP
        # receivers), connected ones by (proto, local wire address, port, remote, remote port).
        self._open: dict[int, dict[int, dict[Binding, None]]] = {IPPROTO_TCP: {}, IPPROTO_UDP: {}}
        # (tcp_rcv looks here first, without a call: most segments are for a connection)
        self.conns: dict[tuple[int, str, int, str, int], dict[Binding, None]] = {}
        self._by_sock: dict[int, dict[Any, Binding]] = {IPPROTO_TCP: {}, IPPROTO_UDP: {}}
        # The host's AF_UNIX names (bound paths and abstract names), for files/unix_socket.py.
        self.unix_names = UnixNames()

    def __repr__(self) -> str:
        return f"<NetStack {self.name} {self.addr4} {self.addr6}>"

    def crash(self) -> list[Any]:
        """The host went down: forget every binding and name, silently (no FIN, no RST).

        Returns the sockets that were bound, in bind order, so the host can stop their
        timers: nothing of theirs may act after the crash. The addresses stay the host's.
        """
        socks = [sock for proto in (IPPROTO_TCP, IPPROTO_UDP) for sock in self._by_sock[proto]]
        self.down = True
        self._empty_tables()
        return socks

    # -- addresses ------------------------------------------------------------

    @property
    def addresses(self) -> tuple[str, ...]:
        return (self.addr4, self.addr6, A.LOOPBACK4, A.LOOPBACK6)

    def is_local(self, wire_addr: str) -> bool:
        """Whether a (wire, unmapped) address belongs to this host (memoised: every packet asks)."""
        local = self.local_memo.get(wire_addr)
        if local is None:
            local = self.local_memo[wire_addr] = A.is_loopback(wire_addr) or wire_addr in (self.addr4, self.addr6)
        return local

    def can_bind(self, family: int, addr: str) -> bool:
        """inet_bind's address check (EADDRNOTAVAIL otherwise): wildcard or local."""
        if A.is_any(addr):
            return True
        wire = wire_address(family, addr)
        if wire == A.ANY4:
            return True
        return self.is_local(wire)

    def source_for(self, dst_wire: str) -> str:
        """The local wire address a connection to ``dst_wire`` leaves from (the route's prefsrc)."""
        if A.is_loopback(dst_wire):
            return A.LOOPBACK4 if A.is_v4(dst_wire) else A.LOOPBACK6
        if dst_wire in (self.addr4, self.addr6):
            return dst_wire
        return self.addr4 if A.is_v4(dst_wire) else self.addr6

    # -- binding --------------------------------------------------------------

    def binding(self, proto: int, sock: Any) -> Binding | None:
        return self._by_sock[proto].get(sock)

    def bind(
        self, proto: int, sock: Any, family: int, addr: str, port: int, *,
        reuseaddr: bool = False, reuseport: bool = False, v6only: bool = False,
        for_connect: bool = False,
    ) -> Binding:
        """Claim (addr, port) for ``sock``; port 0 picks an ephemeral port.

        ``addr`` is as the socket sees it (canonical text, possibly v4-mapped
        for AF_INET6). Raises EADDRNOTAVAIL for an address the host does not
        have, EINVAL if ``sock`` is already bound, EADDRINUSE on a conflict.
        """
        if sock in self._by_sock[proto]:
            raise oserror(EINVAL)
        if not self.can_bind(family, addr):
            raise oserror(EADDRNOTAVAIL)
        new = Binding(proto, sock, family, addr, port, reuseaddr, reuseport, v6only)
        if port == 0:
            new.port = self._ephemeral(proto, for_connect)
        elif self._conflicts(new):
            raise oserror(EADDRINUSE)
        self._ports[proto].setdefault(new.port, {})[new] = None
        self._open[proto].setdefault(new.port, {})[new] = None
        self._by_sock[proto][sock] = new
        return new

    def _conflicts(self, new: Binding) -> bool:
        for old in self._ports[new.proto].get(new.port, {}):
            if old.sock is new.sock or not A.overlaps(new.cover, old.cover):
                continue
            if new.proto == IPPROTO_UDP:
                if (new.reuseaddr and old.reuseaddr) or (new.reuseport and old.reuseport):
                    continue
                return True
            if new.reuseaddr and old.reuseaddr and old.state != LISTEN:
                continue
            if new.reuseport and old.reuseport:
                continue
            return True
        return False

    def _ephemeral(self, proto: int, for_connect: bool) -> int:
        """inet_csk_find_open_port / __inet_hash_connect: a free port of the preferred parity first."""
        low, span = LOCAL_PORT_LOW, LOCAL_PORT_HIGH - LOCAL_PORT_LOW + 1
        table = self._ports[proto]
        offset: int = self.rng.randrange(span)  # the kernel's random.Random
        parity = 0 if for_connect else 1
        for want in (parity, 1 - parity):
            first = low + offset
            if first % 2 != want:
                first += 1
            for i in range(0, span, 2):
                port = low + (first - low + i) % span
                if port % 2 == want and port not in table:
                    return port
        raise oserror(EADDRNOTAVAIL if for_connect else EADDRINUSE)

    def listen(self, proto: int, sock: Any) -> None:
        """inet_csk_listen_start's second get_port: EADDRINUSE if another socket listens there."""
        b = self._by_sock[proto][sock]
        if self._conflicts(b):
            raise oserror(EADDRINUSE)
        b.state = LISTEN

    def set_state(self, proto: int, sock: Any, state: str) -> None:
        self._by_sock[proto][sock].state = state

    def set_remote(self, proto: int, sock: Any, remote: tuple[str, int] | None) -> None:
        """Record a connected socket's remote (wire address, port), or None to forget it."""
        b = self._by_sock[proto][sock]
        self._unindex(b)
        b.remote = remote
        if proto == IPPROTO_TCP:
            if remote is not None:
                b.state = CONNECTED
            elif b.state == CONNECTED:
                b.state = BOUND
        self._index(b)

    def _index(self, b: Binding) -> None:
        if b.remote is None:
            self._open[b.proto].setdefault(b.port, {})[b] = None
        else:
            key = (b.proto, wire_address(b.family, b.addr), b.port, b.remote[0], b.remote[1])
            b.conn_key = key
            self.conns.setdefault(key, {})[b] = None

    def _unindex(self, b: Binding) -> None:
        key = b.conn_key
        if key is None:
            bindings = self._open[b.proto].get(b.port)
            if bindings is not None and b in bindings:
                del bindings[b]
                if not bindings:
                    del self._open[b.proto][b.port]
            return
        b.conn_key = None
        conns = self.conns[key]
        del conns[b]
        if not conns:
            del self.conns[key]

    def hand_over(self, proto: int, sock: Any, heir: Any) -> None:
        """The binding now belongs to ``heir`` (a TIME_WAIT placeholder)."""
        b = self._by_sock[proto].pop(sock)
        b.sock = heir
        self._by_sock[proto][heir] = b

    def unbind(self, proto: int, sock: Any) -> None:
        b = self._by_sock[proto].pop(sock, None)
        if b is None:
            return
        self._unindex(b)
        port_table = self._ports[proto]
        bindings = port_table[b.port]
        del bindings[b]
        if not bindings:
            del port_table[b.port]

    def add_child(self, proto: int, child: Any, parent: Any, local: str, remote: tuple[str, int]) -> Binding:
        """An accepted connection shares its listener's port (inet_inherit_port)."""
        pb = self._by_sock[proto][parent]
        family = pb.family
        # A child is in the port's bind bucket with its own local address (it keeps the port
        # busy once the listener is gone), and is found by its 4-tuple.
        b = Binding(proto, child, family, local, pb.port, pb.reuseaddr, pb.reuseport, True)
        b.state = CONNECTED
        b.remote = remote
        self._ports[proto].setdefault(b.port, {})[b] = None
        self._index(b)
        self._by_sock[proto][child] = b
        return b

    def tuple_in_use(self, proto: int, local_wire: str, port: int, remote: tuple[str, int]) -> bool:
        return (proto, local_wire, port, remote[0], remote[1]) in self.conns

    # -- demultiplexing -------------------------------------------------------

    def lookup(self, proto: int, dst: str, dport: int, src: str, sport: int, *, listening: bool = False) -> Any:
        """The socket a packet to (dst, dport) from (src, sport) is delivered to, or None.

        An exactly matching connection wins; else, for TCP, a listener
        (``listening=True`` asks for listeners only), for UDP the best
        compute_score among bound sockets.
        """
        if not listening:
            conns = self.conns
            found = conns.get((proto, dst, dport, src, sport))
            if found is None:
                found = conns.get((proto, A.ANY4 if A.is_v4(dst) else A.ANY6, dport, src, sport))
            if found is None and proto != IPPROTO_TCP:
                # A UDP socket connected to port 0 takes any source port of its peer's address:
                # compute_score matches inet_dport only when it is set.
                found = conns.get((proto, dst, dport, src, 0)) or conns.get(
                    (proto, A.ANY4 if A.is_v4(dst) else A.ANY6, dport, src, 0))
            if found:
                if proto == IPPROTO_TCP or len(found) == 1:
                    return next(iter(found)).sock
                connected = list(found)
                if all(b.reuseport for b in connected):
                    return connected[self.rng.randrange(len(connected))].sock
                return connected[0].sock
        best: list[Binding] = []
        best_score = -1
        for b in self._open[proto].get(dport, ()):
            if proto == IPPROTO_TCP and b.state != LISTEN:
                continue
            if b.state == TIME_WAIT or not A.covers(b.cover, dst):
                continue
            score = 2 if b.family == AF_INET or not A.is_v4(dst) else 1
            exact = b.cover.v4 if A.is_v4(dst) else b.cover.v6
            if exact != A.WILDCARD:
                score += 4
            if score > best_score:
                best, best_score = [b], score
            elif score == best_score:
                best.append(b)
        if not best:
            return None
        if len(best) > 1 and all(b.reuseport for b in best):
            return best[self.rng.randrange(len(best))].sock
        return best[0].sock

    def sockets(self, proto: int) -> Iterator[Any]:
        """Every socket with a binding, in bind order."""
        return iter(tuple(self._by_sock[proto]))

    def connected(self, proto: int) -> Iterator[Binding]:
        """Bindings of connected sockets, in bind order."""
        return iter(tuple(b for b in self._by_sock[proto].values() if b.remote is not None))


def wire_address(family: int, addr: str) -> str:
    """The address on the wire: an AF_INET6 socket's ::ffff:a.b.c.d is a.b.c.d."""
    if family == AF_INET6:
        v4 = A.mapped_v4(addr)
        if v4 is not None:
            return v4
    elif family != AF_INET:
        raise KernelBug(f"not an inet family: {family}")
    return addr
