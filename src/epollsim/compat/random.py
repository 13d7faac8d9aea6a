"""The program's entropy: what ``getrandom(2)``, ``os.urandom`` and ``random`` draw on the model.

Theory of operation
-------------------
A real program's randomness comes from the kernel's CSPRNG (``getrandom(2)``:
``os.urandom``, ``os.getrandom``, ``random.SystemRandom``, ``secrets``,
``uuid.uuid4``, and the seed of every ``random.Random()`` made without one,
``random``'s module-level generator included). On the model it comes from
``Entropy``, one per kernel, seeded from the kernel's seed and nothing else.

It is *not* the kernel's own generator (``Kernel.random``, which picks the next
thread, ephemeral ports and network faults), but a separate one derived from
the same seed: a program that adds one ``random.random()`` call gets the same
interleaving, ports and faults as before, and only its own later draws move.
Two generators, each a Mersenne Twister seeded by a string (hashed with
SHA-512, so no PYTHONHASHSEED reaches it):

- ``pool`` stands for the kernel's CSPRNG: ``urandom(n)`` takes n bytes of it;
- ``generator`` is ``random``'s module-level instance while a patch is active
  (``random.random()``, ``random.shuffle``...); like CPython's at import, it is
  seeded from ``urandom`` when first needed, and it keeps its state from one
  patch of the kernel to the next.

The draws are as deterministic as the schedule that orders them. What it cannot
reach: OpenSSL's own generator (``ssl.RAND_bytes``, TLS randoms), and C code that
calls ``getrandom(2)`` itself.
"""
from __future__ import annotations

import random
from errno import EINVAL
from typing import Any

from ..errors import oserror
from ._convert import c_int, ssize_t

# getrandom(2)'s flags (include/uapi/linux/random.h).
GRND_NONBLOCK = 0x0001
GRND_RANDOM = 0x0002
GRND_INSECURE = 0x0004

# The real module and its classes, for patch_random.py (which must not import random itself).
real_random = random


class Entropy:
    """The seeded source of every random byte and seed a program sees on the model."""

    def __init__(self, seed: int) -> None:
        self.seed = seed
        self.pool = random.Random(f"epollsim getrandom {seed}")
        self._generator: random.Random | None = None
        self._node: int | None = None

    def urandom(self, size: Any, /) -> bytes:
        """``os.urandom`` (posixmodule.c os_urandom_impl)."""
        n = ssize_t(size)
        if n < 0:
            raise ValueError("negative argument not allowed")
        return self.pool.randbytes(n)

    def getrandom(self, size: Any, flags: Any = 0) -> bytes:
        """``os.getrandom`` (posixmodule.c os_getrandom_impl; drivers/char/random.c getrandom):
        the pool is always initialised, so GRND_NONBLOCK never gives EAGAIN."""
        n = ssize_t(size)
        f = c_int(flags)
        if n < 0:
            raise oserror(EINVAL)
        if f & ~(GRND_NONBLOCK | GRND_RANDOM | GRND_INSECURE) or f & (GRND_INSECURE | GRND_RANDOM) == (
            GRND_INSECURE | GRND_RANDOM
        ):
            raise oserror(EINVAL)
        return self.pool.randbytes(n)

    def new_seed(self) -> int:
        """The seed of a ``random.Random()`` made without one (CPython: random_seed_urandom)."""
        return int.from_bytes(self.urandom(32), "little")

    def held_seed(self, name: str) -> str:
        """The seed of a generator a module made before the patch, by its name: the same in every process,
        whatever else it imported, and drawing nothing from the pool."""
        return f"epollsim held {self.seed} {name}"

    @property
    def generator(self) -> random.Random:
        """``random``'s module-level generator while a patch is active."""
        if self._generator is None:
            self._generator = random.Random(self.new_seed())
        return self._generator

    @property
    def node(self) -> int:
        """The host's hardware address for ``uuid.getnode()``: random, with the multicast bit set,
        as ``uuid._random_getnode`` makes one when no interface has an address (RFC 4122 4.5)."""
        if self._node is None:
            self._node = int.from_bytes(self.urandom(6), "big") | (1 << 40)
        return self._node
