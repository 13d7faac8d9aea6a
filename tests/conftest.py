"""Fixtures shared by every test directory.

``backend`` runs a test twice: on the host's real kernel (the oracle) and on
the model. A contract test must pass on both, unchanged.
"""
from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

import epollsim
from epollsim.testing.backends import Backend, make_backend

# Tests start Python processes (``python -m epollsim``, pytester's runs, the docs' examples): they
# must import the epollsim this process imported, not another checkout's that the interpreter
# finds on its own (a relative PYTHONPATH=src, run from another directory, would name nothing).
_SRC = os.path.dirname(os.path.dirname(os.path.abspath(epollsim.__file__)))
os.environ["PYTHONPATH"] = os.pathsep.join([_SRC, *filter(None, os.environ.get("PYTHONPATH", "").split(os.pathsep))])


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


def pytest_collection_modifyitems(session: pytest.Session, config: pytest.Config, items: list[pytest.Item]) -> None:
    """The tests that start Dask clusters run last. ``distributed`` leaves its event-loop threads
    ("IO loop") running for the rest of the process, and a ``k.patch()`` is process-wide: a later
    patch test would have those real threads run on the model (docs/differences.md, what a patch
    cannot reach), which once hung a trio test in CI."""
    def starts_dask(item: pytest.Item) -> bool:
        return "test_dask_explore" in item.nodeid or "test_console_sessions" in item.nodeid

    items[:] = [i for i in items if not starts_dask(i)] + [i for i in items if starts_dask(i)]
