"""The pytest plugin: the ``kernel`` fixture, the ``epollsim`` marker, the ``--epollsim-*`` options.

Installed as the ``pytest11`` entry point ``epollsim`` (``-p no:epollsim``
turns it off). It is inert unless a test asks for it: importing it imports
nothing of the model and patches nothing, its hooks return at once for tests
that neither use the fixture nor carry the marker, and no fixture is autouse.

- ``kernel``: a fresh ``epollsim.Kernel`` for each test, seeded from a stable
  hash of the test's node id (``zlib.crc32``, never ``hash()`` or the time), so
  reruns and pytest-xdist workers agree. Default (FIFO) schedule unless marked.
- ``@pytest.mark.epollsim(seeds=..., schedule="random", patch=False, chunk=None, **kernel_options)``:
  the test runs once per seed, on ``Kernel(seed, schedule=schedule, **kernel_options)``.
  ``seeds`` is an iterable of seeds or an int N (seeds 0 to N-1). Up to
  ``PER_SEED_ITEMS`` seeds give one item per seed (``test_x[seed=17]``); more
  are grouped into items of ``CHUNK`` consecutive seeds (``test_x[seeds=0-99]``),
  so ``seeds=range(10_000)`` is 100 items that pytest-xdist spreads over its
  workers; ``chunk=`` sets the group size (``chunk=1``: one item per seed).
  Within a chunk the body runs once per seed, each on a fresh kernel; other
  function-scoped fixtures are set up once per item (as with Hypothesis), so a
  test with a fixture that itself uses ``kernel`` gets one item per seed.
  ``patch=True`` runs the body under ``kernel.patch()`` (``Unsupported`` while
  the kernel does not offer it).
- ``--epollsim-seed N``: run marked tests with seed N only (and give unmarked
  ``kernel`` tests seed N): the replay command of a failure.
- ``--epollsim-seeds A:B``: run marked tests with seeds A to B-1 instead of the
  marker's, to shard a large sweep over CI jobs.
- ``--epollsim-trace DIR``: where a failing test's trace goes,
  ``DIR/<test id>.json`` (Perfetto trace-event JSON), named in its report.
  A one-seed item records its trace as it runs; an item of many seeds (a
  sweep) runs untraced and reruns a failing seed traced, so that a sweep costs
  what an untraced one does. Without the option the file goes under pytest's
  own temporary directory (``<basetemp>/epollsim-traces``, kept and rotated as
  ``tmp_path`` is); ``--epollsim-trace off`` records nothing.
- ``--epollsim-real``: the ``kernel`` fixture hands out ``RealKernel``: the host's
  own ``os``, ``select``, ``socket``, ``fcntl``, ``time`` and ``threading``, so a
  test written against the stand-ins checks that it describes Linux. Marked
  tests run once, unseeded (``patch=True`` needs nothing: the modules are the
  real ones); a marker's Kernel options (``max_user_watches=``, ...) cannot be
  honoured there, so such a test is skipped, naming them, as is a test touching
  model-only attributes. Each real run gets ``--epollsim-real-timeout`` seconds
  (default 60; 0 for none) before it fails with ``RealRunTimeout``.
- Every option has an ini-file twin of the same name (``epollsim_seed``,
  ``epollsim_seeds``, ``epollsim_trace``, ``epollsim_real``,
  ``epollsim_real_timeout``); the command line wins.

A bad marker argument fails its test at setup with a message naming it (as an
unknown fixture does). Failures show the test's own frames: epollsim's are left
out of the traceback (``runner.prune_traceback``; ``--full-trace`` keeps them).

A failing test's report gets an ``epollsim`` section: the seed and schedule,
the exact command that replays it, the deadlock (or data race) report when
that is the failure, and the trace file when one was written.
"""
from __future__ import annotations

import dataclasses
import inspect
from collections.abc import Generator, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest

from .async_tests import is_ours_to_await, loop_factories, run_coroutine_test, set_current_kernel
from .marker import CHUNK, PER_SEED_ITEMS, InvalidMarker, MarkerOptions, chunk_id, chunked, marker_options
from .plugin_options import REAL_TIMEOUT, option, pytest_addoption  # noqa: F401 (a hook pytest finds here)
from .real_kernel import RealKernel, RealRunTimeout, time_limit
from .report import node_seed, replay_command, report_text

__all__ = [
    "CHUNK", "PER_SEED_ITEMS", "MarkerOptions", "RealKernel", "RealRunTimeout", "chunk_id", "chunked",
    "marker_options",
]

