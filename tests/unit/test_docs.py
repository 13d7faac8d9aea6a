"""README.md's and the user guide's examples, run; their pictures, redrawn; their links, followed.

In each page, every fenced block is checked against the output shown after it:

- ``python`` whose first line names ``prog.py``: run as ``python prog.py``; its stderr ends with
  the ``text`` block that follows.
- ``python`` whose first line is ``# test_*.py``: run with pytest; it passes, or, when a ``text``
  block follows, its output contains each line of it.
- any other ``python``: executed in this process as ``__main__``, from the repository's root; its stdout is the ``text`` block that follows
  (when one follows).
- ``console``: each ``$ python -m epollsim ...`` command is run from the repository's root; its
  stdout then stderr match the lines below it, where a line ``...`` stands for any lines and
  the exploration's digest for any digest (it hashes details other changes may move).

README.md must lead with the two commands a fresh machine runs; ``.ci/run`` runs exactly those.
Every relative link must name a file of the repository."""
from __future__ import annotations

import contextlib
import importlib.util
import io
import pathlib
import re
import shlex
import subprocess
import sys

import pytest

from epollsim.__main__ import main

ROOT = pathlib.Path(__file__).parents[2]
README = ROOT / "README.md"
DOCS = ROOT / "docs"
PAGES = [README, *sorted(DOCS.glob("*.md"))]
DIGEST = re.compile(r"\(digest [0-9a-f]{32}\)")


def blocks(path: pathlib.Path) -> list[tuple[str, str]]:
    """(language, body) of every fenced block, in order."""
    return re.findall(r"^```(\w*)\n(.*?)^```$", path.read_text(), re.S | re.M)


def examples(path: pathlib.Path) -> list[tuple[str, str, str | None]]:
    """(kind, code, the text block after it or None) for each python block."""
    found = blocks(path)
    out = []
    for i, (lang, body) in enumerate(found):
        if lang != "python":
            continue
        after = found[i + 1][1] if i + 1 < len(found) and found[i + 1][0] == "text" else None
        first = body.splitlines()[0]
        kind = "script" if "prog.py" in first else "pytest" if re.match(r"# test_\w+\.py", first) else "exec"
        out.append((kind, body, after))
    return out


ALL_EXAMPLES = [
    pytest.param(page, i, id=f"{page.relative_to(ROOT)}-{i}") for page in PAGES for i in range(len(examples(page)))
]


def test_readme_leads_with_the_two_commands_ci_runs() -> None:
    lang, body = blocks(README)[0]
    assert lang == "sh"
    install, tests = body.strip().splitlines()
    assert "pip install" in install and install.endswith("python -m epollsim demo")
    assert "pytest" in tests
    ci = (ROOT / ".ci" / "run").read_text().splitlines()
    assert install in ci and tests in ci
    assert ci.index(install) < ci.index(tests)


def test_the_readme_headline_is_asyncio_on_two_hosts_with_a_partition() -> None:
    kind, code, after = examples(README)[0]
    assert kind == "exec" and "add_host" in code and "partition" in code and "asyncio" in code
    assert after is not None


@pytest.mark.parametrize(("page", "index"), ALL_EXAMPLES)
def test_example(page: pathlib.Path, index: int, tmp_path: pathlib.Path, monkeypatch: pytest.MonkeyPatch) -> None:
    kind, code, expected = examples(page)[index]
    monkeypatch.chdir(ROOT)  # examples name files of the repository from its root
    if kind == "script":
        (tmp_path / "prog.py").write_text(code)
        run = subprocess.run([sys.executable, "prog.py"], cwd=tmp_path, capture_output=True, text=True, timeout=60)
        assert expected is not None and run.returncode == 1
        assert run.stderr.endswith(expected), run.stderr
    elif kind == "pytest":
        name = code.splitlines()[0][2:].strip()
        (tmp_path / name).write_text(code)
        run = subprocess.run(
            [sys.executable, "-m", "pytest", name, "-p", "no:cacheprovider", "-q"],
            cwd=tmp_path, capture_output=True, text=True, timeout=120,
        )
        if expected is None:
            assert run.returncode == 0, run.stdout
        for line in (expected or "").splitlines():
            assert line in run.stdout.splitlines(), run.stdout
    else:
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            exec(compile(code, f"{page.name} example {index}", "exec"), {"__name__": "__main__"})
        if expected is not None:
            assert out.getvalue() == expected


