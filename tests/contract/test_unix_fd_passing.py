"""Passing files over AF_UNIX sockets (SCM_RIGHTS), on both backends: send_fds/recv_fds,
sendmsg/recvmsg with ancillary data, MSG_CTRUNC, buffer boundaries, the shared description,
and CPython's argument checks (net/core/scm.c __scm_send, scm_detach_fds; net/unix/af_unix.c
unix_stream_read_generic; Modules/socketmodule.c sock_sendmsg)."""
from __future__ import annotations

import array
import errno
import itertools
import os
from typing import Any

import pytest

from epollsim.testing.backends import Backend

_names = itertools.count()


def rights(backend: Backend, *fds: int) -> list[tuple[int, int, bytes]]:
    s = backend.socket
    return [(s.SOL_SOCKET, s.SCM_RIGHTS, array.array("i", fds).tobytes())]


def received(ancdata: list[Any]) -> list[int]:
    fds = array.array("i")
    for level, type, data in ancdata:
        assert (level, type) == (1, 1)
        fds.frombytes(data)
    return list(fds)


def open_fds(backend: Backend, fds: list[int]) -> list[bool]:
    out = []
    for fd in fds:
        try:
            backend.os.fstat(fd)
            out.append(True)
        except OSError as exc:
            assert exc.errno == errno.EBADF
            out.append(False)
    return out


def close_all(backend: Backend, fds: list[int]) -> None:
    for fd in fds:
        backend.os.close(fd)


def test_send_fds_and_recv_fds_share_the_pipe(backend: Backend) -> None:
    s, o = backend.socket, backend.os
    a, b = s.socketpair()
    r, w = o.pipe()
    assert s.send_fds(a, [b"hi"], [r, w]) == 2
    msg, fds, flags, addr = s.recv_fds(b, 10, 4)
    assert (msg, len(fds), flags, addr) == (b"hi", 2, 0, None)
    o.close(r)
    o.close(w)
    o.write(fds[1], b"through")  # the received fds are the same pipe
    assert o.read(fds[0], 100) == b"through"
    close_all(backend, fds)


def test_received_fds_take_the_lowest_free_numbers(backend: Backend) -> None:
    s, o = backend.socket, backend.os
    a, b = s.socketpair()
    r, w = o.pipe()
    hole = o.dup(r)
    o.close(hole)
    s.send_fds(a, [b"x"], [w])
    _, fds, _, _ = s.recv_fds(b, 10, 1)
    assert fds == [hole]
    close_all(backend, [r, w, hole])


def test_a_stream_read_stops_after_the_buffer_with_files(backend: Backend) -> None:
    s, o = backend.socket, backend.os
    a, b = s.socketpair()
    r, w = o.pipe()
    a.send(b"ab")
    s.send_fds(a, [b"cd"], [r])
    a.send(b"ef")
    data, anc, flags, _ = b.recvmsg(100, s.CMSG_LEN(16))
    assert (data, len(received(anc)), flags) == (b"abcd", 1, 0)
    assert b.recvmsg(100, s.CMSG_LEN(16)) == (b"ef", [], 0, None)
    close_all(backend, [r, w] + received(anc))


def test_two_buffers_with_files_are_two_reads(backend: Backend) -> None:
    s, o = backend.socket, backend.os
    a, b = s.socketpair()
    r, w = o.pipe()
    s.send_fds(a, [b"x"], [r])
    s.send_fds(a, [b"y"], [w])
    first = s.recv_fds(b, 100, 4)
    second = s.recv_fds(b, 100, 4)
    assert (first[0], len(first[1]), second[0], len(second[1])) == (b"x", 1, b"y", 1)
    close_all(backend, [r, w] + first[1] + second[1])


def test_no_control_buffer_drops_the_files_with_msg_ctrunc(backend: Backend) -> None:
    s, o = backend.socket, backend.os
    a, b = s.socketpair()
    r, w = o.pipe()
    s.send_fds(a, [b"x"], [w])
    o.close(w)
    assert b.recvmsg(100) == (b"x", [], s.MSG_CTRUNC, None)
    assert o.read(r, 10) == b""  # the last writer went with the dropped file
    o.close(r)


def test_a_plain_recv_drops_the_files(backend: Backend) -> None:
    s, o = backend.socket, backend.os
    a, b = s.socketpair()
    r, w = o.pipe()
    s.send_fds(a, [b"xy"], [w])
    o.close(w)
    assert b.recv(1) == b"x"
    assert b.recv(10) == b"y"
    assert o.read(r, 10) == b""
    o.close(r)


