"""Schedules drawn from Hypothesis: a planted race is found, and its schedule shrinks to one swap."""
from __future__ import annotations

import subprocess
import sys

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Flaky

import epollsim
from epollsim.sched.choosers import ChoiceList, Deviations
from epollsim.testing.hypothesis import HypothesisChooser, choices, schedules

SETTINGS = settings(max_examples=300, deadline=None, database=None, derandomize=True,
                    suppress_health_check=[HealthCheck.too_slow])


def in_start_order(k: epollsim.Kernel) -> bytes:
    """The planted race: three workers, each a few steps long, write their letter to a pipe and the
    program assumes the letters arrive in the order the threads were started. The FIFO schedule
    keeps that order (and so does most of any schedule: only the moments the writes happen matter)."""
    r, w = k.os.pipe()

    def worker(letter: bytes) -> None:
        for _ in range(3):
            k.time.sleep(0)  # busy work: switch points that do not matter
        k.os.write(w, letter)
        for _ in range(3):
            k.time.sleep(0)

    threads = [k.threading.Thread(target=worker, args=(c,)) for c in (b"a", b"b", b"c")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return k.os.read(r, 10)


def test_fifo_passes_and_a_chooser_of_zeros_is_fifo() -> None:
    assert in_start_order(epollsim.Kernel()) == b"abc"
    fifo = epollsim.Kernel(trace=True)
    in_start_order(fifo)
    zeros = epollsim.Kernel(schedule=ChoiceList([0] * 50), trace=True)
    in_start_order(zeros)
    assert zeros.trace.digest() == fifo.trace.digest()


def test_hypothesis_finds_the_race_and_shrinks_it_to_one_departure_from_fifo() -> None:
    seen: list[Deviations] = []
    failing: list[Deviations] = []

    @SETTINGS
    @given(schedules(horizon=20))  # the program makes about 20 choices: depart among those
    def test_order(schedule: Deviations) -> None:
        seen.append(schedule)
        got = in_start_order(epollsim.Kernel(schedule=schedule))
        if got != b"abc":
            failing.append(schedule)
        assert got == b"abc"

    with pytest.raises(AssertionError) as failed:
        test_order()
    assert "b'abc'" in str(failed.value)
    assert max(len(s.departed) for s in failing) > 1  # failing schedules with several departures ...
    shrunk = seen[-1]  # ... shrunk to one (Hypothesis runs the minimal failing example last)
    assert len(shrunk.deviations) == len(shrunk.departed) == 1, shrunk
    assert shrunk.made > 5  # one departure among many choices
    notes = "\n".join(getattr(failed.value, "__notes__", []))
    assert "schedule=Deviations(" in notes and repr(shrunk.deviations) in notes  # the call that rebuilds it
    # ... and it replays without Hypothesis, failing the same way.
    assert in_start_order(epollsim.Kernel(schedule=eval(repr(shrunk), {"Deviations": Deviations}))) != b"abc"


def test_every_choice_drawn_from_hypothesis_finds_it_too_and_replays() -> None:
    seen: list[HypothesisChooser] = []

    @SETTINGS
    @given(choices())
    def test_order(chooser: HypothesisChooser) -> None:
        seen.append(chooser)
        assert in_start_order(epollsim.Kernel(schedule=chooser)) == b"abc"

    with pytest.raises(AssertionError):
        test_order()
    shrunk = seen[-1]
    assert 1 <= shrunk.non_default < len(shrunk.choices)
    assert max(c.non_default for c in seen) > shrunk.non_default  # shrinking went toward FIFO
    assert in_start_order(epollsim.Kernel(schedule=shrunk.replay())) == in_start_order(
        epollsim.Kernel(schedule=shrunk.replay())) != b"abc"


def test_a_chooser_draws_the_networks_faults() -> None:
    """A lossy path drops what the chooser says: no draw below the loss rate, nothing lost."""
    def lost(schedule: object) -> int:
        k = epollsim.Kernel(schedule=schedule)  # type: ignore[arg-type]
        k.add_host("b")
        k.network.drop("localhost", "b", 0.5)
        b = k.host("b")
        rx = b.socket.socket(b.socket.AF_INET, b.socket.SOCK_DGRAM)
        rx.bind(("0.0.0.0", 9))
        rx.setblocking(False)
        tx = k.socket.socket(k.socket.AF_INET, k.socket.SOCK_DGRAM)
        for i in range(4):
            tx.sendto(bytes([i]), (b.addresses[0], 9))
        k.time.sleep(1)
        got = 0
        while True:
            try:
                rx.recv(10)
            except BlockingIOError:
                return 4 - got
            got += 1

    assert lost(ChoiceList()) == 0  # no fault draws given: 1.0, no loss
    assert lost(ChoiceList(faults=[0.0, 1.0, 0.0, 1.0])) == 2


def test_hypothesis_finds_a_lost_datagram_and_shrinks_to_one_fault() -> None:
    """A program that assumes a lossy path delivers everything: the shrunk schedule loses one."""
    seen: list[Deviations] = []

    def delivered(schedule: Deviations) -> int:
        k = epollsim.Kernel(schedule=schedule)
        b = k.add_host("b")
        k.network.drop("localhost", "b", 0.1)
        rx = b.socket.socket(b.socket.AF_INET, b.socket.SOCK_DGRAM)
        rx.bind(("0.0.0.0", 9))
        rx.settimeout(1)
        tx = k.socket.socket(k.socket.AF_INET, k.socket.SOCK_DGRAM)
        for i in range(6):
            tx.sendto(bytes([i]), (b.addresses[0], 9))
        got = 0
        try:
            while True:
                rx.recv(10)
                got += 1
        except TimeoutError:
            return got

    @SETTINGS
    @given(schedules(horizon=10))
    def test_no_loss(schedule: Deviations) -> None:
        seen.append(schedule)
        assert delivered(schedule) == 6

    with pytest.raises(AssertionError):
        test_no_loss()
    shrunk = seen[-1]
    assert shrunk.faults == {0} and not shrunk.deviations, shrunk  # one fault, the first draw, nothing else
    assert delivered(Deviations(faults={0})) == 5 and delivered(Deviations()) == 6


def test_a_bad_schedule_is_refused() -> None:
    with pytest.raises(TypeError, match="chooser"):
        epollsim.Kernel(schedule=42)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="fifo"):
        epollsim.Kernel(schedule="lifo")


def test_importing_epollsim_does_not_import_hypothesis() -> None:
    code = (
        "import sys, epollsim; k = epollsim.Kernel(schedule='random'); epollsim.explore; "
        "import epollsim.tools.cli, epollsim.tools.runner, epollsim.tools.pool, epollsim.testing.pytest_plugin; "
        "assert 'hypothesis' not in sys.modules, sorted(m for m in sys.modules if 'hypo' in m)"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_flaky_is_not_what_we_see() -> None:
    """The chooser is deterministic: replaying an example gives the same run (Hypothesis would
    report Flaky otherwise)."""
    @SETTINGS
    @given(schedules())
    def test_order(schedule: HypothesisChooser) -> None:
        assert in_start_order(epollsim.Kernel(schedule=schedule)) == b"abc"

    try:
        test_order()
    except Flaky:  # pragma: no cover - the failure this test exists for
        pytest.fail("Hypothesis found the chooser flaky")
    except AssertionError:
        pass
