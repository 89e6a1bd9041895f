"""Which models exist, in one place: name, label, kind, config class and how to build each
(docs/models.md), as RecBole's ``get_model`` answers it.

    model_names()                  -> ["fgnn", "srgnn", "pop", ...]   (kind="neural" / "baseline")
    model_spec("vsknn").label      -> "Vector session-kNN"
    is_neural("srgnn")             -> True: trained by gradient (epochs, data-parallel, attention)
    build_model("fgnn", n_items, hidden_size=64)

Models of your own join the registry without a fork (:mod:`fgnn.models.plugins`, docs/own-model.md):
the entry-point group ``fgnn.models`` of any installed package and ``FGNN_MODELS=module:Class``.

A checkpoint stores its model's ``name`` and config (``fgnn.models.checkpoint``), so a name here is part of
the checkpoint format: rename one and old checkpoints no longer load. The model classes are imported
on first use: the CLI and the forms read the configs (:mod:`fgnn.models.hyperparams`) without loading the
layers and torch-geometric.
"""
from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

from fgnn.errors import ConfigError
from fgnn.models.configs import (
    FGNNConfig,
    MarkovConfig,
    POPConfig,
    SKNNConfig,
    SPOPConfig,
    SRGNNConfig,
    VSKNNConfig,
)
from fgnn.models.plugins import not_registered, registered
from fgnn.models.spec import KINDS, ModelSpec

_MODELS = "fgnn.models"
BUILTIN: Mapping[str, ModelSpec] = MappingProxyType({spec.name: spec for spec in (
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


class _Registry(Mapping):
    """The built-in models, then the plugins (:mod:`fgnn.models.plugins`: the ``fgnn.models`` entry
    points and ``FGNN_MODELS``), found once on first read. The registry is the allowlist: a
    checkpoint or a config file names a model, and only a name found here is ever built."""

    def _all(self) -> Mapping[str, ModelSpec]:
        return registered(BUILTIN)

    def __getitem__(self, name):
        return self._all()[name]

    def __iter__(self):
        return iter(self._all())

    def __len__(self):
        return len(self._all())

    def __repr__(self):
        return f"MODELS({', '.join(self._all())})"


MODELS: Mapping[str, ModelSpec] = _Registry()


def model_names(kind: str | None = None) -> list[str]:
    """Every model's name, or those of one kind (``"neural"`` or ``"baseline"``)."""
    if kind is not None and kind not in KINDS:
        raise ValueError(f"model kind must be one of {KINDS}, got {kind!r}")
    return [name for name, spec in MODELS.items() if kind is None or spec.kind == kind]


def model_spec(name: str) -> ModelSpec:
    """The model called ``name``; case, ``-`` and ``_`` are ignored (``"V-SKNN"`` is ``vsknn``)."""
    if name in MODELS:
        return MODELS[name]
    key = str(name).lower().replace("-", "").replace("_", "")
    if key not in MODELS:
        raise ValueError(f"unknown model '{name}': choose one of {', '.join(MODELS)}; a model of your own is "
                         "registered by installing its package (entry point 'fgnn.models') or setting "
                         "FGNN_MODELS=module:Class (docs/own-model.md)")
    return MODELS[key]


def is_neural(name) -> bool:
    """True for a model trained by gradient (FGNN, SR-GNN, a plugin with ``trainable = True``); False
    for a baseline or an unknown name."""
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
        raise ConfigError(f"model '{model}' has no preset '{preset}': {have}")
    return dict(presets[preset])


def plugin_names() -> list[str]:
    """The models registered by plugins (docs/own-model.md), in the order they were found."""
    return [name for name, spec in MODELS.items() if spec.plugin is not None]


def not_registered_message(name, recorded=None) -> str:
    """The one message for a model name that is not registered (a checkpoint's ``model_name``);
    ``recorded`` is the plugin the checkpoint records (``{"class", "package", "version"}``), named
    in the message and never imported."""
    return not_registered(name, list(MODELS), recorded)
