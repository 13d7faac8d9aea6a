"""Exploring seeds on a Dask distributed cluster: ``epollsim explore PROG.py --dask ADDRESS``.

The optional extra ``epollsim[dask]`` installs ``dask[distributed]``. Each task
is ``runner.run_chunk``: one chunk of consecutive seeds, each run by the pure
``run_one`` on a fresh kernel, returning plain data (every seed's digest and
the failing outcomes). Results are put back in seed order whatever order the
workers finish in, ``stop_at_first`` stops at the first failing seed *in seed
order*, and the digest hashes every seed's digest in seed order, so a Dask run
reports exactly what ``explore(jobs=1)`` reports, digest included.

The workers must be able to import epollsim and, for a program file, read it
at the same absolute path (a shared file system, or the same checkout on
every machine); ``module:function`` references must be importable there.
``ADDRESS`` is a scheduler address (``tcp://host:8786``), or ``local`` for a
``distributed.LocalCluster`` of ``workers`` processes on this machine.

A systematic exploration (``--schedule systematic``) has no seeds: its space is
split into shares by ``systematic_parts.py``, one task each (``map_parts_on_dask``).
"""
from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from typing import Any

from ..sched.systematic import SystematicResult
from .exploration import Exploration, Failure, ProgramFailed, explore_systematic
from .pool import ChunkResult, chunk_size_for, merge_chunks, run_chunk
from .programs import Program, ensure_picklable, program_ref
from .runner import Outcome
from .systematic_parts import PartResult, Roots, search_part

CONNECT_TIMEOUT = 5.0  # seconds to reach a scheduler before giving up (distributed's default is 30)


class SchedulerUnreachable(ConnectionError):
    """The Dask scheduler at the address given could not be reached (a usage error on the command line)."""


# A chunk changes process-wide state while it runs (captured stdout, sys.path, the program's module
# entry in sys.modules), so a worker with several threads runs one chunk at a time.
_ONE_CHUNK_AT_A_TIME = threading.Lock()


def run_chunk_task(
    program: Program, index: int, seeds: Sequence[int], schedule: str, stop_at_first: bool, trace: bool
) -> ChunkResult:
    """``run_chunk`` on a Dask worker, one chunk at a time per worker process."""
    with _ONE_CHUNK_AT_A_TIME:
        return run_chunk(program, index, seeds, schedule, stop_at_first, trace)


def _client(address: Any, workers: int) -> tuple[Any, list[Any]]:
    """A ``distributed.Client`` for ``address`` (and what to close after)."""
    try:
        import distributed
    except ImportError:
        raise ImportError(
            "explore --dask needs Dask distributed: pip install 'epollsim[dask]'"
        ) from None
    if isinstance(address, distributed.Client):
        return address, []
    if address == "local":
        cluster = distributed.LocalCluster(
            n_workers=max(1, workers), threads_per_worker=1, processes=True, dashboard_address=None
        )
        client = distributed.Client(cluster)
        return client, [client, cluster]
    try:
        client = distributed.Client(address, timeout=CONNECT_TIMEOUT)
    except (OSError, ValueError, TypeError) as exc:  # refused, timed out, no such host, a malformed address
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise SchedulerUnreachable(f"cannot reach the Dask scheduler at {address}: {first}") from None
    return client, [client]


