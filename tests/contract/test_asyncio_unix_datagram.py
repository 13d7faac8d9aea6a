"""asyncio's create_datagram_endpoint(family=AF_UNIX, local_addr=path) on both backends: it binds
the path, and a stale socket file left there by an earlier endpoint is removed first
(base_events.create_datagram_endpoint: os.stat, then os.remove when S_ISSOCK)."""
from __future__ import annotations

import asyncio
import pathlib
from typing import Any

from epollsim.testing.backends import Backend


class Inbox(asyncio.DatagramProtocol):
    def __init__(self) -> None:
        self.got: asyncio.Queue[tuple[bytes, Any]] = asyncio.Queue()

    def datagram_received(self, data: bytes, addr: Any) -> None:
        self.got.put_nowait((data, addr))


async def two_endpoints_on_one_path(backend: Backend, path: str) -> list[Any]:
    socket = backend.socket
    loop = asyncio.get_running_loop()
    seen: list[Any] = []
    client = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    client.bind(path + ".client")
    for round_ in (b"first", b"second"):  # the second binds over the first's stale socket file
        transport, inbox = await loop.create_datagram_endpoint(Inbox, family=socket.AF_UNIX, local_addr=path)
        seen.append(transport.get_extra_info("sockname") == path)
        client.sendto(round_, path)
        seen.append(await asyncio.wait_for(inbox.got.get(), 5))
        transport.sendto(b"back", path + ".client")
        seen.append(client.recvfrom(100))
        transport.close()
        await asyncio.sleep(0)
    client.close()
    return seen


def test_create_datagram_endpoint_binds_a_unix_path(backend: Backend, tmp_path: pathlib.Path) -> None:
    path = str(tmp_path / "dgram.sock")
    seen = backend.asyncio.run(two_endpoints_on_one_path(backend, path))
    client = path + ".client"
    assert seen == [True, (b"first", client), (b"back", path), True, (b"second", client), (b"back", path)]
