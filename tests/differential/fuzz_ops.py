"""The bad-input fuzzer's calls: what each one does on a side, and how programs of them are drawn.

A program is a list of ``Call``s. An argument is a plain value (passed as is, bad ones included:
wrong types, huge and negative numbers) or a reference resolved on each side when the call runs:
``Fd(cid, k)`` is the k-th fd that call ``cid`` created (so a program stays meaningful when the
shrinker removes calls: a call whose creator is gone is skipped), ``Ep`` the ``select.epoll``
object working on such an fd, ``Port`` the port it is bound to, ``Addr`` an address built from
one. A call returns a value that ``fuzz.py`` compares across the two sides, and a creating call
returns ``(new fds, value)``.

Nothing may block on the real kernel: every fd is made O_NONBLOCK as soon as it exists and again
after any call that can clear the flag (``RESTORES_NONBLOCK``); every timeout is 0 (or a value
rejected before waiting); sizes are bounded (a 2**40-byte read would allocate before failing).
Addresses are loopback only, and ports are 0, the port of one of the program's own sockets, or
1 (nobody listens there: refused).
"""
from __future__ import annotations

import os
import random
import select as _select
import socket as _socket
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

F = _socket
AF_INET, AF_INET6, AF_UNIX = F.AF_INET, F.AF_INET6, F.AF_UNIX
STREAM, DGRAM, SEQPACKET = F.SOCK_STREAM, F.SOCK_DGRAM, F.SOCK_SEQPACKET
NB, CX = F.SOCK_NONBLOCK, F.SOCK_CLOEXEC


class Skip(Exception):
    """A reference whose creator is not in the program (or failed): the call is not made."""


@dataclass(frozen=True)
class Fd:
    cid: int
    k: int = 0

    def __repr__(self) -> str:
        return f"fd{self.cid}" + (f".{self.k}" if self.k else "")


@dataclass(frozen=True)
class Ep:
    """The side's ``select.epoll`` object on ``fd`` (made with ``fromfd`` on first use)."""

    fd: Fd

    def __repr__(self) -> str:
        return f"ep({self.fd!r})"


@dataclass(frozen=True)
class Port:
    fd: Fd

    def __repr__(self) -> str:
        return f"port({self.fd!r})"


@dataclass(frozen=True)
class Addr:
    host: str
    port: Any  # an int or a Port

    def __repr__(self) -> str:
        return f"({self.host!r}, {self.port!r})"


@dataclass(frozen=True)
class New:
    """``cls.__new__(cls)`` of a stand-in class, never initialised."""

    cls: str


@dataclass(frozen=True)
class Call:
    cid: int
    op: str
    args: tuple[Any, ...]

    def __repr__(self) -> str:
        return f"[{self.cid}] {self.op}({', '.join(map(short, self.args))})"


def short(a: Any) -> str:
    """repr, with long payloads as ``b'z' * 4096``."""
    if isinstance(a, bytes) and len(a) > 16 and a == a[:1] * len(a):
        return f"{a[:1]!r} * {len(a)}"
    if isinstance(a, (tuple, list)):
        inner = ", ".join(map(short, a)) + ("," if isinstance(a, tuple) and len(a) == 1 else "")
        return f"({inner})" if isinstance(a, tuple) else f"[{inner}]"
    return repr(a)


