"""The build hook: compile the hot modules with mypyc where it can, pure Python everywhere else.

Everything else about the package is in pyproject.toml. This file only adds the compiled
modules, as black and mypy ship themselves: mypyc compiles the same typed source (no second
source, no generated code in the tree) into C extensions that sit next to the ``.py`` files and
are imported in their place.

* The default install compiles when mypyc is importable (a build requirement) and a C
  compiler works; on any failure it says why and installs the pure Python package, which is
  complete and is the reference.
* ``EPOLLSIM_PURE_PYTHON=1`` skips compiling (and, at import time, makes an existing build's
  compiled modules stand aside: src/epollsim/_pure.py).
* An editable install (``pip install -e .``) builds the extensions into ``src/`` beside the
  sources (git ignores them). A compiled module does not see later edits of its ``.py``:
  install again, or set ``EPOLLSIM_PURE_PYTHON=1`` while working on it.

Which modules, and why only those: docs/model.md, "The fast path".
"""
from __future__ import annotations

import os
import runpy
import sys
from typing import Any

from setuptools import setup
from setuptools.command.build_ext import build_ext

# The list, read without importing the package (the build environment lacks its dependencies).
_compiled = runpy.run_path(os.path.join(os.path.dirname(os.path.abspath(__file__)), "src", "epollsim", "_compiled.py"))
COMPILED: tuple[str, ...] = _compiled["COMPILED"]
pure_python_requested = _compiled["pure_python_requested"]


def _say(message: str) -> None:
    print(f"epollsim: {message}", file=sys.stderr)


def compiled_extensions() -> list[Any]:
    """mypyc's extension modules for COMPILED, or none (pure Python) if it cannot make them."""
    if pure_python_requested():
        _say("EPOLLSIM_PURE_PYTHON is set: installing pure Python")
        return []
    try:
        from mypyc.build import mypycify
    except ImportError:
        _say("mypyc is not importable: installing pure Python")
        return []
    paths = [os.path.join("src", *name.split(".")) + ".py" for name in COMPILED]
    # mypy checks the compiled modules; the rest of the package is read for its types only
    # (its own type checking is not the build's business: its errors are not reported here).
    try:
        return list(mypycify(["--follow-imports=silent", *paths], opt_level="3", debug_level="0"))
    except BaseException as exc:  # noqa: BLE001 (mypyc reports type errors with SystemExit)
        _say(f"mypyc could not compile ({type(exc).__name__}: {exc}): installing pure Python")
        return []


class OptionalBuildExt(build_ext):
    """All the compiled modules or none: a failure (no C compiler, a compile error) removes
    whatever was built and leaves the pure Python package."""

    def build_extensions(self) -> None:
        try:
            super().build_extensions()
        except Exception as exc:  # noqa: BLE001 (CompileError, a missing compiler, ...)
            _say(f"compiling failed ({type(exc).__name__}: {exc}): installing pure Python")
            for path in self.get_outputs():
                if os.path.exists(path):
                    os.remove(path)
            self.extensions: list[Any] = []


setup(ext_modules=compiled_extensions(), cmdclass={"build_ext": OptionalBuildExt})
