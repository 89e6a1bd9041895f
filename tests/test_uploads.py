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

