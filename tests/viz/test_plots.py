"""The app's figures: the numbers inside them, not just that they are Figures."""
from __future__ import annotations

import dataclasses
import json

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import pytest
from attention_tables import edge_attention_table
from hypothesis import given, settings
from hypothesis import strategies as st
from plotly.colors import sample_colorscale

from fgnn.data.graph import build_session_graph
from fgnn.data.spec import DatasetSpec
from fgnn.explain import attention
from fgnn.viz import (
    dataset_figures,
    drawing,
    evaluation_figures,
    graph_figures,
    item_map,
    prediction_figures,
    training_figures,
)

SEQ = [1, 3, 2, 2, 1, 3, 4]


def trace(fig: go.Figure, name: str):
    found = [t for t in fig.data if t.name == name]
    assert len(found) == 1, f"expected one trace named {name!r}, got {len(found)}"
    return found[0]


def arrows(fig: go.Figure):
    return [a for a in fig.layout.annotations if a.showarrow]


# --------------------------------------------------------------------------- session graph
def test_nodes_carry_item_ids_and_one_arrow_per_edge():
    g = build_session_graph(SEQ)
    fig = graph_figures.session_graph_figure(g)
    nodes = trace(fig, drawing.NODE_TRACE)
    assert len(nodes.x) == g.num_nodes == 4
    assert list(nodes.customdata) == [1, 3, 2, 4]
    assert len(arrows(fig)) == g.num_edges == 5
    # every arrow points at the position of its receiving node
    xy = np.c_[nodes.x, nodes.y]
    heads = sorted((round(a.x, 6), round(a.y, 6)) for a in arrows(fig))
    expected = sorted((round(xy[d, 0], 6), round(xy[d, 1], 6)) for d in g.edge_index[1].tolist())
    assert heads == expected


def test_self_loop_of_a_repeated_click_is_drawn_as_a_loop():
    g = build_session_graph([5, 6, 6])
    fig = graph_figures.session_graph_figure(g)
    nodes = trace(fig, drawing.NODE_TRACE)
    p = np.array([nodes.x[1], nodes.y[1]])
    loop = trace(fig, "edge 1->1")
    path = np.c_[loop.x, loop.y]
    # a closed-ish curve that starts and ends at the node and leaves it
    assert np.hypot(*(path[0] - p)) < 0.1 and np.hypot(*(path[-1] - p)) < 0.1
    assert np.hypot(*(path - p).T).max() > 0.2
    assert len(arrows(fig)) == 2
    info = trace(fig, drawing.EDGE_INFO_TRACE)
    assert [list(c) for c in info.customdata] == [[0, 1], [1, 1]]
    assert "self-loop" in info.hovertext[1]


def test_hover_shows_weight_and_degrees():
    g = build_session_graph(SEQ)
    info = trace(graph_figures.session_graph_figure(g), drawing.EDGE_INFO_TRACE)
    assert "weight 2" in info.hovertext[0]  # 1 -> 3 occurs twice
    assert "item 1 → item 3" in info.hovertext[0]
    assert "out-degree⁻¹ 0.5" in info.hovertext[1]  # node 1 (item 3) sends two edges
    assert list(info.text) == ["2", "", "", "", ""]


def test_edge_colours_follow_attention():
    g = build_session_graph(SEQ)
    att = np.array([0.9, 0.1, 0.5, 0.3, 0.0])
    fig = graph_figures.session_graph_figure(g, edge_attention=att)
    expected = sample_colorscale(drawing.EDGE_COLORSCALE, list(att / att.max()))
    assert [a.arrowcolor for a in arrows(fig)] == expected
    info = trace(fig, drawing.EDGE_INFO_TRACE)
    assert list(info.marker.color) == pytest.approx(list(att))
    assert info.marker.cmax == pytest.approx(0.9)
    assert "attention 0.9" in info.hovertext[0]
    with pytest.raises(ValueError):
        graph_figures.session_graph_figure(g, edge_attention=[0.1, 0.2])


