"""The figures of the explain view and of the faithfulness table (fgnn.viz.plots), from real
attributions of the shipped FGNN checkpoint."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from fgnn.explain import attribution as A
from fgnn.models.checkpoint import load_model
from fgnn.viz.drawing import SIGNED_COLORSCALE
from fgnn.viz.explanation_figures import deletion_curves_figure, faithfulness_figure
from fgnn.viz.graph_figures import session_graph_figure

REPO = Path(__file__).resolve().parents[2]
SESSION = [5, 17, 5, 30, 2]


@pytest.fixture(scope="module")
def attrs(ds):
    model = load_model(REPO / "checkpoints" / "fgnn-sample" / "best.pt", ds)[0]
    return {m: A.explain_item(model, SESSION, 17, ds.item_ids, m, ig_steps=8, epochs=5)
            for m in ("attention", "ig", "random")}


def _trace(fig, name):
    return next(t for t in fig.data if t.name == name)


def test_session_graph_coloured_by_signed_attributions(attrs):
    ig = attrs["ig"]
    values = ig.nodes["attribution"].to_numpy()
    assert values.min() < 0 < values.max()  # this session has a click that argues against the item
    fig = session_graph_figure(ig.graph, node_attention=values, edge_attention=ig.edges["attribution"].to_numpy(),
                               node_label="integrated gradients", edge_label="integrated gradients")
    nodes = _trace(fig, "items")
    assert list(nodes.customdata) == list(ig.nodes["item"])
    m = np.abs(values).max()
    assert nodes.marker.cmin == pytest.approx(-m) and nodes.marker.cmax == pytest.approx(m)
    assert [list(c) for c in nodes.marker.colorscale] == [list(c) for c in SIGNED_COLORSCALE]
    assert list(nodes.marker.color) == pytest.approx(list(values))
    # node size follows the magnitude: the largest |value| is the largest node
    assert int(np.argmax(nodes.marker.size)) == int(np.argmax(np.abs(values)))
    assert "integrated gradients" in nodes.hovertext[0]
    assert nodes.marker.colorbar.title.text == "integrated<br>gradients"
    edges = _trace(fig, "edge info")
    assert list(edges.marker.color) == pytest.approx(list(ig.edges["attribution"]))
    assert "edge<br>integrated gradients" == edges.marker.colorbar.title.text


def test_session_graph_keeps_the_attention_scale_for_non_negative_values(attrs):
    att = attrs["attention"]
    fig = session_graph_figure(att.graph, node_attention=att.nodes["attribution"].to_numpy())
    nodes = _trace(fig, "items")
    assert nodes.marker.cmin == 0.0 and nodes.marker.cmax == pytest.approx(att.nodes["attribution"].max())
    assert nodes.marker.colorbar.title.text == "readout<br>attention"


def test_deletion_curves_figure(attrs):
    curves = {m: a.deletion for m, a in attrs.items()}
    fig = deletion_curves_figure(curves, item=attrs["ig"].item)
    for m, a in attrs.items():
        share, rank = _trace(fig, m), _trace(fig, f"{m} rank")
        assert list(share.y) == pytest.approx(list(a.deletion["share"]))
        assert list(rank.y) == pytest.approx(list(a.deletion["rank"]))
        assert list(share.x) == list(range(len(a.deletion)))
        assert list(share.customdata) == list(a.deletion["removed"])
        assert f"{a.auc:.3g}" in fig.layout.title.text
    assert fig.layout.yaxis2.type == "log"
    assert str(attrs["ig"].item) in fig.layout.title.text


def test_faithfulness_figure():
    summary = pd.DataFrame({"method": ["attention", "ig", "random"], "pairs": [10, 10, 10],
                            "auc": [0.5, 0.2, 0.45], "auc_sem": [0.05, 0.02, 0.04],
                            "beats_random": [0.4, 0.9, np.nan]})
    fig = faithfulness_figure(summary)
    bars = _trace(fig, "AUC")
    assert list(bars.y) == [0.5, 0.2, 0.45] and list(bars.error_y.array) == [0.05, 0.02, 0.04]
    assert list(bars.customdata) == ["attention", "ig", "random"]
    assert fig.layout.shapes[0].y0 == pytest.approx(0.45)
    assert "90 %" in bars.hovertext[1] and "10 test pairs" in fig.layout.title.text


def test_faithfulness_values_sit_above_their_error_bars():
    """Each bar's number, written just above the bar, sat on its error bar."""
    summary = pd.DataFrame({"method": ["attention", "ig", "random"], "pairs": [39, 39, 39],
                            "auc": [0.33, 0.2479, 0.3949], "auc_sem": [0.03, 0.0156, np.nan],
                            "beats_random": [0.5, 0.54, np.nan]})
    fig = faithfulness_figure(summary)
    bars = _trace(fig, "AUC")
    assert bars.text is None  # no number on the bar itself
    values = {a.name: a for a in fig.layout.annotations if (a.name or "").startswith("AUC value")}
    tops = {"attention": 0.36, "integrated gradients": 0.2635, "random order": 0.3949}  # mean + error
    assert set(values) == {f"AUC value {m}" for m in tops}
    for method, top in tops.items():
        label = values[f"AUC value {method}"]
        assert label.x == method and label.y == pytest.approx(top)
        assert label.yanchor == "bottom" and label.yshift > 0 and not label.showarrow
    assert values["AUC value integrated gradients"].text == "0.248"
    assert fig.layout.yaxis.range[1] >= 1.15 * max(tops.values())  # room above the highest for its number
