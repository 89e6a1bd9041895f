"""fgnn.models.registry: one place that knows every model (name, label, kind, config, class), and
the CLI flags and Train-page fields derived from the configs (fgnn.models.options, fgnn.settings, docs/models.md)."""
from __future__ import annotations

import dataclasses
import json
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from fgnn.commands.train import MODEL_FLAGS, config_from_args
from fgnn.models import (
    MODELS,
    SessionRecommender,
    build_model,
    config_class,
    is_neural,
    model_label,
    model_names,
    model_spec,
    preset_names,
)
from fgnn.models.configs import BUILTIN_CONFIGS
from fgnn.models.options import MODEL_RULES, cli_hyperparameters, model_hyperparameters
from fgnn.settings import meta

MODEL_HELP = {f.name: meta(f)["help"] for cls in BUILTIN_CONFIGS for f in dataclasses.fields(cls) if meta(f).get("help")}

REPO = Path(__file__).resolve().parents[2]


def _builtin(names):
    """The built-in models among ``names`` (plugins installed here, e.g. the examples, come after them)."""
    return [n for n in names if MODELS[n].plugin is None]


def test_every_model_once_with_its_kind_class_and_config():
    assert _builtin(model_names()) == ["fgnn", "srgnn", "pop", "spop", "markov", "sknn", "vsknn"]
    assert model_names()[:7] == _builtin(model_names())  # built-ins first, plugins after
    assert _builtin(model_names("neural")) == ["fgnn", "srgnn"]
    assert _builtin(model_names("baseline")) == ["pop", "spop", "markov", "sknn", "vsknn"]
    for name, spec in MODELS.items():
        cls = spec.model_class
        assert issubclass(cls, SessionRecommender) and cls.name == name
        assert cls.trainable is (spec.kind == "neural") is is_neural(name)  # the kind is the class's
        model = build_model(name, 7)
        assert type(model) is cls and isinstance(model.config, config_class(name))
        assert model.config_dict() == dataclasses.asdict(spec.config_class(n_items=7))
    assert not is_neural("bogus") and not is_neural(None)
    with pytest.raises(ValueError, match="model kind"):
        model_names("network")


def test_names_are_forgiving_but_unknown_ones_are_refused_with_the_choices():
    assert model_spec("V-SKNN") is MODELS["vsknn"] and model_spec("SR_GNN") is MODELS["srgnn"]
    assert model_label("vsknn") == "Vector session-kNN" and model_label("sknn") == "Session-kNN"
    with pytest.raises(ValueError, match="unknown model 'gru4rec': choose one of fgnn, srgnn, pop"):
        build_model("gru4rec", 3)
    with pytest.raises(ValueError, match=r"model 'pop' has no hyperparameter\(s\) \['k'\]"):
        build_model("pop", 3, k=5)


def test_a_neural_model_builds_with_its_hyperparameters():
    model = build_model("fgnn", 11, hidden_size=8, heads=2, last_click=True)
    assert model.embedding.weight.shape == (11, 8) and model.last_click is not None
    assert model.layers[0].heads == 2
    assert build_model("srgnn", 5, hidden_size=4, steps=2).gnn.steps == 2