def test_added_self_loops_from_an_attention_table_are_drawn_dotted():
    g = build_session_graph(SEQ)
    view = attention.edge_attention_for_view(edge_attention_table(g), layer=0, head="mean", graph=g)
    fig = graph_figures.session_graph_figure(g, edge_attention=view)
    assert len(arrows(fig)) == 5 + 3
    for node in (0, 1, 3):
        assert trace(fig, f"added self-loop {node}").line.dash == "dot"
    info = trace(fig, drawing.EDGE_INFO_TRACE)
    assert "added by the attention layer" in info.hovertext[5]
    assert list(info.marker.color) == pytest.approx(list(view["attention"]))


def test_node_attention_sizes_nodes_and_current_interest_and_highlight():
    g = build_session_graph(SEQ)
    att = [0.1, 0.2, 0.3, 0.4]
    fig = graph_figures.session_graph_figure(g, node_attention=att, highlight_item=2,
                                     item_labels={1: "red shoe"})
    nodes = trace(fig, drawing.NODE_TRACE)
    assert list(nodes.marker.color) == pytest.approx(att)
    sizes = list(nodes.marker.size)
    assert sizes == sorted(sizes) and sizes[0] < sizes[-1]
    assert "readout attention 0.3" in nodes.hovertext[2]
    assert nodes.text[0] == "red shoe" and "red shoe" in nodes.hovertext[0]
    cur = trace(fig, drawing.CURRENT_TRACE)
    assert (cur.x[0], cur.y[0]) == (nodes.x[g.last_node], nodes.y[g.last_node])
    assert list(cur.customdata) == [4]
    hl = trace(fig, drawing.HIGHLIGHT_TRACE)
    assert (hl.x[0], hl.y[0]) == (nodes.x[2], nodes.y[2])  # item 2 is node 2
    missing = graph_figures.session_graph_figure(g, highlight_item=99)
    assert not [t for t in missing.data if t.name == drawing.HIGHLIGHT_TRACE]
    assert "item 99" in missing.layout.title.text


@pytest.mark.parametrize("seq, n, e", [([7], 1, 0), ([7, 8], 2, 1), ([7, 7], 1, 1),
                                       ([7, 8, 7, 8], 2, 2)])
def test_tiny_graphs(seq, n, e):
    g = build_session_graph(seq)
    fig = graph_figures.session_graph_figure(g)
    nodes = trace(fig, drawing.NODE_TRACE)
    assert len(nodes.x) == n and len(arrows(fig)) == e
    assert np.isfinite(np.r_[nodes.x, nodes.y]).all()
    if n == 2:
        assert nodes.x[0] != nodes.x[1]


def test_session_graph_is_deterministic():
    g = build_session_graph([4, 8, 15, 16, 23, 42, 8, 15])
    a = graph_figures.session_graph_figure(g, seed=3).to_json()
    b = graph_figures.session_graph_figure(build_session_graph([4, 8, 15, 16, 23, 42, 8, 15]),
                                   seed=3).to_json()
    assert a == b


@settings(max_examples=25, deadline=None)
@given(st.lists(st.integers(1, 6), min_size=1, max_size=12))
def test_graph_figure_matches_graph(seq):
    g = build_session_graph(seq)
    fig = graph_figures.session_graph_figure(g)
    assert list(trace(fig, drawing.NODE_TRACE).customdata) == g.x.tolist()
    assert len(arrows(fig)) == g.num_edges


# --------------------------------------------------------------------------- item map
def test_item_map_customdata_categories_and_selection():
    n = 30
    rng = np.random.default_rng(0)
    coords = rng.normal(size=(n, 2))
    ids = np.arange(101, 101 + n)
    pop = np.arange(1, n + 1)
    cats = [f"c{i % 12:02d}" for i in range(n)]  # 12 categories: c10, c11 fall into "other"
    fig = item_map.item_map_figure(coords, ids, pop, categories=cats, selected_items=[105, 110, 105])
    groups = [t for t in fig.data if t.name != "in session"]
    assert sorted(c for t in groups for c in t.customdata) == ids.tolist()
    assert len(groups) == 11 and groups[-1].name == "other"
    assert set(groups[-1].customdata) == {101 + i for i in range(n) if i % 12 in (10, 11)}
    for t in groups:  # each point is where its coordinates say
        for x, cid in zip(t.x, t.customdata, strict=True):
            assert x == pytest.approx(coords[cid - 101, 0])
    sel = trace(fig, "in session")
    assert list(sel.customdata) == [105, 110] and list(sel.text) == ["1,3", "2"]
    big, small = pop.argmax(), pop.argmin()
    size = {c: s for t in groups for c, s in zip(t.customdata, t.marker.size, strict=True)}
    assert size[ids[big]] > size[ids[small]]
    # hover text is built in the browser from the id and the trace's category, not shipped per item
    assert all(t.hovertext is None and "%{customdata}" in t.hovertemplate for t in groups)
    assert "category c00" in trace(fig, "c00").hovertemplate


