"""Program references: what ``run_one`` runs, and how a program file is loaded for each seed.

A *program* is one of:

- a callable taking the kernel (in-process only, or in a pool when it pickles,
  i.e. a top-level function of an importable module);
- ``"package.module:function"``: an importable function taking the kernel
  (imported once per process, as pickle would; keep its module free of
  mutable state the function relies on);
- ``"path/to/prog.py"``: a file defining ``main(kernel)``, executed afresh for
  each seed. A file with no ``main(kernel)`` is a whole unmodified program:
  it is run as ``__main__`` under ``kernel.patch()`` when the kernel offers
  it (``Unsupported`` until then). ``"path/to/prog.py:name"`` picks another
  function than ``main``.

Whether a file defines ``main(kernel)`` is decided by reading it, never by
running it. Compiling is pure and cached; executing happens afresh for every
seed (``load``), inside ``program_context`` (the file's directory first on
``sys.path``, as ``python prog.py`` gives it; restored afterwards).
"""
from __future__ import annotations

import ast
import builtins
import contextlib
import importlib
import os
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from ..errors import Unsupported
from ..kernel import Kernel

MODULE_NAME = "__epollsim_program__"


@dataclass(frozen=True)
class Program:
    """A program reference that pickles: what ``run_one`` runs."""

    display: str  # as the user wrote it (what replay commands show)
    path: str = ""  # a program file, absolute
    module: str = ""  # an importable module
    function: str = ""  # the function's name (file: "" means main, if it takes the kernel)
    call: Callable[..., Any] | None = field(default=None, compare=False)  # a callable given directly

    @property
    def is_file(self) -> bool:
        return bool(self.path)


def program_ref(program: str | Callable[..., Any] | Program) -> Program:
    """Understand ``program`` (a callable, ``"module:function"``, ``"prog.py"`` or ``"prog.py:function"``)."""
    if isinstance(program, Program):
        return program
    if callable(program):
        name = getattr(program, "__qualname__", None) or repr(program)
        return Program(display=name, call=program)
    text = str(program)
    path, sep, func = text.rpartition(":")
    if not sep or not (path.endswith(".py") or os.path.sep in path):
        path, func = text, ""
    if path.endswith(".py") or os.path.exists(path):
        return Program(display=text, path=os.path.abspath(path), function=func)
    module, sep, func = text.partition(":")
    if not sep or not module or not func:
        raise ValueError(f"{text!r} is neither a .py file nor a 'module:function' reference")
    return Program(display=text, module=module, function=func)


def ensure_picklable(program: Program, who: str, where: str = "in other processes") -> None:
    """Raise TypeError, saying what to pass instead, when ``program`` cannot be sent to another
    process (``who``: what sends it, ``where``: where it runs)."""
    import pickle

    try:
        pickle.dumps(program)
    except (pickle.PicklingError, AttributeError, TypeError) as exc:
        raise TypeError(
            f"{who} runs the program {where}, so it must pickle: pass a top-level function of an "
            f"importable module, 'module:function' or a .py file, not {program.display} ({exc})"
        ) from None


def defines_main(path: str, function: str = "main") -> bool:
    """Whether the file defines ``function(kernel)`` at top level (read, never executed)."""
    return _compiled(path)[1] if function == "main" else _takes_argument(_parse(path), function)


def _parse(path: str) -> ast.Module:
    with open(path, "rb") as f:
        return ast.parse(f.read(), filename=path)


def _takes_argument(tree: ast.Module, function: str) -> bool:
    for node in tree.body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.name == function:
            args = node.args
            return bool(args.posonlyargs or args.args or args.vararg)
    return False


# Compiled program files, by (path, mtime, size): compiling is pure, so sharing it between seeds is
# safe (executing is not, and happens afresh for every seed). One entry: one program at a time.
_COMPILED: dict[tuple[str, int, int], tuple[Any, bool]] = {}


def _compiled(path: str) -> tuple[Any, bool]:
    """(code object, whether it defines main(kernel)) for a program file."""
    st = os.stat(path)
    key = (path, st.st_mtime_ns, st.st_size)
    found = _COMPILED.get(key)
    if found is None:
        tree = _parse(path)
        found = (compile(tree, path, "exec", dont_inherit=True), _takes_argument(tree, "main"))
        _COMPILED.clear()
        _COMPILED[key] = found
    return found


@contextlib.contextmanager
def program_context(path: str) -> Iterator[None]:
    """What ``python prog.py`` gives a program: its directory first on sys.path. Restored after."""
    saved_path = list(sys.path)
    saved_module = sys.modules.get(MODULE_NAME)
    sys.path.insert(0, os.path.dirname(path))
    try:
        yield
    finally:
        sys.path[:] = saved_path
        if saved_module is None:
            sys.modules.pop(MODULE_NAME, None)
        else:
            sys.modules[MODULE_NAME] = saved_module


def load(program: Program) -> Callable[[Kernel], Any]:
    """The function to call with the kernel (a program file's module code runs here, once per call)."""
    if program.call is not None:
        return program.call
    if program.module:
        target: Any = importlib.import_module(program.module)
        for part in program.function.split("."):
            target = getattr(target, part)
        return target  # type: ignore[no-any-return]
    function = program.function or "main"
    if program.function or defines_main(program.path):
        code = _compiled(program.path)[0]
        module = type(sys)(MODULE_NAME)
        module.__file__ = program.path
        module.__builtins__ = builtins  # type: ignore[attr-defined]
        sys.modules[MODULE_NAME] = module  # dataclasses, pickle and typing look modules up by name
        exec(code, module.__dict__)
        entry = module.__dict__.get(function)
        if not callable(entry):
            raise Unsupported(f"{program.display} defines no function {function}(kernel)")
        return entry  # type: ignore[no-any-return]
    if getattr(Kernel, "patch", None) is None:
        raise Unsupported(whole_program_message(program.display))

    def whole_program(kernel: Kernel) -> None:
        import runpy

        with kernel.patch():
            runpy.run_path(program.path, run_name="__main__")

    return whole_program


def whole_program_message(display: str) -> str:
    return (
        f"{display} defines no main(kernel), and running a whole unmodified program (under "
        "Kernel.patch()) is not available in this version of epollsim yet; define main(kernel) "
        "and use the kernel's stand-ins (kernel.os, kernel.socket, kernel.threading, ...)"
    )

