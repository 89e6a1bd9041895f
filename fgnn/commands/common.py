"""Options shared by several verbs: choosing a dataset, reporting errors."""
from __future__ import annotations

import argparse
import sys

from ..data.dataset import DataError
from ..data.readers import FORMATS
from ..data.registry import list_datasets


def add_dataset_options(p: argparse.ArgumentParser, flag: str = "--dataset", required: bool = False) -> None:
    """``--dataset NAME|PATH`` plus everything ``prepare`` takes to read it."""
    p.add_argument(flag, dest="dataset", required=required, default=None, metavar="NAME|PATH",
                   help=f"registry name ({', '.join(list_datasets())}), a click-log file, "
                        "or a folder in the SR-GNN pickle layout")
    p.add_argument("--format", choices=FORMATS, default=None, help="input format (default: detected)")
    p.add_argument("--session-col", default=None, help="session column of a generic CSV/TSV")
    p.add_argument("--item-col", default=None, help="item column of a generic CSV/TSV")
    p.add_argument("--time-col", default=None, help="time column of a generic CSV/TSV")
    p.add_argument("--min-item-support", type=int, default=None, help="drop items clicked fewer times (default 5)")
    p.add_argument("--min-session-length", type=int, default=None, help="drop shorter sessions (default 2)")
    p.add_argument("--test-days", type=float, default=None, help="test window in days (default 7 / 1)")
    p.add_argument("--fraction", type=int, default=None, help="keep the most recent 1/FRACTION of training pairs")


def protocol_options(args) -> dict:
    return {k: getattr(args, k) for k in ("min_item_support", "min_session_length", "test_days", "fraction")
            if getattr(args, k, None) is not None}


def load_dataset_from_args(args, default: str = None):
    from ..data.registry import load_dataset

    return load_dataset(args.dataset or default, format=args.format, session_col=args.session_col,
                        item_col=args.item_col, time_col=args.time_col, **protocol_options(args))


def fail(exc: Exception) -> int:
    """One clear line on stderr, no traceback; exit code 2."""
    print(f"error: {exc}", file=sys.stderr)
    return 2