class Side:
    """One side's modules (the host's, or a ``Kernel``'s stand-ins) and its objects."""

    def __init__(self, name: str, os_: Any, socket_: Any, select_: Any, fcntl_: Any, threading_: Any) -> None:
        self.name = name
        self.os, self.socket, self.select, self.fcntl, self.threading = os_, socket_, select_, fcntl_, threading_
        self.fds: dict[Fd, int] = {}
        self.epolls: dict[int, Any] = {}  # fd number -> the epoll object working on it
        self.kept: list[Any] = []  # every epoll object made: a collected one would close its number
        self.ports: dict[int, str] = {}  # port -> "P<n>", by first appearance in a result
        self.devs: dict[int, str] = {}
        self.inos: dict[tuple[int, int], str] = {}

    def resolve(self, a: Any) -> Any:
        if isinstance(a, Fd):
            if a not in self.fds:
                raise Skip
            return self.fds[a]
        if isinstance(a, Ep):
            n = self.resolve(a.fd)
            obj = self.epolls.get(n)
            if obj is None:
                obj = self.epolls[n] = self.select.epoll.fromfd(n)
                self.kept.append(obj)
            return obj
        if isinstance(a, Port):
            try:
                return self.sock_call(self.resolve(a.fd), lambda s: s.getsockname())[1]
            except (OSError, IndexError, TypeError):
                raise Skip from None
        if isinstance(a, Addr):
            return (a.host, self.resolve(a.port))
        if isinstance(a, New):
            owner = self.threading if a.cls in THREADING_CLASSES else (self.select if a.cls == "epoll" else self.socket)
            cls = getattr(owner, a.cls)
            return cls.__new__(cls)
        if isinstance(a, tuple):
            return tuple(self.resolve(x) for x in a)
        if isinstance(a, list):
            return [self.resolve(x) for x in a]
        return a

    def sock_call(self, fd: Any, call: Callable[[Any], Any]) -> Any:
        sock = self.socket.socket(fileno=fd)
        try:
            return call(sock)
        finally:
            sock.detach()

    def make_nonblocking(self, n: Any) -> None:
        if type(n) is not int or not 0 <= n < 2**31:
            return
        try:
            flags = self.fcntl.fcntl(n, self.fcntl.F_GETFL)
            self.fcntl.fcntl(n, self.fcntl.F_SETFL, flags | os.O_NONBLOCK)
        except OSError:
            pass


THREADING_CLASSES = ("Thread", "Event", "Condition", "Semaphore", "BoundedSemaphore")

# -- the calls ------------------------------------------------------------------------------------
# Each takes the side and the resolved arguments. A creating call returns (new fds, value).


def _sock(method: str) -> Callable[..., Any]:
    def call(s: Side, fd: Any, *args: Any) -> Any:
        return s.sock_call(fd, lambda sock: getattr(sock, method)(*args))
    return call


def _accept(s: Side, fd: Any) -> Any:
    def call(sock: Any) -> Any:
        conn, addr = sock.accept()
        return (conn.detach(),), addr
    return s.sock_call(fd, call)


def _socket_on_fd(s: Side, family: Any, type_: Any, fd: Any) -> Any:
    """socket(family, type, fileno=fd): the object describes what is underneath (Linux's answer)."""
    sock = s.socket.socket(family, type_, 0, fileno=fd)
    try:
        return sock.family, sock.type, sock.getsockname()
    finally:
        sock.detach()


def _recv_fds(s: Side, fd: Any, bufsize: Any, maxfds: Any) -> Any:
    """socket.recv_fds: the files received are new fds (a creating call)."""
    msg, fds, flags, addr = s.sock_call(fd, lambda sock: s.socket.recv_fds(sock, bufsize, maxfds))
    return tuple(fds), (msg, flags, addr)


def _recvmsg(s: Side, fd: Any, bufsize: Any, ancbufsize: Any, flags: Any) -> Any:
    """sock.recvmsg: an SCM_RIGHTS item's numbers are the lowest free ones on both sides."""
    return s.sock_call(fd, lambda sock: sock.recvmsg(bufsize, ancbufsize, flags))


def _new_obj(s: Side, obj: Any, action: str) -> Any:
    if action == "repr":
        return repr(obj)
    if action == "call0":  # the one argument-less method each class has
        name = {"epoll": "fileno", "socket": "fileno", "Thread": "is_alive", "Event": "is_set",
                "Condition": "notify", "Semaphore": "release", "BoundedSemaphore": "release"}
        return getattr(obj, name[type(obj).__name__])()
    if action == "close":
        return obj.close() if hasattr(obj, "close") else None
    raise AssertionError(action)


def _poll(s: Side, entries: list[tuple[Any, Any]]) -> Any:
    p = s.select.poll()
    for fd, mask in entries:
        p.register(fd, mask)
    return p.poll(0)


