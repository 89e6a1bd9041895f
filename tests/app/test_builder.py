"""fgnn.app.builder: what the session builder computes, checked against the model called directly."""
from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pytest
import torch

from fgnn.app import builder
from fgnn.data.graph import make_batch
from fgnn.errors import CannotExplain, DataError
from fgnn.evaluation import ranking
from fgnn.models import build_model
from fgnn.models.checkpoint import load_model

REPO = Path(__file__).resolve().parents[2]
FGNN_CKPT = REPO / "checkpoints" / "fgnn-sample" / "best.pt"
SRGNN_CKPT = REPO / "checkpoints" / "srgnn-sample" / "best.pt"


@pytest.fixture(scope="module")
def fgnn_model(ds):
    return load_model(FGNN_CKPT, ds)[0]


@pytest.fixture(scope="module")
def srgnn_model(ds):
    return load_model(SRGNN_CKPT, ds)[0]


@pytest.fixture(scope="module")
def session(ds):
    ids = ds.item_ids.tolist()
    return [ids[3], ids[10], ids[3], ids[42]]


def test_parse_item_ids():
    assert builder.parse_item_ids("12, 7 12;40 -> 3") == [12, 7, 12, 40, 3]
    assert builder.parse_item_ids("  ") == []
    with pytest.raises(DataError, match="'x7' is not an item id"):
        builder.parse_item_ids("1, x7")


def test_session_indices_errors(ds, session):
    assert ranking.session_indices(ds, session) == ds.to_indices(session)
    with pytest.raises(DataError, match="the session is empty"):
        ranking.session_indices(ds, [])
    with pytest.raises(DataError, match="999999999"):
        ranking.session_indices(ds, [session[0], 999999999])


def test_remove_and_move_click():
    assert builder.remove_click([1, 2, 3], 1) == [1, 3]
    assert builder.move_click([1, 2, 3], 0, 1) == [2, 1, 3]
    assert builder.move_click([1, 2, 3], 2, 5) == [1, 2, 3]
    assert builder.move_click([1, 2, 3], 1, -1) == [2, 1, 3]
    with pytest.raises(ValueError, match="no click at position 4"):
        builder.remove_click([1, 2, 3], 3)


@pytest.mark.parametrize("which", ["fgnn", "srgnn", "sknn"])
def test_predict_topk_equals_the_model(ds, fgnn_model, srgnn_model, session, which):
    model = {"fgnn": fgnn_model, "srgnn": srgnn_model}.get(which)
    if model is None:
        model = build_model(which, ds.n_items).fit(ds)
    top = ranking.predict_topk(model, ds, session, 10)
    with torch.no_grad():
        scores = model(make_batch([ds.to_indices(session)]))[0]
    val, idx = scores.topk(10)
    assert top["rank"].tolist() == list(range(1, 11))
    assert top["item"].tolist() == ds.item_ids[idx + 1].tolist()
    assert top["score"].to_numpy() == pytest.approx(val.double().numpy(), rel=1e-5, abs=1e-6)
    probs = torch.softmax(scores.double(), 0)[idx]
    assert top["probability"].to_numpy() == pytest.approx(probs.numpy(), rel=1e-4, abs=1e-7)


def test_explain_session_graph_and_attention(ds, fgnn_model, session):
    expl = builder.explain_session(fgnn_model, ds, session, 5)
    assert expl.topk["item"].tolist() == ranking.predict_topk(fgnn_model, ds, session, 5)["item"].tolist()
    choices = builder.attention_choices(expl)
    assert choices.steps == [0, 1, 2] and choices.layers == [0, 1] and choices.heads == {0: 8, 1: 1}
    graph, node_att, edge_att = builder.graph_view(expl, ds.item_ids, "mean", 0, "mean")
    assert graph.num_nodes == 3 and graph.num_edges == 3  # a->b, b->a, a->c
    assert graph.x.tolist() == [session[0], session[1], session[3]]
    assert graph.sequence.tolist() == session
    assert node_att.shape == (3,) and node_att.sum() == pytest.approx(1.0, abs=1e-5)
    # the per-receiver softmax still sums to one after averaging over heads
    assert edge_att.groupby("dst_node")["attention"].sum().to_numpy() == pytest.approx(1.0, abs=1e-5)
    assert set(edge_att["src"]) <= set(session)
    _g2, n2, e2 = builder.graph_view(expl, ds.item_ids, 1, None)
    assert e2 is None and n2.sum() == pytest.approx(1.0, abs=1e-5)


def test_graph_view_without_attention(ds, session):
    model = build_model("pop", ds.n_items).fit(ds)
    expl = builder.explain_session(model, ds, session, 5)
    assert builder.attention_choices(expl) == builder.AttentionChoices([], [], {})
    graph, node_att, edge_att = builder.graph_view(expl, ds.item_ids, "mean", 0, "mean")
    assert node_att is None and edge_att is None and graph.num_nodes == 3


