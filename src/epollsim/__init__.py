"""epollsim: a deterministic simulated Linux kernel whose epoll matches the real one event for event.

    import epollsim
    k = epollsim.Kernel(seed=0)
    r, w = k.os.pipe()
    ep = k.select.epoll()
    ep.register(r, k.select.EPOLLIN | k.select.EPOLLET)
    k.os.write(w, b"x")
    ep.poll(0)          # [(r, 1)]
"""
from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from ._compiled import prefer_sources

prefer_sources()  # EPOLLSIM_PURE_PYTHON=1: the .py of every mypyc-compiled module (_compiled.py)

from .errors import (  # noqa: E402
    DataRace,
    Deadlock,
    EpollsimError,
    EscapeError,
    KernelBug,
    NotModelled,
    Terminated,
    Unsupported,
)

# The rest loads on first use (PEP 562), so that ``import epollsim.testing.pytest_plugin``, which
# pytest does in every session of every project where epollsim is installed, stays cheap.
_LAZY = {
    "Exploration": ".tools.exploration", "Failure": ".tools.exploration", "explore": ".tools.exploration",
    "run_seed": ".tools.exploration", "explore_systematic": ".tools.exploration", "Systematic": ".sched.systematic",
    "Kernel": ".kernel", "Shared": ".sched.races",
}

if TYPE_CHECKING:
    from .kernel import Kernel
    from .sched.races import Shared
    from .sched.systematic import Systematic
    from .tools.exploration import Exploration, Failure, explore, explore_systematic, run_seed


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'epollsim' has no attribute {name!r}")
    value = getattr(importlib.import_module(module, __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))


__all__ = [
    "DataRace", "Deadlock", "EpollsimError", "EscapeError", "Exploration", "Failure", "Kernel", "KernelBug", "NotModelled",
    "Shared", "Systematic", "Terminated", "Unsupported", "explore", "explore_systematic", "run_seed",
]
__version__ = "0.1.0"
