"""Many seeds: in this process (``explore_inline``) or in a pool of processes (``explore_pool``).

``explore_pool`` runs seeds in chunks in a ``concurrent.futures`` process
pool (``spawn`` by default: a fresh interpreter per worker, inheriting
nothing); each worker runs its chunk with ``run_chunk`` (``run_one`` per
seed). Results are delivered in seed order whatever order the chunks
finish in, and ``stop_at_first`` stops at the first failing seed *in seed
order*, so ``jobs=N`` reports exactly what ``jobs=1`` reports. The digest of
an exploration hashes every seed's digest in seed order, so two runs (any
``jobs``) agree on it exactly when every seed did the same thing.
"""
from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from .programs import Program, ensure_picklable
from .runner import Outcome, run_one, run_with_error


@dataclass(frozen=True)
class ChunkResult:
    """What a worker sends back for one chunk of seeds: the failures and every seed's digest."""

    index: int
    runs: int
    digests: bytes  # 16 bytes per seed run, in seed order
    failures: list[Outcome]


def run_chunk(
    program: Program, index: int, seeds: Sequence[int], schedule: str, stop_at_first: bool, trace: bool = False
) -> ChunkResult:
    """Run ``seeds`` in order (in a worker process); output is captured into failing outcomes."""
    digests = bytearray()
    failures: list[Outcome] = []
    runs = 0
    for seed in seeds:
        outcome = run_one(program, seed, schedule, capture=True, trace=trace)
        runs += 1
        digests += bytes.fromhex(outcome.digest)
        if not outcome.passed:
            failures.append(outcome)
            if stop_at_first or outcome.phase == "load":
                break
    return ChunkResult(index, runs, bytes(digests), failures)


def chunk_size_for(total: int, jobs: int) -> int:
    """About 16 chunks per worker (progress and stop_at_first stay responsive), 1 to 256 seeds each."""
    return max(1, min(256, total // (jobs * 16) or 1))


def explore_pool(
    program: Program,
    seeds: Sequence[int],
    *,
    schedule: str = "random",
    jobs: int = 2,
    stop_at_first: bool = False,
    progress: Callable[[int, int, int], None] | None = None,
    start_method: str = "spawn",
    chunk_size: int | None = None,
    trace: bool = False,
) -> tuple[int, list[Outcome], str]:
    """Run ``seeds`` over ``jobs`` processes; (seeds run, failures in seed order, digest)."""
    import concurrent.futures
    import multiprocessing

    ensure_picklable(program, f"explore(jobs={jobs})")
    size = chunk_size or chunk_size_for(len(seeds), jobs)
    chunks = [seeds[i : i + size] for i in range(0, len(seeds), size)]
    done: dict[int, ChunkResult] = {}
    stop_after: int | None = None  # the first chunk (in seed order) that ended the exploration
    finished = failed = 0
    context = multiprocessing.get_context(start_method)
    with concurrent.futures.ProcessPoolExecutor(max_workers=jobs, mp_context=context) as pool:
        pending: dict[concurrent.futures.Future[ChunkResult], int] = {}
        following = 0
        window = jobs * 4

        def fill() -> None:
            nonlocal following
            while following < len(chunks) and len(pending) < window:
                if stop_after is not None and following > stop_after:
                    return
                future = pool.submit(
                    run_chunk, program, following, chunks[following], schedule, stop_at_first, trace
                )
                pending[future] = following
                following += 1

        fill()
        while pending:
            finished_now, _ = concurrent.futures.wait(pending, return_when=concurrent.futures.FIRST_COMPLETED)
            for future in finished_now:
                index = pending.pop(future)
                result = future.result()
                done[index] = result
                finished += result.runs
                failed += len(result.failures)
                ends = result.failures and (stop_at_first or result.failures[-1].phase == "load")
                if ends and (stop_after is None or index < stop_after):
                    stop_after = index
            if stop_after is not None:
                for future, index in list(pending.items()):
                    if index > stop_after and future.cancel():
                        del pending[future]
            if progress is not None:
                progress(finished, len(seeds), failed)
            fill()
    return merge_chunks(done, stop_after if stop_after is not None else len(chunks) - 1)


def merge_chunks(done: dict[int, ChunkResult], last: int) -> tuple[int, list[Outcome], str]:
    """Chunks 0..last, in seed order whatever order they finished in: (runs, failures, digest)."""
    runs = 0
    failures: list[Outcome] = []
    h = hashlib.blake2b(digest_size=16)
    for index in range(last + 1):
        result = done[index]
        runs += result.runs
        failures.extend(result.failures)
        h.update(result.digests)
    return runs, failures, h.hexdigest()


def explore_inline(
    program: Program,
    seeds: Sequence[int],
    *,
    schedule: str = "random",
    stop_at_first: bool = False,
    progress: Callable[[int, int, int], None] | None = None,
    capture: bool = False,
    trace: bool = False,
) -> tuple[int, list[tuple[Outcome, BaseException | None]], str]:
    """``explore_pool`` in this process, keeping each failure's exception object."""
    runs = 0
    failures: list[tuple[Outcome, BaseException | None]] = []
    h = hashlib.blake2b(digest_size=16)
    total = len(seeds)
    for seed in seeds:
        outcome, error = run_with_error(program, seed, schedule, capture=capture, trace=trace)
        runs += 1
        h.update(bytes.fromhex(outcome.digest))
        if not outcome.passed:
            failures.append((outcome, error))
        if progress is not None and (runs % 64 == 0 or runs == total):
            progress(runs, total, len(failures))
        if not outcome.passed and (stop_at_first or outcome.phase == "load"):
            break
    if progress is not None and runs % 64 and runs != total:
        progress(runs, total, len(failures))
    return runs, failures, h.hexdigest()