def test_a_read_of_no_bytes_takes_the_files(backend: Backend) -> None:
    """unix_stream_read_generic's loop runs once for size 0: the first buffer's files are detached
    (here into a control buffer too small for one: MSG_CTRUNC, the file dropped); the bytes stay."""
    s, o = backend.socket, backend.os
    a, b = s.socketpair()
    r, w = o.pipe()
    s.send_fds(a, [b"xy"], [w])
    o.close(w)
    assert b.recvmsg(0, s.CMSG_LEN(0)) == (b"", [], s.MSG_CTRUNC, None)
    assert o.read(r, 10) == b""  # the last writer went with the dropped file
    assert s.recv_fds(b, 10, 1) == (b"xy", [], 0, None)
    s.send_fds(a, [b"z"], [r])
    assert b.recv(0) == b""  # CPython's sock_recv makes no call for 0 bytes: the files stay
    data, anc, flags, _ = b.recvmsg(10, s.CMSG_LEN(4))
    assert (data, len(received(anc)), flags) == (b"z", 1, 0)
    close_all(backend, [r] + received(anc))


@pytest.mark.parametrize("ancbufsize", [0, 16])
def test_a_stream_recvmsg_names_the_sender_as_it_is_when_read(backend: Backend, ancbufsize: int) -> None:
    """unix_stream_read_generic copies the sending socket's name with the first buffer read (one
    named after it sent counts), and for a read of 0 bytes too."""
    s = backend.socket
    a, b = s.socketpair()
    a.send(b"xy")
    name = f"\0epollsim-sender-{os.getpid()}-{next(_names)}".encode()  # abstract names read back as bytes
    a.bind(name)
    assert b.recvmsg(1, ancbufsize) == (b"x", [], 0, name)
    assert b.recvmsg(0, ancbufsize) == (b"", [], 0, name)
    assert s.recv_fds(b, 10, 1) == (b"y", [], 0, name)
    a.send(b"z")
    assert b.recvfrom(0) == (b"", name)  # recvfrom too
    assert b.recvfrom(10) == (b"z", name)
    a.close()
    assert b.recvfrom(0) == (b"", None)  # end of file
    assert b.recvmsg(10, ancbufsize) == (b"", [], 0, None)  # end of file: no buffer, no name
    b.close()


def test_a_short_control_buffer_keeps_what_fits_and_sets_msg_ctrunc(backend: Backend) -> None:
    s, o = backend.socket, backend.os
    a, b = s.socketpair()
    r, w = o.pipe()
    s.send_fds(a, [b"x"], [r, w, r])
    data, anc, flags, _ = b.recvmsg(100, s.CMSG_LEN(4))
    fds = received(anc)
    assert (data, len(fds), flags) == (b"x", 1, s.MSG_CTRUNC)
    s.send_fds(a, [b"y"], [r])
    assert s.recv_fds(b, 10, 0)[1:3] == ([], s.MSG_CTRUNC)  # CMSG_LEN(0): no room for one
    close_all(backend, [r, w] + fds)


def test_a_partial_read_takes_the_files_with_the_first_bytes(backend: Backend) -> None:
    s, o = backend.socket, backend.os
    a, b = s.socketpair()
    r, w = o.pipe()
    s.send_fds(a, [b"xyz"], [r])
    first = b.recvmsg(1, s.CMSG_LEN(4))
    assert (first[0], len(received(first[1]))) == (b"x", 1)
    assert b.recvmsg(10, s.CMSG_LEN(4)) == (b"yz", [], 0, None)
    close_all(backend, [r, w] + received(first[1]))


def test_msg_cmsg_cloexec_marks_the_new_fds(backend: Backend) -> None:
    s, o = backend.socket, backend.os
    a, b = s.socketpair()
    r, w = o.pipe()
    s.send_fds(a, [b"x"], [r])
    s.send_fds(a, [b"y"], [r])
    plain = received(b.recvmsg(10, s.CMSG_LEN(4))[1])
    closing = received(b.recvmsg(10, s.CMSG_LEN(4), s.MSG_CMSG_CLOEXEC)[1])
    assert o.get_inheritable(plain[0]) is True
    assert o.get_inheritable(closing[0]) is False
    close_all(backend, [r, w] + plain + closing)


