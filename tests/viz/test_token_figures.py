"""The figures with token item ids (text: "7" and "007" are two items, unicode included)."""
from __future__ import annotations

import numpy as np
import pandas as pd

from fgnn.data.graph import build_session_graph
from fgnn.viz.graph_figures import session_graph_figure
from fgnn.viz.item_map import item_map_base, item_map_figure, item_map_overlays
from fgnn.viz.prediction_figures import topk_figure, whatif_figure

IDS = np.asarray(["", "7", "007", "商品-1", "🍎"], dtype=object)  # index 0: padding


def _trace(fig, name):
    return next(t for t in fig.data if t.name == name)


def test_session_graph_figure_with_token_ids():
    graph = build_session_graph([1, 2, 3, 1]).with_original_ids(IDS)
    fig = session_graph_figure(graph, item_labels={"007": "double oh seven"}, highlight_item="007")
    nodes = _trace(fig, "items")
    assert list(nodes.customdata) == ["7", "007", "商品-1"]
    assert any("double oh seven" in h for h in nodes.hovertext)
    assert any("true next item" in h for h in nodes.hovertext)
    assert "not in the session" not in fig.layout.title.text
    # "7" is not "007", and a number is not a token
    for other in ("0007", 7):
        fig = session_graph_figure(graph, highlight_item=other)
        assert f"(item {other}) is not in the session" in fig.layout.title.text


def test_item_map_with_token_ids():
    coords = np.array([[0.0, 0.0], [1.0, 0.5], [0.3, 1.0], [0.8, 0.1]])
    ids = pd.Series(IDS[1:].tolist())
    fig = item_map_figure(coords, ids, [5, 4, 3, 2], selected_items=["007", "7", "007"], topk_items=["🍎", "7"],
                          target_item="商品-1", found_items=["0007", "🍎"], item_labels={"🍎": "apple"})
    points = next(t for t in fig.data if t.type == "scatter" and t.name == "all items")
    assert list(points.customdata) == ["7", "007", "商品-1", "🍎"]
    assert list(_trace(fig, "in session").customdata) == ["007", "7"]
    assert list(_trace(fig, "in session").text) == ["1,3", "2"]
    assert list(_trace(fig, "top-K").customdata) == ["🍎", "7"]
    assert list(_trace(fig, "found").customdata) == ["🍎"]  # "0007" is on no map
    assert list(_trace(fig, "true next item").customdata) == ["商品-1"]
    assert "apple" in " ".join(_trace(fig, "top-K").hovertext)
    # a plain list of text works too, and whole numbers are not tokens
    assert item_map_base(coords, IDS[1:].tolist(), [1, 1, 1, 1]).data
    assert item_map_overlays(coords, IDS[1:].tolist(), [1, 1, 1, 1], selected_items=[7]) == []


def test_topk_and_whatif_figures_with_token_ids():
    fig = topk_figure(pd.Series(["007", "7", "🍎"]), [3.0, 2.0, 1.0], target="7")
    bar = fig.data[0]
    assert list(bar.customdata) == ["007", "7", "🍎"]
    assert "target item 7 at rank 2" in fig.layout.title.text
    assert "target item 0007 not in the top 2" in topk_figure(["007", "7"], [2.0, 1.0], target="0007").layout.title.text
    rows = pd.DataFrame({"variant": ["original", "original", "reversed", "reversed"],
                         "item": ["007", "7", "007", "7"], "rank": [1, 2, 2, 1], "score": [2.0, 1.0, 1.0, 2.0]})
    heat = whatif_figure(rows, k=2).data[0]
    assert list(heat.x) == ["007", "7"] and list(heat.z[1]) == [2.0, 1.0]
