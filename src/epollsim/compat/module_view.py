"""Where the model's own code looks a stand-in module's names up: at call time, where a program would.

Theory of operation
-------------------
CPython's asyncio reads ``socket.getaddrinfo``, ``socket.socket`` and the rest
from its module globals at every call, so a test's
``unittest.mock.patch("socket.getnameinfo", fake)`` reaches ``loop.getnameinfo``.
The model's loop runs CPython's code rebound over a host's stand-ins
(``asyncio_rebind.py``); its ``socket`` global is a ``ModuleView`` of the
host's socket stand-in, which answers each name from

- the real module, while a ``k.patch()`` of this host is active (the patch
  sets the stand-in's ``_patched_into``): its attribute is the stand-in's, or
  whatever a test put there on top (a mock);
- the stand-in itself otherwise, so ``mock.patch.object(k.socket, "getnameinfo",
  fake)`` reaches a ``k.asyncio`` loop, as ``mock.patch("socket.getnameinfo")``
  reaches a real one.

Only names are looked up through the view, once per use; nothing on a data path
(send, recv, the selector) goes through it.
"""
from __future__ import annotations

from typing import Any


class ModuleView:
    """A stand-in module's names, looked up at call time (see the module comment)."""

    __slots__ = ("_stand_in",)

    def __init__(self, stand_in: Any) -> None:
        self._stand_in = stand_in

    def __getattr__(self, name: str) -> Any:
        stand_in = self._stand_in
        real = stand_in._patched_into
        return getattr(stand_in if real is None else real, name)

    def __repr__(self) -> str:
        return f"<view of {self._stand_in!r}>"
