"""Data-parallel training on CPU with 2 gloo processes (fgnn.training.distributed, docs/distributed.md).

Every run here is a real `fgnn train --nproc 2` (torchrun's elastic agent) or `torchrun`, on the
bundled sample with SR-GNN: SR-GNN has no dropout, so two processes must give the weights of one
process with the same seed and global batch (FGNN's dropout draws differ per process by design).
"""
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch

from fgnn.cli import main as cli_main
from fgnn.data.registry import load_dataset
from fgnn.data.sessions import shard_index
from fgnn.data.spec import DatasetSpec
from fgnn.evaluation.evaluate import rank_targets
from fgnn.evaluation.metrics import summarize
from fgnn.models.checkpoint import load_checkpoint, load_model
from fgnn.runs.folders import read_json, read_metrics, read_status
from fgnn.training.config import TrainConfig
from fgnn.training.distributed import Context, eval_index, process_choices, shard_sizes
from fgnn.training.loop import train

REPO = Path(__file__).resolve().parents[2]
# the command: 2 epochs of SR-GNN on the sample (13 batches of 100; the last has 5 pairs,
# split 3 / 2, so the loss weighting of uneven shards is exercised)
COMMON = ["--dataset", "diginetica-sample", "--model", "srgnn", "--epochs", "2", "--device", "cpu",
          "--threads", "1", "--quiet"]


@pytest.fixture(scope="module")
def cache(tmp_path_factory):
    path = tmp_path_factory.mktemp("fgnn-cache")
    old = os.environ.get("FGNN_CACHE_DIR")
    os.environ["FGNN_CACHE_DIR"] = str(path)
    yield path
    if old is None:
        os.environ.pop("FGNN_CACHE_DIR", None)
    else:
        os.environ["FGNN_CACHE_DIR"] = old


def env():
    e = dict(os.environ, OMP_NUM_THREADS="1", PYTHONUNBUFFERED="1")
    for key in ("WORLD_SIZE", "RANK", "LOCAL_RANK"):
        e.pop(key, None)
    return e


def fgnn(*args, timeout=240):
    proc = subprocess.run([sys.executable, "-m", "fgnn", *args], cwd=REPO, env=env(), capture_output=True,
                          text=True, timeout=timeout, check=False)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-6000:]
    return proc


@pytest.fixture(scope="module")
def nproc_run(cache, tmp_path_factory):
    run_dir = tmp_path_factory.mktemp("ddp") / "nproc2"
    fgnn("train", *COMMON, "--run-dir", str(run_dir), "--nproc", "2")
    return run_dir


def weights(path):
    return load_checkpoint(path)["state_dict"]


def assert_close(a: dict, b: dict, rel: float):
    assert a.keys() == b.keys()
    for k, value in a.items():
        scale = b[k].abs().max().clamp(min=1e-12)
        assert float((value - b[k]).abs().max() / scale) <= rel, k


def eval_rows(run_dir):
    return {r["epoch"]: r for r in read_metrics(run_dir) if r.get("kind") == "eval"}


def test_shards_are_disjoint_cover_the_batch_and_weights_give_the_global_mean():
    index = torch.arange(7) * 3
    for world in (2, 3, 4):
        parts = [shard_index(index, r, world) for r in range(world)]
        assert torch.equal(torch.cat(parts), index)
        scales = [Context(rank=r, world=world).loss_scale(0, 7, 100) for r in range(world)]
        # sum_r scale_r * mean_r / world == global mean, i.e. scale_r = world * n_r / n
        assert scales == pytest.approx([world * n / 7 for n in shard_sizes(7, world)])
    # a last batch smaller than the world: the empty process repeats one pair with weight 0
    assert shard_sizes(1, 2) == [1, 0]
    assert torch.equal(shard_index(index[:1], 1, 2), index[:1])
    assert Context(rank=1, world=2).loss_scale(0, 1, 100) == 0.0
    # evaluation: batches rank, rank + world, ... of the single-process batching, disjoint and complete
    got = torch.cat([eval_index(1234, 100, r, 3) for r in range(3)]).sort().values
    assert torch.equal(got, torch.arange(1234))
    assert eval_index(1234, 100, 2, 3)[:3].tolist() == [200, 201, 202]
    assert eval_index(50, 100, 1, 2).numel() == 0


