"""The network between hosts: who has which address, and how packets get from one stack to another.

Theory of operation
-------------------
A packet is a callback: ``transmit(src_stack, dst_addr, deliver, packet)``
runs ``deliver(dst_stack, packet)`` when the packet arrives. Loopback
(127.0.0.0/8, ::1, or one of the sending host's own addresses) stays in
the host: it is delivered before the sending system call returns, as
Linux's loopback device hands packets to the receive path (softirq, then
the socket backlog at release_sock); it is never delayed, partitioned or
lost.

Packets that arrive "now" go through one FIFO, the model's softirq
backlog: a protocol handler that sends (an ACK, a RST) never runs the
receiver's code inside its own. ``hold()``/``release()`` bracket a
protocol operation (lock_sock/release_sock): packets it sends are
queued and delivered, in order, when the outermost operation releases.
With nothing held, ``transmit`` delivers at once (a UDP send needs no
bracket).

Between two hosts a path has:

* a latency (``set_latency(a, b, seconds)``, both directions; 0 by
  default). 0 delivers at once, like loopback; otherwise a clock timer
  delivers at ``now + latency``, never before an earlier packet of the
  same path (packets of one path stay in order even if the latency drops);
* a partition flag (``partition(a, b)`` / ``heal(a, b)``): packets sent
  while the path is cut, or arriving while it is cut, are lost. TCP's
  retransmission timers (``files/tcp_timers.py``) then do what Linux's do;
* for datagrams only (``datagram=True``; TCP segments are never dropped or
  duplicated by chance, since TCP would only hide it after a delay):
  ``drop(a, b, p)`` loses each datagram with probability p and
  ``duplicate(a, b, p)`` delivers each one twice with probability p, both
  drawn from the kernel's seeded rng, so a run is the same under a seed.

Under a schedule that explores timing (``sched/timing.py``), ``jitter`` is set:
every packet, loopback included, gets an extra latency the schedule chooses,
and is delivered by a clock timer unless that comes to 0 with nothing of its
flow in flight. Order is then kept per flow (one TCP connection, one UDP
4-tuple, in one direction: ``_flows``, the last arrival time of each), not per
path, so concurrent connections' segments may arrive in either order, while
one connection's never overtake each other (as TCP's sequence space would
reorder them anyway).

An address no host has is a black hole: packets to it are lost (a TCP
connect to it times out, as one to a silent, unreachable host does).

``reset_connections(a, b)`` makes every TCP connection between the two hosts
receive a RST on both ends (as a middlebox or a peer reboot would).
"""
from __future__ import annotations

from collections import deque
from collections.abc import Callable
from typing import Any

from ..clock import Clock
from . import addr as A
from .stack import IPPROTO_TCP, NetStack

NS_PER_SEC = 1_000_000_000

Deliver = Callable[[NetStack, Any], None]


class _Path:
    """One direction between two hosts."""

    __slots__ = ("cut", "dup", "latency_ns", "last_arrival_ns", "loss")

    def __init__(self) -> None:
        self.latency_ns = 0
        self.cut = False
        self.loss = 0.0
        self.dup = 0.0
        self.last_arrival_ns = 0


