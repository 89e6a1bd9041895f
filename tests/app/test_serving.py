"""The serving policy (fgnn.app.serving): server paths, read-only mode, the run limit, uploads, shipped
runs; each answer checked directly (the pages' use of it: tests/pages/test_app_serving.py)."""
from __future__ import annotations

import json
import os
import time
from pathlib import Path

import pytest

from fgnn.app.serving import ServingPolicy, clean_uploads
from fgnn.app.uploads import load_source, save_upload
from fgnn.data.spec import DatasetSpec
from fgnn.errors import DataError
from fgnn.runs.folders import SHIPPED_RUNS
from fgnn.runs.launch import delete_run

MB = 2**20


def policy(**env) -> ServingPolicy:
    return ServingPolicy.from_env({k: str(v) for k, v in env.items()})


def test_defaults_are_closed_for_paths_and_one_run():
    p = policy()
    assert not p.read_only and p.server_folders == () and p.max_training_runs == 1
    assert p.upload_max_bytes == 200 * MB and p.upload_max_age_s == 24 * 3600
    assert p.may_upload() and p.may_cancel() and not p.server_paths_allowed()


@pytest.mark.parametrize("env,word", [
    ({"FGNN_MAX_TRAINING_RUNS": "two"}, "FGNN_MAX_TRAINING_RUNS"),
    ({"FGNN_MAX_TRAINING_RUNS": "-1"}, "out of range"),
    ({"FGNN_UPLOAD_MAX_MB": "nan"}, "FGNN_UPLOAD_MAX_MB"),
    ({"FGNN_UPLOAD_MAX_AGE_HOURS": "inf"}, "FGNN_UPLOAD_MAX_AGE_HOURS"),
    ({"FGNN_ALLOW_SERVER_PATHS": "data/relative"}, "absolute"),
])
def test_bad_settings_are_named(env, word):
    with pytest.raises(DataError, match=word):
        ServingPolicy.from_env(env)


def test_server_paths_off_say_the_same_for_any_path(tmp_path):
    p = policy()
    messages = set()
    for text in ("/etc/passwd", "/etc/shadow", str(tmp_path / "missing.csv"), "/proc/self/environ"):
        with pytest.raises(DataError) as info:
            p.server_path(text)
        messages.add(str(info.value))
    assert len(messages) == 1  # nothing tells an existing file from a missing one
    assert "FGNN_ALLOW_SERVER_PATHS" in messages.pop()


def test_server_paths_limited_to_allowed_folders(tmp_path):
    data, outside = tmp_path / "data", tmp_path / "outside"
    (data / "sub").mkdir(parents=True)
    outside.mkdir()
    (data / "sub" / "clicks.csv").write_text("x")
    (outside / "secret.csv").write_text("x")
    (data / "link.csv").symlink_to(outside / "secret.csv")
    (data / "dirlink").symlink_to(outside)
    p = policy(FGNN_ALLOW_SERVER_PATHS=f"{data}{os.pathsep}/nonexistent/other")
    assert p.server_path(f" {data}/sub/clicks.csv ") == (data / "sub" / "clicks.csv").resolve()
    assert p.server_path(str(data)) == data.resolve()
    assert p.server_path(f"{data}/sub/../sub/clicks.csv") == (data / "sub" / "clicks.csv").resolve()
    assert p.server_path(f"{data}/sub/new.csv") == (data / "sub" / "new.csv").resolve()  # existence is not leaked outside
    refused = {}
    for text in (f"{data}/../outside/secret.csv", f"{data}/link.csv", f"{data}/dirlink/secret.csv",
                 f"{data}/../outside/missing.csv", "sub/clicks.csv", "/etc/passwd", f"{data}x/a.csv", ""):
        with pytest.raises(DataError) as info:
            p.server_path(text)
        refused[text] = str(info.value)
    assert all("reads only files under" in m for t, m in refused.items() if t)
    assert "type the path" in refused[""]
    # an existing and a missing file outside give the same words but for the path typed
    a = refused[f"{data}/../outside/secret.csv"].replace("secret.csv", "X")
    b = refused[f"{data}/../outside/missing.csv"].replace("missing.csv", "X")
    assert a == b


def test_read_only_refuses_train_upload_cancel_delete(tmp_path):
    p = policy(FGNN_READ_ONLY="1")
    for decision in (p.may_train(tmp_path), p.may_upload(), p.may_cancel(), p.may_delete(tmp_path / "my-run")):
        assert not decision and "read-only" in decision.reason
    with pytest.raises(DataError, match="read-only"):
        save_upload("a.csv", b"x,y\n1,2\n", root=tmp_path / "uploads", policy=p)
    assert not (tmp_path / "uploads").exists()
    assert policy(FGNN_READ_ONLY="no").may_upload()


def test_shipped_runs_are_never_deleted(tmp_path):
    p = policy()
    for name in SHIPPED_RUNS:
        assert not p.may_delete(tmp_path / name) and "ships with" in p.may_delete(tmp_path / name).reason
        run = tmp_path / name
        run.mkdir()
        (run / "status.json").write_text(json.dumps({"state": "finished"}))
        with pytest.raises(DataError, match="ships with"):
            delete_run(run, root=tmp_path)
        assert run.is_dir()
    assert p.may_delete(tmp_path / "my-run")


def _running_run(root: Path, name: str) -> Path:
    run = root / name
    run.mkdir(parents=True)
    (run / "config.json").write_text(json.dumps({"model": "pop"}))
    (run / "status.json").write_text(json.dumps({"state": "running", "pid": os.getpid()}))
    return run


