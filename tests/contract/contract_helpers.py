"""Helpers shared by the contract tests of CPython's wrappers."""
from __future__ import annotations

from typing import Any

import pytest


class Index:
    """An object that is not an int but has __index__ (CPython's converters differ on these)."""

    def __init__(self, n: int) -> None:
        self._n = n

    def __index__(self) -> int:
        return self._n


def raises_exactly(exc: type[BaseException], message: str, call: Any, *args: Any, **kwargs: Any) -> BaseException:
    """``call`` raises exactly ``exc`` (not a subclass) with exactly ``message``."""
    with pytest.raises(exc) as info:
        call(*args, **kwargs)
    assert type(info.value) is exc
    assert str(info.value) == message
    return info.value
