"""fgnn.evaluation.pair_ranks: the test-pair table, filters, slices and the comparison of two checkpoints,
checked against fgnn.evaluation.evaluate / fgnn.evaluation.metrics and against plain-Python recomputation."""
from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
import torch

from fgnn.data.spec import DatasetSpec
from fgnn.errors import CheckpointError, DataError
from fgnn.evaluation.evaluate import rank_targets
from fgnn.evaluation.metrics import length_buckets, popularity_buckets, slice_metrics, summarize
from fgnn.evaluation.pair_ranks import (
    compare_tables,
    comparison_counts,
    evaluate_checkpoint,
    filter_pairs,
    load_checkpoint_dataset,
    pair_table,
    sliced_metrics,
)
from fgnn.models.checkpoint import load_model
from fgnn.viz.evaluation_figures import rank_comparison_figure

REPO = Path(__file__).resolve().parents[2]
FGNN_CKPT = REPO / "checkpoints" / "fgnn-sample" / "best.pt"
SRGNN_CKPT = REPO / "checkpoints" / "srgnn-sample" / "best.pt"


@pytest.fixture(scope="module")
def fgnn_table(ds):
    table, _ckpt, _ = evaluate_checkpoint(FGNN_CKPT, ds, k=20)
    return table


@pytest.fixture(scope="module")
def srgnn_table(ds):
    return evaluate_checkpoint(SRGNN_CKPT, ds, k=20)[0]


def test_table_ranks_equal_evaluate_and_metrics(ds, fgnn_table):
    model, _ = load_model(FGNN_CKPT, ds)
    ranks = rank_targets(model, ds.test)
    assert fgnn_table["rank"].tolist() == ranks.tolist()
    assert len(fgnn_table) == len(ds.test) == 99
    assert fgnn_table["hit"].tolist() == (ranks <= 20).tolist()
    # HR@20 of the table = summarize = the run's recorded best metrics
    hr = 100 * fgnn_table["hit"].mean()
    assert hr == pytest.approx(summarize(ranks, [20])["hit@20"])
    _, ckpt = load_model(FGNN_CKPT)
    assert hr == pytest.approx(ckpt["metrics"]["hit@20"])


def test_table_rows_are_the_test_pairs_in_original_ids(ds, fgnn_table):
    ids = ds.item_ids
    for p in (0, 1, 50, len(ds.test) - 1):
        row = fgnn_table.iloc[p]
        assert row["pair"] == p
        assert row["prefix"] == ids[torch.tensor(ds.test.prefix(p))].tolist()
        assert row["length"] == len(row["prefix"])
        assert row["target"] == int(ids[ds.test.targets[p]])
        assert row["target_popularity"] == int(ds.popularity[ds.test.targets[p]])
        assert row["target_category"] == int(ds.categories[ds.test.targets[p]])


def test_rank_counts_items_scored_at_least_as_high(ds):
    """Recompute a few ranks from the raw scores, one pair at a time (ties count against the target)."""
    model, _ = load_model(FGNN_CKPT, ds)
    table = pair_table(model, ds, k=20)
    for p in (0, 7, 42):
        batch = ds.test.batch(torch.tensor([p]))
        with torch.no_grad():
            scores = model(batch)[0]
        target_score = scores[ds.test.targets[p] - 1]
        assert table.iloc[p]["rank"] == int((scores >= target_score).sum())


def test_given_ranks_are_used_and_checked(ds):
    ranks = torch.arange(1, len(ds.test) + 1)
    table = pair_table(None, ds, k=5, ranks=ranks)
    assert table["rank"].tolist() == ranks.tolist()
    assert table["hit"].sum() == 5
    with pytest.raises(ValueError, match="ranks for"):
        pair_table(None, ds, ranks=ranks[:3])


def test_filters(fgnn_table):
    t = fgnn_table
    hits, misses = filter_pairs(t, "hit"), filter_pairs(t, "miss")
    assert len(hits) + len(misses) == len(t) and hits["hit"].all() and not misses["hit"].any()
    short = filter_pairs(t, "all", length=(2, 3))
    assert short["length"].between(2, 3).all() and len(short) == int(t["length"].between(2, 3).sum())
    rare = filter_pairs(t, "miss", popularity=(0, 3))
    assert (rare["target_popularity"] <= 3).all() and not rare["hit"].any()
    cat = int(t["target_category"].iloc[0])
    one = filter_pairs(t, categories=[cat])
    assert (one["target_category"] == cat).all() and len(one) >= 1
    assert len(filter_pairs(t)) == len(t)
    with pytest.raises(ValueError):
        filter_pairs(t, "maybe")


