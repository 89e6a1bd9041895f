"""``fgnn prepare``: run the preprocessing protocol on a click log and show what each step did.

    python -m fgnn prepare diginetica-sample
    python -m fgnn prepare ../shared/data/rsc15-100k/yoochoose-clicks-100k_train_full.txt --json
    python -m fgnn prepare train-item-views.csv --out digi/   # SR-GNN train.txt / test.txt + items.csv
"""
from __future__ import annotations

import argparse
import csv
import json
import os
import pickle
import sys
from pathlib import Path

import numpy as np
import pandas as pd

from fgnn.commands.common import add_dataset_options, fail, load_dataset_from_args
from fgnn.data.dataset import DataError, PreparedDataset
from fgnn.data.sessions import SessionPairs

OUT_FORMATS = ("srgnn", "recbole")
RECBOLE_INTER_HEADER = ("session_id:token", "item_id:token", "timestamp:float")
_COLUMNS = ("step", "part", "clicks", "sessions", "items", "pairs", "mean_length", "note")


def add_parser(subparsers) -> argparse.ArgumentParser:
    p = subparsers.add_parser(
        "prepare",
        help="apply the SR-GNN preprocessing protocol to a click log and print per-step statistics",
        description="Read a click log (or a registry name such as 'diginetica-sample'), apply the "
                    "SR-GNN preprocessing protocol (docs/protocol.md) and print what every step kept. "
                    "The result is cached, so training on the same source later starts at once.",
    )
    add_dataset_options(p, positional=True)
    p.add_argument("--out", metavar="DIR", default=None,
                   help="write the prepared sessions to DIR (see --out-format)")
    p.add_argument("--out-format", choices=OUT_FORMATS, default="srgnn",
                   help="srgnn: train.txt and test.txt (SR-GNN pickle layout) and items.csv; recbole: "
                        "NAME.inter (RecBole atomic file, one row per click) and NAME.item when items have "
                        "names (default srgnn)")
    p.add_argument("--json", action="store_true", help="print one JSON object instead of the table")
    p.add_argument("--no-cache", action="store_true", help="neither read nor write the dataset cache")
    p.set_defaults(func=run)
    return p


def summary_dict(ds: PreparedDataset) -> dict:
    """What ``--json`` prints: the dataset summary, split date, settings and the per-step table."""
    return {**ds.summary(), "fingerprint": ds.fingerprint, "split_date": ds.split_date,
            "settings": ds.settings, "steps": ds.stats}


def format_stats_table(stats: list[dict]) -> str:
    """The per-step statistics as an aligned plain-text table."""
    rows = [[("" if s.get(c) is None else
              f"{s[c]:,}" if isinstance(s.get(c), int) else
              f"{s[c]:.2f}" if isinstance(s.get(c), float) else str(s[c])) for c in _COLUMNS]
            for s in stats]
    header = ["step", "part", "clicks", "sessions", "items", "pairs", "mean len", "note"]
    widths = [max(len(r[i]) for r in rows + [header]) for i in range(len(header))]
    numeric = {2, 3, 4, 5, 6}

    def line(cells):
        return "  ".join(c.rjust(w) if i in numeric else c.ljust(w)
                         for i, (c, w) in enumerate(zip(cells, widths))).rstrip()

    return "\n".join([line(header), line(["-" * w for w in widths])] + [line(r) for r in rows])


def _pairs_as_lists(pairs: SessionPairs) -> tuple[list, list]:
    flat = pairs.items.tolist()
    starts = pairs.offsets[pairs.pair_session].tolist()
    lengths = pairs.pair_length.tolist()
    return [flat[a:a + n] for a, n in zip(starts, lengths)], pairs.targets.tolist()


def _atomic_write(path: Path, write) -> None:
    tmp = path.with_name(path.name + ".tmp")
    try:
        write(tmp)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def write_srgnn_layout(ds: PreparedDataset, out: Path) -> list[Path]:
    """Write ``train.txt``/``test.txt`` (pickled ``(prefix lists, targets)``, items from 1, pairs in
    protocol order) and ``items.csv`` (``index,original_id[,category]``) into ``out``."""
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for split, pairs in (("train", ds.train), ("test", ds.test)):
        path = out / f"{split}.txt"

        def dump(tmp, pairs=pairs):
            with open(tmp, "wb") as f:
                pickle.dump(_pairs_as_lists(pairs), f, protocol=3)
        _atomic_write(path, dump)
        written.append(path)

    def items_csv(tmp):
        ids = ds.item_ids.tolist()
        cats = ds.categories.tolist() if ds.categories is not None else None
        with open(tmp, "w", newline="") as f:
            w = csv.writer(f)
            w.writerow(["index", "original_id"] + (["category"] if cats is not None else []))
            for i in range(1, ds.n_items + 1):
                w.writerow([i, ids[i]] + ([cats[i]] if cats is not None else []))
    _atomic_write(out / "items.csv", items_csv)
    written.append(out / "items.csv")
    return written


