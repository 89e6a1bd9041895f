"""RecBole both ways (docs/data-formats.md): the export's benchmark files carry exactly our pairs and
read back as them; typed .item columns by name; files without time; a stray trailing field."""
from __future__ import annotations

from pathlib import Path

import pytest
import torch

from fgnn.cli import main
from fgnn.data.readers import read_clicks
from fgnn.data.recbole import write_recbole
from fgnn.data.registry import load_dataset
from fgnn.errors import DataError

RSC15 = Path(__file__).resolve().parents[3] / "shared" / "data" / "rsc15-100k" / "yoochoose-clicks-100k_train_full.txt"


def _same_pairs(a, b) -> None:
    for part in ("train", "valid", "test"):
        x, y = getattr(a, part), getattr(b, part)
        assert (x is None) == (y is None), part
        if x is None:
            continue
        assert len(x) == len(y) and x.num_sessions == y.num_sessions, part
        assert torch.equal(a.item_ids[x.items], b.item_ids[y.items]), part
        assert torch.equal(a.item_ids[x.targets], b.item_ids[y.targets]), part
        assert torch.equal(x.pair_length, y.pair_length), part


@pytest.mark.skipif(not RSC15.is_file(), reason="../shared/data/rsc15-100k is not here")
def test_rsc15_export_reads_back_with_every_pair(tmp_path):
    """The "shrinks by 90%" bug: the export read back keeps every test pair, and its real times."""
    ds = load_dataset(RSC15, format="csv", use_cache=False)
    export = write_recbole(ds, tmp_path)
    back = load_dataset(export.folder, use_cache=False)
    _same_pairs(ds, back)
    assert (len(back.train), len(back.test)) == (len(ds.train), len(ds.test))
    assert export.times == "the source's clock" and export.splits == ["train", "test"]
    clicks = read_clicks(export.folder / f"{ds.name}.inter")
    assert clicks["time"].between(1396310400, 1397001600).all()  # 2014-04-01 .. 04-09: real times
    # the click file through the protocol again keeps the split too, now that it has real times
    again = load_dataset(export.folder / f"{ds.name}.inter", min_item_support=1, use_cache=False)
    assert len(again.test) == len(ds.test)


def test_validation_split_is_written_and_read_back(tmp_path, capsys):
    out = tmp_path / "rb"
    assert main(["prepare", "diginetica-sample", "--valid-days", "7", "--out", str(out), "--out-format",
                 "recbole", "--no-cache"]) == 0
    assert "benchmark_filename: [train, valid, test]" in capsys.readouterr().out
    ds = load_dataset("diginetica-sample", valid_days=7, use_cache=False)
    back = load_dataset(out / "diginetica-sample" / "diginetica-sample.train.inter", use_cache=False)
    assert back.valid is not None and len(back.valid) == len(ds.valid) > 0
    _same_pairs(ds, back)
    with pytest.raises(DataError, match="carry their own split"):
        load_dataset(out / "diginetica-sample", valid_fraction=0.1, use_cache=False)


def _benchmark(folder: Path, name: str, train: str, test: str) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    head = "session_id:token\titem_id_list:token_seq\titem_id:token\n"
    (folder / f"{name}.train.inter").write_text(head + train)
    (folder / f"{name}.test.inter").write_text(head + test)


def test_a_recbole_benchmark_of_its_own_is_read_as_its_pairs(tmp_path):
    _benchmark(tmp_path, "shop", "1\t10 11\t12\n1\t10\t11\n2\t12\t10\n", "3\t11 12\t10\n4\t12\t10\n")
    ds = load_dataset(tmp_path, use_cache=False)
    assert ds.name == "shop" and ds.item_ids.tolist() == [-1, 10, 11, 12]
    assert [ds.to_original(ds.train.prefix(p)) for p in range(len(ds.train))] == [[10, 11], [10], [12]]
    assert ds.to_original(ds.test.targets.tolist()) == [10, 10]
    assert ds.train.num_sessions == 2  # rows 1-2 are one session's pairs, longest prefix first


def test_token_ids_mean_the_same_item_in_every_benchmark_file(tmp_path):
    _benchmark(tmp_path, "shop", "1\tab cd\tef\n", "2\tab\tcd\n")
    ds = load_dataset(tmp_path, use_cache=False)
    assert ds.has_tokens and sorted(ds.original_ids()[1:].tolist()) == ["ab", "cd", "ef"]
    ids = ds.original_ids()
    assert [ids[i] for i in ds.test.prefix(0)] == ["ab"] and ids[int(ds.test.targets[0])] == "cd"
    inter = tmp_path / "t.inter"
    inter.write_text("session_id:token\titem_id:token\ttimestamp:float\n1\tshoe\t1.0\n1\t\t2.0\n")
    with pytest.raises(DataError, match="item id on line 3 in column 'item_id' is empty"):
        read_clicks(inter)


def test_typed_item_columns_are_taken_by_name_not_position(tmp_path):
    from fgnn.data.items import read_items

    path = tmp_path / "ml.item"
    path.write_text("item_id:token\tmovie_title:token_seq\trelease_year:token\tclass:token_seq\n"
                    "1\tToy Story\t1995\tAnimation Children's Comedy\n2\tGoldenEye\t1995\tAction Thriller\n")
    table = read_items(path)
    assert table["name"].tolist() == ["Toy Story", "GoldenEye"]
    assert table["category"].tolist() == ["Animation", "Action"]  # the first class, not release_year
    other = tmp_path / "b.item"
    other.write_text("category:token\titem_id:token\ttitle:token_seq\n7\t5\tred shoe\n")
    assert read_items(other).iloc[0].tolist() == [5, "red shoe", "7"]


def test_a_file_without_time_is_in_file_order_and_says_so(tmp_path):
    rows = ["session_id:token\titem_id:token"]
    for s in range(1, 41):
        rows += [f"{s}\t{(s + k) % 5 + 1}" for k in range(3)]
    path = tmp_path / "untimed.inter"
    path.write_text("\n".join(rows) + "\n")
    ds = load_dataset(path, min_item_support=1, test_days=6, use_cache=False)
    read = next(r for r in ds.stats if r["step"] == "read")
    assert "file order is the time order" in read["note"]
    assert ds.test.num_sessions == 2 and ds.click_times is None  # the sessions ending in the last 6 rows


def test_a_stray_trailing_field_is_tolerated(tmp_path):
    path = tmp_path / "t.inter"
    path.write_text("session_id:token\titem_id:token\ttimestamp:float\t\n1\t5\t10.0\t\n1\t6\t11.0\t\n")
    clicks = read_clicks(path)
    assert clicks["item"].tolist() == [5, 6] and clicks["time"].tolist() == [10.0, 11.0]
