"""The GPU check script (fgnn.benchmarks.gpu) on its CPU path: every part runs, the report file
is written, numbers are consistent. Speed itself is never asserted."""
import json

import pytest
import torch

from fgnn.benchmarks import gpu
from fgnn.data.registry import load_dataset
from fgnn.models import build_model

pytestmark = pytest.mark.usefixtures("private_cache")


def test_train_epoch_splits_sampled_batches_and_labels_an_extrapolated_epoch():
    ds = load_dataset("diginetica-sample")
    torch.manual_seed(0)
    model = build_model("srgnn", ds.n_items, hidden_size=16)
    r = gpu.train_epoch(model, ds.train, 100, torch.device("cpu"), amp=True, sample_every=2, max_batches=4)
    assert (r["batches_run"], r["examples_run"], r["batches_in_epoch"]) == (4, 400, 13)
    assert r["s_per_epoch_is"] == "extrapolated" and r["stopped_by"] == "max batches"
    assert r["s_per_epoch"] == pytest.approx(len(ds.train) / r["examples_per_s"])
    assert r["sampled_batches"] == 2
    split = r["batch_split_ms"]
    assert all(split[p] > 0 for p in gpu.PHASES)
    assert split["total_synchronised"] == pytest.approx(sum(split[p] for p in gpu.PHASES))
    full = gpu.train_epoch(model, ds.train, 100, torch.device("cpu"), amp=True, sample_every=0)
    assert full["s_per_epoch_is"] == "measured" and full["examples_run"] == len(ds.train)
    assert "batch_split_ms" not in full and full["mean_loss"] > 0


def test_cpu_run_of_the_whole_script_writes_every_part(tmp_path, capsys):
    code = gpu.main(["--dataset", "diginetica-sample", "--device", "cpu", "--max-batches", "3",
                     "--max-eval-pairs", "50", "--roundtrip-pairs", "200", "--out", str(tmp_path), "--json"])
    out = capsys.readouterr().out
    assert code == 0, out
    report = json.loads((tmp_path / "gpu-check.json").read_text())
    parts = report["parts"]
    assert report["failed_parts"] == []
    assert parts["device"]["device"] == "cpu" and parts["dataset"]["train_pairs"] == 1205
    for name in ("srgnn", "fgnn"):
        assert parts[f"train_epoch_{name}"]["batches_run"] == 3
        assert parts[f"evaluate_{name}"]["pairs"] == 50
    rt = parts["round_trip"]
    assert rt["ok"] and rt["evaluate"] == rt["metrics_jsonl"] and len(rt["predict_top5"]) == 5
    assert parts["ddp_2_gpus"]["skipped"].startswith("needs two GPUs")
    assert "[round trip on cpu]" in out and "extrapolated" in out


def test_a_failing_part_is_recorded_and_the_rest_still_runs(tmp_path, capsys):
    code = gpu.main(["--dataset", str(tmp_path / "no-such-data"), "--device", "cpu", "--out", str(tmp_path),
                     "--skip", "round_trip"])
    out = capsys.readouterr().out
    assert code == 1
    report = json.loads((tmp_path / "gpu-check.json").read_text())
    assert report["failed_parts"] == ["dataset"]
    assert "error" in report["parts"]["dataset"] and "round_trip" not in report["parts"]
    assert report["parts"]["ddp_2_gpus"]["skipped"].startswith("needs two GPUs")
    assert "[dataset] FAILED" in out
