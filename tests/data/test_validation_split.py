"""The validation split (docs/fgnn-study.md): the latest training sessions, never test ones, off by default."""
from __future__ import annotations

import json

import pytest
import torch

from fgnn.data.registry import load_dataset
from fgnn.errors import DataError

from .conftest import shared_folder


def session_set(pairs) -> set:
    return {tuple(s) for s in pairs.sessions()}


def test_default_off_leaves_the_paper_protocol_unchanged():
    ds = load_dataset("diginetica-sample")
    assert ds.valid is None and ds.valid_dates is None
    assert (ds.n_items, len(ds.train), len(ds.test)) == (309, 1205, 99)
    assert "valid_days" not in ds.settings and "valid_fraction" not in ds.settings
    assert "valid_pairs" not in ds.summary()


def test_valid_days_takes_the_last_days_of_the_training_period():
    base = load_dataset("diginetica-sample")
    ds = load_dataset("diginetica-sample", valid_days=7)
    split_day = int(base.test_dates.min())  # first test day follows the split date (2016-05-25)
    assert ds.split_date == base.split_date == "2016-05-25"
    # 19 sessions (68 pairs) dated 2016-05-19..24 become validation; items and test pairs are unchanged
    assert (ds.valid.num_sessions, len(ds.valid)) == (19, 68)
    assert (ds.n_items, len(ds.train) + len(ds.valid), len(ds.test)) == (309, 1205, 99)
    assert torch.equal(ds.test.targets, base.test.targets) and torch.equal(ds.item_ids, base.item_ids)
    assert int(ds.valid_dates.min()) > split_day - 1 - 7 and int(ds.valid_dates.max()) < split_day
    assert int(ds.train_dates.max()) <= int(ds.valid_dates.min())  # every training session is older
    assert ds.train_dates.numel() == ds.train.num_sessions and ds.valid_dates.numel() == ds.valid.num_sessions
    # the validation sessions are exactly the latest training sessions of the paper protocol
    assert ds.train.sessions() + ds.valid.sessions() == base.train.sessions()
    assert not session_set(ds.valid) & session_set(ds.test)
    assert ds.stats[-1]["step"] == "carve validation split" and ds.stats[-1]["pairs"] == 68
    assert ds.settings["valid_days"] == 7.0
    more = load_dataset("diginetica-sample", valid_days=30)
    assert more.valid.num_sessions > ds.valid.num_sessions and int(more.valid_dates.min()) >= split_day - 1 - 30


def test_valid_fraction_takes_the_latest_sessions_and_combines_with_fraction():
    base = load_dataset("diginetica-sample")
    ds = load_dataset("diginetica-sample", valid_fraction=0.1)
    assert ds.valid.num_sessions == round(0.1 * base.train.num_sessions) == 47
    assert ds.valid.sessions() == base.train.sessions()[-47:]
    half = load_dataset("diginetica-sample", valid_fraction=0.1, fraction=2)
    assert half.valid.sessions() == ds.valid.sessions()  # carved before the 1/fraction cut
    assert len(half.train) == len(ds.train) // 2


def test_fingerprint_and_cache_keep_the_split(cache_dir):
    a = load_dataset("diginetica-sample")
    b = load_dataset("diginetica-sample", valid_days=7)
    assert a.fingerprint != b.fingerprint
    again = load_dataset("diginetica-sample", valid_days=7)  # from the cache
    assert again.valid.sessions() == b.valid.sessions() and torch.equal(again.valid_dates, b.valid_dates)
    old = load_dataset("diginetica-sample", use_cache=False)
    assert old.fingerprint == a.fingerprint  # off: the paper protocol's fingerprint, old checkpoints match


@pytest.mark.parametrize("settings, message", [
    ({"valid_days": 0}, "must be positive"),
    ({"valid_fraction": 1.5}, "between 0 and 1"),
    ({"valid_days": 7, "valid_fraction": 0.1}, "not both"),
    ({"valid_days": 1000}, "all 469 training sessions"),
    ({"valid_fraction": 0.0001}, "holds no training session"),
])
def test_bad_validation_settings_are_refused(settings, message):
    with pytest.raises(DataError, match=message):
        load_dataset("diginetica-sample", **settings)


def test_training_chooses_its_best_epoch_on_validation(tmp_path):
    from fgnn.data.spec import DatasetSpec
    from fgnn.training.config import TrainConfig
    from fgnn.training.loop import train

    cfg = TrainConfig(data=DatasetSpec("diginetica-sample", protocol={"valid_days": 30}), model="fgnn",
                      model_params={"hidden_size": 8, "heads": 2}, epochs=2, num_threads=1)
    status = train(cfg, tmp_path / "run", progress=False)
    assert status["selected_on"] == "valid"
    rows = [json.loads(line) for line in (tmp_path / "run" / "metrics.jsonl").read_text().splitlines()]
    evals = [r for r in rows if r["kind"] == "eval"]
    assert [r["split"] for r in evals] == ["valid", "valid"] and {r["n"] for r in evals} == {206}
    best = max(evals, key=lambda r: r["hit@20"])
    assert status["best"]["epoch"] == best["epoch"]
    # `fgnn evaluate` on the chosen checkpoint reads the same protocol and scores the 99 test pairs
    import contextlib
    import io

    from fgnn.cli import main

    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        assert main(["evaluate", "--checkpoint", str(tmp_path / "run" / "best.pt"), "--json"]) == 0
    assert json.loads(out.getvalue())["n"] == 99


def test_srgnn_pickles_valid_fraction_and_their_date_order():
    folder = shared_folder("diginetica-srgnn")
    ds = load_dataset(folder, valid_fraction=0.05)
    assert (ds.n_items, len(ds.test)) == (43097, 60858)
    assert (ds.valid.num_sessions, len(ds.valid)) == (9334, 35546)
    assert len(ds.train) + len(ds.valid) == 719470
    full = load_dataset(folder)
    assert (full.n_items, len(full.train), len(full.test)) == (43097, 719470, 60858) and full.valid is None
    # SR-GNN's preprocess.py sorts training sessions by date, then numbers items by first appearance
    # while walking them: item ids first appear as 1, 2, 3, ... in all_train_seq's order, so that
    # order is the date order it walked, and its last sessions are the latest
    items = full.train.items
    uniq, inverse = torch.unique(items, return_inverse=True)
    first = torch.full((uniq.numel(),), items.numel()).scatter_reduce(0, inverse, torch.arange(items.numel()),
                                                                      reduce="amin")
    assert torch.equal(uniq[torch.argsort(first)], torch.arange(1, 43098))
    with pytest.raises(DataError, match="carry no dates"):
        load_dataset(folder, valid_days=7)
