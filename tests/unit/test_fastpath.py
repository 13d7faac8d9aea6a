"""The stand-ins' flat fast path (compat/fastpath.py): taken in the common case, left whenever
something must see or check the call, and always the same result as the general path."""
from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from epollsim import Kernel
from epollsim.abi.epoll import EPOLLET, EPOLLEXCLUSIVE, EPOLLIN, EPOLLONESHOT, EPOLLOUT
from epollsim.sched.pct import PCT
from epollsim.syscalls import Syscalls
from epollsim.syscalls.preempt import preemptive_class

HOT = ("read", "write", "epoll_ctl", "epoll_wait")


@pytest.fixture
def calls(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """The names of the hot system calls the stand-ins reach (through Syscalls' methods)."""
    seen: list[str] = []
    preemptive_class.cache_clear()  # its classes hold the methods they wrapped when made
    for name in HOT:
        original = getattr(Syscalls, name)

        def spy(self: Syscalls, *args: Any, _name: str = name, _original: Any = original) -> Any:
            seen.append(_name)
            return _original(self, *args)

        monkeypatch.setattr(Syscalls, name, spy)
    yield seen
    preemptive_class.cache_clear()  # none made with a spy outlives the test


def pipe_and_epoll(k: Kernel) -> tuple[int, int, Any]:
    r, w = k.os.pipe()
    k.os.set_blocking(r, False)
    return r, w, k.select.epoll()


def hot_calls(k: Kernel, r: int, w: int, ep: Any) -> None:
    ep.register(r, EPOLLIN)
    k.os.write(w, b"x")
    assert ep.poll(0) == [(r, EPOLLIN)]
    assert k.os.read(r, 1) == b"x"
    ep.modify(r, EPOLLIN | EPOLLOUT)
    ep.unregister(r)


def test_the_common_case_reaches_the_file_without_the_system_call_layer(calls: list[str]) -> None:
    k = Kernel()
    hot_calls(k, *pipe_and_epoll(k))
    assert calls == []


@pytest.mark.parametrize(
    "why",
    ["trace", "preemptive schedule", "race detector"],
)
def test_whatever_watches_the_system_calls_sees_every_one(calls: list[str], why: str) -> None:
    k = Kernel(schedule=PCT(depth=1)) if why == "preemptive schedule" else Kernel()
    r, w, ep = pipe_and_epoll(k)
    if why == "trace":
        k.trace.start()
    elif why == "race detector":
        k.sched.hb.start()
    hot_calls(k, r, w, ep)
    if why == "race detector":  # only the data path's release and acquire live in syscalls/
        assert calls == ["write", "read"]
    else:
        assert calls == ["epoll_ctl", "write", "epoll_wait", "read", "epoll_ctl", "epoll_ctl"]
    if why == "trace":
        assert "read(3, 1) = b'x'" in k.trace.format()


def test_arguments_that_need_cpythons_conversions_take_the_general_path(calls: list[str]) -> None:
    k = Kernel()
    r, w, ep = pipe_and_epoll(k)
    k.os.write(w, bytearray(b"ab"))  # not exact bytes
    k.os.read(r, True)  # not an exact int
    ep.register(r, EPOLLIN | EPOLLEXCLUSIVE)  # EPOLLEXCLUSIVE's own checks
    assert calls == ["write", "read", "epoll_ctl"]


# -- same results on both paths -----------------------------------------------------


def general_path_only(k: Kernel) -> None:
    """Make the host's Syscalls another class, as the tracer does: the fast path stands aside."""
    k.sys.__class__ = type("Syscalls", (Syscalls,), {"__slots__": ()})


def outcome(op: Callable[[], Any]) -> Any:
    try:
        return ("ok", op())
    except Exception as exc:  # noqa: BLE001 - the comparison is the point
        return ("raised", type(exc).__name__, getattr(exc, "errno", None), str(exc))


def script(k: Kernel) -> list[Any]:
    """Hot calls in their ordinary and their failing cases."""
    os_ = k.os
    r, w = os_.pipe()
    os_.set_blocking(r, False)
    os_.set_blocking(w, False)
    r2, w2 = os_.pipe()
    efd = os_.eventfd(0)
    ep = k.select.epoll()
    ep2 = k.select.epoll()
    steps: list[Callable[[], Any]] = [
        lambda: os_.read(r, 1),  # EAGAIN
        lambda: os_.read(w, 1),  # write end: EBADF
        lambda: os_.write(r, b"x"),  # read end: EBADF
        lambda: os_.read(999, 1),
        lambda: os_.write(999, b"x"),
        lambda: os_.read(-1, 1),
        lambda: os_.read(2**31, 1),  # OverflowError from the converter
        lambda: os_.read(r, -1),
        lambda: os_.write(w, b""),
        lambda: ep.register(r, EPOLLIN | EPOLLET),
        lambda: ep.register(r, EPOLLIN),  # EEXIST
        lambda: ep.register(w2, EPOLLOUT | EPOLLONESHOT),
        lambda: ep.poll(0),
        lambda: ep.poll(0),  # ONESHOT: disarmed
        lambda: ep.modify(w2, EPOLLOUT),
        lambda: ep.poll(0),
        lambda: os_.write(w, b"hello" * 1000),
        lambda: ep.poll(0),
        lambda: ep.poll(0),  # ET: nothing new
        lambda: os_.write(w, b"x" * 70000),  # fills the pipe: a short write
        lambda: os_.write(w, b"x"),  # EAGAIN
        lambda: os_.read(r, 100),
        lambda: ep.poll(0, 1),
        lambda: ep.poll(0.0),
        lambda: ep.poll(0.001),
        lambda: ep.modify(r2, EPOLLIN),  # ENOENT
        lambda: ep.unregister(r2),  # ENOENT
        lambda: ep.register(ep.fileno(), EPOLLIN),  # itself: EINVAL
        lambda: ep.register(ep2.fileno(), EPOLLIN),  # nested
        lambda: ep2.register(ep.fileno(), EPOLLIN),  # a loop: ELOOP
        lambda: ep.register(efd, EPOLLIN | EPOLLEXCLUSIVE),
        lambda: ep.modify(efd, EPOLLIN),  # EXCLUSIVE: EINVAL
        lambda: ep.register(999, EPOLLIN),  # EBADF
        lambda: ep.unregister(999),
        lambda: os_.eventfd_write(efd, 3),
        lambda: ep.poll(0),
        lambda: ep.poll(-1, 0),  # maxevents 0: ValueError
        lambda: ep.unregister(r),
        lambda: os_.close(r),
        lambda: os_.write(w, b"x"),  # no reader: EPIPE
        lambda: ep.poll(0),
        lambda: os_.read(r2, 0),
        lambda: sorted(ep.poll(0)),
    ]
    out = [outcome(step) for step in steps]
    ep.close()
    out.append(outcome(lambda: ep.poll(0)))  # closed: ValueError
    out.append(outcome(lambda: ep.register(r2)))
    return out


def test_the_fast_path_and_the_general_path_give_the_same_results() -> None:
    fast, general = Kernel(), Kernel()
    general_path_only(general)
    results = script(fast)
    assert results == script(general)
    assert ("ok", b"x") not in results and ("raised", "BlockingIOError", 11, "[Errno 11] Resource temporarily unavailable") in results


def test_a_blocking_read_and_write_sleep_and_finish_through_the_system_call_layer() -> None:
    k = Kernel()
    r, w = k.os.pipe()
    got: list[bytes] = []

    def reader() -> None:
        got.append(k.os.read(r, 5))  # empty and blocking: waits for the writer

    t = k.threading.Thread(target=reader)
    t.start()
    big = b"y" * 100_000  # more than the pipe holds: the writer sleeps for room
    writer = k.threading.Thread(target=lambda: got.append(k.os.write(w, big)))  # type: ignore[func-returns-value]
    writer.start()
    t.join()
    rest = b""
    while len(rest) < len(big) - 5:
        rest += k.os.read(r, 65536)
    writer.join()
    assert got[0] == b"yyyyy" and got[1] == len(big)


def test_a_blocking_poll_sleeps_until_a_write() -> None:
    k = Kernel()
    r, w = k.os.pipe()
    ep = k.select.epoll()
    ep.register(r, EPOLLIN)
    k.threading.Thread(target=lambda: (k.time.sleep(1), k.os.write(w, b"z"))).start()
    assert ep.poll() == [(r, EPOLLIN)]
    assert k.time.monotonic() >= 1
