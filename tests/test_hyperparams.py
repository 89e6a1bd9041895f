"""fgnn.hyperparams: the rules the Train page checks before a run starts; fgnn.runs.epoch_label."""
from __future__ import annotations

from fgnn.hyperparams import check_model_params, check_training
from fgnn.runs import epoch_label


def test_model_params_choices_ranges_and_names():
    assert check_model_params("fgnn", {"activation": "relu", "hidden_size": 16, "dropout": 0.1, "last_click": True}) == []
    problems = check_model_params("fgnn", {"activation": "foo", "hidden_size": 0, "heads": 2.5, "dropout": float("nan"),
                                           "bogus": 1})
    text = "; ".join(problems)
    assert len(problems) == 5
    assert "fgnn has no hyperparameter 'bogus'" in text
    assert "activation = 'foo' is not allowed: choose one of relu" in text
    assert "hidden_size = 0 is out of range: use 1 to 4096" in text
    assert "heads = 2.5 must be a whole number" in text
    assert "dropout must be a number, not NaN" in text
    assert check_model_params("vsknn", {"weighting": "cubic"}) == [
        "weighting = 'cubic' is not allowed: choose one of same, div, quadratic, log"]
    assert check_model_params("pop", {}) == []


def test_training_settings():
    assert check_training({"epochs": 3, "lr": 1e-3, "device": "cpu", "max_train_pairs": 0}) == []
    assert check_training({"epochs": 0, "lr": -1.0, "device": "tpu"}) == [
        "epochs = 0 is out of range: use 1 to 1000", "lr = -1 is out of range: use 1e-07 to 10",
        "device = 'tpu' is not allowed: choose one of auto, cpu, cuda"]


def test_epoch_label_is_the_epoch_in_progress_while_running():
    assert epoch_label({"state": "running", "epoch": 1, "epochs": 2}) == "2 / 2"
    assert epoch_label({"state": "queued", "epochs": 3}) == "0 / 3"
    assert epoch_label({"state": "finished", "epoch": 2, "epochs": 2}) == "2 / 2"
    assert epoch_label({"state": "cancelled", "epoch": 1, "epochs": 3}) == "1 / 3"
