"""``python -m fgnn datasets``: the bundled datasets, their size after the protocol, source, licence, checkpoints."""
from __future__ import annotations

import json

from fgnn.cli import main


def test_json_lists_the_bundled_datasets(capsys):
    assert main(["datasets", "--json"]) == 0
    entries = json.loads(capsys.readouterr().out)
    assert [e["name"] for e in entries] == ["diginetica-sample", "online-retail-sample"]
    sample, retail = entries
    # the protocol's numbers for the sample (tests/data/test_registry.py, docs/protocol.md)
    assert sample["items"] == 309
    assert sample["sessions"] == {"train": 469, "test": 39}
    assert sample["pairs"] == {"train": 1205, "test": 99}
    assert sample["format"] == "diginetica"
    assert sample["item_names"] is False and sample["categories"] is True
    assert "CIKM Cup 2016" in sample["source"] and "SR-GNN" in sample["source"]
    assert sample["licence"].startswith("none stated")
    runs = {c["run"]: c["model"] for c in sample["checkpoints"]}
    assert runs["fgnn-sample"] == "fgnn" and runs["srgnn-sample"] == "srgnn" and "vsknn-sample" in runs
    # the named one: UCI Online Retail, its own 7-day test window (docs/data-formats.md)
    assert retail["items"] == 1481 and retail["item_names"] is True and retail["categories"] is False
    assert retail["sessions"] == {"train": 2654, "test": 371}
    assert retail["pairs"] == {"train": 27111, "test": 3647}
    assert "Online Retail" in retail["source"] and retail["licence"].startswith("CC BY 4.0")
    runs = {c["run"]: c["model"] for c in retail["checkpoints"]}
    assert runs == {"fgnn-online-retail-sample": "fgnn", "srgnn-online-retail-sample": "srgnn",
                    "vsknn-online-retail-sample": "vsknn"}


def test_the_named_dataset_keys_items_by_their_stock_codes():
    from fgnn.data.registry import load_dataset

    ds = load_dataset("online-retail-sample")
    assert ds.has_tokens and ds.item_label("85123A") == "85123A · WHITE HANGING HEART T-LIGHT HOLDER"
    assert all(ds.item_labels().get(i) for i in ds.original_ids()[1:].tolist())  # every item has its name
    assert ds.settings["test_days"] == 7 and load_dataset("online-retail-sample", test_days=1).settings["test_days"] == 1


def test_text_output(capsys):
    assert main(["datasets"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("diginetica-sample (diginetica): 309 items, 469 / 39 train / test sessions, "
                          "1,205 / 99 train / test pairs")
    assert "licence: none stated" in out and "checkpoints: fgnn-sample (fgnn)" in out
