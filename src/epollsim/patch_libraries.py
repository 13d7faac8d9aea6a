"""Libraries' process-wide objects that a run under ``k.patch()`` gets afresh, and closes on exit.

Some libraries keep, in a module global, an object that holds a resource for the
whole process once made. Made inside a patch, it would outlive the run: the next
run in the process (or a test that expects the real process's lowest free fd from
``REAL_BASE``, patch_fds/space.py) would find its resource, and its trace would
depend on what ran before. Each entry of ``FRESH`` names such a global and how to
make a fresh, empty one of the same class: the patch puts the fresh one there,
and on exit releases what the fresh one acquired and puts the original back.

- Twisted's ``twisted.internet.tcp._reservedFD``: the file descriptor Twisted
  reserves (``open(os.devnull)``) at its first ``listenTCP``, to close when
  ``accept`` fails with EMFILE. Made in a patch, it is a real file at 512.
"""
from __future__ import annotations

import sys
from collections.abc import Callable, MutableMapping
from typing import Any

Assign = Callable[[MutableMapping[str, Any], str, Any], None]


def _fresh_reservation(original: Any) -> Any:
    return type(original)(original._fileFactory)


def _release_reservation(reservation: Any) -> None:
    held, reservation._fileDescriptor = reservation._fileDescriptor, None
    if held is not None:
        held.close()


# (module, global, a fresh one like the original, release what one acquired)
FRESH: tuple[tuple[str, str, Callable[[Any], Any], Callable[[Any], None]], ...] = (
    ("twisted.internet.tcp", "_reservedFD", _fresh_reservation, _release_reservation),
)


def _reservation(module_name: str, name: str) -> Any:
    module = sys.modules.get(module_name)
    found = vars(module).get(name) if module is not None else None
    # (a Twisted without the reservation has a _NullFileDescriptorReservation: nothing to do)
    return found if hasattr(found, "_fileFactory") else None


def fresh_library_state(assign: Assign) -> Callable[[], None]:
    """Put a fresh object in each global of ``FRESH`` already imported; returns what exit runs:
    release what the fresh ones (or ones made by modules imported during the patch) acquired."""
    fresh: list[tuple[Any, Callable[[Any], None]]] = []
    late: list[tuple[str, str, Callable[[Any], None]]] = []  # not imported yet
    for module_name, name, make, release in FRESH:
        original = _reservation(module_name, name)
        if original is None:
            late.append((module_name, name, release))
            continue
        new = make(original)
        assign(vars(sys.modules[module_name]), name, new)
        fresh.append((new, release))

    def release_all() -> None:
        for module_name, name, release in late:
            made = _reservation(module_name, name)
            if made is not None:  # imported during the patch: the object stays, empty
                release(made)
        while fresh:
            new, release = fresh.pop()
            release(new)

    return release_all
