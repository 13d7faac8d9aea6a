"""The trace recorder: what it records, word for word, and that it costs nothing while off."""
from __future__ import annotations

import pickle

import pytest

import epollsim
from epollsim.syscalls import Syscalls
from epollsim.trace import Block, Call, ClockJump, Return, Timeout, Wake


def test_tracing_is_off_by_default_and_leaves_the_syscall_class_alone() -> None:
    k = epollsim.Kernel()
    assert not k.trace.on
    k.os.pipe()
    assert k.trace.records == []
    assert type(k.sys) is Syscalls
    assert k.sched.observer is None


def test_start_and_stop_record_only_in_between_and_restore_everything() -> None:
    k = epollsim.Kernel()
    r, w = k.os.pipe()
    k.trace.start()
    assert k.trace.on and type(k.sys) is not Syscalls and isinstance(k.sys, Syscalls)
    k.os.write(w, b"abc")
    k.trace.stop()
    k.os.read(r, 3)
    assert type(k.sys) is Syscalls and k.sched.observer is None
    assert [c.name for c in k.trace.calls()] == ["write"]
    with k.trace:  # a context manager too; records accumulate
        k.os.write(w, b"d")
    assert [c.name for c in k.trace.calls()] == ["write", "write"]
    k.trace.clear()
    assert len(k.trace) == 0


def test_calls_are_lines_as_strace_prints_them() -> None:
    k = epollsim.Kernel(trace=True)
    r, w = k.os.pipe2(k.os.O_NONBLOCK)
    ep = k.select.epoll()
    ep.register(r, k.select.EPOLLIN | k.select.EPOLLET)
    k.os.write(w, b"hello")
    ep.poll(0)
    k.os.read(r, 100)
    with pytest.raises(BlockingIOError):
        k.os.read(r, 100)
    with pytest.raises(epollsim.Unsupported):
        k.sys.fcntl(r, 5)
    assert k.trace.format() == "\n".join([
        "  1000.000000000 s  MainThread@localhost  pipe2(O_NONBLOCK) = (3, 4)",
        "  1000.000000000 s  MainThread@localhost  epoll_create1(EPOLL_CLOEXEC) = 5",
        "  1000.000000000 s  MainThread@localhost  epoll_ctl(5, EPOLL_CTL_ADD, 3, EPOLLIN|EPOLLET, 3) = 0",
        "  1000.000000000 s  MainThread@localhost  write(4, b'hello') = 5",
        "  1000.000000000 s  MainThread@localhost  epoll_wait(5, 1023, 0, True) = [(3, EPOLLIN)]",
        "  1000.000000000 s  MainThread@localhost  read(3, 100) = b'hello'",
        "  1000.000000000 s  MainThread@localhost  read(3, 100) = -1 EAGAIN (Resource temporarily unavailable)",
        "  1000.000000000 s  MainThread@localhost  fcntl(3, F_GETLK) raised Unsupported: fcntl command F_GETLK is not modelled",
    ])
    read = k.trace.calls("read")[-1]
    assert (read.errno, read.error, read.args) == (11, "EAGAIN (Resource temporarily unavailable)", ("3", "100"))


def test_a_call_made_by_another_call_is_recorded_once() -> None:
    k = epollsim.Kernel(trace=True)
    k.sys.epoll_create(1)  # calls epoll_create1 inside
    assert [c.name for c in k.trace.calls()] == ["epoll_create"]


def test_big_buffers_and_long_lists_are_shortened() -> None:
    k = epollsim.Kernel(trace=True)
    r, w = k.os.pipe()
    k.os.write(w, bytes(range(40)) * 25)
    (call,) = k.trace.calls("write")
    assert call.args[1] == repr(bytes(range(32))) + "...(1000 bytes)"
    k.sys.poll([(r, 1)] * 20, 0)
    assert k.trace.calls("poll")[0].args[0].endswith(", ...(20 items)]")


def test_a_blocking_read_shows_block_wake_and_resume() -> None:
    k = epollsim.Kernel(trace=True)
    r, w = k.os.pipe()

    def writer() -> None:
        k.time.sleep(0.25)
        k.os.write(w, b"hi")

    t = k.threading.Thread(target=writer, name="writer")
    t.start()
    assert k.os.read(r, 10) == b"hi"
    t.join()
    assert k.trace.lines()[2:] == [
        "  1000.000000000 s  MainThread@localhost  read(3, 10) <unfinished ...>",
        "  1000.000000000 s  MainThread@localhost  blocks in read(3): pipe is empty [tail_exclusive]",
        "  1000.000000000 s  MainThread@localhost  switches to writer",
        "  1000.000000000 s  writer@localhost  blocks in time.sleep() [no wait queue, until 1000.250050000 s]",
        "  1000.000000000 s  (clock)  jumps +0.250050000 s to 1000.250050000 s",
        "  1000.250050000 s  writer@localhost  timed out",
        "  1000.250050000 s  writer@localhost  write(4, b'hi') = 2",
        "  1000.250050000 s  MainThread@localhost  woken by writer@localhost",
        "  1000.250050000 s  writer@localhost  exits",
        "  1000.250050000 s  writer@localhost  switches to MainThread",
        "  1000.250050000 s  MainThread@localhost  <... read resumed> = b'hi'  [after 0.250050000 s]",
    ]
    assert [x for x in k.trace.lines(switches=False) if "switches" in x] == []
    assert len(k.trace.lines(switches=False)) == len(k.trace.lines()) - 2
    kinds = [type(r).__name__ for r in k.trace.records]
    assert kinds.count("Return") == 1 and kinds.count("Wake") == 1
    read = k.trace.calls("read")[0]
    assert read.slept and (read.t_ns, read.end_ns) == (1000 * 10**9, 1000 * 10**9 + 250_050_000)
    (wake,) = [r for r in k.trace.records if isinstance(r, Wake)]
    assert (wake.thread, wake.waker, wake.waker_tid) == ("MainThread", "writer", t.ident)


