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
        epoch = parts[f"train_epoch_{name}"]
        assert epoch["prefetch_depth"] == 2 and 0 <= epoch["loader_wait_ms"] <= epoch["loader_wait_ms_max"]
        assert epoch["loader_wait_share"] == pytest.approx(epoch["loader_wait_ms"] / epoch["batch_ms_unsynchronised_mean"])
    rt = parts["round_trip"]
    assert rt["ok"] and rt["evaluate"] == rt["metrics_jsonl"] and len(rt["predict_top5"]) == 5
    assert parts["ddp_2_gpus"]["skipped"].startswith("needs two GPUs")
    assert "[round trip on cpu]" in out and "extrapolated" in out and "loader wait" in out


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


def test_batches_built_ahead_or_in_the_loop_train_the_same_epoch():
    """--prefetch-depth 0 (every batch built in the loop) and the thread see the same batches in the
    same order: the epoch's losses are equal to the last bit."""
    ds = load_dataset("diginetica-sample")
    runs = {}
    for depth in (0, 2):
        torch.manual_seed(0)
        model = build_model("srgnn", ds.n_items, hidden_size=16)
        runs[depth] = gpu.train_epoch(model, ds.train, 100, torch.device("cpu"), amp=True, sample_every=3,
                                      prefetch_depth=depth)
    assert runs[0]["mean_loss"] == runs[2]["mean_loss"]
    assert runs[0]["batches_run"] == runs[2]["batches_run"] == 13
    assert (runs[0]["prefetch_depth"], runs[2]["prefetch_depth"]) == (0, 2)


def test_the_loop_hardly_waits_for_its_batches_on_full_diginetica():
    """The issue's bar: `python -m fgnn.benchmarks.gpu --device cpu --max-batches 30` reports a
    loader wait of at most 10 % of the mean batch time (SR-GNN, batch 100, full DIGINETICA).

    Why this is not a flaky timing test on a busy 2-core machine: the loader thread builds a batch in
    about 1-2 ms of CPU (5-10 ms when the machine is loaded), while one CPU training step cannot take
    less than the scoring floor, the [100 x 100] x [100 x 43,097] product with its cross-entropy,
    backward and Adam over the 4.3M-value item table: 60-70 ms on a quiet machine, 150+ ms loaded. Load
    slows both alike, so the thread stays ahead by a factor of ten or more. It starts before the five
    warm-up steps (a head start of several steps) and keeps 2 batches ready, so one late batch is
    absorbed by the queue; and most of a step runs in ATen kernels without the GIL, so the thread is
    not locked out by the loop. The first batch is left out of the ratio (with no head start it is
    built while the loop waits). For the loop to wait 10 % of the time the thread would have to be
    descheduled for whole steps at a time, over and over, while the loop itself runs."""
    if not gpu.DEFAULT_DATASET.is_dir():
        pytest.skip(f"{gpu.DEFAULT_DATASET} is absent (the shared data folder ../shared/data is not next to this checkout)")
    ds = load_dataset(str(gpu.DEFAULT_DATASET))
    assert ds.n_items == 43097
    torch.manual_seed(0)
    model = build_model("srgnn", ds.n_items)
    r = gpu.train_epoch(model, ds.train, 100, torch.device("cpu"), amp=True, max_batches=30)
    assert r["batches_run"] == 30 and r["prefetch_depth"] == 2
    assert r["loader_wait_ms_after_first"] <= 0.10 * r["batch_ms_unsynchronised_mean"], r
