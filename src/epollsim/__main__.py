"""Command line: ``python -m epollsim demo|run|replay|explore|diff`` (also installed as ``epollsim``)."""
from __future__ import annotations

import argparse
import sys


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="epollsim", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    demo = sub.add_parser(
        "demo",
        help="show what epoll reports as a small program runs (on the model and the real kernel), then an "
        "asyncio client and server on two simulated hosts with a partition",
    )
    demo.add_argument("--model-only", action="store_true", help="do not run the program on the real kernel")
    from .cli import add_commands, dispatch

    add_commands(sub)
    args = parser.parse_args(argv)
    status = dispatch(args)
    if status is not None:
        return status
    if args.command == "demo":
        from .demo import run

        return 0 if run(with_real=not args.model_only) else 1
    return 2  # unreachable: argparse rejects unknown commands


if __name__ == "__main__":
    sys.exit(main())
