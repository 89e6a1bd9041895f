"""The two worked examples of docs/own-model.md, installed as packages through the entry point
``fgnn.models`` (requirements-dev.txt installs them): GC-SAN (a graph model) and NARM (a sequence
model), each through the command line."""
from __future__ import annotations

import json
import math

import pytest
import torch
from plugin_support import ITEM, SESSION, fgnn, ok, train_evaluate_predict_explain

from fgnn.models import model_names, model_spec

pytestmark = pytest.mark.slow


def _installed(name: str) -> None:
    if name not in model_names():
        pytest.fail(f"the example plugin '{name}' is not installed: pip install -r requirements-dev.txt", pytrace=False)


@pytest.mark.parametrize("model, package", [("gcsan", "fgnn-gcsan"), ("narm", "fgnn-narm")])
def test_example_plugin_through_the_cli(model, package, tmp_path):
    _installed(model)
    spec = model_spec(model)
    assert spec.kind == "neural" and spec.plugin["package"] == package
    out = train_evaluate_predict_explain(model, tmp_path / model, None, "--hidden-size", 16)
    ckpt = torch.load(out["checkpoint"], weights_only=True)
    assert ckpt["model_name"] == model
    assert ckpt["plugin"] == {"name": model, "class": spec.class_path, "package": package, "version": "0.1.0"}
    assert ckpt["model_config"]["hidden_size"] == 16
    assert len(out["predict"]["topk"]) == 5
    ig = out["explain"]
    assert ig["method"] == "ig" and ig["item"] == int(ITEM)
    assert {n["item"] for n in ig["nodes"]} == {int(i) for i in SESSION}
    assert all(n["attribution"] is not None and math.isfinite(n["attribution"]) for n in ig["nodes"])
    # both examples return attention (readout over the nodes), GC-SAN is also explained by GNNExplainer
    ok(fgnn("explain", "--checkpoint", out["checkpoint"], "--session", *SESSION, "--item", ITEM,
            "--method", "attention", "--json"))
    gnn = fgnn("explain", "--checkpoint", out["checkpoint"], "--session", *SESSION, "--item", ITEM,
               "--method", "gnnexplainer", "--epochs", 3, "--json")
    if model == "gcsan":
        ok(gnn)
    else:  # a sequence model has no graph to mask
        assert gnn.returncode == 2 and "cannot be explained by 'gnnexplainer'" in gnn.stderr


def test_example_graph_plugin_trains_on_two_processes(tmp_path):
    """``--nproc 2`` (data-parallel, docs/distributed.md) trains a plugin like a built-in model: the
    run finishes and records its world size."""
    _installed("gcsan")
    run = tmp_path / "gcsan-ddp"
    ok(fgnn("train", "--model", "gcsan", "--dataset", "diginetica-sample", "--epochs", 1, "--max-train-pairs", 300,
            "--batch-size", 50, "--hidden-size", 16, "--nproc", 2, "--run-dir", run, "--quiet"))
    status = json.loads((run / "status.json").read_text())
    assert status["state"] == "finished" and json.loads((run / "config.json").read_text())["nproc"] == 2
    assert torch.load(run / "best.pt", weights_only=True)["model_name"] == "gcsan"
