"""The socket object's data calls: send, sendall, sendmsg, sendto and the recv family.

A mixin of ``socket_object.socket`` (Modules/socketmodule.c sock_send,
sock_sendall, sock_sendmsg, sock_sendto, sock_recv, sock_recv_into,
sock_recvfrom, sock_recvfrom_into). Every call goes through ``_call``,
CPython's sock_call_ex: a blocking or non-blocking socket just makes the
system call; a socket with a timeout first poll()s for readiness (POLLIN to
receive, POLLOUT to send) and again after EAGAIN, failing with
``TimeoutError("timed out")`` when the virtual time runs out. ``sendall``
keeps one deadline for the whole buffer.

Buffers are converted as CPython's "y*"/"w*" formats do (``_convert.py``);
a datagram received with MSG_TRUNC is padded to the length the kernel
returned, as CPython resizes its buffer to it.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar, NoReturn

from ..abi.ioctl import FIONREAD
from ..abi.poll import POLLIN, POLLOUT
from ..abi.socket import AF_UNIX, SOCK_DGRAM, SOCK_STREAM
from ..errors import oserror
from ._convert import INT_MAX, INT_MIN, as_bytes, format_i, format_n, ns_to_ms_checked, writable_buffer
from ._sockaddr import makesockaddr

if TYPE_CHECKING:
    from ..syscalls import Syscalls
    from .socket import SocketModule

_NO_ADDRESS: Any = object()  # sendto's two-argument form
_EISCONN = 106
_ENOTCONN = 107
_EOPNOTSUPP = 95


class SocketDataMixin:
    """What a socket object sends and receives; relies on socket_object.socket's attributes."""

    __slots__ = ()
    _module: ClassVar[SocketModule]
    _sys: ClassVar[Syscalls]  # _module._sys, bound on the per-kernel class for the hot calls
    _fd: int
    _family: int
    _type: int
    _timeout_ns: int | None

    if TYPE_CHECKING:
        def _addr(self, address: Any, caller: str) -> Any: ...

    def _call(self, writing: bool, op: Any, timeout_ns: int | None = None) -> Any:
        """sock_call_ex: with a timeout, poll for readiness first, and again after EAGAIN."""
        if timeout_ns is None:
            timeout_ns = self._timeout_ns
        if not timeout_ns:  # blocking (None) or non-blocking (0): just the call
            return op()
        sys = self._module._sys
        clock = sys.proc.clock
        deadline = clock.now_ns + timeout_ns
        events = POLLOUT if writing else POLLIN
        while True:
            remaining = deadline - clock.now_ns
            if remaining < 0 or not sys.poll([(self._fd, events)], ns_to_ms_checked(remaining, True))[0]:
                raise TimeoutError("timed out")
            try:
                return op()
            except BlockingIOError:
                continue

    def send(self, data: Any, flags: Any = 0, /) -> int:
        buf = data if data.__class__ is bytes else as_bytes(data)
        if flags.__class__ is not int or not INT_MIN <= flags <= INT_MAX:
            flags = format_i(flags)
        if not self._timeout_ns:  # blocking or non-blocking: _call would just make the call
            return self._sys.sendto(self._fd, buf, flags)
        sent: int = self._call(True, lambda: self._module._sys.sendto(self._fd, buf, flags))
        return sent

    def sendall(self, data: Any, flags: Any = 0, /) -> None:
        """sock_sendall: with a timeout, one deadline for the whole buffer."""
        buf = memoryview(as_bytes(data))
        flags = format_i(flags)
        sys = self._module._sys
        timeout = self._timeout_ns
        deadline = sys.proc.clock.now_ns + timeout if timeout else 0
        sent = 0
        while True:
            left = deadline - sys.proc.clock.now_ns if timeout else None
            if left is not None and left <= 0:
                raise TimeoutError("timed out")
            chunk = buf[sent:]
            sent += self._call(True, lambda chunk=chunk: sys.sendto(self._fd, chunk, flags), left)
            if sent >= len(buf):
                return

    def sendto(self, data: Any, flags_or_address: Any, address: Any = _NO_ADDRESS, /) -> int:
        """sendto(data[, flags], address): getsockaddrarg, then the call (a datagram to it). The
        form is the argument count, as in sock_sendto: ``sendto(b"x", 0, None)`` has address None."""
        buf = as_bytes(data)
        if address is _NO_ADDRESS:
            address, flags = flags_or_address, 0
        else:
            flags = format_i(flags_or_address)
        if self._family == AF_UNIX and self._type == SOCK_STREAM:
            self._connected_with_address(address)
        addr = self._addr(address, "sendto")
        return self._call(True, lambda: self._module._sys.sendto(self._fd, buf, flags, addr))  # type: ignore[no-any-return]

    def _connected_with_address(self, address: Any) -> NoReturn:
        """getsockaddrarg for AF_UNIX (a path: str or bytes-like), then unix_stream_sendmsg's
        answer to a name: EISCONN on a connected socket, EOPNOTSUPP on any other."""
        if not isinstance(address, str):
            as_bytes(address)
        try:
            self._module._sys.getpeername(self._fd)
        except OSError as exc:
            if exc.errno == _ENOTCONN:
                raise oserror(_EOPNOTSUPP) from None
            raise
        raise oserror(_EISCONN)

    def _recv_guts(self, bufsize: int, flags: int) -> bytes:
        if not self._timeout_ns:  # blocking or non-blocking: _call would just make the call
            return self._sys.recvfrom(self._fd, bufsize, flags)
        data: bytes = self._call(False, lambda: self._module._sys.recvfrom(self._fd, bufsize, flags))
        return data

    def _recvmsg_guts(self, bufsize: int, flags: int) -> tuple[bytes, int, int, Any]:
        """recvmsg(2): (data, return value, msg_flags, source address for makesockaddr or None).

        With MSG_TRUNC a datagram socket returns the datagram's whole length, more than
        it copied: CPython then resizes its buffer to that length (the model pads with 0).
        """
        return self._call(False, lambda: self._module._sys.recvmsg(self._fd, bufsize, flags))  # type: ignore[no-any-return]

    def recv(self, bufsize: Any, flags: Any = 0, /) -> bytes:
        if bufsize.__class__ is not int or not -(1 << 63) <= bufsize < 1 << 63:
            bufsize = format_n(bufsize)
        if flags.__class__ is not int or not INT_MIN <= flags <= INT_MAX:
            flags = format_i(flags)
        if bufsize < 0:
            raise ValueError("negative buffersize in recv")
        if bufsize == 0:
            return b""  # sock_recv answers an empty read itself, even on a closed socket
        if self._type != SOCK_DGRAM:
            if not self._timeout_ns:  # _recv_guts's usual case, inline
                return self._sys.recvfrom(self._fd, bufsize, flags)
            return self._recv_guts(bufsize, flags)
        data, ret, _, _ = self._recvmsg_guts(bufsize, flags)
        return data if ret == len(data) else data + bytes(ret - len(data))

    def recv_into(self, buffer: Any, nbytes: Any = 0, flags: Any = 0) -> int:
        view = writable_buffer(buffer, "recv_into")
        nbytes = format_n(nbytes)
        flags = format_i(flags)
        nbytes = self._into_length(view, nbytes, "recv_into", "buffer too small for requested bytes")
        if nbytes == 0:
            return 0  # as recv: no system call
        if self._type != SOCK_DGRAM:
            data = self._recv_guts(nbytes, flags)
            view[: len(data)] = data
            return len(data)
        data, ret, _, _ = self._recvmsg_guts(nbytes, flags)
        view[: len(data)] = data
        return ret

    def recvfrom(self, bufsize: Any, flags: Any = 0, /) -> tuple[bytes, Any]:
        """recvfrom: always the system call, even for 0 bytes (which waits for data)."""
        bufsize = format_n(bufsize)
        flags = format_i(flags)
        if bufsize < 0:
            raise ValueError("negative buffersize in recvfrom")
        if self._type != SOCK_DGRAM:
            data = self._recv_guts(bufsize, flags)
            return data, self._stream_sender(data)
        data, ret, _, addr = self._recvmsg_guts(bufsize, flags)
        if ret != len(data):
            data += bytes(ret - len(data))
        # No address (a stream, an unnamed peer): the kernel reports none, and CPython None.
        return data, None if addr is None else makesockaddr(self._family, addr)

    def _stream_sender(self, data: bytes) -> Any:
        """The address recvfrom reports on a stream: unix_stream_read_generic copies the sending
        socket's name (the peer's, as it is now) with the first buffer it reads from, if it has
        one, for a read of 0 bytes too; TCP copies none. End of file read no buffer: no name."""
        sys = self._module._sys
        try:
            family, name = sys.getpeername(self._fd)
        except OSError:
            return None
        if family != AF_UNIX or not name or not data and not sys.ioctl(self._fd, FIONREAD):
            return None
        return makesockaddr(AF_UNIX, name)

    def recvfrom_into(self, buffer: Any, nbytes: Any = 0, flags: Any = 0) -> tuple[int, Any]:
        view = writable_buffer(buffer, "recvfrom_into")
        nbytes = format_n(nbytes)
        flags = format_i(flags)
        nbytes = self._into_length(view, nbytes, "recvfrom_into", "nbytes is greater than the length of the buffer")
        if self._type != SOCK_DGRAM:
            data = self._recv_guts(nbytes, flags)
            view[: len(data)] = data
            return len(data), self._stream_sender(data)
        data, ret, _, addr = self._recvmsg_guts(nbytes, flags)
        view[: len(data)] = data
        return ret, None if addr is None else makesockaddr(self._family, addr)

    @staticmethod
    def _into_length(view: memoryview, nbytes: int, method: str, too_small: str) -> int:
        if nbytes < 0:
            raise ValueError(f"negative buffersize in {method}")
        if nbytes == 0:
            nbytes = len(view)
        if len(view) < nbytes:
            raise ValueError(too_small)
        return nbytes
