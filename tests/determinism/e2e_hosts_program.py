"""Prints what the two-host end-to-end runs (Twisted, trio) observe and their trace digests."""
from __future__ import annotations

import pathlib
import sys

sys.path.insert(0, str(pathlib.Path(__file__).parents[1] / "unit"))

import test_e2e_trio_hosts as trio_hosts  # noqa: E402
import test_e2e_twisted as twisted_hosts  # noqa: E402

if __name__ == "__main__":
    print(twisted_hosts.run_crash(0))
    print(trio_hosts.run_trio(0))
