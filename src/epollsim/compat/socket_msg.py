"""The socket object's sendmsg, recvmsg and recvmsg_into, and the module's CMSG_LEN, CMSG_SPACE,
send_fds and recv_fds (Modules/socketmodule.c sock_sendmsg, sock_recvmsg_guts, sock_recvmsg_into,
socket_CMSG_LEN, socket_CMSG_SPACE; Lib/socket.py send_fds, recv_fds).

CPython parses every argument before the system call, in this order: the
flags, the address, the buffers (an iterable of bytes-like objects), then
the ancillary items (each a 3-item sequence: level, type, bytes-like), so a
malformed item is a TypeError and nothing is sent. The system call gets the
gathered bytes and the items (``syscalls/scm.py``); recvmsg returns the items
the kernel wrote, each ``(level, type, data)``. recvmsg_into checks every
buffer is writable before it reads anything.
"""
from __future__ import annotations

import array
from typing import TYPE_CHECKING, Any, ClassVar

from ..abi.socket import AF_UNIX, SOCK_STREAM, SOL_SOCKET
from ._convert import INT_MAX, as_bytes, format_i, format_n
from ._sockaddr import makesockaddr

if TYPE_CHECKING:
    from .socket import SocketModule

SCM_RIGHTS = 1
_CMSGHDR = 16  # sizeof(struct cmsghdr)
_SOCKLEN_T_LIMIT = INT_MAX


def _fast(obj: Any, message: str) -> list[Any] | tuple[Any, ...]:
    """PySequence_Fast: a list or tuple as it is, any other iterable as a list."""
    if isinstance(obj, (list, tuple)):
        return obj
    try:
        it = iter(obj)
    except TypeError:
        raise TypeError(message) from None
    return list(it)


def _anc_item(item: Any) -> tuple[int, int, bytes]:
    """PyArg_Parse(item, "(iiy*):[sendmsg() ancillary data items]")."""
    where = "[sendmsg() ancillary data items]() argument"
    if isinstance(item, bytes) or not hasattr(type(item), "__getitem__") or isinstance(item, dict):
        raise TypeError(f"{where} must be 3-item sequence, not {type(item).__name__}")
    if len(item) != 3:
        raise TypeError(f"{where} must be sequence of length 3, not {len(item)}")
    return format_i(item[0]), format_i(item[1]), as_bytes(item[2])


def cmsg_len(length: Any) -> int:
    """socket.CMSG_LEN: the header and ``length`` bytes (no system call)."""
    n = format_n(length)
    if n < 0 or _CMSGHDR + n > _SOCKLEN_T_LIMIT:
        raise OverflowError("CMSG_LEN() argument out of range")
    return _CMSGHDR + n


def cmsg_space(length: Any) -> int:
    """socket.CMSG_SPACE: CMSG_LEN with the data padded to 8 bytes."""
    n = format_n(length)
    # get_CMSG_SPACE: "Use CMSG_SPACE(1) here in order to take account of the padding
    # necessary before *and* after the data".
    if n < 0 or n > _SOCKLEN_T_LIMIT - (_CMSGHDR + 8):
        raise OverflowError("CMSG_SPACE() argument out of range")
    return _CMSGHDR + (n + 7) // 8 * 8


def send_fds(sock: Any, buffers: Any, fds: Any, flags: Any = 0, address: Any = None) -> int:
    """Lib/socket.py send_fds (which passes on neither ``flags`` nor ``address``)."""
    return sock.sendmsg(buffers, [(SOL_SOCKET, SCM_RIGHTS, array.array("i", fds))])  # type: ignore[no-any-return]


