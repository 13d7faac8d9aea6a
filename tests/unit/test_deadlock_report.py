"""The Deadlock report, word for word: each blocked thread, the line of the program where it
blocked (the innermost frame outside epollsim), what it waits for, and a likely cause.

Each program is compiled as a file named prog.py, so the line numbers are the program's own."""
from __future__ import annotations

import pathlib
import re
import subprocess
import sys
import textwrap

import pytest

from epollsim import Deadlock

README = pathlib.Path(__file__).parents[2] / "README.md"
HEAD = "every thread is blocked and no deadline is pending:\n"


def deadlock_report(source: str) -> str:
    """Run ``source`` as prog.py; it must end in Deadlock, whose message is returned."""
    code = compile(textwrap.dedent(source), "prog.py", "exec")
    with pytest.raises(Deadlock) as info:
        exec(code, {"__name__": "prog"})
    return str(info.value)


def test_two_threads_each_reading_the_others_empty_pipe() -> None:
    report = deadlock_report("""\
        import epollsim

        k = epollsim.Kernel()
        r1, w1 = k.os.pipe()
        r2, w2 = k.os.pipe()


        def reader():
            k.os.read(r1, 100)  # line 9
            k.os.write(w2, b"ok")


        t = k.threading.Thread(target=reader, name="reader")
        t.start()
        k.os.read(r2, 100)  # line 15
        k.os.write(w1, b"go")
    """)
    assert report == HEAD + (
        "  MainThread: blocked at prog.py:15 in read(5): pipe is empty\n"
        "  reader: blocked at prog.py:9 in read(3): pipe is empty"
    )


def test_an_edge_triggered_reader_that_did_not_drain_is_named() -> None:
    report = deadlock_report("""\
        import epollsim

        k = epollsim.Kernel()
        r, w = k.os.pipe2(k.os.O_NONBLOCK)
        ep = k.select.epoll()
        ep.register(r, k.select.EPOLLIN | k.select.EPOLLET)
        k.os.write(w, b"x" * 20)
        assert ep.poll(0) == [(r, k.select.EPOLLIN)]
        k.os.read(r, 8)  # stops before EAGAIN: 12 bytes stay, and no new edge will come
        ep.poll()  # line 10
    """)
    assert report == HEAD + (
        "  MainThread: blocked at prog.py:10 in epoll_wait(5): no registered file is ready\n"
        "    fd 3 is registered EPOLLET and still has 12 unread bytes; "
        "an edge-triggered reader must read until EAGAIN"
    )


def test_a_join_on_a_thread_blocked_forever() -> None:
    report = deadlock_report("""\
        import epollsim

        k = epollsim.Kernel()
        r, w = k.os.pipe()


        def worker():
            k.os.read(r, 1)  # line 8


        t = k.threading.Thread(target=worker, name="worker")
        t.start()
        t.join()  # line 13
    """)
    assert report == HEAD + (
        "  MainThread: blocked at prog.py:13 in join(worker)\n"
        "  worker: blocked at prog.py:8 in read(3): pipe is empty"
    )


def test_a_lock_order_inversion_names_each_locks_holder() -> None:
    report = deadlock_report("""\
        import epollsim

        k = epollsim.Kernel()
        a, b = k.threading.Lock(), k.threading.Lock()


        def one():
            with a:
                k.time.sleep(0.1)
                with b:  # line 10
                    pass


        def two():
            with b:
                k.time.sleep(0.1)
                with a:  # line 17
                    pass


        t1 = k.threading.Thread(target=one, name="one")
        t2 = k.threading.Thread(target=two, name="two")
        t1.start()
        t2.start()
        t1.join()  # line 25
        t2.join()
    """)
    assert report == HEAD + (
        "  MainThread: blocked at prog.py:25 in join(one)\n"
        "  one: blocked at prog.py:10 in Lock.acquire()\n"
        "    the lock is held by two\n"
        "  two: blocked at prog.py:17 in Lock.acquire()\n"
        "    the lock is held by one"
    )


def test_a_lock_taken_twice_a_condition_nobody_notifies_and_an_rlock_kept_by_a_dead_thread() -> None:
    report = deadlock_report("""\
        import epollsim

        k = epollsim.Kernel()
        lock = k.threading.Lock()
        cond = k.threading.Condition()
        rlock = k.threading.RLock()


        def waiter():
            with cond:
                cond.wait()  # line 11


        def taker():
            with rlock:
                k.time.sleep(1)


        def third():
            with rlock:  # line 20
                pass


        k.threading.Thread(target=waiter, name="waiter").start()
        k.threading.Thread(target=taker, name="taker").start()
        k.time.sleep(0.5)
        k.threading.Thread(target=rlock.acquire, name="second").start()  # takes it, never lets go
        k.threading.Thread(target=third, name="third").start()
        lock.acquire()
        lock.acquire()  # line 30
    """)
    assert report == HEAD + (
        "  MainThread: blocked at prog.py:30 in Lock.acquire()\n"
        "    the lock is held by this thread itself\n"
        "  waiter: blocked at prog.py:11 in Condition.wait()\n"
        "  third: blocked at prog.py:20 in RLock.acquire()\n"
        "    the lock is held by second"
    )


def test_a_thread_whose_target_is_a_stand_in_has_no_line_of_its_own() -> None:
    """Nothing of the program is on that thread's stack: the report says only what it waits in."""
    report = deadlock_report("""\
        import epollsim

        k = epollsim.Kernel()
        r, w = k.os.pipe()
        k.threading.Thread(target=k.os.read, args=(r, 1), name="reader").start()
        k.time.sleep(1)  # the reader blocks; then the main thread, which finds the deadlock itself
        k.os.read(r, 1)  # line 7
    """)
    assert report == HEAD + (
        "  MainThread: blocked at prog.py:7 in read(3): pipe is empty\n"
        "  reader: blocked in read(3): pipe is empty"
    )


def test_a_thread_that_ends_without_writing_leaves_the_reader_deadlocked() -> None:
    """The deadlock is found as the last other thread ends."""
    report = deadlock_report("""\
        import epollsim

        k = epollsim.Kernel()
        r, w = k.os.pipe()
        k.threading.Thread(target=lambda: None, name="quitter").start()
        k.os.read(r, 1)  # line 6
    """)
    assert report == HEAD + "  MainThread: blocked at prog.py:6 in read(3): pipe is empty"


def test_the_readme_deadlock_example_prints_what_the_readme_says(tmp_path: pathlib.Path) -> None:
    """README's prog.py, run as a script: its stderr ends with the lines README prints."""
    text = README.read_text()
    match = re.search(r"```python\n(# prog\.py\n.*?)```\n.*?```text\n(.*?)```", text, re.S)
    assert match, "README.md lost its prog.py deadlock example"
    source, printed = match.groups()
    assert printed == f"epollsim.errors.Deadlock: {deadlock_report(source)}\n"
    (tmp_path / "prog.py").write_text(source)
    run = subprocess.run([sys.executable, "prog.py"], cwd=tmp_path, capture_output=True, text=True, timeout=60)
    assert run.returncode == 1
    assert run.stderr.endswith(printed)
