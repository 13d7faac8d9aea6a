"""Under k.patch() the model and the real process share one fd number space (patch_fds/): real
files keep real fds, the model's files never take a number the process holds and the process is
never given one the model holds, and each fd call goes to the side that owns its number.

"Both sides" is checked with fstat: the real ``os.fstat`` taken before any patch (a number the
model holds is a placeholder there: an O_PATH fd of /dev/null) and the model's table."""
from __future__ import annotations

import ctypes
import errno
import fcntl
import io
import logging
import os
import pathlib
import select
import shutil
import socket
import stat
import tempfile
from collections.abc import Iterator

import pytest

import epollsim
from epollsim.patch_fds import SharedFds
from epollsim.testing.real_fds import RealFdEscape, only_file_fds, open_fds

# In a dict: a patch (and only_file_fds) rebinds module globals that *are* a replaced function.
REAL = {"fstat": os.fstat, "pipe": os.pipe, "fcntl": fcntl.fcntl, "socket": socket.socket}


@pytest.fixture
def k() -> Iterator[epollsim.Kernel]:
    yield epollsim.Kernel()


def model_fds(k: epollsim.Kernel) -> dict[int, str]:
    return {n: f.kind for n, f in k.process.fdtable.files.items()}


def is_placeholder(fd: int) -> bool:
    """An O_PATH fd of /dev/null in the real process."""
    st = REAL["fstat"](fd)
    o_path = REAL["fcntl"](fd, fcntl.F_GETFL) & os.O_PATH
    return bool(o_path) and stat.S_ISCHR(st.st_mode) and os.major(st.st_rdev) == 1 and os.minor(st.st_rdev) == 3


def assert_apart(k: epollsim.Kernel, real: list[int], shared: SharedFds) -> None:
    """Every model number is reserved in the real process (or shadows a file the real process
    held at entry); every real file is the real one's, numbered from the base."""
    held = model_fds(k)
    for n in held:
        assert is_placeholder(n) or n in shared.shadowed, (n, held[n])
    for n in real:
        assert n not in held and n >= shared.base
        assert stat.S_ISREG(REAL["fstat"](n).st_mode)
        assert os.fstat(n) == REAL["fstat"](n)  # the dispatcher takes it to the real kernel


def test_files_tempfile_logging_and_pathlib_never_collide_with_model_fds(
    k: epollsim.Kernel, tmp_path: pathlib.Path
) -> None:
    log = logging.getLogger("test_patch_fds")
    with k.patch() as patch:
        ep = select.epoll()
        r, w = os.pipe()
        handler = logging.FileHandler(tmp_path / "log.txt")
        log.addHandler(handler)
        log.warning("logged under the patch")
        a, b = socket.socketpair()
        f = open(tmp_path / "f.txt", "w")
        tf = tempfile.TemporaryFile()
        efd = os.eventfd(0)
        g = (tmp_path / "f.txt").open()
        model = [ep.fileno(), r, w, a.fileno(), b.fileno(), efd]
        real = [handler.stream.fileno(), f.fileno(), tf.fileno(), g.fileno()]
        assert not set(model) & set(real)
        assert patch._fds is not None
        assert_apart(k, real, patch._fds)
        assert [model_fds(k)[n] for n in model] == ["epoll", "pipe", "pipe", "socket", "socket", "eventfd"]
        ep.register(r, select.EPOLLIN)
        os.write(w, b"x")
        assert ep.poll(0) == [(r, select.EPOLLIN)]
        for obj in (f, tf, g, a, b, ep):
            obj.close()
        log.removeHandler(handler)
        handler.close()
    assert (tmp_path / "log.txt").read_text() == "logged under the patch\n"


