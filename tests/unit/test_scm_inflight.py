"""Files in flight (SCM_RIGHTS) in the model: references, and the documented absence of unix_gc."""
from __future__ import annotations

import epollsim


def test_files_in_flight_hold_a_reference_until_the_receiver_closes() -> None:
    k = epollsim.Kernel()
    a, b = k.socket.socketpair()
    r, w = k.os.pipe()
    k.os.set_blocking(r, False)
    writer = k.sys.fget(w)
    k.socket.send_fds(a, [b"x"], [w])
    assert writer.refs == 2  # the fd and the buffer in flight
    k.os.close(w)
    assert writer.refs == 1
    b.close()
    assert writer.refs == 0
    assert k.os.read(r, 1) == b""


def test_a_socket_in_flight_in_its_own_queue_is_never_collected() -> None:
    """No unix_gc (docs/differences.md): b carries itself and the pipe's writer, so the reader
    never sees end of file, where Linux's collector would eventually free both."""
    k = epollsim.Kernel()
    a, b = k.socket.socketpair()
    r, w = k.os.pipe()
    k.os.set_blocking(r, False)
    k.socket.send_fds(a, [b"x"], [b.fileno(), w])
    k.os.close(w)
    b.close()
    a.close()
    try:
        k.os.read(r, 1)
    except BlockingIOError:
        pass
    else:
        raise AssertionError("the writer in flight should still be open")
