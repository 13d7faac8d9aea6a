"""Under k.patch() every random draw comes from the kernel's seed: random (its module functions, copies
of them, new Random()s), SystemRandom, os.urandom, os.getrandom, secrets, uuid1/uuid4 and tempfile's
names; and everything is exactly itself again after the patch."""
from __future__ import annotations

import os
import random
import secrets
import tempfile
import uuid
from random import randint  # a copy the patch must rebind
from typing import Any

import pytest

import epollsim

GRND_INSECURE = 4  # include/uapi/linux/random.h (CPython has no name for it)
tempfile.gettempdir()  # found before any patch: the search writes a probe file with real fds


def draws() -> list[Any]:
    """One draw from every source a program has."""
    shuffled = list(range(10))
    random.shuffle(shuffled)
    reseeded = random.Random(5)
    reseeded.seed()
    random.seed()  # from the entropy too
    return [reseeded.random(), 
        random.random(), random.getrandbits(64), randint(0, 10**9), shuffled,
        random.Random().random(), random.SystemRandom().random(), random.SystemRandom().getrandbits(70),
        os.urandom(8), os.getrandom(8), os.getrandom(4, os.GRND_NONBLOCK),
        secrets.token_hex(8), secrets.token_bytes(4), secrets.randbelow(10**9), secrets.choice(range(10**12)),
        uuid.uuid4(), uuid.uuid1(), uuid.getnode(), tempfile.mktemp(), next(tempfile._get_candidate_names()),  # type: ignore[attr-defined]
    ]


def run(seed: int) -> list[Any]:
    k = epollsim.Kernel(seed)
    with k.patch():
        return draws() + draws()


def test_the_seed_fixes_every_draw() -> None:
    first = run(3)
    assert first == run(3)
    other = run(4)
    assert all(a != b for a, b in zip(first, other)), list(zip(first, other))


def test_a_program_draws_differently_from_the_host() -> None:
    """Not the real generators: the real ones are seeded from the real getrandom."""
    k = epollsim.Kernel(3)
    with k.patch():
        inside = draws()
    outside = draws()
    assert all(a != b for a, b in zip(inside, outside)), list(zip(inside, outside))


def test_each_patch_of_a_kernel_continues_the_draws() -> None:
    k = epollsim.Kernel(1)
    with k.patch():
        first = [random.random(), os.urandom(4), uuid.uuid4()]
    with k.patch():
        second = [random.random(), os.urandom(4), uuid.uuid4()]
    assert all(a != b for a, b in zip(first, second))
    k2 = epollsim.Kernel(1)
    with k2.patch():
        assert [random.random(), os.urandom(4), uuid.uuid4()] == first


