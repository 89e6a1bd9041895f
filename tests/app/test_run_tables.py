"""fgnn.app.run_tables: the Runs page's table of run folders, readable times, blank cells, two configs'
differences, and the Train page's log tail."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from fgnn.app.run_tables import blank_missing, config_difference, log_tail, readable_duration, readable_time, run_table


def test_run_table_puts_baselines_beside_models():
    runs = [{"name": "a", "path": "/r/a", "config": {"model": "fgnn", "epochs": 3, "dataset": "d"},
             "status": {"state": "finished", "epoch": 3}, "best": {"hit@20": 12.5, "mrr@20": 3.0}},
            {"name": "b", "path": "/r/b", "config": {"model": "sknn", "dataset": "d"},
             "status": {"state": "running"}, "best": {}},
            {"name": "c", "path": "/r/c", "config": {"model": "srgnn", "dataset": "d", "nproc": 2},
             "status": {"state": "finished", "world_size": 2, "device": "2 x cpu (1 threads), gloo"}, "best": {}}]
    t = run_table(runs, k=20)
    assert t["kind"].tolist() == ["model", "baseline", "model"]
    assert t["processes"].tolist() == [1, 1, 2] and t.loc[2, "device"] == "2 x cpu (1 threads), gloo"
    assert t.loc[0, "HR@20"] == 12.5 and np.isnan(t.loc[1, "HR@20"])
    assert run_table([], k=10).columns.tolist()[7] == "HR@10"


def test_log_tail(tmp_path):
    (tmp_path / "stdout.log").write_text("".join(f"line {i}\n" for i in range(100)) + "bar 1\rbar 2\rbar 3\n")
    tail = log_tail(tmp_path, lines=3)
    assert tail.splitlines() == ["line 98", "line 99", "bar 3"]
    assert log_tail(tmp_path / "none") == ""


def test_run_table_readable_times_blank_cells_and_config_difference():
    """Runs page: start and duration readable, missing cells blank, two configs compared."""
    runs = [{"name": "a", "path": "/x/a", "config": {"model": "fgnn", "dataset": "d", "epochs": 3},
             "status": {"state": "finished", "started": 1700000000.0, "finished": 1700000328.4, "epoch": 3},
             "best": {"hit@20": 50.123}},
            {"name": "b", "path": "/x/b", "config": {"model": "pop"}, "status": {"state": "failed"}, "best": {}}]
    table = run_table(runs, k=20)
    assert table.loc[0, "started"] == "2023-11-14 22:13" and table.loc[0, "duration"] == "5 min 28 s"
    shown = blank_missing(table)
    assert shown.loc[0, "HR@20"] == "50.12" and shown.loc[1, "HR@20"] == "" and shown.loc[1, "started"] == ""
    assert "None" not in shown.to_string() and "nan" not in shown.to_string()
    assert readable_duration(0, 3725) == "1 h 02 min" and readable_duration(10, 22) == "12 s"
    assert readable_duration(None, 5) == "" and readable_time("x") == "" and readable_time(None) == ""
    diff = config_difference({"model": "fgnn", "lr": 0.001, "model_params": {"heads": 8, "hidden_size": 100}},
                             {"model": "fgnn", "lr": 0.01, "model_params": {"heads": 8}, "seed": 1}, names=("a", "b"))
    assert diff.to_dict("records") == [
        {"setting": "lr", "a": "0.001", "b": "0.01"},
        {"setting": "model_params.hidden_size", "a": "100", "b": ""},
        {"setting": "seed", "a": "", "b": "1"}]


SAMPLES = Path(__file__).resolve().parents[2] / "checkpoints"


def test_config_difference_ignores_settings_an_older_config_lacks():
    """The shipped FGNN run's config predates ``user_col``, ``event_col``, ``items`` and
    ``nproc``; against the senders run (same settings but the attention norm and one thread) only
    those two differ, not six."""
    old = json.loads((SAMPLES / "fgnn-sample" / "config.json").read_text())
    new = json.loads((SAMPLES / "fgnn-senders-sample" / "config.json").read_text())
    assert not {"user_col", "event_col", "items", "nproc"} & set(old)
    diff = config_difference(old, new, names=("old", "new"))
    assert diff.to_dict("records") == [
        {"setting": "model_params.attention_norm", "old": "", "new": '"src"'},
        {"setting": "num_threads", "old": "null", "new": "1"}]
    # a lacking setting still differs from a value that is neither empty nor the default
    diff = config_difference(old, {**new, "nproc": 2, "event_col": "type", "items": ""}, names=("old", "new"))
    assert {r["setting"]: r["new"] for r in diff.to_dict("records")} == {
        "event_col": '"type"', "model_params.attention_norm": '"src"', "nproc": "2", "num_threads": "1"}
    # and a setting both have differs as before, even when one value is the default
    assert list(config_difference({"nproc": 1}, {"nproc": None})["setting"]) == ["nproc"]


def test_run_table_counts_stay_whole_numbers_when_a_run_lacks_one():
    """One run without an epoch turned the column into '40.00' and '1.00'."""
    runs = [{"name": "a", "path": "/x/a", "config": {"model": "fgnn", "epochs": 40},
             "status": {"state": "finished", "epoch": 40, "world_size": 2}, "best": {}},
            {"name": "b", "path": "/x/b", "config": {"model": "pop"}, "status": {"state": "finished"}, "best": {}},
            {"name": "c", "path": "/x/c", "config": {"model": "fgnn", "epochs": 40},
             "status": {"state": "failed"}, "best": {}}]
    shown = blank_missing(run_table(runs))
    assert list(shown["epoch"]) == ["40", "", ""]
    assert list(shown["epochs"]) == ["40", "1", "40"]
    assert list(shown["processes"]) == ["2", "1", "1"]
