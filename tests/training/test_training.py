"""Training on the bundled sample: run folder, reload, resume, cancel, dataset mismatch, CLI."""
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch

from fgnn.errors import CheckpointError
from fgnn.evaluation.evaluate import rank_targets
from fgnn.evaluation.metrics import summarize
from fgnn.models.checkpoint import check_dataset, load_checkpoint, load_model, save_checkpoint
from fgnn.runs.folders import read_metrics, read_status
from fgnn.training.config import TrainConfig
from fgnn.training.loop import train

REPO = Path(__file__).resolve().parents[2]


pytestmark = pytest.mark.usefixtures("private_cache")


def small_config(**kw):
    base = {"model": "fgnn", "epochs": 2, "model_params": {"hidden_size": 32}, "log_every": 5, "num_threads": 1}
    base.update(kw)
    return TrainConfig(**base)


def test_two_epoch_run_writes_the_whole_run_folder(tmp_path, sample):
    status = train(small_config(), tmp_path, progress=False, dataset=sample)
    assert status["state"] == "finished" and status["epoch"] == 2
    for name in ("config.json", "status.json", "metrics.jsonl", "best.pt", "last.pt"):
        assert (tmp_path / name).is_file(), name
    assert list(tmp_path.glob("events.out.tfevents.*")), "TensorBoard events"
    rows = [json.loads(line) for line in (tmp_path / "metrics.jsonl").read_text().splitlines()]
    evals = [r for r in rows if r["kind"] == "eval"]
    assert [r["epoch"] for r in evals] == [1, 2]
    assert all(r["n"] == 99 for r in evals)  # every test prefix of the sample
    assert any(r["kind"] == "train" and "loss" in r for r in rows)
    assert json.loads((tmp_path / "config.json").read_text())["model"] == "fgnn"
    assert read_status(tmp_path)["best"]["hit@20"] == max(r["hit@20"] for r in evals)

    # a checkpoint reloads with weights_only=True and gives identical scores and metrics
    ckpt = torch.load(tmp_path / "last.pt", weights_only=True)
    assert ckpt["epoch"] == 2 and ckpt["n_items"] == sample.n_items
    model, _ = load_model(tmp_path / "last.pt", sample)
    ranks = rank_targets(model, sample.test)
    m = summarize(ranks, [10, 20])
    assert m["hit@20"] == pytest.approx(evals[-1]["hit@20"]) and m["mrr@20"] == pytest.approx(evals[-1]["mrr@20"])
    model2, _ = load_model(tmp_path / "last.pt", sample)
    batch = sample.test.batch(torch.arange(10))
    assert torch.equal(model(batch), model2(batch))


def test_training_is_reproducible_on_cpu(tmp_path, sample):
    a = train(small_config(epochs=1), tmp_path / "a", progress=False, dataset=sample)
    b = train(small_config(epochs=1), tmp_path / "b", progress=False, dataset=sample)
    assert a["best"] == b["best"]
    wa = torch.load(tmp_path / "a" / "last.pt", weights_only=True)["state_dict"]
    wb = torch.load(tmp_path / "b" / "last.pt", weights_only=True)["state_dict"]
    assert all(torch.equal(wa[k], wb[k]) for k in wa)


def test_resume_continues_epochs_and_curve(tmp_path, sample):
    train(small_config(epochs=1), tmp_path, progress=False, dataset=sample)
    status = train(small_config(epochs=3), tmp_path, resume=True, progress=False, dataset=sample)
    assert status["state"] == "finished" and status["epoch"] == 3
    evals = [r for r in read_metrics(tmp_path) if r["kind"] == "eval"]
    assert [r["epoch"] for r in evals] == [1, 2, 3]
    steps = [r["step"] for r in evals]
    assert steps == sorted(steps) and steps[0] > 0
    # resuming 1 -> 3 equals training 3 epochs straight (same seed, same data order per epoch)
    straight = train(small_config(epochs=3), tmp_path / "straight", progress=False, dataset=sample)
    assert straight["last"]["hit@20"] == pytest.approx(status["last"]["hit@20"])
    assert straight["last"]["mrr@20"] == pytest.approx(status["last"]["mrr@20"], abs=1e-4)


