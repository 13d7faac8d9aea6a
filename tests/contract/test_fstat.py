"""fstat's st_dev, st_ino and st_rdev on every kind of file (issue 13 item 7).

The device numbers of sockfs, pipefs and anon_inodefs are assigned at boot, so what is compared is
which files share a device or an inode: every eventfd, epoll and timerfd is anon_inodefs' one
inode; both ends of a pipe are one inode of pipefs, each pipe its own; each socket, unix or inet,
is an inode of sockfs; /dev/null is the character device 1:3.
"""
from __future__ import annotations

import os
import stat

from epollsim.testing.backends import Backend


def _ids(backend: Backend, fd: int) -> tuple[int, int, int]:
    st = backend.os.fstat(fd)
    return st.st_dev, st.st_ino, st.st_rdev


def test_dev_null_is_the_character_device_1_3(backend: Backend) -> None:
    a = backend.os.open("/dev/null", os.O_RDONLY)
    b = backend.os.open("/dev/null", os.O_WRONLY)
    st = backend.os.fstat(a)
    assert stat.S_ISCHR(st.st_mode)
    assert st.st_rdev == 259 and (os.major(st.st_rdev), os.minor(st.st_rdev)) == (1, 3)
    assert _ids(backend, a) == _ids(backend, b)  # one inode, however often it is opened
    backend.os.close(a)
    backend.os.close(b)


def test_anonymous_inodes_are_one_inode(backend: Backend) -> None:
    efd = backend.os.eventfd(0)
    efd2 = backend.os.eventfd(1)
    ep = backend.select.epoll()
    tfd = backend.os.timerfd_create(1)  # CLOCK_MONOTONIC
    ids = {_ids(backend, fd) for fd in (efd, efd2, ep.fileno(), tfd)}
    assert len(ids) == 1
    assert ids.pop()[2] == 0
    ep.close()


def test_pipes_and_sockets_have_an_inode_each_on_their_own_device(backend: Backend) -> None:
    r1, w1 = backend.os.pipe()
    r2, w2 = backend.os.pipe()
    a, b = backend.socket.socketpair()
    tcp = backend.socket.socket()
    udp6 = backend.socket.socket(backend.socket.AF_INET6, backend.socket.SOCK_DGRAM)
    anon = _ids(backend, backend.os.eventfd(0))
    p1, p1w, p2 = _ids(backend, r1), _ids(backend, w1), _ids(backend, r2)
    assert p1 == p1w and p1 != p2 and p1[0] == p2[0]  # both ends one inode; each pipe its own
    socks = [_ids(backend, s.fileno()) for s in (a, b, tcp, udp6)]
    assert len({ino for _, ino, _ in socks}) == 4 and len({dev for dev, _, _ in socks}) == 1
    devs = {p1[0], socks[0][0], anon[0]}
    assert len(devs) == 3  # pipefs, sockfs, anon_inodefs
    assert {rdev for _, _, rdev in (p1, p2, *socks)} == {0}
    assert stat.S_ISFIFO(backend.os.fstat(r1).st_mode) and stat.S_ISSOCK(backend.os.fstat(tcp.fileno()).st_mode)
