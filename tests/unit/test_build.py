"""The two builds (setup.py, src/epollsim/_compiled.py): the modules mypyc compiles exist as
sources, and EPOLLSIM_PURE_PYTHON=1 runs an install's pure Python whatever it compiled."""
from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from pathlib import Path

import pytest

import epollsim
from epollsim import _compiled

SRC = Path(epollsim.__file__).parent.parent
REPORT = (
    "import epollsim, importlib, sys; from epollsim import _compiled\n"
    "mods = [importlib.import_module(n) for n in _compiled.COMPILED]\n"
    "k = epollsim.Kernel(); r, w = k.os.pipe(); k.os.write(w, b'ok'); assert k.os.read(r, 2) == b'ok'\n"
    "print(_compiled.compiled_modules(), [m.__file__.endswith('.py') for m in mods])\n"
)


def run(env_value: str | None) -> str:
    env = {k: v for k, v in os.environ.items() if k != _compiled.ENV}
    if env_value is not None:
        env[_compiled.ENV] = env_value
    return subprocess.run(
        [sys.executable, "-c", REPORT], env=env, capture_output=True, text=True, check=True
    ).stdout.strip()


def test_every_compiled_module_is_a_source_file_of_the_package() -> None:
    assert _compiled.COMPILED
    for name in _compiled.COMPILED:
        assert name.startswith("epollsim.") and name.count(".") >= 1
        spec = importlib.util.find_spec(name)
        assert spec is not None and spec.origin is not None
        assert (SRC / (name.replace(".", "/") + ".py")).is_file()


def test_pure_python_on_request_imports_every_listed_module_from_its_source() -> None:
    n = len(_compiled.COMPILED)
    assert run("1") == f"[] {[True] * n}"


@pytest.mark.parametrize("value", ["", "0"])
def test_an_empty_or_zero_request_is_no_request(value: str) -> None:
    out = run(value)
    compiled = out.startswith("['")  # this install's build, whichever it is
    assert out == run(None)
    assert compiled == any(p.suffix == ".so" for p in (SRC / "epollsim").rglob("*.so"))


def test_the_sources_finder_answers_only_for_the_compiled_modules() -> None:
    finder = _compiled.SourcesFirst
    assert finder.find_spec("epollsim.kernel", [str(SRC / "epollsim")]) is None
    name = _compiled.COMPILED[0]
    package_dir = SRC / "/".join(name.split(".")[:-1])
    spec = finder.find_spec(name, [str(package_dir)])
    assert spec is not None and spec.origin == str(package_dir / (name.rpartition(".")[2] + ".py"))