_PARAM = "_epollsim_seeds"


# -- options and the marker ------------------------------------------------------


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "epollsim(seeds=N|iterable, schedule='random'|'fifo'|'pct'|'systematic', patch=False, chunk=None, "
        "depth=3 (pct), preemptions=2 (systematic), **kernel_options): "
        "run the test once per seed on a fresh epollsim kernel (see epollsim.testing.pytest_plugin)",
    )


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    marker = metafunc.definition.get_closest_marker("epollsim")
    if marker is None:
        return
    if "kernel" not in metafunc.fixturenames:
        metafunc.fixturenames.append("kernel")  # the body may not ask for it; the run needs it
    try:
        options = marker_options(marker)
    except InvalidMarker:
        return  # one item, failed at setup with the message (``_state_for``)
    config = metafunc.config
    if option(config, "epollsim_real") or options.schedule == "systematic":
        return  # one unseeded run on the host's kernel; one item searching every schedule
    seeds = options.seeds
    if option(config, "epollsim_seed") is not None:
        seeds = (option(config, "epollsim_seed"),)
    elif option(config, "epollsim_seeds") is not None:
        seeds = tuple(option(config, "epollsim_seeds"))
    if seeds is None:
        return  # marked for its options only: one run, seeded from the node id
    chunk = options.chunk
    if chunk is None and inspect.iscoroutinefunction(metafunc.function) and metafunc.config.pluginmanager.hasplugin("asyncio"):
        chunk = 1  # pytest-asyncio makes one loop per item, on the item's first kernel: one seed per item
    if chunk is None and _fixtures_on_kernel(metafunc):
        chunk = 1  # a fixture built on the kernel is set up once per item: one seed per item, then
    groups = chunked(seeds, chunk)
    metafunc.fixturenames.append(_PARAM)
    metafunc.parametrize(_PARAM, groups, ids=[chunk_id(g) for g in groups])


@pytest.hookimpl(optionalhook=True, trylast=True)
def pytest_asyncio_loop_factories(config: pytest.Config, item: pytest.Item) -> dict[str, Any]:
    """pytest-asyncio (1.x): a test using epollsim gets its loop from the kernel (``async_tests``)."""
    uses = item.get_closest_marker("epollsim") is not None or "kernel" in getattr(item, "fixturenames", ())
    return loop_factories(item, uses)


def _fixtures_on_kernel(metafunc: pytest.Metafunc) -> bool:
    """Whether another fixture of the test uses ``kernel`` (or its seed)."""
    defs = getattr(metafunc, "_arg2fixturedefs", None) or {}
    for name, fixturedefs in defs.items():
        if name in ("kernel", "epollsim_seed", _PARAM) or not fixturedefs:
            continue
        if {"kernel", "epollsim_seed"} & set(getattr(fixturedefs[-1], "argnames", ())):
            return True
    return False


# -- per-test state ----------------------------------------------------------------


@dataclass
class _State:
    """What the plugin knows about one test item that uses it."""

    nodeid: str
    seeds: tuple[int, ...]
    options: MarkerOptions
    real: bool
    seed: int = 0  # the seed running (or that failed)
    kernel: Any = None
    trace_dir: str | None = None  # --epollsim-trace (None: off)
    trace_root: Any = None  # pytest's TempPathFactory, when traces go under its basetemp
    died: list[tuple[str, BaseException]] = field(default_factory=list)  # simulated threads' deaths
    chunked: bool = False
    inside: bool = False
    real_timeout: float = 0.0  # --epollsim-real-timeout (0: none)
    full_trace: bool = False  # --full-trace: keep epollsim's frames in tracebacks
    rerun_note: str = ""  # how the traced rerun of a sweep's failing seed went, when it differed
    schedule: str = ""  # schedule="systematic": the failing schedule's id; its search's note below
    search_note: str = ""


_STATE = pytest.StashKey[_State]()


