"""asyncio on the model: CPython's selector loop over the model's epoll, sockets and virtual clock."""
from __future__ import annotations

import asyncio
import builtins
import os
import socket
import sys
import time
from typing import Any

import pytest

import epollsim

# -- the same coroutine on the real loop and on the model's ---------------------------------


class _Pipe:
    """A pipe end as a file object for connect_read_pipe/connect_write_pipe."""

    def __init__(self, fd: int, os_module: Any) -> None:
        self.fd = fd
        self._os = os_module

    def fileno(self) -> int:
        return self.fd

    def close(self) -> None:
        self._os.close(self.fd)


async def exercise(socket_module: Any, os_module: Any) -> list[Any]:
    """Streams, sock_* calls, pipes, timers and executors; returns what it observed."""
    loop = asyncio.get_running_loop()
    seen: list[Any] = []
    # sock_* on a socketpair
    a, b = socket_module.socketpair()
    a.setblocking(False)
    b.setblocking(False)
    # more than the buffer holds: the sender waits for the reader
    sending = asyncio.ensure_future(loop.sock_sendall(a, b"x" * 300_000))
    got = b""
    while len(got) < 300_000:
        got += await loop.sock_recv(b, 65536)
    await sending
    seen.append(len(got))
    a.close()
    seen.append(await loop.sock_recv(b, 10))
    b.close()
    # streams over a socketpair
    c, d = socket_module.socketpair()
    r1, w1 = await asyncio.open_connection(sock=c)
    r2, w2 = await asyncio.open_connection(sock=d)
    w1.write(b"hello\nworld\n")
    await w1.drain()
    seen += [await r2.readline(), await r2.readexactly(6)]
    w1.write_eof()
    seen.append(await r2.read())
    w2.write(b"bye")
    w2.close()
    await w2.wait_closed()
    seen.append(await r1.read())
    w1.close()
    await w1.wait_closed()
    # pipes
    r, w = os_module.pipe()
    reader = asyncio.StreamReader()
    rtr, _ = await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), _Pipe(r, os_module))
    wtr, _ = await loop.connect_write_pipe(asyncio.Protocol, _Pipe(w, os_module))
    wtr.write(b"through a pipe")
    wtr.close()
    seen.append(await reader.read())
    rtr.close()
    # timers, timeouts, tasks
    try:
        await asyncio.wait_for(asyncio.sleep(1), 0.01)
    except asyncio.TimeoutError:  # TimeoutError itself from 3.11; its own class on 3.10
        seen.append("wait_for timed out")
    if sys.version_info >= (3, 11):
        async with asyncio.TaskGroup() as tg:
            first = tg.create_task(asyncio.sleep(0.02, "slow"))
            second = tg.create_task(asyncio.sleep(0.01, "fast"))
    else:  # no TaskGroup before 3.11
        first = asyncio.create_task(asyncio.sleep(0.02, "slow"))
        second = asyncio.create_task(asyncio.sleep(0.01, "fast"))
        await asyncio.gather(first, second)
    seen += [first.result(), second.result()]
    order: list[str] = []

    async def note(name: str, delay: float) -> None:
        await asyncio.sleep(delay)
        order.append(name)

    await asyncio.gather(note("c", 0.03), note("a", 0.01), note("b", 0.02))
    seen.append(order)
    seen.append(await loop.run_in_executor(None, sum, [1, 2, 3]))
    seen.append(await asyncio.to_thread(pow, 2, 10))
    return seen


def test_the_same_coroutine_observes_the_same_on_the_real_loop_and_the_model() -> None:
    real = asyncio.run(exercise(socket, os))
    k = epollsim.Kernel()
    model = k.asyncio.run(exercise(k.socket, k.os))
    assert model == real
    assert real[:2] == [300_000, b""]


# -- virtual time ---------------------------------------------------------------------------


def test_an_hour_of_sleep_takes_no_wall_time_and_advances_loop_time_by_an_hour_and_the_slack() -> None:
    k = epollsim.Kernel()

    async def main() -> tuple[float, float, float]:
        loop = asyncio.get_running_loop()
        t0 = loop.time()
        await asyncio.sleep(3600)
        return t0, loop.time(), k.time.monotonic()

    wall = time.perf_counter()
    t0, t1, mono = k.asyncio.run(main())
    assert time.perf_counter() - wall < 1.0
    # epoll_wait's timer fires timer_slack_ns (50 us) after the hour (clock.TIMER_SLACK_NS)
    assert round(t1 - t0, 9) == 3600.00005 and mono == t1