def test_item_map_hover_names_items_when_labels_are_given():
    fig = item_map.item_map_figure(np.zeros((3, 2)), [1, 2, 3], [5, 5, 5], item_labels={1: "red shoe", 3: "hat"})
    points = fig.data[0]
    assert list(points.hovertext) == ["red shoe", "", "hat"]
    assert points.hovertemplate.startswith("item %{customdata} · %{hovertext}")


def test_item_map_without_categories_is_one_colour():
    fig = item_map.item_map_figure(np.zeros((3, 2)), [1, 2, 3], [5, 5, 5])
    assert len(fig.data) == 1 and list(fig.data[0].customdata) == [1, 2, 3]


# --------------------------------------------------------------------------- top-k
def test_topk_best_on_top_and_target_highlighted():
    fig = prediction_figures.topk_figure([10, 20, 30], [0.5, 2.0, 1.0], probabilities=[0.2, 0.5, 0.3],
                            target=30)
    bar = fig.data[0]
    assert list(bar.customdata) == [20, 30, 10]
    assert list(bar.x) == [0.5, 0.3, 0.2]
    assert fig.layout.yaxis.autorange == "reversed"
    assert bar.marker.color[1] == drawing.HIGHLIGHT_COLOR
    assert bar.marker.color[0] != drawing.HIGHLIGHT_COLOR
    assert "rank 2" in fig.layout.title.text
    miss = prediction_figures.topk_figure([10, 20], [1.0, 2.0], target=99)
    assert "not in the top" in miss.layout.title.text
    assert list(miss.data[0].x) == [2.0, 1.0]


# --------------------------------------------------------------------------- curves
def _rows(losses, hits, step_every=None):
    rows = []
    for e, loss in enumerate(losses):
        if step_every:
            for s in range(step_every):
                rows.append({"epoch": e, "step": e * step_every + s, "kind": "train", "loss": loss + s})
        rows.append({"epoch": e, "kind": "train", "loss": loss, "lr": 1e-3})
    for e, hit in enumerate(hits):
        rows.append({"epoch": e, "kind": "eval", "hit@20": hit, "mrr@20": hit / 3,
                     "ndcg@20": hit / 2})
    return rows


def test_training_curves_one_trace_per_run_per_metric():
    runs = {"fgnn": _rows([3.0, 2.0, 1.5], [40, 45, 50], step_every=2),
            "srgnn": _rows([3.5, 2.5], [38, 44]),
            "fresh": [{"epoch": 0, "step": 0, "kind": "train", "loss": 9.0}]}  # no eval rows yet
    fig = training_figures.training_curves_figure(runs, k=20)
    by = {}
    for t in fig.data:
        by.setdefault(t.meta["metric"], []).append(t.meta["run"])
    assert by["hit"] == ["fgnn", "srgnn"] and by["mrr"] == ["fgnn", "srgnn"]
    assert by["ndcg"] == ["fgnn", "srgnn"]
    assert by["loss"] == ["fgnn", "srgnn", "fresh"]
    assert by["step_loss"] == ["fgnn", "fresh"]
    hit = next(t for t in fig.data if t.meta == {"run": "fgnn", "metric": "hit"})
    assert list(hit.x) == [0, 1, 2] and list(hit.y) == [40, 45, 50]
    for run in runs:  # one colour per run, one legend entry per run
        ts = [t for t in fig.data if t.meta["run"] == run]
        assert len({t.line.color for t in ts}) == 1
        assert sum(bool(t.showlegend) for t in ts) == 1
    step = next(t for t in fig.data if t.meta == {"run": "fgnn", "metric": "step_loss"})
    assert list(step.x) == list(range(6))