def test_whatif_variants():
    v = builder.whatif_variants([1, 2, 3], seed=0)
    names = [n for n, _ in v]
    assert names[:3] == ["original", "shuffled (seed 0)", "reversed"]
    assert dict(v)["reversed"] == [3, 2, 1]
    assert sorted(dict(v)["shuffled (seed 0)"]) == [1, 2, 3]
    assert dict(v)["without click 2 (item 2)"] == [1, 3]
    assert len(v) == 6
    assert builder.whatif_variants([1, 2, 3], seed=0) == v  # fixed seed, same shuffle
    assert [n for n, _ in builder.whatif_variants([5])] == ["original", "shuffled (seed 0)", "reversed"]
    with pytest.raises(DataError, match="empty"):
        builder.whatif_variants([])


def test_whatif_ranks_match_single_sessions(ds, fgnn_model, session):
    rows = builder.whatif_ranks(fgnn_model, ds, session, 5, seed=3)
    orig = rows[rows.variant == "original"]
    assert orig["rank"].tolist() == [1, 2, 3, 4, 5]
    assert orig["item"].tolist() == ranking.predict_topk(fgnn_model, ds, session, 5)["item"].tolist()
    for name, seq in builder.whatif_variants(session, seed=3):
        scores = ranking.session_scores(fgnn_model, ds, [seq])[0]
        part = rows[rows.variant == name]
        assert part["sequence"].iloc[0] == " → ".join(map(str, seq))
        for item, rank, score in zip(part["item"], part["rank"], part["score"], strict=True):
            col = ds.to_indices([item])[0] - 1
            assert rank == 1 + int((scores > scores[col]).sum())
            assert score == pytest.approx(float(scores[col]), rel=1e-5, abs=1e-6)
    summary = builder.whatif_summary(rows, 5)
    assert summary["variant"].tolist() == list(pd.unique(rows["variant"]))
    first = summary.iloc[0]
    assert first["kept_in_top_k"] == 5 and first["mean_rank_shift"] == 0 and first["top1_rank"] == 1
    rev = rows[rows.variant == "reversed"].set_index("item")["rank"]
    assert summary.set_index("variant").loc["reversed", "kept_in_top_k"] == int((rev <= 5).sum())


def test_builder_and_evaluation_rank_alike_on_ties_and_nan(ds, fgnn_model):
    """The builder's ranks (target_rank, what-if) and the evaluation's (rank_targets) are one rule
    (fgnn.evaluation.metrics): on POP's tied counts, and with a NaN item score in a real FGNN."""
    import copy

    from fgnn.evaluation.evaluate import rank_targets

    def builder_ranks(model, pairs):
        out = []
        for p in range(len(pairs)):
            session = ds.to_original(pairs.prefix(p))
            target = int(ds.item_ids[int(pairs.targets[p])])
            out.append(ranking.target_rank(model, ds, session, target)["rank"])
        return out

    pairs = ds.test.subset(torch.arange(40))
    pop = build_model("pop", ds.n_items).fit(ds)
    ranks = rank_targets(pop, pairs).tolist()
    assert len(set(ranks)) < len(ranks)  # POP ties: many targets share a rank
    assert builder_ranks(pop, pairs) == ranks
    broken = copy.deepcopy(fgnn_model)
    clean = rank_targets(fgnn_model, pairs)
    clicked = {i for p in range(len(pairs)) for i in pairs.prefix(p)}
    targets = pairs.targets.tolist()
    nan_item = next(i for i in range(1, ds.n_items + 1) if i not in clicked and i not in targets)
    target_nan = next(i for i in targets if i not in clicked)  # no session embedding turns NaN
    with torch.no_grad():
        broken.embedding.weight[[nan_item - 1, target_nan - 1]] = float("nan")  # row i - 1 = item i
    ranks = rank_targets(broken, pairs)
    assert builder_ranks(broken, pairs) == ranks.tolist()
    hit_by_nan = pairs.targets == target_nan
    assert (ranks[hit_by_nan] == ds.n_items).all()  # a NaN target ranks last
    # another item's NaN counts as scored at least as high: each NaN item the clean model scored
    # below the target moves the target down one place
    with torch.no_grad():
        scores = fgnn_model.eval()(pairs.batch(torch.arange(len(pairs))))
    own = scores.gather(1, (pairs.targets - 1).view(-1, 1))
    overtaken = (scores[:, [nan_item - 1, target_nan - 1]] < own).sum(dim=1)
    others = ~hit_by_nan
    assert torch.equal(ranks[others], (clean + overtaken)[others])
    assert overtaken[others].max() == 2
    session = ds.to_original(pairs.prefix(1))
    rows = builder.whatif_ranks(broken, ds, session, 5)
    orig = rows[rows.variant == "original"]
    assert orig["rank"].tolist() == [ranking.target_rank(broken, ds, session, i)["rank"] for i in orig["item"]]


