"""``fgnn predict``: top-K next items for a session, with the model's attention.

    python -m fgnn predict --checkpoint checkpoints/fgnn-sample/best.pt --session 12 7 12 33 --explain --json
"""
from __future__ import annotations

import argparse
import json

from fgnn.commands.common import add_ranking_options, fail, load_checkpoint_model
from fgnn.data.ids import ids_to_indices
from fgnn.errors import FGNNError
from fgnn.explain.sessions import explain_sessions, explanation_json
from fgnn.models.checkpoint import checkpoint_ids


def add_parser(subparsers) -> argparse.ArgumentParser:
    p = subparsers.add_parser("predict", help="top-K next items for a session of original item ids",
                              description="Score every item for the given click session and print the top K. "
                                          "Item ids are the dataset's original ids; the checkpoint carries its "
                                          "vocabulary, so no dataset is needed.")
    p.add_argument("--checkpoint", required=True)
    p.add_argument("--session", required=True, nargs="+", metavar="ITEM",
                   help="clicked item ids, in order, as the dataset writes them (whole numbers or tokens)")
    add_ranking_options(p, only=("top_k",))
    p.add_argument("--explain", action="store_true", help="also the attention over edges and nodes")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=run)
    return p


def run(args) -> int:
    try:
        ckpt, model = load_checkpoint_model(args.checkpoint)
        ids = checkpoint_ids(ckpt)
        session = ids_to_indices(ids, args.session, f"checkpoint {args.checkpoint}", "use ids of its dataset")
    except FGNNError as exc:
        return fail(exc)
    expl = explain_sessions(model, [session], ids, k=args.top_k)
    out = explanation_json(expl)
    if not args.explain:
        out = {"topk": out["topk"]}
    if args.json:
        print(json.dumps(out))
        return 0
    print(f"top {args.top_k} after {' '.join(map(str, args.session))} ({ckpt['model_name']}):")
    for rank, row in enumerate(out["topk"], 1):
        print(f"{rank:3d}. item {row['item']!s:>10}  score {row['score']:8.4f}  p {row['probability']:.4f}")
    if args.explain:
        for row in out["node_attention"]:
            print(f"readout step {row['step']}: item {row['item']} attention {row['attention']:.3f}")
        for row in out["edge_attention"]:
            print(f"layer {row['layer']} head {row['head']}: {row['src']} -> {row['dst']} (w {row['weight']:.0f}) "
                  f"attention {row['attention']:.3f}")
    return 0
