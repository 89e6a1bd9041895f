"""The Runs and Train pages survive damaged run folders written by hand or by a crash:
a metrics.jsonl that is not UTF-8, a status.json whose ``best`` is not an object, a config.json
that is not an object. One message or a blank, never a traceback."""
from __future__ import annotations

import json

import pytest
from app_support import app

DAMAGE = {
    "binary-metrics": ((b'{"kind": "train", "epoch": 1, "step": 1, "loss": 5.0}\n\xff\xfe\x00garbage\x80\n'
                        b'{"kind": "eval", "epoch": 1, "step": 1, "hit@20": 3.0, "mrr@20": 1.0}\n'),
                       {"state": "finished", "best": {"hit@20": 3.0, "mrr@20": 1.0}}, {"model": "fgnn"}),
    "best-a-list": (b"", {"state": "finished", "best": [1, 2, 3]}, {"model": "fgnn"}),
    "best-a-string": (b"", {"state": "finished", "best": "great"}, {"model": "pop"}),
    "best-bad-values": (b"", {"state": "finished", "best": {"hit@20": "x", "mrr@20": None, "hit@5": True}},
                        {"model": "fgnn"}),
    "config-a-list": (b"", {"state": "finished", "best": {"hit@20": 2.0}}, [1, 2]),
    "metrics-odd-rows": ((b'{"kind": "train", "epoch": "one", "step": "x", "loss": "high"}\n[1, 2]\n"text"\n'
                          b'{"kind": "eval", "epoch": 1, "step": 2, "hit@20": "n/a"}\n'),
                         {"state": "finished"}, {"model": "fgnn"}),
}


@pytest.fixture
def damaged(root):
    for name, (metrics, status, config) in DAMAGE.items():
        run = root / name
        run.mkdir()
        (run / "metrics.jsonl").write_bytes(metrics)
        (run / "status.json").write_text(json.dumps(status))
        (run / "config.json").write_text(json.dumps(config))
    return root


def test_runs_page_lists_and_opens_damaged_runs(damaged):
    at = app("pages/4_Runs.py", top_k=20)
    assert not at.exception, [e.value for e in at.exception]
    listed = set(at.dataframe[0].value["run"]) | set(at.dataframe[1].value["run"])
    assert set(DAMAGE) <= listed
    table = at.dataframe[0].value.set_index("run")
    assert table.loc["binary-metrics", "HR@20"] == "3.00"  # the readable rows still count
    for name in DAMAGE:
        at.selectbox(key="runs_selected").set_value(name).run()
        at.multiselect(key="runs_overlay").set_value([name, "fgnn-sample"]).run()
        assert not at.exception, (name, [e.value for e in at.exception])


def test_train_page_watches_damaged_runs(damaged):
    for name in DAMAGE:
        at = app("pages/3_Train.py", train_watch=str(damaged / name))
        assert not at.exception, (name, [e.value for e in at.exception])


def test_graph_construction_with_600_distinct_ids_gives_a_message(root):
    at = app("pages/2_Graph_construction.py")
    at.radio(key="construction_source").set_value("Type a sequence").run()
    at.text_input(key="construction_text").set_value(", ".join(str(10**6 + i) for i in range(600))).run()
    assert not at.exception, [e.value for e in at.exception]
    assert any("600 clicks" in e.value and "at most 200" in e.value for e in at.error)