def test_cancel_mid_epoch_then_resume_equals_a_straight_run(tmp_path, sample, monkeypatch):
    """A run cancelled after batch 5 of epoch 1 resumes at batch 6 of the same order: no batch is
    trained twice or skipped, and the weights end bit-identical to an uninterrupted run."""
    cfg = {"epochs": 2, "batch_size": 20, "model_params": {"hidden_size": 32, "dropout": 0.2}}
    straight = train(small_config(**cfg), tmp_path / "straight", progress=False, dataset=sample)

    checks = {"n": 0}

    def stop_after_five_batches(self):  # the STOP check runs once per batch
        checks["n"] += 1
        return checks["n"] >= 5

    import fgnn.training.loop as train_module
    with monkeypatch.context() as m:
        m.setattr(train_module._StopFlag, "__bool__", stop_after_five_batches)
        cancelled = train(small_config(**cfg), tmp_path / "resumed", progress=False, dataset=sample)
    assert cancelled["state"] == "cancelled" and cancelled["step"] == 5
    last = torch.load(tmp_path / "resumed" / "last.pt", weights_only=True)
    assert last["partial_epoch"] and last["epoch"] == 0 and last["epoch_batches_done"] == 5

    resumed = train(small_config(**cfg), tmp_path / "resumed", resume=True, progress=False, dataset=sample)
    assert resumed["state"] == "finished" and resumed["step"] == straight["step"]
    a = torch.load(tmp_path / "straight" / "last.pt", weights_only=True)["state_dict"]
    b = torch.load(tmp_path / "resumed" / "last.pt", weights_only=True)["state_dict"]
    assert all(torch.equal(a[k], b[k]) for k in a)
    evals = lambda d: [r for r in read_metrics(d) if r["kind"] == "eval"]
    assert [r["train_loss"] for r in evals(tmp_path / "resumed")] == pytest.approx(
        [r["train_loss"] for r in evals(tmp_path / "straight")], rel=1e-6)
    assert resumed["best"]["hit@20"] == straight["best"]["hit@20"]


def test_baseline_runs_through_train(tmp_path, sample):
    status = train(TrainConfig(model="markov"), tmp_path, progress=False, dataset=sample)
    assert status["state"] == "finished" and status["best"]["n"] == 99
    model, ckpt = load_model(tmp_path / "best.pt", sample)
    assert ckpt["model_name"] == "markov"
    assert summarize(rank_targets(model, sample.test), [20])["hit@20"] == pytest.approx(status["best"]["hit@20"])


def test_checkpoint_for_another_dataset_is_refused(tmp_path, sample):
    train(small_config(epochs=1), tmp_path, progress=False, dataset=sample)
    ckpt = load_checkpoint(tmp_path / "best.pt")
    ckpt["n_items"] = sample.n_items + 5  # a checkpoint of another dataset: its fields agree with each other
    ckpt["model_config"]["n_items"] = sample.n_items + 5
    ckpt["item_ids"] = torch.arange(sample.n_items + 6)
    ckpt["dataset"]["name"] = "other"
    save_checkpoint(ckpt, tmp_path / "other.pt")
    with pytest.raises(CheckpointError, match=r"trained on 'other' with 314 items, but dataset 'diginetica-sample' has 309"):
        load_model(tmp_path / "other.pt", sample)
    ckpt = load_checkpoint(tmp_path / "best.pt")
    ckpt["dataset"]["fingerprint"] = "something-else"
    assert check_dataset(ckpt, sample) and "not exactly this dataset" in check_dataset(ckpt, sample)[0]


def test_corrupted_checkpoints_give_clear_errors(tmp_path):
    bad = tmp_path / "bad.pt"
    bad.write_bytes(b"not a checkpoint at all")
    with pytest.raises(CheckpointError, match="cannot be read"):
        load_checkpoint(bad)
    torch.save({"state_dict": {}}, tmp_path / "foreign.pt")
    with pytest.raises(CheckpointError, match="not a FGNN Studio checkpoint"):
        load_checkpoint(tmp_path / "foreign.pt")
    with pytest.raises(CheckpointError, match="does not exist"):
        load_checkpoint(tmp_path / "missing.pt")