def test_peek_leaves_the_files_queued(backend: Backend) -> None:
    s, o = backend.socket, backend.os
    a, b = s.socketpair()
    r, w = o.pipe()
    s.send_fds(a, [b"x"], [r])
    peeked = b.recvmsg(10, s.CMSG_LEN(4), s.MSG_PEEK)
    taken = b.recvmsg(10, s.CMSG_LEN(4))
    assert (peeked[0], len(received(peeked[1])), taken[0], len(received(taken[1]))) == (b"x", 1, b"x", 1)
    assert received(peeked[1]) != received(taken[1])
    close_all(backend, [r, w] + received(peeked[1]) + received(taken[1]))


def test_datagrams_carry_files_even_with_no_bytes(backend: Backend) -> None:
    s, o = backend.socket, backend.os
    a, b = s.socketpair(s.AF_UNIX, s.SOCK_DGRAM)
    r, w = o.pipe()
    assert a.sendmsg([], rights(backend, w)) == 0
    data, anc, flags, _ = b.recvmsg(10, s.CMSG_SPACE(4))
    fds = received(anc)
    assert (data, len(fds), flags) == (b"", 1, 0)
    o.write(fds[0], b"q")
    assert o.read(r, 1) == b"q"
    close_all(backend, [r, w] + fds)


def test_datagram_to_a_name_with_files(backend: Backend) -> None:
    s, o = backend.socket, backend.os
    name = f"\0epollsim-fdpass-{os.getpid()}-{next(_names)}".encode()
    server = s.socket(s.AF_UNIX, s.SOCK_DGRAM)
    server.bind(name)
    client = s.socket(s.AF_UNIX, s.SOCK_DGRAM)
    r, w = o.pipe()
    assert client.sendmsg([b"ab", b"c"], rights(backend, r), 0, name) == 3
    data, anc, flags, addr = server.recvmsg(10, s.CMSG_SPACE(4))
    assert (data, len(received(anc)), flags, addr) == (b"abc", 1, 0, None)
    close_all(backend, [r, w] + received(anc))


def test_a_stream_sendmsg_of_no_bytes_sends_no_files(backend: Backend) -> None:
    s, o = backend.socket, backend.os
    a, b = s.socketpair()
    r, w = o.pipe()
    assert a.sendmsg([], rights(backend, r)) == 0
    a.send(b"q")
    assert b.recvmsg(10, 100) == (b"q", [], 0, None)
    close_all(backend, [r, w])


def test_closing_the_receiver_releases_files_in_flight(backend: Backend) -> None:
    s, o = backend.socket, backend.os
    a, b = s.socketpair()
    r, w = o.pipe()
    s.send_fds(a, [b"x"], [w])
    o.close(w)
    b.close()
    assert o.read(r, 10) == b""  # the writer in flight went with b's queue
    o.close(r)


def test_epoll_interest_on_a_passed_file_survives_the_senders_close(backend: Backend) -> None:
    s, o = backend.socket, backend.os
    a, b = s.socketpair()
    r, w = o.pipe()
    ep = backend.select.epoll()
    ep.register(r, backend.select.EPOLLIN)
    s.send_fds(a, [b"x"], [r, w])
    _, fds, _, _ = s.recv_fds(b, 10, 2)
    o.close(r)  # the description lives on in the receiver's fd: the interest stays
    o.write(fds[1], b"z")
    assert [mask for _, mask in ep.poll(0)] == [backend.select.EPOLLIN]
    ep.close()
    close_all(backend, [w] + fds)


@pytest.mark.parametrize("count, code", [(253, 0), (254, errno.EINVAL)])
def test_scm_max_fd_is_253(backend: Backend, count: int, code: int) -> None:
    s, o = backend.socket, backend.os
    a, b = s.socketpair()
    r, w = o.pipe()
    if code:
        with pytest.raises(OSError) as info:
            s.send_fds(a, [b"x"], [r] * count)
        assert info.value.errno == code
        close_all(backend, [r, w])
        return
    assert s.send_fds(a, [b"x"], [r] * count) == 1
    data, anc, flags, _ = b.recvmsg(10, s.CMSG_LEN(4 * 300))
    fds = received(anc)
    assert (data, len(fds), flags) == (b"x", 253, 0)
    close_all(backend, [r, w] + fds)