def _state_for(request: pytest.FixtureRequest) -> _State:
    item = request.node
    state: _State | None = item.stash.get(_STATE, None)
    if state is not None:
        return state
    config = request.config
    marker = item.get_closest_marker("epollsim")
    try:
        options = marker_options(marker) if marker is not None else MarkerOptions(None, "fifo", False, None)
    except InvalidMarker as exc:
        invalid = str(exc)
    else:
        invalid = ""
    if invalid:
        pytest.fail(invalid, pytrace=False)  # outside the except: no "during handling" echo
    if marker is not None and option(config, "epollsim_schedule") is not None:  # a replay's schedule
        options = dataclasses.replace(options, schedule=option(config, "epollsim_schedule"), seeds=None)
    callspec = getattr(item, "callspec", None)
    group = callspec.params.get(_PARAM) if callspec is not None else None
    if group is not None:
        seeds = tuple(group)
    elif option(config, "epollsim_seed") is not None:
        seeds = (option(config, "epollsim_seed"),)
    else:
        seeds = (node_seed(item.nodeid),)
    state = _State(item.nodeid, seeds, options, bool(option(config, "epollsim_real")), seeds[0])
    if options.schedule.startswith("systematic:"):
        state.schedule, state.search_note = options.schedule, "replayed"
    timeout = option(config, "epollsim_real_timeout")
    state.real_timeout = REAL_TIMEOUT if timeout is None else timeout
    state.full_trace = bool(config.getoption("fulltrace", False))
    trace_option = option(config, "epollsim_trace")
    if trace_option is None:  # the default: pytest's temporary directory, made only if a test fails
        factory = getattr(config, "_tmp_path_factory", None)
        state.trace_dir = "" if factory is not None else None
        state.trace_root = factory
    elif trace_option != "off":
        state.trace_dir = trace_option
    state.chunked = group is not None and len(group) > 1
    item.stash[_STATE] = state
    return state


def _make_kernel(state: _State, seed: int, traced: bool | None = None, schedule: Any = None) -> Any:
    """A fresh kernel for ``seed`` (and ``schedule``, else the marker's); traced as it runs only in a
    one-seed item (a sweep's failing seed is rerun traced instead: ``_run_seed``), unless ``traced`` says."""
    from ..kernel import Kernel
    from ..tools.runner import watch_thread_errors

    state.seed = seed
    chosen = schedule if schedule is not None else state.options.schedule
    state.kernel = Kernel(seed, schedule=chosen, **state.options.kernel_options)
    if traced is None:
        traced = not state.chunked
    if state.trace_dir is not None and traced:
        state.kernel.trace.start()
    state.died = watch_thread_errors(state.kernel)
    set_current_kernel(state.kernel)
    return state.kernel


@pytest.fixture
def epollsim_seed(request: pytest.FixtureRequest) -> int:
    """The seed of this test's kernel (the one running, in a chunk of seeds)."""
    return _state_for(request).seed


@pytest.fixture
def kernel(request: pytest.FixtureRequest) -> Iterator[Any]:
    """A fresh ``epollsim.Kernel`` for this test (``RealKernel`` under ``--epollsim-real``)."""
    state = _state_for(request)
    if state.real:
        if state.options.kernel_options:
            names = ", ".join(f"{k}={v!r}" for k, v in state.options.kernel_options.items())
            pytest.skip(f"--epollsim-real cannot honour @pytest.mark.epollsim({names}): the host's kernel is as it is")
        real = RealKernel()
        state.kernel = real
        try:
            yield real
        finally:
            real.cleanup()
        return
    try:
        yield _make_kernel(state, state.seeds[0])
    finally:
        set_current_kernel(None)  # a loop factory called later fails loudly rather than use this kernel


@pytest.hookimpl(tryfirst=True)
def pytest_pyfunc_call(pyfuncitem: pytest.Function) -> bool | None:
    """Run the body once per seed of the item, under ``kernel.patch()`` if asked; fail the test
    when a simulated thread died of an exception. On the real kernel: once, with a timeout."""
    __tracebackhide__ = True
    state = pyfuncitem.stash.get(_STATE, None)
    if state is None or state.inside:
        return None
    state.inside = True
    try:
        if state.real:
            with time_limit(state.real_timeout):
                if is_ours_to_await(pyfuncitem):
                    run_coroutine_test(pyfuncitem, state.kernel)
                else:
                    pyfuncitem.ihook.pytest_pyfunc_call(pyfuncitem=pyfuncitem)
            return True
        for index, seed in enumerate(state.seeds):
            if index:
                _use_kernel(pyfuncitem, state, _make_kernel(state, seed))
            try:
                _run_seed(pyfuncitem, state) if state.options.schedule != "systematic" else _run_systematic(
                    pyfuncitem, state)
            except BaseException as exc:
                if state.chunked and state.trace_dir is not None and not isinstance(exc, pytest.skip.Exception):
                    _rerun_traced(pyfuncitem, state, exc)
                if not state.full_trace:
                    from ..tools.runner import prune_traceback

                    prune_traceback(exc)
                raise
    finally:
        state.inside = False
    return True


