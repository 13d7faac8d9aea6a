"""Model-only tests of the fd table: EMFILE, and the lowest-free allocator (fs/file.c alloc_fd).

EMFILE cannot be provoked safely on the real process, so these run on the
model alone, with a small RLIMIT_NOFILE. The allocator is checked against a
plain "smallest number not in use" reference under random operation mixes.
"""
from __future__ import annotations

import errno

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from epollsim import Kernel
from epollsim.files.null import NullDevice
from epollsim.vfs.fdtable import FdTable

NOFILE = 8  # 0, 1, 2 are the standard streams: five numbers are left


def _kernel(nofile: int = NOFILE) -> Kernel:
    return Kernel(nofile=nofile)


def _emfile(thunk) -> OSError:  # type: ignore[no-untyped-def]
    with pytest.raises(OSError) as info:
        thunk()
    assert info.value.errno == errno.EMFILE
    assert info.value.strerror == "Too many open files"
    return info.value


def _open_fds(k: Kernel) -> list[int]:
    return sorted(k.process.fdtable.files)


def test_standard_streams_take_0_1_2() -> None:
    k = _kernel()
    assert _open_fds(k) == [0, 1, 2]
    assert k.os.eventfd(0) == 3


def test_every_creating_call_is_emfile_when_the_table_is_full() -> None:
    k = _kernel()
    os = k.os
    for _ in range(NOFILE - 3):
        os.eventfd(0)
    assert _open_fds(k) == list(range(NOFILE))
    _emfile(lambda: os.eventfd(0))
    _emfile(lambda: os.pipe())
    _emfile(lambda: os.dup(3))
    _emfile(lambda: k.select.epoll())
    _emfile(lambda: k.socket.socketpair())
    _emfile(lambda: os.open("/dev/null", os.O_RDWR))
    _emfile(lambda: k.fcntl.fcntl(3, k.fcntl.F_DUPFD, 0))
    _emfile(lambda: k.fcntl.fcntl(3, k.fcntl.F_DUPFD_CLOEXEC, 5))
    _emfile(lambda: k.sys.eventfd2(0, 0))
    assert _open_fds(k) == list(range(NOFILE))


def test_pipe_with_one_free_number_is_emfile_and_leaves_it_free() -> None:
    k = _kernel()
    os = k.os
    for _ in range(NOFILE - 4):
        os.eventfd(0)
    assert _open_fds(k) == list(range(NOFILE - 1))
    _emfile(lambda: os.pipe())
    _emfile(lambda: k.socket.socketpair())
    assert _open_fds(k) == list(range(NOFILE - 1))
    assert os.eventfd(0) == NOFILE - 1


def test_emfile_pipe_releases_both_ends() -> None:
    # The half-made pipe must not leave a reader behind: no stray references.
    k = _kernel()
    for _ in range(NOFILE - 4):
        k.os.eventfd(0)
    _emfile(lambda: k.os.pipe())
    live = [f for f in k.process.fdtable.files.values() if f.kind == "pipe"]
    assert live == []


def test_closing_frees_a_number_after_emfile() -> None:
    k = _kernel()
    os = k.os
    for _ in range(NOFILE - 3):
        os.eventfd(0)
    _emfile(lambda: os.eventfd(0))
    os.close(5)
    assert os.eventfd(0) == 5
    _emfile(lambda: os.eventfd(0))


def test_lowest_free_number_is_reused_first() -> None:
    k = _kernel(64)
    os = k.os
    fds = [os.eventfd(0) for _ in range(10)]
    assert fds == list(range(3, 13))
    for fd in (9, 4, 11, 6):
        os.close(fd)
    assert [os.eventfd(0) for _ in range(5)] == [4, 6, 9, 11, 13]


def test_dup2_to_a_high_number_does_not_move_the_lowest_free() -> None:
    k = _kernel(64)
    os = k.os
    e = os.eventfd(0)
    assert os.dup2(e, 63) == 63
    assert os.dup2(e, 10) == 10
    got = [os.eventfd(0) for _ in range(8)]
    assert got == [4, 5, 6, 7, 8, 9, 11, 12]  # 10 is taken, so skipped
    os.close(63)
    os.close(10)
    assert os.eventfd(0) == 10
    assert os.eventfd(0) == 13


def test_dup2_onto_the_top_number_and_beyond() -> None:
    k = _kernel()
    os = k.os
    e = os.eventfd(0)
    assert os.dup2(e, NOFILE - 1) == NOFILE - 1
    for bad in (NOFILE, NOFILE + 100, -1):
        with pytest.raises(OSError) as info:
            os.dup2(e, bad)
        assert info.value.errno == errno.EBADF
    assert _open_fds(k) == [0, 1, 2, 3, NOFILE - 1]


def test_dup2_fills_the_table_then_emfile() -> None:
    k = _kernel()
    os = k.os
    e = os.eventfd(0)
    for n in range(4, NOFILE):
        os.dup2(e, n)
    _emfile(lambda: os.dup(e))
    os.close(4)
    assert os.dup(e) == 4


