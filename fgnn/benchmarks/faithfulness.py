"""Faithfulness of each attribution method on a sample of test pairs of a checkpoint
(``docs/explanations.md``): the deletion AUC of attention, integrated gradients, GNNExplainer
and a random order, averaged.

    python -m fgnn.benchmarks.faithfulness --checkpoint checkpoints/fgnn-sample/best.pt --pairs 500

The sample: ``--pairs`` test pairs of the checkpoint's dataset drawn with ``--seed`` among those
whose prefix has at least two distinct items; the explained item is the model's first item for
the prefix (``--item top1``) or the true next item (``--item target``). A progress bar runs on
stderr; the table goes to stdout (``--json``: the summary rows and the per-pair rows).
"""
from __future__ import annotations

import argparse
import json
import sys
import time

import torch
from tqdm import tqdm

from fgnn.errors import DataError
from fgnn.evaluation.pair_ranks import load_checkpoint_dataset
from fgnn.explain.attribution import faithfulness_summary, faithfulness_table, faithfulness_verdict, sample_pairs
from fgnn.models.checkpoint import load_model


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--checkpoint", required=True)
    p.add_argument("--pairs", type=int, default=500)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--item", choices=("top1", "target"), default="top1")
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--json", action="store_true")
    args = p.parse_args(argv)
    torch.set_num_threads(args.threads)



    try:
        dataset = load_checkpoint_dataset(args.checkpoint)
        model, ckpt = load_model(args.checkpoint, dataset)
    except DataError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    pairs = sample_pairs(dataset.test, args.pairs, seed=args.seed)
    bar = tqdm(total=len(pairs), desc=f"{ckpt['model_name']} pairs", file=sys.stderr)
    started = time.perf_counter()
    table = faithfulness_table(model, dataset.test, dataset.item_ids, pairs, which=args.item,
                               progress=lambda *_: bar.update(1))
    bar.close()
    seconds = time.perf_counter() - started
    summary = faithfulness_summary(table)
    if args.json:
        print(json.dumps({"checkpoint": str(args.checkpoint), "model": ckpt["model_name"],
                          "pairs": len(pairs), "seconds": seconds, "item": args.item,
                          "summary": summary.to_dict(orient="records"),
                          "rows": table.to_dict(orient="records")}))
        return 0
    print(f"{args.checkpoint} ({ckpt['model_name']}): {len(pairs)} test pairs of {dataset.name} "
          f"(seed {args.seed}, item {args.item}), {seconds:.0f} s, {torch.get_num_threads()} thread(s)")
    print("| method | pairs | deletion AUC (mean ± s.e.) | share before | share after 1st deletion "
          "| median rank after 1st | AUC below / equal to random's |")
    print("|---|---|---|---|---|---|---|")
    for r in summary.itertuples():
        beats = ("-" if r.beats_random != r.beats_random
                 else f"{100 * r.beats_random:.0f} % / {100 * r.ties_random:.0f} %")
        print(f"| {r.method} | {r.pairs} | {r.auc:.4f} ± {r.auc_sem:.4f} | {r.share:.4f} | "
              f"{r.first_share:.4f} | {r.first_rank:g} | {beats} |")
    for m in summary["method"]:
        if m != "random":
            print(faithfulness_verdict(table, m))
    return 0


if __name__ == "__main__":
    sys.exit(main())
