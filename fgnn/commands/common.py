"""Options shared by several verbs: choosing a dataset, reporting errors."""
from __future__ import annotations

import argparse
import sys

from fgnn.data.readers import FORMATS
from fgnn.data.registry import list_datasets
from fgnn.data.spec import READ_OPTIONS, DatasetSpec


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
    p.add_argument("--session-col", default=None, help="session column of a generic CSV/TSV or RecBole file")
    p.add_argument("--user-col", default=None,
                   help="user column of a log without session ids, instead of --session-col: each user's "
                        "events are cut into sessions at gaps longer than --session-gap")
    p.add_argument("--item-col", default=None, help="item column of a generic CSV/TSV or RecBole file")
    p.add_argument("--time-col", default=None,
                   help="time column of a generic CSV/TSV or RecBole file (unix seconds or milliseconds, "
                        "or ISO dates)")
    p.add_argument("--session-gap", type=float, default=None, metavar="MINUTES",
                   help="with --user-col: a new session starts after this many minutes without an event "
                        "(default 30)")
    p.add_argument("--event-col", default=None, help="event-type column (e.g. event: view, addtocart, transaction)")
    p.add_argument("--keep", default=None, metavar="EVENTS",
                   help="with --event-col: keep only these event types, comma-separated (e.g. view)")
    p.add_argument("--collapse-repeats", action="store_true", default=None,
                   help="drop a click on the item just clicked in the same session (off by default)")
    p.add_argument("--items", default=None, metavar="FILE",
                   help="items file with one row per item: item,name[,category] (any delimiter); names are "
                        "shown wherever an item is")
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


PROTOCOL_FLAGS = ("min_item_support", "min_session_length", "test_days", "fraction", "valid_days",
                  "valid_fraction", "session_gap", "keep", "collapse_repeats")


def protocol_options(args) -> dict:
    """The protocol settings (and the steps before it) given on the command line."""
    return {k: getattr(args, k) for k in PROTOCOL_FLAGS if getattr(args, k, None) is not None}


def read_options(args) -> dict:
    """How to read the source (format, column names, items file) as given on the command line."""
    return {k: getattr(args, k, None) for k in READ_OPTIONS}


def dataset_spec(args, default: str | None = None) -> DatasetSpec:
    """The dataset the options name (``--dataset``, or ``default`` when it is absent)."""
    return DatasetSpec(args.dataset or default, **read_options(args), protocol=protocol_options(args))


def load_dataset_from_args(args, default: str | None = None, **kw):
    return dataset_spec(args, default).load(**kw)


def fail(exc: Exception) -> int:
    """One clear line on stderr, no traceback; exit code 2."""
    print(f"error: {exc}", file=sys.stderr)
    return 2


def load_checkpoint_model(path):
    """``(ckpt, model)`` of a checkpoint for a command: a model setting the checkpoint predates
    (built with its default) is named on stderr (fgnn.models.checkpoint.missing_config_fields).
    Raises :class:`~fgnn.data.dataset.DataError`."""
    from fgnn.models.checkpoint import load_checkpoint, missing_config_fields, model_from_checkpoint

    ckpt = load_checkpoint(path)
    for warning in missing_config_fields(ckpt, path):
        print(f"warning: {warning}", file=sys.stderr)
    return ckpt, model_from_checkpoint(ckpt, path)
