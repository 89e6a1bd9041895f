"""The ``prepare`` verb: table, --json, --out round trip, errors as one line and exit code 2."""
from __future__ import annotations

import argparse
import csv
import json

import pytest

from fgnn.commands import prepare
from fgnn.data.readers import load_restricted_pickle
from fgnn.data.registry import load_dataset

from .conftest import cache_entries


def run_prepare(argv):
    parser = argparse.ArgumentParser(prog="fgnn")
    prepare.add_parser(parser.add_subparsers(dest="verb"))
    args = parser.parse_args(["prepare", *argv])
    return args.func(args)


def test_table(capsys):
    assert run_prepare(["diginetica-sample"]) == 0
    out = capsys.readouterr().out
    assert "309 items" in out and "1,205 / 99 train / test pairs" in out
    assert "drop items < 5 clicks" in out and "split date 2016-05-25" in out


def test_json(capsys):
    assert run_prepare(["diginetica-sample", "--json"]) == 0
    info = json.loads(capsys.readouterr().out)
    assert {k: info[k] for k in ("n_items", "train_sessions", "test_sessions", "train_pairs", "test_pairs")} == \
        {"n_items": 309, "train_sessions": 469, "test_sessions": 39, "train_pairs": 1205, "test_pairs": 99}
    assert info["steps"][0]["clicks"] == 12391 and info["split_date"] == "2016-05-25"


def test_protocol_options_reach_the_protocol(capsys):
    assert run_prepare(["diginetica-sample", "--json", "--min-item-support", "3", "--test-days", "14",
                        "--fraction", "4"]) == 0
    info = json.loads(capsys.readouterr().out)
    assert info["settings"]["min_item_support"] == 3 and info["settings"]["test_days"] == 14
    assert info["settings"]["fraction"] == 4 and info["n_items"] > 309


def test_out_round_trip(tmp_path, capsys):
    out = tmp_path / "digi"
    assert run_prepare(["diginetica-sample", "--out", str(out)]) == 0
    ds = load_dataset("diginetica-sample")
    for name, pairs in (("train.txt", ds.train), ("test.txt", ds.test)):
        xs, ys = load_restricted_pickle(out / name)
        assert len(xs) == len(pairs) and ys == pairs.targets.tolist()
        assert xs == [pairs.prefix(p) for p in range(len(pairs))]
        assert min(min(x) for x in xs) >= 1 and max(ys) <= 309
    with open(out / "items.csv") as f:
        rows = list(csv.reader(f))
    assert rows[0] == ["index", "original_id", "category"] and len(rows) == 310
    assert [int(r[1]) for r in rows[1:]] == ds.item_ids[1:].tolist()
    assert [int(r[2]) for r in rows[1:]] == ds.categories[1:].tolist()
    assert sorted(p.name for p in out.iterdir()) == ["items.csv", "test.txt", "train.txt"]
    # the written pickles read back through the srgnn path give the same pairs
    (out / "items.csv").unlink()
    again = load_dataset(out)
    assert again.n_items == 309 and len(again.train) == 1205 and len(again.test) == 99
    assert again.test.num_sessions == 39 and again.train.num_sessions == 469


def test_error_is_one_line_exit_2(tmp_path, cache_dir, capsys):
    bad = tmp_path / "empty.csv"
    bad.write_text("")
    assert run_prepare([str(bad)]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"error: {bad}: the file is empty")
    assert "Traceback" not in captured.err
    assert cache_entries(cache_dir) == []


def test_help_lists_the_options(capsys):
    with pytest.raises(SystemExit):
        run_prepare(["--help"])
    text = capsys.readouterr().out
    for flag in ("--format", "--session-col", "--item-col", "--time-col", "--min-item-support",
                 "--min-session-length", "--test-days", "--fraction", "--out", "--json"):
        assert flag in text


def test_through_the_main_cli(capsys):
    cli = pytest.importorskip("fgnn.cli")
    assert cli.main(["prepare", "diginetica-sample", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["n_items"] == 309
