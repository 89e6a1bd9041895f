"""A user's click log: uploads kept safely, loaded the app's way (fgnn.data.spec holds the dataset value)."""
from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from fgnn.data.dataset import DataError
from fgnn.data.registry import load_dataset
from fgnn.data.spec import DatasetSpec
from fgnn.uploads import load_source, safe_file_name, save_upload

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


def test_load_source_reads_a_custom_csv_with_its_columns(custom_csv):
    source = DatasetSpec(custom_csv, "csv", "visit", item_col="product", time_col="day")
    ds = load_source(source)
    direct = load_dataset(str(custom_csv), format="csv", session_col="visit", item_col="product", time_col="day")
    assert ds.n_items == direct.n_items > 0 and len(ds.test) == len(direct.test) > 0
    assert ds.fingerprint == direct.fingerprint
    # without its columns the same file cannot be read, and the message says what to name
    with pytest.raises(DataError, match="column"):
        load_source(DatasetSpec(custom_csv))
    assert load_source(DatasetSpec("diginetica-sample")).n_items == 309


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



HEADER = "session_id,item_id,timestamp\n"
MALFORMED = {
    "binary.csv": bytes(range(256)) * 8,
    "utf16.csv": (HEADER + "1,2,3\n").encode("utf-16"),
    "header-only.csv": HEADER.encode(),
    "ragged.csv": (HEADER + "1,2\n3,4,5,6,7\n" * 50).encode(),
    "open-quote.csv": (HEADER + '"1,2,3\n' * 50).encode(),
    "text-times.csv": (HEADER + "".join(f"{i // 3},{i % 5},2016-13-45\n" for i in range(30))).encode(),
    "no-repeats.csv": (HEADER + "".join(f"{i},{i},{1_600_000_000 + i * 3600}\n" for i in range(300))).encode(),
    "one-session.csv": (HEADER + "".join(f"1,{i % 5},{1_600_000_000 + i * 86400}\n" for i in range(300))).encode(),
    "huge-ids.csv": (HEADER + "".join(f"{i // 3},{10**30 + i % 5},{1_600_000_000 + i * 3600}\n"
                                      for i in range(300))).encode(),
    "bad-bytes-late.csv": (HEADER + "".join(f"{i // 3},{i % 5},{1_600_000_000 + i * 3600}\n" for i in range(3000))
                           ).encode() + b"1,\xff\xfe,3\n",
    "diginetica-bad.csv": b"sessionId;userId;itemId;timeframe;eventdate\n1;;2;x;2016-01-01\n",
    "recbole-short.inter": b"session_id:token\titem_id:token\ttimestamp:float\n1\t2\n",
}


@pytest.mark.parametrize("name", sorted(MALFORMED))
def test_every_malformed_log_is_refused_with_a_data_error_where_it_is_found(name, tmp_path, monkeypatch):
    """load_user_log has no catch-all: the readers and the protocol name each problem themselves."""
    monkeypatch.setenv("FGNN_CACHE_DIR", str(tmp_path / "cache"))
    path = tmp_path / name
    path.write_bytes(MALFORMED[name])
    with pytest.raises(DataError, match=name):
        load_source(DatasetSpec(path))


def test_a_bug_while_loading_a_log_is_a_bug_and_a_failed_read_a_data_error(custom_csv, monkeypatch):
    from fgnn.data import registry

    def buggy(*args, **kw):
        raise KeyError("a bug in the protocol")

    monkeypatch.setattr(registry, "load_dataset", buggy)
    with pytest.raises(KeyError, match="a bug in the protocol"):  # was DataError("cannot be read as a click log")
        load_source(DatasetSpec(custom_csv, "csv", "visit", item_col="product", time_col="day"))

    def failing_disk(*args, **kw):
        raise OSError(5, "Input/output error")

    monkeypatch.setattr(registry, "load_dataset", failing_disk)
    with pytest.raises(DataError, match=r"my clicks.csv: cannot be read \(Input/output error\)"):
        load_source(DatasetSpec(custom_csv, "csv", "visit", item_col="product", time_col="day"))
