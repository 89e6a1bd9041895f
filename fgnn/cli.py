"""Command line: ``python -m fgnn VERB`` (or ``fgnn VERB`` once installed).

Each verb lives in its own module under :mod:`fgnn.commands` and exposes
``add_parser(subparsers)``; the parser it adds sets ``func(args) -> exit code``.
"""
from __future__ import annotations

import argparse
import importlib
import sys

VERBS = ("prepare", "train", "evaluate", "predict", "explain", "bench")


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
    from fgnn.models.validation import ConfigError, validate_args

    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        validate_args(args)  # every range in one place: fgnn/models/validation.py (docs/run-folders.md)
    except ConfigError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return int(args.func(args) or 0)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
