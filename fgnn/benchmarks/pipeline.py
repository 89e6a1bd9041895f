"""Benchmark of the data pipeline on full DIGINETICA (SR-GNN pickles). Rerunnable; not a test.

    python -m fgnn.benchmarks.pipeline [PICKLE_DIR] [--batch-size 10000] [--seed [SEED_PY]]

(a) graph building: build_graph_batch over all 719,470 training pairs (and the 60,858 test pairs);
(b) the whole pipeline from pickles to ready batches: restricted unpickling + SessionPairs + every
    graph batch, no cache;
(c) with --seed: the seed's MultiSessionsGraph processing of train.txt / test.txt written from the same
    pickles in a temporary folder (as ../shared/reference/srgnn_pickles_to_raw.py does), and the ratio.
"""
from __future__ import annotations

import argparse
import importlib.util
import pickle
import sys
import tempfile
import time
from pathlib import Path

import torch

from fgnn.data.protocol import prepared_from_srgnn
from fgnn.data.readers import load_restricted_pickle, read_srgnn_folder

REPO = Path(__file__).resolve().parents[2]  # default data paths sit beside the checkout


def build_all(pairs, batch_size: int) -> tuple[float, int]:
    t0 = time.perf_counter()
    n_graphs = 0
    for start in range(0, len(pairs), batch_size):
        batch = pairs.batch(torch.arange(start, min(start + batch_size, len(pairs))))
        n_graphs += batch.num_graphs
    return time.perf_counter() - t0, n_graphs


def seed_process(seed_py: Path, folder: Path) -> tuple[float, float, int, int]:
    spec = importlib.util.spec_from_file_location("seed_pipeline", seed_py)
    seed = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(seed)
    with tempfile.TemporaryDirectory() as tmp:
        raw = Path(tmp) / "raw"
        raw.mkdir()
        xs, ys = [], []
        for s in load_restricted_pickle(folder / "all_train_seq.txt"):
            for i in range(1, len(s)):
                ys.append(s[-i])
                xs.append(s[:-i])
        with open(raw / "train.txt", "wb") as f:
            pickle.dump((xs, ys), f)
        with open(raw / "test.txt", "wb") as f:
            pickle.dump(load_restricted_pickle(folder / "test.txt"), f)
        t0 = time.perf_counter()
        tr = seed.MultiSessionsGraph(tmp, "train")
        t_train = time.perf_counter() - t0
        te = seed.MultiSessionsGraph(tmp, "test")
        t_all = time.perf_counter() - t0
        return t_train, t_all, len(tr), len(te)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("pickles", nargs="?", default=str(REPO / ".." / "shared" / "data" / "diginetica-srgnn"))
    ap.add_argument("--batch-size", type=int, default=10000)
    ap.add_argument("--threads", type=int, default=1,
                    help="torch intra-op threads (default 1: on a small shared CPU, more threads "
                         "oversubscribe the cores and graph building gets ~10x slower)")
    ap.add_argument("--seed", nargs="?", const=str(REPO / ".." / "shared" / "reference" / "seed_pipeline.py"),
                    default=None, metavar="SEED_PY", help="also time the seed pipeline's processing")
    args = ap.parse_args(argv)
    folder = Path(args.pickles).resolve()
    torch.set_num_threads(args.threads)
    print(f"data: {folder}  torch {torch.__version__}  threads {torch.get_num_threads()}  "
          f"batch size {args.batch_size}")

    t0 = time.perf_counter()
    ds = prepared_from_srgnn(read_srgnn_folder(folder), name=folder.name)
    t_load = time.perf_counter() - t0
    t_train, n_train = build_all(ds.train, args.batch_size)
    t_test, n_test = build_all(ds.test, args.batch_size)
    t_pipeline = time.perf_counter() - t0
    print(f"(a) graph building: {n_train:,} train graphs in {t_train:.2f} s "
          f"({n_train / t_train:,.0f} graphs/s); {n_test:,} test graphs in {t_test:.2f} s; "
          f"train+test {t_train + t_test:.2f} s")
    print(f"(b) whole pipeline pickles -> ready batches: {t_pipeline:.2f} s "
          f"(load + SessionPairs {t_load:.2f} s, graphs {t_train + t_test:.2f} s; goal < 30 s: "
          f"{'met' if t_pipeline < 30 else 'NOT met'})")
    if args.seed:
        s_train, s_all, n_tr, n_te = seed_process(Path(args.seed), folder)
        print(f"(c) seed MultiSessionsGraph process: train {s_train:.2f} s ({n_tr:,} graphs), "
              f"train+test process_s {s_all:.2f} s ({n_te:,} test graphs)")
        print(f"    speed-up, graph building: train {s_train / t_train:.1f}x, "
              f"train+test {s_all / (t_train + t_test):.1f}x; whole pipeline vs seed process_s "
              f"{s_all / t_pipeline:.1f}x (goal >= 20x)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
