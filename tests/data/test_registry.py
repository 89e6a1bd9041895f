"""Registry: the bundled sample, categories, and the on-disk cache (hit, invalidation, no stale, no junk)."""
from __future__ import annotations

import hashlib
import shutil

import pandas as pd
import pytest
import torch

from fgnn.data import registry
from fgnn.data.registry import PIPELINE_VERSION, list_datasets, load_dataset
from fgnn.errors import DataError

from .conftest import SAMPLE_VIEWS, SHARED_DATA, cache_entries, shared_folder

SAMPLE_SHA256 = "98da96e05c87ef12b739e4bfd9bc7b4864106ee77371f1db9eb4413e3f78d37e"


def test_registry_names_and_bundled_bytes():
    assert "diginetica-sample" in list_datasets()
    assert hashlib.sha256(SAMPLE_VIEWS.read_bytes()).hexdigest() == SAMPLE_SHA256


def test_bundled_sample_checked_values_and_categories():
    ds = load_dataset("diginetica-sample")
    assert ds.summary() == {"name": "diginetica-sample", "n_items": 309, "train_sessions": 469,
                            "test_sessions": 39, "train_pairs": 1205, "test_pairs": 99}
    cats = pd.read_csv(SAMPLE_VIEWS.parent / "product-categories.csv", sep=";")
    lookup = dict(zip(cats.itemId, cats.categoryId, strict=True))
    assert ds.categories.shape == (310,) and int(ds.categories[0]) == -1
    assert ds.categories[1:].tolist() == [lookup.get(i, -1) for i in ds.item_ids[1:].tolist()]


def test_bundled_categories_are_the_sample_rows_of_the_full_map():
    full = SHARED_DATA / "diginetica-sample" / "product-categories.csv"
    if not full.is_file():
        pytest.skip(f"{full} is absent")
    bundled = pd.read_csv(SAMPLE_VIEWS.parent / "product-categories.csv", sep=";")
    views = pd.read_csv(SAMPLE_VIEWS, sep=";")
    whole = pd.read_csv(full, sep=";")
    expected = whole[whole.itemId.isin(set(views.item_id))].reset_index(drop=True)
    assert bundled.equals(expected)


def test_cache_hit_skips_the_protocol_and_is_identical(cache_dir, monkeypatch):
    first = load_dataset("diginetica-sample")
    assert len(cache_entries(cache_dir)) == 1 and cache_dir == registry.cache_dir()
    monkeypatch.setattr(registry, "apply_protocol", lambda *a, **k: pytest.fail("cache not used"))
    second = load_dataset("diginetica-sample")
    assert second.fingerprint == first.fingerprint
    assert torch.equal(second.train.items, first.train.items)
    assert torch.equal(second.test.targets, first.test.targets)
    assert second.stats == first.stats and second.settings == first.settings
    assert torch.equal(second.categories, first.categories)
    state = torch.load(cache_dir / f"{first.fingerprint}.pt", weights_only=True)
    assert state["pipeline_version"] == PIPELINE_VERSION


def test_changed_file_is_never_served_stale(tmp_path, cache_dir):
    path = tmp_path / "views.csv"
    shutil.copy(SAMPLE_VIEWS, path)
    before = load_dataset(path)
    lines = path.read_text().splitlines()
    path.write_text("\n".join(lines[:6000]))  # same name, same size class, other content
    after = load_dataset(path)
    assert after.fingerprint != before.fingerprint
    assert len(after.train) != len(before.train)
    assert len(cache_entries(cache_dir)) == 2


def test_settings_are_part_of_the_key(cache_dir):
    a = load_dataset("diginetica-sample")
    b = load_dataset("diginetica-sample", min_item_support=3)
    assert a.fingerprint != b.fingerprint and b.n_items > a.n_items
    assert load_dataset("diginetica-sample", fraction=4).settings["fraction"] == 4


def test_unreadable_cache_entry_is_rebuilt(cache_dir):
    ds = load_dataset("diginetica-sample")
    entry = cache_dir / f"{ds.fingerprint}.pt"
    entry.write_bytes(b"not a torch file")
    with pytest.warns(UserWarning):
        again = load_dataset("diginetica-sample")
    assert len(again.train) == 1205
    assert torch.load(entry, weights_only=True)["n_items"] == 309


def test_failed_prepare_writes_nothing(tmp_path, cache_dir, monkeypatch):
    def boom(*a, **k):
        raise DataError("x: broken; fix it")
    monkeypatch.setattr(registry, "apply_protocol", boom)
    with pytest.raises(DataError):
        load_dataset("diginetica-sample")
    assert cache_entries(cache_dir) == []


def test_unknown_source():
    with pytest.raises(DataError, match="no such file, folder or registry name"):
        load_dataset("no-such-dataset")


def test_srgnn_settings_that_cannot_apply():
    folder = shared_folder("diginetica-srgnn")
    with pytest.raises(DataError, match="already preprocessed"):
        load_dataset(folder, min_item_support=3)


def test_full_diginetica_pickles_cached(cache_dir, monkeypatch):
    folder = shared_folder("diginetica-srgnn")
    ds = load_dataset(folder)
    assert (ds.n_items, len(ds.train), len(ds.test)) == (43097, 719470, 60858)
    monkeypatch.setattr(registry, "read_srgnn_folder", lambda *a, **k: pytest.fail("cache not used"))
    again = load_dataset(folder)
    monkeypatch.undo()
    assert torch.equal(again.train.targets, ds.train.targets)
    quarter = load_dataset(folder, fraction=4)
    assert len(quarter.train) == 719470 // 4
    assert torch.equal(quarter.train.targets, ds.train.targets[-(719470 // 4):])