def test_sliced_metrics_match_fgnn_metrics(fgnn_table):
    t = fgnn_table
    slices = sliced_metrics(t, k=20, model="fgnn")
    ranks = torch.tensor(t["rank"].to_numpy())
    g, labels = length_buckets(torch.tensor(t["length"].to_numpy()))
    expected = pd.DataFrame(slice_metrics(ranks, g, labels, k=20))
    pd.testing.assert_frame_equal(slices["session length"].drop(columns="model"), expected)
    g, labels = popularity_buckets(torch.tensor(t["target_popularity"].to_numpy()))
    expected = pd.DataFrame(slice_metrics(ranks, g, labels, k=20))
    pd.testing.assert_frame_equal(slices["target popularity"].drop(columns="model"), expected)
    assert slices["session length"]["n"].sum() == len(t)
    assert (slices["session length"]["model"] == "fgnn").all()
    # a hand-computed slice: prefixes of length 1
    one = t[t["length"] == 1]
    row = slices["session length"].set_index("group").loc["1"]
    assert row["n"] == len(one)
    assert row["hit"] == pytest.approx(100 * (one["rank"] <= 20).mean())


def test_compare_two_checkpoints(fgnn_table, srgnn_table):
    cmp = compare_tables(fgnn_table, srgnn_table, k=20, names=("fgnn", "srgnn"))
    assert len(cmp) == len(fgnn_table)
    a, b = fgnn_table["rank"].to_numpy() <= 20, srgnn_table["rank"].to_numpy() <= 20
    only_a = cmp[cmp["outcome"] == "only fgnn hits"]
    assert len(only_a) == int((a & ~b).sum())
    assert (only_a["rank_fgnn"] <= 20).all() and (only_a["rank_srgnn"] > 20).all()
    counts = comparison_counts(cmp).set_index("outcome")["pairs"]
    assert counts.to_dict() == {"both hit": int((a & b).sum()), "only fgnn hits": int((a & ~b).sum()),
                                "only srgnn hits": int((~a & b).sum()), "both miss": int((~a & ~b).sum())}
    assert counts.sum() == len(cmp)
    fig = rank_comparison_figure(cmp, k=20)
    assert sum(len(tr.x) for tr in fig.data) == len(cmp)
    assert {tr.meta["outcome"] for tr in fig.data} == set(counts.index)
    by_trace = {tr.meta["outcome"]: len(tr.x) for tr in fig.data}
    assert by_trace == counts.to_dict()
    # a full-size test set: each outcome drawn as at most max_points pairs, its count kept
    few = rank_comparison_figure(cmp, k=20, max_points=5)
    assert {tr.meta["outcome"]: len(tr.x) for tr in few.data} == {o: min(5, n) for o, n in counts.items()}
    assert {tr.meta["outcome"]: tr.meta["pairs"] for tr in few.data} == counts.to_dict()
    both_miss = next(tr for tr in few.data if tr.meta["outcome"] == "both miss")
    pos = cmp.set_index("pair")
    assert all(pos.at[int(p), "outcome"] == "both miss" and pos.at[int(p), "rank_fgnn"] == x
               for p, x in zip(both_miss.customdata, both_miss.x, strict=True))


def test_compare_refuses_different_pairs(fgnn_table):
    with pytest.raises(DataError, match="same test pairs"):
        compare_tables(fgnn_table, fgnn_table.iloc[:10])


def test_checkpoint_dataset_and_errors(tmp_path):
    """(The spec of a checkpoint's dataset is tested in tests/data/test_spec.py.)"""
    _, ckpt = load_model(FGNN_CKPT)
    assert DatasetSpec.of_checkpoint(ckpt) == DatasetSpec("diginetica-sample")
    assert load_checkpoint_dataset(FGNN_CKPT).fingerprint == ckpt["dataset"]["fingerprint"]
    bad = tmp_path / "bad.pt"
    bad.write_bytes(b"not a checkpoint")
    with pytest.raises(CheckpointError, match="cannot be read"):
        evaluate_checkpoint(bad)
