"""Run folders that defend themselves (docs/run-folders.md): a diverged run fails
and saves nothing non-finite; a folder holding a run is rewritten only by --resume of the same
configuration; one writer at a time (an OS lock naming its holder); the best figures come from
best.pt, not from status.json; a file, read-only or full folder gets a message and leaves no
temporary file; --resume without last.pt says so."""
import errno
import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch

import fgnn.models.checkpoint as checkpoint_module
import fgnn.training.loop as train_module
from fgnn.data.spec import DatasetSpec
from fgnn.errors import RunFolderError
from fgnn.models.checkpoint import load_checkpoint, save_checkpoint
from fgnn.runs.folders import read_status
from fgnn.runs.guard import RunLock, TrainingDiverged, config_differences, lock_holder
from fgnn.training.config import TrainConfig
from fgnn.training.loop import train

REPO = Path(__file__).resolve().parents[2]


pytestmark = pytest.mark.usefixtures("private_cache")


def small_config(**kw):
    base = {"model": "fgnn", "epochs": 1, "batch_size": 50, "model_params": {"hidden_size": 16, "heads": 2}, "log_every": 50,
                "num_threads": 1, "max_test_pairs": 30}
    base.update(kw)
    return TrainConfig(**base)


def _cli(*args):
    env = dict(os.environ, PYTHONPATH=str(REPO))
    return subprocess.run([sys.executable, "-m", "fgnn", *args], check=False, capture_output=True, text=True, cwd=REPO, env=env,
                          timeout=300)


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _snapshot(run: Path) -> dict:
    return {p.name: _digest(p) for p in sorted(run.iterdir()) if p.is_file() and p.name != "run.lock"}


# ------------------------------------------------------------------ 1. a non-finite loss fails the run
def test_huge_learning_rate_fails_and_writes_no_checkpoint(tmp_path, sample):
    with pytest.raises(TrainingDiverged, match=r"non-finite at step \d+ \(epoch 1\).*lower --lr \(it was 1e\+09\)"):
        train(small_config(lr=1e9), tmp_path, progress=False, dataset=sample)
    status = read_status(tmp_path)
    assert status["state"] == "failed" and "diverged" in status["error"]
    assert not (tmp_path / "best.pt").exists() and not (tmp_path / "last.pt").exists()
    assert not list(tmp_path.glob("*.tmp*"))


def test_nan_batch_in_a_later_epoch_names_its_step_and_keeps_the_finite_checkpoints(tmp_path, sample, monkeypatch):
    """Epoch 1 is fine; batch 3 of epoch 2 (step 7 of 4 per epoch) gives NaN: the run fails naming step 7,
    best.pt and last.pt stay those of epoch 1 and hold only finite numbers."""
    calls = {"n": 0}
    real = train_module.F.cross_entropy

    def poisoned(*args, **kw):
        calls["n"] += 1
        loss = real(*args, **kw)
        return loss * float("nan") if calls["n"] == 7 else loss

    monkeypatch.setattr(train_module.F, "cross_entropy", poisoned)
    cfg = small_config(epochs=3, max_train_pairs=200)  # 4 batches of 50 per epoch
    with pytest.raises(TrainingDiverged, match=r"non-finite at step 7 \(epoch 2\)"):
        train(cfg, tmp_path, progress=False, dataset=sample)
    assert read_status(tmp_path)["state"] == "failed"
    for name in ("best.pt", "last.pt"):
        ckpt = load_checkpoint(tmp_path / name)
        assert ckpt["epoch"] == 1
        assert all(torch.isfinite(t).all() for t in ckpt["state_dict"].values() if t.is_floating_point())


def test_cli_train_with_huge_lr_ends_failed(tmp_path):
    run = tmp_path / "run"
    r = _cli("train", "--model", "fgnn", "--epochs", "1", "--hidden-size", "16", "--heads", "2", "--lr", "1e9",
             "--max-test-pairs", "30", "--threads", "1", "--quiet", "--run-dir", str(run))
    assert r.returncode == 1, r.stderr
    assert "diverged" in r.stderr and "Traceback" not in r.stderr
    assert read_status(run)["state"] == "failed" and not (run / "best.pt").exists()


