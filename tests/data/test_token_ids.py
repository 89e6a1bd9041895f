"""Item ids that are tokens (docs/data-formats.md, "Ids"): read exactly, kept in the vocabulary and
the checkpoint, accepted and shown by the CLI; whole-number ids unchanged."""
from __future__ import annotations

import json

import numpy as np
import pytest
import torch

from fgnn.cli import main as cli_main
from fgnn.data.readers import item_tokens, read_csv_log
from fgnn.data.registry import load_dataset
from fgnn.errors import CheckpointError, DataError
from fgnn.models.checkpoint import checkpoint_ids, load_checkpoint

#: The ids of the issue: a SKU, unicode, an emoji, and "007" beside "7" (two items where the column is text).
TOKENS = ["85123A", "商品-1", "🍎", "007", "7"]


def token_log(path, sessions: int = 240, seed: int = 0):
    """A click log whose item ids are TOKENS plus a few SKUs, one session every 3 hours."""
    rng = np.random.default_rng(seed)
    catalogue = TOKENS + [f"SKU-{i:02d}" for i in range(12)]
    rows, t = ["session_id,item_id,time"], 1_600_000_000
    for s in range(sessions):
        for _ in range(int(rng.integers(2, 6))):
            item = TOKENS[int(rng.integers(len(TOKENS)))] if rng.random() < 0.5 else catalogue[int(rng.integers(len(catalogue)))]
            rows.append(f"s{s},{item},{t}")
            t += 60
        t += 3 * 3600
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    return path


def test_token_ids_are_read_exactly(tmp_path):
    path = tmp_path / "log.csv"
    path.write_text("session,item,time\n1,85123A,1\n1, 7,2\n1,007,3\n2,7,4\n2,商品-1,5\n2,🍎,6\n", encoding="utf-8")
    clicks = read_csv_log(path)
    texts = item_tokens(clicks).texts
    assert [texts[c] for c in clicks.item] == ["85123A", " 7", "007", "7", "商品-1", "🍎"]  # no trimming, 007 != 7


def test_whole_number_ids_are_numbers_as_before(tmp_path):
    path = tmp_path / "log.csv"
    path.write_text("session,item,time\n1,007,1\n1,7,2\n", encoding="utf-8")
    clicks = read_csv_log(path)
    assert item_tokens(clicks) is None and clicks.item.tolist() == [7, 7]


@pytest.mark.parametrize(("cell", "problem"), [('""', "is empty"), ("a\x01b", "holds a control character")])
def test_an_unusable_id_is_refused_naming_the_line(tmp_path, cell, problem):
    path = tmp_path / "log.csv"
    path.write_text(f"session,item,time\n1,85123A,1\n1,{cell},2\n", encoding="utf-8")
    with pytest.raises(DataError, match=rf"item id on line 3 in column 'item' {problem}"):
        read_csv_log(path)


def test_names_of_token_items_are_matched_as_text(tmp_path, cache_dir):
    log = token_log(tmp_path / "log.csv")
    items = tmp_path / "items.csv"
    items.write_text("85123A,Heart holder\n007,Agent\n7,Seven\n", encoding="utf-8")  # no header: the first id is an item
    ds = load_dataset(log, items=items, test_days=1)
    assert ds.item_labels() == {"85123A": "Heart holder", "007": "Agent", "7": "Seven"}
    assert ds.item_label("007") == "007 · Agent" and ds.item_label("SKU-01") == "SKU-01"
    again = load_dataset(log, items=items, test_days=1)  # from the cache: the tokens come back
    assert again.item_tokens == ds.item_tokens
    items.write_text("item,name\n8512,Unknown\n", encoding="utf-8")
    with pytest.raises(DataError, match=r"1 item id\(s\) do not occur in the click log .*'8512'.* line 2"):
        load_dataset(log, items=items, test_days=1)


