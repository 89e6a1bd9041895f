"""Named model configurations that are not the paper's (``--model fgnn --preset NAME``, docs/fgnn-study.md)."""
from __future__ import annotations

import pytest

from fgnn.cli import build_parser
from fgnn.commands.train import config_from_args
from fgnn.errors import ConfigError, DataError
from fgnn.models import build_model, preset_names, preset_params


def config(*argv):
    return config_from_args(build_parser().parse_args(["train", *argv]))


def test_presets_live_in_the_model_registry_and_build():
    assert preset_names("fgnn") == ["last-click", "senders", "last-click-senders"] and preset_names("srgnn") == []
    assert preset_params("fgnn", "last-click-senders") == {"last_click": True, "attention_norm": "src"}
    assert preset_params("fgnn", "last-click") == {"last_click": True}
    assert preset_params("fgnn", None) == {} and preset_params("fgnn", "") == {}
    assert build_model("fgnn", 10, hidden_size=4, **preset_params("fgnn", "last-click")).last_click is not None
    with pytest.raises(ConfigError, match="its presets are last-click, senders, last-click-senders"):
        preset_params("fgnn", "best")
    with pytest.raises(ConfigError, match="has no presets"):
        preset_params("srgnn", "last-click")


def test_cli_preset_fills_the_hyperparameters_and_flags_win():
    assert config("--model", "fgnn", "--preset", "last-click").model_params == {"last_click": True}
    assert config("--model", "fgnn").model_params == {}  # FGNN without a preset is the paper's model
    cfg = config("--model", "fgnn", "--preset", "last-click", "--last-click", "no", "--heads", "4")
    assert cfg.model_params == {"last_click": False, "heads": 4}
    with pytest.raises(DataError, match="no preset 'nope'"):
        config("--model", "fgnn", "--preset", "nope")