def test_an_epoll_timeout_is_a_block_a_clock_jump_and_a_timeout() -> None:
    k = epollsim.Kernel(trace=True)
    ep = k.select.epoll()
    assert ep.poll(0.5) == []
    kinds = [type(r) for r in k.trace.records]
    assert kinds == [Call, Call, Block, ClockJump, Timeout, Return]
    block = k.trace.records[2]
    assert isinstance(block, Block) and block.queues == ("head_exclusive",)
    assert block.deadline_ns == 1000_500_050_000  # epoll_wait's 50 us slack


def test_a_deadlock_ends_the_call_that_found_it() -> None:
    k = epollsim.Kernel(trace=True)
    r, _ = k.os.pipe()
    with pytest.raises(epollsim.Deadlock):
        k.os.read(r, 1)
    assert k.trace.lines()[-1].endswith(
        "<... read resumed> raised Deadlock: every thread is blocked and no deadline is pending:  [after 0.000000000 s]"
    )


def test_every_host_is_traced_including_hosts_added_while_tracing() -> None:
    k = epollsim.Kernel()
    b = k.add_host("b")
    k.trace.start()
    c = k.add_host("c")
    for host in (k.localhost, b, c):
        host.os.pipe()
    assert [(x.host, x.name) for x in k.trace.calls()] == [("localhost", "pipe2"), ("b", "pipe2"), ("c", "pipe2")]
    k.trace.stop()
    assert all(type(h.sys) is Syscalls for h in (k.localhost, b, c))


def test_records_pickle_and_compare() -> None:
    k = epollsim.Kernel(trace=True)
    r, w = k.os.pipe()
    k.os.write(w, b"x")
    again = pickle.loads(pickle.dumps(k.trace.records))
    assert again == k.trace.records
    assert len(k.trace.digest()) == 64


def test_write_picks_the_format_from_the_suffix(tmp_path) -> None:  # type: ignore[no-untyped-def]
    k = epollsim.Kernel(trace=True)
    k.os.pipe()
    k.trace.write(str(tmp_path / "t.txt"))
    assert (tmp_path / "t.txt").read_text() == k.trace.format() + "\n"
    k.trace.write(str(tmp_path / "t.json"))
    assert (tmp_path / "t.json").read_text().startswith('{"traceEvents":')
    k.trace.write(str(tmp_path / "t.svg"))
    assert (tmp_path / "t.svg").read_text().startswith("<?xml")


def test_describe_epoll_lists_the_threads_asleep_on_it() -> None:
    k = epollsim.Kernel()
    ep = k.select.epoll()
    k.threading.Thread(target=ep.poll, args=(1.0,), name="waiter").start()
    k.time.sleep(0)  # let it block
    text = k.describe_epoll(ep.fileno())
    assert text.splitlines()[-1] == "  sleepers: waiter (tid 2, until 1001.000050000 s)"
    k.time.sleep(2)
    assert k.describe_epoll(ep.fileno()).splitlines()[-1] == "  sleepers: (none)"


def test_a_wake_up_by_a_timer_names_no_thread() -> None:
    k = epollsim.Kernel(trace=True)
    fd = k.os.timerfd_create(k.time.CLOCK_MONOTONIC)
    k.os.timerfd_settime(fd, initial=0.5)
    k.os.read(fd, 8)
    (wake,) = [r for r in k.trace.records if isinstance(r, Wake)]
    assert (wake.waker_tid, wake.waker, wake.t_ns) == (0, "(timer)", 1000_500_000_000)  # a timerfd has no slack
    assert str(wake).endswith("MainThread@localhost  woken by (timer)")
    instants = [e for e in k.trace.chrome()["traceEvents"] if e["ph"] == "i" and e["cat"] == "timer"]
    assert [e["name"] for e in instants] == ["woken by (timer)"]


def test_thread_start_join_and_a_failing_exit() -> None:
    k = epollsim.Kernel(trace=True)

    def bad() -> None:
        raise ValueError("boom")

    t = k.threading.Thread(target=bad, name="bad")
    t.start()
    t.join()
    assert k.trace.lines() == [
        "  1000.000000000 s  bad@localhost  started by MainThread (tid 2)",
        "  1000.000000000 s  MainThread@localhost  blocks in join(bad) [head]",
        "  1000.000000000 s  MainThread@localhost  switches to bad",
        "  1000.000000000 s  bad@localhost  exits with ValueError: boom",
        "  1000.000000000 s  MainThread@localhost  woken by bad@localhost",
        "  1000.000000000 s  bad@localhost  switches to MainThread",
    ]
