"""RecBole atomic files: detection, reading (session or user ids), and the prepare -> write -> read
round trip."""
from __future__ import annotations

import torch

from fgnn.cli import main
from fgnn.data.readers import detect_format, read_clicks
from fgnn.data.registry import load_dataset

from .conftest import cache_entries


def test_detected_from_the_suffix_and_from_the_typed_header(tmp_path):
    text = "session_id:token\titem_id:token\ttimestamp:float\n1\t5\t10.0\n1\t6\t11.0\n"
    (tmp_path / "a.inter").write_text(text)
    (tmp_path / "a.tsv").write_text(text)
    (tmp_path / "b.tsv").write_text("session_id\titem_id\ttimestamp\n1\t5\t10\n")
    assert detect_format(tmp_path / "a.inter") == "recbole"
    assert detect_format(tmp_path / "a.tsv") == "recbole"
    assert detect_format(tmp_path / "b.tsv") == "csv"
    clicks = read_clicks(tmp_path / "a.inter")
    assert clicks["session"].tolist() == [1, 1] and clicks["item"].tolist() == [5, 6]
    assert clicks.attrs["format"] == "recbole"


def test_a_user_inter_file_is_cut_into_sessions(tmp_path):
    rows = ["user_id:token\titem_id:token\trating:float\ttimestamp:float"]
    day = 86400
    for d in range(10):  # user u clicks 3 items in the morning and 3 at night, every day
        for u in range(1, 6):
            for j, t in enumerate((8 * 3600, 8 * 3600 + 60, 8 * 3600 + 120, 22 * 3600, 22 * 3600 + 60,
                                   22 * 3600 + 120)):
                rows.append(f"{u}\t{(u + j + d) % 7 + 1}\t4.0\t{1_500_000_000 + d * day + t}")
    path = tmp_path / "ml.inter"
    path.write_text("\n".join(rows) + "\n")
    ds = load_dataset(path, min_item_support=1)
    assert ds.stats[0]["step"] == "cut user histories at gaps > 30 min"
    assert ds.stats[0]["sessions"] == 10 * 5 * 2 and ds.stats[0]["note"] == "5 users -> 100 sessions"
    assert set(ds.train.session_lengths().tolist()) == {3}


def test_round_trip_prepare_write_read_gives_the_same_sessions(tmp_path, capsys):
    out = tmp_path / "rb"
    assert main(["prepare", "diginetica-sample", "--out", str(out), "--out-format", "recbole"]) == 0
    printed = capsys.readouterr().out
    inter = out / "diginetica-sample" / "diginetica-sample.inter"
    assert f"wrote {inter}" in printed and "MAX_ITEM_LIST_LENGTH: 16" in printed
    assert inter.read_text().splitlines()[0] == "session_id:token\titem_id:token\ttimestamp:float"
    ds = load_dataset("diginetica-sample")
    # reading the click file gives every prepared session, in order, with the original ids
    clicks = read_clicks(inter)
    sessions = clicks.groupby("session", sort=True)["item"].apply(list).tolist()
    expected = [ds.to_original(ds.train.session(s)) for s in range(ds.train.num_sessions)] + \
               [ds.to_original(ds.test.session(s)) for s in range(ds.test.num_sessions)]
    assert sessions == expected
    # real times: DIGINETICA's day of each click plus its timeframe, never decreasing within a session
    assert clicks["time"].min() >= 1451606400  # 2016-01-01
    assert (clicks.groupby("session")["time"].diff().dropna() >= 0).all()
    # and the benchmark files read back are the same pairs (no re-protocol)
    back = load_dataset(out / "diginetica-sample")
    assert torch.equal(back.item_ids, ds.item_ids) and torch.equal(back.categories, ds.categories)
    for part in ("train", "test"):
        a, b = getattr(ds, part), getattr(back, part)
        assert torch.equal(a.items, b.items) and torch.equal(a.targets, b.targets)
        assert torch.equal(a.pair_length, b.pair_length)


def test_bad_recbole_header_is_one_message(tmp_path, cache_dir, capsys):
    path = tmp_path / "x.inter"
    path.write_text("session_id,item_id,timestamp\n1,2,3\n")
    assert main(["prepare", str(path)]) == 2
    err = capsys.readouterr().err
    assert "is not a RecBole header" in err and "Traceback" not in err and len(err.strip().splitlines()) == 1
    assert cache_entries(cache_dir) == []


def test_named_items_are_written_as_a_recbole_item_file_that_reads_back(tmp_path):
    from fgnn.commands.prepare import write_recbole
    from fgnn.data.items import read_items

    from .conftest import SAMPLE_VIEWS

    ds = load_dataset("diginetica-sample")
    ids = ds.item_ids[1:].tolist()
    names = tmp_path / "names.csv"
    names.write_text("".join(f"{i},red shoe {i},{'a' if i % 3 else 'b'}\n" for i in ids))
    named = load_dataset(SAMPLE_VIEWS, items=names)
    written = write_recbole(named, tmp_path / "rb")
    assert [p.name for p in written] == ["train-item-views.inter", "train-item-views.item",
                                         "train-item-views.train.inter", "train-item-views.test.inter"]
    assert written[1].read_text().splitlines()[0] == "item_id:token\tname:token_seq\tcategory:token"
    back = read_items(written[1], known_ids=ids)
    assert back["item"].tolist() == ids
    assert back["name"].tolist() == [f"red shoe {i}" for i in ids]
    assert back["category"].tolist() == ["a" if i % 3 else "b" for i in ids]
