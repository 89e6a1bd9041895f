"""Fit time, scoring throughput and HR@20 / MRR@20 of the count-based baselines on DIGINETICA.

    python -m fgnn.benchmarks.baselines [PATH] [--n-test 5000] [--batch-size 100] [--k 20]

``PATH`` is a folder in the SR-GNN pickle layout (``all_train_seq.txt``, ``test.txt``); it
defaults to ``../shared/data/diginetica-srgnn`` relative to the repository root. Scoring covers
the first ``--n-test`` test prefixes; batches are built beforehand, so throughput is the model's
forward alone. Ranks as in fgnn.evaluation.metrics: ties with the target count against it.

OpenMP worker threads spin after each parallel region by default; on a CPU shared with other
processes that spinning steals the core the next (small, serial) op needs, and the kNN models,
made of many small ops, slow down several-fold. The benchmark therefore sets
``OMP_WAIT_POLICY=PASSIVE`` unless the environment already sets it (the header prints it);
``--threads`` sets torch's thread count.
"""
from __future__ import annotations

import os

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")  # before torch starts OpenMP

import argparse
import pickle
import time
from pathlib import Path

import torch

from fgnn.data.dataset import PreparedDataset
from fgnn.data.sessions import SessionPairs
from fgnn.evaluation.metrics import target_ranks
from fgnn.models import build_model

ROOT = Path(__file__).resolve().parents[2]  # default data path sits beside the checkout


class _PlainUnpickler(pickle.Unpickler):
    """Loads plain lists, tuples and ints only: any class reference is refused."""

    def find_class(self, module, name):
        raise pickle.UnpicklingError(f"refusing to load {module}.{name} from a data pickle")


def load_pickle(path: Path):
    with open(path, "rb") as f:
        return _PlainUnpickler(f).load()


def load_srgnn(folder: Path) -> PreparedDataset:
    train = load_pickle(folder / "all_train_seq.txt")
    prefixes, targets = load_pickle(folder / "test.txt")
    n_items = max(max(max(s) for s in train), max(max(p) for p in prefixes), max(targets))
    return PreparedDataset(
        name=folder.name, fingerprint="bench", n_items=n_items,
        item_ids=torch.arange(-1, n_items), train=SessionPairs.from_sessions(train),
        test=SessionPairs.from_prefixes(prefixes, targets),
    )


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("path", nargs="?", default=str(ROOT.parent / "shared/data/diginetica-srgnn"))
    ap.add_argument("--n-test", type=int, default=5000)
    ap.add_argument("--batch-size", type=int, default=100)
    ap.add_argument("--k", type=int, default=20)
    ap.add_argument("--threads", type=int, default=None, help="torch threads (default: torch's)")
    args = ap.parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    torch.manual_seed(0)

    t0 = time.perf_counter()
    data = load_srgnn(Path(args.path))
    print(f"loaded {data.name}: {data.train.num_sessions:,} train sessions, "
          f"{data.n_items:,} items, "
          f"{len(data.test):,} test prefixes ({time.perf_counter() - t0:.1f} s); "
          f"torch {torch.__version__}, {torch.get_num_threads()} threads, "
          f"OMP_WAIT_POLICY={os.environ.get('OMP_WAIT_POLICY')}")

    n = min(args.n_test, len(data.test))
    batches = [data.test.batch(torch.arange(i, min(i + args.batch_size, n)))
               for i in range(0, n, args.batch_size)]
    print(f"scoring the first {n:,} test prefixes in batches of {args.batch_size}; "
          f"HR@{args.k} / MRR@{args.k} in %, rank as in fgnn.evaluation.metrics (ties count against the target)")
    print(f"{'model':<20}{'fit s':>8}{'ex/s':>10}{'ms/batch':>10}{'HR@' + str(args.k):>9}"
          f"{'MRR@' + str(args.k):>9}")

    runs = [("pop", {}), ("spop", {}), ("markov", {}), ("sknn", {}), ("vsknn", {}),
            ("vsknn", {"idf_weighting": 10})]
    for name, params in runs:
        model = build_model(name, data.n_items, **params)
        t0 = time.perf_counter()
        model.fit(data)
        fit_s = time.perf_counter() - t0
        model.eval()
        hits = rr = 0.0
        with torch.inference_mode():
            model(batches[0])  # warm-up
            elapsed = 0.0
            for batch in batches:
                t0 = time.perf_counter()
                scores = model(batch)
                elapsed += time.perf_counter() - t0
                rank = target_ranks(scores, batch.targets - 1)
                hit = rank <= args.k
                hits += float(hit.sum())
                rr += float(torch.where(hit, 1.0 / rank, torch.zeros(())).sum())
        label = name + "".join(f" {k}={v}" for k, v in params.items())
        print(f"{label:<20}{fit_s:>8.2f}{n / elapsed:>10,.0f}{1000 * elapsed / len(batches):>10.1f}"
              f"{100 * hits / n:>9.2f}{100 * rr / n:>9.2f}")


if __name__ == "__main__":
    main()