def matches(expected: str, output: str) -> bool:
    """Whether ``output`` is ``expected``, each ``...`` line standing for any lines."""
    pattern = "".join(
        r"(?:.*\n)*?" if line == "..." else re.escape(line) + r"\n" for line in expected.splitlines()
    )
    return re.fullmatch(pattern, DIGEST.sub("(digest)", output)) is not None


def test_matches_can_fail() -> None:
    assert matches("a\n...\nd\n", "a\nb\nc\nd\n")
    assert not matches("a\n...\nd\n", "a\nb\nc\n")
    assert not matches("a\n", "b\n")


@pytest.mark.parametrize("page", [p for p in PAGES if any(lang == "console" for lang, _ in blocks(p))],
                         ids=lambda p: str(p.relative_to(ROOT)))
def test_console_sessions(page: pathlib.Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch,
                          tmp_path: pathlib.Path) -> None:
    monkeypatch.chdir(ROOT)
    ran = 0
    for lang, body in blocks(page):
        if lang != "console":
            continue
        for command in re.split(r"^(?=\$ )", body, flags=re.M):
            if not command.startswith("$ python -m epollsim "):
                continue
            line, _, expected = command.partition("\n")
            argv = shlex.split(line.partition("#")[0])[4:]  # after "$ python -m epollsim"
            if "--dask" in argv and importlib.util.find_spec("distributed") is None:
                continue  # the [dask] extra is not installed
            if argv[0] == "replay" and "--trace" not in argv:
                argv += ["--trace", str(tmp_path / "trace.json")]  # not into the repository
            main(argv)
            out, err = capsys.readouterr()
            err = re.sub(r"^exploring: .*\n", "", err, flags=re.M)  # progress, every 5 s of a long run
            assert matches(DIGEST.sub("(digest)", expected), out + err), out + err
            ran += 1
    assert ran


@pytest.mark.parametrize("page", PAGES, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_shell_session_shown_is_checked(page: pathlib.Path) -> None:
    """A block that shows a prompt (``$ ...``) is a ``console`` block, which test_console_sessions runs,
    or an ``sh`` block of commands without output: an untagged one would go unchecked and stale."""
    for lang, body in blocks(page):
        if re.search(r"^\$ ", body, re.M):
            assert lang in ("console", "sh"), f"{page.name}: a shell session in a {lang or 'plain'} block: tag it console"


@pytest.mark.parametrize("page", PAGES, ids=lambda p: str(p.relative_to(ROOT)))
def test_relative_links_name_files_of_the_repository(page: pathlib.Path) -> None:
    for target in re.findall(r"\]\(([^)\s]+)\)", page.read_text()):
        if re.match(r"\w+:", target) or target.startswith("#"):
            continue
        path = (page.parent / target.partition("#")[0]).resolve()
        assert path.exists(), f"{page.name} links to {target}, which does not exist"


def test_the_pictures_are_what_make_pictures_draws(monkeypatch: pytest.MonkeyPatch) -> None:
    spec = importlib.util.spec_from_file_location("make_pictures", DOCS / "pictures" / "make_pictures.py")
    assert spec and spec.loader
    monkeypatch.setattr(sys, "path", list(sys.path))  # the script puts its directory first
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert module.PICTURES
    for name in module.PICTURES:
        svg, _ = module.draw(name)
        committed = (DOCS / "pictures" / name).read_text()
        assert svg == committed, f"docs/pictures/{name} is stale: python docs/pictures/make_pictures.py"
        assert any(f"pictures/{name})" in page.read_text() for page in PAGES), f"{name} is shown nowhere"
