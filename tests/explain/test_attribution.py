"""fgnn.explain.attribution: attributions of one item's score (attention, integrated gradients through
PyG's CaptumExplainer, GNNExplainer, exact baseline contributions) and their deletion curves,
checked against the models called directly."""
from __future__ import annotations

import copy
import json
from pathlib import Path

import numpy as np
import pytest
import torch
from torch_geometric.explain.algorithm.utils import clear_masks, set_masks

from fgnn.cli import main
from fgnn.data.graph import make_batch
from fgnn.errors import DataError
from fgnn.explain import attribution as A
from fgnn.models import build_model
from fgnn.models.checkpoint import load_model

REPO = Path(__file__).resolve().parents[2]
CKPT = {name: REPO / "checkpoints" / f"{name}-sample" / "best.pt" for name in ("fgnn", "srgnn")}


@pytest.fixture(scope="module")
def models(ds):
    return {name: load_model(path, ds)[0] for name, path in CKPT.items()}


@pytest.fixture(scope="module")
def vsknn(ds):
    return build_model("vsknn", ds.n_items).fit(ds)


SESSION = [5, 17, 5, 30, 2, 8, 17, 44, 9, 12]  # item indices: 8 nodes, a repeated item


def _score(model, session, item, x=None, edge_mask=None):
    """Raw score of ``item`` (index) run from node embeddings ``x`` with an optional edge mask."""
    batch = make_batch([session])
    wrapped = A.EmbeddedSessionModel(model, batch)
    x = A.node_embeddings(model, batch) if x is None else x
    with torch.no_grad():
        if edge_mask is not None:
            set_masks(wrapped, edge_mask, batch.edge_index, apply_sigmoid=False)
        try:
            return float(wrapped(x, batch.edge_index)[0, item - 1])
        finally:
            clear_masks(wrapped)


@torch.no_grad()
def _by_hand(model, session, order, item):
    """Score and rank of ``item`` after removing the items of ``order`` one at a time, each
    session built by hand and scored alone."""
    out, current = [], list(session)
    for k in range(len(order)):
        scores = model(make_batch([current]))[0]
        out.append((float(scores[item - 1]), int((scores >= scores[item - 1]).sum())))
        current = [c for c in current if c != order[k]]
    return out


@pytest.mark.parametrize("name", ["fgnn", "srgnn"])
def test_integrated_gradients_completeness(models, name):
    """Node numbers add up to score(session) - score(zero embeddings), edge numbers to
    score - score(all edge messages off), within 1 % with enough steps."""
    model = models[name]
    batch = make_batch([SESSION])
    checked = 0
    for item in range(1, 60):
        full = _score(model, SESSION, item)
        zero = _score(model, SESSION, item, x=torch.zeros(batch.num_nodes, model.config.hidden_size))
        no_edges = _score(model, SESSION, item, edge_mask=torch.zeros(batch.edge_index.size(1)))
        if abs(full - zero) < 0.5 or abs(full - no_edges) < 0.5:
            continue  # a tiny difference makes a relative error meaningless
        node, edge = A.integrated_gradients(model, batch, item, steps=128)
        assert node.shape == (batch.num_nodes,) and edge.shape == (batch.edge_index.size(1),)
        assert abs(node.sum() - (full - zero)) <= 0.01 * abs(full - zero)
        assert abs(edge.sum() - (full - no_edges)) <= 0.01 * abs(full - no_edges)
        checked += 1
        if checked == 2:
            break
    assert checked == 2


@pytest.mark.parametrize("name,method", [("fgnn", "attention"), ("fgnn", "ig"), ("srgnn", "gnnexplainer"),
                                         ("srgnn", "random"), ("vsknn", "exact")])
