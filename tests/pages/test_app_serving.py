"""AppTest of serving the app to others (docs/serving.md): read-only mode, server paths opt-in
and limited to named folders, no file content in errors, the run limit, shipped runs kept."""
from __future__ import annotations

import json
import os

from app_support import app

SECRET = "root:$6$TOPSECRETHASH:19000:0:99999:7:::"


def texts(at) -> str:
    return "\n".join(str(e.value) for kind in ("error", "success", "warning", "info", "markdown", "caption")
                     for e in getattr(at, kind))


def _load_path(at, path: str, fmt: str = "auto"):
    at.radio(key="data_source_kind").set_value("path on this machine").run()
    at.text_input(key="data_path").set_value(path)
    at.selectbox(key="data_format").set_value(fmt)
    at.button(key="data_load").click().run()
    assert not at.exception, [e.value for e in at.exception]
    return "\n".join(e.value for e in at.error)


def test_read_only_visitor_explores_and_predicts_but_cannot_change_anything(root, monkeypatch, ds):
    monkeypatch.setenv("FGNN_READ_ONLY", "1")
    ids = ds.item_ids.tolist()
    at = app("pages/1_Session_builder.py", session_items=[ids[3], ids[10]])
    assert not at.error
    assert any(list(df.value.columns)[:2] == ["rank", "item"] for df in at.dataframe)  # predictions shown
    at.switch_page("pages/3_Train.py").run()
    assert at.button(key="train_start").disabled and "read-only" in texts(at)
    at.switch_page("pages/4_Runs.py").run()
    assert at.button(key="runs_delete").disabled and at.text_input(key="runs_delete_confirm").disabled
    assert "read-only" in texts(at)
    at.switch_page("pages/6_Dataset.py").run()
    assert not at.exception and "read-only" in texts(at)
    assert at.get("file_uploader")[0].proto.disabled
    before = sorted(p.name for p in root.iterdir())
    at.button(key="data_load").click().run()
    assert at.error and sorted(p.name for p in root.iterdir()) == before


def test_server_paths_are_off_unless_allowed(root, monkeypatch):
    monkeypatch.delenv("FGNN_ALLOW_SERVER_PATHS")
    at = app("pages/6_Dataset.py")
    at.radio(key="data_source_kind").set_value("path on this machine").run()
    assert at.text_input(key="data_path").disabled and "FGNN_ALLOW_SERVER_PATHS" in texts(at)
    at.button(key="data_load").click().run()  # the field is off: nothing a visitor types is read
    assert not at.exception and "FGNN_ALLOW_SERVER_PATHS" in at.error[0].value
    # (that every path gets the same words, existing or not: tests/app/test_serving.py)


def test_allowed_folder_only_and_no_content_quoted(root, tmp_path, monkeypatch):
    data = tmp_path / "data"
    data.mkdir()
    monkeypatch.setenv("FGNN_ALLOW_SERVER_PATHS", str(data))
    outside = tmp_path / "shadow"
    outside.write_text(SECRET + "\n")
    (data / "link.csv").symlink_to(outside)
    at = app("pages/6_Dataset.py")
    for path in (str(outside), f"{data}/../shadow", str(data / "link.csv")):
        error = _load_path(at, path)
        assert "reads only files under" in error and "TOPSECRET" not in error, error
    # a server file in the allowed folder: the error names column and line, quotes no value
    (data / "server.csv").write_text(SECRET + "\n1,2,3\n")
    for fmt in ("auto", "csv", "diginetica", "yoochoose"):
        error = _load_path(at, str(data / "server.csv"), fmt)
        assert error and "TOPSECRET" not in error and "19000" not in error, error
    (data / "bad.csv").write_text("SessionId,ItemId,Time\n1,5,1\n1,PRIVATE-ID\x07,2\n")  # a control character
    error = _load_path(at, str(data / "bad.csv"))
    assert "PRIVATE-ID" not in error and "line 3" in error and "'ItemId'" in error
    # the visitor's own upload: its value is quoted back to help fix it
    at.radio(key="data_source_kind").set_value("upload").run()
    at.file_uploader(key="data_upload").set_value(("mine.csv", (data / "bad.csv").read_bytes(), "text/csv"))
    at.button(key="data_load").click().run()
    assert "'PRIVATE-ID" in at.error[0].value and "line 3" in at.error[0].value


def test_one_training_run_at_a_time_by_default(root):
    busy = root / "busy"
    busy.mkdir()
    (busy / "config.json").write_text(json.dumps({"model": "pop", "dataset": "diginetica-sample"}))
    (busy / "status.json").write_text(json.dumps({"state": "running", "pid": os.getpid()}))
    at = app("pages/3_Train.py", train_watch=str(busy))
    assert "FGNN_MAX_TRAINING_RUNS" in texts(at) and "busy" in texts(at)
    before = sorted(p.name for p in root.iterdir() if p.is_dir())
    at.selectbox(key="train_model").set_value("pop").run()
    at.button(key="train_start").click().run()
    assert not at.exception
    assert any("no new run" in e.value for e in at.error), [e.value for e in at.error]
    assert sorted(p.name for p in root.iterdir() if p.is_dir()) == before  # no run folder was made


def test_shipped_runs_cannot_be_deleted_from_the_runs_page(root):
    at = app("pages/4_Runs.py")
    at.selectbox(key="runs_selected").set_value("fgnn-sample").run()
    assert at.button(key="runs_delete").disabled and "ships with FGNN Studio" in texts(at)
    assert (root / "fgnn-sample" / "best.pt").is_file()


def test_builder_refuses_a_2000_click_session_with_a_message(root, ds):
    ids = ds.item_ids[1:].tolist()
    at = app("pages/1_Session_builder.py", session_items=[ids[i % len(ids)] for i in range(2000)])
    assert not at.exception
    assert any("2000 clicks" in e.value and "200" in e.value for e in at.error), [e.value for e in at.error]


def test_a_bad_setting_stops_the_pages_with_one_message(root, monkeypatch):
    monkeypatch.setenv("FGNN_MAX_TRAINING_RUNS", "two")
    for page in ("pages/3_Train.py", "pages/4_Runs.py", "pages/6_Dataset.py"):
        at = app(page)
        assert any("misconfigured" in e.value and "FGNN_MAX_TRAINING_RUNS" in e.value for e in at.error), page


def test_dataset_page_refuses_a_fifo_and_a_device_without_hanging(root, tmp_path, monkeypatch):
    data = tmp_path / "data"
    data.mkdir()
    os.mkfifo(data / "clicks.csv")
    (data / "zero.csv").symlink_to("/dev/zero")
    monkeypatch.setenv("FGNN_ALLOW_SERVER_PATHS", f"{data}{os.pathsep}/dev")
    at = app("pages/6_Dataset.py")
    assert "FIFO" in _load_path(at, str(data / "clicks.csv"))
    assert "device" in _load_path(at, "/dev/zero")
    assert "device" in _load_path(at, str(data / "zero.csv"))  # through a link, still a device
