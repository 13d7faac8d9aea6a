"""``ssl.SSLSocket`` over the model's sockets: OpenSSL over memory BIOs, its bytes through the model.

Theory of operation
-------------------
CPython's ``SSLSocket`` hands its socket's fd to OpenSSL, which then reads and
writes the fd itself (a socket BIO, inside ``_ssl.c``). A model socket's fd is
not a real fd, so here OpenSSL works on two memory BIOs instead
(``SSLContext._wrap_bio``, what ``SSLObject`` and asyncio's TLS use), and
``TlsChannel`` moves the bytes between those BIOs and the model socket:

- every TLS operation (handshake, read, write, shutdown) is tried; when OpenSSL
  says it wants to read (``SSLWantReadError``) the channel first sends what
  OpenSSL wrote to the outgoing BIO, then receives from the socket into the
  incoming BIO (end of file: ``write_eof``) and tries again; after the
  operation, what OpenSSL wrote is sent;
- the socket's own mode decides how a receive waits: blocking, a timeout
  (``TimeoutError("The read operation timed out")`` and its siblings, as
  ``_ssl.c`` says them), or non-blocking, where a receive that would block ends
  the operation with OpenSSL's own ``SSLWantReadError`` exactly as a socket BIO
  does;
- a non-blocking send that cannot take every byte keeps the rest, and the next
  operation sends it first; a write is refused with ``SSLWantWriteError``
  while earlier bytes still wait (OpenSSL's socket BIO holds its record the
  same way). So the bytes on the wire are OpenSSL's, in OpenSSL's order.

The ``SSLSocket`` methods that do not call ``super()`` are the running
CPython's own functions (``ssl.SSLSocket.read`` and the rest), so messages and
behaviour follow the interpreter's version; the others (``_create``, send and
receive, connect, accept, close) are written here over the model socket.

Not modelled: the kernel TLS offload (``ktls``), ``sendfile`` without
encryption in between (it goes through ``send``, as CPython's fallback does),
and OpenSSL's own random generator, which the seed does not fix.
"""
from __future__ import annotations

import errno
import ssl as _ssl
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from ..abi.socket import SO_TYPE, SOCK_STREAM, SOL_SOCKET

_MAX_READ = 65536  # bytes asked of the socket per receive (one TLS record is at most 16 KiB + overhead)
_Real = _ssl.SSLSocket


class TlsChannel:
    """What ``SSLSocket._sslobj`` is in CPython (``_ssl._SSLSocket``), over memory BIOs and a model socket."""

    def __init__(self, sock: Any, context: _ssl.SSLContext, server_side: bool, server_hostname: Any,
                 session: Any) -> None:
        self.sock = sock
        self.incoming = _ssl.MemoryBIO()
        self.outgoing = _ssl.MemoryBIO()
        self.obj = context._wrap_bio(self.incoming, self.outgoing, server_side, server_hostname,  # type: ignore[attr-defined]
                                     owner=sock, session=session)
        self.unsent = b""  # bytes OpenSSL wrote that the socket has not taken yet (non-blocking)

    # -- moving bytes -------------------------------------------------------------------

    def _flush(self, what: str) -> bool:
        """Send what OpenSSL wrote; False when a non-blocking socket could not take all of it."""
        data = self.unsent + self.outgoing.read()
        self.unsent = b""
        send = self.sock._plain_send
        while data:
            try:
                n = send(data)
            except BlockingIOError:
                self.unsent = data
                return False
            except TimeoutError:
                self.unsent = data
                raise TimeoutError(f"The {what} operation timed out") from None
            data = data[n:]
        return True

    def _fill(self, what: str) -> None:
        """Receive from the socket into OpenSSL's incoming BIO (end of file: ``write_eof``)."""
        try:
            data = self.sock._plain_recv(_MAX_READ)
        except TimeoutError:
            raise TimeoutError(f"The {what} operation timed out") from None
        if data:
            self.incoming.write(data)
        else:
            self.incoming.write_eof()

    def _run(self, what: str, op: Any, *args: Any) -> Any:
        while True:
            try:
                result = op(*args)
            except _ssl.SSLWantReadError as want:
                if not self._flush(what):
                    raise
                try:
                    self._fill(what)
                except BlockingIOError:
                    raise want from None  # OpenSSL's own error, as a socket BIO would end it
                continue
            self._flush(what)
            return result

    # -- what _ssl._SSLSocket offers ---------------------------------------------------

    def do_handshake(self) -> None:
        self._run("handshake", self.obj.do_handshake)

    def read(self, len: int = 1024, buffer: Any = None) -> Any:
        if buffer is not None:
            return self._run("read", self.obj.read, len, buffer)
        return self._run("read", self.obj.read, len)

    def write(self, data: Any) -> int:
        if self.unsent and not self._flush("write"):
            raise _ssl.SSLWantWriteError(_ssl.SSL_ERROR_WANT_WRITE, "The operation did not complete (write)")
        return int(self._run("write", self.obj.write, data))

    def shutdown(self) -> Any:
        self._run("read", self.obj.shutdown)
        return self.sock

    def __getattr__(self, name: str) -> Any:
        # getpeercert, cipher, version, pending, session, context, selected_alpn_protocol...:
        # answered by OpenSSL from its state, no I/O.
        return getattr(self.obj, name)

    def __setattr__(self, name: str, value: Any) -> None:
        if name in ("context", "session"):
            setattr(self.obj, name, value)
        else:
            object.__setattr__(self, name, value)