def test_deletion_curve_equals_removing_clicks_by_hand(models, vsknn, ds, name, method):
    model = vsknn if name == "vsknn" else models[name]
    item = 7
    attr = A.explain_item(model, SESSION, item, ds.item_ids, method)
    nodes = attr.nodes
    assert list(nodes["item"]) == ds.to_original(list(dict.fromkeys(SESSION)))
    index_of = ds.index_of()
    order = [index_of[int(nodes["item"][n])] for n in A.deletion_order(nodes["attribution"])]
    expected = _by_hand(model, SESSION, order, item)
    curve = attr.deletion
    assert len(curve) == len(order) == 8
    assert list(curve["removed"]) == [None] + ds.to_original(order[:-1])
    np.testing.assert_allclose(curve["score"], [s for s, _ in expected], rtol=1e-5, atol=1e-5)
    assert list(curve["rank"]) == [r for _, r in expected]
    assert attr.score == pytest.approx(expected[0][0], rel=1e-5) and attr.rank == expected[0][1]
    share = curve["share"].to_numpy()
    assert ((share >= 0) & (share <= 1)).all()
    assert 0 <= attr.auc <= 1 and attr.auc == pytest.approx(A.deletion_auc(curve))


def test_deletion_order_and_auc():
    assert A.deletion_order([0.1, np.nan, 0.5, 0.5, -2.0]) == [2, 3, 0, 4, 1]
    import pandas as pd

    curve = pd.DataFrame({"share": [1.0, 0.5, 0.0]})
    assert A.deletion_auc(curve) == pytest.approx((0.75 + 0.25) / 2)
    assert np.isnan(A.deletion_auc(pd.DataFrame({"share": [1.0]})))
    scores = torch.tensor([[2.0, 0.0, 1.0], [0.0, 0.0, 0.0]])
    np.testing.assert_allclose(A.item_share(scores, 0, probability=False), [2 / 3, 0.0])
    np.testing.assert_allclose(A.item_share(scores, 0, probability=True), torch.softmax(scores.double(), 1)[:, 0])


def test_one_click_model_is_explained_by_that_click(models):
    """An SR-GNN state whose score provably depends on the last click only: no messages (the
    gated layer's message weights and biases are 0, so each node's state is GRU(0, its own
    embedding)) and a readout that keeps only the last node (W_3 zero on the attention part)."""
    model = copy.deepcopy(models["srgnn"])
    d = model.config.hidden_size
    with torch.no_grad():
        conv = model.gnn
        for p in (conv.lin_in.weight, conv.lin_in.bias, conv.lin_out.weight, conv.lin_out.bias,
                  conv.b_in, conv.b_out):
            p.zero_()
        model.readout.W_3.weight[:, d:] = 0.0
    session = [11, 23, 11, 40, 7, 23]  # last click: item 23, also clicked second
    item = int(model(make_batch([session]))[0].argmax()) + 1
    base = _score(model, session, item)
    # the dependence is real: changing any other click changes nothing ...
    for pos in (0, 2, 3, 4):
        other = list(session)
        other[pos] = 99
        assert _score(model, other, item) == pytest.approx(base, abs=1e-5)
    # ... and changing the last click does
    assert abs(_score(model, session[:-1] + [99], item) - base) > 1e-3
    attr = A.explain_item(model, session, item, torch.arange(model.n_items + 1), "ig")
    values = dict(zip(attr.nodes["item"], attr.nodes["attribution"], strict=True))
    assert A.deletion_order(attr.nodes["attribution"])[0] == list(attr.nodes["item"]).index(23)
    assert all(abs(v) < 1e-6 for it, v in values.items() if it != 23)
    assert abs(values[23]) > 1e-3
    assert attr.deletion["removed"][1] == 23


@pytest.mark.parametrize("name", ["vsknn", "sknn", "markov"])
def test_exact_contributions_add_up_to_the_score(ds, name):
    model = build_model(name, ds.n_items).fit(ds)
    batch = make_batch([SESSION])
    scores = model(batch)[0].double()
    checked = 0
    for item in scores.topk(5).indices.tolist():
        parts = A.exact_contributions(model, batch, item + 1)
        total = float(scores[item])
        if name == "markov":
            total -= float(model._popularity_tiebreak()[item])  # popularity tie-break: no click's
            assert np.count_nonzero(parts) <= 1 and parts[int(batch.last_node[0])] == pytest.approx(total)
        assert parts.sum() == pytest.approx(total, rel=1e-5, abs=1e-6)
        checked += total > 0
    assert checked


