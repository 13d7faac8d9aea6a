# mypy: disallow-any-expr
"""A user's program, written as the docs write them, that must type-check under ``mypy --strict``.

tests/unit/test_typing.py runs mypy on this file (it is never imported or run): every stand-in
constant, class and function a program uses through ``k.os``, ``k.select``, ``k.socket``, ... must
be visible to mypy with its real type, so a mistake in a user's program is reported and a correct
one is not. No expression may be ``Any`` (the first line asks mypy to say so), except on a line
marked ``# Any:``, where CPython's own modules give ``Any`` too (a socket address, a key's data).
"""
from __future__ import annotations

import asyncio
import selectors
import socket
import threading

import epollsim
from epollsim import Kernel


def epoll_edge(k: Kernel) -> list[tuple[int, int]]:
    """getting-started.md: a pipe under an edge-triggered epoll."""
    r, w = k.os.pipe()
    ep = k.select.epoll()
    ep.register(r, k.select.EPOLLIN | k.select.EPOLLET)
    ep.modify(r, k.select.EPOLLIN | k.select.EPOLLOUT | k.select.EPOLLONESHOT)
    written: int = k.os.write(w, b"hello")
    assert written == 5
    events: list[tuple[int, int]] = ep.poll(0)
    more = ep.poll(timeout=0.5, maxevents=10)
    data: bytes = k.os.read(r, 100)
    assert data
    print(k.describe_epoll(ep.fileno()))
    ep.unregister(r)
    ep.close()
    with k.select.epoll() as ep2:
        ep2.register(w, k.select.EPOLLOUT)
    p = k.select.poll()
    p.register(r, k.select.POLLIN | k.select.POLLPRI)
    ready: list[tuple[int, int]] = p.poll(0)
    rl, wl, xl = k.select.select([r], [w], [], 0)
    k.os.close(r)
    k.os.close(w)
    return events + more + ready + [(len(rl), len(wl) + len(xl))]


def os_calls(k: Kernel) -> int:
    """The os stand-in: fds, flags, eventfds."""
    r, w = k.os.pipe2(k.os.O_NONBLOCK | k.os.O_CLOEXEC)
    k.os.set_blocking(r, False)
    blocking: bool = k.os.get_blocking(r)
    try:
        k.os.read(r, 1)
    except BlockingIOError:
        pass
    efd: int = k.os.eventfd(0, k.os.EFD_NONBLOCK | k.os.EFD_CLOEXEC)
    k.os.eventfd_write(efd, 3)
    count: int = k.os.eventfd_read(efd)
    d: int = k.os.dup(r)
    k.os.dup2(w, d)
    pid: int = k.os.getpid()
    null = k.os.open("/dev/null", k.os.O_RDWR)
    k.os.closerange(r, null + 1)
    return count + pid + int(blocking) + efd


def sockets(k: Kernel) -> bytes:
    """A socketpair, a TCP server and client, socket options and fd passing."""
    a, b = k.socket.socketpair()
    a.sendall(b"ping")
    got: bytes = b.recv(4)
    a.setblocking(False)
    a.settimeout(1.5)
    timeout: float | None = a.gettimeout()
    k.socket.send_fds(a, [b"fd"], [b.fileno()])
    msg, fds, flags, addr = k.socket.recv_fds(b, 10, 1)  # Any: an address (typeshed's socket: Any too)
    a.close()
    b.close()
    srv = k.socket.socket(k.socket.AF_INET, k.socket.SOCK_STREAM)
    srv.setsockopt(k.socket.SOL_SOCKET, k.socket.SO_REUSEADDR, 1)
    srv.bind(("127.0.0.1", 0))
    srv.listen()
    port: int = srv.getsockname()[1]  # Any: an address
    cli = k.socket.create_connection(("127.0.0.1", port), timeout=5)
    cli.setsockopt(k.socket.IPPROTO_TCP, k.socket.TCP_NODELAY, 1)
    cli.setsockopt(k.socket.IPPROTO_TCP, k.socket.TCP_KEEPIDLE, 60)
    conn, peer = srv.accept()  # Any: the peer's address
    sent: int = cli.send(b"x")
    n: int = conn.recv_into(bytearray(8))
    conn.shutdown(k.socket.SHUT_WR)
    with k.socket.create_server(("127.0.0.1", 0)) as other:
        fd: int = other.fileno()
    udp = k.socket.socket(k.socket.AF_INET, k.socket.SOCK_DGRAM)
    udp.sendto(b"d", ("127.0.0.1", 9))
    family: int = udp.family
    print(timeout, msg, fds, flags, addr, sent, n, fd, family, peer)  # Any: the addresses
    for s in (srv, cli, conn, udp):
        s.close()
    try:
        k.socket.getaddrinfo("server", 80)
    except k.socket.gaierror:
        pass
    return got


def threads_and_time(k: Kernel) -> float:
    """getting-started.md: a thread writes after an hour of virtual time."""
    r, w = k.os.pipe()
    lock = k.threading.Lock()
    cond = k.threading.Condition(lock)
    event = k.threading.Event()
    sem = k.threading.Semaphore(2)

    def slow_writer(delay: float) -> None:
        k.time.sleep(delay)
        with lock:
            k.os.write(w, b"done")
        event.set()

    t = k.threading.Thread(target=slow_writer, args=(3600,), name="writer", daemon=True)
    t.start()
    start: float = k.time.monotonic()
    print(k.os.read(r, 100), round(k.time.monotonic() - start, 6))
    t.join(timeout=1.0)
    alive: bool = t.is_alive()
    name: str = t.name
    ident: int | None = t.ident
    flag: bool = event.wait(0.1)
    with cond:
        cond.notify_all()
    got: bool = sem.acquire(timeout=0.5)
    sem.release()
    rlock = k.threading.RLock()
    with rlock:
        pass
    timer = k.threading.Timer(1.0, print, args=("tick",))
    timer.start()
    timer.cancel()
    me = k.threading.current_thread()
    print(alive, name, ident, flag, got, me.name, k.threading.active_count(), k.threading.get_ident())
    ns: int = k.time.monotonic_ns() + k.time.time_ns() + k.time.perf_counter_ns()
    wall: float = k.time.time() + k.time.perf_counter()
    return ns + wall + k.now_ns


