"""Attention tables shaped for one view (fgnn.explain.attention): values checked against the tables
they come from and against the session graph's own tensors."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from attention_tables import edge_attention_table

from fgnn.data.graph import build_session_graph
from fgnn.explain import attention

SEQ = [1, 3, 2, 2, 1, 3, 4]


def test_graph_edge_table_equals_tensors():
    g = build_session_graph(SEQ)
    t = attention.graph_edge_table(g, item_labels={1: "a"})
    assert t["src_node"].tolist() == g.edge_index[0].tolist()
    assert t["dst_node"].tolist() == g.edge_index[1].tolist()
    assert t["src"].tolist() == [1, 3, 2, 2, 3] and t["dst"].tolist() == [3, 2, 2, 1, 4]
    assert t["weight"].tolist() == [2, 1, 1, 1, 1]
    assert t["out_degree_inv"].tolist() == pytest.approx(g.out_degree_inv.tolist())
    assert t["in_degree_inv"].tolist() == pytest.approx(g.in_degree_inv.tolist())
    assert t["src_label"].tolist()[0] == "a" and t["dst_label"].tolist()[3] == "a"
    empty = attention.graph_edge_table(build_session_graph([9]))
    assert len(empty) == 0 and "weight" in empty.columns


def test_edge_attention_for_view_head_and_mean():
    g = build_session_graph(SEQ)
    df = edge_attention_table(g)
    head1 = attention.edge_attention_for_view(df, layer=0, head=1, graph=g)
    assert head1[["src_node", "dst_node"]].values.tolist()[:5] == g.edge_index.t().tolist()
    assert head1["attention"].tolist()[:5] == pytest.approx([0.15, 0.25, 0.35, 0.45, 0.55])
    assert head1["added_self_loop"].tolist() == [False] * 5 + [True] * 3
    assert head1["dst_node"].tolist()[5:] == [0, 1, 3]
    mean = attention.edge_attention_for_view(df, layer=0, head="mean", graph=g)
    assert mean["attention"].tolist()[:5] == pytest.approx([0.125, 0.225, 0.325, 0.425, 0.525])
    # order of the table's rows does not matter when the graph is given
    shuffled = attention.edge_attention_for_view(df.sample(frac=1, random_state=0), 0, "mean", graph=g)
    pd.testing.assert_frame_equal(mean, shuffled)
    # an edge the table lacks is NaN, not shifted
    partial = attention.edge_attention_for_view(df[df["dst_node"] != 3], 0, 0, graph=g)
    assert np.isnan(partial["attention"][4])
    with pytest.raises(ValueError):
        attention.edge_attention_for_view(df, layer=5)
    with pytest.raises(ValueError):
        attention.edge_attention_for_view(pd.concat([df, df.assign(session=1)]), layer=0)
    assert len(attention.edge_attention_for_view(pd.concat([df, df.assign(session=1)]), 0,
                                             session=1, graph=g)) == 8


def test_node_attention_for_view():
    df = pd.DataFrame({"session": 0, "step": [0, 0, 0, 1, 1, 1], "node": [0, 1, 2] * 2,
                           "item": [5, 6, 7] * 2, "attention": [0.2, 0.3, 0.5, 0.6, 0.2, 0.2]})
    assert attention.node_attention_for_view(df, step=1).tolist() == pytest.approx([0.6, 0.2, 0.2])
    assert attention.node_attention_for_view(df).tolist() == pytest.approx([0.4, 0.25, 0.35])
    padded = attention.node_attention_for_view(df, step=0, num_nodes=4)
    assert np.isnan(padded[3])


def test_attention_per_edge_follows_edge_index_and_lists_added_loops_by_node():
    g = build_session_graph(SEQ)
    view = attention.edge_attention_for_view(edge_attention_table(g), layer=0, head=0, graph=g)
    per_edge, added = attention.attention_per_edge(view.sample(frac=1, random_state=1), g)
    assert per_edge.tolist() == pytest.approx([0.1, 0.2, 0.3, 0.4, 0.5])  # edge k has 0.1 (k + 1)
    assert [n for n, _ in added] == [0, 1, 3] and [a for _, a in added] == pytest.approx([0.02, 0.04, 0.08])
    # an unflagged self-loop row that is no edge of the graph counts as added; a missing edge is NaN
    unflagged = view.drop(columns="added_self_loop").iloc[[0, 5]]
    per_edge, added = attention.attention_per_edge(unflagged, g)
    assert per_edge[0] == pytest.approx(0.1) and np.isnan(per_edge[1:]).all()
    assert [n for n, _ in added] == [0] and added[0][1] == pytest.approx(0.02)