def test_uuid1_reads_the_virtual_clock_and_the_hosts_address() -> None:
    k = epollsim.Kernel(1)
    with k.patch():
        k.time.sleep(1.5)
        u = uuid.uuid1()
        assert u.node == uuid.getnode() and u.node & (1 << 40)  # random address: multicast bit
        # 100 ns intervals since 1582-10-15
        assert u.time == (k.time.time_ns() // 100) + 0x01B21DD213814000
        assert uuid.uuid1().time == u.time + 1  # the same 100 ns: the next one is one later


def test_program_draws_do_not_change_the_schedule() -> None:
    """The program's generator is not the scheduler's: an extra draw leaves the interleaving alone."""

    def interleaving(extra_draws: int) -> list[tuple[str, int]]:
        k = epollsim.Kernel(9, schedule="random")
        order: list[tuple[str, int]] = []
        with k.patch():
            import threading
            import time

            def worker(name: str) -> None:
                for i in range(5):
                    for _ in range(extra_draws):
                        random.random()
                        os.urandom(3)
                    order.append((name, i))
                    time.sleep(0)

            threads = [threading.Thread(target=worker, args=(n,)) for n in "abcd"]
            for t in threads:
                t.start()
            for t in threads:
                t.join()
        return order

    assert interleaving(0) == interleaving(3)
    assert interleaving(0) != sorted(interleaving(0), key=lambda x: x[1])  # the chooser did choose


def test_everything_is_itself_again_after_the_patch() -> None:
    names = {module: dict(vars(module)) for module in (random, os, uuid, tempfile, secrets)}
    seed = vars(random.Random)["seed"]
    state = random.getstate()
    k = epollsim.Kernel(2)
    with k.patch():
        assert os.urandom is not names[os]["urandom"] and random._urandom is os.urandom  # type: ignore[attr-defined]
        assert randint is not names[random]["randint"]
        draws()
    assert vars(random.Random)["seed"] is seed
    assert random.getstate() == state  # the real module-level generator did not move
    assert randint is names[random]["randint"]
    for module, before in names.items():
        after = vars(module)
        changed = [n for n in before if n != "_last_timestamp" and after.get(n) is not before[n]]
        assert not changed, (module.__name__, changed)


def test_urandom_and_getrandom_fail_as_the_real_ones() -> None:
    calls: list[tuple[str, tuple[Any, ...]]] = [
        ("urandom", (-1,)), ("urandom", ("4",)), ("urandom", (2**63,)), ("urandom", (1.0,)),
        ("getrandom", (-1,)), ("getrandom", (1, 999)), ("getrandom", (1, os.GRND_RANDOM | GRND_INSECURE)),
        ("getrandom", (1, -1)), ("getrandom", ("1",)), ("getrandom", (1, 2**40)),
    ]
    real = {name: getattr(os, name) for name in ("urandom", "getrandom")}

    def outcome(fn: Any, args: tuple[Any, ...]) -> tuple[type, str, int | None]:
        with pytest.raises(Exception) as info:
            fn(*args)
        return type(info.value), str(info.value), getattr(info.value, "errno", None)

    k = epollsim.Kernel()
    with k.patch():
        model = [outcome(getattr(os, name), args) for name, args in calls]
    assert model == [outcome(real[name], args) for name, args in calls]
    with k.patch():
        assert os.urandom(0) == os.getrandom(0) == b""
        assert len(os.getrandom(5, os.GRND_RANDOM | os.GRND_NONBLOCK)) == len(os.getrandom(5, GRND_INSECURE)) == 5


def test_an_asyncio_protocol_with_random_masks_and_jitter_replays() -> None:
    """A websocket-style client masks each frame with os.urandom(4) and retries after a random
    delay: the trace (bytes on the wire, virtual times) is the seed's."""
    import asyncio

    def run_traced(seed: int) -> tuple[str, list[bytes]]:
        k = epollsim.Kernel(seed)
        seen: list[bytes] = []

        async def main() -> None:
            async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
                while frame := await reader.read(100):
                    seen.append(frame)
                    writer.write(b"ok")
                writer.close()

            server = await asyncio.start_server(serve, "127.0.0.1", 0)
            port = server.sockets[0].getsockname()[1]
            reader, writer = await asyncio.open_connection("127.0.0.1", port)
            for word in (b"ping", b"pong", b"ping"):
                key = os.urandom(4)
                writer.write(key + bytes(b ^ key[i % 4] for i, b in enumerate(word)))
                await reader.read(2)
                await asyncio.sleep(random.uniform(0.01, 0.1))  # jitter
            writer.close()
            await writer.wait_closed()
            server.close()
            await server.wait_closed()

        with k.trace, k.patch():
            asyncio.run(main())
        return k.trace.digest(), seen

    first = run_traced(1)
    assert first == run_traced(1)
    other = run_traced(2)
    assert first[0] != other[0] and first[1] != other[1]


def test_a_module_whose_objects_change_it_when_looked_at_does_not_break_the_patch() -> None:
    """A lazy proxy's ``__class__`` may import, and so add to its module, while the patch scans it
    (the serial suite met one): the scan works on a snapshot of the module's names."""
    import sys
    import types

    module = types.ModuleType("lazy_epollsim_test_module")

    class Lazy:
        @property  # type: ignore[misc]
        def __class__(self) -> type:  # noqa: PLE0101
            module.__dict__.setdefault("loaded", 1)
            module.__dict__[f"more{len(module.__dict__)}"] = 2
            return Lazy

    module.proxy = Lazy()  # type: ignore[attr-defined]
    sys.modules[module.__name__] = module
    try:
        k = epollsim.Kernel(0)
        with k.patch():
            pass
    finally:
        del sys.modules[module.__name__]
