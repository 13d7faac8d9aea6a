"""k.patch(): unmodified code that imports socket, select, selectors, time, threading and asyncio
runs on the model inside the block, and every module is exactly itself again afterwards."""
from __future__ import annotations

import asyncio
import queue
import select
import selectors
import socket
import sys
import textwrap
import threading
import time
import types
from collections.abc import Iterator
from typing import Any

import pytest

import epollsim

PATCHED = [socket, select, selectors, time, threading, asyncio, asyncio.events, asyncio.unix_events, queue]

# An "unmodified program": it imports the usual way, before any patch exists.
PROGRAM = textwrap.dedent('''
    import asyncio
    import selectors
    import socket
    import threading
    import time
    from socket import socketpair
    from time import monotonic, sleep

    def pair():
        return socketpair()

    def nap(seconds):
        start = monotonic()
        sleep(seconds)
        return monotonic() - start

    def select_once(timeout):
        a, b = socketpair()
        with selectors.DefaultSelector() as sel:
            sel.register(a, selectors.EVENT_READ, "a")
            b.send(b"x")
            ready = [(key.data, events) for key, events in sel.select(timeout)]
        a.close()
        b.close()
        return ready

    async def echo_over_streams():
        a, b = socketpair()
        reader, writer = await asyncio.open_connection(sock=a)
        peer_reader, peer_writer = await asyncio.open_connection(sock=b)
        writer.write(b"ping\\n")
        line = await peer_reader.readline()
        await asyncio.sleep(30)
        peer_writer.write(line.upper())
        answer = await asyncio.wait_for(reader.readline(), timeout=5)
        for w in (writer, peer_writer):
            w.close()
            await w.wait_closed()
        return answer, asyncio.get_running_loop().time()

    def run_echo():
        return asyncio.run(echo_over_streams())

    def in_a_thread(fn):
        out = []
        t = threading.Thread(target=lambda: out.append(fn()), name="worker")
        t.start()
        t.join()
        return out[0], t
''')


@pytest.fixture
def program() -> Iterator[types.ModuleType]:
    module = types.ModuleType("epollsim_test_program")
    exec(compile(PROGRAM, "<program>", "exec"), vars(module))
    sys.modules[module.__name__] = module
    try:
        yield module
    finally:
        del sys.modules[module.__name__]


def snapshot() -> dict[str, dict[str, Any]]:
    return {m.__name__: dict(vars(m)) for m in PATCHED}


def assert_identical(before: dict[str, dict[str, Any]]) -> None:
    after = snapshot()
    for name, attrs in before.items():
        assert after[name].keys() == attrs.keys(), name
        changed = [a for a in attrs if after[name][a] is not attrs[a]]
        assert not changed, f"{name}: {changed} not restored"


def test_a_module_imported_before_the_patch_sees_the_model_inside_and_the_host_after(
    program: types.ModuleType,
) -> None:
    k = epollsim.Kernel()
    before = snapshot()
    real_socketpair = socket.socketpair
    with k.patch():
        a, b = program.pair()
        assert type(a) is k.socket.socket
        assert a.fileno() == 3 and k.file(3).kind  # an fd of the model's table
        assert round(program.nap(3600), 9) == 3600.00005  # nanosleep's 50 us timer slack
        assert program.select_once(10) == [("a", selectors.EVENT_READ)]
        a.close()
        b.close()
    assert_identical(before)
    assert program.socketpair is real_socketpair and program.monotonic is time.monotonic
    a, b = program.pair()
    try:
        assert type(a) is socket.socket
    finally:
        a.close()
        b.close()


def test_unmodified_asyncio_code_runs_on_the_model_loop_without_wall_time(program: types.ModuleType) -> None:
    k = epollsim.Kernel()
    wall = time.perf_counter()
    with k.patch():
        answer, loop_time = program.run_echo()
    assert time.perf_counter() - wall < 2.0
    assert answer == b"PING\n" and loop_time == k.time.monotonic() == 1030.00005  # with epoll's slack


