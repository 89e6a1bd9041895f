"""A user's click log as one dataset source string (path + format + columns + protocol)."""
from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from fgnn.data.dataset import DataError
from fgnn.data.registry import load_dataset
from fgnn.uploads import (
    decode_source,
    describe_source,
    encode_source,
    load_source,
    run_dataset_source,
    safe_file_name,
    save_upload,
    source_config,
    source_stem,
)

REPO = Path(__file__).resolve().parents[1]
SAMPLE = REPO / "fgnn" / "data" / "bundled" / "diginetica-sample" / "train-item-views.csv"


@pytest.fixture
def custom_csv(tmp_path, monkeypatch) -> Path:
    """The bundled sample as a comma-separated log with its own column names."""
    monkeypatch.setenv("FGNN_CACHE_DIR", str(tmp_path / "cache"))
    clicks = pd.read_csv(SAMPLE, sep=";")
    path = tmp_path / "my clicks.csv"
    clicks.rename(columns={"session_id": "visit", "item_id": "product", "eventdate": "day"}).to_csv(path, index=False)
    return path


def test_plain_sources_stay_plain():
    assert encode_source("diginetica-sample") == "diginetica-sample"
    assert encode_source("/data/x.csv", format="auto", item_col="") == "/data/x.csv"
    assert decode_source("/data/x.csv") == {"source": "/data/x.csv"}
    assert describe_source("diginetica-sample") == "diginetica-sample"
    assert source_stem("/data/clicks.csv") == "clicks" and source_stem("diginetica-sample") == "diginetica-sample"


def test_options_round_trip_in_a_canonical_string():
    a = encode_source("/d/c.csv", "csv", "visit", "product", "day", test_days=3.0)
    b = encode_source("/d/c.csv", time_col="day", item_col="product", session_col="visit", format="csv", test_days=3.0)
    assert a == b  # the same choice always gives the same string (the app caches by it)
    assert json.loads(a) == {"source": "/d/c.csv", "format": "csv", "session_col": "visit", "item_col": "product",
                             "time_col": "day", "test_days": 3.0}
    assert decode_source(a) == json.loads(a)
    assert describe_source(a) == "c.csv (csv, item=product, session=visit, test_days=3.0, time=day)"
    assert source_stem(a) == "c"


def test_bad_sources_name_the_problem():
    with pytest.raises(DataError, match="unknown dataset option"):
        encode_source("/d/c.csv", delimiter=";")
    with pytest.raises(DataError, match="'source' key"):
        decode_source('{"path": "/d/c.csv"}')
    with pytest.raises(DataError, match="not a path"):
        decode_source("{not json")
    with pytest.raises(DataError, match="unknown option"):
        decode_source('{"source": "/d/c.csv", "sep": ";"}')
    assert describe_source("{not json") == "{not json"


def test_load_source_reads_a_custom_csv_with_its_columns(custom_csv):
    source = encode_source(custom_csv, "csv", "visit", "product", "day")
    ds = load_source(source)
    direct = load_dataset(str(custom_csv), format="csv", session_col="visit", item_col="product", time_col="day")
    assert ds.n_items == direct.n_items > 0 and len(ds.test) == len(direct.test) > 0
    assert ds.fingerprint == direct.fingerprint
    # without its columns the same file cannot be read, and the message says what to name
    with pytest.raises(DataError, match="column"):
        load_source(str(custom_csv))
    assert load_source("diginetica-sample").n_items == 309


def test_run_config_gives_back_the_source_it_trained_on(custom_csv):
    config = {"dataset": str(custom_csv), "format": "csv", "session_col": "visit", "item_col": "product",
              "time_col": "day", "protocol": {"test_days": 7.0}}
    source = run_dataset_source(config)
    assert decode_source(source) == {"source": str(custom_csv), "format": "csv", "session_col": "visit",
                                     "item_col": "product", "time_col": "day", "test_days": 7.0}
    # the Train page builds the run config from the source (read options it was not given are None)
    assert source_config(source) == {**config, "user_col": None, "event_col": None, "items": None}
    assert run_dataset_source({"dataset": "diginetica-sample", "format": None, "protocol": {}}) == "diginetica-sample"
    assert run_dataset_source({"model": "pop"}) is None


def test_uploads_are_kept_by_content_with_safe_names(tmp_path):
    a = save_upload("../../etc/passwd", b"x,y\n1,2\n", root=tmp_path)
    assert a.name == "passwd" and tmp_path in a.parents
    assert save_upload("other.csv", b"x,y\n1,2\n", root=tmp_path).parent == a.parent
    assert safe_file_name(".hidden file?.csv") == "hidden_file_.csv"
    with pytest.raises(DataError, match="empty"):
        save_upload("e.csv", b"", root=tmp_path)


def test_form_message_names_the_dataset_pages_fields_not_cli_flags():
    """Issue 14, bug 6: the Dataset page's errors named --session-col instead of its fields."""
    from fgnn.uploads import form_message

    text = form_message("no session column: use --format csv with --session-col/--item-col/--time-col, "
                        "or --user-col and --session-gap")
    assert "--" not in text
    assert "format 'csv'" in text and "the 'session column' field" in text and "the 'time column' field" in text
    assert "the 'user column' field and the 'session gap' field" in text
    assert form_message("--unknown-flag stays") == "--unknown-flag stays"


def test_dataset_label_is_the_name_a_person_loaded_not_the_upload_path(tmp_path):
    from fgnn.uploads import dataset_label, encode_source

    upload = str(tmp_path / "uploads" / "0123abcd" / "clicks.csv")
    assert dataset_label(upload, {"clicks (clicks.csv)": upload}) == "clicks (clicks.csv)"
    assert dataset_label(upload) == "clicks.csv"
    assert dataset_label("diginetica-sample") == "diginetica-sample"
    with_cols = encode_source(upload, session_col="sid")
    assert dataset_label(with_cols).startswith("clicks.csv (")
