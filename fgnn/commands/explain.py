"""``fgnn explain``: why does the model score this item for this session? Attributions per click
and per edge, and the deletion curve that tests them (``docs/explanations.md``).

    python -m fgnn explain --checkpoint checkpoints/fgnn-sample/best.pt --session 9617 41377 9617 --item 41377 --json
"""
from __future__ import annotations

import argparse
import json

from fgnn.commands.common import fail, load_checkpoint_model
from fgnn.errors import FGNNError
from fgnn.explain.attribution import METHOD_NAMES, attribution_json, explain_ids, methods_for
from fgnn.models.checkpoint import checkpoint_ids

METHOD_CHOICES = ("attention", "ig", "gnnexplainer", "exact", "random", "all")


def add_parser(subparsers) -> argparse.ArgumentParser:
    p = subparsers.add_parser(
        "explain", help="per-click and per-edge attributions of one item's score, with a deletion curve",
        description="Attribute the score of ITEM for the click session to its clicked items (nodes) and "
                    "transitions (edges), by the model's attention, integrated gradients (captum through "
                    "torch_geometric.explain) or GNNExplainer; count baselines (markov, sknn, vsknn) by "
                    "their exact contributions. Then delete the clicked items most-important-first and "
                    "print the item's score and rank after each deletion. Item ids are original ids.")
    p.add_argument("--checkpoint", required=True)
    p.add_argument("--session", required=True, nargs="+", metavar="ITEM",
                   help="clicked item ids, in order, as the dataset writes them (whole numbers or tokens)")
    p.add_argument("--item", required=True, help="the item whose score is explained (original id)")
    p.add_argument("--method", choices=METHOD_CHOICES, default="all",
                   help="attribution method; 'all' = every method that applies to the model "
                        "(neural: attention, ig, gnnexplainer, random; markov/sknn/vsknn: exact, random)")
    p.add_argument("--ig-steps", type=int, default=None, help="integrated-gradients steps (default 20)")
    p.add_argument("--epochs", type=int, default=None, help="GNNExplainer epochs (default 30)")
    p.add_argument("--seed", type=int, default=0, help="seed of GNNExplainer and of the random order")
    p.add_argument("--json", action="store_true",
                   help="one JSON object (one method) or a list of objects (--method all)")
    p.set_defaults(func=run)
    return p


def run(args) -> int:
    opts = {"seed": args.seed}
    if args.ig_steps is not None:
        if args.ig_steps < 1:
            return fail(ValueError(f"--ig-steps must be at least 1 (got {args.ig_steps})"))
        opts["ig_steps"] = args.ig_steps
    if args.epochs is not None:
        if args.epochs < 1:
            return fail(ValueError(f"--epochs must be at least 1 (got {args.epochs})"))
        opts["epochs"] = args.epochs
    try:
        ckpt, model = load_checkpoint_model(args.checkpoint)
        methods = methods_for(model) if args.method == "all" else [args.method]
        result = explain_ids(model, checkpoint_ids(ckpt), args.session, args.item, methods,
                             owner=f"checkpoint {args.checkpoint}", **opts)
    except FGNNError as exc:  # a bad checkpoint, unknown ids, a method the model has none of
        return fail(exc)
    objects = [attribution_json(a) for a in result.values()]
    if args.json:
        print(json.dumps(objects if args.method == "all" else objects[0]))
        return 0
    first = objects[0]
    print(f"item {args.item} after {' '.join(map(str, args.session))} ({ckpt['model_name']}): "
          f"score {first['score']:.4f}, rank {first['rank']}")
    for obj in objects:
        print(f"\n== {METHOD_NAMES[obj['method']]} ({obj['method']}); deletion AUC "
              f"{'-' if obj['deletion_auc'] is None else format(obj['deletion_auc'], '.3f')} (lower = more faithful)")
        for n in obj["nodes"]:
            a = n["attribution"]
            print(f"  item {n['item']!s:>10} (click {', '.join(map(str, n['clicks']))}): "
                  f"{'-' if a is None else format(a, '+.4f')}")
        for e in obj["edges"]:
            a = e["attribution"]
            print(f"  edge {e['src']} -> {e['dst']} (w {e['weight']:g}): {'-' if a is None else format(a, '+.4f')}")
        print("  deletion: " + "; ".join(
            ("whole session" if d["removed"] is None else f"-{d['removed']}") + f" score {d['score']:.3f} rank {d['rank']}"
            for d in obj["deletion"]))
    return 0
