"""No real process, ever: under k.patch() every way Python starts a process raises NotModelled,
which ``except NotImplementedError`` also catches, and nothing is started (patch_processes.py)."""
from __future__ import annotations

import _posixsubprocess
import asyncio
import concurrent.futures.process  # loaded before the patch, as a program importing it would
import ctypes.util
import multiprocessing
import os
import pathlib
import pty
import subprocess
from collections.abc import Callable, Iterator
from typing import Any

import pytest

import epollsim
from epollsim.errors import NotModelled


def children() -> list[int]:
    """This process's children (those other tests of the session left included), from /proc."""
    found = []
    for name in os.listdir("/proc"):
        if name.isdigit():
            try:
                stat = pathlib.Path(f"/proc/{name}/stat").read_text()
            except OSError:
                continue
            if int(stat.rpartition(")")[2].split()[1]) == os.getpid():
                found.append(int(name))
    return sorted(found)


@pytest.fixture
def marker(tmp_path: pathlib.Path) -> Iterator[pathlib.Path]:
    """A file a started process would create: it must never exist; and no child is left."""
    path = tmp_path / "a-process-ran"
    before = children()
    yield path
    assert not path.exists(), "a real process ran"
    assert children() == before


def _cmd(marker: pathlib.Path) -> list[str]:
    return ["/bin/sh", "-c", f"touch {marker}"]


CALLS: dict[str, Callable[[pathlib.Path], Any]] = {
    "os.fork": lambda m: os.fork(),
    "os.forkpty": lambda m: os.forkpty(),
    "os.system": lambda m: os.system(f"touch {m}"),
    "os.popen": lambda m: os.popen(f"touch {m}"),
    "os.posix_spawn": lambda m: os.posix_spawn("/bin/sh", _cmd(m), {}),
    "os.posix_spawnp": lambda m: os.posix_spawnp("sh", _cmd(m), {}),
    "os.execv": lambda m: os.execv("/bin/sh", _cmd(m)),
    "os.execve": lambda m: os.execve("/bin/sh", _cmd(m), {}),
    "os.execvp": lambda m: os.execvp("sh", _cmd(m)),
    "os.spawnv": lambda m: os.spawnv(os.P_WAIT, "/bin/sh", _cmd(m)),
    "subprocess.Popen": lambda m: subprocess.Popen(_cmd(m)),
    "subprocess.run": lambda m: subprocess.run(_cmd(m), check=True),
    "subprocess.check_output": lambda m: subprocess.check_output(_cmd(m)),
    "pty.fork": lambda m: pty.fork(),
    "_posixsubprocess.fork_exec": lambda m: _posixsubprocess.fork_exec(),  # type: ignore[call-arg]
    "multiprocessing.Process.start": lambda m: multiprocessing.Process(target=print).start(),
}


@pytest.mark.parametrize("name", list(CALLS))
def test_each_way_to_start_a_process_raises_not_modelled_and_starts_nothing(
    name: str, marker: pathlib.Path
) -> None:
    k = epollsim.Kernel()
    with k.patch():
        with pytest.raises(NotImplementedError) as caught:
            CALLS[name](marker)
    assert isinstance(caught.value, NotModelled) and isinstance(caught.value, epollsim.Unsupported)
    assert "real processes are not modelled by epollsim" in str(caught.value)


def test_the_message_names_the_call_the_program_made(marker: pathlib.Path) -> None:
    k = epollsim.Kernel()
    with k.patch():
        with pytest.raises(NotModelled, match=r"^subprocess\.Popen: real processes are not modelled"):
            subprocess.run(_cmd(marker))
        with pytest.raises(NotModelled, match=r"^os\.system: "):
            os.system(f"touch {marker}")


def test_a_copy_made_at_import_is_refused_too(marker: pathlib.Path) -> None:
    """subprocess (3.11+) copies fork_exec at import: the patch's scan rebinds the copy."""
    copy = getattr(subprocess, "_fork_exec", None)
    if copy is None:
        pytest.skip("this Python's subprocess calls _posixsubprocess.fork_exec by attribute")
    k = epollsim.Kernel()
    with k.patch():
        with pytest.raises(NotModelled, match="_posixsubprocess.fork_exec"):
            subprocess._fork_exec()  # type: ignore[attr-defined]
    assert subprocess._fork_exec is copy  # type: ignore[attr-defined]


def test_probing_code_takes_its_fallback(marker: pathlib.Path) -> None:
    def can_fork() -> bool:
        try:
            pid = os.fork()
        except NotImplementedError:
            return False
        if pid == 0:  # pragma: no cover (a real child: must never happen)
            os._exit(0)
        os.waitpid(pid, 0)
        return True

    k = epollsim.Kernel()
    with k.patch():
        assert can_fork() is False


def test_waiting_for_a_child_is_echild_the_model_has_none() -> None:
    k = epollsim.Kernel()
    with k.patch():
        for call in (lambda: os.wait(), lambda: os.waitpid(-1, 0), lambda: os.waitpid(12345, os.WNOHANG)):
            with pytest.raises(ChildProcessError) as caught:
                call()
            assert caught.value.errno == 10 and caught.value.strerror == "No child processes"


def test_asyncio_subprocesses_and_child_watchers_raise_not_implemented(marker: pathlib.Path) -> None:
    k = epollsim.Kernel()

    async def main() -> None:
        with pytest.raises(NotImplementedError, match="asyncio subprocesses are not modelled"):
            await asyncio.create_subprocess_exec("/bin/sh", "-c", f"touch {marker}")

    with k.patch():
        with pytest.raises(NotImplementedError, match="child watchers are not modelled"):
            asyncio.get_event_loop_policy().get_child_watcher()
        with pytest.raises(NotImplementedError):
            asyncio.get_event_loop_policy().set_child_watcher(None)
        asyncio.run(main())


def test_find_library_answers_none_and_runs_nothing(marker: pathlib.Path) -> None:
    """ctypes.util.find_library runs ldconfig, gcc and ld: under the patch it answers as on a host where
    none can run (None), so libraries that look a C library up at import (trio) take their fallback."""
    assert ctypes.util.find_library("c") is not None  # the real one finds libc here
    k = epollsim.Kernel()
    with k.patch():
        assert ctypes.util.find_library("c") is None
        assert ctypes.util.find_library("pthread") is None


def test_everything_is_real_again_after_the_patch(tmp_path: pathlib.Path) -> None:
    originals = (os.fork, os.system, os.waitpid, _posixsubprocess.fork_exec, ctypes.util.find_library,
                 subprocess.Popen.__init__, multiprocessing.process.BaseProcess.start)
    k = epollsim.Kernel()
    with k.patch():
        assert os.fork is not originals[0]
        assert subprocess.Popen.__init__ is not originals[5]
    assert (os.fork, os.system, os.waitpid, _posixsubprocess.fork_exec, ctypes.util.find_library,
            subprocess.Popen.__init__, multiprocessing.process.BaseProcess.start) == originals
    marker = tmp_path / "ran"
    subprocess.run(["/bin/sh", "-c", f"touch {marker}"], check=True)
    assert marker.exists()


def test_process_pools_raise_not_modelled(marker: pathlib.Path) -> None:
    import multiprocessing.pool

    k = epollsim.Kernel()
    with k.patch():
        with pytest.raises(NotImplementedError, match=r"^multiprocessing\.Pool: real processes are not"):
            multiprocessing.pool.Pool(2)
        with pytest.raises(NotImplementedError, match=r"^concurrent\.futures\.ProcessPoolExecutor: real"):
            concurrent.futures.ProcessPoolExecutor(max_workers=1)