def test_asyncio_entry_points_make_model_loops(program: types.ModuleType) -> None:
    k = epollsim.Kernel()
    with k.patch():
        loop = asyncio.new_event_loop()
        try:
            assert isinstance(loop, k.asyncio.EventLoop)
            assert isinstance(asyncio.SelectorEventLoop(), k.asyncio.EventLoop)
        finally:
            loop.close()
        if sys.version_info >= (3, 11):  # asyncio.Runner is new in 3.11
            with asyncio.Runner() as runner:
                assert isinstance(runner.get_loop(), k.asyncio.EventLoop)
    assert type(asyncio.new_event_loop()) is asyncio.unix_events._UnixSelectorEventLoop
    asyncio.set_event_loop(None)


def test_threads_under_patch_are_model_threads(program: types.ModuleType) -> None:
    k = epollsim.Kernel()
    with k.patch():
        slept, thread = program.in_a_thread(lambda: program.nap(5))
        assert round(slept, 9) == 5.00005 and isinstance(thread, k.threading.Thread)
        q: queue.Queue[int] = queue.Queue()
        start = time.monotonic()
        with pytest.raises(queue.Empty):
            q.get(timeout=2)  # times out on virtual time
        assert round(time.monotonic() - start, 9) == 2.00005  # a futex wait's 50 us slack
        assert program.in_a_thread(program.run_echo)[0][0] == b"PING\n"


def test_unmodelled_names_raise_unsupported_inside() -> None:
    k = epollsim.Kernel()
    with k.patch():
        with pytest.raises(epollsim.Unsupported, match="socket.dup is not modelled"):
            socket.dup(0)
        with pytest.raises(epollsim.Unsupported, match="time.clock_settime is not modelled"):
            time.clock_settime(time.CLOCK_REALTIME, 0)
        assert socket.AF_INET is socket.AddressFamily.AF_INET and socket.timeout is TimeoutError  # constants, errors stay


def test_an_exception_inside_restores_everything(program: types.ModuleType) -> None:
    k = epollsim.Kernel()
    before = snapshot()
    with pytest.raises(ZeroDivisionError):
        with k.patch():
            program.nap(1)
            1 / 0  # noqa: B018
    assert_identical(before)
    assert program.sleep is time.sleep


def test_patches_do_not_nest() -> None:
    k, other = epollsim.Kernel(), epollsim.Kernel()
    before = snapshot()
    with k.patch() as patch:
        assert patch.active
        with pytest.raises(RuntimeError, match="patches do not nest"):
            with other.patch():
                pass  # pragma: no cover
        assert time.monotonic == k.time.monotonic  # the first patch is untouched
    assert not patch.active
    assert_identical(before)
    with other.patch():  # and a new one can start afterwards
        assert time.monotonic == other.time.monotonic


def test_a_module_imported_during_the_patch_gets_the_originals_back() -> None:
    k = epollsim.Kernel()
    name = "epollsim_test_late_import"
    with k.patch():
        module = types.ModuleType(name)
        exec("from time import monotonic\nfrom socket import socketpair", vars(module))
        sys.modules[name] = module
        assert module.monotonic == k.time.monotonic
    try:
        assert module.monotonic is time.monotonic and module.socketpair is socket.socketpair
    finally:
        del sys.modules[name]


def test_unmodified_asyncio_tcp_server_and_client_run_under_patch() -> None:
    k = epollsim.Kernel()

    async def main() -> tuple[bytes, float]:
        async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            request = await reader.readuntil(b"\r\n\r\n")
            await asyncio.sleep(0.25)  # "thinking"
            body = request.split(b" ")[1]
            writer.write(b"HTTP/1.0 200 OK\r\nContent-Length: %d\r\n\r\n%s" % (len(body), body))
            writer.close()

        server = await asyncio.start_server(handle, "localhost", 8080)
        async with server:
            reader, writer = await asyncio.open_connection("localhost", 8080)
            writer.write(b"GET /hello HTTP/1.0\r\n\r\n")
            response = await reader.read()
            writer.close()
            return response, asyncio.get_running_loop().time()

    with k.patch():
        response, at = asyncio.run(main())
    assert response.endswith(b"\r\n\r\n/hello") and at == 1000.25005


