"""Why FGNN trails SR-GNN, shown with the studio's own tools (docs/fgnn-study.md).

    python -m fgnn.benchmarks.fgnn_mechanisms fgnn=checkpoints/fgnn-sample/best.pt \\
        srgnn=checkpoints/srgnn-sample/best.pt [--out mechanisms.md]

For every checkpoint (all trained on the same dataset), on that dataset's test set:

1. **The last click**: the same pair of sessions that make one graph and differ only in their last
   click (``[a, b, c, a]`` and ``[b, c, a, b]``, ``a b c`` the three most clicked training items): their
   top-5 and whether the scores are identical. Then over every test pair, HR@20 / MRR@20 with the true
   last click and with the first click passed as the last one (``GraphBatch.last_node``), and the share
   of pairs whose top-20 changes: a model that never reads the last click does not move at all.
2. **What-if order sensitivity** (:func:`fgnn.app.builder.whatif_ranks`, the Session builder's "what if"),
   averaged over the test prefixes of at least 3 clicks: how many of the original top-20 stay in the
   top-20 when the clicks are shuffled, reversed, or the last / an earlier click is removed, and how
   often the number one changes.
3. **Sliced metrics** (:func:`fgnn.evaluation.pair_ranks.sliced_metrics`, the Inspect page): HR@20 / MRR@20 by
   prefix length and by the target's training popularity.

Everything is computed on the CPU; the tables are printed as markdown (and written to ``--out``).
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import torch

from fgnn.app.builder import whatif_ranks, whatif_summary
from fgnn.data.dataset import PreparedDataset
from fgnn.data.sessions import GraphBatchLoader
from fgnn.evaluation.evaluate import batch_ranks
from fgnn.evaluation.metrics import summarize
from fgnn.evaluation.pair_ranks import evaluate_checkpoint, load_checkpoint_dataset, sliced_metrics
from fgnn.evaluation.ranking import session_scores
from fgnn.models.checkpoint import load_model
from fgnn.nn import GRUSet2Set

K = 20


def same_graph_pair(dataset: PreparedDataset) -> tuple[list[int], list[int]]:
    """``[a, b, c, a]`` and ``[b, c, a, b]`` (original ids) of the three most clicked training items:
    both are the cycle a -> b -> c -> a with weight 1 per edge; only the last click differs."""
    a, b, c = (dataset.popularity[1:].topk(3).indices + 1).tolist()
    a, b, c = dataset.to_original([a, b, c])
    return [a, b, c, a], [b, c, a, b]


def same_graph_table(models: dict, dataset: PreparedDataset, k: int = 5) -> pd.DataFrame:
    """Top-k of both sessions of :func:`same_graph_pair` per model, and whether their scores are equal."""
    first, second = same_graph_pair(dataset)
    rows = []
    for name, model in models.items():
        scores = session_scores(model, dataset, [first, second])
        tops = [dataset.to_original((s.topk(k).indices + 1).tolist()) for s in scores]
        rows.append({"model": name, f"top-{k} of {first}": tops[0], f"top-{k} of {second}": tops[1],
                     "same scores": bool(torch.allclose(scores[0], scores[1], atol=1e-5)),
                     f"top-{k} overlap": len(set(tops[0]) & set(tops[1]))})
    return pd.DataFrame(rows)


@torch.no_grad()
def last_click_dependence(model, dataset: PreparedDataset, batch_size: int = 500, k: int = K) -> dict:
    """HR/MRR@k on the test pairs with the true last click and with the first click passed as the last
    (``last_node`` := the first click's node), and the share of pairs whose top-k changes."""
    model.eval()
    true_ranks, moved_ranks, changed, affected = [], [], 0, 0
    for batch in GraphBatchLoader(dataset.test, batch_size=batch_size):
        true_ranks.append(batch_ranks(model, batch))
        first_node = batch.click_nodes[:, 0]
        affected += int((first_node != batch.last_node).sum())
        top_true = model(batch).topk(k, dim=1).indices.sort(dim=1).values
        batch.last_node = first_node
        moved_ranks.append(batch_ranks(model, batch))
        top_moved = model(batch).topk(k, dim=1).indices.sort(dim=1).values
        changed += int((top_true != top_moved).any(dim=1).sum())
    t, m = summarize(torch.cat(true_ranks), [k]), summarize(torch.cat(moved_ranks), [k])
    n = t["n"]
    return {f"HR@{k}": t[f"hit@{k}"], f"MRR@{k}": t[f"mrr@{k}"],
            f"HR@{k}, first click as last": m[f"hit@{k}"], f"MRR@{k}, first click as last": m[f"mrr@{k}"],
            f"pairs whose top-{k} changes (%)": 100.0 * changed / max(n, 1),
            "pairs whose first and last click differ (%)": 100.0 * affected / max(n, 1), "pairs": n}


@torch.no_grad()
def readout_on_last_click(model, dataset: PreparedDataset, batch_size: int = 500) -> dict | None:
    """FGNN's Set2Set readout attention (last step) on the last click's node, over the test prefixes whose
    graph has two or more nodes: its mean against the uniform share 1 / nodes, and how often the last
    click gets the most attention; and how often the last click is the graph's only sink (no edge out
    but its self-loop), the node that attention normalised over senders leaves all of its own weight.
    ``None`` for a model without that readout."""
    if not isinstance(getattr(model, "readout", None), GRUSet2Set):
        return None
    model.eval()
    on_last, uniform, top, sink = [], [], [], []
    for batch in GraphBatchLoader(dataset.test, batch_size=batch_size):
        a = model.attention(batch)["readout"][-1].float()
        nodes = torch.bincount(batch.batch, minlength=batch.num_graphs)
        src, dst = batch.edge_index
        is_sink = torch.bincount(src[src != dst], minlength=batch.num_nodes) == 0  # no edge out but a loop
        sinks = torch.bincount(batch.batch[is_sink], minlength=batch.num_graphs)
        sink.append((is_sink[batch.last_node] & (sinks == 1))[nodes >= 2].float())
        most = torch.full((batch.num_graphs,), -1.0).scatter_reduce(0, batch.batch, a, "amax")
        keep = nodes >= 2
        last = a[batch.last_node]
        on_last.append(last[keep])
        uniform.append(1.0 / nodes[keep].float())
        top.append((last >= most)[keep].float())
    on_last, uniform, top, sink = torch.cat(on_last), torch.cat(uniform), torch.cat(top), torch.cat(sink)
    return {"last click is the graph's only sink (%)": 100.0 * float(sink.mean()),
            "readout attention on the last click": float(on_last.mean()),
            "uniform share (1 / nodes)": float(uniform.mean()),
            "last click gets the most attention (%)": 100.0 * float(top.mean()), "prefixes": int(on_last.numel())}


def _variant_kind(name: str, length: int) -> str:
    if name.startswith("shuffled"):
        return "shuffled"
    if name.startswith("without click"):
        return "without the last click" if name.startswith(f"without click {length} ") else "without an earlier click"
    return name


def whatif_sensitivity(model, dataset: PreparedDataset, min_length: int = 3, k: int = K,
                       max_sessions: int | None = None) -> pd.DataFrame:
    """The Session builder's what-if, averaged over the longest test prefix of every test session with
    at least ``min_length`` clicks: per kind of change, the mean share of the original top-k kept in
    the top-k and the share of prefixes whose number one changes."""
    test = dataset.test
    first_pair = torch.ones(len(test), dtype=torch.bool)  # the longest prefix comes first in every session
    first_pair[1:] = test.pair_session[1:] != test.pair_session[:-1]
    pairs = torch.nonzero(first_pair & (test.pair_length >= min_length)).flatten().tolist()
    if max_sessions is not None:
        pairs = pairs[:max_sessions]
    rows = []
    for p in pairs:
        ids = dataset.to_original(test.prefix(p))
        summary = whatif_summary(whatif_ranks(model, dataset, ids, k=k), k=k)
        for v, kept, top1 in zip(summary["variant"], summary["kept_in_top_k"], summary["top1_rank"], strict=True):
            kind = _variant_kind(v, len(ids))
            if kind != "original":
                rows.append({"change": kind, "kept": kept / k, "top1_changed": top1 != 1})
    table = pd.DataFrame(rows)
    if table.empty:
        return pd.DataFrame(columns=["change", f"top-{k} kept (%)", "number one changes (%)", "prefixes"])
    out = table.groupby("change", sort=False).agg(kept=("kept", "mean"), top1=("top1_changed", "mean"),
                                                  prefixes=("kept", "size")).reset_index()
    out["kept"] *= 100
    out["top1"] *= 100
    return out.rename(columns={"kept": f"top-{k} kept (%)", "top1": "number one changes (%)"})


def _markdown(df: pd.DataFrame, digits: int = 2) -> str:
    cols = list(df.columns)
    lines = ["| " + " | ".join(map(str, cols)) + " |", "|" + "---|" * len(cols)]
    for _, row in df.iterrows():
        cells = [f"{v:.{digits}f}" if isinstance(v, (float, np.floating)) else str(v) for v in row]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def mechanisms_report(checkpoints: dict[str, str], max_sessions: int | None = None) -> str:
    """All three parts as markdown, for checkpoints (name -> path) trained on one dataset."""
    dataset = load_checkpoint_dataset(next(iter(checkpoints.values())))
    models = {name: load_model(path, dataset)[0] for name, path in checkpoints.items()}
    parts = [f"Dataset `{dataset.name}`: {len(dataset.test):,} test pairs in {dataset.test.num_sessions:,} "
             f"test sessions; checkpoints: " + ", ".join(f"{n} = `{p}`" for n, p in checkpoints.items()) + "."]
    parts += ["", "**Same graph, different last click** (top-5):", "",
              _markdown(same_graph_table(models, dataset))]
    rows = [{"model": n, **last_click_dependence(m, dataset)} for n, m in models.items()]
    parts += ["", "**Told the wrong last click** (the first click's node passed as the last one):", "",
              _markdown(pd.DataFrame(rows))]
    rows = [{"model": n, **r} for n, m in models.items() if (r := readout_on_last_click(m, dataset)) is not None]
    if rows:
        parts += ["", ("**Where FGNN's readout looks** (Set2Set attention of the last step, test prefixes of two or "
                  "more nodes):"), "", _markdown(pd.DataFrame(rows))]
    frames = []
    for n, m in models.items():
        w = whatif_sensitivity(m, dataset, max_sessions=max_sessions)
        w.insert(0, "model", n)
        frames.append(w)
    parts += ["", ("**What-if order sensitivity**, averaged over the longest prefix of every test session with at "
              "least 3 clicks:"), "", _markdown(pd.concat(frames, ignore_index=True))]
    for part in ("session length", "target popularity"):
        frames = []
        for n, path in checkpoints.items():
            table, _, _ = evaluate_checkpoint(path, dataset, k=K)
            frames.append(sliced_metrics(table, k=K, model=n)[part])
        sliced = pd.concat(frames, ignore_index=True)
        wide = sliced.pivot_table(index="group", columns="model", values=["hit", "mrr"], sort=False)
        wide.columns = [f"{'HR' if a == 'hit' else 'MRR'}@{K} {b}" for a, b in wide.columns]
        wide.insert(0, "pairs", sliced.drop_duplicates("group").set_index("group")["n"])
        parts += ["", f"**By {part}** (test pairs):", "", _markdown(wide.reset_index().rename(columns={"group": part}))]
    return "\n".join(parts) + "\n"


def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog="python -m fgnn.benchmarks.fgnn_mechanisms",
                                description=__doc__.split("\n\n")[0])
    p.add_argument("checkpoints", nargs="+", metavar="NAME=PATH", help="checkpoints trained on one dataset")
    p.add_argument("--max-sessions", type=int, default=None, help="what-if over at most this many test sessions")
    p.add_argument("--out", default=None, help="also write the markdown here")
    args = p.parse_args(argv)
    checkpoints = {}
    for spec in args.checkpoints:
        name, sep, path = spec.partition("=")
        if not sep or not name or not path:
            p.error(f"{spec!r}: give NAME=PATH, e.g. fgnn=checkpoints/fgnn-sample/best.pt")
        checkpoints[name] = path
    torch.set_num_threads(1)
    text = mechanisms_report(checkpoints, args.max_sessions)
    print(text, end="")
    if args.out:
        Path(args.out).write_text(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
