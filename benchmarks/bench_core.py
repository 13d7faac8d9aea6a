"""Side-by-side benchmark of the model's non-blocking core against the real kernel.

    python benchmarks/bench_core.py            # full run (15-45 s)
    python benchmarks/bench_core.py --quick    # fewer, shorter rounds (3-10 s)
    python benchmarks/bench_core.py --breakdown   # also case a's parts: write+read, poll(0) idle/ready,
                                                  # and case a with the model called through k.sys
    python benchmarks/bench_core.py --profile a   # cProfile of the model side of case a (or b, c)

Cases (the same loop code runs on both backends; see _harness.py for timing):

  a  pipe: os.write(w, b"x") + ep.poll(0) + os.read(r, 1), the read end registered EPOLLIN (LT)
  b  ep.register(r, EPOLLIN) + ep.modify(r, EPOLLIN|EPOLLOUT) + ep.unregister(r), on a pipe read end
  c  ep.poll(0) with exactly one ready eventfd among N registered (EPOLLIN, LT), for several N;
     N = 100,000 exceeds the host's RLIMIT_NOFILE (20,000 here, and raising it needs
     CAP_SYS_RESOURCE), so that row runs on the model alone, with Kernel(nofile=...).

Targets: a and b at most 1.0x the real kernel; c flat in N (model 100,000 vs 10 within 1.1x).
"""
from __future__ import annotations

import argparse
import functools
import os
import platform
import resource
import sys
from collections.abc import Callable
from types import SimpleNamespace
from typing import Any

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from _harness import Env, Result, loop_overhead_ns, model_env, real_env, run_case, table

import epollsim

EPOLLIN = 0x001
EPOLLOUT = 0x004


# -- the loops: identical code for both backends ------------------------------------


def loop_a(os: Any, ep: Any, r: int, w: int, n: int) -> None:
    for _ in range(n):
        os.write(w, b"x")
        ep.poll(0)
        os.read(r, 1)


def loop_b(ep: Any, fd: int, n: int) -> None:
    for _ in range(n):
        ep.register(fd, EPOLLIN)
        ep.modify(fd, EPOLLIN | EPOLLOUT)
        ep.unregister(fd)


def loop_c(ep: Any, n: int) -> None:
    for _ in range(n):
        ep.poll(0)


def loop_write_read(os: Any, ep: Any, r: int, w: int, n: int) -> None:
    for _ in range(n):
        os.write(w, b"x")
        os.read(r, 1)


def loop_poll(os: Any, ep: Any, r: int, w: int, n: int) -> None:
    for _ in range(n):
        ep.poll(0)


# -- setups: build the state, check it behaves the same, hand back a cleanup ---------


def setup_a(env: Env) -> tuple[tuple[Any, ...], Callable[[], None]]:
    os_ = env.os
    r, w = os_.pipe()
    os_.set_blocking(r, False)
    os_.set_blocking(w, False)
    ep = env.select.epoll()
    ep.register(r, EPOLLIN)
    os_.write(w, b"x")
    assert ep.poll(0) == [(r, EPOLLIN)], env.name
    assert os_.read(r, 1) == b"x"
    assert ep.poll(0) == [], env.name

    def cleanup() -> None:
        ep.close()
        os_.close(r)
        os_.close(w)

    return (os_, ep, r, w), cleanup


def setup_b(env: Env) -> tuple[tuple[Any, ...], Callable[[], None]]:
    os_ = env.os
    r, w = os_.pipe()
    os_.set_blocking(r, False)
    ep = env.select.epoll()
    ep.register(r, EPOLLIN)
    ep.modify(r, EPOLLIN | EPOLLOUT)
    assert ep.poll(0) == [], env.name
    ep.unregister(r)

    def cleanup() -> None:
        ep.close()
        os_.close(r)
        os_.close(w)

    return (ep, r), cleanup


def setup_a_raw(env: Env) -> tuple[tuple[Any, ...], Callable[[], None]]:
    """Case a's state, with the model's calls reached through ``k.sys`` (the Linux-shaped layer
    under the stand-ins, without CPython's argument conversions); the real side is case a."""
    (os_, ep, r, w), cleanup = setup_a(env)
    if env.kernel is None:
        return (os_, ep, r, w), cleanup
    sys_ = env.kernel.sys
    raw_os = SimpleNamespace(write=sys_.write, read=sys_.read)
    raw_ep = SimpleNamespace(poll=functools.partial(sys_.epoll_wait, ep.fileno(), 1023))
    return (raw_os, raw_ep, r, w), cleanup


def setup_a_with_byte(env: Env) -> tuple[tuple[Any, ...], Callable[[], None]]:
    """Case a's state with one unread byte in the pipe: the read end stays ready."""
    args, cleanup = setup_a(env)
    os_, ep, r, w = args
    os_.write(w, b"x")
    assert ep.poll(0) == [(r, EPOLLIN)], env.name
    return args, cleanup


