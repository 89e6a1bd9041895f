"""How fast, and in how much memory, ``python -m fgnn prepare`` reads a large click log.

    python -m fgnn.benchmarks.large_log [--mb 100] [--format csv|parquet] [--seed 0] [--json]

Generates a YOOCHOOSE/DIGINETICA-like click log of about ``--mb`` megabytes of CSV (a Parquet
log holds the same rows: it is smaller on disk) into a temporary folder: sessions of about 4.5
clicks (geometric lengths, as in YOOCHOOSE's 47 M clicks in 10.5 M sessions), items drawn with a
Zipf popularity (s = 1.1 over 50,000 items), unix-second timestamps over 30 days, rows in
session order. Then prepares it with ``python -m fgnn prepare FILE --no-cache --json`` in a child
process (the same code path as the command line), and prints rows, rows/s and the child's peak
resident memory (``getrusage(RUSAGE_CHILDREN).ru_maxrss``). Generating is not timed.
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

#: Bytes per CSV row of the generated layout (``session_id,item_id,timestamp``), measured.
BYTES_PER_ROW = 27
N_ITEMS = 50_000
START = 1_396_310_400  # 2014-04-01
DAYS = 30
CHUNK_SESSIONS = 1_000_000


def _item_sampler(rng: np.random.Generator, n_items: int, s: float = 1.1):
    """Draws of item ids 1..n_items, Zipf popularity, ids shuffled so popular ids are spread."""
    weights = 1.0 / np.arange(1, n_items + 1) ** s
    cdf = np.cumsum(weights / weights.sum())
    ids = rng.permutation(n_items).astype(np.int64) * 7 + 214_500_000  # YOOCHOOSE-like large ids
    return lambda n: ids[np.minimum(np.searchsorted(cdf, rng.random(n)), n_items - 1)]


def generate_chunks(n_rows: int, seed: int = 0, n_items: int = N_ITEMS):
    """``(session, item, timestamp)`` int64 arrays, chunk by chunk, ``n_rows`` rows in all."""
    rng = np.random.default_rng(seed)
    draw = _item_sampler(rng, n_items)
    next_session, written = 1, 0
    while written < n_rows:
        lengths = rng.geometric(1 / 4.5, CHUNK_SESSIONS)
        lengths = lengths[np.cumsum(lengths) <= n_rows - written] if lengths.sum() > n_rows - written else lengths
        if lengths.size == 0:
            lengths = np.array([n_rows - written])
        n = int(lengths.sum())
        sessions = np.arange(next_session, next_session + lengths.size, dtype=np.int64)
        start = START + np.sort(rng.integers(0, DAYS * 86400, lengths.size))
        session = np.repeat(sessions, lengths)
        first = np.repeat(np.cumsum(lengths) - lengths, lengths)
        walk = np.cumsum(rng.integers(5, 300, n))  # seconds between clicks
        offset = walk - walk[first]
        yield session, draw(n), np.repeat(start, lengths) + offset
        next_session += lengths.size
        written += n


def write_log(path: Path, n_rows: int, fmt: str, seed: int = 0) -> int:
    """Write the generated log to ``path`` as CSV (with a header) or Parquet; returns its size in bytes."""
    import pyarrow as pa  # noqa: PLC0415 (reason: import cost, only the benchmark writes files)
    import pyarrow.csv as pacsv  # noqa: PLC0415 (reason: import cost)
    import pyarrow.parquet as pq  # noqa: PLC0415 (reason: import cost)

    schema = pa.schema([("session_id", pa.int64()), ("item_id", pa.int64()), ("timestamp", pa.int64())])
    writer = pacsv.CSVWriter(str(path), schema) if fmt == "csv" else pq.ParquetWriter(str(path), schema)
    with writer:
        for session, item, stamp in generate_chunks(n_rows, seed):
            writer.write_table(pa.table({"session_id": session, "item_id": item, "timestamp": stamp},
                                        schema=schema))
    return path.stat().st_size


def prepare_in_child(path: Path) -> dict:
    """Run ``python -m fgnn prepare PATH --no-cache --json`` in a child; its seconds, peak RSS, output."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    start = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "fgnn", "prepare", str(path), "--no-cache", "--json"],
                          capture_output=True, text=True, check=False)
    seconds = time.perf_counter() - start
    peak_kb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    if done.returncode != 0:
        raise SystemExit(f"prepare failed ({done.returncode}): {done.stderr.strip()[-2000:]}")
    if peak_kb <= before:  # an earlier child peaked higher: the maximum over children cannot tell
        print("warning: an earlier child process peaked higher; run this benchmark alone", file=sys.stderr)
    return {"seconds": seconds, "peak_mb": peak_kb / 1024, "summary": json.loads(done.stdout),
            "progress": done.stderr.strip().splitlines()}


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--mb", type=float, default=100.0, help="size of the log as CSV, in MB (default 100)")
    p.add_argument("--format", choices=("csv", "parquet"), default="csv")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--keep", metavar="DIR", default=None, help="write the log into DIR and keep it")
    p.add_argument("--json", action="store_true")
    args = p.parse_args(argv)

    n_rows = int(args.mb * 1e6 / BYTES_PER_ROW)
    with tempfile.TemporaryDirectory(prefix="fgnn-large-log-") as tmp:
        folder = Path(args.keep or tmp)
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"clicks-{args.mb:g}mb.{args.format}"
        size = write_log(path, n_rows, args.format, args.seed)
        run = prepare_in_child(path)
    s = run["summary"]
    result = {
        "format": args.format, "rows": n_rows, "file_mb": round(size / 1e6, 1), "seconds": round(run["seconds"], 2),
        "rows_per_s": round(n_rows / run["seconds"]), "peak_mb": round(run["peak_mb"]),
        "peak_per_file_byte": round(run["peak_mb"] * 2**20 / size, 2),
        "items": s["n_items"], "train_pairs": s["train_pairs"], "test_pairs": s["test_pairs"],
        "load_average_1min": round(os.getloadavg()[0], 2), "cpus": os.cpu_count(),
    }
    if args.json:
        print(json.dumps(result))
    else:
        print(f"large log ({args.format}, {result['file_mb']:,} MB, {n_rows:,} rows): {result['seconds']:.1f} s, "
              f"{result['rows_per_s']:,} rows/s, peak {result['peak_mb']:,} MB "
              f"({result['peak_per_file_byte']:.2f} bytes per file byte); {s['n_items']:,} items, "
              f"{s['train_pairs']:,} / {s['test_pairs']:,} train / test pairs; load average "
              f"{result['load_average_1min']} on {result['cpus']} CPUs")
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
