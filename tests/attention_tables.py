"""A made-up attention table in the layout `fgnn.explain.sessions` returns, for the attention and figure tests."""
from __future__ import annotations

import pandas as pd


def edge_attention_table(graph, layer=0, heads=(0, 1), added=(0, 1, 3)):
    """An explain()-style table: per head, the graph's edges then the added self-loops."""
    rows = []
    items = graph.x.tolist()
    pairs = graph.edge_index.t().tolist()
    for h in heads:
        for k, (s, d) in enumerate(pairs):
            rows.append({"session": 0, "layer": layer, "head": h, "src": items[s], "dst": items[d],
                             "src_node": s, "dst_node": d, "weight": float(graph.edge_weight[k]),
                             "added_self_loop": False, "attention": 0.1 * (k + 1) + h * 0.05})
        for node in added:
            rows.append({"session": 0, "layer": layer, "head": h, "src": items[node], "dst": items[node],
                             "src_node": node, "dst_node": node, "weight": 1.0, "added_self_loop": True,
                             "attention": 0.02 * (node + 1) + h * 0.01})
    return pd.DataFrame(rows)