def test_methods_and_errors(models, vsknn, ds):
    assert A.methods_for(models["fgnn"]) == ["attention", "ig", "gnnexplainer", "random"]
    assert A.methods_for(vsknn) == ["exact", "random"]
    pop = build_model("pop", ds.n_items).fit(ds)
    assert A.methods_for(pop) == ["random"]
    with pytest.raises(A.CannotExplain, match="not explainable"):
        A.explain_item(pop, SESSION, 3, ds.item_ids, "exact")
    with pytest.raises(A.CannotExplain, match="cannot be explained by 'ig'"):
        A.explain_item(vsknn, SESSION, 3, ds.item_ids, "ig")
    with pytest.raises(ValueError, match="outside the vocabulary"):
        A.explain_item(models["fgnn"], SESSION, 10_000, ds.item_ids, "ig")


def test_gnnexplainer_masks_are_seeded_and_in_unit_range(models):
    batch = make_batch([SESSION])
    a = A.gnnexplainer_masks(models["fgnn"], batch, 7, epochs=10, seed=3)
    b = A.gnnexplainer_masks(models["fgnn"], batch, 7, epochs=10, seed=3)
    for x, y in zip(a, b, strict=True):
        np.testing.assert_array_equal(x, y)
        assert ((x >= 0) & (x <= 1)).all()
    # a captum edge explanation after GNNExplainer still sees its mask (no stale parameter slot)
    _node, edge = A.integrated_gradients(models["fgnn"], batch, 7, steps=4)
    assert np.isfinite(edge).all() and np.abs(edge).sum() > 0


def _explain_cli(capsys, *args):
    code = main(["explain", *args])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_cli_json_schema(capsys, ds):
    ids = ds.to_original([5, 17, 5, 30])
    item = ds.to_original([17])[0]
    code, out, _ = _explain_cli(capsys, "--checkpoint", str(CKPT["fgnn"]), "--session", *map(str, ids),
                                "--item", str(item), "--method", "ig", "--json")
    assert code == 0
    obj = json.loads(out)
    assert {"item", "method", "nodes", "edges", "deletion"} <= set(obj)
    assert obj["item"] == item and obj["method"] == "ig"
    assert [n["item"] for n in obj["nodes"]] == list(dict.fromkeys(ids))
    assert all(set(n) >= {"item", "attribution"} and isinstance(n["attribution"], float) for n in obj["nodes"])
    assert [(e["src"], e["dst"]) for e in obj["edges"]] == [(ids[0], ids[1]), (ids[1], ids[0]), (ids[0], ids[3])]
    assert all(isinstance(e["attribution"], float) for e in obj["edges"])
    assert next(d["removed"] for d in obj["deletion"]) is None
    assert {d["removed"] for d in obj["deletion"][1:]} <= set(ids)
    assert all(set(d) == {"removed", "score", "rank"} and d["rank"] >= 1 for d in obj["deletion"])
    assert len(obj["deletion"]) == 3

    code, out, _ = _explain_cli(capsys, "--checkpoint", str(CKPT["srgnn"]), "--session", *map(str, ids),
                                "--item", str(item), "--json")
    objs = json.loads(out)
    assert code == 0 and [o["method"] for o in objs] == ["attention", "ig", "gnnexplainer", "random"]
    assert all(o["item"] == item and o["deletion"][0]["score"] == objs[0]["deletion"][0]["score"] for o in objs)
    assert all(e["attribution"] is None for e in objs[0]["edges"])  # SR-GNN has no edge attention


def test_cli_errors(capsys, ds):
    code, _, err = _explain_cli(capsys, "--checkpoint", str(CKPT["fgnn"]), "--session", "1", "--item", "5")
    assert code == 2 and "not in the vocabulary" in err and "Traceback" not in err
    code, _, err = _explain_cli(capsys, "--checkpoint", str(CKPT["fgnn"]), "--session",
                                str(ds.item_ids[3].item()), "--item", str(ds.item_ids[4].item()),
                                "--method", "exact")
    assert code == 2 and "methods for it: attention, ig, gnnexplainer, random" in err
    code, _, err = _explain_cli(capsys, "--checkpoint", "nope.pt", "--session", "1", "--item", "5")
    assert code == 2 and "does not exist" in err


