"""Which modules the default install compiles with mypyc, and how to run without them.

setup.py reads ``COMPILED`` (by path: this file imports nothing of the package, so the build
can read it without greenlet). The compiled modules are C extensions beside their ``.py`` files
and are imported in their place; ``EPOLLSIM_PURE_PYTHON=1`` in the environment makes the build
skip compiling, and makes an existing build's extensions stand aside when ``epollsim`` is
imported (``prefer_sources``), so the same install runs either way.

A module is on the list only if compiling it changes nothing a program or a test can see:
mypyc enforces annotations at run time and its native classes take no new attributes, so the
list holds modules whose classes nobody patches or subclasses outside it (docs/model.md).
"""
from __future__ import annotations

import os
import sys
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # importlib.util only when the finder is used: `import epollsim` stays as cheap
    from collections.abc import Sequence
    from importlib.machinery import ModuleSpec
    from types import ModuleType

COMPILED: tuple[str, ...] = (
    "epollsim.compat.fastpath",
)

ENV = "EPOLLSIM_PURE_PYTHON"


def pure_python_requested() -> bool:
    return os.environ.get(ENV, "") not in ("", "0")


class SourcesFirst:
    """A meta path finder that imports the ``.py`` of every module on COMPILED."""

    @staticmethod
    def find_spec(name: str, path: Sequence[str] | None = None, target: ModuleType | None = None) -> ModuleSpec | None:
        if name not in COMPILED:
            return None
        import importlib.util

        leaf = name.rpartition(".")[2] + ".py"
        for entry in path or ():
            source = os.path.join(entry, leaf)
            if os.path.exists(source):
                return importlib.util.spec_from_file_location(name, source)
        return None


def prefer_sources() -> None:
    """Called first thing by ``epollsim/__init__.py``."""
    if pure_python_requested() and not any(f is SourcesFirst for f in sys.meta_path):
        sys.meta_path.insert(0, SourcesFirst)


def compiled_modules() -> list[str]:
    """The modules on COMPILED that this process imported compiled (not from their ``.py``)."""
    out = []
    for name in COMPILED:
        module = sys.modules.get(name)
        if module is not None and not str(getattr(module, "__file__", "")).endswith(".py"):
            out.append(name)
    return out
