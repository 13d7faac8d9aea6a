"""Drawing the bad-input fuzzer's programs: calls on fds of the right kind, with bad inputs mixed in.

A ``Drawer`` makes a program from a seeded ``random.Random`` alone (never from what calls return,
so a program replays): creating calls, short scenarios (a TCP listener and its client, a socket
connecting to its own port, UDP connects), and calls on an fd of the program, usually one of the
right kind, sometimes any fd, a closed one, an epoll object, or no fd at all.
"""
from __future__ import annotations

import os
import random
import select as _select
import socket as _socket
from typing import Any

if __package__:
    from .fuzz_ops import CALLS, CREATES, Addr, Call, Ep, Fd, New, Port, UnixName
else:
    from fuzz_ops import CALLS, CREATES, Addr, Call, Ep, Fd, New, Port, UnixName

F = _socket
AF_INET, AF_INET6, AF_UNIX = F.AF_INET, F.AF_INET6, F.AF_UNIX
STREAM, DGRAM, SEQPACKET = F.SOCK_STREAM, F.SOCK_DGRAM, F.SOCK_SEQPACKET
NB, CX = F.SOCK_NONBLOCK, F.SOCK_CLOEXEC

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

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
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
            return UnixName(self.pick(*(UNIX_NAMES[:-1] if op == "bind" else UNIX_NAMES)))
        if r < 0.9:
            host = self.pick("127.0.0.1", "::1", "0.0.0.0", "127.0.0.1", "::1")
            # Port 1 only to connect to (refused): the machine is shared, and a bind there could
            # find another process's socket (EADDRINUSE) as one run of 10^6 calls did.
            ports = (0, Port(self.slot()[0]), Port(self.slot()[0])) + ((1,) if op != "bind" else ())
            return Addr(host, self.pick(*ports))
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
        if op in ("preadv", "pwritev"):
            bufs = self.args("readv" if op == "preadv" else "writev", fd, kind)[1]
            return fd, bufs, p(-1, -1, 0, -2, 5, "x"), p(0, 0, 1, 2, 8, 16, 48, 64, 0x80, 0x100, 1 << 20, 2**31)
        if op == "sendfile":  # fd is the input
            return self.fd_arg(), fd, p(None, None, 0, -1, 5), p(0, 4, 4, -1, 2**62)
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
        if op == "peercred":
            return fd, p(12, 12, 0, 4, 100, -1)
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
              "sendmsg", "recvmsg", "peercred"]
FILE_OPS = ["close", "read", "write", "fstat", "get_blocking", "set_blocking", "fcntl", "ioctl",
            "ep_register", "poll", "select", "readv", "writev", "pread", "pwrite", "lseek",
            "preadv", "pwritev", "sendfile"]
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