# ------------------------------------------------------------------ 3. a run folder is rewritten only by resume
def test_config_run_into_a_finished_run_is_refused(tmp_path):
    run = tmp_path / "run"
    assert _cli("train", "--model", "pop", "--run-dir", str(run), "--quiet").returncode == 0
    before = _snapshot(run)
    cfg = tmp_path / "other.json"
    cfg.write_text(json.dumps({"model": "markov"}))
    r = _cli("train", "--config", str(cfg), "--run-dir", str(run), "--quiet")
    assert r.returncode == 2 and "already holds a run (finished)" in r.stderr
    assert len(r.stderr.strip().splitlines()) == 1
    assert _snapshot(run) == before


def test_resume_with_another_model_or_dataset_is_refused_before_anything_is_written(tmp_path, sample):
    train(small_config(), tmp_path, progress=False, dataset=sample)
    before = _snapshot(tmp_path)
    with pytest.raises(RunFolderError, match=r"another configuration \(model \"fgnn\" there, \"srgnn\" now"):
        train(small_config(model="srgnn", model_params={"hidden_size": 16}), tmp_path, resume=True,
              progress=False, dataset=sample)
    with pytest.raises(RunFolderError, match=r"dataset \"diginetica-sample\" there, \"other.csv\" now"):
        train(small_config(data=DatasetSpec("other.csv")), tmp_path, resume=True, progress=False, dataset=sample)
    with pytest.raises(RunFolderError, match="lr 0.001 there, 0.01 now"):
        train(small_config(lr=0.01), tmp_path, resume=True, progress=False, dataset=sample)
    assert _snapshot(tmp_path) == before
    assert read_status(tmp_path)["state"] == "finished"
    # what may change: epochs, threads, device, ...
    status = train(small_config(epochs=2, num_threads=2, eval_batch_size=7, nproc=1), tmp_path, resume=True,
                   progress=False, dataset=sample)
    assert status["state"] == "finished" and status["epoch"] == 2


def test_config_differences_treats_defaults_and_all_pairs_alike():
    defaults = TrainConfig().to_dict()
    assert config_differences({"model": "fgnn"}, {**defaults, "max_train_pairs": 0, "epochs": 30}, defaults) == []
    assert config_differences({"ks": [20, 10]}, {**defaults, "ks": [10, 20]}, defaults) == []
    assert config_differences({"seed": 1}, defaults, defaults) == ["seed 1 there, 0 now"]


def test_resume_without_last_pt_says_so(tmp_path, sample):
    with pytest.raises(RunFolderError, match=r"has no last.pt to resume from \(it holds no run\)"):
        train(small_config(), tmp_path / "empty", resume=True, progress=False, dataset=sample)
    assert not (tmp_path / "empty" / "status.json").exists()


# ------------------------------------------------------------------ 4. one writer at a time
def test_second_writer_is_refused_naming_the_holder(tmp_path, sample):
    train(small_config(), tmp_path, progress=False, dataset=sample)
    assert lock_holder(tmp_path) is None  # released when the run ended
    before = _snapshot(tmp_path)
    held = RunLock(tmp_path).acquire()  # another writer (flock: a second open file conflicts)
    try:
        holder = lock_holder(tmp_path)
        assert holder["pid"] == os.getpid() and holder["host"]
        with pytest.raises(RunFolderError, match=rf"in use by pid {os.getpid()} on host .+ \(since \d{{4}}-"):
            train(small_config(epochs=2), tmp_path, resume=True, progress=False, dataset=sample)
        assert _snapshot(tmp_path) == before
    finally:
        held.release()
    assert train(small_config(epochs=2), tmp_path, resume=True, progress=False, dataset=sample)["epoch"] == 2