def test_training_curves_tolerate_missing_and_bad_values():
    runs = {"a": [{"epoch": 0, "kind": "eval", "loss": None}, {"kind": "train"},
                  {"epoch": 1, "kind": "eval", "hit@20": "nan"}, "garbage"], "b": []}
    fig = training_figures.training_curves_figure(runs)
    assert len(fig.data) == 0
    fig = training_figures.training_curves_figure({"a": [{"epoch": 0, "kind": "eval", "hit@10": 12.0}]}, k=10)
    assert [t.meta["metric"] for t in fig.data] == ["hit"]


# --------------------------------------------------------------------------- evaluation
def test_metric_slices_models_side_by_side():
    table = pd.DataFrame({"group": ["1-2", "3-5", "1-2", "3-5"], "n": [10, 20, 10, 20],
                              "hit": [30.0, 40.0, 35.0, 20.0], "mrr": [10.0, 12.0, 11.0, 9.0],
                              "model": ["fgnn", "fgnn", "pop", "pop"]})
    fig = evaluation_figures.metric_slices_figure(table)
    assert fig.layout.barmode == "group"
    assert len(fig.data) == 4
    pop_hit = next(t for t in fig.data if t.meta == {"model": "pop", "metric": "hit"})
    assert list(pop_hit.x) == ["1-2", "3-5"] and list(pop_hit.y) == [35.0, 20.0]
    assert [c[0] for c in pop_hit.customdata] == [10, 20]
    single = evaluation_figures.metric_slices_figure(table[table.model == "fgnn"].drop(columns="model"))
    assert len(single.data) == 2


def test_rank_histogram_counts():
    fig = evaluation_figures.rank_histogram_figure([1, 1, 2, 5, 20, 21, 300], k=20)
    bar = fig.data[0]
    assert len(bar.x) == 21 and bar.x[-1] == ">20"
    assert bar.y[0] == 2 and bar.y[1] == 1 and bar.y[4] == 1 and bar.y[19] == 1
    assert bar.y[-1] == 2 and sum(bar.y) == 7
    assert "HR@20 71.43%" in fig.layout.title.text


# --------------------------------------------------------------------------- dataset
def test_protocol_steps_figure():
    stats = [{"step": "raw", "clicks": 1000, "sessions": 200, "items": 100},
             {"step": "drop length 1", "clicks": 900, "sessions": 150, "items": 95},
             {"step": "drop rare items", "clicks": 800, "sessions": 140, "items": None}]
    fig = dataset_figures.protocol_steps_figure(stats)
    clicks = next(t for t in fig.data if t.name == "clicks")
    assert list(clicks.y) == ["raw", "drop length 1", "drop rare items"]
    assert list(clicks.x) == [1000, 900, 800]
    assert "change -100 (-10.0%)" in clicks.hovertext[1]
    items = next(t for t in fig.data if t.name == "items")
    assert np.isnan(items.x[2])


def test_session_length_and_popularity():
    fig = dataset_figures.session_length_figure([2, 2, 3, 7])
    assert list(fig.data[0].x) == [2, 3, 7] and list(fig.data[0].y) == [2, 1, 1]
    assert "mean 3.50" in fig.layout.title.text
    pop = dataset_figures.popularity_figure({10: 5, 11: 50, 12: 0, 13: 7})
    assert list(pop.data[0].y) == [50, 7, 5] and list(pop.data[0].x) == [1, 2, 3]
    assert list(pop.data[0].customdata) == [11, 13, 10]
    assert pop.layout.xaxis.type == "log" and pop.layout.yaxis.type == "log"


def test_split_timeline():
    fig = dataset_figures.split_timeline_figure([0, 0, 1], [3, 3, 3], split_date=2)
    train, test = fig.data
    assert list(train.x) == ["1970-01-01", "1970-01-02"] and list(train.y) == [2, 1]
    assert list(test.x) == ["1970-01-04"] and list(test.y) == [3]
    assert fig.layout.shapes[0].x0 == "1970-01-03"