def test_ancillary_errors_from_the_kernel(backend: Backend) -> None:
    s, o = backend.socket, backend.os
    a, b = s.socketpair()
    r, w = o.pipe()
    o.close(w)
    with pytest.raises(OSError) as info:
        s.send_fds(a, [b"x"], [w])
    assert info.value.errno == errno.EBADF
    with pytest.raises(OSError) as info:
        a.sendmsg([b"x"], [(s.SOL_SOCKET, 99, b"")])
    assert info.value.errno == errno.EINVAL
    assert a.sendmsg([b"x"], [(s.SOL_SOCKET, s.SCM_RIGHTS, b"\0\0")]) == 1  # fewer than 4 bytes: no file
    assert a.sendmsg([b"y"], [(7, 99, b"")]) == 1  # a unix socket ignores other levels
    assert b.recvmsg(10, 100) == (b"xy", [], 0, None)
    with pytest.raises(OSError) as info:
        a.sendmsg([b"x"] * 1025)
    assert info.value.errno == errno.EMSGSIZE
    o.close(r)


@pytest.mark.parametrize("ancdata, message", [
    ([1], "[sendmsg() ancillary data items]() argument must be 3-item sequence, not int"),
    ([(1, 2)], "[sendmsg() ancillary data items]() argument must be sequence of length 3, not 2"),
    ([(1, 2, 3)], "a bytes-like object is required, not 'int'"),
    ([("a", 2, b"")], "'str' object cannot be interpreted as an integer"),
    (5, "sendmsg() argument 2 must be an iterable"),
])
def test_malformed_ancillary_items_are_type_errors_before_any_send(backend: Backend, ancdata: Any,
                                                                   message: str) -> None:
    a, b = backend.socket.socketpair()
    b.setblocking(False)
    with pytest.raises(TypeError) as info:
        a.sendmsg([b"x"], ancdata)
    assert str(info.value) == message
    with pytest.raises(BlockingIOError):
        b.recv(10)


def test_recvmsg_argument_checks(backend: Backend) -> None:
    a, b = backend.socket.socketpair()
    with pytest.raises(ValueError, match="invalid ancillary data buffer length"):
        b.recvmsg(10, -1)
    with pytest.raises(ValueError, match=r"negative buffer size in recvmsg\(\)"):
        b.recvmsg(-1)
    with pytest.raises(TypeError, match="sendmsg\\(\\) argument 1 must be an iterable"):
        a.sendmsg(5)


def test_recvmsg_into_a_read_only_buffer_reads_nothing(backend: Backend) -> None:
    a, b = backend.socket.socketpair()
    a.send(b"kept")
    with pytest.raises(TypeError) as info:
        b.recvmsg_into([bytearray(2), b"ro"])
    assert str(info.value) == "recvmsg_into() argument 1 must be an iterable of single-segment read-write buffers"
    bufs = [bytearray(2), bytearray(5)]
    assert b.recvmsg_into(bufs) == (4, [], 0, None)
    assert bufs == [bytearray(b"ke"), bytearray(b"pt\0\0\0")]


@pytest.mark.parametrize("call, arg, expect", [
    ("CMSG_LEN", 0, 16), ("CMSG_LEN", 4, 20), ("CMSG_SPACE", 0, 16), ("CMSG_SPACE", 4, 24),
    ("CMSG_SPACE", 9, 32), ("CMSG_LEN", 2**31 - 17, 2**31 - 1), ("CMSG_SPACE", 2**31 - 25, 2**31 - 8),
    ("CMSG_LEN", -1, "CMSG_LEN() argument out of range"),
    ("CMSG_LEN", 2**31 - 16, "CMSG_LEN() argument out of range"),
    ("CMSG_SPACE", 2**31 - 24, "CMSG_SPACE() argument out of range"),
    ("CMSG_LEN", 2**63, "Python int too large to convert to C ssize_t"),
])
def test_cmsg_len_and_space_are_arithmetic(backend: Backend, call: str, arg: int, expect: Any) -> None:
    fn = getattr(backend.socket, call)
    if isinstance(expect, int):
        assert fn(arg) == expect
        return
    with pytest.raises(OverflowError) as info:
        fn(arg)
    assert str(info.value) == expect


def test_scm_rights_on_an_inet_datagram_socket_is_ignored(backend: Backend) -> None:
    s, o = backend.socket, backend.os
    rx = s.socket(s.AF_INET, s.SOCK_DGRAM)
    rx.bind(("127.0.0.1", 0))
    tx = s.socket(s.AF_INET, s.SOCK_DGRAM)
    r, w = o.pipe()
    assert tx.sendmsg([b"x"], rights(backend, r), 0, rx.getsockname()) == 1
    assert rx.recvmsg(10, 100)[:3] == (b"x", [], 0)
    close_all(backend, [r, w])


