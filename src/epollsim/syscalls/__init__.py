"""The Linux-shaped system-call layer: ints in, ints and bytes out, OSError with Linux's errno.

``Syscalls`` gathers one mixin per family of calls. Every call resolves fd
numbers through the process's fd table, checks its arguments in the order
Linux does, and asks the file kinds and ``vfs/`` to do the work. It is what
``Kernel.sys`` is, for programs ported from C, and what the stand-ins in
``compat/`` are built on.
"""
from ..files.tcp import TcpSocket
from ..files.udp import UdpSocket
from ..files.unix_dgram import UnixDgramSocket
from ..files.unix_socket import UnixSocket
from ..files.unix_stream import UnixStreamSocket
from .epoll import EpollCalls
from .fd import FdCalls
from .inet import InetCalls
from .inet_cmsg import InetCmsgCalls
from .poll import PollCalls
from .rw import VectorCalls
from .scm import ScmCalls
from .sendfile import SendfileCalls
from .socket import SocketCalls
from .timerfd import TimerfdCalls
from .udp import UdpCalls
from .unix import UnixCalls


class Syscalls(VectorCalls, SendfileCalls, FdCalls, EpollCalls, PollCalls, InetCmsgCalls, ScmCalls, UdpCalls, UnixCalls, InetCalls, SocketCalls, TimerfdCalls):
    __slots__ = ()

    # Each socket class's proto_ops sendmsg and recvmsg (see SocketCalls.sendto).
    SENDMSG = {
        UnixStreamSocket: SocketCalls._stream_send,
        UnixSocket: SocketCalls._stream_send,
        TcpSocket: SocketCalls._stream_send,
        UnixDgramSocket: UdpCalls._unix_dgram_sendto,
        UdpSocket: UdpCalls._udp_sendto,
    }
    RECVMSG = {
        UnixStreamSocket: SocketCalls._unix_stream_recv,
        UnixSocket: SocketCalls._unix_stream_recv,
        TcpSocket: InetCalls._tcp_recv,
        UnixDgramSocket: UdpCalls._dgram_recv,
        UdpSocket: UdpCalls._dgram_recv,
    }


__all__ = ["Syscalls"]
