"""A run folder that fills up, and the way back (docs/run-folders.md): ENOSPC or EDQUOT while
writing a checkpoint, status.json, metrics.jsonl or TensorBoard events ends the run failed with one
message naming the folder (and the space a checkpoint needs), no traceback, no temporary file; a run
that saved no checkpoint starts again without --resume; orphan temporary files of a killed write go
on the next open; an epoch evaluated twice after a kill reads once."""
from __future__ import annotations

import errno
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from full_disk import fill, grow, small_tmpfs

import fgnn.training.loop as train_module
from fgnn.cli import main as cli
from fgnn.errors import RunFolderError
from fgnn.runs.folders import MetricsWriter, read_metrics, read_status
from fgnn.training.config import TrainConfig
from fgnn.training.loop import train

REPO = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.usefixtures("private_cache")
TRAIN = ["train", "--model", "fgnn", "--epochs", "1", "--batch-size", "50", "--hidden-size", "16", "--heads", "2",
         "--max-test-pairs", "30", "--threads", "1", "--quiet"]


def small_config(**kw):
    base = {"model": "fgnn", "epochs": 1, "batch_size": 50, "model_params": {"hidden_size": 16, "heads": 2},
            "log_every": 10, "num_threads": 1, "max_test_pairs": 30}
    base.update(kw)
    return TrainConfig(**base)


def _cli(*args):
    env = dict(os.environ, PYTHONPATH=str(REPO))
    return subprocess.run([sys.executable, "-m", "fgnn", *args], check=False, capture_output=True, text=True,
                          cwd=REPO, env=env, timeout=300)


def _temporaries(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.glob("*.tmp*"))


# ------------------------------------------------------------------ a real full disk (a small tmpfs)
def test_a_run_on_a_full_disk_fails_with_one_message_and_starts_again(tmp_path, sample):
    sample  # noqa: B018 (the session's prepared sample: the CLI below reads it from the private cache)
    disk = tmp_path / "disk"
    with small_tmpfs(disk, "48k"):  # room for the JSON files, not for the first checkpoint (~45 kB)
        run = disk / "run"
        r = _cli(*TRAIN, "--run-dir", str(run))
        assert r.returncode == 1, r.stderr
        assert "Traceback" not in r.stderr
        errors = [line for line in r.stderr.splitlines() if line.startswith("error:")]
        assert len(errors) == 1 and f"run folder {run}" in errors[0] and "No space left on device" in errors[0]
        assert "kB needed" in errors[0] and "without --resume" in errors[0]
        status = json.loads((run / "status.json").read_text())
        assert status["state"] == "failed" and "No space left on device" in status["error"]
        assert _temporaries(run) == [] and not (run / "best.pt").exists()
        # --resume has nothing to go on from and says what to do instead
        r = _cli(*TRAIN, "--run-dir", str(run), "--resume")
        assert r.returncode == 2 and "start it again without --resume" in r.stderr
        grow(disk, "4m")
        r = _cli(*TRAIN, "--run-dir", str(run))  # the same command, once there is room
        assert r.returncode == 0, r.stderr
        assert read_status(run)["state"] == "finished" and (run / "last.pt").is_file()
        assert [row["epoch"] for row in read_metrics(run) if row["kind"] == "eval"] == [1]


def test_a_full_disk_where_even_status_json_cannot_be_written(tmp_path, sample, monkeypatch, capsys):
    disk = tmp_path / "disk"
    with small_tmpfs(disk, "256k"):
        run = disk / "run"
        real = train_module.NeuralRun.evaluate_and_save

        def fill_then_save(self, *a, **kw):
            fill(disk)  # someone else takes the last byte just before the first checkpoint
            return real(self, *a, **kw)

        monkeypatch.setattr(train_module.NeuralRun, "evaluate_and_save", fill_then_save)
        code = cli([*TRAIN, "--run-dir", str(run)])
        err = capsys.readouterr().err
        assert code == 1 and "Traceback" not in err
        errors = [line for line in err.splitlines() if line.startswith("error:")]
        assert len(errors) == 1 and f"run folder {run}" in errors[0] and "status.json could not record" in errors[0]
        assert _temporaries(run) == []


# ------------------------------------------------------------------ every file of the run, injected
@pytest.mark.parametrize("code", [errno.ENOSPC, errno.EDQUOT])
def test_a_full_checkpoint_write_names_the_folder_and_the_space_needed(tmp_path, sample, monkeypatch, code):
    def full(obj, f, *a, **kw):
        f.write(b"half a checkpoint")
        raise OSError(code, os.strerror(code))

    monkeypatch.setattr(torch, "save", full)
    with pytest.raises(RunFolderError, match=rf"run folder {tmp_path} \(best.pt\): {os.strerror(code)} "
                                             r"\(about [\d.]+ kB needed"):
        train(small_config(), tmp_path, progress=False, dataset=sample)
    status = read_status(tmp_path)
    assert status["state"] == "failed" and os.strerror(code) in status["error"]
    assert _temporaries(tmp_path) == []


