"""Every recommender behind one interface, and a registry to build them by name."""
from __future__ import annotations

from dataclasses import fields

from .base import SessionRecommender
from .fgnn import FGNN, FGNNConfig
from .srgnn import SRGNN, SRGNNConfig

NEURAL = {"fgnn": (FGNN, FGNNConfig), "srgnn": (SRGNN, SRGNNConfig)}

# Named configurations that are NOT the papers' models (docs/fgnn-study.md): `--model fgnn --preset NAME`
# fills these hyperparameters (flags given beside it still win). "FGNN" without a preset is the paper's.
PRESETS: dict[str, dict[str, dict]] = {
    "fgnn": {
        "last-click": {"last_click": True},  # s = W [readout || h_last]; not in the paper
        "senders": {"attention_norm": "src"},  # attention normalised over senders, as the authors' code
        "last-click-senders": {"last_click": True, "attention_norm": "src"},  # best FGNN on rsc15-100k validation
    },
}


def preset_names(model: str) -> list[str]:
    """The presets of a model (none for most)."""
    return list(PRESETS.get(model, {}))


def preset_params(model: str, preset) -> dict:
    """The hyperparameters of a preset (``None`` or ``""``: none, the paper's model)."""
    if not preset:
        return {}
    names = preset_names(model)
    if preset not in names:
        have = f"its presets are {', '.join(names)}" if names else "it has no presets"
        raise ValueError(f"model '{model}' has no preset '{preset}': {have}")
    return dict(PRESETS[model][preset])


def _registry() -> dict:
    from .baselines import BASELINES  # imported lazily: keeps the neural models importable alone

    reg = dict(NEURAL)
    for name, cls in BASELINES.items():
        reg[name] = (cls, cls.config_class)
    return reg


def model_names() -> list[str]:
    return list(_registry())


def config_class(name: str):
    reg = _registry()
    if name not in reg:
        raise ValueError(f"unknown model '{name}': choose one of {', '.join(reg)}")
    return reg[name][1]


def build_model(name: str, n_items: int, **params) -> SessionRecommender:
    """Build a model by name; unknown hyperparameters are refused with their valid names."""
    reg = _registry()
    if name not in reg:
        raise ValueError(f"unknown model '{name}': choose one of {', '.join(reg)}")
    cls, cfg_cls = reg[name]
    valid = {f.name for f in fields(cfg_cls)} - {"n_items"}
    unknown = set(params) - valid
    if unknown:
        raise ValueError(f"model '{name}' has no hyperparameter(s) {sorted(unknown)}; valid: {sorted(valid)}")
    return cls(cfg_cls(n_items=n_items, **params))


__all__ = [
    "FGNN",
    "PRESETS",
    "SRGNN",
    "FGNNConfig",
    "SRGNNConfig",
    "SessionRecommender",
    "build_model",
    "config_class",
    "model_names",
    "preset_names",
    "preset_params",
]
