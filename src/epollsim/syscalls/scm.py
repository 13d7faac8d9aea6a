"""sendmsg(2) and recvmsg(2) with ancillary data: passing files over AF_UNIX sockets (SCM_RIGHTS).

Theory of operation
-------------------
sendmsg parses the control messages before anything is sent (net/core/scm.c
__scm_send): a unix socket ignores every level but SOL_SOCKET; SCM_RIGHTS
takes ``len // 4`` fd numbers (none is no file, so a message of fewer than 4
bytes carries nothing), more than SCM_MAX_FD = 253 in one message or in all
of them together is EINVAL, and an fd that is not open EBADF (scm_fp_copy);
any other SOL_SOCKET type is EINVAL. Each file passed gets a reference
(``OpenFile.get``) that travels with the data (files/unix_stream.py and
unix_dgram.py keep it on the buffer): the receiver's new fd shares the open
file description with the sender's, so closing the sender's fd does not
close the file, and an epoll interest on it keeps firing (the dup gotcha,
across processes). A stream sendmsg of no bytes queues no buffer, so its
files are dropped; a datagram of no bytes carries them.

recvmsg detaches them (scm_detach_fds): as many as the control buffer holds,
``(controllen - 16) // 4`` (none without a buffer or with 16 bytes or fewer),
each installed at the lowest free number (O_CLOEXEC with MSG_CMSG_CLOEXEC);
the rest are closed and the call reports MSG_CTRUNC, as it does when an fd
cannot be installed (EMFILE ends the installing). The control message's
length is CMSG_LEN(4 * installed).

Sockets that are not AF_UNIX: SCM_RIGHTS is EINVAL (sock_cmsg_send knows no
such type); other ancillary data is ``Unsupported``. In-flight files are
released when the buffer carrying them is freed (read, or the receiving
socket closed); there is no unix_gc, so a socket sent over itself (or a
cycle of such) stays until the process ends (docs/differences.md).
"""
from __future__ import annotations

from errno import EBADF, EINVAL, EMSGSIZE, ENOTSOCK, EOPNOTSUPP
from typing import Any, cast

from ..abi.socket import (
    MSG_CMSG_CLOEXEC,
    MSG_CTRUNC,
    MSG_DONTWAIT,
    MSG_NOSIGNAL,
    MSG_PEEK,
    MSG_TRUNC,
    SO_PASSCRED,
    SO_PEERCRED,
    SOL_SOCKET,
)
from ..errors import Unsupported, oserror
from ..files.blocking import WouldBlock
from ..files.unix_dgram import UnixDgramSocket
from ..files.unix_stream import UnixStreamSocket
from ..vfs.file import OpenFile
from .sockopts import shaped
from .udp import UdpCalls

SCM_RIGHTS = 1  # include/linux/socket.h
SCM_CREDENTIALS = 2
SCM_MAX_FD = 253  # include/net/scm.h
UIO_MAXIOV = 1024  # include/uapi/linux/uio.h
MSG_CMSG_COMPAT = 0x80000000  # the sign bit of a C int flags argument
_INET_LEVELS = (SOL_SOCKET, 0, 41)  # SOL_SOCKET, SOL_IP, SOL_IPV6
CMSGHDR_SIZE = 16  # sizeof(struct cmsghdr) on 64-bit: cmsg_len is a size_t
_SEND_FLAGS = MSG_DONTWAIT | MSG_NOSIGNAL
_RECV_FLAGS = MSG_DONTWAIT | MSG_PEEK | MSG_TRUNC

Cmsg = tuple[int, int, bytes]  # (cmsg_level, cmsg_type, data)


def cmsg_len(n: int) -> int:
    """CMSG_LEN: the header, then ``n`` bytes of data."""
    return CMSGHDR_SIZE + n


def cmsg_space(n: int) -> int:
    """CMSG_SPACE: CMSG_LEN with the data padded to the next 8 bytes (CMSG_ALIGN)."""
    return CMSGHDR_SIZE + (n + 7) // 8 * 8