def test_wait_for_and_timeout_expire_on_virtual_time() -> None:
    k = epollsim.Kernel()

    async def main() -> list[Any]:
        loop = asyncio.get_running_loop()
        out: list[Any] = []
        start = loop.time()
        with pytest.raises(asyncio.TimeoutError):  # TimeoutError itself from 3.11
            await asyncio.wait_for(asyncio.sleep(100), timeout=2.5)
        out.append(loop.time() - start)
        if sys.version_info >= (3, 11):  # asyncio.timeout is new in 3.11
            start = loop.time()
            with pytest.raises(TimeoutError):
                async with asyncio.timeout(7):
                    await asyncio.Event().wait()
            out.append(loop.time() - start)
        return out

    # each timeout ends 50 us late: epoll_wait's timer slack (clock.TIMER_SLACK_NS)
    got = [round(t, 9) for t in k.asyncio.run(main())]
    assert got == ([2.50005, 7.00005] if sys.version_info >= (3, 11) else [2.50005])


def test_a_loop_with_nothing_to_wait_for_is_a_deadlock_not_a_hang() -> None:
    k = epollsim.Kernel()

    async def main() -> None:
        await asyncio.Event().wait()

    with pytest.raises(epollsim.Deadlock, match="epoll_wait"):
        k.asyncio.run(main())


@pytest.mark.skipif(sys.version_info < (3, 11), reason="asyncio.TaskGroup and ExceptionGroup are new in 3.11")
def test_taskgroup_errors_propagate_as_on_the_real_loop() -> None:
    k = epollsim.Kernel()

    async def boom() -> None:
        await asyncio.sleep(1)
        raise ValueError("boom")

    async def main() -> float:
        start = asyncio.get_running_loop().time()
        with pytest.raises(builtins.ExceptionGroup) as info:
            async with asyncio.TaskGroup() as tg:
                tg.create_task(boom())
                tg.create_task(asyncio.sleep(50))
        assert [type(e) for e in info.value.exceptions] == [ValueError]
        return asyncio.get_running_loop().time() - start

    assert round(k.asyncio.run(main()), 9) == 1.00005  # with epoll_wait's 50 us slack


# -- executors and threads ------------------------------------------------------------------


def test_run_in_executor_runs_on_model_threads() -> None:
    k = epollsim.Kernel()

    def blocking(n: int) -> tuple[str, float]:
        k.time.sleep(n)  # a blocking call in a model thread: the loop keeps running meanwhile
        return k.threading.current_thread().name, k.time.monotonic()

    async def main() -> list[Any]:
        loop = asyncio.get_running_loop()
        start = loop.time()
        results = await asyncio.gather(*(loop.run_in_executor(None, blocking, n) for n in (3, 1, 2)))
        return [(name, round(at - start, 9)) for name, at in results]

    # each sleep ends 50 us late (nanosleep's timer slack)
    assert k.asyncio.run(main()) == [("asyncio_0", 3.00005), ("asyncio_1", 1.00005), ("asyncio_2", 2.00005)]
    assert [t.name for t in k.threading.enumerate()] == ["MainThread"]