def test_reading_the_registry_and_the_cli_does_not_load_torch_geometric():
    """The built-in registry and the CLI's parser stay light (a plugin's own imports are its own: the
    installed examples import fgnn.nn, so this runs with no entry-point plugin found)."""
    code = ("import importlib.metadata as md, sys; md.entry_points = lambda **kw: (); "
            "import fgnn.cli, fgnn.models.options; fgnn.cli.build_parser(); "
            "from fgnn.models import MODELS; print(sorted(MODELS), 'torch_geometric' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, check=True).stdout
    assert out.split()[-1] == "False", out


def test_the_form_fields_are_the_config_fields_with_words_and_rules():
    for name in model_names():
        hps = model_hyperparameters(name)
        fields = [f for f in dataclasses.fields(config_class(name)) if f.name != "n_items"]
        assert [h.name for h in hps] == [f.name for f in fields]
        assert [h.default for h in hps] == [f.default for f in fields]
        for h in hps:
            assert h.type in (bool, int, float, str) and isinstance(h.default, h.type), h
            if config_class(name) in BUILTIN_CONFIGS:  # a plugin's plain config has no words, a rule from its type
                assert h.help == MODEL_HELP[h.name] and h.rule == MODEL_RULES[h.name]
    assert [h.type for h in model_hyperparameters("vsknn")] == [int, int, str, str, float]


def test_every_hyperparameter_of_every_model_is_a_cli_flag():
    flags = cli_hyperparameters()
    every = {h.name for m in model_names() for h in model_hyperparameters(m)}
    assert set(flags) == every == set(MODEL_FLAGS)
    assert {"weighting", "weighting_score", "idf_weighting"} <= set(flags)  # V-SKNN's, once missing
    assert _builtin(flags["hidden_size"][1]) == ["fgnn", "srgnn"] and _builtin(flags["k"][1]) == ["sknn", "vsknn"]
    for hp, _ in flags.values():
        assert hp.rule.option == hp.flag  # a range error names the flag the user typed
    assert MODEL_FLAGS["last_click"]("yes") is True and MODEL_FLAGS["idf_weighting"]("2.5") == 2.5


def test_train_help_describes_each_model_flag_with_the_train_page_words():
    out = subprocess.run([sys.executable, "-m", "fgnn", "train", "--help"], cwd=REPO, capture_output=True,
                         text=True, check=True).stdout
    text = " ".join(out.split()).replace("- ", "-")  # argparse wraps lines after a hyphen
    for flag, words in (("--weighting-score {same,div,quadratic,log}", MODEL_HELP["weighting_score"]),
                        ("--idf-weighting", MODEL_HELP["idf_weighting"]), ("--steps", MODEL_HELP["steps"])):
        assert flag in text and " ".join(words.split()) in text, flag
    assert "--last-click yes|no" in text and "[sknn, vsknn]" in text


def _args(argv):
    from fgnn.cli import build_parser

    return build_parser().parse_args(["train", *argv])


def test_vsknn_options_reach_the_run_config_and_the_model(tmp_path):
    cfg = config_from_args(_args(["--model", "vsknn", "--weighting", "log", "--weighting-score", "quadratic",
                                  "--idf-weighting", "2", "--k", "7"]))
    assert cfg.model_params == {"weighting": "log", "weighting_score": "quadratic", "idf_weighting": 2.0, "k": 7}
    model = build_model(cfg.model, 5, **cfg.model_params)
    assert (model.config.weighting, model.config.weighting_score, model.config.idf_weighting, model.config.k) == (
        "log", "quadratic", 2.0, 7)


def test_presets_still_fill_the_flags_and_flags_beside_them_win():
    assert preset_names("fgnn") == ["last-click", "senders", "last-click-senders"]
    cfg = config_from_args(_args(["--model", "fgnn", "--preset", "senders"]))
    assert cfg.model_params == {"attention_norm": "src"}
    cfg = config_from_args(_args(["--model", "fgnn", "--preset", "last-click-senders", "--attention-norm", "dst"]))
    assert cfg.model_params == {"last_click": True, "attention_norm": "dst"}
    assert json.loads(json.dumps(cfg.to_dict()))["model_params"] == cfg.model_params


@pytest.mark.parametrize("name", ["fgnn", "srgnn", "vsknn"])
def test_shipped_checkpoints_name_a_registered_model_and_rebuild_from_it(name):
    path = REPO / "checkpoints" / f"{name}-sample" / "best.pt"
    ckpt = torch.load(path, map_location="cpu", weights_only=True)
    spec = model_spec(ckpt["model_name"])
    assert spec.name == name
    cfg = {k: v for k, v in ckpt["model_config"].items() if k != "n_items"}
    model = build_model(ckpt["model_name"], ckpt["model_config"]["n_items"], **cfg)
    model.load_state_dict(ckpt["state_dict"])  # strict: every saved tensor has its place
