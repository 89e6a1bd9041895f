"""Predictions and attention as tidy tables, for one session or many.

Edge attention: one row per (session, layer, head, edge) with columns ``session, layer, head,
src, dst, src_node, dst_node, weight, added_self_loop, attention``; node attention: one row per
(session, readout step, node) with ``session, step, node, item, attention``. Items are the
dataset's original ids; nodes are indices local to each session graph.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pandas as pd
import torch

from fgnn.data.graph import GraphBatch, make_batch
from fgnn.data.ids import as_original_ids, plain_id
from fgnn.evaluation.ranking import topk_table
from fgnn.models import SessionRecommender

EDGE_COLUMNS = ["session", "layer", "head", "src", "dst", "src_node", "dst_node", "weight", "added_self_loop", "attention"]
NODE_COLUMNS = ["session", "step", "node", "item", "attention"]


@dataclass
class Explanation:
    topk: pd.DataFrame  # session, rank, item, score, probability
    edge_attention: pd.DataFrame
    node_attention: pd.DataFrame
    batch: GraphBatch




def _edge_rows(batch: GraphBatch, layers, item_ids) -> pd.DataFrame:
    frames = []
    node_session = batch.batch
    for l, (edge_index, alpha, added, valid) in enumerate(layers):
        keep = valid
        ei = edge_index[:, keep]
        a = alpha[keep]
        n_edges = batch.edge_index.size(1)
        weight = torch.cat([batch.edge_weight, torch.ones(edge_index.size(1) - n_edges)])[keep]
        add = added[keep]
        sess = node_session[ei[0]]
        H = a.size(1)
        lo = batch.ptr[sess]
        for h in range(H):
            frames.append(pd.DataFrame({
                "session": sess.numpy(), "layer": l, "head": h,
                "src": item_ids[batch.x[ei[0]].numpy()], "dst": item_ids[batch.x[ei[1]].numpy()],
                "src_node": (ei[0] - lo).numpy(), "dst_node": (ei[1] - lo).numpy(),
                "weight": weight.double().numpy(), "added_self_loop": add.numpy(),
                "attention": a[:, h].double().numpy(),
            }))
    if not frames:
        return pd.DataFrame(columns=EDGE_COLUMNS)
    return pd.concat(frames, ignore_index=True).sort_values(["session", "layer", "head"], kind="stable").reset_index(drop=True)


def _node_rows(batch: GraphBatch, readout, item_ids) -> pd.DataFrame:
    frames = []
    node = torch.arange(batch.num_nodes) - batch.ptr[batch.batch]
    for t, a in enumerate(readout):
        frames.append(pd.DataFrame({
            "session": batch.batch.numpy(), "step": t, "node": node.numpy(),
            "item": item_ids[batch.x.numpy()], "attention": a.double().cpu().numpy(),
        }))
    if not frames:
        return pd.DataFrame(columns=NODE_COLUMNS)
    return pd.concat(frames, ignore_index=True).sort_values(["session", "step"], kind="stable").reset_index(drop=True)


@torch.no_grad()
def explain_sessions(model: SessionRecommender, sessions: Sequence[Sequence[int]], item_ids,
                     k: int = 20) -> Explanation:
    """Top-K and attention of ``model`` for sessions of item indices (1..N); ``item_ids``: the
    vocabulary's original ids (:func:`fgnn.data.dataset.original_ids`, or an ``item_ids`` tensor).

    Baselines, and models of your own that return no attention, have empty attention tables.
    """
    model.eval()
    batch = make_batch(sessions)
    item_ids = as_original_ids(item_ids)
    if callable(getattr(model, "attention", None)):  # a network; a plugin's may return no attention
        raw = model.attention(batch) or {}
        scores = raw["scores"] if "scores" in raw else model(batch)
        edges = _edge_rows(batch, [(e.cpu(), a.cpu(), ad.cpu(), v.cpu()) for e, a, ad, v in raw.get("layers") or []],
                           item_ids)
        nodes = _node_rows(batch, [a.cpu() for a in raw.get("readout") or []], item_ids)
    else:
        scores = model(batch)
        edges = pd.DataFrame(columns=EDGE_COLUMNS)
        nodes = pd.DataFrame(columns=NODE_COLUMNS)
    return Explanation(topk_table(scores.cpu(), item_ids, k), edges, nodes, batch)


def explanation_json(expl: Explanation, session: int = 0) -> dict:
    """The ``predict --explain --json`` object of one session."""
    t = expl.topk[expl.topk.session == session]
    e = expl.edge_attention[expl.edge_attention.session == session]
    n = expl.node_attention[expl.node_attention.session == session]
    return {
        "topk": [{"item": plain_id(r.item), "score": float(r.score), "probability": float(r.probability)} for r in t.itertuples()],
        "edge_attention": [{"layer": int(r.layer), "head": int(r.head), "src": plain_id(r.src), "dst": plain_id(r.dst),
                            "weight": float(r.weight), "added_self_loop": bool(r.added_self_loop),
                            "attention": float(r.attention)} for r in e.itertuples()],
        "node_attention": [{"step": int(r.step), "item": plain_id(r.item), "attention": float(r.attention)} for r in n.itertuples()],
    }
