"""A test's ``unittest.mock.patch`` reaches the model as it reaches the stdlib.

Inside ``k.patch()``: ``socket.create_connection`` (the stdlib's own code) looks ``socket.socket``
and ``socket.getaddrinfo`` up at call time, and the model's asyncio loop looks
``socket.getnameinfo``, ``socket.getaddrinfo`` and ``socket.socket`` up where CPython's loop does,
so a mock of any of them is what they call. With ``k.socket`` used directly, the analogous target is
the stand-in: ``mock.patch.object(k.socket, "getnameinfo", ...)`` reaches a ``k.asyncio`` loop and
``k.socket.create_connection``.
"""
from __future__ import annotations

import asyncio
import socket
from typing import Any
from unittest import mock

import epollsim

RESOLVED = [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("127.0.0.1", 0))]


def _listener(sock_module: Any) -> tuple[Any, tuple[str, int]]:
    server = sock_module.socket()
    server.bind(("127.0.0.1", 0))
    server.listen()
    return server, server.getsockname()


def test_create_connection_looks_socket_socket_up_at_call_time() -> None:
    k = epollsim.Kernel()
    with k.patch():
        server, addr = _listener(socket)
        made = []
        model_socket = socket.socket

        def recording(*args: Any, **kwargs: Any) -> Any:
            made.append(args)
            return model_socket(*args, **kwargs)

        with mock.patch("socket.socket", side_effect=recording):
            client = socket.create_connection(addr)
        assert made == [(socket.AF_INET, socket.SOCK_STREAM, 6)]
        assert type(client) is k.socket.socket and client.getpeername() == addr
        client.close()
        server.close()
    assert socket.create_connection.__module__ == "socket"  # the stdlib's, inside and out


def test_create_connection_looks_getaddrinfo_up_at_call_time() -> None:
    k = epollsim.Kernel()
    with k.patch():
        server, (_, port) = _listener(socket)
        answer = [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("127.0.0.1", port))]
        with mock.patch("socket.getaddrinfo", return_value=answer) as getaddrinfo:
            client = socket.create_connection(("db.example", 5432))
        getaddrinfo.assert_called_once_with("db.example", 5432, 0, socket.SOCK_STREAM)
        assert client.getpeername() == ("127.0.0.1", port)
        client.close()
        server.close()


def test_a_mocked_socket_class_failing_fails_create_connection() -> None:
    k = epollsim.Kernel()
    with k.patch(), mock.patch("socket.socket", side_effect=OSError(24, "Too many open files")):
        try:
            socket.create_connection(("127.0.0.1", 1))
        except OSError as e:
            assert e.errno == 24  # the mock's, not the refused connection's ECONNREFUSED
        else:
            raise AssertionError("the mock was not called")


def test_the_model_loop_sees_a_patched_getnameinfo() -> None:
    k = epollsim.Kernel()
    with k.patch(), mock.patch("socket.getnameinfo", return_value=("mocked", "http")) as getnameinfo:
        async def main() -> Any:
            return await asyncio.get_running_loop().getnameinfo(("127.0.0.1", 80))

        assert asyncio.run(main()) == ("mocked", "http")
        getnameinfo.assert_called_once_with(("127.0.0.1", 80), 0)


def test_the_model_loop_sees_a_patched_getaddrinfo_in_open_connection() -> None:
    k = epollsim.Kernel()
    with k.patch():
        server, (_, port) = _listener(socket)
        answer = [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("127.0.0.1", port))]

        async def main() -> Any:
            with mock.patch("socket.getaddrinfo", return_value=answer) as getaddrinfo:
                reader, writer = await asyncio.open_connection("db.example", 5432)
            writer.close()
            return getaddrinfo.call_args

        call = asyncio.run(main())
        assert call.args[:2] == ("db.example", 5432)
        server.close()


def test_the_model_loop_makes_its_sockets_with_a_patched_socket_class() -> None:
    k = epollsim.Kernel()
    with k.patch():
        server, addr = _listener(socket)
        model_socket = socket.socket

        async def main() -> list[Any]:
            made = []

            def recording(*args: Any, **kwargs: Any) -> Any:
                made.append(kwargs.get("family", args[0] if args else None))
                return model_socket(*args, **kwargs)

            with mock.patch("socket.socket", side_effect=recording):
                _, writer = await asyncio.open_connection(*addr)
            writer.close()
            return made

        assert asyncio.run(main()) == [socket.AF_INET]
        server.close()


def test_without_the_patch_mock_the_stand_in() -> None:
    k = epollsim.Kernel()

    async def main() -> Any:
        return await asyncio.get_running_loop().getnameinfo(("127.0.0.1", 80))

    with mock.patch.object(k.socket, "getnameinfo", return_value=("mocked", "http")):
        assert k.asyncio.run(main()) == ("mocked", "http")
    assert k.asyncio.run(main()) == ("localhost", "http")  # the model's resolver again


def test_without_the_patch_k_socket_create_connection_uses_the_stand_ins_names() -> None:
    k = epollsim.Kernel()
    server, (_, port) = _listener(k.socket)
    answer = [(k.socket.AF_INET, k.socket.SOCK_STREAM, 6, "", ("127.0.0.1", port))]
    with mock.patch.object(k.socket, "getaddrinfo", return_value=answer):
        client = k.socket.create_connection(("db.example", 5432))
    assert client.getpeername() == ("127.0.0.1", port)
    client.close()
    server.close()
    assert socket.getaddrinfo.__module__ == "socket"  # the real module was never touched
