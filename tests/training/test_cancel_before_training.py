"""A cancel while the data loads or a baseline is fitted: SIGTERM and a STOP
file are honoured there too, and a dataset that is a FIFO fails at once instead of hanging."""
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

import fgnn.training.loop as train_module
from fgnn.runs.folders import read_status
from fgnn.training.config import TrainConfig
from fgnn.training.loop import train

REPO = Path(__file__).resolve().parents[2]


pytestmark = pytest.mark.usefixtures("private_cache")


def _loading_that_takes_long(request_stop, finished: list):
    """load_training_data standing in for a dataset that takes minutes to load; appends to
    ``finished`` if the loading ran to its end (the cancel was not honoured while loading)."""
    def load(cfg):
        request_stop()
        for _ in range(3000):  # pure Python work, as pandas parsing between C calls
            time.sleep(0.01)
        finished.append("loading")
        pytest.fail("the cancel was not honoured while loading")
    return load


def test_sigterm_while_the_dataset_loads_cancels_at_once(tmp_path, monkeypatch):
    finished = []
    monkeypatch.setattr(train_module, "load_training_data",
                        _loading_that_takes_long(lambda: os.kill(os.getpid(), signal.SIGTERM), finished))
    with pytest.raises(KeyboardInterrupt):
        train(TrainConfig(model="pop"), tmp_path, progress=False)
    assert finished == []  # the loading was interrupted, not waited for
    status = read_status(tmp_path)
    assert status["state"] == "cancelled" and not (tmp_path / "best.pt").exists()
    assert signal.getsignal(signal.SIGTERM) is not None  # the previous handler is back


def test_stop_file_written_while_the_dataset_loads_cancels(tmp_path, monkeypatch, ds):
    def load(cfg):
        (tmp_path / "STOP").touch()
        return ds
    monkeypatch.setattr(train_module, "load_training_data", load)
    with pytest.raises(KeyboardInterrupt):
        train(TrainConfig(model="vsknn"), tmp_path, progress=False)
    assert read_status(tmp_path)["state"] == "cancelled" and not (tmp_path / "best.pt").exists()


def test_sigterm_while_a_baseline_is_fitted_cancels(tmp_path, monkeypatch, ds):
    from fgnn.models import baselines

    real_fit = baselines.VSKNN.fit
    fits_ended = []

    def slow_fit(self, dataset):
        os.kill(os.getpid(), signal.SIGTERM)
        time.sleep(30)
        fits_ended.append(True)
        return real_fit(self, dataset)
    monkeypatch.setattr(baselines.VSKNN, "fit", slow_fit)
    with pytest.raises(KeyboardInterrupt):
        train(TrainConfig(model="vsknn"), tmp_path, progress=False, dataset=ds)
    assert fits_ended == []  # the fit was interrupted, not waited for
    assert read_status(tmp_path)["state"] == "cancelled"


def test_training_on_a_fifo_fails_at_once_with_a_message(tmp_path):
    fifo = tmp_path / "clicks.csv"
    os.mkfifo(fifo)
    run = tmp_path / "run"
    env = dict(os.environ, PYTHONPATH=str(REPO))
    r = subprocess.run([sys.executable, "-m", "fgnn", "train", "--dataset", str(fifo), "--model", "pop",
                        "--run-dir", str(run)], capture_output=True, text=True, cwd=REPO, env=env, timeout=120,
                       check=False)
    assert r.returncode != 0 and "FIFO" in r.stderr and "Traceback" not in r.stderr, r.stderr
    status = json.loads((run / "status.json").read_text())
    assert status["state"] == "failed" and "not a regular file" in status["error"]