def _run_systematic(pyfuncitem: pytest.Function, state: _State) -> None:
    """Every schedule within the marker's preemptions (``systematic_tests.py``)."""
    from types import SimpleNamespace

    from .systematic_tests import run_test

    defs = getattr(getattr(pyfuncitem, "_fixtureinfo", None), "name2fixturedefs", {})
    if _fixtures_on_kernel(SimpleNamespace(_arg2fixturedefs=defs)):  # type: ignore[arg-type]
        pytest.fail("@pytest.mark.epollsim(schedule='systematic') runs the body on a fresh kernel for each "
                    "schedule, but a fixture of this test is built on the kernel once: use the kernel in the "
                    "body (or seeds=..., which runs one seed per item here)", pytrace=False)

    def make(schedule: Any, traced: bool) -> None:
        _use_kernel(pyfuncitem, state, _make_kernel(state, state.seeds[0], traced, schedule))

    def found(schedule: str, note: str) -> None:
        state.schedule, state.search_note = schedule, note

    run_test(state.options.preemptions, make, lambda: _run_seed(pyfuncitem, state), found)


def _use_kernel(pyfuncitem: pytest.Function, state: _State, kernel: Any) -> None:
    if "kernel" in pyfuncitem.funcargs:
        pyfuncitem.funcargs["kernel"] = kernel
    if "epollsim_seed" in pyfuncitem.funcargs:
        pyfuncitem.funcargs["epollsim_seed"] = state.seed


def _run_seed(pyfuncitem: pytest.Function, state: _State) -> None:
    __tracebackhide__ = True
    with _patched(state):
        if is_ours_to_await(pyfuncitem):
            run_coroutine_test(pyfuncitem, state.kernel)
        else:
            pyfuncitem.ihook.pytest_pyfunc_call(pyfuncitem=pyfuncitem)
    _raise_thread_errors(state)


def _rerun_traced(pyfuncitem: pytest.Function, state: _State, first: BaseException) -> None:
    """Run the failing seed of a sweep again, traced, for its report (same seed, same run)."""
    _use_kernel(pyfuncitem, state, _make_kernel(state, state.seed, traced=True))
    try:
        _run_seed(pyfuncitem, state)
    except BaseException as again:
        if (type(again), str(again)) == (type(first), str(first)):
            return
        state.rerun_note = f"the traced rerun failed differently: {type(again).__name__}: {again}"
        return
    state.rerun_note = "the traced rerun passed: the test does not repeat itself for one seed"


class ThreadFailed(AssertionError):
    """A simulated thread died of an exception (its traceback is this error's cause)."""


def _raise_thread_errors(state: _State) -> None:
    from ..tools.runner import thread_errors

    __tracebackhide__ = True
    for name, exc in thread_errors(state.kernel, state.died)[:1]:
        raise ThreadFailed(f"simulated thread {name} raised {type(exc).__name__}: {exc}") from exc


class _patched:
    def __init__(self, state: _State) -> None:
        self.state = state
        self.cm: Any = None

    def __enter__(self) -> None:
        if not self.state.options.patch:
            return
        patch = getattr(self.state.kernel, "patch", None)
        if patch is None:
            from ..errors import Unsupported

            raise Unsupported(
                "@pytest.mark.epollsim(patch=True) runs the test under Kernel.patch(), which is not "
                "available in this version of epollsim yet; use the kernel fixture's stand-ins "
                "(kernel.os, kernel.socket, kernel.threading, ...)"
            )
        self.cm = patch()
        self.cm.__enter__()

    def __exit__(self, *exc: Any) -> Any:
        if self.cm is not None:
            return self.cm.__exit__(*exc)
        return None


# -- the failure report ------------------------------------------------------------


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Generator[None, Any, None]:
    outcome = yield
    state = item.stash.get(_STATE, None)
    if state is None or state.real:
        return
    report = outcome.get_result()
    if not report.failed:
        return
    error = call.excinfo.value if call.excinfo is not None else None
    text = report_text(state, error)
    report.user_properties.append(("epollsim_seed", state.seed))
    report.user_properties.append(("epollsim_replay", replay_command(state)))
    longrepr = report.longrepr
    if hasattr(longrepr, "addsection"):
        longrepr.addsection("epollsim", text)
    else:
        report.sections.append(("epollsim", text))


def seeds_of(items: Iterable[pytest.Item]) -> list[int]:
    """Every seed the given items run (for tools and tests)."""
    found: list[int] = []
    for item in items:
        callspec = getattr(item, "callspec", None)
        if callspec is not None and _PARAM in callspec.params:
            found.extend(callspec.params[_PARAM])
    return found
