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
import time
from pathlib import Path

from fgnn.commands.common import add_dataset_options, fail, load_dataset_from_args
from fgnn.data import recbole
from fgnn.data.dataset import PreparedDataset
from fgnn.data.progress import reporting
from fgnn.data.sessions import SessionPairs
from fgnn.errors import FGNNError

OUT_FORMATS = ("srgnn", "recbole")
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
                        "DIR/NAME/ with NAME.inter (one row per click), NAME.item and the split as RecBole's "
                        "benchmark files NAME.train.inter, [NAME.valid.inter,] NAME.test.inter (default srgnn)")
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
                         for i, (c, w) in enumerate(zip(cells, widths, strict=True))).rstrip()

    return "\n".join([line(header), line(["-" * w for w in widths])] + [line(r) for r in rows])


def _pairs_as_lists(pairs: SessionPairs) -> tuple[list, list]:
    flat = pairs.items.tolist()
    starts = pairs.offsets[pairs.pair_session].tolist()
    lengths = pairs.pair_length.tolist()
    return [flat[a:a + n] for a, n in zip(starts, lengths, strict=True)], pairs.targets.tolist()


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
        ids = ds.original_ids().tolist()
        cats = ds.categories.tolist() if ds.categories is not None else None
        with open(tmp, "w", newline="") as f:
            w = csv.writer(f)
            w.writerow(["index", "original_id"] + (["category"] if cats is not None else []))
            for i in range(1, ds.n_items + 1):
                w.writerow([i, ids[i]] + ([cats[i]] if cats is not None else []))
    _atomic_write(out / "items.csv", items_csv)
    written.append(out / "items.csv")
    return written


def write_recbole(ds: PreparedDataset, out: Path) -> list[Path]:
    """Write ``out/NAME/``: ``NAME.inter``, ``NAME.item`` and RecBole's benchmark files of the split
    (:func:`fgnn.data.recbole.write_recbole`, docs/data-formats.md)."""
    return recbole.write_recbole(ds, out).written


def recbole_config_hint(ds: PreparedDataset) -> str:
    """The RecBole settings that make it read the written split as it is (docs/data-formats.md)."""
    parts = [(n, p) for n, p in (("train", ds.train), ("valid", ds.valid), ("test", ds.test)) if p is not None]
    longest = max(int(p.pair_length.max()) for _, p in parts if len(p))
    splits = [n for n, _ in parts] if ds.valid is not None else ["train", "test", "test"]
    return (f"RecBole: benchmark_filename: [{', '.join(splits)}], MAX_ITEM_LIST_LENGTH: {longest} "
            f"(the longest prefix; the whole config is in docs/data-formats.md)")


#: A source at least this large (or a terminal on stderr) gets stage lines on stderr while it is prepared.
PROGRESS_MIN_BYTES = 16 * 2**20


def progress_printer(source, stream=None):
    """A progress listener (fgnn.data.progress) printing ``[  12.3 s] stage...`` lines to stderr, or
    ``None`` for a small source on a non-terminal stderr (tests and scripts keep their one-line errors)."""
    stream = stream if stream is not None else sys.stderr
    path = Path(str(source or ""))
    size = path.stat().st_size if path.is_file() else 0
    if size < PROGRESS_MIN_BYTES and not stream.isatty():
        return None
    start = time.perf_counter()

    def show(message: str, fraction: float | None = None) -> None:  # noqa: ARG001 (the listener's signature)
        print(f"[{time.perf_counter() - start:7.1f} s] {message}", file=stream, flush=True)
    return show


def run(args) -> int:
    try:
        with reporting(progress_printer(args.dataset)):
            ds = load_dataset_from_args(args, use_cache=not args.no_cache)
        writer = write_recbole if args.out_format == "recbole" else write_srgnn_layout
        written = writer(ds, Path(args.out)) if args.out else []
    except FGNNError as exc:
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
    if written and args.out_format == "recbole":
        print(recbole_config_hint(ds))
    return 0