CALLS: dict[str, Callable[..., Any]] = {
    # creating
    "pipe2": lambda s, flags: (s.os.pipe2(flags), None),
    "eventfd": lambda s, init, flags: ((s.os.eventfd(init, flags),), None),
    "timerfd_create": lambda s, clock, flags: ((s.os.timerfd_create(clock, flags=flags),), None),
    "socket": lambda s, fam, typ, proto: ((s.socket.socket(fam, typ, proto).detach(),), None),
    "socketpair": lambda s, fam, typ: (tuple(x.detach() for x in s.socket.socketpair(fam, typ)), None),
    "epoll": lambda s, hint, flags: ((_adopt(s, s.select.epoll(hint, flags)),), None),
    "open_devnull": lambda s, flags: ((s.os.open("/dev/null", flags),), None),
    "dup": lambda s, fd: ((s.os.dup(fd),), None),
    "dup2": lambda s, fd, fd2, inh: ((s.os.dup2(fd, fd2, inh),), None),
    "F_DUPFD_CLOEXEC": lambda s, fd, low: ((s.fcntl.fcntl(fd, s.fcntl.F_DUPFD_CLOEXEC, low),), None),
    "accept": _accept,
    # the fd table and files
    "close": lambda s, fd: s.os.close(fd),
    "read": lambda s, fd, n: s.os.read(fd, n),
    "write": lambda s, fd, data: s.os.write(fd, data),
    "fstat": lambda s, fd: FStat(s.os.fstat(fd)),
    "readv": lambda s, fd, sizes: (lambda bufs: (s.os.readv(fd, bufs), [bytes(b) for b in bufs]))(
        [bytearray(n) if isinstance(n, int) else n for n in sizes]),
    "writev": lambda s, fd, bufs: s.os.writev(fd, bufs),
    "pread": lambda s, fd, n, off: s.os.pread(fd, n, off),
    "pwrite": lambda s, fd, data, off: s.os.pwrite(fd, data, off),
    "lseek": lambda s, fd, pos, whence: s.os.lseek(fd, pos, whence),
    "get_blocking": lambda s, fd: s.os.get_blocking(fd),
    "set_blocking": lambda s, fd, v: s.os.set_blocking(fd, v),
    "get_inheritable": lambda s, fd: s.os.get_inheritable(fd),
    "set_inheritable": lambda s, fd, v: s.os.set_inheritable(fd, v),
    "fcntl": lambda s, fd, cmd, arg: s.fcntl.fcntl(fd, cmd, arg),
    "ioctl": lambda s, fd, req, arg: s.fcntl.ioctl(fd, req, arg),
    "eventfd_read": lambda s, fd: s.os.eventfd_read(fd),
    "eventfd_write": lambda s, fd, v: s.os.eventfd_write(fd, v),
    "timerfd_settime": lambda s, fd, flags, initial, interval: s.os.timerfd_settime(
        fd, flags=flags, initial=initial, interval=interval),
    "timerfd_gettime": lambda s, fd: s.os.timerfd_gettime(fd),
    # sockets (a socket object wrapped around the fd for the call)
    "bind": _sock("bind"),
    "listen": _sock("listen"),
    "connect": _sock("connect"),
    "connect_ex": _sock("connect_ex"),
    "send": _sock("send"),
    "recv": _sock("recv"),
    "sendto": _sock("sendto"),
    "recvfrom": _sock("recvfrom"),
    "sendmsg": _sock("sendmsg"),
    "recvmsg": _recvmsg,
    "send_fds": lambda s, fd, data, fds: s.sock_call(fd, lambda sock: s.socket.send_fds(sock, [data], fds)),
    "recv_fds": _recv_fds,
    "shutdown": _sock("shutdown"),
    "getsockname": _sock("getsockname"),
    "getpeername": _sock("getpeername"),
    "getsockopt": _sock("getsockopt"),
    "sock_setblocking": _sock("setblocking"),
    "socket_on_fd": _socket_on_fd,
    "socket_bad": lambda s, fam, typ: s.socket.socket(fam, typ).close(),
    # epoll, poll, select
    "ep_register": lambda s, ep, fd, mask: ep.register(fd, mask),
    "ep_modify": lambda s, ep, fd, mask: ep.modify(fd, mask),
    "ep_unregister": lambda s, ep, fd: ep.unregister(fd),
    "ep_poll": lambda s, ep, timeout, maxevents: ep.poll(timeout, maxevents),
    "ep_close": lambda s, ep: ep.close(),
    "poll": _poll,
    "select": lambda s, r, w, x: s.select.select(r, w, x, 0),
    # objects made with __new__ and never initialised
    "new_obj": _new_obj,
}

CREATES = {"pipe2": 2, "socketpair": 2, "eventfd": 1, "timerfd_create": 1, "socket": 1, "epoll": 1,
           "open_devnull": 1, "dup": 1, "dup2": 1, "F_DUPFD_CLOEXEC": 1, "accept": 1, "recv_fds": 1}
