"""A systematic exploration split over a Dask cluster's workers (explore --schedule systematic
--dask ADDRESS): the same schedules, failures and first failure as in one process. (Its name
puts it with the tests that start Dask clusters, which run last: tests/conftest.py.)"""
from __future__ import annotations

import pathlib
from collections.abc import Iterator

import pytest

import epollsim
from epollsim.__main__ import main

distributed = pytest.importorskip("distributed")

from epollsim.tools.dask_explore import explore_dask_systematic  # noqa: E402

TOKEN_RACE = str(pathlib.Path(__file__).parents[1] / "cli" / "programs" / "token_race.py")


@pytest.fixture(scope="module")
def cluster() -> Iterator[object]:
    with distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
    ) as local:
        yield local


def test_dask_searches_the_space_one_process_searches(cluster: object) -> None:
    address = cluster.scheduler_address  # type: ignore[attr-defined]
    inline = epollsim.explore_systematic(TOKEN_RACE, 2, stop_at_first=False)
    on_dask = explore_dask_systematic(TOKEN_RACE, 2, address, stop_at_first=False)
    assert on_dask.exhausted and on_dask.runs == inline.runs == 28
    assert [c.id for c, _ in on_dask.failures] == [c.id for c, _ in inline.failures]
    assert on_dask.failures[0][1].message == "only ['a'] got the token"


def test_the_command_line_reports_the_same(cluster: object, capsys: pytest.CaptureFixture[str]) -> None:
    address = cluster.scheduler_address  # type: ignore[attr-defined]
    assert main(["explore", TOKEN_RACE, "--schedule", "systematic", "--stop-at-first"]) == 1
    inline = capsys.readouterr().out
    assert main(["explore", TOKEN_RACE, "--schedule", "systematic", "--stop-at-first", "--dask", address]) == 1
    assert capsys.readouterr().out == inline
    assert "systematic:3=1 (1 preemption)" in inline
