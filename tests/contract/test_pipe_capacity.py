"""Pipe capacity: 16 slots of one page each, the merge rule, PIPE_BUF, partial writes.

fs/pipe.c counts capacity in slots (pipe_buffers), not bytes (spec 11.1,
decision 13.6). The write end is writable while a slot is free; a write of
``n`` bytes first merges ``n % 4096`` bytes into the last slot if they fit in
its page, then takes fresh slots of up to 4096 bytes. All observed through
partial non-blocking writes and through epoll/poll EPOLLOUT.
"""
from __future__ import annotations

import errno

import pytest

from epollsim.testing.backends import Backend

PAGE = 4096


def _pipe(backend: Backend) -> tuple[int, int]:
    return backend.os.pipe2(backend.os.O_NONBLOCK)


def _writable(backend: Backend, w: int) -> bool:
    p = backend.select.poll()
    p.register(w, backend.select.POLLOUT)
    return p.poll(0) == [(w, backend.select.POLLOUT)]


def _epoll_writable(backend: Backend, w: int) -> bool:
    select = backend.select
    ep = select.epoll()
    ep.register(w, select.EPOLLOUT)
    try:
        return ep.poll(0) == [(w, select.EPOLLOUT)]
    finally:
        ep.close()


def _fill_by_one_byte_writes(backend: Backend, w: int) -> int:
    total = 0
    while True:
        try:
            total += backend.os.write(w, b"x")
        except BlockingIOError:
            return total


def test_default_pipe_size_is_65536(backend: Backend) -> None:
    r, w = _pipe(backend)
    fcntl = backend.fcntl
    assert fcntl.fcntl(r, fcntl.F_GETPIPE_SZ) == 65536
    assert fcntl.fcntl(w, fcntl.F_GETPIPE_SZ) == 65536


def test_large_write_into_empty_pipe_is_partial_65536(backend: Backend) -> None:
    _r, w = _pipe(backend)
    assert backend.os.write(w, b"a" * 100000) == 65536
    assert not _writable(backend, w)
    with pytest.raises(BlockingIOError) as info:
        backend.os.write(w, b"b")
    assert info.value.errno == errno.EAGAIN


def test_one_byte_writes_fill_65536_bytes(backend: Backend) -> None:
    _r, w = _pipe(backend)
    assert _fill_by_one_byte_writes(backend, w) == 65536
    assert not _writable(backend, w)
    assert not _epoll_writable(backend, w)


@pytest.mark.parametrize("first_read", [1, 4095])
def test_pipe_full_of_small_writes_stays_unwritable_until_a_page_is_read(
    backend: Backend, first_read: int
) -> None:
    os = backend.os
    r, w = _pipe(backend)
    _fill_by_one_byte_writes(backend, w)
    assert len(os.read(r, first_read)) == first_read
    assert not _writable(backend, w)
    assert not _epoll_writable(backend, w)
    with pytest.raises(BlockingIOError):
        os.write(w, b"y")
    os.read(r, PAGE - first_read)
    assert _writable(backend, w)
    assert _epoll_writable(backend, w)


def test_freed_page_takes_a_4096_byte_write_but_no_more(backend: Backend) -> None:
    os = backend.os
    r, w = _pipe(backend)
    _fill_by_one_byte_writes(backend, w)
    os.read(r, PAGE)
    assert os.write(w, b"y" * 5000) == PAGE
    assert not _writable(backend, w)


def test_5000_byte_write_into_empty_pipe_takes_two_slots(backend: Backend) -> None:
    os = backend.os
    _r, w = _pipe(backend)
    assert os.write(w, b"a" * 5000) == 5000
    # Slots: 4096 + 904. A 100000-byte write merges 100000 % 4096 = 1696
    # bytes behind the 904, then fills the 14 free slots.
    assert os.write(w, b"b" * 100000) == 1696 + 14 * PAGE


def test_small_write_then_large_write_merges_the_remainder_first(backend: Backend) -> None:
    os = backend.os
    _r, w = _pipe(backend)
    os.write(w, b"a" * 100)
    # 70000 % 4096 = 368 bytes join the 100-byte slot, then 15 fresh slots.
    assert os.write(w, b"b" * 70000) == 368 + 15 * PAGE


def test_write_of_exact_pages_never_merges(backend: Backend) -> None:
    os = backend.os
    _r, w = _pipe(backend)
    os.write(w, b"a" * 100)
    # 4097 % 4096 = 1 byte merges; 4096 take a fresh slot: two slots used.
    assert os.write(w, b"b" * 4097) == 4097
    # 100000 % 4096 = 1696 would fit nowhere (the last slot is a full page).
    assert os.write(w, b"c" * 100000) == 14 * PAGE


def test_merge_needs_room_behind_the_data_in_its_page(backend: Backend) -> None:
    os = backend.os
    r, w = _pipe(backend)
    os.write(w, b"a" * 4000)
    os.read(r, 3000)  # 1000 bytes left at offset 3000 of the page
    assert os.write(w, b"b" * 96) == 96  # 3000 + 1000 + 96 = 4096: merges
    # Nothing more fits in that page; 15 slots remain.
    assert os.write(w, b"c" * 100000) == 15 * PAGE


def test_write_of_at_most_pipe_buf_is_all_or_eagain(backend: Backend) -> None:
    os = backend.os
    r, w = _pipe(backend)
    os.write(w, b"a" * (65536 - 100))  # 15 full slots and one of 3996 bytes
    with pytest.raises(BlockingIOError) as info:
        os.write(w, b"z" * 200)  # 100 bytes are free, but 200 do not fit: none written
    assert info.value.errno == errno.EAGAIN
    assert os.write(w, b"z" * 100) == 100
    with pytest.raises(BlockingIOError):
        os.write(w, b"z")
    data = b""
    while True:
        try:
            data += os.read(r, 65536)
        except BlockingIOError:
            break
    assert data == b"a" * (65536 - 100) + b"z" * 100


def test_a_4096_byte_write_needs_a_free_slot(backend: Backend) -> None:
    os = backend.os
    _r, w = _pipe(backend)
    os.write(w, b"a" * (15 * PAGE + 1))  # 16 slots, the last holding 1 byte
    assert not _writable(backend, w)
    with pytest.raises(BlockingIOError):
        os.write(w, b"z" * PAGE)  # 4096 % 4096 == 0: nothing to merge
    assert os.write(w, b"z" * (PAGE - 1)) == PAGE - 1  # merges into the last page


def test_partial_write_counts_after_partial_drain(backend: Backend) -> None:
    os = backend.os
    r, w = _pipe(backend)
    assert os.write(w, b"a" * 65536) == 65536
    assert len(os.read(r, 10000)) == 10000  # frees two slots, 1808 bytes left in the third
    assert os.write(w, b"b" * 50000) == 2 * PAGE
    with pytest.raises(BlockingIOError):
        os.write(w, b"c")


def test_raw_write_reports_the_same_partial_counts(backend: Backend) -> None:
    sys = backend.sys
    _r, w = sys.pipe2(0o4000)
    assert sys.write(w, b"a" * 5000) == 5000
    assert sys.write(w, b"b" * 100000) == 1696 + 14 * PAGE
    with pytest.raises(OSError) as info:
        sys.write(w, b"c")
    assert info.value.errno == errno.EAGAIN
