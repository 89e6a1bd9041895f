"""A checkpoint names its dataset with a DatasetSpec and its fingerprint; the checkpoints to compare
with are those of the same data (the fingerprint), for a log given by path as for the bundled
sample, and checkpoints written before (``{name, fingerprint, n_items}``) still load, check and compare."""
from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest
import torch

from fgnn.app.builder import comparison_checkpoints
from fgnn.data.spec import DatasetSpec
from fgnn.models.checkpoint import (
    check_dataset,
    checkpoint_dataset_spec,
    load_checkpoint,
    load_model,
    stored_fingerprint,
)
from fgnn.runs.folders import list_runs
from fgnn.training.config import TrainConfig
from fgnn.training.loop import train

REPO = Path(__file__).resolve().parents[2]
SAMPLE = REPO / "fgnn" / "data" / "bundled" / "diginetica-sample" / "train-item-views.csv"
SHIPPED = REPO / "checkpoints"

pytestmark = pytest.mark.usefixtures("private_cache")

# a run of a few seconds (tests/runs/test_runs.py TINY)
TINY = {"epochs": 1, "max_train_pairs": 60, "max_test_pairs": 30, "batch_size": 20, "log_every": 1,
        "num_threads": 1, "device": "cpu"}
NETWORK = {"hidden_size": 16}


def _train(spec: DatasetSpec, model: str, run_dir: Path, **params) -> Path:
    cfg = TrainConfig(data=spec, model=model, model_params=params, **TINY)
    status = train(cfg, run_dir, progress=False)
    assert status["state"] == "finished", status
    return run_dir / "best.pt"


@pytest.fixture
def clicks_csv(tmp_path) -> Path:
    """The bundled sample as a user's comma-separated click log with its own column names."""
    path = tmp_path / "data" / "clicks.csv"
    path.parent.mkdir()
    log = pd.read_csv(SAMPLE, sep=";")
    log.rename(columns={"session_id": "visit", "item_id": "product", "eventdate": "day"}).to_csv(path, index=False)
    return path


def test_a_run_on_a_log_given_by_path_is_offered_the_other_checkpoint_of_that_log(tmp_path, clicks_csv):
    root = tmp_path / "checkpoints"
    spec = DatasetSpec(str(clicks_csv), "csv", session_col="visit", item_col="product", time_col="day")
    fgnn = _train(spec, "fgnn", root / "fgnn-clicks", **NETWORK)
    srgnn = _train(spec, "srgnn", root / "srgnn-clicks", **NETWORK)
    pop = _train(spec, "pop", root / "pop-clicks")
    # the same log prepared otherwise is other data: another fingerprint, never offered
    other = _train(spec.with_options(test_days=3), "srgnn", root / "srgnn-clicks-3d", **NETWORK)

    ckpt = load_checkpoint(fgnn)
    record = ckpt["dataset"]
    assert record["source"] == str(clicks_csv) and record["name"] == "clicks"  # the path, and the name it is shown by
    assert {k: v for k, v in record.items() if k not in ("name", "fingerprint", "n_items")} == spec.to_dict()
    assert checkpoint_dataset_spec(ckpt) == spec
    assert record["fingerprint"] == stored_fingerprint(srgnn) != stored_fingerprint(other)

    runs = list_runs(root)
    # what the Session builder passes: the checkpoint's model and its dataset's name
    assert comparison_checkpoints(fgnn, "fgnn", None, runs) == [srgnn]
    assert comparison_checkpoints(fgnn, "fgnn", None, runs, neural_only=False) == [srgnn, pop]
    assert comparison_checkpoints(srgnn, "srgnn", None, runs) == [fgnn]
    assert comparison_checkpoints(other, "srgnn", None, runs) == []
    model, _ = load_model(fgnn, spec.load())  # it loads and checks against its dataset
    assert model.name == "fgnn"


def test_a_checkpoint_written_before_the_spec_loads_checks_and_compares(tmp_path, sample):
    """The shipped checkpoints hold ``{name, fingerprint, n_items}`` as their dataset (never re-saved)."""
    root = tmp_path / "checkpoints"
    for name in ("fgnn-sample", "srgnn-sample"):
        shutil.copytree(SHIPPED / name, root / name, ignore=shutil.ignore_patterns("inspect-cache"))
    old = root / "fgnn-sample" / "best.pt"
    ckpt = torch.load(old, weights_only=True)
    assert set(ckpt["dataset"]) == {"name", "fingerprint", "n_items"}  # the old layout

    ckpt = load_checkpoint(old)
    assert check_dataset(ckpt, sample, old) == []
    assert checkpoint_dataset_spec(ckpt) == DatasetSpec("diginetica-sample")
    model, _ = load_model(old, sample)
    assert model.name == "fgnn"

    # a new-layout run on the same data is offered beside the old ones, and they beside it
    new = _train(DatasetSpec("diginetica-sample"), "srgnn", root / "srgnn-new", **NETWORK)
    assert set(load_checkpoint(new)["dataset"]) == {"source", "name", "fingerprint", "n_items"}
    runs = list_runs(root)
    offered = comparison_checkpoints(old, "fgnn", None, runs)
    assert set(offered) == {root / "srgnn-sample" / "best.pt", new}
    assert old in comparison_checkpoints(new, "srgnn", None, runs)


def test_comparison_needs_a_readable_checkpoint_with_a_fingerprint(tmp_path, sample):
    root = tmp_path / "checkpoints"
    shutil.copytree(SHIPPED / "srgnn-sample", root / "srgnn-sample", ignore=shutil.ignore_patterns("inspect-cache"))
    broken = root / "broken"
    shutil.copytree(SHIPPED / "srgnn-sample", broken, ignore=shutil.ignore_patterns("inspect-cache"))
    (broken / "best.pt").write_bytes(b"not a checkpoint")
    runs = list_runs(root)
    assert stored_fingerprint(broken / "best.pt") is None and stored_fingerprint(tmp_path / "none.pt") is None
    # a current checkpoint that records no fingerprint: the dataset it is shown with says which data
    assert comparison_checkpoints(broken / "best.pt", "srgnn", sample, runs) == [root / "srgnn-sample" / "best.pt"]
    assert comparison_checkpoints(broken / "best.pt", "srgnn", None, runs) == []