def test_train_page_offers_one_process_per_gpu_or_cpu_processes():
    n, why = process_choices("auto", ["NVIDIA H200", "NVIDIA H200"], 16)
    assert n == 2 and "NVIDIA H200, NVIDIA H200" in why and "NCCL" in why
    n, why = process_choices("cpu", ["NVIDIA H200"], 16)
    assert n == 16 and "gloo" in why
    n, why = process_choices("auto", [], 2)
    assert n == 2 and why.startswith("no CUDA GPU here")
    assert process_choices("auto", [], None)[0] == 1


def test_nproc_refuses_baselines_and_more_processes_than_the_batch(cache, tmp_path, capsys):
    assert cli_main(["train", "--model", "pop", "--nproc", "2", "--run-dir", str(tmp_path / "a")]) == 2
    assert "baseline" in capsys.readouterr().err
    assert cli_main(["train", "--model", "srgnn", "--nproc", "4", "--batch-size", "3", "--run-dir",
                     str(tmp_path / "b")]) == 2
    assert "more processes than the global batch" in capsys.readouterr().err
    assert not (tmp_path / "a").exists() and not (tmp_path / "b").exists()


def test_a_dead_rank_of_a_running_run_is_named_by_read_status(tmp_path):
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    (tmp_path / "status.json").write_text(json.dumps({
        "state": "running", "pid": dead.pid, "world_size": 2,
        "processes": [{"rank": 0, "pid": dead.pid, "host": os.uname().nodename},
                      {"rank": 1, "pid": os.getpid(), "host": os.uname().nodename}]}))
    status = read_status(tmp_path)
    assert status["state"] == "failed" and status["lost_rank"] == 0
    assert status["error"].startswith(f"rank 0 (pid {dead.pid}) ended before the run finished")


def test_two_processes_give_the_weights_of_one_with_the_same_global_batch(nproc_run, cache, tmp_path):
    status = read_json(nproc_run / "status.json")
    assert status["state"] == "finished" and status["world_size"] == 2
    assert status["device"].startswith("2 x cpu") and len(status["processes"]) == 2
    assert json.loads((nproc_run / "config.json").read_text())["nproc"] == 2
    single = tmp_path / "single"
    train(TrainConfig(data=DatasetSpec("diginetica-sample"), model="srgnn", epochs=2, device="cpu", num_threads=1), single,
          progress=False)
    # 26 optimizer steps; a checkpoint has no `module.` prefixes
    assert_close(weights(nproc_run / "last.pt"), weights(single / "last.pt"), rel=1e-5)
    assert not any(k.startswith("module.") for k in weights(nproc_run / "best.pt"))
    ddp_loss = [r["train_loss"] for r in eval_rows(nproc_run).values()]
    one_loss = [r["train_loss"] for r in eval_rows(single).values()]
    assert ddp_loss == pytest.approx(one_loss, rel=1e-5)


def test_distributed_evaluation_equals_single_process_exactly(nproc_run, cache, capsys):
    ds = load_dataset("diginetica-sample")
    rows = eval_rows(nproc_run)
    for name in ("best.pt", "last.pt"):
        model, ckpt = load_model(nproc_run / name, ds)
        m = summarize(rank_targets(model, ds.test, batch_size=500), [10, 20])
        row = rows[ckpt["epoch"]]
        assert {k: row[k] for k in m} == m  # exact: same ranks, same summation
    # `fgnn evaluate` on D/best.pt reproduces its eval line of D/metrics.jsonl
    best = load_checkpoint(nproc_run / "best.pt")
    capsys.readouterr()
    assert cli_main(["evaluate", "--checkpoint", str(nproc_run / "best.pt"), "--top-k", "20", "--json"]) == 0
    got = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert {k: got[k] for k in ("hit@20", "mrr@20", "ndcg@20")} == {
        k: rows[best["epoch"]][k] for k in ("hit@20", "mrr@20", "ndcg@20")}
    assert best["epoch"] == read_json(nproc_run / "status.json")["best"]["epoch"]