def _cli(*args, **kw):
    env = dict(os.environ, PYTHONPATH=str(REPO))
    return subprocess.run([sys.executable, "-m", "fgnn", *args], check=False, capture_output=True, text=True, cwd=REPO, env=env, **kw)


def test_sigterm_mid_epoch_cancels_and_leaves_a_loadable_checkpoint(tmp_path, sample):
    run = tmp_path / "run"
    env = dict(os.environ, PYTHONPATH=str(REPO))
    proc = subprocess.Popen([sys.executable, "-m", "fgnn", "train", "--dataset", "diginetica-sample", "--model", "fgnn",
                             "--epochs", "50", "--batch-size", "5", "--hidden-size", "16", "--threads", "1",
                             "--run-dir", str(run), "--quiet"], cwd=REPO, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        deadline = time.time() + 90
        while time.time() < deadline:
            st = json.loads((run / "status.json").read_text()) if (run / "status.json").exists() else {}
            if st.get("step", 0) >= 60:  # well inside epoch 1 (241 batches)
                break
            time.sleep(0.2)
        else:
            pytest.fail("training did not start")
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=60)
    finally:
        proc.kill()
    status = read_status(run)
    assert status["state"] == "cancelled"
    ckpt = load_checkpoint(run / "last.pt")
    assert ckpt["partial_epoch"] is True and ckpt["epoch"] == 0
    model, _ = load_model(run / "last.pt", sample)
    assert model(sample.test.batch(torch.arange(3))).shape == (3, sample.n_items)


def test_cli_evaluate_and_predict_json(tmp_path, sample):
    run = tmp_path / "cli"
    r = _cli("train", "--dataset", "diginetica-sample", "--model", "srgnn", "--epochs", "1", "--hidden-size", "16",
             "--run-dir", str(run), "--quiet", "--threads", "1")
    assert r.returncode == 0, r.stderr
    r = _cli("evaluate", "--checkpoint", str(run / "best.pt"), "--json")
    assert r.returncode == 0, r.stderr
    m = json.loads(r.stdout)
    assert set(m) == {"hit@20", "mrr@20", "ndcg@20", "n"} and m["n"] == 99
    assert m["hit@20"] == pytest.approx(read_status(run)["best"]["hit@20"])
    items = sample.item_ids[[1, 2, 1]].tolist()
    r = _cli("predict", "--checkpoint", str(run / "best.pt"), "--session", *map(str, items), "--top-k", "5",
             "--explain", "--json")
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout)
    assert set(out) >= {"topk", "edge_attention", "node_attention"}
    assert len(out["topk"]) == 5 and all(t["item"] in sample.item_ids.tolist() for t in out["topk"])
    assert {n["item"] for n in out["node_attention"]} == set(items)
    r = _cli("predict", "--checkpoint", str(run / "best.pt"), "--session", "999999999")
    assert r.returncode == 2 and "999999999" in r.stderr and "Traceback" not in r.stderr
    r = _cli("evaluate", "--checkpoint", str(tmp_path / "nope.pt"))
    assert r.returncode == 2 and "does not exist" in r.stderr


def test_one_adam_and_one_set_of_defaults_for_training_and_the_bench():
    """`fgnn bench` times the optimizer a run uses (fused Adam, torch has it on CPU too) and, with
    its options left out, the batch sizes and device a run uses."""
    from fgnn.cli import build_parser
    from fgnn.commands.bench import run_defaults
    from fgnn.training.loop import make_optimizer

    opt = make_optimizer(torch.nn.Linear(3, 2), TrainConfig(lr=0.01, weight_decay=0.5))
    assert opt.defaults["fused"] is True and (opt.defaults["lr"], opt.defaults["weight_decay"]) == (0.01, 0.5)
    args = build_parser().parse_args(["bench"])
    run_defaults(args)
    defaults = TrainConfig()
    assert (args.batch_size, args.eval_batch_size, args.device) == (defaults.batch_size, defaults.eval_batch_size,
                                                                    defaults.device)
    args = build_parser().parse_args(["bench", "--batch-size", "7"])
    run_defaults(args)
    assert args.batch_size == 7