def test_unmodified_asyncio_unix_server_and_client_run_under_patch(monkeypatch: pytest.MonkeyPatch) -> None:
    import os

    k = epollsim.Kernel()
    path = "/run/epollsim-never-created.sock"

    async def main() -> list[bytes]:
        async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            writer.write((await reader.readline()).upper())
            writer.close()

        answers = []
        for _ in range(2):  # the second server finds the first one's socket file and removes it
            async with await asyncio.start_unix_server(handle, path):
                reader, writer = await asyncio.open_unix_connection(path)
                writer.write(b"over a unix socket\n")
                answers.append(await reader.readline())
                writer.close()
        return answers

    def forbidden(real: Any) -> Any:
        def call(target: Any, *args: Any, **kwargs: Any) -> Any:
            if "epollsim-never-created" in str(target):
                raise AssertionError("the real file system was touched")
            return real(target, *args, **kwargs)  # pytest's own files (a warning's source line)
        return call

    for name in ("stat", "remove", "unlink"):
        monkeypatch.setattr(os, name, forbidden(getattr(os, name)))
    with k.patch():
        answers = asyncio.run(main())
    monkeypatch.undo()
    assert answers == [b"OVER A UNIX SOCKET\n"] * 2
    assert not os.path.exists(path)


def test_the_stdlibs_threaded_http_server_and_client_run_unmodified() -> None:
    import http.client
    import http.server

    class Hello(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            body = f"hello {self.path} at {time.time():.0f}".encode()
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: Any) -> None:
            pass

    k = epollsim.Kernel()
    wall = time.perf_counter()
    with k.patch():
        server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Hello)
        thread = threading.Thread(target=server.serve_forever)
        thread.start()
        time.sleep(60)
        client = http.client.HTTPConnection("localhost", server.server_address[1], timeout=5)
        client.request("GET", "/there")
        response = client.getresponse()
        assert (response.status, response.read()) == (200, b"hello /there at 1767225660")
        client.close()
        server.shutdown()
        server.server_close()
        thread.join()
        assert isinstance(thread, k.threading.Thread)
    assert time.perf_counter() - wall < 2.0


class EarlyThread(threading.Thread):
    """Defined at import, before any patch: derives from the real threading.Thread."""


def test_a_thread_class_made_before_the_patch_runs_as_a_model_thread() -> None:
    k = epollsim.Kernel()
    with k.patch():
        early = EarlyThread(target=time.sleep, args=(5,))
        early.start()  # a model thread (more in test_patch_threads.py)
        early.join()
        assert time.monotonic() == 1005.00005 and not early.is_alive()  # (timer slack)
        later = threading.Thread(target=print, args=("",))
        later.start()  # the patched class: a model thread
        later.join()
    t = EarlyThread(target=lambda: None)
    t.start()  # real again afterwards
    t.join()


def test_concurrent_futures_thread_pool_runs_on_model_threads() -> None:
    import concurrent.futures

    k = epollsim.Kernel()
    with k.patch():
        with concurrent.futures.ThreadPoolExecutor(max_workers=3) as pool:
            results = list(pool.map(lambda n: (time.sleep(n), n)[1], [3, 1, 2]))
        assert results == [3, 1, 2] and time.monotonic() == 1003.00005