def test_torchrun_runs_the_same_training(nproc_run, cache, tmp_path):
    run_dir = tmp_path / "torchrun"
    proc = subprocess.run([sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc-per-node", "2",
                           "-m", "fgnn", "train", *COMMON, "--run-dir", str(run_dir)], cwd=REPO, env=env(),
                          capture_output=True, text=True, timeout=240, check=False)
    assert proc.returncode == 0, proc.stderr[-6000:]
    status = read_json(run_dir / "status.json")
    assert status["state"] == "finished" and status["world_size"] == 2
    a, b = weights(run_dir / "last.pt"), weights(nproc_run / "last.pt")
    assert all(torch.equal(a[k], b[k]) for k in a)  # the same processes doing the same work
    rows = eval_rows(run_dir)
    ev = json.loads(fgnn("evaluate", "--checkpoint", str(run_dir / "last.pt"), "--top-k", "20", "--json")
                    .stdout.strip().splitlines()[-1])
    assert ev["hit@20"] == rows[2]["hit@20"] and ev["mrr@20"] == rows[2]["mrr@20"]


def start(run_dir, *extra):
    return subprocess.Popen([sys.executable, "-m", "fgnn", "train", *COMMON, "--run-dir", str(run_dir),
                             "--nproc", "2", *extra], cwd=REPO, env=env(), stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True)


def wait_for(predicate, timeout, what, poll=0.05):
    deadline = time.time() + timeout
    while time.time() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(poll)
    raise AssertionError(f"timed out waiting for {what}")


def test_stop_then_resume_equals_an_uninterrupted_two_process_run(nproc_run, cache, tmp_path):
    run_dir = tmp_path / "stopped"
    proc = start(run_dir)
    # steps_per_epoch is written just before the first batch: the STOP made now is seen by rank 0
    # at the stop check after batch 10 (or after the epoch) and all-reduced to rank 1
    wait_for(lambda: (read_json(run_dir / "status.json", default={}) or {}).get("steps_per_epoch"), 180,
             "training to start", poll=0.01)
    (run_dir / "STOP").touch()
    out, _ = proc.communicate(timeout=180)
    assert proc.returncode == 0, out[-4000:]
    status = read_json(run_dir / "status.json")
    assert status["state"] == "cancelled", out[-3000:]
    last = load_checkpoint(run_dir / "last.pt")
    assert last["epoch"] < 2 and len(last["rng_states"]) == 2
    assert not last["partial_epoch"] or last["epoch_batches_done"] == 10  # both stopped at the same check
    # a different N works too: positions count global batches (one process here, in this process)
    one = tmp_path / "resumed-alone"
    shutil.copytree(run_dir, one)
    train(TrainConfig(data=DatasetSpec("diginetica-sample"), model="srgnn", epochs=2, device="cpu", num_threads=1), one,
          resume=True, progress=False)
    assert_close(weights(one / "last.pt"), weights(nproc_run / "last.pt"), rel=1e-5)
    fgnn("train", *COMMON, "--run-dir", str(run_dir), "--nproc", "2", "--resume")
    assert read_json(run_dir / "status.json")["state"] == "finished"
    a, b = weights(run_dir / "last.pt"), weights(nproc_run / "last.pt")
    assert_close(a, b, rel=1e-6)
    assert eval_rows(run_dir)[2]["hit@20"] == eval_rows(nproc_run)[2]["hit@20"]


def test_a_killed_process_ends_the_run_failed_naming_its_rank(cache, tmp_path):
    run_dir = tmp_path / "killed"
    proc = start(run_dir, "--epochs", "200")
    def training() -> dict:
        s = read_json(run_dir / "status.json", default={}) or {}
        return s if s.get("processes") and s.get("steps_per_epoch") else {}

    status = wait_for(training, 180, "training to start")
    rank1 = next(p["pid"] for p in status["processes"] if p["rank"] == 1)
    time.sleep(0.5)
    os.kill(rank1, signal.SIGKILL)
    proc.communicate(timeout=60)  # the launcher ends the run (the timeout only guards against a hang)
    assert proc.returncode == 1
    status = read_json(run_dir / "status.json")
    assert status["state"] == "failed" and status["lost_rank"] == 1
    assert f"rank 1 (pid {rank1}) was killed by SIGKILL" in status["error"]
