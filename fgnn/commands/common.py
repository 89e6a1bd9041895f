"""Options shared by several verbs: choosing a dataset, reporting errors."""
from __future__ import annotations

import argparse
import sys

from ..data.dataset import DataError
from ..data.readers import FORMATS
from ..data.registry import list_datasets


def add_dataset_options(p: argparse.ArgumentParser, positional: bool = False) -> None:
    """``--dataset NAME|PATH`` (or a positional ``SOURCE``) plus the options to read and prepare it."""
    where = (f"registry name ({', '.join(list_datasets())}), a click-log file, "
             "or a folder in the SR-GNN pickle layout")
    if positional:
        p.add_argument("dataset", metavar="SOURCE", help=where)
    else:
        p.add_argument("--dataset", default=None, metavar="NAME|PATH", help=where)
    p.add_argument("--format", choices=FORMATS, default=None,
                   help="input format (default: detected where unambiguous)")
    p.add_argument("--session-col", default=None, help="session column of a generic CSV/TSV")
    p.add_argument("--item-col", default=None, help="item column of a generic CSV/TSV")
    p.add_argument("--time-col", default=None,
                   help="time column of a generic CSV/TSV (unix seconds or ISO dates)")
    p.add_argument("--min-item-support", type=int, default=None,
                   help="drop items clicked fewer times than this (default 5)")
    p.add_argument("--min-session-length", type=int, default=None,
                   help="drop sessions shorter than this (default 2)")
    p.add_argument("--test-days", type=float, default=None,
                   help="test window in days before the last date (default 7 DIGINETICA, 1 otherwise)")
    p.add_argument("--fraction", type=int, default=None,
                   help="keep the most recent 1/FRACTION of the training pairs (e.g. 4 or 64; default 1)")
    p.add_argument("--valid-days", type=float, default=None,
                   help="validation split: the training sessions of the last N days of the training period "
                        "(default: none, the paper protocol); runs then choose their best epoch on it")
    p.add_argument("--valid-fraction", type=float, default=None,
                   help="validation split: the most recent fraction of the training sessions (e.g. 0.05; "
                        "for SR-GNN pickles, which have no dates; default: none)")


def protocol_options(args) -> dict:
    return {k: getattr(args, k) for k in ("min_item_support", "min_session_length", "test_days", "fraction",
                                          "valid_days", "valid_fraction")
            if getattr(args, k, None) is not None}


def load_dataset_from_args(args, default: str = None, **kw):
    from ..data.registry import load_dataset

    return load_dataset(args.dataset or default, format=args.format, session_col=args.session_col,
                        item_col=args.item_col, time_col=args.time_col, **protocol_options(args), **kw)


def fail(exc: Exception) -> int:
    """One clear line on stderr, no traceback; exit code 2."""
    print(f"error: {exc}", file=sys.stderr)
    return 2