def ucred(backend: Backend) -> bytes:
    o = backend.os
    return array.array("i", [o.getpid(), o.getuid(), o.getgid()]).tobytes()


def peercred(backend: Backend, sock: Any) -> bytes:
    s = backend.socket
    return sock.getsockopt(s.SOL_SOCKET, s.SO_PEERCRED, 12)  # type: ignore[no-any-return]


def test_so_peercred_is_the_process_for_pairs_listeners_and_connections(backend: Backend) -> None:
    s, o = backend.socket, backend.os
    nobody = array.array("i", [0, -1, -1]).tobytes()
    a, _ = s.socketpair()
    da, _ = s.socketpair(s.AF_UNIX, s.SOCK_DGRAM)
    assert peercred(backend, a) == peercred(backend, da) == ucred(backend)
    assert a.getsockopt(s.SOL_SOCKET, s.SO_PEERCRED) == o.getpid()  # an int: the first 4 bytes
    listener = s.socket(s.AF_UNIX)
    assert peercred(backend, listener) == nobody
    name = f"\0epollsim-cred-{os.getpid()}-{next(_names)}".encode()
    listener.bind(name)
    assert peercred(backend, listener) == nobody
    listener.listen()
    assert peercred(backend, listener) == ucred(backend)
    client = s.socket(s.AF_UNIX)
    client.connect(name)
    server, _ = listener.accept()
    assert peercred(backend, client) == peercred(backend, server) == ucred(backend)
    dgram = s.socket(s.AF_UNIX, s.SOCK_DGRAM)
    assert peercred(backend, dgram) == nobody
    tcp = s.socket()
    assert peercred(backend, tcp) == nobody


def test_so_passcred_adds_scm_credentials_before_the_files(backend: Backend) -> None:
    s, o = backend.socket, backend.os
    a, b = s.socketpair()
    assert b.getsockopt(s.SOL_SOCKET, s.SO_PASSCRED) == 0
    b.setsockopt(s.SOL_SOCKET, s.SO_PASSCRED, 1)
    assert b.getsockopt(s.SOL_SOCKET, s.SO_PASSCRED) == 1
    r, w = o.pipe()
    a.send(b"x")
    assert b.recvmsg(10, 100) == (b"x", [(s.SOL_SOCKET, s.SCM_CREDENTIALS, ucred(backend))], 0, None)
    s.send_fds(a, [b"y"], [r])
    data, anc, flags, _ = b.recvmsg(10, 100)
    assert (data, anc[0], [t for _, t, _ in anc], flags) == (
        b"y", (s.SOL_SOCKET, s.SCM_CREDENTIALS, ucred(backend)), [s.SCM_CREDENTIALS, s.SCM_RIGHTS], 0)
    fd = received(anc[1:])
    a.send(b"z")
    assert b.recvmsg(10) == (b"z", [], s.MSG_CTRUNC, None)
    a.send(b"z")
    assert b.recvmsg(10, 20) == (b"z", [(s.SOL_SOCKET, s.SCM_CREDENTIALS, ucred(backend)[:4])], s.MSG_CTRUNC, None)
    s.send_fds(a, [b"y"], [r])
    assert b.recvmsg(10, s.CMSG_SPACE(12)) == (b"y", [(s.SOL_SOCKET, s.SCM_CREDENTIALS, ucred(backend))],
                                               s.MSG_CTRUNC, None)
    assert a.getsockname() == b.getsockname() == ""  # a stream pair end does not autobind
    close_all(backend, [r, w] + fd)


def test_scm_credentials_on_send(backend: Backend) -> None:
    s = backend.socket
    a, b = s.socketpair(s.AF_UNIX, s.SOCK_DGRAM)
    b.setsockopt(s.SOL_SOCKET, s.SO_PASSCRED, 1)
    assert a.sendmsg([b"c"], [(s.SOL_SOCKET, s.SCM_CREDENTIALS, ucred(backend))]) == 1
    assert b.recvmsg(10, 100) == (b"c", [(s.SOL_SOCKET, s.SCM_CREDENTIALS, ucred(backend))], 0, None)
    with pytest.raises(OSError) as info:
        a.sendmsg([b"c"], [(s.SOL_SOCKET, s.SCM_CREDENTIALS, ucred(backend)[:8])])
    assert info.value.errno == errno.EINVAL


