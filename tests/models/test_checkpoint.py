"""Crafted checkpoint fields are refused with one message: in the loader (so pages get a
CheckpointError) and in the CLI's evaluate / predict (exit code 2, no traceback); refusals never
repeat PyTorch's advice to load with weights_only=False."""
import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from fgnn.errors import CheckpointError
from fgnn.models import build_model
from fgnn.models.checkpoint import checkpoint_dict, load_checkpoint, load_model, save_checkpoint

REPO = Path(__file__).resolve().parents[2]


pytestmark = pytest.mark.usefixtures("private_cache")


@pytest.fixture
def good(sample, tmp_path):
    torch.manual_seed(0)
    model = build_model("fgnn", sample.n_items, hidden_size=16, heads=2)
    ckpt = checkpoint_dict(model, sample, epoch=1, metrics={"hit@20": 1.0})
    save_checkpoint(ckpt, tmp_path / "good.pt")
    return ckpt


def _crafted(ckpt, tmp_path, **changes):
    bad = {**ckpt, **changes}
    save_checkpoint(bad, tmp_path / "bad.pt")
    return tmp_path / "bad.pt"


CASES = {
    "version text": ({"version": "abc"}, r"version is 'abc', not a format version"),
    "version zero": ({"version": 0}, r"version is '0', not a format version"),
    "version newer": ({"version": 99}, r"format version 99, newer than this FGNN Studio"),
    "model unknown": ({"model_name": "gpt"}, (r"model 'gpt' is not registered: install its package \(entry point "
                                             r"'fgnn.models'\) or set FGNN_MODELS=module:Class; registered models: fgnn, srgnn")),
    "config not a dict": ({"model_config": [1, 2]}, r"model_config is not a dict"),
    "config huge": ({"model_config": {"n_items": 309, "hidden_size": 10**9}},
                    r"model_config is wrong \(hidden_size must be an integer in \[1, 65536\], got 1000000000\)"),
    "config unknown key": ({"model_config": {"n_items": 309, "bogus": 1}}, r"has no hyperparameter 'bogus'"),
    "dataset not a dict": ({"dataset": "digi"}, r"dataset is not a dict"),
    "dataset fingerprint a number": ({"dataset": {"name": "digi", "fingerprint": 7}},
                                     r"dataset has a fingerprint that is not a string"),
    "dataset spec unknown option": ({"dataset": {"name": "digi", "fingerprint": "f", "source": "digi", "bogus": 1}},
                                    r"dataset is not a dataset specification \(unknown dataset option\(s\) bogus"),
    "item_ids short": ({"item_ids": torch.arange(5)}, r"item_ids is \(5,\), not the 310 int64 ids"),
    "item_ids list": ({"item_ids": [1, 2]}, r"item_ids is list"),
    "n_items negative": ({"n_items": -3}, r"n_items is '-3'"),
    "state_dict not tensors": ({"state_dict": {"a": 1}}, r"state_dict is not a dict of tensors"),
    "train_config a list": ({"train_config": [1]}, r"train_config is not a dict of run settings"),
    "protocol a string": ({"train_config": {"protocol": "x"}}, r"train_config is not a dict of run settings"),
}


@pytest.mark.parametrize("name", list(CASES))
def test_crafted_field_is_refused_by_the_loader(name, good, tmp_path, sample):
    changes, message = CASES[name]
    with pytest.raises(CheckpointError, match=message):
        load_model(_crafted(good, tmp_path, **changes), sample)


def test_config_that_does_not_fit_the_weights_is_refused_without_allocating(good, tmp_path, sample):
    path = _crafted(good, tmp_path, model_config={**good["model_config"], "hidden_size": 60000})
    with pytest.raises(CheckpointError, match=r"does not fit its model 'fgnn': embedding.weight has shape \(\d+, 16\)"):
        load_model(path, sample)  # built for real, 310 x 60000 x (layers) would be gigabytes


def test_good_checkpoint_still_loads(good, tmp_path, sample):
    model, ckpt = load_model(tmp_path / "good.pt", sample)
    assert ckpt["epoch"] == 1 and model(sample.test.batch(torch.arange(2))).shape == (2, sample.n_items)


@pytest.mark.parametrize("path", sorted((REPO / "checkpoints").glob("*/best.pt")))
def test_shipped_checkpoints_pass_the_field_checks(path):
    assert load_checkpoint(path)["format"] == "fgnn-studio-checkpoint"


class _Evil:
    def __reduce__(self):
        return (os.getpid, ())


def test_refusal_does_not_repeat_the_weights_only_advice(tmp_path):
    torch.save({"format": "fgnn-studio-checkpoint", "x": _Evil()}, tmp_path / "evil.pt")
    with pytest.raises(CheckpointError) as info:
        load_checkpoint(tmp_path / "evil.pt")
    text = str(info.value)
    assert "may never run code" in text and "weights_only" not in text and "Re-running" not in text
    (tmp_path / "junk.pt").write_bytes(b"not a checkpoint at all")
    with pytest.raises(CheckpointError) as info:
        load_checkpoint(tmp_path / "junk.pt")
    text = str(info.value)
    assert "cannot be read (Unsupported operand" in text and "weights_only" not in text and "Re-running" not in text


def _cli(*args):
    env = dict(os.environ, PYTHONPATH=str(REPO))
    return subprocess.run([sys.executable, "-m", "fgnn", *args], capture_output=True, text=True, cwd=REPO, env=env,
                          timeout=120, check=False)


def test_cli_evaluate_and_predict_refuse_a_crafted_checkpoint(good, tmp_path):
    path = _crafted(good, tmp_path, dataset=["x"], item_ids=torch.arange(3))
    for argv in (["evaluate", "--checkpoint", str(path)], ["predict", "--checkpoint", str(path), "--session", "1"]):
        r = _cli(*argv)
        err = r.stderr.strip()
        assert r.returncode == 2 and len(err.splitlines()) == 1 and "dataset is not a dict" in err, err
