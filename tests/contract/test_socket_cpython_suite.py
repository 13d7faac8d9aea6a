"""What CPython's own socket tests use (issue 13 item 10): interface names, socket.close(fd),
sendto's argument forms, and the stand-in types' names, on both backends."""
from __future__ import annotations

import errno
from typing import Any

import pytest

from epollsim.testing.backends import Backend


def test_if_nameindex_has_loopback_and_an_ethernet(backend: Backend) -> None:
    s = backend.socket
    pairs = s.if_nameindex()
    assert (1, "lo") in pairs
    assert any(name.startswith("eth") for _, name in pairs)
    for index, name in pairs:
        assert s.if_nametoindex(name) == index
        assert s.if_nametoindex(name.encode()) == index
        assert s.if_indextoname(index) == name


@pytest.mark.parametrize("call, exc, message", [
    (lambda s: s.if_nametoindex("no-such-if"), OSError, "no interface with this name"),
    (lambda s: s.if_nametoindex(5), TypeError, "expected str, bytes or os.PathLike object, not int"),
    (lambda s: s.if_indextoname(-1), OverflowError, "can't convert negative value to unsigned int"),
    (lambda s: s.if_indextoname(2**64), OverflowError, "Python int too large to convert to C unsigned long"),
    (lambda s: s.if_indextoname("x"), TypeError, "an integer is required"),
    (lambda s: s.if_indextoname(1.0), TypeError, "an integer is required"),
    (lambda s: s.close("x"), TypeError, "'str' object cannot be interpreted as an integer"),
    (lambda s: s.close(2**63), OverflowError, "Python int too large to convert to C long"),
])
def test_interface_and_close_argument_errors(backend: Backend, call: Any, exc: type, message: str) -> None:
    with pytest.raises(exc) as info:
        call(backend.socket)
    assert type(info.value) is exc and str(info.value) == message


def test_if_indextoname_of_an_unknown_index_is_enxio(backend: Backend) -> None:
    with pytest.raises(OSError) as info:
        backend.socket.if_indextoname(4000)
    assert info.value.errno == errno.ENXIO


def test_socket_close_closes_any_fd(backend: Backend) -> None:
    s, o = backend.socket, backend.os
    a, b = s.socketpair()
    fd = a.detach()
    s.close(fd)
    with pytest.raises(OSError) as info:
        o.fstat(fd)
    assert info.value.errno == errno.EBADF
    r, w = o.pipe()
    s.close(r)
    s.close(w)
    with pytest.raises(OSError) as info:
        s.close(w)
    assert info.value.errno == errno.EBADF


def test_sendto_with_three_arguments_takes_the_third_as_the_address(backend: Backend) -> None:
    s = backend.socket
    u = s.socket(s.AF_INET, s.SOCK_DGRAM)
    for call in (lambda: u.sendto(b"x", 0, None), lambda: u.sendto(b"x", None)):
        with pytest.raises(TypeError) as info:
            call()
        assert str(info.value) == "sendto(): AF_INET address must be tuple, not NoneType"
    u.close()


def test_stand_in_types_have_the_stdlibs_names(backend: Backend) -> None:
    sel, th = backend.select, backend.threading
    p = sel.poll()
    ep = sel.epoll()
    named = [(p, "select", "poll"), (ep, "select", "epoll"), (th.Thread(), "threading", "Thread"),
             (th.Event(), "threading", "Event"), (th.Condition(), "threading", "Condition"),
             (th.Semaphore(), "threading", "Semaphore"), (th.BoundedSemaphore(), "threading", "BoundedSemaphore"),
             (th.Barrier(1), "threading", "Barrier"), (th.Timer(1, print), "threading", "Timer")]
    for obj, module, qualname in named:
        assert (type(obj).__module__, type(obj).__qualname__) == (module, qualname)
    ep.close()
