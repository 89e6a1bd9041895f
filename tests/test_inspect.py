"""fgnn.inspect: the test-pair table, filters, slices and the comparison of two checkpoints,
checked against fgnn.evaluate / fgnn.metrics and against plain-Python recomputation."""
from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch

from fgnn.checkpoint import CheckpointError, load_model
from fgnn.data.dataset import DataError
from fgnn.data.spec import DatasetSpec
from fgnn.evaluate import rank_targets
from fgnn.inspect import (
    compare_tables,
    comparison_counts,
    dataset_split_day,
    evaluate_checkpoint,
    filter_pairs,
    load_checkpoint_dataset,
    log_tail,
    pair_table,
    rank_comparison_figure,
    run_table,
    sliced_metrics,
)
from fgnn.metrics import length_buckets, popularity_buckets, slice_metrics, summarize

REPO = Path(__file__).resolve().parent.parent
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
               for p, x in zip(both_miss.customdata, both_miss.x))


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


def test_split_day(ds):
    day = dataset_split_day(ds)
    assert pd.Timestamp(0) + pd.Timedelta(days=day) == pd.Timestamp(ds.split_date)
    assert int(ds.train_dates.max()) < day < int(ds.test_dates.min()) + 1
    # a split at a time of day (a log timed to the second) is written with its UTC offset
    ds_time = dataclasses.replace(ds, split_date="2015-06-13T23:17:19.267000+00:00")
    assert dataset_split_day(ds_time) == (pd.Timestamp("2015-06-13") - pd.Timestamp(0)).days


def test_run_table_puts_baselines_beside_models():
    runs = [{"name": "a", "path": "/r/a", "config": {"model": "fgnn", "epochs": 3, "dataset": "d"},
             "status": {"state": "finished", "epoch": 3}, "best": {"hit@20": 12.5, "mrr@20": 3.0}},
            {"name": "b", "path": "/r/b", "config": {"model": "sknn", "dataset": "d"},
             "status": {"state": "running"}, "best": {}},
            {"name": "c", "path": "/r/c", "config": {"model": "srgnn", "dataset": "d", "nproc": 2},
             "status": {"state": "finished", "world_size": 2, "device": "2 x cpu (1 threads), gloo"}, "best": {}}]
    t = run_table(runs, k=20)
    assert t["kind"].tolist() == ["model", "baseline", "model"]
    assert t["processes"].tolist() == [1, 1, 2] and t.loc[2, "device"] == "2 x cpu (1 threads), gloo"
    assert t.loc[0, "HR@20"] == 12.5 and np.isnan(t.loc[1, "HR@20"])
    assert run_table([], k=10).columns.tolist()[7] == "HR@10"


def test_log_tail(tmp_path):
    (tmp_path / "stdout.log").write_text("".join(f"line {i}\n" for i in range(100)) + "bar 1\rbar 2\rbar 3\n")
    tail = log_tail(tmp_path, lines=3)
    assert tail.splitlines() == ["line 98", "line 99", "bar 3"]
    assert log_tail(tmp_path / "none") == ""


@pytest.mark.parametrize("stamp", ["unix", "iso"])
def test_split_day_of_a_log_with_date_times(tmp_path, stamp):
    """Issue 14, bug 1: a log timed in unix seconds or ISO date-times has a time-zone aware split
    date; its day number is counted in UTC instead of raising a TypeError."""
    from fgnn.uploads import load_source

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
    day = dataset_split_day(ds)
    assert day == (pd.Timestamp(ds.split_date).tz_convert("UTC").normalize().tz_localize(None) - pd.Timestamp(0)).days
    assert pd.Timestamp("2024-03-01") <= pd.Timestamp(0) + pd.Timedelta(days=day) <= pd.Timestamp("2024-03-11")


def test_run_table_readable_times_blank_cells_and_config_difference():
    """Runs page (issue 14): start and duration readable, missing cells blank, two configs compared."""
    from fgnn.inspect import blank_missing, config_difference, readable_duration, readable_time, run_table

    runs = [{"name": "a", "path": "/x/a", "config": {"model": "fgnn", "dataset": "d", "epochs": 3},
             "status": {"state": "finished", "started": 1700000000.0, "finished": 1700000328.4, "epoch": 3},
             "best": {"hit@20": 50.123}},
            {"name": "b", "path": "/x/b", "config": {"model": "pop"}, "status": {"state": "failed"}, "best": {}}]
    table = run_table(runs, k=20)
    assert table.loc[0, "started"] == "2023-11-14 22:13" and table.loc[0, "duration"] == "5 min 28 s"
    shown = blank_missing(table)
    assert shown.loc[0, "HR@20"] == "50.12" and shown.loc[1, "HR@20"] == "" and shown.loc[1, "started"] == ""
    assert "None" not in shown.to_string() and "nan" not in shown.to_string()
    assert readable_duration(0, 3725) == "1 h 02 min" and readable_duration(10, 22) == "12 s"
    assert readable_duration(None, 5) == "" and readable_time("x") == "" and readable_time(None) == ""
    diff = config_difference({"model": "fgnn", "lr": 0.001, "model_params": {"heads": 8, "hidden_size": 100}},
                             {"model": "fgnn", "lr": 0.01, "model_params": {"heads": 8}, "seed": 1}, names=("a", "b"))
    assert diff.to_dict("records") == [
        {"setting": "lr", "a": "0.001", "b": "0.01"},
        {"setting": "model_params.hidden_size", "a": "100", "b": ""},
        {"setting": "seed", "a": "", "b": "1"}]
