"""Attention tables shaped for one view: a layer and head of edge attention, a readout step of
node attention, lined up with a session graph's edges and nodes.

Input is the tidy tables of :mod:`fgnn.explain.sessions` (``Explanation.edge_attention``, one row per
session, layer, head and edge; ``Explanation.node_attention``, one row per session, readout
step and node); output is what :func:`fgnn.viz.plots.session_graph_figure` draws and the builder's
tables list. :func:`graph_edge_table` is the graph's own edges in the same columns.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from fgnn.data.graph import SessionGraph
from fgnn.data.items import ItemLabels, item_labeller


def graph_edge_table(graph: SessionGraph, item_labels: ItemLabels = None) -> pd.DataFrame:
    """The merged edges of a session graph, one row per edge in ``edge_index`` order.

    Columns: ``src_node, dst_node, src, dst, weight, out_degree_inv, in_degree_inv``
    (+ ``src_label, dst_label`` when labels are given). ``src``/``dst`` are item ids: whole numbers,
    or text for a graph shown with token ids (:meth:`~fgnn.data.graph.SessionGraph.with_original_ids`).
    """
    ei = graph.edge_index.tolist() if graph.num_edges else [[], []]
    items = graph.x.tolist()
    ids = object if getattr(graph.x, "dtype", None) == object else "int64"  # tokens (text) where ids are
    table = pd.DataFrame({
        "src_node": pd.Series(ei[0], dtype="int64"),
        "dst_node": pd.Series(ei[1], dtype="int64"),
        "src": pd.Series([items[s] for s in ei[0]], dtype=ids),
        "dst": pd.Series([items[d] for d in ei[1]], dtype=ids),
        "weight": pd.Series([round(w) for w in graph.edge_weight.tolist()], dtype="int64"),
        "out_degree_inv": pd.Series(graph.out_degree_inv.tolist(), dtype="float64"),
        "in_degree_inv": pd.Series(graph.in_degree_inv.tolist(), dtype="float64"),
    })
    if item_labels is not None:
        label = item_labeller(item_labels)
        table["src_label"] = [label(i) for i in table["src"]]
        table["dst_label"] = [label(i) for i in table["dst"]]
    return table


def _select_session(df: pd.DataFrame, session: int | None) -> pd.DataFrame:
    if "session" not in df.columns:
        return df
    if session is not None:
        return df[df["session"] == session]
    sessions = pd.unique(df["session"])
    if len(sessions) > 1:
        raise ValueError(f"attention table holds {len(sessions)} sessions; pass session=")
    return df


def _mean_over_heads(df: pd.DataFrame) -> pd.DataFrame:
    """One row per edge (``src_node, dst_node``), attention averaged over the rows (heads)."""
    df = df.copy()
    if "added_self_loop" not in df.columns:
        df["added_self_loop"] = False
    df["added_self_loop"] = df["added_self_loop"].astype(bool)
    for col, default in (("src", -1), ("dst", -1), ("weight", np.nan)):
        if col not in df.columns:
            df[col] = default
    return (df.groupby(["src_node", "dst_node"], sort=False)
              .agg(src=("src", "first"), dst=("dst", "first"), weight=("weight", "first"),
                   added_self_loop=("added_self_loop", "first"), attention=("attention", "mean"))
              .reset_index())


def _on_graph_edges(agg: pd.DataFrame, graph: SessionGraph) -> pd.DataFrame:
    """The graph's edges in ``edge_index`` order with their attention from ``agg`` (NaN where
    ``agg`` has none)."""
    found = {(int(r.src_node), int(r.dst_node)): r for r in agg.itertuples(index=False)
             if not r.added_self_loop}
    table = graph_edge_table(graph)
    return pd.DataFrame({
        "src_node": table["src_node"], "dst_node": table["dst_node"],
        "src": table["src"], "dst": table["dst"], "weight": table["weight"].astype(float),
        "added_self_loop": False,
        "attention": [float(found[(s, d)].attention) if (s, d) in found else np.nan
                      for s, d in zip(table["src_node"], table["dst_node"], strict=True)],
    })


def edge_attention_for_view(edge_attention_df: pd.DataFrame, layer: int,
                            head: int | str = "mean", graph: SessionGraph | None = None,
                            session: int | None = None) -> pd.DataFrame:
    """Edge attention of one layer and one head (or the mean over heads), one row per edge.

    With ``graph``, the first ``graph.num_edges`` rows follow ``graph.edge_index`` (attention NaN
    where the table has none), then the self-loops the attention layer added, by node. Without
    it, the table's own edges in order of first appearance, then the added self-loops.

    Returns columns ``src_node, dst_node, src, dst, weight, added_self_loop, attention``.
    The mean over heads of attention normalised per receiving node is still normalised.
    """
    df = _select_session(edge_attention_df, session)
    df = df[df["layer"] == layer]
    if df.empty:
        raise ValueError(f"no edge attention for layer {layer}")
    if head != "mean":
        df = df[df["head"] == head]
        if df.empty:
            raise ValueError(f"no edge attention for layer {layer}, head {head}")
    agg = _mean_over_heads(df)
    added = agg[agg["added_self_loop"]].sort_values("src_node", kind="stable")
    base = agg[~agg["added_self_loop"]] if graph is None else _on_graph_edges(agg, graph)
    out = pd.concat([base, added], ignore_index=True)
    out = out[["src_node", "dst_node", "src", "dst", "weight", "added_self_loop", "attention"]]
    out["added_self_loop"] = out["added_self_loop"].astype(bool)
    return out.reset_index(drop=True)


def node_attention_for_view(node_attention_df: pd.DataFrame, step: int | str = "mean",
                            num_nodes: int | None = None,
                            session: int | None = None) -> np.ndarray:
    """Readout attention per local node for one readout step (or the mean over steps).

    Returns an array indexed by local node (NaN where the table has no value).
    """
    df = _select_session(node_attention_df, session)
    if step != "mean":
        df = df[df["step"] == step]
    if df.empty:
        raise ValueError(f"no node attention for step {step}")
    per_node = df.groupby("node")["attention"].mean()
    n = int(num_nodes) if num_nodes is not None else int(per_node.index.max()) + 1
    return per_node.reindex(range(n)).to_numpy(dtype=float)


def attention_per_edge(view: pd.DataFrame, graph: SessionGraph) -> tuple[np.ndarray, list[tuple[int, float]]]:
    """``(attention per edge of graph.edge_index [E], [(node, attention)] of the added
    self-loops by node)`` from a view (:func:`edge_attention_for_view`); NaN for an edge the
    view lacks. A self-loop row not flagged ``added_self_loop`` whose loop is not a graph edge
    also counts as added."""
    added_mask = (view["added_self_loop"].astype(bool) if "added_self_loop" in view.columns
                  else pd.Series(False, index=view.index))
    pairs = {(int(s), int(d)): float(a) for s, d, a, m in
             zip(view["src_node"], view["dst_node"], view["attention"], added_mask, strict=True) if not m}
    per_edge = np.array([pairs.get((s, d), np.nan)
                         for s, d in graph.edge_index.t().tolist()], dtype=float)
    existing = {(s, d) for s, d in graph.edge_index.t().tolist()}
    added = sorted({int(s): float(a) for s, d, a, m in
                    zip(view["src_node"], view["dst_node"], view["attention"], added_mask, strict=True)
                    if (m or (int(s) == int(d) and (int(s), int(d)) not in existing))
                    and int(s) == int(d) and int(s) < graph.num_nodes}.items())
    return per_edge, added