def test_a_full_metrics_log_fails_the_run_naming_the_file(tmp_path, sample, monkeypatch, capsys):
    class FullFile:  # the open metrics.jsonl on a disk that has just filled up
        def __init__(self, file):
            self.file = file

        def write(self, data):
            raise OSError(errno.ENOSPC, "No space left on device")

        def __getattr__(self, name):
            return getattr(self.file, name)

    real_init = MetricsWriter.__init__

    def init(self, run_dir):
        real_init(self, run_dir)
        self.file = FullFile(self.file)

    monkeypatch.setattr(MetricsWriter, "__init__", init)
    code = cli([*TRAIN, "--run-dir", str(tmp_path)])
    err = capsys.readouterr().err
    assert code == 1 and "Traceback" not in err
    assert f"run folder {tmp_path} (metrics.jsonl): No space left on device" in err
    assert read_status(tmp_path)["state"] == "failed"


def test_full_tensorboard_events_fail_the_run_without_a_traceback(tmp_path, sample, monkeypatch, capsys):
    def full(self, *a, **kw):
        raise OSError(errno.EDQUOT, "Disk quota exceeded")

    from torch.utils.tensorboard import SummaryWriter

    monkeypatch.setattr(SummaryWriter, "flush", full)
    monkeypatch.setattr(SummaryWriter, "close", full)
    code = cli([*TRAIN, "--run-dir", str(tmp_path)])
    err = capsys.readouterr().err
    assert code == 1 and "Traceback" not in err
    status = read_status(tmp_path)
    assert status["state"] == "failed" and "Disk quota exceeded" in status["error"]
    assert "TensorBoard events" in status["error"]


# ------------------------------------------------------------------ recovery that does not loop
def _killed_before_its_first_checkpoint(run: Path) -> None:
    """What a run killed (SIGKILL) while its first epoch trained leaves: config, a running status
    of a process that is gone, train rows, and a temporary file of a write it never finished."""
    run.mkdir()
    (run / "config.json").write_text(json.dumps(small_config().to_dict()))
    (run / "status.json").write_text(json.dumps({"state": "running", "pid": 2 ** 22 + 12345, "epoch": 0}))
    (run / "metrics.jsonl").write_text(json.dumps({"kind": "train", "epoch": 1, "step": 10, "loss": 9.0}) + "\n")
    (run / f"status.json.tmp{2 ** 22 + 12345}").write_text("{half")


def test_a_run_killed_before_its_first_checkpoint_starts_again_without_resume(tmp_path, sample):
    run = tmp_path / "run"
    _killed_before_its_first_checkpoint(run)
    with pytest.raises(RunFolderError, match="saved no checkpoint.*start it again without --resume"):
        train(small_config(), run, resume=True, progress=False, dataset=sample)
    status = train(small_config(), run, progress=False, dataset=sample)
    assert status["state"] == "finished" and (run / "last.pt").is_file()
    assert _temporaries(run) == []
    assert [r["loss"] for r in read_metrics(run) if r["kind"] == "train"] != [9.0]  # the dead run's rows are gone
    assert all(r.get("loss") != 9.0 for r in read_metrics(run))


def test_a_folder_with_best_pt_but_no_last_pt_is_refused_with_a_way_out(tmp_path, sample):
    run = tmp_path / "run"
    train(small_config(), run, progress=False, dataset=sample)
    (run / "last.pt").unlink()
    status = json.loads((run / "status.json").read_text())
    (run / "status.json").write_text(json.dumps({**status, "state": "failed", "error": "disk full"}))
    with pytest.raises(RunFolderError, match="best.pt but no last.pt"):
        train(small_config(), run, resume=True, progress=False, dataset=sample)
    with pytest.raises(RunFolderError, match="already holds a run"):
        train(small_config(), run, progress=False, dataset=sample)
    assert (run / "best.pt").is_file()


def test_orphan_temporary_files_go_on_the_next_open_and_live_ones_stay(tmp_path, sample):
    run = tmp_path / "run"
    train(small_config(), run, progress=False, dataset=sample)
    dead = 2 ** 22 + 54321
    for name in ("last.pt", "best.pt", "config.json", "status.json"):
        (run / f"{name}.tmp{dead}").write_bytes(b"half")
    live = run / f"last.pt.tmp{os.getppid()}"  # a process that still runs may still be writing it
    live.write_bytes(b"half")
    status = train(small_config(epochs=2), run, resume=True, progress=False, dataset=sample)
    assert status["state"] == "finished"
    assert _temporaries(run) == [live.name]


def test_an_epoch_evaluated_twice_after_a_kill_reads_once_the_last_wins(tmp_path):
    rows = [{"kind": "train", "epoch": 1, "step": 10, "loss": 5.0},
            {"kind": "eval", "epoch": 1, "step": 25, "hit@20": 1.0},
            {"kind": "train", "epoch": 1, "step": 10, "loss": 5.5},  # killed before last.pt: epoch 1 again
            {"kind": "eval", "epoch": 1, "step": 25, "hit@20": 2.0},
            {"kind": "eval", "epoch": 2, "step": 50, "hit@20": 3.0}]
    (tmp_path / "metrics.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    got = read_metrics(tmp_path)
    assert [(r["kind"], r["epoch"], r.get("hit@20", r.get("loss"))) for r in got] == [
        ("train", 1, 5.5), ("eval", 1, 2.0), ("eval", 2, 3.0)]


def test_a_row_after_a_half_written_line_is_kept(tmp_path):
    (tmp_path / "metrics.jsonl").write_text(json.dumps({"kind": "eval", "epoch": 1}) + "\n" + '{"kind": "tr')
    writer = MetricsWriter(tmp_path)
    writer.write({"kind": "eval", "epoch": 2, "hit@20": torch.tensor(1.5).item()})
    writer.close()
    assert [r["epoch"] for r in read_metrics(tmp_path)] == [1, 2]