RESTORES_NONBLOCK = {"set_blocking", "fcntl", "ioctl", "sock_setblocking"}


def _adopt(s: Side, obj: Any) -> int:
    n = obj.fileno()
    s.epolls[n] = obj
    s.kept.append(obj)
    return n


class FStat:
    """An fstat result; ``fuzz.py`` compares st_dev and st_ino by which fds share them."""

    def __init__(self, st: Any) -> None:
        self.st = st


# -- drawing programs -----------------------------------------------------------------------------

SIZES = [0, 1, 7, 8, 9, 100, 4096, 65536, 65537, -1, 2**63, "8", None]
PAYLOADS = [b"", b"x", b"12345678", b"y" * 100, b"z" * 4096, b"w" * 65536, b"v" * 65537, "str", None, 8]
BAD_INTS = [-1, -(2**31) - 1, 2**31, 2**63, 2**64, "x", None, 1.5]
EP_MASKS = [_select.EPOLLIN, _select.EPOLLOUT, _select.EPOLLIN | _select.EPOLLET,
            _select.EPOLLIN | _select.EPOLLOUT | _select.EPOLLRDHUP, _select.EPOLLIN | _select.EPOLLONESHOT,
            _select.EPOLLEXCLUSIVE | _select.EPOLLIN, 0, 0xFFFFFFFF, -1, 2**32, "x"]
# (cmd, arg): F_GETFD=1, F_SETFD=2, F_GETFL=3, F_SETFL=4, F_GETPIPE_SZ=1032, F_SETPIPE_SZ=1031, unknown
FCNTL = [(1, 0), (3, 0), (4, 0), (4, os.O_APPEND), (2, 1), (1032, 0), (1031, 4096), (1031, 1 << 20), (1031, -1),
         (9999, 0), (3, "x"), (4, 2**40)]
IOCTLS = [(0x541B, b"\0" * 4), (0x5411, b"\0" * 4), (0x541B, 0), (0x5421, b"\1\0\0\0"), (0x12345, b"\0" * 4)]
ANCDATA = [[], [(F.SOL_SOCKET, F.SCM_RIGHTS, b"\xff\xff\xff\xff")], [(F.SOL_SOCKET, F.SCM_RIGHTS, b"\0\0")],
           [(F.SOL_SOCKET, 99, b"")], [(7, 99, b"")], [1], [(1, 2)], [(1, 2, 3)], [("a", 2, b"")], 5]
UNIX_NAMES = [b"\0epollsim-fuzz-a", b"\0epollsim-fuzz-b", "\0epollsim-fuzz-a", "", "/nonexistent-dir/sock"]
NEW_CLASSES = ["epoll", "socket", "Thread", "Event", "Condition", "Semaphore", "BoundedSemaphore"]