def make_setup_c(nfds: int) -> Callable[[Env], tuple[tuple[Any, ...], Callable[[], None]]]:
    def setup_c(env: Env) -> tuple[tuple[Any, ...], Callable[[], None]]:
        os_ = env.os
        flags = os_.EFD_CLOEXEC | os_.EFD_NONBLOCK
        ep = env.select.epoll()
        fds: list[int] = []
        try:
            for i in range(nfds):
                fd = os_.eventfd(1 if i == nfds // 2 else 0, flags)
                fds.append(fd)
                ep.register(fd, EPOLLIN)
            ready = fds[nfds // 2]
            assert ep.poll(0) == [(ready, EPOLLIN)], env.name
            assert ep.poll(0) == [(ready, EPOLLIN)], env.name  # LT: again
        except BaseException:
            ep.close()
            for fd in fds:
                os_.close(fd)
            raise

        def cleanup() -> None:
            ep.close()
            for fd in fds:
                os_.close(fd)

        return (ep,), cleanup

    return setup_c


# -- main ------------------------------------------------------------------------------


def run(quick: bool, breakdown: bool = False) -> int:
    rounds, rep_s = (5, 0.02) if quick else (21, 0.05)
    real_limit = resource.getrlimit(resource.RLIMIT_NOFILE)[0]
    print(f"epollsim core benchmark: Python {platform.python_version()} ({platform.python_implementation()}), "
          f"Linux {platform.release()}, {platform.machine()}, RLIMIT_NOFILE={real_limit}")
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    print(f"model: epollsim from {os.path.dirname(epollsim.__file__)}; {os.cpu_count()} CPUs, load average {load}")
    print(f"{rounds} interleaved rounds per case, ~{rep_s * 1000:.0f} ms per repetition; "
          "figures are ns per iteration (median and best over rounds);\n"
          "model/real is the median over rounds of the ratio within each round\n")

    results: list[Result] = []

    def both(setup: Callable[..., Any], **kernel_kwargs: Any) -> dict[str, tuple[Env, Callable[..., Any]]]:
        return {"model": (model_env(**kernel_kwargs), setup), "real": (real_env(), setup)}

    results.append(run_case("a  write 1B + poll(0) + read 1B", loop_a, both(setup_a), rounds=rounds, rep_s=rep_s))
    results.append(run_case("b  register + modify + unregister", loop_b, both(setup_b), rounds=rounds, rep_s=rep_s))
    c_rows: dict[int, Result] = {}
    for nfds in (10, 1_000, 10_000, 100_000):
        setup = make_setup_c(nfds)
        nofile = nfds + 64
        if nfds + 64 <= real_limit:
            setups = both(setup, nofile=max(nofile, 1024))
            label = f"c  poll(0), 1 ready of {nfds:,}"
        else:
            # Model alone; interleaved with a model N=10 run, for a paired flatness ratio.
            setups = {"model": (model_env(nofile=nofile), setup), "model N=10": (model_env(), make_setup_c(10))}
            label = f"c  poll(0), 1 ready of {nfds:,} (model only*)"
        c_rows[nfds] = run_case(label, loop_c, setups, rounds=rounds, rep_s=rep_s)
        results.append(c_rows[nfds])

    if breakdown:
        results.append(run_case("a' write 1B + read 1B (no poll)", loop_write_read, both(setup_a), rounds=rounds, rep_s=rep_s))
        results.append(run_case("a' poll(0), nothing ready", loop_poll, both(setup_a), rounds=rounds, rep_s=rep_s))
        results.append(run_case("a' poll(0), the pipe ready", loop_poll, both(setup_a_with_byte), rounds=rounds, rep_s=rep_s))
        results.append(run_case("a'' a with the model through k.sys", loop_a, both(setup_a_raw), rounds=rounds, rep_s=rep_s))

    print(table(results))
    overhead = loop_overhead_ns(rounds, rep_s)
    print(f"\n(empty `for _ in range(n)` loop: {overhead:.1f} ns/iteration, included in every figure above)")
    print(f"* N = 100,000 exceeds RLIMIT_NOFILE = {real_limit} of this process (raising it needs "
          "CAP_SYS_RESOURCE): model alone, Kernel(nofile=100,064).")

    c100k = c_rows[100_000]
    flat_med = c100k.paired_ratio("model", "model N=10") or float("nan")
    flat_best = c100k.best("model") / c100k.best("model N=10")  # type: ignore[operator]
    print("\nTargets (model/real = median of per-round ratios; best/best in brackets):")
    for res, key in ((results[0], "a"), (results[1], "b")):
        med = res.paired_ratio() or float("nan")
        best = res.best("model") / res.best("real")  # type: ignore[operator]
        print(f"  {key}: model/real = {med:.2f}x [{best:.2f}x] (target <= 1.00x): {'met' if med <= 1.0 else 'NOT met'}")
    print(f"  c: model N=100,000 vs N=10 (interleaved) = {flat_med:.2f}x [{flat_best:.2f}x] (target <= 1.10x): "
          f"{'met' if flat_med <= 1.1 else 'NOT met'}")
    return 0


def profile(case: str, n: int) -> int:
    import cProfile
    import pstats

    env = model_env(nofile=100_064)
    if case == "a":
        args, cleanup = setup_a(env)
        loop: Callable[..., Any] = loop_a
    elif case == "b":
        args, cleanup = setup_b(env)
        loop = loop_b
    else:
        args, cleanup = make_setup_c(100_000)(env)
        loop = loop_c
    prof = cProfile.Profile()
    prof.runcall(loop, *args, n)
    cleanup()
    stats = pstats.Stats(prof)
    stats.sort_stats("tottime").print_stats(25)
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="fewer and shorter rounds (3-10 s)")
    parser.add_argument("--breakdown", action="store_true", help="also time case a's parts (a')")
    parser.add_argument("--profile", choices=("a", "b", "c"), help="cProfile the model side of one case")
    parser.add_argument("-n", type=int, default=100_000, help="iterations for --profile")
    args = parser.parse_args(argv)
    if args.profile:
        return profile(args.profile, args.n)
    return run(args.quick, args.breakdown)


if __name__ == "__main__":
    sys.exit(main())
