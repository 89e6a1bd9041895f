"""Every recommender behind one interface (:class:`SessionRecommender`), one model per file, and
the registry that builds them by name (:mod:`fgnn.models.registry`, docs/models.md), models of your
own included (:mod:`fgnn.models.plugins`, docs/own-model.md: subclass :class:`SessionRecommender` or
:class:`GraphSessionModel`).

The model classes are imported when first asked for (``from fgnn.models import FGNN``), so that
reading the registry or a config does not load the layers and torch-geometric.
"""
from __future__ import annotations

import importlib

from fgnn.models.base import SessionRecommender
from fgnn.models.configs import FGNNConfig, SRGNNConfig
from fgnn.models.registry import (
    MODELS,
    ModelSpec,
    build_model,
    config_class,
    is_neural,
    model_label,
    model_names,
    model_spec,
    plugin_names,
    preset_names,
    preset_params,
)

_LAZY = {"FGNN": ".fgnn", "SRGNN": ".srgnn", "GraphSessionModel": ".neural"}


def __getattr__(name: str):
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name], __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "FGNN",
    "MODELS",
    "SRGNN",
    "FGNNConfig",
    "GraphSessionModel",
    "ModelSpec",
    "SRGNNConfig",
    "SessionRecommender",
    "build_model",
    "config_class",
    "is_neural",
    "model_label",
    "model_names",
    "model_spec",
    "plugin_names",
    "preset_names",
    "preset_params",
]