def test_cli_lets_a_bug_be_a_bug(capsys, ds, monkeypatch):
    """Only the errors a user can cause (DataError, CannotExplain) become a one-line message; a
    ValueError from inside an explanation method is a bug and is raised, not exit code 2."""
    def broken(*args, **kw):
        raise ValueError("a bug inside an explanation method")

    monkeypatch.setattr("fgnn.commands.explain.explain_ids", broken)
    with pytest.raises(ValueError, match="a bug inside"):
        _explain_cli(capsys, "--checkpoint", str(CKPT["fgnn"]), "--session", str(ds.item_ids[3].item()),
                     "--item", str(ds.item_ids[4].item()))
    assert issubclass(A.CannotExplain, DataError)  # the app's pages catch it as the user error it is


def test_faithfulness_table_and_summary(models, ds):
    pairs = A.sample_pairs(ds.test, 3, seed=0)
    assert len(pairs) == 3 and all(len(set(ds.test.prefix(p))) >= 2 for p in pairs)
    seen = []
    table = A.faithfulness_table(models["srgnn"], ds.test, ds.item_ids, pairs,
                                 progress=lambda done, total: seen.append((done, total)), epochs=5, ig_steps=4)
    assert seen == [(1, 3), (2, 3), (3, 3)]
    assert len(table) == 12 and set(table["method"]) == {"attention", "ig", "gnnexplainer", "random"}
    p = pairs[0]
    top1 = int(models["srgnn"](make_batch([ds.test.prefix(p)]))[0].argmax()) + 1
    expected = A.explain_item(models["srgnn"], ds.test.prefix(p), top1, ds.item_ids, "ig", ig_steps=4).auc
    got = table[(table["pair"] == p) & (table["method"] == "ig")]["auc"].iloc[0]
    assert got == pytest.approx(expected)
    summary = A.faithfulness_summary(table)
    assert list(summary["method"]) == ["attention", "ig", "gnnexplainer", "random"]
    ig = table[table["method"] == "ig"]
    assert summary.set_index("method").loc["ig", "auc"] == pytest.approx(ig["auc"].mean())
    assert np.isnan(summary.set_index("method").loc["random", "beats_random"])
    row = summary.set_index("method").loc["ig"]
    assert 0 <= row["beats_random"] + row["ties_random"] <= 1


def test_faithfulness_verdict():
    import pandas as pd

    rows = [(p, "attention", 0.2 + 0.01 * (p % 3)) for p in range(10)] + [(p, "random", 0.5) for p in range(10)]
    table = pd.DataFrame(rows, columns=["pair", "method", "auc"])
    assert "attention is more faithful than a random order" in A.faithfulness_verdict(table)
    assert "-0.291 ± 0.003" in A.faithfulness_verdict(table)  # mean of 0.2 + 0.01 * (p % 3) is 0.209
    flipped = table.assign(auc=np.where(table["method"] == "random", 0.1, table["auc"]))
    assert "less faithful than" in A.faithfulness_verdict(flipped)
    noisy = table.copy()
    noisy.loc[noisy["method"] == "random", "auc"] = [0.21 + (0.3 if p % 2 else -0.3) for p in range(10)]
    assert "not distinguishable from" in A.faithfulness_verdict(noisy)
    assert A.faithfulness_verdict(table.head(1)).startswith("Too few pairs")


def test_click_table(models, ds):
    result = {m: A.explain_item(models["srgnn"], SESSION, 7, ds.item_ids, m, ig_steps=4, epochs=3)
              for m in ("attention", "ig", "random")}
    table = A.click_table(result)
    assert list(table.columns) == ["item", "clicks", "attention", "ig", "random"]
    assert list(table["item"]) == ds.to_original(list(dict.fromkeys(SESSION)))
    assert table["clicks"][0] == "1, 3" and table["clicks"][1] == "2, 7"
    for m, a in result.items():
        np.testing.assert_array_equal(table[m].to_numpy(), a.nodes["attribution"].to_numpy())
