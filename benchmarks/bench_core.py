"""Side-by-side benchmark of the model's non-blocking core against the real kernel.

    python benchmarks/bench_core.py            # full run (~30-60 s)
    python benchmarks/bench_core.py --quick    # fewer, shorter rounds (~10 s)
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
import os
import platform
import resource
import sys
from typing import Any, Callable

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from _harness import Env, Result, loop_overhead_ns, model_env, real_env, run_case, table  # noqa: E402

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


def run(quick: bool) -> int:
    rounds, rep_s = (3, 0.04) if quick else (9, 0.12)
    real_limit = resource.getrlimit(resource.RLIMIT_NOFILE)[0]
    print(f"epollsim core benchmark: Python {platform.python_version()} ({platform.python_implementation()}), "
          f"Linux {platform.release()}, {platform.machine()}, RLIMIT_NOFILE={real_limit}")
    print(f"{rounds} interleaved rounds per case, ~{rep_s * 1000:.0f} ms per repetition; "
          "figures are ns per iteration (median and best over rounds)\n")

    results: list[Result] = []
    both = lambda setup, **kw: {"model": (model_env(**kw), setup), "real": (real_env(), setup)}  # noqa: E731

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
            setups = {"model": (model_env(nofile=nofile), setup)}
            label = f"c  poll(0), 1 ready of {nfds:,} (model only*)"
        c_rows[nfds] = run_case(label, loop_c, setups, rounds=rounds, rep_s=rep_s)
        results.append(c_rows[nfds])

    print(table(results))
    overhead = loop_overhead_ns(rounds, rep_s)
    print(f"\n(empty `for _ in range(n)` loop: {overhead:.1f} ns/iteration, included in every figure above)")
    print(f"* N = 100,000 exceeds RLIMIT_NOFILE = {real_limit} of this process (raising it needs "
          "CAP_SYS_RESOURCE): model alone, Kernel(nofile=100,064).")

    flat = c_rows[100_000].median("model") / c_rows[10].median("model")  # type: ignore[operator]
    print("\nTargets:")
    for res, key in ((results[0], "a"), (results[1], "b")):
        ratio = res.median("model") / res.median("real")  # type: ignore[operator]
        print(f"  {key}: model/real = {ratio:.2f}x (target <= 1.00x): {'met' if ratio <= 1.0 else 'NOT met'}")
    print(f"  c: model N=100,000 vs N=10 = {flat:.2f}x (target <= 1.10x): {'met' if flat <= 1.1 else 'NOT met'}")
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
    parser.add_argument("--quick", action="store_true", help="fewer and shorter rounds (~10 s)")
    parser.add_argument("--profile", choices=("a", "b", "c"), help="cProfile the model side of one case")
    parser.add_argument("-n", type=int, default=100_000, help="iterations for --profile")
    args = parser.parse_args(argv)
    if args.profile:
        return profile(args.profile, args.n)
    return run(args.quick)


if __name__ == "__main__":
    sys.exit(main())
