"""The test harness itself: the real backend's cleanup closes everything a test opened."""
from __future__ import annotations

import os

import pytest

from epollsim.testing.backends import make_backend


def test_real_backend_cleanup_closes_the_first_fd_a_test_opens() -> None:
    b = make_backend("real")
    r, w = b.os.pipe()
    b.cleanup()
    for fd in (r, w):
        with pytest.raises(OSError):
            os.fstat(fd)


def test_real_backend_cleanup_collects_garbage_only_when_fds_are_left_unaccounted(monkeypatch: pytest.MonkeyPatch) -> None:
    import gc

    collections: list[int] = []
    real_collect = gc.collect
    monkeypatch.setattr(gc, "collect", lambda *a: collections.append(1) or real_collect(*a))
    backend = make_backend("real")
    made = backend.os.pipe()
    backend.cleanup(made=made)  # raw numbers the test made: closed, nothing to collect
    assert collections == [] and all(not _is_open(fd) for fd in made)
    backend = make_backend("real")
    left = backend.os.pipe()
    backend.cleanup()  # unaccounted numbers: an owner in a cycle may hold them, so collect first
    assert collections == [1] and all(not _is_open(fd) for fd in left)


def _is_open(fd: int) -> bool:
    try:
        os.fstat(fd)
    except OSError:
        return False
    return True
