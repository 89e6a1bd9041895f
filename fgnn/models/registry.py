"""Which models exist, in one place: name, label, kind, config class and how to build each
(docs/models.md), as RecBole's ``get_model`` answers it.

    model_names()                  -> ["fgnn", "srgnn", "pop", ...]   (kind="neural" / "baseline")
    model_spec("vsknn").label      -> "Vector session-kNN"
    is_neural("srgnn")             -> True: trained by gradient (epochs, data-parallel, attention)
    build_model("fgnn", n_items, hidden_size=64)

A checkpoint stores its model's ``name`` and config (``fgnn.models.checkpoint``), so a name here is part of
the checkpoint format: rename one and old checkpoints no longer load. The model classes are imported
on first use: the CLI and the forms read the configs (:mod:`fgnn.models.hyperparams`) without loading the
layers and torch-geometric.
"""
from __future__ import annotations

import importlib
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from types import MappingProxyType

from fgnn.models.configs import (
    FGNNConfig,
    MarkovConfig,
    POPConfig,
    SKNNConfig,
    SPOPConfig,
    SRGNNConfig,
    VSKNNConfig,
)

KINDS = ("neural", "baseline")


@dataclass(frozen=True)
class ModelSpec:
    """One model: ``name`` (the CLI's ``--model``, a checkpoint's ``model_name``), a ``label`` for
    people, its ``kind`` (``"neural"``: trained by gradient; ``"baseline"``: fitted by counting),
    its config dataclass, where its class lives (``"module:Class"``, imported on first build) and its
    named presets, configurations that are NOT the paper's model (docs/fgnn-study.md)."""

    name: str
    label: str
    kind: str
    config_class: type
    class_path: str
    presets: Mapping[str, Mapping] = field(default_factory=dict)

    def __post_init__(self):
        if self.kind not in KINDS:
            raise ValueError(f"model kind must be one of {KINDS}, got {self.kind!r}")
        object.__setattr__(self, "presets", MappingProxyType({k: MappingProxyType(dict(v))
                                                              for k, v in self.presets.items()}))

    @property
    def model_class(self) -> type:
        module, cls = self.class_path.split(":")
        return getattr(importlib.import_module(module), cls)

    def hyperparameters(self) -> list:
        """The config's fields a person sets (every one but ``n_items``), in declaration order."""
        return [f for f in fields(self.config_class) if f.name != "n_items"]

    def build(self, n_items: int, **params):
        """An unfitted, freshly initialised model; unknown hyperparameters are refused with the valid names."""
        valid = {f.name for f in self.hyperparameters()}
        unknown = set(params) - valid
        if unknown:
            raise ValueError(f"model '{self.name}' has no hyperparameter(s) {sorted(unknown)}; valid: {sorted(valid)}")
        return self.model_class(self.config_class(n_items=n_items, **params))


_MODELS = "fgnn.models"
MODELS: Mapping[str, ModelSpec] = MappingProxyType({spec.name: spec for spec in (
    ModelSpec("fgnn", "FGNN", "neural", FGNNConfig, f"{_MODELS}.fgnn:FGNN", presets={
        "last-click": {"last_click": True},  # s = W [readout || h_last]; not in the paper
        "senders": {"attention_norm": "src"},  # attention normalised over senders, as the authors' code
        "last-click-senders": {"last_click": True, "attention_norm": "src"},  # best FGNN on rsc15-100k validation
    }),
    ModelSpec("srgnn", "SR-GNN", "neural", SRGNNConfig, f"{_MODELS}.srgnn:SRGNN"),
    ModelSpec("pop", "POP", "baseline", POPConfig, f"{_MODELS}.baselines.pop:POP"),
    ModelSpec("spop", "S-POP", "baseline", SPOPConfig, f"{_MODELS}.baselines.spop:SPOP"),
    ModelSpec("markov", "Markov (first order)", "baseline", MarkovConfig, f"{_MODELS}.baselines.markov:Markov"),
    ModelSpec("sknn", "Session-kNN", "baseline", SKNNConfig, f"{_MODELS}.baselines.sknn:SKNN"),
    ModelSpec("vsknn", "Vector session-kNN", "baseline", VSKNNConfig, f"{_MODELS}.baselines.vsknn:VSKNN"),
)})


def model_names(kind: str | None = None) -> list[str]:
    """Every model's name, or those of one kind (``"neural"`` or ``"baseline"``)."""
    if kind is not None and kind not in KINDS:
        raise ValueError(f"model kind must be one of {KINDS}, got {kind!r}")
    return [name for name, spec in MODELS.items() if kind is None or spec.kind == kind]


def model_spec(name: str) -> ModelSpec:
    """The model called ``name``; case, ``-`` and ``_`` are ignored (``"V-SKNN"`` is ``vsknn``)."""
    key = str(name).lower().replace("-", "").replace("_", "")
    if key not in MODELS:
        raise ValueError(f"unknown model '{name}': choose one of {', '.join(MODELS)}")
    return MODELS[key]


def is_neural(name) -> bool:
    """True for a model trained by gradient (FGNN, SR-GNN); False for a baseline or an unknown name."""
    spec = MODELS.get(name)
    return spec is not None and spec.kind == "neural"


def config_class(name: str) -> type:
    return model_spec(name).config_class


def model_label(name: str) -> str:
    return model_spec(name).label


def build_model(name: str, n_items: int, **params):
    """Build any model by name (networks freshly initialised, baselines unfitted: call ``fit``)."""
    return model_spec(name).build(n_items, **params)


def preset_names(model: str) -> list[str]:
    """The presets of a model (none for most)."""
    return list(model_spec(model).presets)


def preset_params(model: str, preset) -> dict:
    """The hyperparameters of a preset (``None`` or ``""``: none, the paper's model)."""
    if not preset:
        return {}
    presets = model_spec(model).presets
    if preset not in presets:
        have = f"its presets are {', '.join(presets)}" if presets else "it has no presets"
        raise ValueError(f"model '{model}' has no preset '{preset}': {have}")
    return dict(presets[preset])