# --------------------------------------------------------------------------- what if
def test_whatif_heatmap_of_ranks():
    rows = pd.DataFrame({
        "variant": ["original"] * 3 + ["reversed"] * 3 + ["without click 1"] * 2,
        "item": [7, 8, 9, 7, 8, 9, 8, 7], "rank": [1, 2, 3, 5, 1, 2, 1, 40],
        "score": [3.0, 2.0, 1.0, 0.5, 2.5, 2.2, 4.0, 0.1]})
    fig = prediction_figures.whatif_figure(rows)
    hm = fig.data[0]
    assert list(hm.x) == ["7", "8", "9"]
    assert list(hm.y) == ["original", "reversed", "without click 1"]
    z = np.array(hm.z, dtype=float)
    assert z[0].tolist() == [1, 2, 3] and z[1].tolist() == [5, 1, 2]
    assert z[2, 0] == 6 and np.isnan(z[2, 2])  # rank 40 clipped at 2K = 6 for colour
    assert hm.text[2][0] == "40"  # but the cell shows the true rank


def test_figures_are_json_serialisable():
    figs = [graph_figures.session_graph_figure(build_session_graph(SEQ)),
            evaluation_figures.rank_histogram_figure([1, 2]),
            training_figures.training_curves_figure({"a": _rows([1.0], [10])})]
    for fig in figs:
        json.loads(fig.to_json())


def test_epoch_loss_comes_from_the_eval_rows_train_loss():
    rows = [{"epoch": 1, "step": s, "kind": "train", "loss": 9.0} for s in (50, 100)]
    rows.append({"epoch": 1, "step": 120, "kind": "eval", "train_loss": 7.5, "hit@20": 10.0})
    fig = training_figures.training_curves_figure({"run": rows})
    loss = next(t for t in fig.data if t.meta == {"run": "run", "metric": "loss"})
    assert list(loss.x) == [1] and list(loss.y) == [7.5]
    assert not [t for t in fig.data if t.meta["metric"] == "eval_loss"]  # no test loss is logged


def test_training_curves_draw_baselines_as_reference_lines():
    from fgnn.viz.training_figures import training_curves_figure

    rows = [{"kind": "eval", "epoch": e, "step": e, "hit@20": 10.0 * e, "mrr@20": 2.0 * e, "ndcg@20": 3.0 * e}
            for e in (1, 2)]
    fig = training_curves_figure({"fgnn": rows}, k=20, references={"vsknn": {"hit@20": 42.0, "mrr@20": 11.0},
                                                                   "broken": ["not", "a", "dict"]})
    lines = [s for s in fig.layout.shapes if s.name == "reference vsknn"]
    assert sorted(s.y0 for s in lines) == [11.0, 42.0] and all(s.y0 == s.y1 for s in lines)
    assert {a.text for a in fig.layout.annotations} >= {"vsknn"}
    assert {t.meta["run"] for t in fig.data} == {"fgnn"}  # the baseline is no trace of points


def test_session_graph_fixed_colour_scale():
    """A fixed 0-1 scale option, so that two views compare by colour."""
    import torch

    from fgnn.data.graph import build_session_graph
    from fgnn.viz.graph_figures import session_graph_figure

    graph = build_session_graph(torch.tensor([5, 6, 5, 7]))
    att = [0.1, 0.3, 0.2]
    free = session_graph_figure(graph, node_attention=att)
    fixed = session_graph_figure(graph, node_attention=att, fixed_scale=True)
    node = lambda fig: next(t for t in fig.data if t.name == "items")
    assert (node(free).marker.cmin, node(free).marker.cmax) == (0.0, 0.3)
    assert (node(fixed).marker.cmin, node(fixed).marker.cmax) == (0.0, 1.0)
    assert max(node(fixed).marker.size) < max(node(free).marker.size)  # 0.3 is not the top of the scale
    signed = session_graph_figure(graph, node_attention=[-0.5, 0.2, 0.1], fixed_scale=True)
    assert (node(signed).marker.cmin, node(signed).marker.cmax) == (-0.5, 0.5)  # attributions keep theirs


