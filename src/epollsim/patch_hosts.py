"""Several hosts under one ``k.patch()``: each patched name answers for the running thread's host.

Theory of operation
-------------------
A patch replaces the real modules' names with a host's stand-ins. With one host
that is all. With several, an unmodified program runs its server on one host
and its client on another (``server.start(main)``: a thread runs on the host
that started it), and both call the very same ``socket.socket`` and
``select.epoll``. So where the hosts' stand-ins differ (every name of ``os``,
``socket``, ``select``, ``selectors``, ``fcntl``; not ``time`` or ``threading``,
which are the kernel's), the patch installs a *router* instead:

- a **function** router looks up the running thread's host at each call
  (``sched.current.host``; a thread with none runs on the patch's host) and
  calls that host's function: one attribute walk and one call more;
- a **class** router (``socket.socket``, ``select.epoll``, the selector and
  loop classes) is a class whose metaclass makes ``Router(...)`` build the
  running host's instance, and whose ``isinstance``/``issubclass`` accept every
  host's class. A class a program derives from a router (``class
  MySock(socket.socket)`` inside the patch) is made concrete per host on first
  use: ``MySock`` itself first in the MRO, then that host's class, so its
  methods and ``super()`` work as they would over the real class;
- ``socket.socket`` (and ``SocketType``) is no router but **one class for every
  host**: libraries check ``type(sock) is socket.socket`` (trio's
  ``from_stdlib_socket``), so every socket the program gets must be of that very
  class. It is the model's socket class with the host's stand-in kept on each
  socket (``_module``, ``_sys`` slots) instead of on a class per host: a new
  socket takes the running thread's host, and the sockets the model makes
  (accept, dup, socketpair, fromfd) are of this class too while the patch is
  active, each on its own host (the stand-in's ``_shared``, and ``_module=`` to
  ``__new__``). A host's own ``host.socket.socket`` stays that host's class (a
  program may use a host's stand-ins by name); a host booted during the patch
  (a restart) is given the class at its first call of a ``socket`` name;
- asyncio's **policy** is routed the same way, one model policy per host.

Routers exist only while a patch of a kernel with more than one host is active;
a one-host kernel keeps today's direct replacements, at no cost.
"""
from __future__ import annotations

from collections.abc import Callable, MutableMapping
from typing import Any

from .compat.socket_object import socket as _model_socket
from .errors import Unsupported
from .sched.scheduler import Scheduler


class HostRouter:
    """Which host the running thread is on; and routers over the hosts' stand-ins."""

    def __init__(self, sched: Scheduler, default: Any, hosts: dict[str, Any],
                 assign: Callable[[MutableMapping[str, Any], str, Any], None]) -> None:
        self.sched = sched
        self.default = default  # the patch's host: threads that run on no host in particular
        self.hosts = hosts  # the kernel's dict: hosts added during the patch are routed to as well
        self.assign = assign  # the patch's: sets a name until the patch exits
        self._socket: type | None = None  # the hosts' one socket class, made on first use

    def host(self) -> Any:
        host = self.sched.current.host
        return self.default if host is None else host

    def route(self, module: str, name: str, template: Any) -> Any:
        """A router for ``<module>.<name>``, or ``template`` itself when every host shares the module
        (``time``, ``threading``: the kernel's) or the model has no such name (a stub that refuses)."""
        modules = [getattr(h, module) for h in self.hosts.values()]
        if all(m is modules[0] for m in modules):
            return template
        try:
            getattr(modules[0], name)
        except (Unsupported, AttributeError):
            return template
        if module == "socket" and name in ("socket", "SocketType"):
            return self.socket_class()
        if isinstance(template, type):
            return _router_class(self, module, name, template)
        return self._function(module, name, template)

    def _function(self, module: str, name: str, template: Any) -> Callable[..., Any]:
        host = self.host
        if module == "socket":  # socketpair, fromfd: sockets of the shared class, on a rebooted host too
            def stand_in() -> Any:
                return self.socket_module()
        else:
            def stand_in() -> Any:
                return getattr(host(), module)

        def routed(*args: Any, **kwargs: Any) -> Any:
            return getattr(stand_in(), name)(*args, **kwargs)

        for attr in ("__name__", "__qualname__", "__doc__", "__module__"):
            try:
                setattr(routed, attr, getattr(template, attr))
            except (AttributeError, TypeError):
                pass
        return routed

    def socket_class(self) -> type:
        """The one ``socket.socket`` of every host while the patch is active (see the module comment)."""
        if self._socket is None:
            self._socket = _shared_socket_class(self)
            for host in self.hosts.values():
                self.adopt(host.socket)
        return self._socket

    def socket_module(self) -> Any:
        """The running thread's host's socket stand-in, making the shared class if a host booted during
        the patch (a restart) has not got it yet."""
        module = self.host().socket
        if self._socket is not None and module._shared is not self._socket:
            self.adopt(module)
        return module

    def adopt(self, module: Any) -> None:
        """Make the sockets a host's stand-in makes of the shared class, until the patch exits."""
        if module._shared is not self._socket:
            self.assign(vars(module), "_shared", self._socket)

    def policy(self) -> Any:
        """asyncio's event loop policy: each host's own (its loops, one current loop per thread)."""
        policies: dict[int, tuple[Any, Any]] = {}  # id(host) -> (its asyncio stand-in, its policy)
        router = self

        class RoutedPolicy:
            def __getattr__(self, name: str) -> Any:
                host = router.host()
                module = host.asyncio
                known = policies.get(id(host))
                if known is None or known[0] is not module:  # new, or the host restarted
                    known = policies[id(host)] = (module, module.EventLoopPolicy())
                return getattr(known[1], name)

        return RoutedPolicy()