def explore_dask_chunks(
    program: Program,
    seeds: Sequence[int],
    address: Any,
    *,
    schedule: str = "random",
    stop_at_first: bool = False,
    progress: Callable[[int, int, int], None] | None = None,
    chunk_size: int | None = None,
    trace: bool = False,
    workers: int = 2,
) -> tuple[int, list[Outcome], str]:
    """Run ``seeds`` on the cluster at ``address``; (seeds run, failures in seed order, digest)."""
    ensure_picklable(program, "explore on Dask", "on other machines")
    client, to_close = _client(address, workers)
    try:
        import distributed

        nworkers = max(1, len(client.scheduler_info().get("workers", {})) or workers)
        size = chunk_size or chunk_size_for(len(seeds), nworkers)
        chunks = [seeds[i : i + size] for i in range(0, len(seeds), size)]
        futures = {
            client.submit(
                run_chunk_task, program, index, list(chunk), schedule, stop_at_first, trace,
                pure=False,  # a fresh key per task: never another exploration's result
            ): index
            for index, chunk in enumerate(chunks)
        }
        done: dict[int, ChunkResult] = {}
        stop_after: int | None = None
        finished = failed = 0
        for future in distributed.as_completed(list(futures)):
            index = futures[future]
            if stop_after is not None and index > stop_after:
                future.cancel()
                continue
            result: ChunkResult = future.result()
            done[index] = result
            finished += result.runs
            failed += len(result.failures)
            ends = result.failures and (stop_at_first or result.failures[-1].phase == "load")
            if ends and (stop_after is None or index < stop_after):
                stop_after = index
                for other, other_index in futures.items():
                    if other_index > stop_after and other_index not in done:
                        other.cancel()
            if progress is not None:
                progress(finished, len(seeds), failed)
            if stop_after is not None and all(i in done for i in range(stop_after + 1)):
                break
    finally:
        for closing in to_close:
            closing.close()
    return merge_chunks(done, stop_after if stop_after is not None else len(chunks) - 1)


def search_part_task(program: Program, bound: int, roots: Roots, max_runs: int, stop_at_first: bool) -> PartResult:
    """``systematic_parts.search_part`` on a Dask worker, one at a time per worker process."""
    with _ONE_CHUNK_AT_A_TIME:
        return search_part(program, bound, roots, max_runs, stop_at_first)


def map_parts_on_dask(
    program: Program, bound: int, stop_at_first: bool, address: Any, workers: int
) -> Callable[[list[Roots], int], list[PartResult]]:
    """A ``map_parts`` (systematic_parts.py) that searches each share of a systematic exploration's
    space as one task on the cluster at ``address``."""

    def map_parts(shares: list[Roots], max_runs: int) -> list[PartResult]:
        client, to_close = _client(address, workers)
        try:
            futures = [
                client.submit(search_part_task, program, bound, share, max_runs, stop_at_first, pure=False)
                for share in shares
            ]
            return list(client.gather(futures))
        finally:
            for closing in to_close:
                closing.close()

    return map_parts


def explore_dask_systematic(
    program: Callable[..., Any] | str | Program, preemptions: int, address: Any, stop_at_first: bool = False,
    *, workers: int = 2, max_runs: int = 10_000, capture: bool = True,
) -> SystematicResult[Any]:
    """``explore_systematic`` with the space split over the workers of the cluster at ``address``."""
    prog = program_ref(program)
    mapper = map_parts_on_dask(prog, preemptions, stop_at_first, address, workers)
    return explore_systematic(
        prog, preemptions, max_runs, stop_at_first, jobs=workers, map_parts=mapper, capture=capture
    )


def explore_dask(
    program: Callable[..., Any] | str | Program,
    seeds: Sequence[int],
    address: Any,
    stop_at_first: bool = False,
    *,
    schedule: str = "random",
    progress: Callable[[int, int, int], None] | None = None,
    chunk_size: int | None = None,
    trace: bool = False,
    workers: int = 2,
) -> Exploration:
    """``epollsim.explore`` with the seeds run on a Dask cluster (``address``: a scheduler address,
    ``"local"`` for a LocalCluster of ``workers`` processes, or a ``distributed.Client``)."""
    prog = program_ref(program)
    seq: Sequence[int] = seeds if isinstance(seeds, range | list | tuple) else list(seeds)
    runs, outcomes, digest = explore_dask_chunks(
        prog, seq, address, schedule=schedule, stop_at_first=stop_at_first, progress=progress,
        chunk_size=chunk_size, trace=trace, workers=workers,
    )
    result = Exploration(runs=runs, digest=digest)
    for outcome in outcomes:
        result.failures.append(Failure(outcome.seed, ProgramFailed(outcome), outcome.replay, outcome))
    return result