def test_overlaps_fixed_in_figures():
    """No toolbar over the item map's title, no axis titles over the slice bars, log axes
    tick at powers of ten only ("1 10 100", not "10 2 5 100"), train and test in their own colours."""
    coords = np.array([[0.0, 0.0], [1.0, 1.0]])
    assert item_map.item_map_figure(coords, [5, 6], [3, 1]).layout.modebar.orientation == "v"
    table = pd.DataFrame({"group": ["1-2", "3-5"], "n": [10, 20], "hit": [30.0, 40.0], "mrr": [10.0, 12.0]})
    fig = evaluation_figures.metric_slices_figure(table)
    assert all(not (ax.title.text or "") for ax in (fig.layout.xaxis, fig.layout.xaxis2, fig.layout.yaxis,
                                                     fig.layout.yaxis2))
    assert fig.layout.legend.orientation == "h"
    assert dataset_figures.popularity_figure(np.array([50, 20, 5, 1])).layout.xaxis.dtick == 1
    from fgnn.viz.evaluation_figures import rank_comparison_figure
    comparison = pd.DataFrame({"pair": [0, 1, 2], "rank_A": [1, 30, 500], "rank_B": [2, 3, 40],
                               "outcome": ["both hit", "only B hits", "both miss"]})
    fig = rank_comparison_figure(comparison, k=20)
    assert fig.layout.xaxis.dtick == 1 and fig.layout.yaxis.dtick == 1
    stats = [{"step": "read", "part": "all", "clicks": 100, "sessions": 20, "items": 10},
             {"step": "split by date", "part": "train", "clicks": 80, "sessions": 15, "items": 9},
             {"step": "split by date", "part": "test", "clicks": 10, "sessions": 3, "items": 4}]
    fig = dataset_figures.protocol_steps_figure(stats)
    clicks = next(t for t in fig.data if t.name == "clicks")
    assert list(clicks.y) == ["read", "split by date (train)", "split by date (test)"]  # two bars, not one
    assert len(set(clicks.marker.color)) == 3
    assert {t.name for t in fig.data if t.showlegend} == {"all", "train", "test"}


# --------------------------------------------------------------------------- the split date as a day
def test_split_day(ds):
    day = dataset_figures.dataset_split_day(ds)
    assert pd.Timestamp(0) + pd.Timedelta(days=day) == pd.Timestamp(ds.split_date)
    assert int(ds.train_dates.max()) < day < int(ds.test_dates.min()) + 1
    # a split at a time of day (a log timed to the second) is written with its UTC offset
    ds_time = dataclasses.replace(ds, split_date="2015-06-13T23:17:19.267000+00:00")
    assert dataset_figures.dataset_split_day(ds_time) == (pd.Timestamp("2015-06-13") - pd.Timestamp(0)).days


@pytest.mark.parametrize("stamp", ["unix", "iso"])
def test_split_day_of_a_log_with_date_times(tmp_path, stamp):
    """A log timed in unix seconds or ISO date-times has a time-zone aware split
    date; its day number is counted in UTC instead of raising a TypeError."""
    from fgnn.app.uploads import load_source

    t0 = pd.Timestamp("2024-03-01T06:00:00Z")
    rng = np.random.default_rng(0)
    rows = []
    for s in range(50):
        for j in range(4):
            t = t0 + pd.Timedelta(days=s % 10, minutes=j)
            rows.append((s, int(rng.integers(1, 16)), int(t.timestamp()) if stamp == "unix" else t.isoformat()))
    path = tmp_path / f"log-{stamp}.csv"
    pd.DataFrame(rows, columns=["session", "item", "time"]).to_csv(path, index=False)
    ds = load_source(DatasetSpec(path))
    day = dataset_figures.dataset_split_day(ds)
    assert day == (pd.Timestamp(ds.split_date).tz_convert("UTC").normalize().tz_localize(None) - pd.Timestamp(0)).days
    assert pd.Timestamp("2024-03-01") <= pd.Timestamp(0) + pd.Timedelta(days=day) <= pd.Timestamp("2024-03-11")


