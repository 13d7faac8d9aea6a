"""The API reference (mkdocs.yml, docs/reference/) builds from the docstrings with warnings as errors,
and names what the guides do not: the Kernel's options, the clock and the network's backlog."""
from __future__ import annotations

import pathlib
import subprocess
import sys

ROOT = pathlib.Path(__file__).parents[2]


def test_the_api_reference_builds_strictly_and_covers_the_public_api(tmp_path: pathlib.Path) -> None:
    run = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(tmp_path / "site")],
        cwd=ROOT, capture_output=True, text=True, timeout=300,
    )
    assert run.returncode == 0, run.stdout + run.stderr
    assert "WARNING" not in run.stderr, run.stderr
    pages = {str(p): p.read_text() for p in sorted((tmp_path / "site").rglob("index.html"))}
    text = "\n".join(pages.values())
    for name in ("max_user_watches", "hostname", "advance_to", "hold", "release", "add_host", "partition",
                 "explore", "run_seed", "Shared", "Unsupported", "Deadlock", "write_svg"):
        assert name in text, name