def test_concurrent_training_limit(tmp_path):
    root = tmp_path / "runs"
    root.mkdir()
    p = policy()
    assert p.may_train(root)
    _running_run(root, "busy")
    dead = _running_run(root, "crashed")  # a run whose process is gone does not count
    (dead / "status.json").write_text(json.dumps({"state": "running", "pid": 2**22 + 12345}))
    decision = p.may_train(root)
    assert not decision and "busy" in decision.reason and "FGNN_MAX_TRAINING_RUNS" in decision.reason
    assert "crashed" not in decision.reason
    with pytest.raises(DataError, match="no new run"), p.training_slot(root):
        pytest.fail("the slot must not be granted")
    assert policy(FGNN_MAX_TRAINING_RUNS=2).may_train(root)
    with policy(FGNN_MAX_TRAINING_RUNS=2).training_slot(root):
        pass
    assert not policy(FGNN_MAX_TRAINING_RUNS=0).may_train(tmp_path / "empty")


def test_upload_size_cap_and_cleaning_by_age_and_total(tmp_path):
    root = tmp_path / "uploads"
    p = policy(FGNN_UPLOAD_MAX_MB=0.01, FGNN_UPLOADS_TOTAL_MB=0.02, FGNN_UPLOAD_MAX_AGE_HOURS=1)
    with pytest.raises(DataError, match="more than this app accepts"):
        save_upload("big.csv", b"1" * 11_000, root=root, policy=p)
    assert not root.exists() or not any(root.iterdir())
    old = save_upload("old.csv", b"a" * 100, root=root, policy=p)
    two_hours_ago = time.time() - 7200
    os.utime(old.parent, (two_hours_ago, two_hours_ago))
    a = save_upload("a.csv", b"b" * 9_000, root=root, policy=p)
    assert not old.exists()  # unused for longer than the age limit
    b = save_upload("b.csv", b"c" * 9_000, root=root, policy=p)
    assert a.exists() and b.exists()
    os.utime(a.parent, (time.time() - 60, time.time() - 60))
    c = save_upload("c.csv", b"d" * 9_000, root=root, policy=p)  # 27 kB > 20 kB: the oldest goes
    assert not a.exists() and b.exists() and c.exists()
    again = save_upload("b.csv", b"c" * 9_000, root=root, policy=p)  # the same bytes: kept, not re-counted
    assert again == b and c.exists()
    assert clean_uploads(tmp_path / "absent", p) == []


def test_app_loading_quotes_content_of_uploads_only(tmp_path, monkeypatch):
    monkeypatch.setenv("FGNN_UPLOAD_DIR", str(tmp_path / "uploads"))
    monkeypatch.setenv("FGNN_CACHE_DIR", str(tmp_path / "cache"))
    text = b"SessionId,ItemId,Time\n1,5,1\n1,TOPSECRET\x07,2\n"  # an id with a control character
    server = tmp_path / "server.csv"
    server.write_bytes(text)
    with pytest.raises(DataError) as info:
        load_source(DatasetSpec(str(server), format="csv"))
    assert "TOPSECRET" not in str(info.value) and "line 3" in str(info.value) and "'ItemId'" in str(info.value)
    upload = save_upload("mine.csv", text, policy=policy())
    with pytest.raises(DataError, match="line 3.*'TOPSECRET"):
        load_source(DatasetSpec(str(upload), format="csv"))


def test_two_visitors_pressing_start_together_get_one_run(tmp_path):
    """The check and the launch happen under one lock: the second visitor sees the first run."""
    import threading

    root = tmp_path / "runs"
    p = policy()
    results, inside = {}, threading.Event()

    def visitor(name: str, hold: float) -> None:
        try:
            with p.training_slot(root):
                inside.set()
                time.sleep(hold)  # launching takes a moment: the run folder appears before the lock goes
                _running_run(root, name)
            results[name] = "started"
        except DataError as exc:
            results[name] = str(exc)

    first = threading.Thread(target=visitor, args=("first", 0.5))
    first.start()
    inside.wait(10)
    second = threading.Thread(target=visitor, args=("second", 0.0))
    second.start()
    first.join(20)
    second.join(20)
    assert results["first"] == "started"
    assert "no new run" in results["second"] and "first" in results["second"]
    assert not (root / "second").exists()


def test_server_folders_are_named_not_shown(tmp_path):
    """A run's config, status, error and log lines show no absolute server path."""
    from fgnn.app.serving import hide_server_paths

    root, uploads = tmp_path / "ckpt", tmp_path / "up"
    folders = {"checkpoints": root, "uploads": uploads}
    config = {"data": str(uploads / "3fa9" / "clicks.csv"), "epochs": 2, "ks": [10, 20],
              "protocol": {"items": str(uploads / "items.csv")}, "name": "run"}
    shown = hide_server_paths(config, folders)
    assert shown == {"data": "<uploads>/3fa9/clicks.csv", "epochs": 2, "ks": [10, 20],
                     "protocol": {"items": "<uploads>/items.csv"}, "name": "run"}
    error = f"no space left writing {root}/run/last.pt (needs 3 MB)"
    assert hide_server_paths(error, folders) == "no space left writing <checkpoints>/run/last.pt (needs 3 MB)"
    assert str(tmp_path) not in str(hide_server_paths([error, config], folders))
