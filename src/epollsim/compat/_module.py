"""The base of every stand-in module: names the real module has but the model lacks fail loudly."""
from __future__ import annotations

import types
from typing import Any

from ..errors import Unsupported


class StandIn:
    """A stand-in module bound to one kernel.

    Looking up a name the real module has and the stand-in does not raises
    ``Unsupported`` (so a program never silently reaches the host); any
    other unknown name is an ordinary AttributeError.
    """

    _mirrors: types.ModuleType  # the real module, consulted only for its list of names

    def __getattr__(self, name: str) -> Any:
        real = type(self)._mirrors
        if not name.startswith("__") and hasattr(real, name):
            raise Unsupported(f"{real.__name__}.{name} is not modelled by epollsim")
        raise AttributeError(f"module '{real.__name__}' has no attribute '{name}'")


def copy_constants(cls: type, *sources: types.ModuleType, prefixes: tuple[str, ...]) -> None:
    """Give ``cls`` the abi constants named with ``prefixes`` that its real module also has.

    The values come from epollsim's abi (Linux's numbers), never from the host.
    """
    real = cls._mirrors  # type: ignore[attr-defined]
    for src in sources:
        for name, value in vars(src).items():
            if name.startswith(prefixes) and isinstance(value, int) and hasattr(real, name):
                if name not in vars(cls):
                    setattr(cls, name, value)