def with_selectors(k: Kernel) -> int:
    """The selectors stand-in: a DefaultSelector over the model's epoll."""
    r, w = k.os.pipe()
    sel = k.selectors.DefaultSelector()
    key = sel.register(r, selectors.EVENT_READ, data="pipe")
    k.os.write(w, b"x")
    ready = sel.select(timeout=0)
    for found, mask in ready:
        print(found.fd, found.data, mask & k.selectors.EVENT_READ)  # Any: SelectorKey.data
    sel.unregister(r)
    sel.close()
    with k.selectors.EpollSelector() as ep_sel:
        ep_sel.register(w, k.selectors.EVENT_WRITE)
    return key.fd


async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """README.md: an ordinary asyncio server ..."""
    while line := await reader.readline():
        writer.write(line.upper())
        await writer.drain()
    writer.close()


async def serve() -> None:
    async with await asyncio.start_server(handle, "0.0.0.0", 8080) as srv:
        await srv.serve_forever()


async def talk(k: Kernel) -> bytes:
    """... and client, over a network partition."""
    loop = asyncio.get_running_loop()
    reader, writer = await asyncio.open_connection("server", 8080)
    writer.write(b"hello\n")
    k.network.partition("client", "server")
    try:
        await asyncio.wait_for(reader.readline(), timeout=5)
    except asyncio.TimeoutError:
        print(f"no answer within 5 s, at {loop.time():.3f}")
    k.network.heal("client", "server")
    line = await reader.readline()
    writer.close()
    return line


def hosts_and_asyncio(k: Kernel) -> bytes:
    """README.md's headline: two hosts, latency, a partition; each host's asyncio."""
    server, client = k.add_host("server"), k.add_host("client")
    k.network.set_latency("client", "server", 0.010)
    k.threading.Thread(target=server.asyncio.run, args=(serve(),), daemon=True).start()
    line: bytes = client.asyncio.run(talk(k))
    loop = k.asyncio.new_event_loop()
    try:
        loop.run_until_complete(asyncio.sleep(1))
    finally:
        loop.close()
    other = k.host("server")
    started = other.start(k.time.sleep, 1.0, name="sleeper")
    started.join()
    addresses: tuple[str, ...] = other.addresses
    print(addresses, other.up)
    return line


async def stand_in_streams(k: Kernel) -> None:
    """The asyncio stand-in's own functions."""
    reader, writer = await k.asyncio.open_connection("server", 8080)
    writer.write(b"x")
    await writer.drain()
    print(await reader.read(10))
    await k.asyncio.sleep(0.5)
    task = k.asyncio.create_task(k.asyncio.sleep(1))
    await k.asyncio.wait_for(task, timeout=2)
    await k.asyncio.gather(k.asyncio.sleep(0), k.asyncio.sleep(0))


def patched(k: Kernel) -> bytes:
    """Unmodified code under the patch: the real modules' own types."""
    with k.patch():
        a, b = socket.socketpair()
        a.send(b"x")
        data = b.recv(1)
        t = threading.Thread(target=print)
        t.start()
        t.join()
    return data


def take_the_last_ticket(k: Kernel) -> None:
    """exploring.md: two threads take the last ticket."""
    state = {"tickets": 1, "taken": 0}

    def take() -> None:
        if state["tickets"] > 0:
            k.time.sleep(0)
            state["tickets"] -= 1
            state["taken"] += 1

    threads = [k.threading.Thread(target=take) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert state["taken"] == 1, f"{state['taken']} tickets taken from 1"


def exploring() -> None:
    result = epollsim.explore(take_the_last_ticket, seeds=range(200))
    print(result.runs, "seeds,", len(result.failures), "failed; the first:")
    print(result.failures[0])
    epollsim.run_seed(take_the_last_ticket, 0)
    tid: int = epollsim.run_seed(lambda kernel: kernel.threading.get_ident(), 0)
    print(tid)
    systematic = epollsim.explore_systematic(take_the_last_ticket, preemptions=2)
    for chooser, error in systematic.failures:
        take_the_last_ticket(epollsim.Kernel(schedule=epollsim.Systematic(chooser.choices)))
        print(error)


def kernel_api() -> None:
    k = epollsim.Kernel(seed=1, schedule="random", trace=True)
    k.trace.dump()
    print(k.trace.format())
    print(k.file(0), k.clock.now_ns, k.sys.fcntl(0, k.fcntl.F_GETFL, 0))
    k.kill(k.signal.SIGTERM)
    k.signal.signal(k.signal.SIGINT, k.signal.SIG_IGN)
    try:
        k.threading.Thread(target=k.os.read, args=(k.os.pipe()[0], 1)).start()
        k.threading.main_thread().join()
    except epollsim.Deadlock as report:
        print(report)
    except epollsim.Unsupported:
        pass


def main() -> None:
    k = Kernel(seed=0)
    epoll_edge(k)
    os_calls(k)
    sockets(k)
    threads_and_time(k)
    with_selectors(k)
    hosts_and_asyncio(k)
    k.asyncio.run(stand_in_streams(k))
    patched(k)
    exploring()
    kernel_api()
