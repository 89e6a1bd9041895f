"""How long one explanation takes: a 10-click session explained by attention, integrated
gradients and GNNExplainer (with the deletion curve of each), for FGNN and SR-GNN.

    python -m fgnn.benchmarks.explain [--repeats 5] [--threads 1]

Uses the shipped checkpoints (``checkpoints/fgnn-sample``, ``checkpoints/srgnn-sample``) and a
fixed 10-click session of their items (8 distinct items, one repeated pair). One warm-up call
per model, then the median of ``--repeats`` calls of :func:`fgnn.explain.attribution.explain_item` for
all three methods together (wall-clock and CPU time of this process), and the median per method.
Defaults: integrated gradients with
``IG_STEPS`` steps over the nodes and again over the edges, GNNExplainer ``GNNEXPLAINER_EPOCHS``
epochs (``docs/explanations.md``). The goal is <= 1 s for all three on one CPU core.
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

import torch

from fgnn.evaluation.ranking import index_session_scores
from fgnn.explain.attribution import GNNEXPLAINER_EPOCHS, IG_STEPS, NEURAL_METHODS, explain_item
from fgnn.models import model_names
from fgnn.models.checkpoint import load_checkpoint, model_from_checkpoint

ROOT = Path(__file__).resolve().parents[2]
SESSION = [5, 17, 5, 30, 2, 8, 17, 44, 9, 12]  # item indices of the sample's vocabulary


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--repeats", type=int, default=5)
    p.add_argument("--threads", type=int, default=1)
    args = p.parse_args(argv)
    torch.set_num_threads(args.threads)


    print(f"explain a {len(SESSION)}-click session ({len(set(SESSION))} items) with "
          f"{', '.join(NEURAL_METHODS)}; IG {IG_STEPS} steps, GNNExplainer {GNNEXPLAINER_EPOCHS} epochs; "
          f"{torch.get_num_threads()} thread(s), median of {args.repeats}")
    for name in model_names("neural"):  # the shipped <model>-sample runs
        path = ROOT / "checkpoints" / f"{name}-sample" / "best.pt"
        ckpt = load_checkpoint(path)
        model = model_from_checkpoint(ckpt, path)
        ids = ckpt["item_ids"]
        item = int(index_session_scores(model, [SESSION])[0].argmax()) + 1
        for m in NEURAL_METHODS:  # warm-up (first calls compile PyG's explain hooks)
            explain_item(model, SESSION, item, ids, m)
        per = {m: [] for m in NEURAL_METHODS}
        total, cpu = [], []
        for _ in range(args.repeats):
            started, started_cpu = time.perf_counter(), time.process_time()
            for m in NEURAL_METHODS:
                t = time.perf_counter()
                explain_item(model, SESSION, item, ids, m)
                per[m].append(time.perf_counter() - t)
            total.append(time.perf_counter() - started)
            cpu.append(time.process_time() - started_cpu)
        parts = ", ".join(f"{m} {1000 * statistics.median(v):.0f} ms" for m, v in per.items())
        print(f"  {name:6s} all three {1000 * statistics.median(total):6.0f} ms wall, "
              f"{1000 * statistics.median(cpu):6.0f} ms CPU  ({parts}, wall)")
    print(f"load average {' '.join(f'{x:.1f}' for x in os.getloadavg())} on {os.cpu_count()} cores "
          "(wall times grow with the load; CPU time much less)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