def test_topk_display_shapes_the_baseline_and_other_model_columns():
    """The builder's three top-K tables come from one function: the baseline's and the other
    checkpoint's are ``rank, item, score`` (the other's with the target mark), the target's row
    is coloured by highlight_target."""
    top = pd.DataFrame({"rank": [1, 2], "item": [10, 11], "score": [2.0, 1.0], "probability": [0.7, 0.3]})
    base = builder.topk_display(top, None, False, probability=False)
    assert list(base.columns) == ["rank", "item", "score"] and base["item"].tolist() == [10, 11]
    assert builder.highlight_target(base, None) is base
    target = {"item": 40, "rank": 9, "score": 0.25, "probability": 0.01}
    other = builder.topk_display(top, None, False, target, probability=False)
    assert list(other.columns) == ["rank", "item", "score", "target"]
    assert other.iloc[-1].tolist() == [9, 40, 0.25, "target: rank 9"] and len(other) == 3
    css = builder.highlight_target(other, target).to_html().split("</style>")[0]
    coloured = re.findall(r"_row(\d+)_col(\d+)", css.split(builder.TARGET_ROW_COLOR)[0])
    assert css.count(builder.TARGET_ROW_COLOR) == 1
    assert sorted(coloured) == [("2", str(c)) for c in range(4)]  # every cell of the target's row only
    inside = builder.topk_display(top, None, False, {**target, "item": 11, "rank": 2})
    assert inside["target"].tolist() == ["", "true next item"]


def test_item_catalogue_and_filter(ds):
    cat = builder.item_catalogue(ds)
    assert len(cat) == ds.n_items == 309
    assert list(cat.columns) == ["item", "category", "popularity"]
    assert cat["popularity"].is_monotonic_decreasing
    assert int(cat["popularity"].sum()) == int(ds.popularity.sum())
    assert set(cat["item"]) == set(ds.item_ids[1:].tolist())
    some = str(cat["item"].iloc[0])[:2]
    hits = builder.filter_catalogue(cat, some)
    assert len(hits) and all(some in str(i) for i in hits["item"])
    c = int(cat["category"].iloc[0])
    assert set(builder.filter_catalogue(cat, categories=[c])["category"]) == {c}
    assert (builder.filter_catalogue(cat, min_popularity=20)["popularity"] >= 20).all()
    assert builder.filter_catalogue(cat, "no-such").empty


def test_item_map_table(ds, fgnn_model):
    t = builder.item_map_table(fgnn_model, ds)
    assert list(t.columns) == ["item", "x", "y", "popularity", "category"]
    assert t["item"].tolist() == ds.item_ids[1:].tolist()
    assert t[["x", "y"]].notna().all().all() and t["x"].std() > 0
    again = builder.item_map_table(fgnn_model, ds)
    pd.testing.assert_frame_equal(t, again)
    with pytest.raises(CannotExplain, match="no item embeddings"):
        builder.item_map_table(build_model("pop", ds.n_items).fit(ds), ds)


def test_item_map_and_catalogue_with_names_from_an_items_file(ds, fgnn_model):
    import dataclasses

    codes = ds.item_ids % 2
    codes[0] = -1
    codes[5] = -1
    named = dataclasses.replace(ds, categories=codes, category_names=["even", "odd"],
                                item_names=[""] + [f"thing {i}" for i in ds.item_ids[1:].tolist()])
    t = builder.item_map_table(fgnn_model, named)
    expected = [None if k == 4 else ("odd" if i % 2 else "even") for k, i in enumerate(ds.item_ids[1:].tolist())]
    assert [None if pd.isna(c) else c for c in t["category"]] == expected
    cat = builder.item_catalogue(named)
    assert list(cat.columns) == ["item", "name", "category", "popularity"]
    some = int(ds.item_ids[7])
    assert builder.filter_catalogue(cat, f"THING {some}")["item"].tolist() == [some]


def test_random_test_session(ds):
    a = builder.random_test_session(ds, seed=7)
    assert a == builder.random_test_session(ds, seed=7)
    full = ds.to_original(ds.test.session(a.index))
    assert a.items + [a.next_item] == full
    assert len(a.items) >= 1
    ds.to_indices(a.items)  # every item is in the vocabulary


