"""Running a program in a fresh interpreter under a chosen PYTHONHASHSEED, for the determinism tests."""
from __future__ import annotations

import os
import subprocess
import sys


def output_under_hashseed(hashseed: str, *args: str) -> str:
    """What ``python *args`` prints with PYTHONHASHSEED=``hashseed`` (it must exit 0)."""
    env = dict(os.environ, PYTHONHASHSEED=hashseed)
    return subprocess.run([sys.executable, *args], env=env, capture_output=True, text=True, check=True).stdout
