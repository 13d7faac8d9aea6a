"""timerfd on the model's virtual clock: exact deadlines, counts, edges and costs (fs/timerfd.c)."""
from __future__ import annotations

import pytest

import epollsim
from epollsim.clock import TIMER_SLACK_NS as SLACK  # every timeout ends 50 us late
from epollsim.files.timerfd import TimerFd

SEC = 1_000_000_000
CLOCK_REALTIME, CLOCK_MONOTONIC = 0, 1


def _count(k: epollsim.Kernel, fd: int) -> int:
    return int.from_bytes(k.os.read(fd, 8), "little")


def test_gettime_is_exact_on_the_virtual_clock() -> None:
    k = epollsim.Kernel()
    fd = k.os.timerfd_create(CLOCK_MONOTONIC)
    k.os.timerfd_settime_ns(fd, initial=5 * SEC, interval=SEC)
    assert k.os.timerfd_gettime_ns(fd) == (5 * SEC, SEC)
    k.time.sleep(1.5)
    assert k.os.timerfd_gettime_ns(fd) == (3 * SEC + SEC // 2 - SLACK, SEC)  # the sleep ended 50 us late
    assert k.os.timerfd_gettime(fd) == (3.49995, 1.0)


def test_a_periodic_timer_counts_the_periods_a_sleep_covered() -> None:
    k = epollsim.Kernel()
    fd = k.os.timerfd_create(CLOCK_MONOTONIC, flags=k.os.TFD_NONBLOCK)
    k.os.timerfd_settime(fd, initial=1, interval=1)
    k.time.sleep(10.5)
    assert _count(k, fd) == 10
    k.time.sleep(0.5)  # now just past the 11th period (each sleep ends 50 us late)
    assert _count(k, fd) == 1
    assert k.os.timerfd_gettime_ns(fd) == (SEC - 2 * SLACK, SEC)


def test_an_hour_of_a_one_second_timer_is_one_clock_timer(monkeypatch: pytest.MonkeyPatch) -> None:
    """Linux does not re-arm a periodic timer until it is read: an hour unread costs one expiry."""
    k = epollsim.Kernel()
    fd = k.os.timerfd_create(CLOCK_MONOTONIC, flags=k.os.TFD_NONBLOCK)
    fired: list[int] = []
    original = TimerFd._triggered

    def counting(self: TimerFd, arg: object) -> None:
        fired.append(k.now_ns)
        original(self, arg)

    monkeypatch.setattr(TimerFd, "_triggered", counting)
    k.os.timerfd_settime(fd, initial=1, interval=1)
    start = k.now_ns
    k.time.sleep(3600)
    assert fired == [start + SEC]
    assert k.clock.pending() == 0  # nothing armed until someone reads
    assert _count(k, fd) == 3600
    assert k.clock.pending() == 1


def test_a_blocking_read_in_a_thread_wakes_at_the_exact_deadline() -> None:
    k = epollsim.Kernel()
    fd = k.os.timerfd_create(CLOCK_MONOTONIC)
    got: list[tuple[int, int]] = []
    t = k.threading.Thread(target=lambda: got.append((_count(k, fd), k.now_ns)))
    t.start()
    start = k.now_ns
    k.os.timerfd_settime_ns(fd, initial=2_500_000_001)
    t.join()
    assert got == [(1, start + 2_500_000_001)]


def test_readers_blocked_on_one_timerfd_all_wake_and_the_first_to_arrive_reads() -> None:
    # wait_event_interruptible_locked_irq queues each reader at the tail, non-exclusive.
    k = epollsim.Kernel()
    fd = k.os.timerfd_create(CLOCK_MONOTONIC)
    got: list[tuple[str, int, int]] = []

    def reader(name: str) -> None:
        got.append((name, _count(k, fd), k.now_ns))

    threads = [k.threading.Thread(target=reader, args=(name,)) for name in ("first", "second")]
    for t in threads:
        t.start()
    k.time.sleep(0)  # both block
    start = k.now_ns
    k.os.timerfd_settime(fd, initial=1, interval=1)
    for t in threads:
        t.join()
    assert got == [("first", 1, start + SEC), ("second", 1, start + 2 * SEC)]


def test_epoll_wait_wakes_at_the_expiry_and_edge_triggered_sees_one_edge_per_read_expiry() -> None:
    k = epollsim.Kernel()
    os, select = k.os, k.select
    fd = os.timerfd_create(CLOCK_MONOTONIC, flags=os.TFD_NONBLOCK)
    ep = select.epoll()
    ep.register(fd, select.EPOLLIN | select.EPOLLET)
    start = k.now_ns
    os.timerfd_settime(fd, initial=0.25, interval=0.25)
    for i in range(1, 6):
        assert ep.poll() == [(fd, select.EPOLLIN)]
        assert k.now_ns == start + i * SEC // 4
        assert _count(k, fd) == 1
    # Unread, the timer stays fired and nothing more wakes: poll times out.
    assert ep.poll() == [(fd, select.EPOLLIN)]
    assert ep.poll(10) == []
    assert k.now_ns == start + 6 * SEC // 4 + 10 * SEC + SLACK  # epoll_wait's slack; a timerfd has none
    assert _count(k, fd) == 41


def test_realtime_absolute_deadline_matches_time_time() -> None:
    k = epollsim.Kernel()
    fd = k.os.timerfd_create(CLOCK_REALTIME)
    deadline = k.time.time_ns() + 5 * SEC
    assert k.time.clock_gettime_ns(CLOCK_REALTIME) == k.time.time_ns()
    k.os.timerfd_settime_ns(fd, flags=k.os.TFD_TIMER_ABSTIME, initial=deadline)
    assert _count(k, fd) == 1
    assert k.time.time_ns() == deadline


def test_closing_an_armed_timerfd_cancels_its_timer() -> None:
    k = epollsim.Kernel()
    fd = k.os.timerfd_create(CLOCK_MONOTONIC)
    k.os.timerfd_settime(fd, initial=100, interval=1)
    assert k.clock.next_deadline() == k.now_ns + 100 * SEC
    k.os.close(fd)
    assert k.clock.next_deadline() is None
    # Nothing else can move the clock: a dead timerfd does not postpone the diagnosis.
    r, _w = k.os.pipe()
    with pytest.raises(epollsim.Deadlock):
        k.os.read(r, 1)
    assert k.now_ns == epollsim.clock.BOOT_MONOTONIC_NS


def test_a_dup_keeps_the_timer_armed() -> None:
    k = epollsim.Kernel()
    fd = k.os.timerfd_create(CLOCK_MONOTONIC)
    copy = k.os.dup(fd)
    k.os.timerfd_settime(fd, initial=1)
    k.os.close(fd)
    assert _count(k, copy) == 1


def test_reading_a_disarmed_timerfd_is_a_diagnosed_deadlock() -> None:
    k = epollsim.Kernel()
    fd = k.os.timerfd_create(CLOCK_MONOTONIC)
    with pytest.raises(epollsim.Deadlock, match="timerfd is disarmed"):
        k.os.read(fd, 8)


def test_describe_shows_what_fdinfo_shows() -> None:
    k = epollsim.Kernel()
    fd = k.os.timerfd_create(CLOCK_MONOTONIC)
    k.os.timerfd_settime_ns(fd, flags=3, initial=k.time.monotonic_ns() + 1_500_000_000, interval=2 * SEC)
    file = k.file(fd)
    assert isinstance(file, TimerFd)
    assert file.describe() == (
        "clockid: 1\nticks: 0\nsettime flags: 03\nit_value: (1, 500000000)\nit_interval: (2, 0)"
    )
    assert file.kind == "timerfd"


@pytest.mark.parametrize("clk_id", [-6, -(2**20)])
def test_cpu_time_clocks_of_other_processes_and_threads_are_unsupported(clk_id: int) -> None:
    k = epollsim.Kernel()
    with pytest.raises(epollsim.Unsupported):
        k.time.clock_gettime(clk_id)
    with pytest.raises(epollsim.Unsupported):
        k.time.clock_getres(clk_id)


@pytest.mark.parametrize("clk_id", [2, 3])
def test_the_cpu_time_clocks_count_virtual_time_since_boot(clk_id: int) -> None:
    k = epollsim.Kernel()
    assert k.time.clock_gettime_ns(clk_id) == 0
    k.time.sleep(1.5)
    assert k.time.clock_gettime_ns(clk_id) == 1_500_050_000 == k.time.process_time_ns()  # (timer slack)


def test_clock_gettime_reads_the_virtual_clocks() -> None:
    k = epollsim.Kernel()
    t = k.time
    k.time.sleep(1.25)
    assert t.clock_gettime_ns(t.CLOCK_MONOTONIC) == t.monotonic_ns() == t.clock_gettime_ns(t.CLOCK_BOOTTIME)
    assert t.clock_gettime_ns(t.CLOCK_REALTIME) == t.time_ns() == t.clock_gettime_ns(t.CLOCK_TAI)
    assert t.clock_gettime(t.CLOCK_MONOTONIC) == 1001.25005
    with pytest.raises(OSError) as info:
        t.clock_gettime(99)
    assert info.value.errno == 22  # argument errors: tests/contract/test_timerfd.py, per Python version
