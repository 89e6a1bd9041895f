"""fgnn.app.runs_page: what the Runs page decides and writes."""
from __future__ import annotations

import numpy as np
import pandas as pd

from fgnn.app import runs_page as rp


def _table():
    return pd.DataFrame({
        "run": ["a", "b", "c", "d", "e"],
        "kind": ["model", "model", "baseline", "model", "model"],
        "state": ["finished", "finished", "finished", "running", "finished"],
        "HR@20": [10.0, np.nan, 50.0, 90.0, 30.0],
    })


def test_default_overlay_is_the_best_finished_models():
    assert rp.default_overlay(_table(), 20) == ["e", "a"]
    assert rp.default_overlay(_table(), 20, n=3) == ["e", "a", "b"]  # no HR: last
    assert rp.default_overlay(_table()[_table()["kind"] == "baseline"], 20) == []


def test_overlay_split_draws_models_as_curves_and_baselines_as_lines():
    by_name = {"a": {"config": {"model": "fgnn"}}, "c": {"config": {"model": "sknn"}},
               "x": {"config": {}}}
    assert rp.overlay_split(["c", "a", "gone", "x"], by_name) == (["a"], ["c", "x"])


def test_compared_pair():
    by_name = {"a": {}, "b": {}}
    assert rp.compared_pair(["a", "b"], by_name) == ("a", "b")
    assert rp.compared_pair(["a"], by_name) is None
    assert rp.compared_pair(["a", "z"], by_name) is None


def test_texts():
    assert rp.runs_caption(3, 10).startswith("3 run(s) in the checkpoints root. Best metrics at K = 10")
    assert rp.no_runs_of_kind_caption("model") == "none yet"
    assert rp.no_runs_of_kind_caption("baseline").startswith("none yet: fit POP, S-POP")
    assert rp.config_difference_heading(1) == "**Config difference** (1 setting)"
    assert rp.config_difference_heading(0) == "**Config difference** (0 settings)"
    assert rp.use_button_label(True) == ":material/check: In use"
    assert rp.use_button_label(False) == ":material/check: Use this checkpoint in the whole app"
    assert rp.now_using_message("/x/runs/fgnn-1/best.pt") == "The app now uses fgnn-1/best.pt."


def test_inside_run():
    assert rp.inside_run("/ck/run1/best.pt", "/ck/run1")
    assert not rp.inside_run("/ck/run2/best.pt", "/ck/run1")
    assert not rp.inside_run(None, "/ck/run1")
