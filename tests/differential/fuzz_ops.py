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
import socket as _socket
import struct
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
class UnixName:
    """A unix socket name (abstract, or a path no one binds), made unique to this process and to
    this run of the program when resolved: the real namespace outlives a program (a socket in
    flight in a cycle of SCM_RIGHTS stays bound until Linux's unix_gc gets to it)."""

    name: str | bytes

    def __repr__(self) -> str:
        return repr(self.name)


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
        self.tag = "0"  # the run's: what makes its unix names its own (UnixName)

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
        if isinstance(a, UnixName):
            n = a.name
            return n.replace("fuzz", "fuzz-" + self.tag) if isinstance(n, str) else n.replace(
                b"fuzz", b"fuzz-" + self.tag.encode())
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
        if type(n) is not int and hasattr(n, "fileno"):  # an epoll object passed as the fd: its number
            try:
                n = n.fileno()
            except (OSError, ValueError):
                return
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


def _peercred(s: Side, fd: Any, buflen: Any) -> Any:
    """getsockopt(SO_PEERCRED): the process's own pid, uid and gid are named, not compared as numbers
    (the model's process is pid 100, root; the real one is this process)."""
    raw = s.sock_call(fd, lambda sock: sock.getsockopt(_socket.SOL_SOCKET, _socket.SO_PEERCRED, buflen))
    own = struct.pack("iII", s.os.getpid(), s.os.getuid(), s.os.getgid())
    fields = [raw[i:i + 4] for i in range(0, len(raw), 4)]  # a short buflen truncates the struct
    return tuple("own" if f == own[i * 4:i * 4 + len(f)] else f for i, f in enumerate(fields))


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
    "preadv": lambda s, fd, sizes, off, flags: (lambda bufs: (s.os.preadv(fd, bufs, off, flags),
                                                              [bytes(b) for b in bufs]))(
        [bytearray(n) if isinstance(n, int) else n for n in sizes]),
    "pwritev": lambda s, fd, bufs, off, flags: s.os.pwritev(fd, bufs, off, flags),
    "sendfile": lambda s, out, fd, off, count: s.os.sendfile(out, fd, off, count),
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
    "peercred": _peercred,
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
