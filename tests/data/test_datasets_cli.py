"""``python -m fgnn datasets``: the bundled datasets, their size after the protocol, source, licence, checkpoints."""
from __future__ import annotations

import json

from fgnn.cli import main


def test_json_lists_the_bundled_sample(capsys):
    assert main(["datasets", "--json"]) == 0
    entries = json.loads(capsys.readouterr().out)
    assert [e["name"] for e in entries] == ["diginetica-sample"]
    (sample,) = entries
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


def test_text_output(capsys):
    assert main(["datasets"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("diginetica-sample (diginetica): 309 items, 469 / 39 train / test sessions, "
                          "1,205 / 99 train / test pairs")
    assert "licence: none stated" in out and "checkpoints: fgnn-sample (fgnn)" in out
