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