# --------------------------------------------------------------------------- nothing overlaps
def test_protocol_step_names_are_horizontal_rows_that_fit():
    """The step names, rotated under three panels of columns, ran into each other."""
    stats = [{"step": "read", "part": "all", "clicks": 12391, "sessions": 2986, "items": 7139},
             {"step": "drop items < 5 clicks, then sessions < 2", "part": "all", "clicks": 1877,
              "sessions": 525, "items": 317},
             {"step": "re-index items by first appearance in train", "part": "train", "clicks": 1674,
              "sessions": 469, "items": 309},
             {"step": "drop unseen items, then sessions < 2", "part": "test", "clicks": 138, "sessions": 39,
              "items": 70}]
    fig = dataset_figures.protocol_steps_figure(stats)
    bars = [t for t in fig.data if t.name in ("clicks", "sessions", "items")]
    assert [t.orientation for t in bars] == ["h"] * 3
    steps = ["read", "drop items < 5 clicks, then sessions < 2",
             "re-index items by first appearance in train (train)", "drop unseen items, then sessions < 2 (test)"]
    assert all(list(t.y) == steps for t in bars)
    assert [t.x[0] for t in bars] == [12391, 2986, 7139]
    y = fig.layout.yaxis
    assert y.autorange == "reversed" and list(y.tickvals) == steps  # the first step on top
    lines = [label.split("<br>") for label in y.ticktext]
    assert all(0 < len(line) <= dataset_figures.STEP_LABEL_WIDTH for label in lines for line in label)
    assert [" ".join(label) for label in lines] == steps  # wrapped, nothing lost
    # the names are written once, left of the first panel; every row is tall enough for its name
    assert fig.layout.yaxis2.showticklabels is False and fig.layout.yaxis3.showticklabels is False
    plot_px = fig.layout.height - fig.layout.margin.t - fig.layout.margin.b
    assert plot_px / len(steps) >= 14 * max(len(label) for label in lines) + 10
    assert all(ax.tickangle is None for ax in (fig.layout.xaxis, fig.layout.xaxis2, fig.layout.xaxis3))
    # each count fits right of its bar, inside its own panel
    for t, ax in zip(bars, (fig.layout.xaxis, fig.layout.xaxis2, fig.layout.xaxis3), strict=True):
        assert t.textposition == "outside" and ax.range[1] >= 1.4 * max(t.x)


def test_slice_legend_sits_above_the_panels_not_over_the_tick_labels():
    """The legend under the slice bars covered "Q1 (1-2 clicks)"."""
    table = pd.DataFrame({"group": ["Q1 (1-2 clicks)", "Q2 (3 clicks)"] * 2, "n": [10, 20] * 2,
                          "hit": [30.0, 40.0, 35.0, 20.0], "mrr": [10.0, 12.0, 11.0, 9.0],
                          "model": ["fgnn", "fgnn", "vsknn", "vsknn"]})
    fig = evaluation_figures.metric_slices_figure(table, title="By prefix length")
    legend, margin = fig.layout.legend, fig.layout.margin
    plot_px = fig.layout.height - margin.t - margin.b
    assert legend.orientation == "h" and legend.yanchor == "bottom"
    above_px = (legend.y - 1) * plot_px
    assert above_px >= 20  # above the panel titles ("HR@20", "MRR@20") that sit on the plot's top edge
    assert margin.t - above_px >= 60  # and under the figure title, with room for a row of entries
    assert fig.layout.title.yanchor == "top" and fig.layout.title.text == "By prefix length"


def test_an_empty_step_loss_panel_says_why():
    """A one-epoch run of 5 batches logs no per-step loss (log_every 50): the panel says so."""
    from fgnn.viz.training_figures import training_curves_figure

    eval_only = [{"kind": "eval", "epoch": 1, "train_loss": 5.1, "hit@20": 12.0, "mrr@20": 4.0, "ndcg@20": 6.0}]
    fig = training_curves_figure({"tiny": eval_only}, k=20, log_every=50)
    notes = [a for a in fig.layout.annotations if a.name == "no step loss"]
    assert len(notes) == 1 and "every 50 batches" in notes[0].text
    assert (notes[0].xref, notes[0].yref) == ("x2 domain", "y2 domain")
    with_steps = eval_only + [{"kind": "train", "step": 1, "loss": 5.3}]
    assert not [a for a in training_curves_figure({"tiny": with_steps}).layout.annotations if a.name == "no step loss"]
    # the panel the note sits in is the step panel
    assert fig.layout.xaxis2.title.text == "step"