def recbole_clicks(ds: PreparedDataset) -> pd.DataFrame:
    """Every click of the prepared sessions (train, then test, in protocol order) as the rows of a
    RecBole ``.inter`` file: ``session_id`` (1..S), original ``item_id``, ``timestamp``.

    The prepared dataset keeps each session's day, not its clicks' times, so a click's timestamp
    is its session's day (seconds since 1970) plus its place among that day's clicks, spread
    over the day: reading the file back gives the same sessions in the same order, and, for a
    source dated by day (DIGINETICA), the same train/test split (docs/data-formats.md).
    """
    lengths = np.concatenate([p.session_lengths().numpy() for p in (ds.train, ds.test)]).astype(np.int64)
    index = np.concatenate([p.items.numpy() for p in (ds.train, ds.test)])
    n = int(lengths.sum())
    if ds.train_dates is not None and ds.test_dates is not None:
        days = np.repeat(np.concatenate([ds.train_dates.numpy(), ds.test_dates.numpy()]).astype(np.int64), lengths)
        _, first, count = np.unique(days, return_index=True, return_counts=True)
        run = np.repeat(np.arange(first.size), count)
        place = np.arange(n) - first[run]
        time = days * 86400.0 + 86399.0 * place / count[run]
    else:  # SR-GNN pickles carry no dates: the click order is all there is
        time = np.arange(n, dtype=np.float64)
    return pd.DataFrame({"session_id": np.repeat(np.arange(1, lengths.size + 1), lengths),
                         "item_id": ds.item_ids.numpy()[index], "timestamp": time})


def write_recbole(ds: PreparedDataset, out: Path) -> list[Path]:
    """Write ``out/<name>.inter`` (RecBole atomic file: tab-separated, typed header
    ``session_id:token item_id:token timestamp:float``) and, when the items have names,
    ``out/<name>.item`` (``item_id:token name:token_seq [category:token]``)."""
    out.mkdir(parents=True, exist_ok=True)
    stem = ds.name or "dataset"
    table = recbole_clicks(ds)
    table.columns = list(RECBOLE_INTER_HEADER)
    inter = out / f"{stem}.inter"
    _atomic_write(inter, lambda tmp: table.to_csv(tmp, sep="\t", index=False, float_format="%.6f"))
    written = [inter]
    if ds.item_names:
        items = {"item_id:token": ds.item_ids.numpy()[1:],
                 "name:token_seq": [n.replace("\t", " ") for n in ds.item_names[1:]]}
        if ds.categories is not None:
            items["category:token"] = [ds.category_label(c) for c in ds.categories.tolist()[1:]]
        item_file = out / f"{stem}.item"
        _atomic_write(item_file, lambda tmp: pd.DataFrame(items).to_csv(tmp, sep="\t", index=False))
        written.append(item_file)
    return written


def run(args) -> int:
    try:
        ds = load_dataset_from_args(args, use_cache=not args.no_cache)
        writer = write_recbole if args.out_format == "recbole" else write_srgnn_layout
        written = writer(ds, Path(args.out)) if args.out else []
    except DataError as exc:
        return fail(exc)
    except OSError as exc:
        print(f"error: {exc.filename or args.out}: {exc.strerror}; check the path and its permissions",
              file=sys.stderr)
        return 2
    if args.json:
        info = summary_dict(ds)
        if written:
            info["written"] = [str(p) for p in written]
        print(json.dumps(info, indent=None, default=str))
        return 0
    s = ds.summary()
    print(f"{ds.name}: {s['n_items']:,} items, {s['train_sessions']:,} / {s['test_sessions']:,} train / "
          f"test sessions, {s['train_pairs']:,} / {s['test_pairs']:,} train / test pairs"
          + (f", split date {ds.split_date}" if ds.split_date else ""))
    print(format_stats_table(ds.stats))
    for p in written:
        print(f"wrote {p}")
    return 0
