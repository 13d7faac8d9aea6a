"""Fixtures shared by every test directory.

``backend`` runs a test twice: on the host's real kernel (the oracle) and on
the model. A contract test must pass on both, unchanged.
"""
from __future__ import annotations

from collections.abc import Iterator

import pytest

from epollsim.testing.backends import Backend, make_backend


@pytest.fixture(params=["real", "model"])
def backend(request: pytest.FixtureRequest) -> Iterator[Backend]:
    b = make_backend(request.param)
    try:
        yield b
    finally:
        b.cleanup()


@pytest.fixture
def model() -> Iterator[Backend]:
    b = make_backend("model")
    yield b