def test_a_datagram_sender_with_so_passcred_autobinds(backend: Backend) -> None:
    s = backend.socket
    name = f"\0epollsim-pc-{os.getpid()}-{next(_names)}".encode()
    server = s.socket(s.AF_UNIX, s.SOCK_DGRAM)
    server.bind(name)
    client = s.socket(s.AF_UNIX, s.SOCK_DGRAM)
    client.setsockopt(s.SOL_SOCKET, s.SO_PASSCRED, 1)
    assert client.getsockname() == ""
    client.sendto(b"w", name)
    auto = client.getsockname()
    assert len(auto) == 6 and auto[0] == 0
    assert server.recvfrom(10) == (b"w", auto)


def test_a_stream_connect_with_so_passcred_autobinds(backend: Backend) -> None:
    s = backend.socket
    name = f"\0epollsim-pcs-{os.getpid()}-{next(_names)}".encode()
    listener = s.socket(s.AF_UNIX)
    listener.bind(name)
    listener.listen()
    client = s.socket(s.AF_UNIX)
    client.setsockopt(s.SOL_SOCKET, s.SO_PASSCRED, 1)
    client.connect(name)
    server, addr = listener.accept()
    auto = client.getsockname()
    assert len(auto) == 6 and auto[0] == 0 and addr == auto


def test_msg_flags_keep_msg_cmsg_cloexec_and_the_sign_bit_is_einval(backend: Backend) -> None:
    s = backend.socket
    for family, type in ((s.AF_UNIX, s.SOCK_STREAM), (s.AF_UNIX, s.SOCK_DGRAM)):
        a, b = s.socketpair(family, type)
        a.send(b"x")
        assert b.recvmsg(10, 0, s.MSG_CMSG_CLOEXEC) == (b"x", [], s.MSG_CMSG_CLOEXEC, None)
        for call in (lambda: a.sendmsg([b"x"], [], -1), lambda: b.recvmsg(10, 0, -(2**31))):
            with pytest.raises(OSError) as info:
                call()
            assert info.value.errno == errno.EINVAL
    rx = s.socket(s.AF_INET, s.SOCK_DGRAM)
    rx.bind(("127.0.0.1", 0))
    tx = s.socket(s.AF_INET, s.SOCK_DGRAM)
    tx.sendmsg([b"u"], [(7, 99, b"")], 0, rx.getsockname())  # a level IPv4 does not know: passed over
    assert rx.recvmsg(10, 0, s.MSG_CMSG_CLOEXEC)[:3] == (b"u", [], s.MSG_CMSG_CLOEXEC)


def test_so_passcred_is_eopnotsupp_on_inet_sockets(backend: Backend) -> None:
    s = backend.socket
    for type in (s.SOCK_STREAM, s.SOCK_DGRAM):
        sock = s.socket(s.AF_INET, type)
        for call in (lambda: sock.getsockopt(s.SOL_SOCKET, s.SO_PASSCRED),
                     lambda: sock.setsockopt(s.SOL_SOCKET, s.SO_PASSCRED, 1)):
            with pytest.raises(OSError) as info:
                call()
            assert info.value.errno == errno.EOPNOTSUPP
        sock.close()


def test_end_of_file_with_so_passcred(backend: Backend) -> None:
    s = backend.socket
    a, b = s.socketpair()
    b.setsockopt(s.SOL_SOCKET, s.SO_PASSCRED, 1)
    a.close()  # a stream's read at end of file reports zeroed credentials
    assert b.recvmsg(10, 100) == (b"", [(s.SOL_SOCKET, s.SCM_CREDENTIALS, bytes(12))], 0, None)
    da, db = s.socketpair(s.AF_UNIX, s.SOCK_DGRAM)
    db.setsockopt(s.SOL_SOCKET, s.SO_PASSCRED, 1)
    da.send(b"")  # an empty datagram is a buffer: it carries them
    assert db.recvmsg(10, 100) == (b"", [(s.SOL_SOCKET, s.SCM_CREDENTIALS, ucred(backend))], 0, None)
    db.shutdown(s.SHUT_RD)  # a datagram socket's end of file reports none
    assert db.recvmsg(10, 100) == (b"", [], 0, None)
