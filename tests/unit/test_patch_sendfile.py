"""os.sendfile under k.patch(): a real file the program opened into a model socket (read with
pread, the one real call), through asyncio's native sock_sendfile path too."""
from __future__ import annotations

import asyncio
import os
import pathlib
import socket

import epollsim


def test_asyncio_sock_sendfile_takes_the_native_path(tmp_path: pathlib.Path) -> None:
    (tmp_path / "f").write_bytes(b"0123456789" * 1000)
    k = epollsim.Kernel(0)
    calls: list[tuple[int, int, object, int]] = []

    async def main() -> bytes:
        loop = asyncio.get_running_loop()
        a, b = socket.socketpair()
        a.setblocking(False)
        b.setblocking(False)
        model_sendfile = k.os.sendfile  # what the loop's os.sendfile is

        def counting(out_fd: int, in_fd: int, offset: object, count: int) -> int:
            calls.append((out_fd, in_fd, offset, count))
            return model_sendfile(out_fd, in_fd, offset, count)  # type: ignore[no-any-return]

        k.os.sendfile = counting  # type: ignore[method-assign]
        try:
            with open(tmp_path / "f", "rb") as f:
                sent = await loop.sock_sendfile(a, f, offset=5, count=7000)
                assert f.tell() == 7005  # sock_sendfile leaves the file object after what it sent
        finally:
            del k.os.sendfile
        a.close()
        got = b""
        while len(got) < sent:
            got += await loop.sock_recv(b, 100_000)
        b.close()
        return got

    with k.patch():
        got = asyncio.run(main())
    assert got == (b"0123456789" * 1000)[5:7005]
    assert calls and calls[0][2] == 5  # the native path: os.sendfile at the file's offset


def test_os_sendfile_from_a_model_file_into_a_real_one_is_unsupported(tmp_path: pathlib.Path) -> None:
    k = epollsim.Kernel(0)
    with k.patch():
        r, w = os.pipe()
        out = os.open(tmp_path / "out", os.O_WRONLY | os.O_CREAT)
        try:
            os.sendfile(out, r, None, 4)
        except epollsim.Unsupported as exc:
            assert "into a real file is not modelled" in str(exc)
        else:
            raise AssertionError("no Unsupported")
        os.close(out)
        os.close(r)
        os.close(w)
