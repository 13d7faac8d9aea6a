"""``python -m epollsim demo``: the epoll transcript (model beside the real kernel) and the main job,
an asyncio client and server on two simulated hosts with a partition, on virtual time."""
from __future__ import annotations

import subprocess
import sys

from epollsim.__main__ import main
from epollsim.tools import demo

NETWORK = """\
asyncio on the model: a client and a server on two simulated hosts, 10 ms apart
(CPython's own event loop; its selector is the model's epoll, its clock the virtual clock)

    0.040 s  client connected to server:8080 (10.0.0.2)
    0.060 s  client got b'HELLO\\n'
    0.060 s  partition between client and server
    5.060 s  client: no answer within 5 s
    5.060 s  partition healed
    6.900 s  client got b'STILL THERE?\\n'  (TCP retransmitted it, on Linux's timers)

6.900 s of virtual time, none of it waited for: the clock jumps when every thread waits"""


def test_the_network_part_word_for_word_and_the_same_every_time() -> None:
    for _ in range(2):
        lines: list[str] = []
        assert round(demo.network(lines.append), 3) == 6.9
        assert "\n".join(lines) == NETWORK


def test_the_demo_command_shows_both_parts_and_agrees_with_the_real_kernel() -> None:
    run = subprocess.run(
        [sys.executable, "-m", "epollsim", "demo"], capture_output=True, text=True, timeout=60
    )
    assert run.returncode == 0, run.stderr
    assert run.stderr == ""
    first, _, second = run.stdout.partition("\n\nasyncio on the model")
    assert "register(r, EPOLLIN|EPOLLET)" in first
    if sys.platform.startswith("linux"):
        assert first.endswith("model and real kernel agree on every step")
    assert ("asyncio on the model" + second).rstrip("\n") == NETWORK


def test_model_only(capsys: object) -> None:
    lines: list[str] = []
    assert demo.run(lines.append, with_real=False)
    assert lines[1] == "(the same program runs on the simulated kernel)"
    assert not any("real kernel says" in line for line in lines)
    assert "\n".join(lines).endswith(NETWORK)
    assert main(["demo", "--model-only"]) == 0