class Drawer:
    """Draws programs: mostly well-typed calls on fds of the right kind, with bad inputs mixed in."""

    def __init__(self, rng: random.Random, token: str) -> None:
        self.rng = rng
        self.token = token  # makes unix names unique to this process (the real namespace is shared)
        self.calls: list[Call] = []
        self.slots: list[tuple[Fd, str]] = []  # (fd, kind) of every fd a call may create

    def program(self, length: int) -> list[Call]:
        self.calls, self.slots = [], []
        while len(self.calls) < length:
            r = self.rng.random()
            if r < 0.12 or not self.slots:
                self.create()
            elif r < 0.20:
                self.scenario()
            else:
                self.use()
        return self.calls

    def add(self, op: str, *args: Any, kinds: tuple[str, ...] = ()) -> list[Fd]:
        cid = len(self.calls)
        self.calls.append(Call(cid, op, args))
        fds = [Fd(cid, k) for k in range(len(kinds))]
        self.slots.extend(zip(fds, kinds))
        return fds

    def pick(self, *args: Any) -> Any:
        return self.rng.choice(args)

    # -- creating ----------------------------------------------------------------------------

    def create(self) -> list[Fd]:
        c = self.rng.randrange(8 if self.slots else 7)
        if c == 0:
            return self.add("pipe2", self.pick(os.O_NONBLOCK, os.O_CLOEXEC, 0, os.O_DIRECT, -1, "x"),
                            kinds=("pipe_r", "pipe_w"))
        if c == 1:
            return self.add("eventfd", self.pick(0, 1, 2**32 - 1, 2**32, -1),
                            self.pick(os.EFD_NONBLOCK, os.EFD_SEMAPHORE | os.EFD_NONBLOCK, 0, 0xFF), kinds=("eventfd",))
        if c == 2:
            return self.add("timerfd_create", self.pick(1, 1, 0, 7, -1), self.pick(0, 0x800, 1),
                            kinds=("timerfd",))
        if c == 3:
            return self.add("epoll", self.pick(-1, -1, 1, 0, -2), self.pick(0, 0, _select.EPOLL_CLOEXEC, 1),
                            kinds=("epoll",))
        if c == 4:
            typ = self.pick(STREAM, DGRAM, STREAM | NB, SEQPACKET, 2**31, 99)
            return self.add("socketpair", self.pick(AF_UNIX, AF_UNIX, AF_UNIX, AF_INET), typ,
                            kinds=("unix", "unix"))
        if c == 5:
            fam = self.pick(AF_INET, AF_INET6, AF_UNIX, AF_INET, AF_INET6, 12345, 2**31)
            typ = self.pick(STREAM, DGRAM, STREAM | NB, DGRAM | CX, 12345, 2**31)
            return self.add("socket", fam, typ, self.pick(0, 0, 0, F.IPPROTO_TCP, F.IPPROTO_UDP, 255),
                            kinds=({AF_UNIX: "unix"}.get(fam, "inet"),))
        if c == 6:
            return self.add("open_devnull", self.pick(os.O_RDONLY, os.O_RDWR, os.O_WRONLY | os.O_NONBLOCK),
                            kinds=("null",))
        fd, kind = self.slot()
        return self._dup(fd, kind)

    def _dup(self, fd: Fd, kind: str) -> list[Fd]:
        op = self.pick("dup", "dup", "dup2", "F_DUPFD_CLOEXEC")
        if op == "dup":
            return self.add("dup", fd, kinds=(kind,))
        if op == "dup2":
            return self.add("dup2", fd, self.slot()[0], self.pick(True, False), kinds=(kind,))
        return self.add("F_DUPFD_CLOEXEC", fd, self.pick(0, 10, -1, 2**31), kinds=(kind,))

    def scenario(self) -> None:
        """A few calls that make something worth poking: TCP connections (self-connects too), UDP."""
        c = self.rng.randrange(5)
        host = self.pick("127.0.0.1", "::1")
        fam = AF_INET if host == "127.0.0.1" else AF_INET6
        if c <= 1:  # listener, client, accepted
            (lst,) = self.add("socket", fam, STREAM, 0, kinds=("inet",))
            self.add("bind", lst, (host, 0))
            self.add("listen", lst, self.pick(0, 1, 8))
            (cli,) = self.add("socket", fam, STREAM, 0, kinds=("inet",))
            self.add("connect_ex", cli, Addr(host, Port(lst)))
            self.add("accept", lst, kinds=("inet",))
        elif c == 2:  # a socket bound to P connecting to P, or two bound sockets connecting to each other
            (a,) = self.add("socket", fam, STREAM, 0, kinds=("inet",))
            self.add("bind", a, (host, 0))
            if self.rng.random() < 0.5:
                self.add("connect_ex", a, Addr(host, Port(a)))
            else:
                (b,) = self.add("socket", fam, STREAM, 0, kinds=("inet",))
                self.add("bind", b, (host, 0))
                self.add("connect_ex", a, Addr(host, Port(b)))
                self.add("connect_ex", b, Addr(host, Port(a)))
        else:  # UDP
            (u,) = self.add("socket", fam, DGRAM, 0, kinds=("inet",))
            self.add("bind", u, (host, 0))
            if self.rng.random() < 0.5:
                self.add("connect", u, Addr(host, self.pick(0, Port(u))))

    # -- using -------------------------------------------------------------------------------

    def slot(self) -> tuple[Fd, str]:
        return self.rng.choice(self.slots)

    def fd_arg(self) -> Any:
        """An fd argument: usually one of the program's, sometimes anything."""
        r = self.rng.random()
        if r < 0.9:
            return self.slot()[0]
        if r < 0.95:
            fd = self.slot()[0]
            return Ep(fd)
        return self.pick(-1, 2**31, 2**63, "3", None, 3.0, New("epoll"))

    def addr(self, kind: str, op: str = "connect") -> Any:
        r = self.rng.random()
        if kind == "unix" and r < 0.7 or kind != "inet" and r < 0.2:
            # No path is ever bound: the real one would be a file, and the model has no directories
            # to refuse one in (docs/differences.md); the path only shows ENOENT to connect and sendto.
            name = self.pick(*(UNIX_NAMES[:-1] if op == "bind" else UNIX_NAMES))
            return name.replace("fuzz", "fuzz-" + self.token) if isinstance(name, str) else name.replace(
                b"fuzz", b"fuzz-" + self.token.encode())
        if r < 0.9:
            host = self.pick("127.0.0.1", "::1", "0.0.0.0", "127.0.0.1", "::1")
            return Addr(host, self.pick(0, 1, Port(self.slot()[0]), Port(self.slot()[0])))
        return self.pick(None, 5, ("127.0.0.1",), ("127.0.0.1", 70000), ("127.0.0.1", -1), ("::1", 0, 0, 0),
                         ("::1", 0, 2**32, 0), ("no-such-host.invalid", 80), b"", ("127.0.0.1", "80"))

    def use(self) -> None:
        fd, kind = self.slot() if self.rng.random() < 0.9 else (self.fd_arg(), "any")
        ops = KIND_OPS.get(kind, [])
        op = self.rng.choice(ops) if ops and self.rng.random() < 0.75 else self.rng.choice(ANY_OPS)
        args = self.args(op, fd, kind)
        self.add(op, *args)

    def args(self, op: str, fd: Any, kind: str) -> tuple[Any, ...]:
        p, rng = self.pick, self.rng
        if op in ("close", "fstat", "get_blocking", "get_inheritable", "eventfd_read", "timerfd_gettime",
                  "getsockname", "getpeername", "accept"):
            return (fd,)
        if op == "read":
            return fd, p(*SIZES)
        if op == "write":
            return fd, p(*PAYLOADS)
        if op == "readv":
            return fd, p([1, 7], [0], [], [8], [100, 0, 3], [1] * 1025, [b"ro"], 5)
        if op == "writev":
            return fd, p([b"ab", b"c"], [], [b""], [b"z" * 4096, b"y" * 100], [b"x"] * 1025, ["s"], 5, [b"12345678"])
        if op == "pread":
            return fd, p(0, 1, 8, -1, 2**63), p(0, 7, -1, 2**63)
        if op == "pwrite":
            return fd, p(b"x", b"", "s"), p(0, 7, -1)
        if op == "lseek":
            return fd, p(0, 5, -5, 2**63), p(0, 1, 2, 3, 4, 5, 99, -1)
        if op in ("set_blocking", "set_inheritable", "sock_setblocking"):
            return fd, p(True, False, None, "x", 2**70, 0)
        if op == "fcntl":
            return (fd, *p(*FCNTL))
        if op == "ioctl":
            return (fd, *p(*IOCTLS))
        if op == "eventfd_write":
            return fd, p(0, 1, 7, 2**64 - 2, 2**64 - 1, 2**64, -1, "x")
        if op == "timerfd_settime":
            flags = p(0, 0, 1, 2, 99, "x")
            initial = p(0, 1000.0, 1000.0, -1, "x", 1e300) if flags != 1 else 1.0  # absolute: in the past
            return fd, flags, initial, p(0, 0, 1000.0, -1) if flags != 1 else 0
        if op in ("bind", "connect", "connect_ex"):
            return fd, self.addr(kind, op)
        if op == "listen":
            return fd, p(0, 1, 5, -1, 2**31, "x")
        if op == "send":
            return fd, p(*PAYLOADS), p(0, 0, F.MSG_DONTWAIT, F.MSG_OOB, F.MSG_NOSIGNAL, -1)
        if op == "recv":
            return fd, p(0, 1, 100, 70000, -1, "x"), p(0, 0, F.MSG_PEEK, F.MSG_OOB, F.MSG_WAITALL | F.MSG_DONTWAIT)
        if op == "sendto":
            return fd, p(b"x", b"y" * 65507, b"z" * 65536, b"w" * 70000, ""), self.addr(kind)
        if op == "recvfrom":
            return fd, p(1, 100, 70000, -1)
        if op == "shutdown":
            return fd, p(0, 1, 2, 3, -1, "x")
        if op == "sendmsg":
            return fd, p([b"x"], [b"ab", b"c"], [], 5, ["s"], [b"y"] * 1025), p(*ANCDATA), p(0, 0, F.MSG_DONTWAIT, -1)
        if op == "recvmsg":
            return fd, p(0, 1, 100, -1), p(0, 16, 20, 24, 32, 100, -1, "x"), \
                p(0, F.MSG_PEEK, F.MSG_CMSG_CLOEXEC, F.MSG_DONTWAIT, F.MSG_TRUNC)
        if op == "send_fds":
            fds = [self.slot()[0] for _ in range(rng.randrange(1, 4))]
            return fd, p(b"x", b"", b"y" * 100), fds if rng.random() < 0.85 else p([-1], [2**31], ["x"], [None])
        if op == "recv_fds":
            return fd, p(1, 100, 0, -1), p(0, 1, 2, 4, -1)
        if op == "getsockopt":
            return fd, F.SOL_SOCKET, p(F.SO_ERROR, F.SO_TYPE, F.SO_ACCEPTCONN, F.SO_DOMAIN, F.SO_PROTOCOL,
                                       F.SO_PASSCRED)
        if op == "socket_on_fd":
            return p(AF_INET, AF_INET6, AF_UNIX), p(STREAM, DGRAM), fd
        if op == "socket_bad":
            return p(AF_INET, AF_INET6, -1, 2**31, "x"), p(STREAM, 2**31, -(2**31) - 1, 2**64, None)
        if op in ("ep_register", "ep_modify"):
            return Ep(self.epoll_slot()), self.fd_arg() if rng.random() < 0.3 else fd, p(*EP_MASKS)
        if op == "ep_unregister":
            return Ep(self.epoll_slot()), fd
        if op == "ep_poll":
            return Ep(fd if kind == "epoll" else self.epoll_slot()), p(0, 0, 0.0, "x", 1e300, -0.0), \
                p(-1, -1, 1, 2, 0, -2, 2**31)
        if op == "ep_close":
            return (Ep(fd if isinstance(fd, Fd) else self.slot()[0]),)
        if op == "poll":
            return ([(self.fd_arg() if rng.random() < 0.8 else fd, p(0xFFFF, 1, 4, 0x2000, -1, 2**16, "x"))
                     for _ in range(rng.randrange(1, 4))],)
        if op == "select":
            return tuple([self.fd_arg() for _ in range(rng.randrange(0, 3))] for _ in range(3))
        if op == "new_obj":
            return New(p(*NEW_CLASSES)), p("repr", "call0", "close")
        raise AssertionError(op)

    def epoll_slot(self) -> Fd:
        eps = [fd for fd, kind in self.slots if kind == "epoll"]
        return self.rng.choice(eps) if eps and self.rng.random() < 0.9 else self.slot()[0]