def test_cli_second_resume_while_one_runs_is_refused(tmp_path):
    run = tmp_path / "run"
    assert _cli("train", "--model", "pop", "--run-dir", str(run), "--quiet").returncode == 0
    holder = subprocess.Popen([sys.executable, "-c", ("import sys, time; from fgnn.runs.guard import RunLock; "
                               f"RunLock({str(run)!r}).acquire(); print('locked', flush=True); time.sleep(60)")],
                              cwd=REPO, stdout=subprocess.PIPE, text=True, env=dict(os.environ, PYTHONPATH=str(REPO)))
    try:
        assert holder.stdout.readline().strip() == "locked"
        r = _cli("train", "--model", "pop", "--run-dir", str(run), "--resume", "--quiet")
        assert r.returncode == 2 and f"is in use by pid {holder.pid}" in r.stderr
    finally:
        holder.kill()
        holder.wait()


# ------------------------------------------------------------------ 5. the best figures live in best.pt
def test_resume_compares_against_best_pt_not_a_corrupt_status(tmp_path, sample):
    train(small_config(), tmp_path, progress=False, dataset=sample)
    best = load_checkpoint(tmp_path / "best.pt")
    best["metrics"] = {**best["metrics"], "hit@20": 100.0}  # a better best than any next epoch reaches
    save_checkpoint(best, tmp_path / "best.pt")
    kept = _digest(tmp_path / "best.pt")
    (tmp_path / "status.json").write_text("{ not json")
    status = train(small_config(epochs=2), tmp_path, resume=True, progress=False, dataset=sample)
    assert status["state"] == "finished" and status["epoch"] == 2
    assert _digest(tmp_path / "best.pt") == kept
    assert status["best"]["hit@20"] == 100.0 and status["best"]["epoch"] == 1


# ------------------------------------------------------------------ run folder: a file, read-only, full
def test_run_folder_that_is_a_file(tmp_path):
    f = tmp_path / "run"
    f.write_text("x")
    r = _cli("train", "--model", "pop", "--run-dir", str(f), "--quiet")
    assert r.returncode == 2 and "is a file, not a folder" in r.stderr and "Traceback" not in r.stderr


def test_read_only_run_folder(tmp_path, sample, monkeypatch):
    run = tmp_path / "ro"
    run.mkdir()
    run.chmod(0o555)
    if os.geteuid() == 0:  # root writes anywhere: refuse writes under this folder as the OS would
        real_open = os.open

        def refusing_open(path, flags, *a, **kw):
            if str(path).startswith(str(run)) and flags & (os.O_WRONLY | os.O_RDWR | os.O_CREAT):
                raise PermissionError(errno.EACCES, "Permission denied", str(path))
            return real_open(path, flags, *a, **kw)

        monkeypatch.setattr(os, "open", refusing_open)
    try:
        with pytest.raises(RunFolderError, match=r"cannot write to run folder .*ro \(run.lock\): Permission denied"):
            train(small_config(), run, progress=False, dataset=sample)
    finally:
        run.chmod(0o755)
    assert list(run.iterdir()) == []


def test_full_disk_while_saving_fails_the_run_and_leaves_no_temporary_file(tmp_path, sample, monkeypatch):
    real_save = torch.save

    def full_disk(obj, f, *a, **kw):
        f.write(b"half a checkpoint")  # (an open file: fgnn.atomic hands torch.save the temporary file)
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(checkpoint_module.torch, "save", full_disk)
    with pytest.raises(RunFolderError, match=r"No space left on device \(about .* needed, .* free\); free some "
                                             r"space, then run the same command again without --resume"):
        train(small_config(), tmp_path, progress=False, dataset=sample)
    monkeypatch.setattr(checkpoint_module.torch, "save", real_save)
    status = read_status(tmp_path)
    assert status["state"] == "failed" and "No space left on device" in status["error"]
    assert not list(tmp_path.glob("*.tmp*")) and not (tmp_path / "best.pt").exists()


