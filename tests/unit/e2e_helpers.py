"""What the end-to-end tests of third-party code under ``k.patch()`` (test_e2e_*.py) share."""
from __future__ import annotations

import hashlib
import re
import socket

BYTES = re.compile(r"b'(?:[^'\\]|\\.)*'" + "|" + r'b"(?:[^"\\]|\\.)*"')  # a buffer as the trace shows it


def shape_digest(lines: list[str]) -> str:
    """A trace's digest with every buffer replaced by ``<bytes>`` (the lengths stay: they follow it), for
    runs whose bytes come from OpenSSL's own generator, which the seed does not reach."""
    return hashlib.sha256("\n".join(BYTES.sub("<bytes>", line) for line in lines).encode()).hexdigest()


def settle_urllib3() -> None:
    """urllib3 chooses its wait function at its first call and keeps it (util/wait.py ``wait_for_socket``
    probes with ``poll([], 0)`` the first time), so the first run in a process would make one call more
    than the next: make that first call here, outside any patch, on a real socketpair."""
    from urllib3.util.wait import wait_for_read

    a, b = socket.socketpair()
    try:
        wait_for_read(a, timeout=0)
    finally:
        a.close()
        b.close()
