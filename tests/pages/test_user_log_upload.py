"""AppTest of the Dataset page with a user log without session ids: the upload form's user column,
session gap, event filter and items file; the steps before the protocol in its statistics; bad
inputs give one message and leave the dataset cache untouched."""
from __future__ import annotations

import os
from pathlib import Path

import pytest
from app_support import app
from user_logs import items_file, retailrocket_like

DATASET = "pages/6_Dataset.py"


def cache_entries() -> list[str]:
    root = Path(os.environ["FGNN_CACHE_DIR"])
    return sorted(p.name for p in root.glob("*.pt")) if root.exists() else []


@pytest.fixture
def private_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("FGNN_CACHE_DIR", str(tmp_path / "cache"))


def fill(at, log: Path, items: Path | None = None, **fields):
    at.file_uploader(key="data_upload").set_value((log.name, log.read_bytes(), "text/csv"))
    if items is not None:
        at.file_uploader(key="data_items_upload").set_value((items.name, items.read_bytes(), "text/csv"))
    values = {"data_user_col": "visitorid", "data_item_col": "itemid", "data_time_col": "timestamp",
              "data_event_col": "event", "data_keep": "view", **fields}
    for key, value in values.items():
        if key == "data_session_gap":
            at.number_input(key=key).set_value(value)
        else:
            at.text_input(key=key).set_value(value)
    at.button(key="data_load").click().run()
    assert not at.exception, [e.value for e in at.exception]


def test_user_log_upload_with_items_becomes_the_app_dataset(root, tmp_path, private_cache):
    log = retailrocket_like(tmp_path / "events.csv")
    items = items_file(tmp_path / "item_names.csv", range(500, 560))
    at = app(DATASET)
    fill(at, log, items, data_session_gap=45.0)
    assert not at.error, [e.value for e in at.error]
    stats = next(df.value for df in at.dataframe if "step" in df.value)
    assert stats["step"].tolist()[:3] == ["keep events view", "cut user histories at gaps > 45 min", "read"]
    assert stats["note"].tolist()[1].endswith("sessions") and "users ->" in stats["note"].tolist()[1]
    at.button(key="data_use").click().run()
    source = at.session_state["dataset"].options()
    assert {k: source[k] for k in ("user_col", "item_col", "time_col", "event_col", "keep", "session_gap")} == {
        "user_col": "visitorid", "item_col": "itemid", "time_col": "timestamp", "event_col": "event",
        "keep": "view", "session_gap": 45.0}
    assert Path(source["items"]).name == "item_names.csv"


@pytest.mark.parametrize("fields, message", [
    ({"data_session_gap": 0.0}, "session gap 0.0 is not a positive number of minutes"),
    ({"data_session_gap": -10.0}, "session gap -10.0 is not a positive number of minutes"),
    ({"data_user_col": ""}, "has no session column"),
])
def test_bad_user_log_settings_give_one_message(root, tmp_path, private_cache, fields, message):
    log = retailrocket_like(tmp_path / "events.csv")
    log.write_text(log.read_text().replace("visitorid", "who"))  # no column an alias would find
    at = app(DATASET)
    fill(at, log, **{"data_user_col": "who", **fields})
    assert len(at.error) == 1 and message in at.error[0].value, [e.value for e in at.error]
    assert "Traceback" not in at.error[0].value
    assert cache_entries() == []


def test_items_file_with_unknown_or_duplicate_ids_gives_one_message(root, tmp_path, private_cache):
    log = retailrocket_like(tmp_path / "events.csv")
    at = app(DATASET)
    fill(at, log, items_file(tmp_path / "items.csv", [500, 501, 99999]))
    assert len(at.error) == 1 and "1 item id(s) do not occur in the click log" in at.error[0].value
    fill(at, log, items_file(tmp_path / "items2.tsv", [500, 501, 500], delimiter="\t"))
    assert len(at.error) == 1 and "item id 500 appears 2 times" in at.error[0].value
    assert cache_entries() == []