class _RouterMeta(type):
    """The metaclass of class routers: calls build the running host's class; checks accept every host's."""

    _router: HostRouter
    _module_name: str
    _name: str
    _root: type  # the router class itself (a derived class keeps it)
    _concrete: dict[int, tuple[Any, type]]  # id(host) -> (its stand-in module, the class on that host)

    def __call__(cls, *args: Any, **kwargs: Any) -> Any:
        if "_routed_for" in cls.__dict__:  # a concrete class: make an instance, as any class does
            return super().__call__(*args, **kwargs)
        return cls._on(cls._router.host())(*args, **kwargs)

    def _on(cls, host: Any) -> type:
        module = getattr(host, cls._module_name)
        known = cls._concrete.get(id(host))
        if known is not None and known[0] is module:
            return known[1]
        base: type = getattr(module, cls._name)  # (a host that restarted has new stand-ins: new classes)
        if cls is cls._root:
            target = base
        else:  # a program's class derived from the router: itself first, then the host's class
            target = _RouterMeta(cls.__name__, (cls, base), {
                "_routed_for": host, "__module__": cls.__module__, "__qualname__": cls.__qualname__,
            })
        cls._concrete[id(host)] = (module, target)
        return target

    def __instancecheck__(cls, obj: Any) -> bool:
        if cls is cls._root:
            return any(isinstance(obj, cls._on(h)) for h in cls._router.hosts.values())
        return super().__instancecheck__(obj)

    def __subclasscheck__(cls, sub: type) -> bool:
        if cls is cls._root:
            return any(issubclass(sub, cls._on(h)) for h in cls._router.hosts.values())
        return super().__subclasscheck__(sub)


def _router_class(router: HostRouter, module: str, name: str, template: type) -> type:
    def init_subclass(sub: type, /, **kwargs: Any) -> None:
        if "_routed_for" not in sub.__dict__:
            sub._concrete = {}  # type: ignore[attr-defined]

    cls = _RouterMeta(name, (), {
        "__module__": template.__module__, "__qualname__": template.__qualname__, "__doc__": template.__doc__,
        "__init_subclass__": classmethod(init_subclass),
    })
    cls._router, cls._module_name, cls._name, cls._root, cls._concrete = router, module, name, cls, {}
    return cls



def _shared_socket_class(router: HostRouter) -> type:
    """The model's socket class with the host's stand-in on each socket, not on the class."""
    base_new = _model_socket.__new__

    def __new__(cls: type, *args: Any, _module: Any = None, **kwargs: Any) -> Any:  # noqa: N807
        self = base_new(cls)
        if _module is None:
            _module = router.socket_module()
        self._module, self._sys = _module, _module._sys  # type: ignore[misc]  # slots of this class
        return self

    shared: type = type("socket", (_model_socket,), {
        "__slots__": ("_module", "_sys"), "__new__": __new__, "__module__": "socket",
        "__qualname__": "socket", "__doc__": _model_socket.__doc__,
    })
    return shared
