"""The words and rules of every hyperparameter and run setting, beside their defaults (fgnn.settings);
the form's bounds derived from them (fgnn.app.forms); fgnn.runs.folders.epoch_label."""
from __future__ import annotations

from dataclasses import fields

from fgnn.app.forms import widget_bounds
from fgnn.models import config_class, model_names
from fgnn.models.configs import BUILTIN_CONFIGS
from fgnn.models.options import MODEL_RULES
from fgnn.settings import meta, rule_of
from fgnn.training.config import TrainConfig

# the words of every setting, read from the fields' metadata
MODEL_HELP = {f.name: meta(f)["help"] for cls in BUILTIN_CONFIGS for f in fields(cls) if meta(f).get("help")}
TRAINING_HELP = {f.name: meta(f)["help"] for f in fields(TrainConfig) if meta(f).get("help")}


def model_rule(name):
    return MODEL_RULES.get(name)


def training_rule(name):
    return rule_of(TrainConfig, name)
from fgnn.runs.folders import epoch_label


def test_every_hyperparameter_has_a_help_line_and_a_rule():
    for model in model_names():
        if config_class(model) not in BUILTIN_CONFIGS:  # a plugin's plain config: kinds from its types only
            continue
        names = {f.name for f in fields(config_class(model))} - {"n_items"}
        assert names <= set(MODEL_HELP), (model, names - set(MODEL_HELP))
        assert names <= set(MODEL_RULES), (model, names - set(MODEL_RULES))
    assert all("paper" in MODEL_HELP[n] for n in ("hidden_size", "heads", "readout_steps", "steps", "activation"))
    assert set(TRAINING_HELP) >= {"epochs", "batch_size", "lr", "weight_decay", "lr_step", "lr_gamma"}


def test_widget_bounds_follow_the_validation_rules():
    assert widget_bounds(model_rule("hidden_size")) == (1, MODEL_RULES["hidden_size"].high)
    assert widget_bounds(model_rule("dropout")) == (0.0, None)  # [0, 1): the open end is checked on start
    assert widget_bounds(training_rule("lr")) == (None, None)  # (0, inf)
    assert widget_bounds(training_rule("epochs")) == (1, None)
    assert widget_bounds(model_rule("activation")) == (None, None)  # a choice: a select box
    assert widget_bounds(None) == (None, None)


def test_epoch_label_is_the_epoch_in_progress_while_running():
    assert epoch_label({"state": "running", "epoch": 1, "epochs": 2}) == "2 / 2"
    assert epoch_label({"state": "queued", "epochs": 3}) == "0 / 3"
    assert epoch_label({"state": "finished", "epoch": 2, "epochs": 2}) == "2 / 2"
    assert epoch_label({"state": "cancelled", "epoch": 1, "epochs": 3}) == "1 / 3"