SOCKET_OPS = ["bind", "listen", "connect", "connect_ex", "send", "recv", "sendto", "recvfrom", "shutdown",
              "getsockname", "getpeername", "getsockopt", "accept", "socket_on_fd", "sock_setblocking",
              "sendmsg", "recvmsg"]
FILE_OPS = ["close", "read", "write", "fstat", "get_blocking", "set_blocking", "fcntl", "ioctl",
            "ep_register", "poll", "select", "readv", "writev", "pread", "pwrite", "lseek"]
KIND_OPS: dict[str, list[str]] = {
    "pipe_r": FILE_OPS + ["read", "read", "eventfd_read"],
    "pipe_w": FILE_OPS + ["write", "write", "eventfd_write"],
    "eventfd": FILE_OPS + ["eventfd_read", "eventfd_write", "eventfd_write"],
    "timerfd": FILE_OPS + ["timerfd_settime", "timerfd_gettime", "timerfd_settime"],
    "epoll": FILE_OPS + ["ep_register", "ep_modify", "ep_unregister", "ep_poll", "ep_poll", "ep_close"],
    "unix": FILE_OPS + SOCKET_OPS + ["send_fds", "send_fds", "recv_fds", "recv_fds", "recvmsg"],
    "inet": FILE_OPS + SOCKET_OPS + ["send", "recv", "sendto", "recvfrom"],
    "null": FILE_OPS + ["read", "write", "fstat"],
}
ANY_OPS = sorted(set(CALLS) - set(CREATES)) + ["socket_bad", "new_obj"]
