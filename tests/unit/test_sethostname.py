"""socket.sethostname in the model (not a contract test: on the real machine it would rename it).

Linux: CAP_SYS_ADMIN first (EPERM), then at most 64 bytes (EINVAL); CPython converts the name
with PyUnicode_FSConverter unless it is bytes."""
from __future__ import annotations

import errno

import pytest

import epollsim


def test_an_unprivileged_process_may_not_rename_its_host() -> None:
    k = epollsim.Kernel()
    with pytest.raises(OSError) as info:
        k.socket.sethostname("renamed")
    assert info.value.errno == errno.EPERM
    assert k.socket.gethostname() == "localhost"


def test_a_privileged_process_renames_its_host_only() -> None:
    k = epollsim.Kernel(privileged=True)
    other = k.add_host("other")
    k.socket.sethostname(b"renamed")
    assert k.socket.gethostname() == "renamed"
    assert other.socket.gethostname() == "other"
    with pytest.raises(OSError) as info:
        k.socket.sethostname("x" * 65)
    assert info.value.errno == errno.EINVAL
    k.socket.sethostname("x" * 64)
    with pytest.raises(TypeError, match="expected str, bytes or os.PathLike object, not int"):
        k.socket.sethostname(5)