def test_target_rank_anywhere_and_the_topk_display(ds):
    """The true next item's rank is known even outside the top-K; the table marks it."""
    from fgnn.app.builder import item_catalogue, topk_display
    from fgnn.evaluation.ranking import predict_topk, session_scores, target_rank

    model = load_model(FGNN_CKPT, ds)[0]
    items = [int(i) for i in ds.to_original(ds.test.session(0))[:-1]]
    scores = session_scores(model, ds, [items])[0]
    order = scores.argsort(descending=True)
    far = int(ds.item_ids[int(order[150]) + 1])  # the 151st item by score
    t = target_rank(model, ds, items, far)
    assert t["rank"] == int((scores >= scores[int(order[150])]).sum()) and t["rank"] > 20
    assert abs(t["score"] - float(scores[int(order[150])])) < 1e-6 and 0 < t["probability"] < 1
    top = predict_topk(model, ds, items, 20)
    cat = item_catalogue(ds)
    shown = topk_display(top, cat, True, t)
    assert len(shown) == 21 and shown.iloc[-1]["item"] == far and shown.iloc[-1]["target"] == f"target: rank {t['rank']}"
    assert list(shown.columns) == ["rank", "item", "category", "score", "probability", "target"]
    inside = target_rank(model, ds, items, int(top.iloc[2]["item"]))
    assert inside["rank"] == 3
    shown = topk_display(top, cat, True, inside)
    assert len(shown) == 20 and shown.iloc[2]["target"] == "true next item" and (shown["target"] != "").sum() == 1
    # unknown categories are blank, a dataset without categories has no column
    cat.loc[cat["item"] == top.iloc[0]["item"], "category"] = -1
    assert pd.isna(topk_display(top, cat, True).iloc[0]["category"])
    assert "category" not in topk_display(top, None, False).columns


def test_comparison_checkpoints_same_dataset_other_network_first(tmp_path):
    from fgnn.app.builder import comparison_checkpoints

    def run(name, model, dataset, hit):
        d = tmp_path / name
        d.mkdir()  # a checkpoint as far as the comparison reads it: the fingerprint of its data
        torch.save({"format": "fgnn-studio-checkpoint", "dataset": {"name": dataset, "fingerprint": f"fp-{dataset}"}},
                   d / "best.pt")
        return {"path": str(d), "config": {"model": model, "dataset": dataset}, "best": {"hit@20": hit}}

    runs = [run("f1", "fgnn", "sample", 50), run("f2", "fgnn", "sample", 60), run("s1", "srgnn", "sample", 40),
            run("s2", "srgnn", "sample", 45), run("s-full", "srgnn", "full", 90), run("v", "vsknn", "sample", 70)]
    got = [p.parent.name for p in comparison_checkpoints(tmp_path / "f1" / "best.pt", "fgnn", None, runs)]
    assert got == ["s2", "s1", "f2"]  # other network best first, never another dataset, no baseline
    got = [p.parent.name for p in comparison_checkpoints(tmp_path / "f1" / "best.pt", "fgnn", None, runs,
                                                         neural_only=False)]
    assert got == ["s2", "s1", "v", "f2"]


def test_blank_unknown_category():
    table = pd.DataFrame({"item": [1, 2, 3], "category": [4, -1, 0]})
    shown = builder.blank_unknown_category(table)
    assert shown["category"].tolist()[0] == 4 and pd.isna(shown["category"].tolist()[1]) and shown["category"].tolist()[2] == 0
    assert table["category"].tolist() == [4, -1, 0]  # a copy
    assert builder.blank_unknown_category(table[["item"]]).columns.tolist() == ["item"]


@pytest.mark.parametrize("value, expected", [
    ({"op": "left", "pos": 1, "item": 20}, [20, 10, 30]),
    ({"op": "right", "pos": 1, "item": 20}, [10, 30, 20]),
    ({"op": "remove", "pos": 2, "item": 30}, [10, 20]),
    ({"op": "remove", "pos": 0, "item": 10}, [20, 30]),
])
def test_strip_edit_applies_a_valid_edit(value, expected):
    assert builder.strip_edit([10, 20, 30], value) == expected


@pytest.mark.parametrize("value", [
    None, "remove", 3, [1, 2], {},
    {"op": "drop", "pos": 0, "item": 10},          # unknown edit
    {"op": "remove", "pos": "0", "item": 10},      # not plain integers
    {"op": "remove", "pos": True, "item": 10},
    {"op": "remove", "pos": 0, "item": 10.0},
    {"op": "remove", "pos": 3, "item": 10},        # outside the session
    {"op": "remove", "pos": -1, "item": 30},
    {"op": "remove", "pos": 1, "item": 10},        # stale: the click at 1 is 20 now
    {"op": "left", "pos": 0, "item": 10},          # past an end
    {"op": "right", "pos": 2, "item": 30},
    {"op": ["remove"], "pos": 0, "item": 10},
])
def test_strip_edit_refuses_anything_else(value):
    assert builder.strip_edit([10, 20, 30], value) is None
