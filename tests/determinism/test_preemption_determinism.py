"""PCT's preemptions, the spin meter's clock and 1,000 threads: the same under every PYTHONHASHSEED."""
from __future__ import annotations

import textwrap

from hashseed_helpers import output_under_hashseed

WORKLOAD = textwrap.dedent(
    """
    import epollsim

    def run(seed):
        k = epollsim.Kernel(seed, schedule="pct", trace=True)
        r, w = k.os.pipe()
        k.os.set_blocking(r, False)
        seen = []
        def worker(name):
            for i in range(3):
                try:
                    seen.append((name, k.os.read(r, 1), k.time.monotonic_ns()))
                except BlockingIOError:
                    seen.append((name, None, k.time.monotonic_ns()))
                k.os.write(w, name.encode())
        threads = [k.threading.Thread(target=worker, args=(n,)) for n in ("a", "b", "c")]
        for t in threads:
            t.start()
        deadline = k.time.monotonic() + 0.01
        while k.time.monotonic() < deadline:
            pass
        for t in threads:
            t.join()
        return seen, k.sched.preemptions, k.trace.digest()

    for seed in range(12):
        print(run(seed))
    k = epollsim.Kernel(3, schedule="pct")
    ev = k.threading.Event()
    order = []
    def waiter(i):
        ev.wait()
        order.append(i)
    ts = [k.threading.Thread(target=waiter, args=(i,)) for i in range(1000)]
    for t in ts:
        t.start()
    k.time.sleep(0.001)
    ev.set()
    for t in ts:
        t.join()
    print(order[:20], order[-20:], k.now_ns)
    """
)


def test_pct_runs_do_not_depend_on_the_hash_seed() -> None:
    first = output_under_hashseed("0", "-c", WORKLOAD)
    assert first == output_under_hashseed("1", "-c", WORKLOAD) == output_under_hashseed("999", "-c", WORKLOAD)
    assert first.count("\n") >= 13 and "b'" in first