def test_gettempdir_inside_the_patch_leaves_the_models_epoll_alone(
    k: epollsim.Kernel, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(tempfile, "tempdir", None)  # gettempdir probes by writing a real file
    with k.patch():
        ep = select.epoll()
        r, w = os.pipe()
        ep.register(r, select.EPOLLIN)
        assert tempfile.gettempdir()
        assert model_fds(k)[ep.fileno()] == "epoll"
        os.write(w, b"x")
        assert ep.poll(0) == [(r, select.EPOLLIN)]


def test_model_numbers_are_the_models_own_whatever_the_runner_holds(
    k: epollsim.Kernel, tmp_path: pathlib.Path
) -> None:
    path = tmp_path / "f"
    path.write_text("data")
    runner_file = open(path)  # a runner's file, held when the patch is entered
    with k.patch() as patch:
        assert patch._fds is not None
        f = open(path)  # the program's real file: numbered from the base, not the lowest free
        assert f.fileno() == patch._fds.base
        r, w = os.pipe()
        assert (r, w) == (3, 4)  # as in a fresh process: the runner's files do not move them
        assert runner_file.read() == "data"  # the runner's file still works through its object
        f.close()
        g = open(path)
        assert g.fileno() == patch._fds.base  # free again
        assert_apart(k, [g.fileno()], patch._fds)
        g.close()
    runner_file.close()


def test_open_fdopen_and_io_open_on_a_model_fd_use_the_models_file(k: epollsim.Kernel) -> None:
    with k.patch():
        r, w = os.pipe()
        with os.fdopen(w, "w") as out:
            out.write("line one\nline two\n")
        assert w not in model_fds(k)  # closing the file object closed the model's fd
        with open(r) as inp:
            assert inp.readline() == "line one\n"
            assert inp.read() == "line two\n"  # EOF: the write end is closed
        assert r not in model_fds(k)
        r, w = os.pipe()
        raw = io.open(r, "rb", buffering=0, closefd=False)  # noqa: UP020 (io.open itself)
        os.write(w, b"abc")
        assert raw.read(10) == b"abc"
        assert not raw.seekable() and not raw.isatty()
        raw.close()
        assert model_fds(k)[r] == "pipe"  # closefd=False


def test_socket_fileno_of_a_model_fd_is_a_working_socket(k: epollsim.Kernel) -> None:
    with k.patch():
        a, b = socket.socketpair()
        c = socket.socket(fileno=os.dup(a.fileno()))
        c.sendall(b"via fileno")
        assert b.recv(100) == b"via fileno"
        for s in (a, b, c):
            s.close()


def test_a_real_terminal_in_the_models_poll_or_epoll_is_unsupported(k: epollsim.Kernel) -> None:
    with k.patch():
        master, slave = os.openpty()  # real devices: real fds, off the model's numbers
        assert master not in model_fds(k) and slave not in model_fds(k)
        ep = select.epoll()
        with pytest.raises(epollsim.Unsupported, match=f"fd {master} is a real character device"):
            ep.register(master, select.EPOLLIN)
        with pytest.raises(epollsim.Unsupported, match="real character device"):
            select.select([slave], [], [], 0)
        p = select.poll()
        p.register(master)
        with pytest.raises(epollsim.Unsupported):
            p.poll(0)
        os.close(master)
        os.close(slave)


def test_a_real_socket_given_to_the_model_is_unsupported(k: epollsim.Kernel) -> None:
    real = REAL["socket"](socket.AF_UNIX, socket.SOCK_DGRAM)  # made past the patch, as C code could
    try:
        with k.patch():
            assert real.fileno() not in model_fds(k)
            with pytest.raises(epollsim.Unsupported, match=f"fd {real.fileno()} is a real socket"):
                socket.socket(fileno=real.fileno())
            with pytest.raises(epollsim.Unsupported, match="real socket"):
                select.select([real], [], [], 0)
    finally:
        real.close()


def test_dup2_across_the_two_sides(k: epollsim.Kernel, tmp_path: pathlib.Path) -> None:
    path = tmp_path / "f"
    path.write_bytes(b"data")
    with k.patch():
        r, w = os.pipe()
        n = os.open(path, os.O_RDONLY)
        assert os.dup2(r, n) == n  # a model fd onto a real one: the real file there is closed
        assert model_fds(k)[n] == "pipe" and is_placeholder(n)
        os.write(w, b"x")
        assert os.read(n, 1) == b"x"
        g = os.open(path, os.O_RDONLY)
        assert os.dup2(g, n) == n  # a real fd onto a model one: the model's fd there is closed
        assert n not in model_fds(k)
        assert os.read(n, 10) == b"data"
        with pytest.raises(OSError) as caught:
            os.dup2(n + 1000, r)  # a bad oldfd: EBADF, and the model's fd stays
        assert caught.value.errno == errno.EBADF and model_fds(k)[r] == "pipe"
        os.close(n)
        os.close(g)


def test_closerange_closes_both_sides(k: epollsim.Kernel, tmp_path: pathlib.Path) -> None:
    (tmp_path / "f").write_bytes(b"")
    with k.patch():
        r, w = os.pipe()
        f = os.open(tmp_path / "f", os.O_RDONLY)
        low, high = min(r, w, f), max(r, w, f) + 1
        os.closerange(low, high)
        assert not {r, w} & set(model_fds(k))
        with pytest.raises(OSError):
            REAL["fstat"](f)
    # the patch left cleanly: its placeholders' source was not among the numbers closed


def test_numbers_both_sides_held_at_entry_are_the_models(
    k: epollsim.Kernel, tmp_path: pathlib.Path, capfd: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "f"
    path.write_bytes(b"data")
    f = open(path, "rb")
    n = f.fileno()
    k.os.dup2(k.os.open("/dev/null", os.O_RDWR), n)  # the model holds n too
    with k.patch():
        assert os.write(1, b"to the model's /dev/null") == 24
        assert stat.S_ISCHR(os.fstat(1).st_mode)
        assert os.read(n, 4) == b""  # the model's /dev/null, not the real file
        assert f.read() == b"data"  # the real file object still works on its own
        f.close()  # the real n is free now, behind os's back
        g = open(path, "rb")
        assert g.fileno() != n  # moved off the model's number at once
        assert is_placeholder(n) and os.read(n, 4) == b""
        g.close()
    assert capfd.readouterr().out == ""


def test_rmtree_walk_and_temporary_directory_cleanup_under_the_patch(k: epollsim.Kernel) -> None:
    with k.patch():
        ep = select.epoll()
        r, w = os.pipe()
        ep.register(r, select.EPOLLIN)
        with tempfile.TemporaryDirectory() as top:
            for sub in ("a", "a/b", "c"):
                os.makedirs(os.path.join(top, sub))
                pathlib.Path(top, sub, "file").write_text(sub)
            walked = sorted((os.path.relpath(d, top), sorted(files)) for d, _, files in os.walk(top))
            assert walked == [(".", []), ("a", ["file"]), ("a/b", ["file"]), ("c", ["file"])]
            shutil.rmtree(os.path.join(top, "a"))
            assert sorted(os.listdir(top)) == ["c"]
        assert not os.path.exists(top)
        os.write(w, b"x")
        assert ep.poll(0) == [(r, select.EPOLLIN)]  # the model's fds went through it untouched


def test_fcntl_and_fd_calls_without_a_model_answer(k: epollsim.Kernel, tmp_path: pathlib.Path) -> None:
    with k.patch():
        r, w = os.pipe()
        f = open(tmp_path / "f", "w")
        assert fcntl.fcntl(w, fcntl.F_GETFL) == os.O_WRONLY  # the model's
        assert fcntl.fcntl(f, fcntl.F_GETFL) & os.O_ACCMODE == os.O_WRONLY  # the real one's
        fcntl.flock(f, fcntl.LOCK_EX)
        with pytest.raises(epollsim.Unsupported):
            fcntl.flock(r, fcntl.LOCK_EX)
        os.fsync(f)
        with pytest.raises(OSError) as caught:
            os.fsync(w)  # a pipe has no fsync: EINVAL
        assert caught.value.errno == errno.EINVAL
        with pytest.raises(epollsim.Unsupported, match="os.fchmod on the model's pipe"):
            os.fchmod(w, 0o600)
        with pytest.raises(OSError) as caught:
            os.lseek(r, 0, os.SEEK_SET)
        assert caught.value.errno == errno.ESPIPE
        f.write("abc")
        f.flush()
        assert os.lseek(f.fileno(), 0, os.SEEK_CUR) == 3
        assert os.stat(r) == os.fstat(r) and stat.S_ISFIFO(os.stat(r).st_mode)
        with pytest.raises(OSError) as caught:
            os.get_terminal_size(w)
        assert caught.value.errno == errno.ENOTTY
        with pytest.raises(NotADirectoryError):
            os.listdir(r)  # fdopendir of a pipe
        with pytest.raises(epollsim.Unsupported, match="os.chmod on the model's pipe"):
            os.chmod(w, 0o600)  # never the placeholder, nor a runner's file the number shadows
        assert os.listdir(tmp_path) == ["f"] and sorted(os.listdir()) == sorted(os.listdir("."))
        f.close()


def test_vectors_and_sendfile_on_model_fds(k: epollsim.Kernel, tmp_path: pathlib.Path) -> None:
    (tmp_path / "f").write_bytes(b"0123456789")
    with k.patch():
        r, w = os.pipe()
        assert os.writev(w, [b"ab", bytearray(b"cd"), memoryview(b"ef")]) == 6
        one, two = bytearray(4), bytearray(4)
        assert os.readv(r, [one, two]) == 6
        assert (one, two) == (bytearray(b"abcd"), bytearray(b"ef\0\0"))
        assert os.pwritev(w, [b"gh"], -1) == 2 and os.preadv(r, [one], -1) == 2 and one[:2] == b"gh"
        for call in (lambda: os.preadv(r, [one], 0), lambda: os.pread(r, 1, 0), lambda: os.pwrite(w, b"x", 0)):
            with pytest.raises(OSError) as caught:  # the model's ESPIPE, not Unsupported
                call()
            assert caught.value.errno == errno.ESPIPE
        a, b = socket.socketpair()
        src = os.open(tmp_path / "f", os.O_RDONLY)
        assert os.sendfile(a.fileno(), src, None, 4) == 4
        assert os.sendfile(a.fileno(), src, 8, 100) == 2
        assert b.recv(100) == b"012389"
        assert os.lseek(src, 0, os.SEEK_CUR) == 4  # moved by the first only
        os.close(src)
        a.close()
        b.close()


def test_leaving_the_patch_releases_every_reservation(k: epollsim.Kernel) -> None:
    before = open_fds()
    supports = (set(os.supports_fd), set(os.supports_dir_fd), set(os.supports_follow_symlinks))
    with k.patch():
        kept = (os.pipe(), socket.socketpair(), select.epoll())
        assert os.open in os.supports_dir_fd and os.stat in os.supports_fd
        assert open_fds() != before
    assert open_fds() == before
    assert (set(os.supports_fd), set(os.supports_dir_fd), set(os.supports_follow_symlinks)) == supports
    assert k.process.fdtable.host_fds is None
    assert len(model_fds(k)) == 3 + 2 + 2 + 1  # the model's files outlive the patch
    assert kept


def test_outside_a_patch_the_model_never_asks_the_real_process(k: epollsim.Kernel) -> None:
    real = open("/dev/null")
    try:
        r, _ = k.os.pipe()
        assert r == 3  # Linux's lowest free number in the model's own process
    finally:
        real.close()


# -- only_file_fds(): real fd creation made impossible except for files -------------------------


def test_only_file_fds_lets_a_sealed_program_run(k: epollsim.Kernel, tmp_path: pathlib.Path) -> None:
    with only_file_fds(), k.patch():
        r, w = os.pipe()
        a, b = socket.socketpair()
        ep = select.epoll()
        (tmp_path / "f").write_text("a file is fine")
        os.write(w, b"x")
        a.sendall(b"y")
        assert os.read(r, 1) + b.recv(1) == b"xy"
        ep.close()


def test_only_file_fds_refuses_real_pipes_and_sockets() -> None:
    with only_file_fds():
        with pytest.raises(RealFdEscape, match="os.pipe"):
            os.pipe()
        with pytest.raises(RealFdEscape, match="socket.socketpair"):
            socket.socketpair()
        with pytest.raises(RealFdEscape, match="a real socket was made"):
            socket.socket()
        with pytest.raises(RealFdEscape):
            select.epoll()
        open(os.devnull).close()
    r, w = os.pipe()  # all real again after the block
    os.close(r)
    os.close(w)


def test_only_file_fds_finds_what_c_code_left_open() -> None:
    fds = (ctypes.c_int * 2)()
    with pytest.raises(RealFdEscape, match=r"pipe:\["):
        with only_file_fds():
            assert ctypes.CDLL(None).pipe(fds) == 0  # past every Python-level check
    os.close(fds[0])
    os.close(fds[1])


COPIED_PIPE = os.pipe  # a module's copy, as "from os import pipe" makes


def test_only_file_fds_puts_copies_back() -> None:
    with only_file_fds():
        assert os.pipe is not REAL["pipe"] and COPIED_PIPE is os.pipe
        with pytest.raises(RealFdEscape):
            COPIED_PIPE()
    assert os.pipe is REAL["pipe"] and COPIED_PIPE is REAL["pipe"]


def test_a_file_object_over_a_model_fd_stays_the_models_after_the_patch(k: epollsim.Kernel) -> None:
    with k.patch():
        r, w = os.pipe()
        out = open(w, "wb", buffering=0)
        inp = open(r, "rb")
        assert isinstance(inp, io.BufferedIOBase) and isinstance(out, io.RawIOBase)
    out.write(b"after")  # the model's pipe still: no real call on a number the patch released
    out.close()
    assert inp.read() == b"after"
    inp.close()
    assert r not in model_fds(k) and w not in model_fds(k)


# -- end to end: unmodified servers that also use files, with real fd creation made impossible --


def test_a_threaded_http_server_serving_files_and_logging_stays_sealed(tmp_path: pathlib.Path) -> None:
    import functools
    import http.client
    import http.server
    import threading

    (tmp_path / "index.html").write_text("<p>from a real file</p>")
    k = epollsim.Kernel()
    log = logging.getLogger("test_patch_fds.http")
    with only_file_fds(), k.patch():
        handler = logging.FileHandler(tmp_path / "access.log")
        log.addHandler(handler)

        class Files(http.server.SimpleHTTPRequestHandler):
            def log_message(self, format: str, *args: object) -> None:
                log.warning(format, *args)

        server = http.server.ThreadingHTTPServer(
            ("127.0.0.1", 0), functools.partial(Files, directory=str(tmp_path))
        )
        thread = threading.Thread(target=server.serve_forever)
        thread.start()
        client = http.client.HTTPConnection("localhost", server.server_address[1], timeout=5)
        client.request("GET", "/index.html")
        response = client.getresponse()
        body = response.read()
        client.close()
        server.shutdown()
        server.server_close()
        thread.join()
        log.removeHandler(handler)
        handler.close()
    assert (response.status, body) == (200, b"<p>from a real file</p>")
    assert '"GET /index.html HTTP/1.1" 200' in (tmp_path / "access.log").read_text()


def test_aiohttp_with_a_temporary_file_upload_stays_sealed(tmp_path: pathlib.Path) -> None:
    aiohttp = pytest.importorskip("aiohttp")
    import asyncio
    import threading

    from aiohttp import web

    k = epollsim.Kernel()
    server_host = k.add_host("server")
    up = k.threading.Event()

    async def serve() -> None:
        async def store(request: web.Request) -> web.Response:
            with tempfile.NamedTemporaryFile(dir=tmp_path, delete=False) as f:
                f.write(await request.read())
            return web.Response(text=os.path.basename(f.name))

        app = web.Application()
        app.router.add_post("/", store)
        runner = web.AppRunner(app)
        await runner.setup()
        await web.TCPSite(runner, "0.0.0.0", 8080).start()
        up.set()
        await asyncio.sleep(30)
        await runner.cleanup()

    async def upload() -> str:
        async with aiohttp.ClientSession() as session:
            with open(tmp_path / "payload", "rb") as payload:
                async with session.post("http://server:8080/", data=payload.read()) as resp:
                    return await resp.text()

    (tmp_path / "payload").write_bytes(b"x" * 100_000)
    with only_file_fds(), k.patch():
        thread = threading.Thread(target=server_host.asyncio.run, args=(serve(),))
        thread.start()
        up.wait()
        name = asyncio.run(upload())
        thread.join()
    assert (tmp_path / name).read_bytes() == b"x" * 100_000


def test_the_placeholders_source_is_invisible_to_the_program(k: epollsim.Kernel) -> None:
    with k.patch() as patch:
        assert patch._fds is not None
        source = patch._fds.source
        with pytest.raises(OSError) as caught:
            os.close(source)  # a program closing every fd it can think of cannot break the patch
        assert caught.value.errno == errno.EBADF
        os.closerange(source, source + 1)
        r, _w = os.pipe()
        assert is_placeholder(r) or r in patch._fds.shadowed  # reservations still work
        f = os.open(os.devnull, os.O_RDONLY)
        assert os.dup2(f, source) == source  # the number is the program's now; the source moved
        assert not is_placeholder(source) and stat.S_ISCHR(REAL["fstat"](source).st_mode)
        moved = patch._fds.source
        r2, _w2 = os.pipe()
        assert moved != source and (is_placeholder(r2) or r2 in patch._fds.shadowed)
        os.close(source)
        os.close(f)
    with pytest.raises(OSError):
        REAL["fstat"](moved)  # the source went with the patch


def test_f_dupfd_from_a_minimum_skips_the_real_processs_numbers(k: epollsim.Kernel, tmp_path: pathlib.Path) -> None:
    (tmp_path / "f").write_bytes(b"")
    with k.patch():
        r, _w = os.pipe()
        f = os.open(tmp_path / "f", os.O_RDONLY)
        low = min(f, r)
        n = fcntl.fcntl(r, fcntl.F_DUPFD, low)
        assert n not in (f, r) and model_fds(k)[n] == "pipe"
        n = fcntl.fcntl(r, fcntl.F_DUPFD, f)
        assert n == f + 1 and is_placeholder(n)  # the program's real file's number is skipped
        os.close(f)
        assert fcntl.fcntl(r, fcntl.F_DUPFD, f) == f  # free on both sides now


def test_the_runners_open_fds_do_not_change_the_numbers_a_program_sees(tmp_path: pathlib.Path) -> None:
    """So a seed gives the same trace inline, in an explore worker (which holds its pool's pipes)
    and in a replay."""

    def numbers() -> tuple[int, ...]:
        k = epollsim.Kernel()
        with k.patch():
            r, w = os.pipe()
            log = open(tmp_path / "log", "a")
            a, b = socket.socketpair()
            ep = select.epoll()
            seen = (r, w, log.fileno(), a.fileno(), b.fileno(), ep.fileno())
            for obj in (log, a, b, ep):
                obj.close()
        return seen

    alone = numbers()
    runner_files = [open(os.devnull) for _ in range(10)]
    try:
        crowded = numbers()
    finally:
        for f in runner_files:
            f.close()
    assert alone == crowded
    assert alone[:2] == (3, 4) and alone[3:5] == (5, 6)
