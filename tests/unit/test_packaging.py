"""The package's metadata, as a maintainer and PyPI expect it (PEP 639: an SPDX license string and
the license file shipped; the trove classifiers that let pytest and asyncio users find it)."""
from __future__ import annotations

import pathlib
from typing import Any

import pytest

ROOT = pathlib.Path(__file__).resolve().parent.parent.parent


def project() -> dict[str, Any]:
    tomllib = pytest.importorskip("tomllib")  # 3.11+
    table: dict[str, Any] = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    return table


def test_the_license_is_an_spdx_string_with_its_file() -> None:
    meta = project()
    assert meta["license"] == "MIT"
    assert meta["license-files"] == ["LICENSE"]
    text = (ROOT / "LICENSE").read_text()
    assert text.startswith("MIT License\n") and "the epollsim authors" in text
    assert not any(c.startswith("License ::") for c in meta["classifiers"])  # PEP 639 forbids both


def test_classifiers_name_the_frameworks_it_serves() -> None:
    classifiers = project()["classifiers"]
    assert {"Framework :: Pytest", "Framework :: AsyncIO", "Typing :: Typed"} <= set(classifiers)
