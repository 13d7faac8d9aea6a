"""Async tests on the model: ``async def test_x(kernel)`` runs on the kernel's loop, in virtual time.

With no async plugin, the epollsim plugin runs a coroutine test that uses it (the ``kernel``
fixture or the marker) itself: ``kernel.asyncio.run(test(**fixtures))``, a fresh model loop in
the kernel's main thread, once per seed (under ``kernel.patch()`` with ``patch=True``). On the
real kernel (``--epollsim-real``) the host's ``asyncio.run`` runs it instead.

A test another plugin claims is left to it: pytest-asyncio's (``@pytest.mark.asyncio``, or every
coroutine test in its auto mode) and anyio's (``@pytest.mark.anyio``, whose loop comes from the
``anyio_backend`` fixture: ``("asyncio", {"loop_factory": kernel.asyncio.new_event_loop})``, as
docs/testing.md shows). pytest-asyncio (1.x)
builds its loop from a *loop factory* that the ``pytest_asyncio_loop_factories`` hook names;
``loop_factories`` answers ``{"epollsim": ...}`` for a test that uses epollsim, a factory making
the running test's kernel's loop, so the test, its async fixtures of function scope, and
``asyncio.get_running_loop()`` all run on the model. Other asyncio tests get a factory asking
the policy in force, as pytest-asyncio would without one (``pytest_asyncio_loop_factories`` must
answer for every test once one plugin implements it; ours runs last, so a project's own wins).
"""
from __future__ import annotations

import asyncio
import inspect
from collections.abc import Callable
from typing import Any

import pytest

# The kernel of the test running now: what the pytest-asyncio loop factory builds its loop on.
_current: list[Any] = []


def set_current_kernel(kernel: Any) -> None:
    """The kernel the running test uses (None once its fixture is torn down)."""
    _current[:] = [] if kernel is None else [kernel]


def claimed_by_another_plugin(item: pytest.Item) -> bool:
    return item.get_closest_marker("asyncio") is not None or item.get_closest_marker("anyio") is not None


def is_ours_to_await(item: pytest.Function) -> bool:
    """A coroutine test that no async plugin runs: the epollsim plugin runs it on the kernel."""
    return inspect.iscoroutinefunction(item.obj) and not claimed_by_another_plugin(item)


def run_coroutine_test(item: pytest.Function, kernel: Any) -> None:
    """Call the coroutine test with its fixtures and run it to completion on ``kernel``'s loop."""
    __tracebackhide__ = True
    arguments = {name: item.funcargs[name] for name in item._fixtureinfo.argnames}
    kernel.asyncio.run(item.obj(**arguments))  # the model's loop (the host's asyncio on a RealKernel)


def _model_loop() -> asyncio.AbstractEventLoop:
    if not _current:
        raise RuntimeError("the epollsim loop factory ran outside an epollsim test (no kernel fixture yet)")
    loop: asyncio.AbstractEventLoop = _current[0].asyncio.new_event_loop()
    return loop


def loop_factories(item: pytest.Item, uses_epollsim: bool) -> dict[str, Callable[[], asyncio.AbstractEventLoop]]:
    """pytest-asyncio's loop factories for ``item``: the model's when it uses epollsim."""
    if uses_epollsim:
        return {"epollsim": _model_loop}
    return {"asyncio": asyncio.new_event_loop}  # asks the policy pytest-asyncio installs around the call