class Network:
    """The kernel-wide network: stacks by host name and by address, and the paths between them."""

    def __init__(self, clock: Clock, rng: Any) -> None:
        self.clock = clock
        self.rng = rng
        self.stacks: dict[str, NetStack] = {}
        self._by_addr: dict[str, NetStack] = {}
        self._paths: dict[tuple[str, str], _Path] = {}
        self.sent = 0  # packets handed to the network (statistics)
        self.lost = 0
        self._backlog: deque[tuple[NetStack, Deliver, Any]] = deque()
        self._held = 0
        self._draining = False
        # The extra latency of each packet in ns, when the schedule explores timing (sched/timing.py);
        # None (fifo) keeps the paths' exact latencies.
        self.jitter: Callable[[], int] | None = None
        self._flows: dict[tuple[Any, ...], int] = {}  # flow -> when its last packet in flight arrives

    # -- hosts ----------------------------------------------------------------

    def add_stack(self, name: str, address: str | None = None, address6: str | None = None) -> NetStack:
        """A stack for host ``name``: 10.0.0.N and fd00::N (N = 1, 2, ... in order) unless given."""
        n = len(self.stacks) + 1
        addr4 = f"10.0.{n // 256}.{n % 256}"
        addr6 = A.canonical(f"fd00::{n:x}")
        if address is not None:
            given = A.canonical(address)
            if A.is_v4(given):
                addr4 = given
            else:
                addr6 = given
        if address6 is not None:
            addr6 = A.canonical(address6)
        for a in (addr4, addr6):
            if a in self._by_addr or A.is_loopback(a) or A.is_any(a):
                raise ValueError(f"address {a} is already taken or reserved")
        stack = NetStack(name, addr4, addr6, self.rng, self)
        self.stacks[name] = stack
        self._by_addr[stack.addr4] = stack
        self._by_addr[stack.addr6] = stack
        return stack

    def stack_of(self, addr: str) -> NetStack | None:
        """The stack owning a wire address (not loopback), or None."""
        return self._by_addr.get(addr)

    def _stack(self, host: str) -> NetStack:
        try:
            return self.stacks[host]
        except KeyError:
            raise KeyError(f"no host named {host!r}; hosts are {sorted(self.stacks)}") from None

    def _path(self, a: str, b: str) -> _Path:
        key = (a, b)
        path = self._paths.get(key)
        if path is None:
            path = self._paths[key] = _Path()
        return path

    def _both(self, a: str, b: str) -> tuple[_Path, _Path]:
        self._stack(a)
        self._stack(b)
        if a == b:
            raise ValueError("a host's traffic to itself is loopback: it cannot be disturbed")
        return self._path(a, b), self._path(b, a)

    # -- faults ---------------------------------------------------------------

    def partition(self, a: str, b: str) -> None:
        """Cut both directions between hosts ``a`` and ``b``: every packet is lost until ``heal``."""
        for path in self._both(a, b):
            path.cut = True

    def heal(self, a: str, b: str) -> None:
        for path in self._both(a, b):
            path.cut = False

    def is_partitioned(self, a: str, b: str) -> bool:
        return self._path(a, b).cut

    def set_latency(self, a: str, b: str, seconds: float) -> None:
        """One-way delay between ``a`` and ``b`` in both directions (a round trip takes twice this)."""
        if seconds < 0:
            raise ValueError("latency must be >= 0")
        for path in self._both(a, b):
            path.latency_ns = round(seconds * NS_PER_SEC)

    def drop(self, a: str, b: str, probability: float) -> None:
        """Lose each UDP datagram between ``a`` and ``b`` with this probability."""
        if not 0.0 <= probability <= 1.0:
            raise ValueError("probability must be between 0 and 1")
        for path in self._both(a, b):
            path.loss = probability

    def duplicate(self, a: str, b: str, probability: float) -> None:
        """Deliver each UDP datagram between ``a`` and ``b`` twice with this probability."""
        if not 0.0 <= probability <= 1.0:
            raise ValueError("probability must be between 0 and 1")
        for path in self._both(a, b):
            path.dup = probability

    def reset_connections(self, a: str, b: str) -> int:
        """Every TCP connection between ``a`` and ``b`` gets a RST at both ends; returns how many ends."""
        sa, sb = self._stack(a), self._stack(b)
        count = 0
        for stack, other in ((sa, sb), (sb, sa)):
            for binding in stack.connected(IPPROTO_TCP):
                remote = binding.remote
                if remote is not None and self.stack_of(remote[0]) is other:
                    reset = getattr(binding.sock, "network_reset", None)
                    if reset is not None:
                        reset()
                        count += 1
        return count

    # -- delivery -------------------------------------------------------------

    def route(self, src: NetStack, dst_addr: str) -> NetStack | None:
        if src.is_local(dst_addr):
            return src
        return self._by_addr.get(dst_addr)

    def latency_between(self, src: NetStack, dst_addr: str) -> int:
        """The one-way latency in ns from ``src`` to the host owning ``dst_addr`` (0 on loopback)."""
        dst = self.route(src, dst_addr)
        if dst is None or dst is src:
            return 0
        return self._path(src.name, dst.name).latency_ns

    def transmit(self, src: NetStack, dst_addr: str, deliver: Deliver, packet: Any, *, datagram: bool = False) -> bool:
        """Send ``packet`` from ``src`` to ``dst_addr``; False if it was lost on the way out."""
        self.sent += 1
        local = src.local_memo.get(dst_addr)
        if local is None:
            local = src.is_local(dst_addr)
        if local:  # loopback (or the host's own address): into the backlog, never disturbed
            if self.jitter is not None:
                self._later(src, src, deliver, packet, 0)
                return True
            self._backlog.append((src, deliver, packet))
            if not self._held and not self._draining:
                self._drain()
            return True
        dst = self._by_addr.get(dst_addr)
        if dst is None or dst.down or src.down:  # no such host, or it is down (Host.crash)
            self.lost += 1
            return False
        path = self._path(src.name, dst.name)
        if path.cut or (datagram and path.loss and self.rng.random() < path.loss):
            self.lost += 1
            return False
        copies = 2 if datagram and path.dup and self.rng.random() < path.dup else 1
        for _ in range(copies):
            if self.jitter is not None:
                self._later(src, dst, deliver, packet, path.latency_ns)
            elif path.latency_ns == 0 and path.last_arrival_ns <= self.clock.now_ns:
                self._now(dst, deliver, packet)
            else:
                arrival = max(self.clock.now_ns + path.latency_ns, path.last_arrival_ns)
                path.last_arrival_ns = arrival
                self.clock.call_at(arrival, self._arrive, (src.name, dst, deliver, packet))
        return True

    def _arrive(self, arg: tuple[str, NetStack, Deliver, Any]) -> None:
        src_name, dst, deliver, packet = arg
        if self._path(src_name, dst.name).cut or dst.down:  # cut while in flight, or its host crashed
            self.lost += 1
            return
        self._now(dst, deliver, packet)

    def _later(self, src: NetStack, dst: NetStack, deliver: Deliver, packet: Any, base_ns: int) -> None:
        """Deliver ``packet`` after ``base_ns`` plus the chosen extra latency, never before an
        earlier packet of its flow."""
        assert self.jitter is not None
        now = self.clock.now_ns
        arrival = now + base_ns + self.jitter()
        key = _flow(dst, packet)
        last = self._flows.get(key)
        if last is None:
            if arrival <= now:  # no delay, nothing of its flow in flight: at once, as without jitter
                self._now(dst, deliver, packet)
                return
        elif arrival < last:  # behind the flow's last packet in flight (its timer fires first: seq)
            arrival = last
        self._flows[key] = arrival
        self.clock.call_at(arrival, self._arrive_flow, (src.name, dst, deliver, packet, key, arrival))

    def _arrive_flow(self, arg: tuple[str, NetStack, Deliver, Any, tuple[Any, ...], int]) -> None:
        src_name, dst, deliver, packet, key, arrival = arg
        if self._flows.get(key) == arrival:  # the flow's last packet in flight: forget the flow
            del self._flows[key]
        if dst.down or (src_name != dst.name and self._path(src_name, dst.name).cut):
            self.lost += 1  # its host crashed, or the path was cut while it was in flight
            return
        self._now(dst, deliver, packet)

    # -- the backlog ----------------------------------------------------------

    def hold(self) -> None:
        """lock_sock: packets sent from now on wait for the matching ``release``."""
        self._held += 1

    def release(self) -> None:
        """release_sock: the outermost release delivers what was queued."""
        self._held -= 1
        if not self._held and not self._draining and self._backlog:
            self._drain()

    def _now(self, dst: NetStack, deliver: Deliver, packet: Any) -> None:
        self._backlog.append((dst, deliver, packet))
        if not self._held and not self._draining:
            self._drain()

    def _drain(self) -> None:
        self._draining = True
        backlog = self._backlog
        try:
            while backlog:
                dst, deliver, packet = backlog.popleft()
                deliver(dst, packet)
        finally:
            self._draining = False


def _flow(dst: NetStack, packet: Any) -> tuple[Any, ...]:
    """The flow a packet belongs to: its receiving host and 4-tuple (a TCP segment's, a
    datagram's); a packet without ports (an ICMP error) shares its receiving host's one flow."""
    sport = getattr(packet, "sport", None)
    if sport is None:
        return (dst.name,)
    return (dst.name, packet.src, sport, packet.dst, packet.dport)
