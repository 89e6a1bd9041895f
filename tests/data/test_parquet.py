"""Parquet click logs: the same columns and rules as CSV, the same prepared dataset, clear errors."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import torch

from fgnn.app.serving import ServingPolicy
from fgnn.app.uploads import SUFFIXES, load_user_log, save_upload
from fgnn.data.readers import detect_format, item_tokens, read_clicks
from fgnn.data.registry import load_dataset
from fgnn.errors import DataError


def click_log(n_sessions: int = 600, seed: int = 3) -> pd.DataFrame:
    """A small session log over 10 days: sessions of 1-7 clicks, 60 items with a skew."""
    rng = np.random.default_rng(seed)
    lengths = rng.integers(1, 8, n_sessions)
    session = np.repeat(np.arange(1, n_sessions + 1) * 11, lengths)
    start = np.repeat(1_400_000_000 + np.sort(rng.integers(0, 10 * 86400, n_sessions)), lengths)
    item = 1000 + (rng.pareto(1.0, session.size) * 5).astype(np.int64) % 60
    return pd.DataFrame({"session_id": session, "item_id": item,
                         "timestamp": start + rng.integers(0, 600, session.size)})


def same_dataset(a, b) -> None:
    assert a.summary() | {"name": ""} == b.summary() | {"name": ""}
    assert torch.equal(a.item_ids, b.item_ids)
    for part in ("train", "test"):
        x, y = getattr(a, part), getattr(b, part)
        for key in ("items", "offsets", "pair_session", "pair_length", "targets"):
            assert torch.equal(getattr(x, key), getattr(y, key)), (part, key)
    assert [(s["step"], s["clicks"], s["sessions"], s["items"]) for s in a.stats] == \
        [(s["step"], s["clicks"], s["sessions"], s["items"]) for s in b.stats]


def test_a_parquet_log_gives_the_dataset_of_the_same_log_in_csv(tmp_path):
    log = click_log()
    log.to_csv(tmp_path / "clicks.csv", index=False)
    log.to_parquet(tmp_path / "clicks.parquet", index=False)
    assert detect_format(tmp_path / "clicks.parquet") == "parquet"
    from_csv = load_dataset(tmp_path / "clicks.csv", use_cache=False)
    from_parquet = load_dataset(tmp_path / "clicks.parquet", use_cache=False)
    assert len(from_csv.train) > 500 and from_parquet.settings["format"] == "parquet"
    same_dataset(from_csv, from_parquet)


def test_a_user_log_in_parquet_is_cut_into_sessions_as_in_csv(tmp_path):
    log = click_log().rename(columns={"session_id": "visitorid"})
    log["visitorid"] //= 33  # several visits per user
    log.to_csv(tmp_path / "events.csv", index=False)
    log.to_parquet(tmp_path / "events.parquet", index=False)
    same_dataset(load_dataset(tmp_path / "events.csv", use_cache=False, session_gap=30),
                 load_dataset(tmp_path / "events.parquet", use_cache=False, session_gap=30))


def test_parquet_is_found_by_its_bytes_or_named_by_format(tmp_path):
    log = click_log(50)
    path = tmp_path / "clicks.data"  # no telling suffix: the PAR1 magic says it
    log.to_parquet(path, index=False)
    assert detect_format(path) == "parquet"
    assert len(read_clicks(path, format="parquet")) == len(log)


def test_typed_columns_follow_the_csv_rules(tmp_path):
    log = click_log(50)
    stamps = log.assign(timestamp=pd.to_datetime(log["timestamp"], unit="s"),  # a Parquet timestamp
                        item_id=log["item_id"].astype(str))  # ids stored as text
    stamps.to_parquet(tmp_path / "typed.parquet", index=False)
    clicks = read_clicks(tmp_path / "typed.parquet")
    assert clicks["item"].tolist() == log["item_id"].tolist()
    assert clicks["time"].tolist() == log["timestamp"].astype(float).tolist()
    millis = log.assign(timestamp=log["timestamp"] * 1000)
    millis.to_parquet(tmp_path / "ms.parquet", index=False)
    assert read_clicks(tmp_path / "ms.parquet").attrs["time_unit"] == "ms"


def test_a_file_that_is_not_parquet_is_one_clear_error(tmp_path):
    bad = tmp_path / "clicks.parquet"
    bad.write_text("session_id,item_id,timestamp\n1,2,3\n")
    with pytest.raises(DataError, match=r"clicks\.parquet: is not a readable Parquet file"):
        load_dataset(bad, use_cache=False)


def test_a_missing_column_names_the_file_and_the_column(tmp_path):
    path = tmp_path / "clicks.parquet"
    click_log(50).to_parquet(path, index=False)
    with pytest.raises(DataError, match=r"clicks\.parquet: missing column 'product' \(the item column\); "
                                        r"columns found in the file: 'session_id', 'item_id', 'timestamp'"):
        load_dataset(path, item_col="product", use_cache=False)
    click_log(50).drop(columns="timestamp").to_parquet(path, index=False)
    with pytest.raises(DataError, match=r"clicks\.parquet: missing a time column"):
        load_dataset(path, use_cache=False)


@pytest.mark.parametrize(("value", "problem"), [("", "item id on line 5 in column 'item_id' is empty"),
                                                ("a\x07", "item id on line 5 in column 'item_id' holds a control")])
def test_a_bad_id_names_the_row(tmp_path, value, problem):
    log = click_log(50).astype({"item_id": str})
    log.loc[4, "item_id"] = value
    log.to_parquet(tmp_path / "clicks.parquet", index=False)
    with pytest.raises(DataError, match=problem):
        read_clicks(tmp_path / "clicks.parquet")


def test_text_ids_of_a_parquet_log_are_tokens_and_float_ids_must_be_whole(tmp_path):
    log = click_log(50).astype({"item_id": str})
    log.loc[4, "item_id"] = "85123A"
    log.to_parquet(tmp_path / "clicks.parquet", index=False)
    clicks = read_clicks(tmp_path / "clicks.parquet")
    texts = item_tokens(clicks).texts
    assert [texts[c] for c in clicks.item] == log["item_id"].tolist()
    floats = click_log(50).astype({"item_id": float})
    floats.loc[4, "item_id"] = 1.5
    floats.to_parquet(tmp_path / "floats.parquet", index=False)
    with pytest.raises(DataError, match=r"non-numeric item id '1.5' in column 'item_id' on line 5"):
        read_clicks(tmp_path / "floats.parquet")


def test_an_empty_parquet_log_is_refused(tmp_path):
    click_log(50).iloc[:0].to_parquet(tmp_path / "empty.parquet", index=False)
    with pytest.raises(DataError, match=r"empty\.parquet: holds no rows"):
        read_clicks(tmp_path / "empty.parquet")


def test_the_dataset_page_takes_a_parquet_upload(tmp_path):
    assert ".parquet" in SUFFIXES  # the uploader's accepted types are these suffixes
    log = click_log()
    log.to_parquet(tmp_path / "mine.parquet", index=False)
    log.to_csv(tmp_path / "mine.csv", index=False)
    saved = save_upload("my clicks.parquet", (tmp_path / "mine.parquet").read_bytes(), root=tmp_path / "uploads",
                        policy=ServingPolicy())
    assert saved.name == "my_clicks.parquet"
    same_dataset(load_user_log(saved, format="auto"), load_dataset(tmp_path / "mine.csv", use_cache=False))
