"""patch_hashes.py: under ``k.patch()`` the listed library classes (anyio's CancelScope) hash by a sequence
number drawn at the first hash, so the sets libraries iterate keep one order in every run of a seed."""
from __future__ import annotations

import gc
import sys

import pytest

import epollsim
from epollsim import patch_hashes

anyio_asyncio = pytest.importorskip("anyio._backends._asyncio")
CancelScope = anyio_asyncio.CancelScope


def test_cancel_scopes_hash_by_the_order_of_their_first_hash_inside_the_patch() -> None:
    k = epollsim.Kernel()
    with k.patch():
        a, b, c = CancelScope(), CancelScope(), CancelScope()
        assert (hash(c), hash(a), hash(b), hash(a)) == (1, 2, 3, 2)  # drawn at the first hash, then kept
        assert a != b and a == a  # equality stays identity
        assert list({b: 0, a: 0}) == [b, a] and [hash(x) for x in {c, b, a}] == [1, 2, 3]  # set order: hashes
    outside = CancelScope()
    assert hash(outside) == object.__hash__(outside)  # the class's own hash is back


def test_a_dead_scopes_number_is_not_given_to_the_next_object_at_its_address() -> None:
    seq = patch_hashes.SeqHash()
    scope = CancelScope()
    address, first = id(scope), seq(scope)
    del scope
    gc.collect()
    assert address not in seq.numbers  # the weak reference's callback dropped it
    numbers = [seq(CancelScope()) for _ in range(3)]
    assert first not in numbers and numbers == sorted(numbers)


def test_a_loaded_library_s_part_is_imported_at_entry() -> None:
    saved = sys.modules.pop("anyio._backends._asyncio")
    try:
        k = epollsim.Kernel()
        with k.patch():
            module = sys.modules["anyio._backends._asyncio"]
            assert hash(module.CancelScope()) == 1
    finally:
        sys.modules["anyio._backends._asyncio"] = saved


async def _listeners_cancelled() -> None:
    trio = sys.modules["trio"]

    async def handler(stream: object) -> None:
        pass

    async with trio.open_nursery() as nursery:
        for port in (8000, 8001, 8002):  # each listens on IPv4 and IPv6: six tasks blocked on I/O
            nursery.start_soon(trio.serve_tcp, handler, port)
        await trio.sleep(1)
        nursery.cancel_scope.cancel()  # wakes them in the order of a CancelStatus's set of tasks


def test_a_trio_cancel_wakes_its_tasks_in_one_order_whatever_the_addresses() -> None:
    trio = pytest.importorskip("trio")
    digests, ballast = [], []
    for i in range(4):
        ballast.append([object() for _ in range(i * 53)])  # other addresses for the next run's objects
        k = epollsim.Kernel(1, trace=True)
        with k.patch():
            trio.run(_listeners_cancelled)
        digests.append(k.trace.digest())
    assert len(set(digests)) == 1  # without patch_hashes: four digests out of four runs