def test_two_loops_in_two_model_threads_run_at_once() -> None:
    k = epollsim.Kernel()
    a, b = k.socket.socketpair()
    log: list[tuple[str, float]] = []

    async def ping() -> None:
        reader, writer = await asyncio.open_connection(sock=a)
        for _ in range(3):
            writer.write(b"ping\n")
            log.append(("ping", k.time.monotonic()))
            assert await reader.readline() == b"pong\n"
            await asyncio.sleep(1)
        writer.close()
        await writer.wait_closed()

    async def pong() -> None:
        reader, writer = await asyncio.open_connection(sock=b)
        while line := await reader.readline():
            assert line == b"ping\n"
            await asyncio.sleep(0.5)
            writer.write(b"pong\n")
            log.append(("pong", k.time.monotonic()))
        writer.close()
        await writer.wait_closed()

    threads = [k.threading.Thread(target=k.asyncio.run, args=(co(),)) for co in (ping, pong)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert [(what, round(at - 1000, 9)) for what, at in log] == [  # each sleep 50 us late (timer slack)
        ("ping", 0.0), ("pong", 0.50005), ("ping", 1.5001), ("pong", 2.00015), ("ping", 3.0002), ("pong", 3.50025),
    ]


def test_rebinding_survives_a_finalizer_that_warns_meanwhile(monkeypatch: pytest.MonkeyPatch) -> None:
    # An unclosed real loop collected while asyncio's code is rebound warns from base_events,
    # which adds __warningregistry__ to that module's globals in the middle of the copy.
    import asyncio.base_events as base_events
    import gc
    import warnings

    from epollsim.compat import asyncio_rebind

    k = epollsim.Kernel()
    monkeypatch.delitem(vars(base_events), "__warningregistry__", raising=False)
    rebind = asyncio_rebind._rebind_function
    calls = iter(range(1_000_000))

    def rebind_after_a_collection(fn: Any, namespace: dict[str, Any]) -> Any:
        if next(calls) == 0:  # once, in the middle of the first module's copy
            gc.collect()
        return rebind(fn, namespace)

    monkeypatch.setattr(asyncio_rebind, "_rebind_function", rebind_after_a_collection)
    gc.collect()  # earlier tests' garbage, before the warnings are recorded
    gc.disable()
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            loop = asyncio.new_event_loop()  # a real loop, left unclosed in a cycle
            loop.cycle = loop  # type: ignore[attr-defined]
            del loop
            loop_class = k.asyncio.EventLoop
    finally:
        gc.enable()
    assert [w.category for w in caught] == [ResourceWarning]
    assert "__warningregistry__" in vars(base_events)
    loop_class().close()


def test_loops_on_two_hosts_use_their_own_fd_tables() -> None:
    k = epollsim.Kernel()
    other = k.add_host("other")
    loops = [k.asyncio.new_event_loop(), other.asyncio.new_event_loop()]
    try:
        # each loop's self-pipe and epoll live in its host's fd table
        assert [loop._selector.fileno() for loop in loops] == [3, 3]  # type: ignore[attr-defined]
        assert type(loops[0]) is not type(loops[1])
    finally:
        for loop in loops:
            loop.close()


# -- the loop's identity and what it refuses ------------------------------------------------


def test_the_loop_is_a_selector_event_loop_over_the_models_epoll() -> None:
    k = epollsim.Kernel()
    loop = k.asyncio.new_event_loop()
    try:
        assert isinstance(loop, asyncio.SelectorEventLoop)
        assert isinstance(loop, asyncio.BaseEventLoop)
        assert isinstance(loop._selector, k.selectors.EpollSelector)  # type: ignore[attr-defined]
        assert k.epoll(loop._selector.fileno())  # type: ignore[attr-defined]
        assert loop.time() == k.time.monotonic()
        with pytest.raises(epollsim.Unsupported, match="subprocesses"):
            loop._make_subprocess_transport()  # type: ignore[attr-defined]
    finally:
        loop.close()
    assert loop.is_closed()


@pytest.mark.skipif(sys.version_info < (3, 11), reason="asyncio.Runner is new in 3.11")
def test_runner_takes_the_model_loop_as_its_loop_factory() -> None:
    k = epollsim.Kernel()
    with asyncio.Runner(loop_factory=k.asyncio.EventLoop) as runner:
        assert runner.run(asyncio.sleep(10, "done")) == "done"
        assert isinstance(runner.get_loop(), k.asyncio.EventLoop)
    assert k.time.monotonic() == 1010.00005  # with epoll_wait's 50 us slack


def test_asyncio_run_refuses_to_nest() -> None:
    k = epollsim.Kernel()

    async def main() -> None:
        coro = asyncio.sleep(0)
        with pytest.raises(RuntimeError, match="cannot be called from a running event loop"):
            k.asyncio.run(coro)
        coro.close()

    k.asyncio.run(main())


# -- TCP: streams, servers and name resolution ---------------------------------------------


async def exercise_tcp() -> list[Any]:
    """A streams echo server and clients over loopback TCP; returns what the clients observed."""
    seen: list[Any] = []

    async def echo(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        while data := await reader.read(1000):
            writer.write(data.upper())
            await writer.drain()
        writer.write(b"<eof>")  # half-close: the client's EOF, and we can still write
        writer.close()
        await writer.wait_closed()

    server = await asyncio.start_server(echo, "127.0.0.1", 0)
    host, port = server.sockets[0].getsockname()
    seen.append(host)
    for name in ("127.0.0.1", "localhost"):
        reader, writer = await asyncio.open_connection(name, port)
        seen.append(writer.get_extra_info("peername") == (host, port))
        writer.write(b"hello, ")
        await writer.drain()
        writer.write(b"world")
        writer.write_eof()
        seen.append(await reader.read())
        writer.close()
        await writer.wait_closed()
    server.close()
    await server.wait_closed()
    try:
        await asyncio.open_connection("127.0.0.1", port)
    except ConnectionRefusedError as exc:
        seen.append(("refused", exc.errno))
    loop = asyncio.get_running_loop()
    infos = await loop.getaddrinfo("127.0.0.1", 80, type=socket.SOCK_STREAM)
    seen.append([(family, kind, addr) for family, kind, _, _, addr in infos])
    return seen


def test_tcp_streams_observe_the_same_on_the_real_loop_and_the_model() -> None:
    real = asyncio.run(exercise_tcp())
    model = epollsim.Kernel().asyncio.run(exercise_tcp())
    assert model == real
    assert real[2] == b"HELLO, WORLD<eof>" and real[-2] == ("refused", 111)


def test_a_client_and_a_server_on_two_hosts_with_a_partition() -> None:
    k = epollsim.Kernel()
    server_host = k.add_host("server")
    listening = k.threading.Event()
    log: list[Any] = []

    async def serve() -> None:
        async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            writer.write((await reader.readline()).upper())
            writer.close()

        async with await asyncio.start_server(handle, "0.0.0.0", 7000):
            listening.set()
            await asyncio.sleep(600)

    async def client() -> None:
        loop = asyncio.get_running_loop()
        for attempt in range(2):
            try:
                reader, writer = await asyncio.wait_for(asyncio.open_connection("server", 7000), 5)
            except asyncio.TimeoutError:  # TimeoutError itself from 3.11
                log.append(("timed out", loop.time() - 1000))
                k.network.heal("localhost", "server")
                continue
            writer.write(b"ping\n")
            log.append((await reader.readline(), loop.time() - 1000))
            writer.close()
            await writer.wait_closed()
            k.network.partition("localhost", "server")

    thread = k.threading.Thread(target=server_host.asyncio.run, args=(serve(),), name="server")
    thread.start()
    listening.wait()
    k.asyncio.run(client())
    assert [(a, round(t, 9)) for a, t in log] == [(b"PING\n", 0.0), ("timed out", 5.00005)]  # 50 us slack
    thread.join()


# -- orders that would otherwise follow memory addresses ----------------------------------------


def test_sets_of_tasks_iterate_in_the_same_order_in_every_run() -> None:
    async def main() -> list[str]:
        tasks = [asyncio.create_task(asyncio.sleep(1), name=f"t{i}") for i in range(40)]
        done, _ = await asyncio.wait(tasks)
        return [t.get_name() for t in done]

    orders = []
    for garbage in (0, 1, 7, 300):
        keep = [object() for _ in range(garbage)]  # shifts where the tasks are allocated
        orders.append(epollsim.Kernel().asyncio.run(main()))
        del keep
    assert orders[0] == orders[1] == orders[2] == orders[3]
    assert sorted(orders[0]) == sorted(f"t{i}" for i in range(40))


def test_async_generators_left_open_are_closed_in_first_use_order() -> None:
    closed: list[int] = []

    async def gen(i: int) -> Any:
        try:
            yield i
            await asyncio.sleep(10)
            yield i
        finally:
            closed.append(i)

    async def main() -> list[Any]:
        gens = [gen(i) for i in (3, 1, 4, 5, 9, 2, 6)]
        return [await g.__anext__() for g in gens] + [gens]  # keep them alive, unfinished

    k = epollsim.Kernel()
    k.asyncio.run(main())
    assert closed == [3, 1, 4, 5, 9, 2, 6]


def test_get_event_loop_uses_the_modules_own_policy() -> None:
    k = epollsim.Kernel()
    loop = k.asyncio.get_event_loop()
    try:
        assert isinstance(loop, k.asyncio.EventLoop) and k.asyncio.get_event_loop() is loop
        assert loop.run_until_complete(asyncio.sleep(5, "slept")) == "slept"
        assert loop.time() == 1005.00005  # with epoll_wait's 50 us slack
    finally:
        k.asyncio.set_event_loop(None)
        loop.close()
    with pytest.raises(RuntimeError, match="There is no current event loop in thread 'MainThread'"):
        k.asyncio.get_event_loop()


def test_the_model_thread_pool_executor_outside_asyncio() -> None:
    k = epollsim.Kernel()
    started: list[str] = []

    def job(n: int) -> int:
        started.append(k.threading.current_thread().name)
        k.time.sleep(n)
        return n * 10

    with k.asyncio.ThreadPoolExecutor(max_workers=2, thread_name_prefix="pool") as pool:
        futures = [pool.submit(job, n) for n in (3, 1, 2)]
        k.time.sleep(10)
        assert [f.result() for f in futures] == [30, 10, 20]
    assert started == ["pool_0", "pool_1", "pool_1"]  # the third job waited for a free worker
    assert k.time.monotonic() == 1010.00005  # with the sleeps' 50 us slack
    with pytest.raises(RuntimeError, match="cannot schedule new futures after shutdown"):
        pool.submit(job, 1)


def test_every_loop_method_runs_over_the_hosts_modules_and_super_chains_through_rebound_code() -> None:
    import asyncio.base_events as base_events
    import asyncio.selector_events as selector_events
    import asyncio.unix_events as unix_events
    import types

    k = epollsim.Kernel()
    loop_cls = k.asyncio.EventLoop
    originals = [unix_events._UnixSelectorEventLoop, selector_events.BaseSelectorEventLoop, base_events.BaseEventLoop]
    mro = loop_cls.__mro__
    for original in originals:
        # right after each original comes the rebased copy of its base (or AbstractEventLoop)
        after = mro[mro.index(original) + 1]
        assert after is asyncio.AbstractEventLoop or (after.__name__ == original.__base__.__name__ and after is not original.__base__)
        for name, value in vars(original).items():
            if isinstance(value, types.FunctionType):
                found = getattr(loop_cls, name)
                module_globals = vars(sys.modules[original.__module__])
                assert found.__globals__ is not module_globals, f"{original.__name__}.{name} runs over the real module"
    assert base_events.socket is socket  # the real modules are untouched


def test_the_model_loop_never_calls_the_real_kernel(monkeypatch: pytest.MonkeyPatch) -> None:
    import fcntl
    import select
    import selectors

    def forbidden(*args: object, **kwargs: object) -> None:
        raise AssertionError("the model's loop called the real kernel")

    k = epollsim.Kernel()
    with monkeypatch.context() as patch:
        for module, names in [
            (os, ["read", "write", "close", "pipe", "fstat", "set_blocking", "stat"]),
            (select, ["epoll", "poll", "select"]),
            (selectors, ["DefaultSelector", "EpollSelector"]),
            (socket, ["socket", "socketpair", "getaddrinfo", "getnameinfo", "inet_pton"]),
            (fcntl, ["fcntl"]),
            (time, ["sleep", "monotonic"]),
        ]:
            for name in names:
                patch.setattr(module, name, forbidden)
        seen = k.asyncio.run(exercise(k.socket, k.os))
        tcp = k.asyncio.run(exercise_tcp())
    assert seen[:2] == [300_000, b""] and tcp[2] == b"HELLO, WORLD<eof>"


# -- the stand-in module: vetted names only ---------------------------------------------------


def test_the_stand_in_forwards_only_the_vetted_names_and_refuses_the_rest() -> None:
    from epollsim.compat.asyncio import FORWARDED, AsyncioModule

    k = epollsim.Kernel()
    forwarded, refused = [], []
    for name in dir(asyncio):
        if name.startswith("__"):
            continue
        try:
            value = getattr(k.asyncio, name)
        except epollsim.Unsupported as exc:
            assert str(exc) == f"asyncio.{name} is not modelled by epollsim"
            refused.append(name)
            continue
        if value is getattr(asyncio, name):
            forwarded.append(name)
        else:  # the model's own (a loop class, a policy, run, Runner, Task, ...)
            assert name in vars(AsyncioModule) and name not in FORWARDED, name
    assert set(forwarded) <= set(FORWARDED)
    assert {"sleep", "gather", "wait_for", "Queue", "open_connection", "start_unix_server",
            "CancelledError"} <= set(forwarded)
    if sys.version_info >= (3, 11):
        assert {"TaskGroup", "timeout"} <= set(forwarded)
    else:  # names 3.10's asyncio lacks are absent from the stand-in too
        for name in ("TaskGroup", "timeout", "Runner"):
            with pytest.raises(AttributeError):
                getattr(k.asyncio, name)
    for name in ("create_subprocess_exec", "create_subprocess_shell", "subprocess", "base_events",
                 "unix_events", "events", "runners", "sys"):
        assert name in refused, name
    with pytest.raises(AttributeError):
        k.asyncio.no_such_name  # noqa: B018
    # Vetted: nothing forwarded comes from the modules that make processes, loops or OS calls.
    for name in forwarded:
        module = getattr(getattr(asyncio, name), "__module__", "") or ""
        assert module not in ("asyncio.subprocess", "asyncio.base_subprocess", "asyncio.unix_events",
                              "asyncio.selector_events", "asyncio.runners"), (name, module)


def test_forwarded_helpers_run_on_the_model_loop() -> None:
    k = epollsim.Kernel()
    aio = k.asyncio

    async def main() -> list[Any]:
        out: list[Any] = [await aio.to_thread(lambda: k.threading.current_thread().name)]
        queue: asyncio.Queue[int] = aio.Queue()
        if sys.version_info >= (3, 11):
            async with aio.TaskGroup() as tg:
                tg.create_task(aio.sleep(5))
                queue.put_nowait(1)
        else:  # no TaskGroup before 3.11
            task = aio.create_task(aio.sleep(5))
            queue.put_nowait(1)
            await task
        out.append(await aio.wait_for(queue.get(), 1))
        out.append(asyncio.get_running_loop().time())
        return out

    assert aio.run(main()) == ["asyncio_0", 1, 1005.00005]  # with epoll_wait's 50 us slack


def test_set_event_loop_policy_sets_the_modules_own_policy() -> None:
    k = epollsim.Kernel()
    real_policy = asyncio.get_event_loop_policy()
    policy = k.asyncio.EventLoopPolicy()
    k.asyncio.set_event_loop_policy(policy)
    assert k.asyncio.get_event_loop_policy() is policy
    assert asyncio.get_event_loop_policy() is real_policy
    k.asyncio.set_event_loop_policy(None)
    assert isinstance(k.asyncio.get_event_loop_policy(), k.asyncio.EventLoopPolicy)
    assert k.asyncio.get_event_loop_policy() is not policy
    if sys.version_info >= (3, 11):
        with pytest.raises(TypeError, match="policy must be an instance of AbstractEventLoopPolicy or None, not 'int'"):
            k.asyncio.set_event_loop_policy(1)
    else:  # 3.10 checks with an assert
        with pytest.raises(AssertionError):
            asyncio.set_event_loop_policy(1)  # type: ignore[arg-type]
        with pytest.raises(AssertionError):
            k.asyncio.set_event_loop_policy(1)


# -- AF_UNIX servers: the file-system steps over the host's names -------------------------------


def test_unix_events_sees_bound_socket_paths_as_socket_files() -> None:
    import stat

    from epollsim.compat.asyncio_rebind import UnixEventsOs

    k = epollsim.Kernel()
    fs = UnixEventsOs(k.os)
    with pytest.raises(FileNotFoundError) as info:
        fs.stat("/run/app.sock")
    assert info.value.errno == 2 and info.value.filename == "/run/app.sock"
    s = k.socket.socket(k.socket.AF_UNIX)
    s.bind("/run/app.sock")
    first = fs.stat("/run/app.sock")
    assert stat.S_ISSOCK(first.st_mode) and first.st_mode == 0o140755
    s.close()  # the socket file stays, the same file
    assert fs.stat(b"/run/app.sock").st_ino == first.st_ino
    fs.remove("/run/app.sock")
    with pytest.raises(FileNotFoundError):
        fs.unlink("/run/app.sock")
    t = k.socket.socket(k.socket.AF_UNIX)
    t.bind("/run/app.sock")  # the name is free again: a new socket file
    assert fs.stat("/run/app.sock").st_ino != first.st_ino
    assert fs.read == k.os.read  # the rest is the host's os stand-in
    t.close()


def test_a_unix_server_never_reaches_the_real_file_system(monkeypatch: pytest.MonkeyPatch) -> None:
    def forbidden(*args: object, **kwargs: object) -> None:
        raise AssertionError("the model's loop touched the real file system")

    async def main() -> bytes:
        async def shout(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            writer.write((await reader.readline()).upper())
            writer.close()

        for _ in range(2):  # the second server removes the first one's socket file
            server = await asyncio.start_unix_server(shout, "/var/run/shout.sock")
            reader, writer = await asyncio.open_unix_connection("/var/run/shout.sock")
            writer.write(b"hi\n")
            line = await reader.readline()
            writer.close()
            server.close()
            await server.wait_closed()
        return line

    k = epollsim.Kernel()
    with monkeypatch.context() as patch:
        for name in ("stat", "lstat", "unlink", "remove", "fstat"):
            patch.setattr(os, name, forbidden)
        patch.setattr(socket, "socket", forbidden)
        assert k.asyncio.run(main()) == b"HI\n"