def test_run_cancelled_before_its_first_batch_resumes_from_the_beginning(tmp_path, sample, monkeypatch):
    import fgnn.training.loop as tm

    with monkeypatch.context() as m:  # a STOP seen right after the data loaded
        m.setattr(tm._StopFlag, "check", lambda self, *a: (_ for _ in ()).throw(KeyboardInterrupt("STOP")))
        with pytest.raises(KeyboardInterrupt):
            train(small_config(), tmp_path, progress=False, dataset=sample)
    assert read_status(tmp_path)["state"] == "cancelled" and not (tmp_path / "last.pt").exists()
    status = train(small_config(), tmp_path, resume=True, progress=False, dataset=sample)
    assert status["state"] == "finished" and (tmp_path / "best.pt").is_file()


def test_the_finite_check_reads_back_only_at_log_points_and_epoch_ends(tmp_path, sample, monkeypatch):
    """The per-batch part (watch) stays on the device; the read-back (check, a host sync) runs once
    every log_every batches and once at the end of each epoch, not per batch."""
    checks = []
    real = train_module.FiniteLossGuard.check
    monkeypatch.setattr(train_module.FiniteLossGuard, "check", lambda self, *a: checks.append(a[0]) or real(self, *a))
    status = train(small_config(epochs=2, max_train_pairs=500, log_every=4), tmp_path, progress=False, dataset=sample)
    assert status["steps_per_epoch"] == 10
    # steps 4, 8 and the end of epoch 1; steps 12, 16, 20 and the end of epoch 2 (20 batches in all)
    assert checks == [1, 1, 1, 2, 2, 2, 2]


def test_a_bug_in_building_the_model_is_a_bug_not_a_data_error(tmp_path, sample, monkeypatch):
    """The config is validated before the model is built, so a ValueError from building it is a bug:
    it is raised as itself (a traceback, not a one-line user error) and status.json names its type."""
    def broken(*args, **kw):
        raise ValueError("a bug in a model constructor")

    monkeypatch.setattr(train_module, "build_model", broken)
    with pytest.raises(ValueError, match="a bug in a model constructor") as raised:
        train(small_config(), tmp_path, progress=False, dataset=sample)
    assert not isinstance(raised.value, train_module.DataError)
    status = read_status(tmp_path)
    assert status["state"] == "failed" and status["error"] == "ValueError: a bug in a model constructor"


def test_a_cancel_that_some_code_wrapped_is_recorded_as_cancelled(tmp_path):
    """SIGTERM before the training loop raises KeyboardInterrupt wherever the process is; raised
    while a class is defined (a lazy import of torch._dynamo), Python reports a RuntimeError caused
    by it, and the run was recorded as failed (seen in a full test run). It is a cancel."""
    from fgnn.runs.folders import RunStatus, read_json
    from fgnn.training import distributed
    from fgnn.training.loop import _record_failure, _StopFlag

    def wrapped_interrupt():
        try:
            raise KeyboardInterrupt("cancelled (SIGTERM)")
        except KeyboardInterrupt as interrupt:
            raise RuntimeError("Error calling __set_name__ on 'cached_property' instance") from interrupt

    try:
        wrapped_interrupt()
    except RuntimeError as exc:
        status = RunStatus(tmp_path, {"state": "running"})
        recorded = _record_failure(exc, status, _StopFlag(tmp_path), distributed.Context())
    assert isinstance(recorded, KeyboardInterrupt)
    saved = read_json(tmp_path / "status.json")
    assert saved["state"] == "cancelled" and saved["error"] is None
    # a real failure stays a failure
    status = RunStatus(tmp_path, {"state": "running"})
    plain = _record_failure(RuntimeError("boom"), status, _StopFlag(tmp_path), distributed.Context())
    assert isinstance(plain, RuntimeError) and read_json(tmp_path / "status.json")["state"] == "failed"