def recv_fds(sock: Any, bufsize: Any, maxfds: Any, flags: Any = 0) -> tuple[bytes, list[int], int, Any]:
    """Lib/socket.py recv_fds (which passes on no ``flags``)."""
    fds = array.array("i")
    msg, ancdata, flags, addr = sock.recvmsg(bufsize, cmsg_len(maxfds * fds.itemsize))
    for cmsg_level, cmsg_type, cmsg_data in ancdata:
        if cmsg_level == SOL_SOCKET and cmsg_type == SCM_RIGHTS:
            fds.frombytes(cmsg_data[: len(cmsg_data) - (len(cmsg_data) % fds.itemsize)])
    return msg, list(fds), flags, addr


class SocketMsgMixin:
    """sendmsg and the recvmsg pair; relies on socket_object.socket's attributes."""

    __slots__ = ()
    _module: ClassVar[SocketModule]
    _fd: int
    _family: int
    _type: int

    if TYPE_CHECKING:
        def _call(self, writing: bool, op: Any, timeout_ns: int | None = None) -> Any: ...
        def _addr(self, address: Any, caller: str) -> Any: ...
        def _connected_with_address(self, address: Any) -> Any: ...

    def sendmsg(self, buffers: Any, ancdata: Any = (), flags: Any = 0, address: Any = None, /) -> int:
        flags = format_i(flags)
        unix_stream = self._family == AF_UNIX and self._type == SOCK_STREAM
        addr = None
        if address is not None:
            if unix_stream:
                if not isinstance(address, str):
                    as_bytes(address)
            else:
                addr = self._addr(address, "sendmsg")
        parts = _fast(buffers, "sendmsg() argument 1 must be an iterable")
        data = b"".join(as_bytes(b) for b in parts)
        items = [_anc_item(item) for item in _fast(ancdata, "sendmsg() argument 2 must be an iterable")]
        if address is not None and unix_stream:
            self._connected_with_address(address)
        sys = self._module._sys
        count = len(parts)
        return self._call(True, lambda: sys.sendmsg(self._fd, data, items, flags, addr, count))  # type: ignore[no-any-return]

    def _recvmsg(self, bufsize: int, ancbufsize: int, flags: int, iovcnt: int
                 ) -> tuple[bytes, list[Any], int, Any]:
        if ancbufsize < 0 or ancbufsize > _SOCKLEN_T_LIMIT:
            raise ValueError("invalid ancillary data buffer length")
        sys = self._module._sys
        data, _, msg_flags, addr, anc = self._call(
            False, lambda: sys.recvmsg_anc(self._fd, bufsize, ancbufsize, flags, iovcnt))
        return data, anc, msg_flags, None if addr is None else makesockaddr(self._family, addr)

    def recvmsg(self, bufsize: Any, ancbufsize: Any = 0, flags: Any = 0, /) -> tuple[bytes, list[Any], int, Any]:
        """sock_recvmsg: the data, the ancillary items, msg_flags and the source address."""
        bufsize = format_n(bufsize)
        ancbufsize = format_n(ancbufsize)
        flags = format_i(flags)
        if bufsize < 0:
            raise ValueError("negative buffer size in recvmsg()")
        return self._recvmsg(bufsize, ancbufsize, flags, 1)

    def recvmsg_into(self, buffers: Any, ancbufsize: Any = 0, flags: Any = 0, /) -> tuple[int, list[Any], int, Any]:
        """sock_recvmsg_into: every buffer must be writable before anything is read."""
        ancbufsize = format_n(ancbufsize)
        flags = format_i(flags)
        views = []
        for b in _fast(buffers, "recvmsg_into() argument 1 must be an iterable"):
            try:
                view = memoryview(b)
            except TypeError:
                view = None
            if view is None or view.readonly or not view.c_contiguous:
                raise TypeError("recvmsg_into() argument 1 must be an iterable "
                                "of single-segment read-write buffers")
            views.append(view.cast("B"))
        total = sum(len(v) for v in views)
        data, anc, msg_flags, addr = self._recvmsg(total, ancbufsize, flags, len(views))
        pos = 0
        for v in views:
            n = min(len(v), len(data) - pos)
            v[:n] = data[pos : pos + n]
            pos += n
        return len(data), anc, msg_flags, addr