class SSLSocketMixin:
    """The methods of ``ssl.SSLSocket``; mixed with a kernel's socket class once per host (``SocketModule``)."""

    _plain: type[Any]  # the host's socket class, which this one extends
    _sslobj: Any
    _context: Any
    _session: Any
    _connected: bool
    server_side: bool
    server_hostname: Any
    do_handshake_on_connect: bool
    suppress_ragged_eofs: bool

    if TYPE_CHECKING:  # the socket class's (socket_object.py), which this is mixed with
        _closed: bool
        def getpeername(self) -> Any: ...
        def getblocking(self) -> bool: ...
        def setblocking(self, flag: Any, /) -> None: ...
        def gettimeout(self) -> float | None: ...
        def settimeout(self, value: Any, /) -> None: ...
        def close(self) -> None: ...

    # The running CPython's own methods: none calls super(), so they work on this class too.
    __init__ = _Real.__init__
    context = _Real.context
    session = _Real.session
    session_reused = _Real.session_reused
    dup = _Real.dup
    _checkClosed: Callable[..., Any] = _Real._checkClosed  # type: ignore[attr-defined]  # Lib/ssl.py's private method
    _check_connected: Callable[..., Any] = _Real._check_connected  # type: ignore[attr-defined]  # Lib/ssl.py's private method
    read: Callable[..., Any] = _Real.read  # Lib/ssl.py's, for an SSLSocket self
    write: Callable[..., Any] = _Real.write  # Lib/ssl.py's, for an SSLSocket self
    getpeercert = _Real.getpeercert
    selected_npn_protocol = _Real.selected_npn_protocol
    selected_alpn_protocol = _Real.selected_alpn_protocol
    cipher = _Real.cipher
    shared_ciphers = _Real.shared_ciphers
    compression = _Real.compression
    sendmsg = _Real.sendmsg
    recvmsg = _Real.recvmsg
    recvmsg_into = _Real.recvmsg_into
    pending = _Real.pending
    unwrap = _Real.unwrap
    verify_client_post_handshake = _Real.verify_client_post_handshake
    do_handshake: Callable[..., Any] = _Real.do_handshake  # Lib/ssl.py's, for an SSLSocket self
    connect = _Real.connect
    connect_ex = _Real.connect_ex
    get_channel_binding = _Real.get_channel_binding
    version = _Real.version

    @classmethod
    def _create(cls, sock: Any, server_side: bool = False, do_handshake_on_connect: bool = True,
                suppress_ragged_eofs: bool = True, server_hostname: Any = None, context: Any = None,
                session: Any = None) -> Any:
        """SSLContext.wrap_socket's work (Lib/ssl.py SSLSocket._create), over a model socket.

        While a patch is active this is every SSLContext's ``sslsocket_class``: a socket of
        another host goes to that host's class, and a real socket to the real ``SSLSocket``.
        """
        module = getattr(sock, "_module", None)  # a class's or, where hosts share the class, the socket's
        if module is not cls._plain._module:
            target: Any = module._SSLSocket if module is not None else _Real
            return target._create(sock, server_side, do_handshake_on_connect, suppress_ragged_eofs,
                                  server_hostname, context, session)
        if sock.getsockopt(SOL_SOCKET, SO_TYPE) != SOCK_STREAM:
            raise NotImplementedError("only stream sockets are supported")
        if server_side:
            if server_hostname:
                raise ValueError("server_hostname can only be specified in client mode")
            if session is not None:
                raise ValueError("session can only be specified in client mode")
        if context.check_hostname and not server_hostname:
            raise ValueError("check_hostname requires server_hostname")
        self = cls.__new__(cls)
        cls._plain.__init__(self, family=sock.family, type=sock.type, proto=sock.proto, fileno=sock.fileno())
        timeout = sock.gettimeout()
        sock.detach()
        self._context = context
        self._session = session
        self._closed = False
        self._sslobj = None
        self.server_side = server_side
        self.server_hostname = context._encode_hostname(server_hostname)
        self.do_handshake_on_connect = do_handshake_on_connect
        self.suppress_ragged_eofs = suppress_ragged_eofs
        try:
            self.getpeername()
            connected = True
        except OSError as e:
            if e.errno != errno.ENOTCONN:
                raise
            connected = False
            blocking = self.getblocking()
            self.setblocking(False)
            try:
                early = self._plain_recv(1)
            except OSError as e2:
                if e2.errno not in (errno.ENOTCONN, errno.EINVAL):
                    raise
                early = b""
            self.setblocking(blocking)
            if early:
                reason = "Closed before TLS handshake with data in recv buffer."
                error = _ssl.SSLError(e.errno, reason)
                error.reason = reason
                error.library = None  # type: ignore[assignment]  # as Lib/ssl.py sets it
                try:
                    self.close()
                except OSError:
                    pass
                raise error  # noqa: B904  (Lib/ssl.py raises it inside the except: same __context__)
        self.settimeout(timeout)
        self._connected = connected
        if connected:
            try:
                self._sslobj = TlsChannel(self, context, server_side, self.server_hostname, session)
                if do_handshake_on_connect:
                    if self.gettimeout() == 0.0:
                        raise ValueError("do_handshake_on_connect should not be specified for non-blocking sockets")
                    self.do_handshake()
            except (OSError, ValueError):
                self.close()
                raise
        return self

    # -- the plain socket underneath ---------------------------------------------------------

    def _plain_send(self, data: bytes) -> int:
        return int(super().send(data))  # type: ignore[misc]

    def _plain_recv(self, n: int) -> bytes:
        return bytes(super().recv(n))  # type: ignore[misc]

    # -- what calls super() in Lib/ssl.py -----------------------------------------------------

    def send(self, data: Any, flags: Any = 0) -> int:
        self._checkClosed()
        if self._sslobj is not None:
            if flags != 0:
                raise ValueError(f"non-zero flags not allowed in calls to send() on {self.__class__}")
            return int(self._sslobj.write(data))
        return int(super().send(data, flags))  # type: ignore[misc]

    def sendto(self, data: Any, flags_or_addr: Any, addr: Any = None) -> int:
        self._checkClosed()
        if self._sslobj is not None:
            raise ValueError(f"sendto not allowed on instances of {self.__class__}")
        if addr is None:
            return int(super().sendto(data, flags_or_addr))  # type: ignore[misc]
        return int(super().sendto(data, flags_or_addr, addr))  # type: ignore[misc]

    def sendall(self, data: Any, flags: Any = 0) -> None:
        self._checkClosed()
        if self._sslobj is None:
            return super().sendall(data, flags)  # type: ignore[misc,no-any-return]
        if flags != 0:
            raise ValueError(f"non-zero flags not allowed in calls to sendall() on {self.__class__}")
        count = 0
        with memoryview(data) as view, view.cast("B") as byte_view:
            while count < len(byte_view):
                count += self.send(byte_view[count:])
        return None

    def sendfile(self, file: Any, offset: int = 0, count: int | None = None) -> int:
        """Through ``send`` (encrypted), as CPython's fallback: Lib/socket.py's _sendfile_use_send."""
        if self._sslobj is None:
            return int(super().sendfile(file, offset, count))  # type: ignore[misc]
        import socket as real_socket

        return int(real_socket.socket._sendfile_use_send(self, file, offset, count))  # type: ignore[attr-defined]

    def recv(self, buflen: Any = 1024, flags: Any = 0) -> bytes:
        self._checkClosed()
        if self._sslobj is not None:
            if flags != 0:
                raise ValueError(f"non-zero flags not allowed in calls to recv() on {self.__class__}")
            data: bytes = self.read(buflen)
            return data
        return bytes(super().recv(buflen, flags))  # type: ignore[misc]

    def recv_into(self, buffer: Any, nbytes: Any = None, flags: Any = 0) -> int:
        self._checkClosed()
        if nbytes is None:
            if buffer is not None:
                with memoryview(buffer) as view:
                    nbytes = view.nbytes
                if not nbytes:
                    nbytes = 1024
            else:
                nbytes = 1024
        if self._sslobj is not None:
            if flags != 0:
                raise ValueError(f"non-zero flags not allowed in calls to recv_into() on {self.__class__}")
            count: int = self.read(nbytes, buffer)
            return count
        return int(super().recv_into(buffer, nbytes, flags))  # type: ignore[misc]

    def recvfrom(self, buflen: Any = 1024, flags: Any = 0) -> Any:
        self._checkClosed()
        if self._sslobj is not None:
            raise ValueError(f"recvfrom not allowed on instances of {self.__class__}")
        return super().recvfrom(buflen, flags)  # type: ignore[misc]

    def recvfrom_into(self, buffer: Any, nbytes: Any = None, flags: Any = 0) -> Any:
        self._checkClosed()
        if self._sslobj is not None:
            raise ValueError(f"recvfrom_into not allowed on instances of {self.__class__}")
        return super().recvfrom_into(buffer, nbytes, flags)  # type: ignore[misc]

    def shutdown(self, how: Any) -> None:
        self._checkClosed()
        self._sslobj = None
        super().shutdown(how)  # type: ignore[misc]

    def _real_close(self) -> None:
        self._sslobj = None
        super()._real_close()  # type: ignore[misc]

    def _real_connect(self, addr: Any, connect_ex: bool) -> Any:
        if self.server_side:
            raise ValueError("can't connect in server-side mode")
        if self._connected or self._sslobj is not None:
            raise ValueError("attempt to connect already-connected SSLSocket!")
        self._sslobj = TlsChannel(self, self.context, False, self.server_hostname, self._session)
        try:
            if connect_ex:
                rc = super().connect_ex(addr)  # type: ignore[misc]
            else:
                rc = None
                super().connect(addr)  # type: ignore[misc]
            if not rc:
                self._connected = True
                if self.do_handshake_on_connect:
                    self.do_handshake()
            return rc
        except (OSError, ValueError):
            self._sslobj = None
            raise

    def accept(self) -> tuple[Any, Any]:
        newsock, addr = super().accept()  # type: ignore[misc]
        newsock = self.context.wrap_socket(newsock, do_handshake_on_connect=self.do_handshake_on_connect,
                                           suppress_ragged_eofs=self.suppress_ragged_eofs, server_side=True)
        return newsock, addr
