"""The Linux-shaped system-call layer: ints in, ints and bytes out, OSError with Linux's errno.

``Syscalls`` gathers one mixin per family of calls. Every call resolves fd
numbers through the process's fd table, checks its arguments in the order
Linux does, and asks the file kinds and ``vfs/`` to do the work. It is what
``Kernel.sys`` is, for programs ported from C, and what the stand-ins in
``compat/`` are built on.
"""
from .epoll import EpollCalls
from .fd import FdCalls
from .inet import InetCalls
from .poll import PollCalls
from .socket import SocketCalls
from .timerfd import TimerfdCalls
from .udp import UdpCalls
from .unix import UnixCalls


class Syscalls(FdCalls, EpollCalls, PollCalls, UdpCalls, UnixCalls, InetCalls, SocketCalls, TimerfdCalls):
    __slots__ = ()


__all__ = ["Syscalls"]
