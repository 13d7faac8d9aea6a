"""Real socket methods held in closures and class attributes, and ``Random`` instances held in module
globals, under k.patch() (patch_methods.py, patch_random.reseed_held)."""
from __future__ import annotations

import random
import socket
import sys
import types
from collections.abc import Iterator

import pytest

import epollsim

LIBRARY = '''
import random, socket

def wrap(fn):
    def method(self, *args):
        return fn(self._sock, *args)
    return method

class Methods:
    send = socket.socket.send                # a class attribute that is one


class Wrapper:
    send = wrap(socket.socket.send)          # a closure holding the C method, as trio's
    recv = wrap(socket.socket.recv)
    def __init__(self, sock):
        self._sock = sock

generator = random.Random(42)                # made at import, as trio's _r
'''


@pytest.fixture
def library() -> Iterator[types.ModuleType]:
    module = types.ModuleType("held_methods_library")
    sys.modules[module.__name__] = module
    exec(compile(LIBRARY, "<held_methods_library>", "exec"), vars(module))
    yield module
    del sys.modules[module.__name__]


def test_socket_methods_held_in_closures_work_on_model_sockets(library: types.ModuleType) -> None:
    k = epollsim.Kernel()
    with k.patch():
        a, b = socket.socketpair()
        wa, wb = library.Wrapper(a), library.Wrapper(b)
        assert wa.send(b"ping") == 4
        assert wb.recv(10) == b"ping"
        assert library.Methods.send(a, b"pong") == 4 and wb.recv(10) == b"pong"
        a.close()
        b.close()
    cells = [c.cell_contents for c in vars(library.Wrapper)["send"].__closure__]
    assert socket.socket.send in cells and library.Methods.send is socket.socket.send  # real again
    a, b = socket.socketpair()  # and they work on real sockets
    try:
        assert library.Wrapper(a).send(b"x") == 1 and library.Wrapper(b).recv(1) == b"x"
    finally:
        a.close()
        b.close()


def test_a_method_the_model_lacks_is_refused(library: types.ModuleType) -> None:
    if not hasattr(socket.socket, "sendmsg_afalg"):
        pytest.skip("no AF_ALG on this platform")
    library.afalg = library.wrap(socket.socket.sendmsg_afalg)
    k = epollsim.Kernel()
    with k.patch():
        a, b = socket.socketpair()
        with pytest.raises(epollsim.Unsupported, match="socket.socket.sendmsg_afalg"):
            library.afalg(library.Wrapper(a))
        a.close()
        b.close()


def draws(seed: int, library: types.ModuleType) -> list[float]:
    k = epollsim.Kernel(seed)
    with k.patch():
        return [library.generator.random() for _ in range(3)]


def test_a_random_held_in_a_module_global_draws_from_the_seed(library: types.ModuleType) -> None:
    state = library.generator.getstate()
    first = draws(1, library)
    assert library.generator.getstate() == state  # its own state again after the patch
    library.generator.random()  # the program's draws between runs do not move the next run's
    assert draws(1, library) == first
    assert draws(2, library) != first
    unpatched = random.Random(42)
    assert first != [unpatched.random() for _ in range(3)]