class ScmCalls(UdpCalls):
    __slots__ = ()

    def _scm_fds(self, cmsgs: list[Cmsg]) -> list[OpenFile]:
        """__scm_send for a unix socket: the files named by SCM_RIGHTS, a reference each."""
        numbers: list[int] = []
        for level, type, data in cmsgs:
            if level != SOL_SOCKET:
                continue
            if type == SCM_CREDENTIALS:
                self._check_creds(data)
                continue
            if type != SCM_RIGHTS:
                raise oserror(EINVAL)
            num = len(data) // 4
            if num <= 0:
                continue
            if num > SCM_MAX_FD or len(numbers) + num > SCM_MAX_FD:
                raise oserror(EINVAL)
            numbers.extend(int.from_bytes(data[i * 4 : i * 4 + 4], "little", signed=True) for i in range(num))
        files = []
        for n in numbers:  # scm_fp_copy: fget each (EBADF), before any is kept
            file = self.files.get(n)
            if file is None:
                raise oserror(EBADF)
            files.append(file)
        return [file.get() for file in files]

    def _creds(self) -> bytes:
        """struct ucred of this process: pid, uid, gid."""
        proc = self.proc
        return b"".join(n.to_bytes(4, "little", signed=True) for n in (proc.pid, proc.uid, proc.gid))

    def _check_creds(self, data: bytes) -> None:
        """__scm_send's SCM_CREDENTIALS: exactly a struct ucred (else EINVAL), then scm_check_creds.
        The process is root (it may name any credentials); only its own are modelled."""
        if len(data) != 12:
            raise oserror(EINVAL)
        if data != self._creds():
            raise Unsupported("SCM_CREDENTIALS naming another process's credentials is not modelled")

    def sendmsg(self, fd: int, data: bytes, cmsgs: list[Cmsg], flags: int = 0, addr: Any = None,
                iovcnt: int = 1) -> int:
        """sendmsg(2) of ``iovcnt`` buffers (gathered in ``data``) with control messages."""
        if flags & MSG_CMSG_COMPAT:
            raise oserror(EINVAL)  # __sys_sendmsg: forbid_cmsg_compat, before the fd
        file = self.fget(fd)
        if iovcnt > UIO_MAXIOV:
            raise oserror(EMSGSIZE)  # import_iovec (lib/iov_iter.c), before the message is looked at
        if not cmsgs:
            return self.sendto(fd, data, flags, addr)
        if not isinstance(file, (UnixStreamSocket, UnixDgramSocket)):
            if file.kind != "socket":
                raise oserror(ENOTSOCK)
            for level, type, _ in cmsgs:
                # __sock_cmsg_send: SCM_RIGHTS and SCM_CREDENTIALS "are semantically in SOL_UNIX":
                # an inet socket passes over them, and over levels other than its own (ip_cmsg_send).
                if level == SOL_SOCKET and type in (SCM_RIGHTS, SCM_CREDENTIALS) or level not in _INET_LEVELS:
                    continue
                raise Unsupported(f"sendmsg ancillary data {level}/{type} on an inet socket is not modelled")
            return self.sendto(fd, data, flags, addr)
        if flags & ~_SEND_FLAGS:
            raise Unsupported(f"send flags {flags:#x} are not modelled")
        fds = self._scm_fds(cmsgs)
        if not fds:
            return self.sendto(fd, data, flags, addr)
        try:
            if isinstance(file, UnixDgramSocket):
                sent = self._unix_dgram_sendmsg(fd, file, bytes(data), flags, addr, fds)
            else:
                sent = self._unix_stream_sendmsg(fd, file, data, flags, fds)
        except BaseException:
            for f in fds:
                f.put()
            raise
        return sent

    def _unix_dgram_sendmsg(self, fd: int, sock: UnixDgramSocket, data: bytes, flags: int, addr: Any,
                            fds: list[OpenFile]) -> int:
        path = None if addr is None else bytes(addr)
        if path == b"":
            raise oserror(EINVAL)
        if path is not None and sock.names is None:
            raise Unsupported("this process has no network stack (no AF_UNIX names)")
        if self.hb.on:
            self.hb.release(sock)
        try:
            return sock.sendto(data, flags, path, fds)
        except WouldBlock as blocked:
            return int(self.retry(f"sendmsg({fd})", lambda: sock.sendto(data, flags, path, fds), blocked, sock))

    def _unix_stream_sendmsg(self, fd: int, sock: UnixStreamSocket, data: bytes, flags: int,
                             fds: list[OpenFile]) -> int:
        if self.hb.on:
            self.hb.release(sock.sync_tx())
        try:
            sent = sock.send(data, flags, fds)
        except WouldBlock as blocked:
            sent = self.retry(f"sendmsg({fd})", lambda: sock.send(data, flags, fds), blocked, sock)
        if not sent:  # no buffer was queued: nothing carries the files
            for f in fds:
                f.put()
            return 0
        if sent == len(data) or flags & MSG_DONTWAIT or sock.nonblocking:
            return sent
        return self.finish_write(f"sendmsg({fd})", lambda rest: sock.send(rest, flags), data, sent, sock)

    def recvmsg_anc(self, fd: int, bufsize: int, ancbufsize: int, flags: int = 0, iovcnt: int = 1
                    ) -> tuple[bytes, int, int, Any, list[Cmsg]]:
        """recvmsg(2) into ``iovcnt`` buffers of ``bufsize`` bytes in all, with a control buffer of
        ``ancbufsize`` bytes: (data, return value, msg_flags, source address or None, control
        messages)."""
        if flags & MSG_CMSG_COMPAT:
            raise oserror(EINVAL)  # __sys_recvmsg: forbid_cmsg_compat, before the fd
        file = self.fget(fd)
        if iovcnt > UIO_MAXIOV:
            raise oserror(EMSGSIZE)
        # ____sys_recvmsg starts msg_flags with the caller's MSG_CMSG_CLOEXEC.
        cloexec_flag = flags & MSG_CMSG_CLOEXEC
        if not isinstance(file, (UnixStreamSocket, UnixDgramSocket)):
            data, ret, msg_flags, addr = self.recvmsg(fd, bufsize, flags & ~MSG_CMSG_CLOEXEC)
            return data, ret, msg_flags | cloexec_flag, addr, []
        cloexec = bool(flags & MSG_CMSG_CLOEXEC)
        flags &= ~MSG_CMSG_CLOEXEC
        if flags & ~_RECV_FLAGS:
            raise Unsupported(f"recv flags {flags:#x} are not modelled")
        scm: list[OpenFile] = []
        # Whether a buffer was read (not end of file): the credentials come from it. (The queue
        # is looked at in the same step as the read that succeeds.)
        read_one = [False]
        if isinstance(file, UnixDgramSocket):
            dsock = file

            def dgram() -> tuple[bytes, int, int, Any]:
                read_one[0] = bool(dsock.receive_queue)
                return dsock.recvfrom(bufsize, flags, scm)

            data, ret, msg_flags, addr = self.retry(f"recvmsg({fd})", dgram, file=dsock)
            if self.hb.on:
                self.hb.acquire(dsock.sync_rx())
        else:
            ssock = file
            if flags & MSG_TRUNC:
                flags &= ~MSG_TRUNC  # a stream ignores it

            sender: list[Any] = [None]

            def stream() -> bytes:
                queue = ssock.receive_queue
                read_one[0] = bool(queue)
                if queue:  # unix_stream_read_generic: the sending socket's name as it is now, once
                    sender[0] = queue[0].sender.name
                return ssock.recv(bufsize, flags, scm)

            data = self.retry(f"recvmsg({fd})", stream, file=ssock)
            ret, msg_flags, addr = len(data), 0, sender[0]
            if self.hb.on:
                self.hb.acquire(ssock.sync_rx())
        cmsgs: list[Cmsg] = []
        msg_flags |= cloexec_flag
        passcred = file.passcred
        if passcred and not read_one[0] and isinstance(file, UnixDgramSocket):
            passcred = False  # unix_dgram_recvmsg: no buffer, no scm_recv
        if passcred or scm:
            # A stream read that found no buffer still reports the (zeroed) credentials it has.
            creds = self._creds() if read_one[0] else bytes(12)
            msg_flags |= self._scm_recv(passcred, scm, ancbufsize, cloexec, cmsgs, creds)
        return data, ret, msg_flags, addr, cmsgs

    def _scm_recv(self, passcred: bool, scm: list[OpenFile], controllen: int, cloexec: bool,
                  cmsgs: list[Cmsg], creds: bytes) -> int:
        """scm_recv: no control buffer drops everything (MSG_CTRUNC); else the credentials first
        (put_cmsg: cut to the room there is, MSG_CTRUNC), then the files."""
        if not controllen:
            for f in scm:
                f.put()
            return MSG_CTRUNC
        flags = 0
        if passcred:
            if controllen < CMSGHDR_SIZE:
                flags = MSG_CTRUNC
            else:
                room = min(cmsg_len(12), controllen)
                if room < cmsg_len(12):
                    flags = MSG_CTRUNC
                cmsgs.append((SOL_SOCKET, SCM_CREDENTIALS, creds[: room - CMSGHDR_SIZE]))
                controllen -= min(cmsg_space(12), controllen)
        if scm:
            flags |= self._detach_fds(scm, controllen, cloexec, cmsgs)
        return flags

    def _detach_fds(self, scm: list[OpenFile], controllen: int, cloexec: bool, cmsgs: list[Cmsg]) -> int:
        """scm_detach_fds: install what fits, drop the rest; MSG_CTRUNC if any was dropped."""
        fdmax = (controllen - CMSGHDR_SIZE) // 4 if controllen > CMSGHDR_SIZE else 0
        numbers: list[int] = []
        failed = False
        for i, file in enumerate(scm):
            if i < fdmax and not failed:
                try:
                    numbers.append(self.proc.fdtable.install(file, cloexec))
                except OSError:  # EMFILE: receive_fd fails, the loop ends
                    failed = True
            file.put()
        if numbers:
            cmsgs.append((SOL_SOCKET, SCM_RIGHTS, b"".join(n.to_bytes(4, "little", signed=True) for n in numbers)))
        return MSG_CTRUNC if len(numbers) < len(scm) else 0

    # -- SO_PASSCRED and SO_PEERCRED (sk_setsockopt, sk_getsockopt) ---------------------

    def setsockopt(self, fd: int, level: int, optname: int, value: int | bytes) -> None:
        file = self.fget(fd)
        if level == SOL_SOCKET and optname == SO_PASSCRED and file.kind == "socket":
            if not isinstance(file, (UnixStreamSocket, UnixDgramSocket)):
                raise oserror(EOPNOTSUPP)  # sk_setsockopt: sk_may_scm_recv (unix and netlink only)
            if isinstance(value, bytes):
                if len(value) < 4:
                    raise oserror(EINVAL)
                value = int.from_bytes(value[:4], "little", signed=True)
            file.passcred = bool(value)
            return None
        return super().setsockopt(fd, level, optname, value)

    def getsockopt(self, fd: int, level: int, optname: int, optlen: int | None = None) -> Any:
        file = self.fget(fd)
        if level == SOL_SOCKET and file.kind == "socket":
            unix = isinstance(file, (UnixStreamSocket, UnixDgramSocket))
            if optname == SO_PEERCRED:
                # cred_to_ucred: pid 0 and uid, gid -1 where no peer credentials were set.
                if isinstance(file, UnixDgramSocket) and file.peercred or \
                        isinstance(file, UnixStreamSocket) and file.has_peercred():
                    return shaped(self._creds(), level, optlen)
                return shaped((0).to_bytes(4, "little") + b"\xff" * 8, level, optlen)
            if optname == SO_PASSCRED:
                if not unix:
                    raise oserror(EOPNOTSUPP)  # sk_getsockopt: sk_may_scm_recv
                return shaped(int(cast("UnixStreamSocket | UnixDgramSocket", file).passcred), level, optlen)
        return super().getsockopt(fd, level, optname, optlen)