def test_a_token_csv_prepares_trains_and_predicts_tokens(tmp_path, cache_dir, capsys):
    log = token_log(tmp_path / "shop.csv")
    ds = load_dataset(log, test_days=1)
    assert ds.has_tokens and set(TOKENS) <= set(ds.original_ids()[1:].tolist())
    assert ds.to_original(ds.to_indices(["007", "7"])) == ["007", "7"]
    run = tmp_path / "run"
    assert cli_main(["train", "--dataset", str(log), "--test-days", "1", "--epochs", "1", "--hidden-size", "16",
                     "--batch-size", "64", "--run-dir", str(run)]) == 0
    ckpt = load_checkpoint(run / "best.pt")
    assert ckpt["item_tokens"] == ds.item_tokens and checkpoint_ids(ckpt).tolist() == ds.item_tokens
    capsys.readouterr()
    assert cli_main(["predict", "--checkpoint", str(run / "best.pt"), "--session", "85123A", "商品-1",
                     "--top-k", "30", "--json"]) == 0
    top = json.loads(capsys.readouterr().out)["topk"]
    assert len(top) == ds.n_items and {r["item"] for r in top} == set(ds.item_tokens[1:])
    assert all(isinstance(r["item"], str) for r in top)
    assert cli_main(["explain", "--checkpoint", str(run / "best.pt"), "--session", "007", "7", "🍎",
                     "--item", "85123A", "--method", "attention", "--json"]) == 0
    explained = json.loads(capsys.readouterr().out)
    assert explained["item"] == "85123A" and [n["item"] for n in explained["nodes"]] == ["007", "7", "🍎"]
    assert cli_main(["predict", "--checkpoint", str(run / "best.pt"), "--session", "85123a"]) == 2  # case matters
    assert "85123a are not in the vocabulary" in capsys.readouterr().err
    assert cli_main(["evaluate", "--checkpoint", str(run / "best.pt"), "--json"]) == 0


def test_a_token_checkpoint_is_refused_for_a_whole_number_dataset(tmp_path, cache_dir):
    from fgnn.models import build_model
    from fgnn.models.checkpoint import check_dataset, checkpoint_dict

    ds = load_dataset(token_log(tmp_path / "shop.csv"), test_days=1)
    ckpt = checkpoint_dict(build_model("pop", ds.n_items), ds, epoch=0, metrics={})
    numbers = load_dataset(token_log(tmp_path / "shop.csv"), test_days=1)
    numbers.item_tokens = None
    with pytest.raises(CheckpointError, match="item ids that are tokens"):
        check_dataset(ckpt, numbers)
    torch.save({**ckpt, "item_tokens": ["x"] * 3}, tmp_path / "bad.pt")
    with pytest.raises(CheckpointError, match="item_tokens is not the"):
        load_checkpoint(tmp_path / "bad.pt")


@pytest.mark.parametrize(("token", "why"), [("a b", "hold a space"), ("NA", "reads as a missing value")])
def test_a_token_recbole_cannot_carry_is_refused_by_the_export(tmp_path, cache_dir, token, why):
    from fgnn.data.recbole import write_recbole

    ds = load_dataset(token_log(tmp_path / "shop.csv"), test_days=1)
    assert write_recbole(ds, tmp_path / "ok").splits == ["train", "test"]
    ds.item_tokens = [ds.item_tokens[0], token, *ds.item_tokens[2:]]
    with pytest.raises(DataError, match=why):
        write_recbole(ds, tmp_path / "rb")
    assert not (tmp_path / "rb").exists()  # refused before anything is written


def test_the_recbole_export_of_tokens_reads_back_as_the_same_pairs(tmp_path, cache_dir):
    log = token_log(tmp_path / "shop.csv")
    assert cli_main(["prepare", str(log), "--test-days", "1", "--out", str(tmp_path / "rb"), "--out-format", "recbole"]) == 0
    ours, back = load_dataset(log, test_days=1), load_dataset(tmp_path / "rb" / "shop" / "shop.train.inter")

    def pairs(ds, part):
        p, ids = getattr(ds, part), ds.original_ids()
        return sorted((tuple(ids[p.prefix(i)].tolist()), ids[int(p.targets[i])]) for i in range(len(p)))

    assert back.has_tokens and pairs(back, "train") == pairs(ours, "train") and pairs(back, "test") == pairs(ours, "test")


@pytest.mark.parametrize("given", ["+-5", "٣", "1_0", "5.5", "", "x"])
def test_a_given_id_that_is_no_whole_number_is_unknown_never_a_crash(given):
    from fgnn.data.ids import id_key, ids_to_indices

    assert id_key(given, tokens=False) is None and id_key(given, tokens=True) == given
    with pytest.raises(DataError, match="not in the vocabulary"):
        ids_to_indices(torch.arange(-1, 5), [given], "checkpoint x", "use ids of its dataset")
    assert id_key(" +7 ", tokens=False) == 7 and id_key(np.int64(7), tokens=False) == 7
