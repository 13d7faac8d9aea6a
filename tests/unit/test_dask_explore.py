"""Exploration on a Dask distributed cluster (``explore --dask ADDRESS``) against a local cluster:
the same seeds, failures, replay commands and digest as ``jobs=1``, in seed order."""
from __future__ import annotations

import pathlib
from collections.abc import Iterator

import pytest

import epollsim
from epollsim.__main__ import main

distributed = pytest.importorskip("distributed")

from epollsim.tools.dask_explore import explore_dask  # noqa: E402

RACE = str(pathlib.Path(__file__).parents[1] / "cli" / "programs" / "race.py")


@pytest.fixture(scope="module")
def cluster() -> Iterator[object]:
    with distributed.LocalCluster(
        n_workers=2, threads_per_worker=2, processes=True, dashboard_address=None
    ) as local:
        yield local


def summary(result: epollsim.Exploration) -> tuple[int, str, list[tuple[int, str, str, str]]]:
    return result.runs, result.digest, [
        (f.seed, f.outcome.kind, f.outcome.message, f.replay) for f in result.failures if f.outcome
    ]


def test_dask_gives_what_one_process_gives(cluster: object) -> None:
    address = cluster.scheduler_address  # type: ignore[attr-defined]
    seeds = range(0, 150)
    inline = epollsim.explore(RACE, seeds, capture=True)
    on_dask = explore_dask(RACE, seeds, address, chunk_size=7)  # many small chunks, finishing in any order
    assert inline.failures and len(inline.failures) < 150  # the race is found on some seeds, not all
    assert summary(on_dask) == summary(inline)
    assert [f.seed for f in on_dask.failures] == sorted(f.seed for f in on_dask.failures)


def test_dask_stops_at_the_first_failure_in_seed_order(cluster: object) -> None:
    address = cluster.scheduler_address  # type: ignore[attr-defined]
    inline = epollsim.explore(RACE, range(300), stop_at_first=True, capture=True)
    on_dask = explore_dask(RACE, range(300), address, stop_at_first=True, chunk_size=3)
    assert len(inline.failures) == 1
    assert summary(on_dask) == summary(inline)


def test_explore_dask_on_the_command_line(cluster: object, capsys: pytest.CaptureFixture[str]) -> None:
    address = cluster.scheduler_address  # type: ignore[attr-defined]
    one = main(["explore", RACE, "--seeds", "0:100"]), capsys.readouterr().out
    dask = main(["explore", RACE, "--seeds", "0:100", "--dask", address]), capsys.readouterr().out
    assert one[0] == dask[0] == 1
    assert dask[1] == one[1]  # the same report, digest included
    assert dask[1].startswith("100 seeds explored, ")


def test_a_program_that_cannot_reach_the_workers_is_refused(cluster: object) -> None:
    address = cluster.scheduler_address  # type: ignore[attr-defined]
    with pytest.raises(TypeError, match="must pickle"):
        explore_dask(lambda k: None, range(3), address)


def test_an_unreachable_scheduler_is_a_one_line_usage_error(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import socket
    import time

    from epollsim.tools import dask_explore

    monkeypatch.setattr(dask_explore, "CONNECT_TIMEOUT", 1.0)
    with socket.socket() as listener:  # a port nobody listens on: bound, never listening
        listener.bind(("127.0.0.1", 0))
        address = f"tcp://127.0.0.1:{listener.getsockname()[1]}"
        started = time.monotonic()
        status = main(["explore", RACE, "--seeds", "0:10", "--dask", address])
        took = time.monotonic() - started
    out, err = capsys.readouterr()
    assert (status, out) == (2, "")
    assert err.startswith(f"epollsim: cannot reach the Dask scheduler at {address}: ") and err.count("\n") == 1, err
    assert took < 10  # the timeout, not distributed's 30 s
    assert main(["explore", RACE, "--seeds", "0:10", "--dask", "http://nowhere:1"]) == 2
    assert capsys.readouterr().err.count("\n") == 1
