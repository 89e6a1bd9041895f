"""The mechanisms report of docs/fgnn-study.md on the shipped sample checkpoints."""
from __future__ import annotations

import pytest
import torch

from fgnn.benchmarks import fgnn_mechanisms as mech
from fgnn.data.registry import load_dataset
from fgnn.models import FGNN, FGNNConfig
from fgnn.models.checkpoint import load_model

FGNN_CKPT, SRGNN_CKPT = "checkpoints/fgnn-sample/best.pt", "checkpoints/srgnn-sample/best.pt"


@pytest.fixture(scope="module")
def sample():
    ds = load_dataset("diginetica-sample")
    return ds, load_model(FGNN_CKPT, ds)[0], load_model(SRGNN_CKPT, ds)[0]


def test_same_graph_pair_and_the_last_click(sample):
    ds, fgnn, srgnn = sample
    first, second = mech.same_graph_pair(ds)
    assert first[0] == first[3] == second[2] and first[1:3] == second[:2] and second[3] == second[0]
    table = mech.same_graph_table({"fgnn": fgnn, "srgnn": srgnn}, ds).set_index("model")
    assert bool(table.loc["fgnn", "same scores"]) and not bool(table.loc["srgnn", "same scores"])


def test_wrong_last_click_moves_only_models_that_read_it(sample):
    ds, fgnn, srgnn = sample
    f = mech.last_click_dependence(fgnn, ds)
    s = mech.last_click_dependence(srgnn, ds)
    assert f["pairs"] == s["pairs"] == 99
    assert f["pairs whose top-20 changes (%)"] == 0.0 and f["HR@20"] == f["HR@20, first click as last"]
    assert s["pairs whose top-20 changes (%)"] > 0
    # the evaluation's own figure for the shipped FGNN (fgnn evaluate: 82.83 HR@20 on the sample)
    assert f["HR@20"] == pytest.approx(100 * 82 / 99)
    torch.manual_seed(0)
    with_last = FGNN(FGNNConfig(n_items=ds.n_items, hidden_size=8, last_click=True))
    assert mech.last_click_dependence(with_last, ds)["pairs whose top-20 changes (%)"] > 0


def test_readout_attention_on_the_last_click(sample):
    ds, fgnn, srgnn = sample
    assert mech.readout_on_last_click(srgnn, ds) is None  # SR-GNN's readout is not a Set2Set
    r = mech.readout_on_last_click(fgnn, ds)
    distinct = sum(len(set(ds.test.prefix(p))) >= 2 for p in range(len(ds.test)))
    assert r["prefixes"] == distinct == 39  # the test prefixes whose graph has 2+ nodes
    assert 0 < r["readout attention on the last click"] < 1 and 0 < r["uniform share (1 / nodes)"] <= 0.5
    assert 0 <= r["last click gets the most attention (%)"] <= 100
    assert 0 < r["last click is the graph's only sink (%)"] <= 100


def test_whatif_sensitivity_averages_the_builders_what_if(sample):
    ds, fgnn, _ = sample
    table = mech.whatif_sensitivity(fgnn, ds, max_sessions=4).set_index("change")
    assert set(table.index) == {"shuffled", "reversed", "without the last click", "without an earlier click"}
    assert table.loc["shuffled", "prefixes"] == 4 and table.loc["without the last click", "prefixes"] == 4
    assert ((table["top-20 kept (%)"] >= 0) & (table["top-20 kept (%)"] <= 100)).all()


def test_report_has_every_part():
    text = mech.mechanisms_report({"fgnn": FGNN_CKPT, "srgnn": SRGNN_CKPT}, max_sessions=3)
    for part in ("Same graph, different last click", "Told the wrong last click", "Where FGNN's readout looks",
                 "What-if order sensitivity",
                 "By session length", "By target popularity"):
        assert part in text
    assert "| 1 | 39 |" in text  # 39 test pairs have a one-click prefix
