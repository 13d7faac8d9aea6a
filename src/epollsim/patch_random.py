"""The patch's randomness: every random draw of the program comes from the kernel's seed.

Theory of operation
-------------------
The program's entropy is the host's ``Entropy`` (``compat/random.py``: a
generator derived from the kernel's seed, separate from the one that picks
threads). While the patch is active:

- ``os.urandom`` and ``os.getrandom`` are the entropy's. Copies are rebound by
  the patch's scan like any replaced function, which reaches ``random``'s own
  ``_urandom``: ``random.SystemRandom`` and therefore ``secrets`` draw from it.
- ``random``'s module functions are bound methods of one hidden instance
  (``random._inst``); each becomes the same method of the entropy's generator,
  and ``from random import shuffle`` copies are rebound too.
- ``random.Random.seed(None)`` (and so ``random.Random()``, which seeds with
  None) seeds from the entropy instead of the real ``getrandom``. ``Random`` is a
  Python class: its ``seed`` is set on the class and put back on exit.
- ``tempfile``'s name sequence is made afresh inside the patch (its generator is
  a ``Random()``, so seeded from the entropy) and the real one is put back on
  exit; ``uuid.uuid1`` does without libuuid's generator (real clock and MAC),
  reads the virtual clock, and the host's hardware address is a random one
  from the entropy (``uuid.getnode``). ``uuid.uuid4`` reads ``os.urandom``.
- ``Random`` instances a module made at import and keeps in a global (trio's
  ``_r``: its clock's offset and its scheduler's shuffles) are reseeded on entry
  from the kernel's seed and their module and name (``Entropy.held_seed``: the
  same whatever else the process imported; each instance once, modules in name
  order), and get their state back on exit.

Out of reach: OpenSSL's generator, and C code calling getrandom(2) itself.
"""
from __future__ import annotations

import os
import tempfile
import uuid
from typing import Any, Protocol

from .compat.random import Entropy, real_random


class _Patch(Protocol):
    host: Any

    def replace(self, namespace: dict[str, Any], name: str, value: Any) -> None: ...

    def _assign(self, namespace: dict[str, Any], name: str, value: Any) -> None: ...

    def at_exit(self, undo: Any) -> None: ...

    def _module_namespaces(self) -> list[tuple[str, dict[str, Any]]]: ...


def enter(patch: _Patch) -> None:
    found: Entropy | None = getattr(patch.host, "entropy", None)
    if found is None:  # not a simulated host (observe.py's recording of the real modules)
        return
    entropy: Entropy = found
    namespace = vars(os)
    for name in ("urandom", "getrandom"):
        if name in namespace:
            patch.replace(namespace, name, getattr(entropy, name))

    # First, so that random.seed() (a bound method of the generator, taken below) seeds from the entropy.
    cls = real_random.Random
    real_seed = vars(cls)["seed"]

    def seed(self: Any, a: Any = None, version: int = 2) -> None:
        real_seed(self, entropy.new_seed() if a is None else a, version)

    seed.__doc__ = real_seed.__doc__
    seed.__qualname__ = real_seed.__qualname__
    cls.seed = seed  # type: ignore[method-assign]
    patch.at_exit(lambda: setattr(cls, "seed", real_seed))

    generator = entropy.generator
    hidden = real_random._inst
    namespace = vars(real_random)
    for name in sorted(namespace):
        value = namespace[name]
        if getattr(value, "__self__", None) is hidden:  # a bound method, Python's or C's
            patch.replace(namespace, name, getattr(generator, value.__name__))
    patch._assign(namespace, "_inst", generator)

    namespace = vars(tempfile)
    patch._assign(namespace, "_name_sequence", None)
    namespace = vars(uuid)
    patch._assign(namespace, "_generate_time_safe", None)
    patch._assign(namespace, "_last_timestamp", None)
    patch._assign(namespace, "_node", entropy.node)


def reseed_held(patch: _Patch) -> None:
    """Reseed from the entropy the ``Random`` instances held in module globals (see the module comment)."""
    if getattr(patch.host, "entropy", None) is None:
        return
    entropy = patch.host.entropy
    cls, system, seen = real_random.Random, real_random.SystemRandom, {id(entropy.generator)}
    for module_name, namespace in patch._module_namespaces():
        # a snapshot: isinstance may run a lazy attribute's code, which can add to the module (seen in CI)
        found = [(name, value) for name, value in list(namespace.items()) if isinstance(value, cls)]
        for name, value in sorted(found, key=lambda item: item[0]) if found else ():
            if not isinstance(value, system) and id(value) not in seen:
                seen.add(id(value))
                state = value.getstate()
                value.seed(entropy.held_seed(f"{module_name}.{name}"))
                patch.at_exit(lambda value=value, state=state: value.setstate(state))
