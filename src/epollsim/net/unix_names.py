"""One host's AF_UNIX names: bound paths and the abstract namespace (net/unix/af_unix.c).

The model has no file system, so a path a socket binds is an entry here, not
a file. As on Linux, the entry outlives its socket (a socket file left
behind: binding the path again is EADDRINUSE, connecting ECONNREFUSED) until
``unlink`` removes it; an abstract name (leading NUL) goes with its socket.
Sockets are whatever ``files/unix_socket.py`` registers.
"""
from __future__ import annotations

from errno import EADDRINUSE, ECONNREFUSED, EINVAL, ENOENT, ENOSPC, EPROTOTYPE
from typing import Any

from ..errors import oserror

_AUTOBIND_SPACE = 0x100000  # five hex digits (unix_autobind)


class UnixNames:
    """A host's bound paths (socket or None once closed) and abstract names, in bind order."""

    def __init__(self) -> None:
        self.paths: dict[bytes, Any] = {}
        # Abstract names are per socket type (unix_abstract_hash mixes the type in): a stream
        # and a datagram socket may hold the same one.
        self.abstract: dict[tuple[int, bytes], Any] = {}
        self._ordernum: int | None = None

    def bind(self, sock: Any, current: bytes | None, path: bytes, rng: Any) -> bytes:
        """unix_bind for a socket named ``current`` (None: unnamed): autobind for an
        empty name, else a path or an abstract name; returns the socket's new name."""
        if not path:  # unix_autobind: a socket that has a name keeps it, and succeeds
            return current if current is not None else self.autobind(sock, rng)
        if path[0] == 0:
            if current is not None:
                raise oserror(EINVAL)
            self.bind_abstract(path, sock)
        else:
            self.bind_path(path, sock)  # EADDRINUSE before EINVAL, as mknod comes first
            if current is not None:
                self.unlink(path)
                raise oserror(EINVAL)
        return path

    def bind_path(self, path: bytes, sock: Any) -> None:
        if path in self.paths:
            raise oserror(EADDRINUSE)  # mknod: EEXIST
        self.paths[path] = sock

    def bind_abstract(self, name: bytes, sock: Any) -> None:
        key = (sock.type, name)
        if key in self.abstract:
            raise oserror(EADDRINUSE)
        self.abstract[key] = sock

    def autobind(self, sock: Any, rng: Any) -> bytes:
        """unix_autobind: NUL + five hex digits, counting on from a random start."""
        if self._ordernum is None:
            self._ordernum = rng.getrandbits(32)
        for _ in range(_AUTOBIND_SPACE):
            self._ordernum = (self._ordernum + 1) & (_AUTOBIND_SPACE - 1)
            name = b"\0" + f"{self._ordernum:05x}".encode()
            if (sock.type, name) not in self.abstract:
                self.abstract[sock.type, name] = sock
                return name
        raise oserror(ENOSPC)

    def find(self, name: bytes, kind: int) -> Any:
        """unix_find_other for a socket of type ``kind``: ENOENT for a path nobody bound,
        ECONNREFUSED for no socket (an abstract name of another type is none), EPROTOTYPE for
        a path bound by a socket of another type."""
        if name[:1] == b"\0":
            sock = self.abstract.get((kind, name))
        else:
            if name not in self.paths:
                raise oserror(ENOENT)
            sock = self.paths[name]
        if sock is None:
            raise oserror(ECONNREFUSED)
        if sock.type != kind:
            raise oserror(EPROTOTYPE)
        return sock

    def released(self, name: bytes, sock: Any) -> None:
        """The socket bound to ``name`` is gone: an abstract name is free, a path goes stale."""
        if name[:1] == b"\0":
            key = (sock.type, name)
            if self.abstract.get(key) is sock:
                del self.abstract[key]
        elif self.paths.get(name) is sock:
            self.paths[name] = None

    def unlink(self, path: bytes) -> None:
        if path not in self.paths:
            raise oserror(ENOENT)
        del self.paths[path]