def test_f_dupfd_takes_the_lowest_free_at_or_above_minfd() -> None:
    k = _kernel(32)
    os, fcntl = k.os, k.fcntl
    e = os.eventfd(0)  # 3
    assert fcntl.fcntl(e, fcntl.F_DUPFD, 10) == 10
    assert fcntl.fcntl(e, fcntl.F_DUPFD, 10) == 11
    assert fcntl.fcntl(e, fcntl.F_DUPFD, 0) == 4
    assert fcntl.fcntl(e, fcntl.F_DUPFD, 2) == 5
    os.close(10)
    assert fcntl.fcntl(e, fcntl.F_DUPFD, 7) == 7
    assert fcntl.fcntl(e, fcntl.F_DUPFD, 8) == 8
    assert fcntl.fcntl(e, fcntl.F_DUPFD, 9) == 9
    assert fcntl.fcntl(e, fcntl.F_DUPFD, 9) == 10
    assert os.eventfd(0) == 6  # the allocator still finds the hole below
    assert fcntl.fcntl(e, fcntl.F_DUPFD, 31) == 31
    _emfile(lambda: fcntl.fcntl(e, fcntl.F_DUPFD, 31))
    with pytest.raises(OSError) as info:
        fcntl.fcntl(e, fcntl.F_DUPFD, 32)
    assert info.value.errno == errno.EINVAL


def test_f_dupfd_cloexec_from_minfd_sets_the_flag_on_that_number_only() -> None:
    k = _kernel(32)
    os, fcntl = k.os, k.fcntl
    e = k.sys.eventfd2(0, 0)
    d = fcntl.fcntl(e, fcntl.F_DUPFD_CLOEXEC, 20)
    assert d == 20
    assert os.get_inheritable(d) is False
    assert os.get_inheritable(e) is True
    os.close(d)
    d2 = fcntl.fcntl(e, fcntl.F_DUPFD, 20)
    assert d2 == 20 and os.get_inheritable(d2) is True


def test_close_of_a_high_dup2_number_does_not_confuse_later_allocation() -> None:
    k = _kernel(64)
    os = k.os
    e = os.eventfd(0)  # 3
    os.dup2(e, 40)
    os.close(40)
    got = [os.eventfd(0) for _ in range(40)]
    assert got == list(range(4, 44))


def test_fdtable_directly_refcounts_each_entry() -> None:
    t = FdTable(16)
    f = NullDevice(1, 0o2)
    a = t.install(f, cloexec=False)
    b = t.install(f, cloexec=True)
    assert (a, b) == (0, 1) and f.refs == 2
    t.replace(5, f, cloexec=False)
    assert f.refs == 3
    t.close(a)
    t.close(1)
    t.close(5)
    assert f.refs == 0
    with pytest.raises(OSError) as info:
        t.close(5)
    assert info.value.errno == errno.EBADF


# -- the allocator against a reference --------------------------------------------------

_ops = st.lists(
    st.one_of(
        st.tuples(st.just("new"), st.just(0)),
        st.tuples(st.just("close"), st.integers(0, 23)),
        st.tuples(st.just("dup2"), st.integers(-2, 25)),
        st.tuples(st.just("dupfd"), st.integers(-1, 25)),
    ),
    max_size=80,
)


@settings(max_examples=300, deadline=None)
@given(_ops)
def test_allocator_always_gives_the_lowest_free_number(ops: list[tuple[str, int]]) -> None:
    nofile = 24
    k = Kernel(nofile=nofile)
    os, fcntl = k.os, k.fcntl
    src = os.eventfd(0)  # 3: kept open as the thing to duplicate
    used = {0, 1, 2, src}

    def lowest(minfd: int) -> int:
        n = minfd
        while n in used:
            n += 1
        return n

    for op, arg in ops:
        if op == "new":
            want = lowest(0)
            if want >= nofile:
                _emfile(lambda: os.eventfd(0))
            else:
                assert os.eventfd(0) == want
                used.add(want)
        elif op == "close":
            if arg == src:
                continue
            if arg in used:
                os.close(arg)
                used.discard(arg)
            else:
                with pytest.raises(OSError):
                    os.close(arg)
        elif op == "dup2":
            if 0 <= arg < nofile:
                assert os.dup2(src, arg) == arg
                used.add(arg)
            else:
                with pytest.raises(OSError) as info:
                    os.dup2(src, arg)
                assert info.value.errno == errno.EBADF
        else:
            if not 0 <= arg < nofile:
                with pytest.raises(OSError) as info:
                    fcntl.fcntl(src, fcntl.F_DUPFD, arg)
                assert info.value.errno == errno.EINVAL
                continue
            want = lowest(arg)
            if want >= nofile:
                _emfile(lambda minfd=arg: fcntl.fcntl(src, fcntl.F_DUPFD, minfd))
            else:
                assert fcntl.fcntl(src, fcntl.F_DUPFD, arg) == want
                used.add(want)
        assert _open_fds(k) == sorted(used)
