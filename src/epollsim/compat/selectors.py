"""A stand-in for ``selectors``: CPython's own selector classes, pointed at the model's ``select``.

Theory of operation
-------------------
``Lib/selectors.py`` reaches the kernel in exactly three places, all through
its module global ``select``, and two of them are bound when the classes are
created: ``PollSelector._selector_cls = select.poll``, ``EpollSelector.
_selector_cls = select.epoll`` and ``SelectSelector._select = select.select``.
Everything else (the fd map, ``_fileobj_to_fd``, the event translation, the
timeout rounding with ``math.ceil``, the error messages) is pure Python over
those objects. So each host gets three small subclasses of the stdlib's own
classes that replace just those class attributes with the host's
``k.select`` objects: the code that runs is CPython's, line for line, and the
real ``select`` module is never touched. The only module globals the
inherited code still reads are ``select.EPOLLIN``/``EPOLLOUT`` in
``EpollSelector.select`` (the real constants, the same numbers as Linux's)
and ``math``.

``DefaultSelector`` is ``EpollSelector``, as ``_can_use('epoll')`` chooses on
Linux; ``DevpollSelector`` and ``KqueueSelector`` do not exist on Linux, so
reading them raises AttributeError, as it does there. ``SelectorKey``,
``BaseSelector``, ``EVENT_READ``/``EVENT_WRITE`` are the stdlib's own
objects, so ``isinstance`` checks and keys compare alike on both sides.
"""
from __future__ import annotations

import math
import selectors as _real_selectors
from typing import TYPE_CHECKING, Any

from ._module import StandIn, copy_constants, on_first_use

if TYPE_CHECKING:
    import abc
    import collections.abc
    import types

    from .select import SelectModule

_stdlib: Any = _real_selectors  # for its private names
# Taken at import: while a patch is active the real module's attributes are a kernel's classes.
_SelectSelector = _real_selectors.SelectSelector
_PollSelector = _real_selectors.PollSelector
_EpollSelector = _real_selectors.EpollSelector


class SelectorsModule(StandIn):
    """``k.selectors``: the stdlib's selector classes over one host's ``k.select``."""

    _mirrors = _real_selectors
    SelectorKey = _real_selectors.SelectorKey
    EVENT_READ = _real_selectors.EVENT_READ
    EVENT_WRITE = _real_selectors.EVENT_WRITE
    BaseSelector = _real_selectors.BaseSelector
    _BaseSelectorImpl = _stdlib._BaseSelectorImpl
    _PollLikeSelector = _stdlib._PollLikeSelector
    _SelectorMapping = _stdlib._SelectorMapping
    _fileobj_to_fd = staticmethod(_stdlib._fileobj_to_fd)
    # The pure-Python helpers the real module imports (nothing here reaches the kernel).
    ABCMeta: type[abc.ABCMeta] = _stdlib.ABCMeta
    abstractmethod = staticmethod(_stdlib.abstractmethod)
    namedtuple = staticmethod(_stdlib.namedtuple)
    Mapping: type[collections.abc.Mapping[Any, Any]] = _stdlib.Mapping
    math = math
    sys: types.ModuleType = _stdlib.sys

    def __init__(self, select: SelectModule) -> None:
        self.select = select

    # Made on first use (compat/_module.py): a subclass of an ABC costs about 10 us.
    SelectSelector: on_first_use[type[_real_selectors.SelectSelector]] = on_first_use(
        lambda m: type(
            "SelectSelector", (_SelectSelector,), {"__module__": "selectors", "_select": staticmethod(m.select.select)}
        )
    )
    PollSelector: on_first_use[type[_real_selectors.PollSelector]] = on_first_use(
        lambda m: type(
            "PollSelector", (_PollSelector,), {"__module__": "selectors", "_selector_cls": staticmethod(m.select.poll)}
        )
    )
    EpollSelector: on_first_use[type[_real_selectors.EpollSelector]] = on_first_use(
        lambda m: type("EpollSelector", (_EpollSelector,), {"__module__": "selectors", "_selector_cls": m.select.epoll})
    )
    DefaultSelector: on_first_use[type[_real_selectors.EpollSelector]] = on_first_use(lambda m: m.EpollSelector)

    def _can_use(self, method: str) -> bool:
        """selectors._can_use, asked of the model: epoll, poll and select exist; devpoll and kqueue do not."""
        return method in ("epoll", "poll", "select")


copy_constants(SelectorsModule, prefixes=("EVENT_",))
