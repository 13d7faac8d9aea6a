"""The architecture's rules, checked: layers import only downward, the model never calls the real
kernel, and no clock or randomness leaks in outside the kernel."""
from __future__ import annotations

import ast
import fcntl
import os
import pathlib
import select
import socket

import pytest

import epollsim

SRC = pathlib.Path(epollsim.__file__).parent

# Lowest first: a module may import from its own layer or any earlier one.
LAYERS = [
    "_compiled", "abi", "errors", "clock", "vfs", "net", "files", "sched", "process",
    "syscalls", "compat", "patch_hosts", "patch_gc", "patch_hashes", "patch_random", "patch_clocks", "patch_processes", "patch_threads", "patch_libraries", "patch_escapes", "patch_fds", "patch_methods", "patching", "observe", "host", "trace", "kernel",
    "tools.demo", "tools.programs", "tools.runner", "tools.pool", "tools.systematic_parts", "tools.exploration", "tools.dask_explore", "testing",
    "tools.diff", "tools.progress", "tools.cli", "tools", "__init__", "__main__",
]


def layer_of(module: str) -> int:
    """The layer of the longest listed prefix: ``tools.runner`` is a layer, ``vfs.epoll`` is ``vfs``'s."""
    parts = module.split(".")
    for n in range(len(parts), 0, -1):
        if ".".join(parts[:n]) in LAYERS:
            return LAYERS.index(".".join(parts[:n]))
    raise ValueError(f"{module!r} is in no layer")


def epollsim_imports(path: pathlib.Path) -> list[str]:
    """Dotted names (relative to the package) this file imports from epollsim."""
    rel_parts = path.relative_to(SRC).with_suffix("").parts
    package = rel_parts[:-1] if rel_parts[-1] != "__init__" else rel_parts[:-1]
    found = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = list(package[: len(package) - (node.level - 1)])
                target = ".".join(base + ([node.module] if node.module else []))
                if not target:  # "from . import x" at the top
                    found.extend(alias.name for alias in node.names)
                else:
                    found.append(target)
            elif node.module and node.module.startswith("epollsim"):
                found.append(node.module.partition(".")[2] or "__init__")
    return found


@pytest.mark.parametrize("path", sorted(SRC.rglob("*.py")), ids=lambda p: str(p.relative_to(SRC)))
def test_layers_import_only_downward(path: pathlib.Path) -> None:
    own = layer_of(".".join(path.relative_to(SRC).with_suffix("").parts))
    for target in epollsim_imports(path):
        assert layer_of(target) <= own, f"{path.relative_to(SRC)} imports {target} from a higher layer"


@pytest.mark.parametrize("path", sorted(SRC.rglob("*.py")), ids=lambda p: str(p.relative_to(SRC)))
def test_no_real_time_or_randomness_in_the_model(path: pathlib.Path) -> None:
    rel = path.relative_to(SRC)
    allowed = {
        pathlib.Path("kernel.py"),  # owns the one seeded random.Random
        pathlib.Path("compat/time.py"),  # the stand-in reads the real module's names, never its clock
        pathlib.Path("compat/random.py"),  # the program's entropy: generators seeded from the kernel's seed
        pathlib.Path("testing/backends.py"),  # the real backend hands tests the real time module
        pathlib.Path("tools/diff.py"),  # diff's real side runs the program on the host's own modules, time included
        pathlib.Path("tools/progress.py"),  # the command line's progress line: wall-clock rate and time left
    }
    tree = ast.parse(path.read_text())
    for node in ast.walk(tree):
        names = []
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and not node.level:
            names = [node.module or ""]
        for name in names:
            if name in ("time", "random") and rel not in allowed:
                pytest.fail(f"{rel} imports {name}")


REAL_CALLS = [
    (os, ["read", "write", "close", "pipe", "pipe2", "dup", "dup2", "eventfd", "eventfd_read",
          "eventfd_write", "fstat", "set_blocking", "get_blocking", "set_inheritable",
          "get_inheritable", "open", "closerange"]),
    (select, ["epoll", "poll", "select"]),
    (socket, ["socket", "socketpair", "fromfd"]),
    (fcntl, ["fcntl", "ioctl"]),
]


def test_the_model_never_calls_the_real_kernel(monkeypatch: pytest.MonkeyPatch) -> None:
    def forbidden(*args: object, **kwargs: object) -> None:
        raise AssertionError("the model called the real kernel")

    with monkeypatch.context() as patch:  # undone before pytest's own teardown uses os
        for module, names in REAL_CALLS:
            for name in names:
                patch.setattr(module, name, forbidden)
        run_model_workload()


def run_model_workload() -> None:
    from epollsim.tools.demo import program

    k = epollsim.Kernel()
    assert program(k.os, k.select, k.socket)
    fd = k.os.open("/dev/null", k.os.O_RDWR)
    k.os.fstat(fd)
    k.fcntl.fcntl(fd, k.fcntl.F_GETFL)
    efd = k.os.eventfd(0, k.os.EFD_NONBLOCK)
    k.os.eventfd_write(efd, 3)
    assert k.os.eventfd_read(efd) == 3
    p = k.select.poll()
    p.register(efd)
    assert p.poll(0) == [(efd, k.select.POLLOUT)]


def test_unmodelled_names_fail_loudly() -> None:
    k = epollsim.Kernel()
    with pytest.raises(epollsim.Unsupported, match="os.fork is not modelled"):
        k.os.fork
    with pytest.raises(epollsim.Unsupported, match="fcntl.flock is not modelled"):
        k.fcntl.flock
    with pytest.raises(AttributeError):
        k.os.no_such_function
    with pytest.raises(epollsim.Unsupported):
        k.os.open("/etc/passwd", k.os.O_RDONLY)


def test_every_socket_class_has_its_send_and_receive() -> None:
    """send and recv find a socket's family by its exact class (syscalls/__init__.py): a socket
    class missing from the maps would answer ENOTSOCK."""
    from epollsim.syscalls import Syscalls
    from epollsim.vfs.file import OpenFile

    def subclasses(cls: type) -> list[type]:
        return [c for sub in cls.__subclasses__() for c in (sub, *subclasses(sub))]

    leaves = {cls for cls in subclasses(OpenFile) if getattr(cls, "kind", None) == "socket"
              and not cls.__subclasses__() and cls.__module__.startswith("epollsim.")}
    assert {cls.__name__ for cls in leaves} == {"TcpSocket", "UdpSocket", "UnixSocket", "UnixDgramSocket"}
    assert leaves < set(Syscalls.SENDMSG) == set(Syscalls.RECVMSG)