def test_aiohttp_server_and_client_on_two_hosts_with_a_partition_run_unmodified() -> None:
    aiohttp = pytest.importorskip("aiohttp")
    from aiohttp import web

    k = epollsim.Kernel()
    server_host = k.add_host("server")
    up = k.threading.Event()

    async def serve() -> None:
        async def hello(request: Any) -> Any:
            await asyncio.sleep(0.5)
            return web.Response(text=f"hello from {request.host}")

        app = web.Application()
        app.router.add_get("/", hello)
        runner = web.AppRunner(app)
        await runner.setup()
        await web.TCPSite(runner, "0.0.0.0", 8080).start()
        up.set()
        await asyncio.sleep(120)
        await runner.cleanup()

    async def client() -> list[Any]:
        out: list[Any] = []
        loop = asyncio.get_running_loop()
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=10)) as session:
            for step in ("up", "partitioned", "healed"):
                if step == "partitioned":
                    k.network.partition("localhost", "server")
                elif step == "healed":
                    k.network.heal("localhost", "server")
                try:
                    async with session.get("http://server:8080/") as resp:
                        out.append((step, resp.status, await resp.text(), loop.time() - 1000))
                except asyncio.TimeoutError:
                    out.append((step, "timed out", loop.time() - 1000))
        return out

    wall = time.perf_counter()
    with k.patch():
        thread = threading.Thread(target=server_host.asyncio.run, args=(serve(),))
        thread.start()
        up.wait()
        log = asyncio.run(client())
        thread.join()
    assert time.perf_counter() - wall < 5.0
    log = [(*entry[:-1], round(entry[-1], 9)) for entry in log]
    assert log == [
        ("up", 200, "hello from server:8080", 0.50005),  # each sleep or timeout ends 50 us late
        ("partitioned", "timed out", 11.0001),  # aiohttp rounds a 10 s deadline up to a whole second
        ("healed", 200, "hello from server:8080", 11.50015),
    ]


def test_skip_leaves_a_modules_copied_names_alone(program: types.ModuleType) -> None:
    k = epollsim.Kernel()
    with k.patch(skip=(program.__name__,)):
        assert program.monotonic is not time.monotonic  # still the real one
        assert time.monotonic == k.time.monotonic
    with k.localhost.patch():
        assert program.monotonic == k.time.monotonic


def test_os_fd_calls_go_to_the_side_that_owns_the_number() -> None:
    import os

    real_read, real_close = os.read, os.close
    real_r, real_w = os.pipe()
    try:
        k = epollsim.Kernel()
        with k.patch():
            r, w = os.pipe()  # the model's: its table starts with 0, 1 and 2 open
            assert (r, w) == (3, 4)  # the runner's own real fds 3 and 4 do not move them
            assert os.write(w, b"model") == 5
            assert os.read(r, 100) == b"model"
            assert k.file(r).kind == "pipe"
            # The real pipe made before the patch stays the real process's (patch_fds/).
            assert os.write(real_w, b"real") == 4
            assert os.read(real_r, 100) == b"real"
    finally:
        assert os.read is real_read and os.close is real_close
        os.close(real_r)
        os.close(real_w)


def test_fcntl_calls_reach_the_model_and_locks_are_refused() -> None:
    import fcntl
    import os

    real_fcntl = fcntl.fcntl
    real_r, real_w = os.pipe()
    try:
        k = epollsim.Kernel()
        with k.patch():
            r, w = os.pipe()
            fcntl.fcntl(w, fcntl.F_SETFL, os.O_NONBLOCK)
            assert k.sys.fcntl(w, fcntl.F_GETFL) & os.O_NONBLOCK  # the model's pipe changed
            os.write(w, b"abc")
            assert fcntl.ioctl(r, 0x541B, b"\0" * 4) == (3).to_bytes(4, "little")  # FIONREAD
            with pytest.raises(epollsim.Unsupported):
                fcntl.flock(r, fcntl.LOCK_EX)  # locks are not modelled: never the real fd
        assert not real_fcntl(real_w, fcntl.F_GETFL) & os.O_NONBLOCK  # the real pipe untouched
    finally:
        assert fcntl.fcntl is real_fcntl
        os.close(real_r)
        os.close(real_w)
