"""The package is typed: ``mypy --strict`` passes on it, and on a user's program written as the docs write them.

Two mypy runs share one cache: the package (pyproject.toml's ``[tool.mypy]``, strict), then three
programs against it: ``tests/data/typing_user_program.py`` (the docs' kind of program: epoll, sockets,
threads, asyncio, selectors, time, os, hosts, explore), a program naming every attribute each stand-in
module has on this Python (so a constant, class or function added to a stand-in without a type is
an error, and so is one that mypy sees as ``Any``), and a program with real mistakes, which mypy must
report (so this test can fail). mypy checks for the running Python's version, whose stand-ins have
that version's names: the test runs on 3.10 to 3.13 alike (.ci/other-pythons runs it on each).
"""
from __future__ import annotations

import inspect
import pathlib
import re
from collections.abc import Iterator

import pytest
from mypy import api as mypy_api  # the test extra's

import epollsim
from epollsim.compat._module import _Unmodelled

ROOT = pathlib.Path(__file__).parents[2]
USER_PROGRAM = ROOT / "tests" / "data" / "typing_user_program.py"
STAND_INS = ("os", "select", "socket", "selectors", "time", "threading", "asyncio", "fcntl", "signal")

# Each line is a mistake mypy must report with this code (the line's comment).
MISTAKES = """\
import epollsim

k = epollsim.Kernel()
r, w = k.os.pipe()
ep = k.select.epoll()
ep.register(r, k.select.EPOLLNOPE)  # attr-defined
k.os.read(r, "100")  # arg-type
k.os.write(w, 100, 1)  # call-arg
t = k.threading.Thread(targett=print)  # call-arg
k.threading.Lock().acquire(timeout="1")  # arg-type
n: str = k.time.monotonic_ns()  # assignment
s = k.socket.socket(k.socket.AF_INETT)  # attr-defined
x: bytes = k.asyncio.run(k.asyncio.sleep(1, 3))  # assignment
k.selectors.DefaultSelector().register(r, "read")  # arg-type
ep.poll(0, maxevents="3")  # arg-type
k.time.sleep("1")  # arg-type
"""


def stand_in_names() -> Iterator[tuple[str, str]]:
    """(module, name) for every public name each stand-in of a kernel answers on this Python."""
    k = epollsim.Kernel()
    for module in STAND_INS:
        cls = type(getattr(k, module))
        for name in dir(cls):
            if name.startswith("_") or isinstance(inspect.getattr_static(cls, name), _Unmodelled):
                continue
            yield module, name


def errors_by_file(report: str) -> dict[str, list[tuple[int, str]]]:
    """mypy's errors, per file name: (line, error code). A type that merely contains ``Any`` (a
    function taking anything, as CPython's do) is not one: only an expression that is ``Any``."""
    found: dict[str, list[tuple[int, str]]] = {}
    for match in re.finditer(r"^(.*?):(\d+): error: (.*)\[([a-z-]+)\]$", report, re.M):
        if not match[3].startswith('Expression type contains "Any"'):
            found.setdefault(pathlib.Path(match[1]).name, []).append((int(match[2]), match[4]))
    return found


@pytest.fixture(scope="module")
def mypy_runs(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, str]:
    """The package's report and the programs' report (one shared cache: the second run reuses the first)."""
    tmp = tmp_path_factory.mktemp("typing")
    names = tmp / "stand_in_names.py"
    lines = ["# mypy: disallow-any-expr", "import epollsim", "", "k = epollsim.Kernel()"]
    lines += [f"print(k.{module}.{name})" for module, name in stand_in_names()]  # an argument: Any is reported
    names.write_text("\n".join(lines) + "\n")
    (tmp / "mistakes.py").write_text(MISTAKES)
    common = ["--config-file", str(ROOT / "pyproject.toml"), "--cache-dir", str(tmp / "cache"), "--no-error-summary"]
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("MYPYPATH", str(ROOT / "src"))  # this checkout's package, whatever is installed
        mp.chdir(ROOT)
        package, package_err, _ = mypy_api.run([*common, str(ROOT / "src" / "epollsim")])
        programs, programs_err, _ = mypy_api.run([*common, str(USER_PROGRAM), str(names), str(tmp / "mistakes.py")])
    assert not package_err and not programs_err, package_err + programs_err
    return package, programs


def test_the_package_is_clean_under_mypy_strict(mypy_runs: tuple[str, str]) -> None:
    package, _ = mypy_runs
    assert package.strip() == "", package


def test_a_users_program_written_as_the_docs_write_them_type_checks(mypy_runs: tuple[str, str]) -> None:
    """No error, and no expression of type ``Any`` but on the lines marked ``# Any:`` (addresses)."""
    _, programs = mypy_runs
    lines = USER_PROGRAM.read_text().splitlines()
    allowed = {number for number, line in enumerate(lines, 1) if "# Any:" in line}
    errors = [
        match[0] for match in re.finditer(rf"^.*{USER_PROGRAM.name}:(\d+): error: (.*)$", programs, re.M)
        if not (match[2].startswith('Expression has type "Any"') and int(match[1]) in allowed)
        and not match[2].startswith('Expression type contains "Any"')
    ]
    assert errors == [], programs


def test_every_name_a_stand_in_has_is_typed_and_none_is_any(mypy_runs: tuple[str, str]) -> None:
    _, programs = mypy_runs
    assert errors_by_file(programs).get("stand_in_names.py", []) == [], programs


def test_a_users_mistakes_are_reported(mypy_runs: tuple[str, str]) -> None:
    _, programs = mypy_runs
    expected = [
        (number, line.rsplit("# ", 1)[1])
        for number, line in enumerate(MISTAKES.splitlines(), 1)
        if "# " in line
    ]
    assert errors_by_file(programs).get("mistakes.py", []) == expected, programs


def test_every_declared_constant_is_one_the_stand_in_has_on_this_python() -> None:
    """The ``NAME: ClassVar[int]`` lists on the stand-in classes (declared for type checkers, set on
    the class after it is made) name only constants the class has on this Python, of the declared
    type: mypy accepts no name that would fail when the program runs. (That every constant a
    stand-in has is declared is the names test's.)"""
    k = epollsim.Kernel()
    for module in ("os", "select", "socket", "time", "fcntl", "signal"):
        cls = type(getattr(k, module))
        declared = {
            name: hint for name, hint in cls.__annotations__.items()
            if name.isupper() and hint.startswith("ClassVar[")
        }
        assert len(declared) > 5, module
        for name, hint in declared.items():
            value = inspect.getattr_static(cls, name, None)
            kind = hint[len("ClassVar["):-1].rsplit(".", 1)[-1]
            assert type(value).__name__ == kind, (module, name, value, hint)
