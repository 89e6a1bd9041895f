"""Command line: ``python -m fgnn VERB`` (or ``fgnn VERB`` once installed).

Each verb lives in its own module under :mod:`fgnn.commands` and exposes
``add_parser(subparsers)``; the parser it adds sets ``func(args) -> exit code``.
"""
from __future__ import annotations

import argparse
import importlib
import sys

from fgnn.commands.common import validate_args
from fgnn.errors import FGNNError

VERBS = ("prepare", "datasets", "train", "evaluate", "predict", "explain", "bench")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="fgnn",
        description="FGNN Studio: session-based recommendation with graph neural networks.",
    )
    sub = parser.add_subparsers(dest="verb", metavar="VERB")
    sub.required = True
    for verb in VERBS:
        importlib.import_module(f"fgnn.commands.{verb}").add_parser(sub)
    return parser


def main(argv=None) -> int:
    """Run one verb. A user's mistake (:class:`~fgnn.errors.FGNNError`) anywhere in it is one line
    on stderr and exit code 2, never a traceback; anything else is a bug and shows as one."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        validate_args(args)  # every range beside its default: fgnn/settings.py (docs/run-folders.md)
        return int(args.func(args) or 0)
    except FGNNError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
