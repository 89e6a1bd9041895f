"""``fgnn evaluate``: HR/MRR/NDCG@K of a checkpoint on the test pairs of its dataset.

    python -m fgnn evaluate --checkpoint checkpoints/fgnn-sample/best.pt --json
"""
from __future__ import annotations

import argparse
import json
import sys

from fgnn.commands.common import (
    add_dataset_options,
    add_ranking_options,
    dataset_spec,
    fail,
    load_checkpoint_model,
    protocol_options,
    read_options,
)
from fgnn.data.spec import DatasetSpec
from fgnn.errors import FGNNError
from fgnn.evaluation.evaluate import rank_targets
from fgnn.evaluation.metrics import summarize
from fgnn.models.checkpoint import check_dataset
from fgnn.training.config import TrainConfig
from fgnn.training.device import resolve_device


def add_parser(subparsers) -> argparse.ArgumentParser:
    p = subparsers.add_parser("evaluate", help="HR/MRR/NDCG@K of a checkpoint on the test pairs",
                              description="Rank every item for every test prefix (rank = number of items scored at "
                                          "least as high as the target: ties count against it) and report HR@K, "
                                          "MRR@K and NDCG@K in percent.")
    p.add_argument("--checkpoint", required=True, help="a best.pt / last.pt of a run folder")
    add_dataset_options(p)
    add_ranking_options(p)
    p.add_argument("--json", action="store_true", help="one JSON object: hit@K, mrr@K, ndcg@K, n")
    p.set_defaults(func=run)
    return p


def dataset_for_checkpoint(args, ckpt) -> DatasetSpec:
    """The dataset named on the command line, else the one the checkpoint was trained on (with
    any read option or protocol setting given on the command line instead of its own)."""
    if args.dataset is not None:
        return dataset_spec(args)
    return DatasetSpec.of_checkpoint(ckpt).with_options(**read_options(args), **protocol_options(args))


def run(args) -> int:
    try:
        ckpt, model = load_checkpoint_model(args.checkpoint)
        ds = dataset_for_checkpoint(args, ckpt).load()
        for w in check_dataset(ckpt, ds, args.checkpoint):
            print(f"warning: {w}", file=sys.stderr)
        device = resolve_device(args.device)
    except FGNNError as exc:
        return fail(exc)
    batch_size = args.batch_size if args.batch_size is not None else TrainConfig.eval_batch_size
    ranks = rank_targets(model.to(device), ds.test, batch_size=batch_size, device=device)
    m = summarize(ranks, [args.top_k])
    if args.json:
        print(json.dumps(m))
    else:
        k = args.top_k
        print(f"{ckpt['model_name']} on {ds.name} ({m['n']} test pairs): HR@{k} {m[f'hit@{k}']:.2f}  "
              f"MRR@{k} {m[f'mrr@{k}']:.2f}  NDCG@{k} {m[f'ndcg@{k}']:.2f}")
    return 0
