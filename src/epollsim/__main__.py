"""Command line: ``python -m epollsim demo|run|replay|explore|diff`` (also installed as ``epollsim``)."""
from __future__ import annotations

import argparse
import os
import sys

import epollsim

DESCRIPTION = (
    "A deterministic simulated Linux kernel: run a program on it under one seed (run), under many "
    "(explore), rerun a failing seed traced (replay), compare it with the real kernel (diff), or see "
    "a demonstration (demo). 'epollsim COMMAND --help' describes each command."
)
SIGPIPE_STATUS = 128 + 13  # what a shell reports for a process that SIGPIPE ended (signal 13 on Linux)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="epollsim", description=DESCRIPTION)
    parser.add_argument("--version", action="version", version=f"epollsim {epollsim.__version__}")
    sub = parser.add_subparsers(dest="command", required=True)
    demo = sub.add_parser(
        "demo",
        help="show what epoll reports as a small program runs (on the model and the real kernel), then an "
        "asyncio client and server on two simulated hosts with a partition",
    )
    demo.add_argument("--model-only", action="store_true", help="do not run the program on the real kernel")
    from .tools.cli import add_commands, dispatch

    add_commands(sub)
    args = parser.parse_args(argv)
    status = dispatch(args)
    if status is not None:
        return status
    if args.command == "demo":
        from .tools.demo import run

        return 0 if run(with_real=not args.model_only) else 1
    return 2  # unreachable: argparse rejects unknown commands


def run_command() -> int:
    """``main`` for a process: a reader that went away (``epollsim demo | head``) ends it quietly."""
    try:
        status = main()
        sys.stdout.flush()  # a broken pipe shows here, not at interpreter exit
    except BrokenPipeError:
        # Python's documented recipe (signal module, "Note on SIGPIPE"): point stdout at /dev/null
        # so that the interpreter's own flush at exit does not fail again.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return SIGPIPE_STATUS
    return status


if __name__ == "__main__":
    sys.exit(run_command())
