"""One model of the registry (:mod:`fgnn.models.registry`): name, label, kind, config class, where
its class lives, presets and, for a plugin (:mod:`fgnn.models.plugins`), where it came from."""
from __future__ import annotations

import importlib
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from types import MappingProxyType

KINDS = ("neural", "baseline")


@dataclass(frozen=True)
class ModelSpec:
    """One model: ``name`` (the CLI's ``--model``, a checkpoint's ``model_name``), a ``label`` for
    people, its ``kind`` (``"neural"``: trained by gradient; ``"baseline"``: fitted by counting),
    its config dataclass, where its class lives (``"module:Class"``, imported on first build), its
    named presets, configurations that are NOT the paper's model (docs/fgnn-study.md), and for a
    plugin where it came from (``plugin``; None for a built-in model)."""

    name: str
    label: str
    kind: str
    config_class: type
    class_path: str
    presets: Mapping[str, Mapping] = field(default_factory=dict)
    # a plugin: {"class": "module:Class", "package": distribution or None, "version": ..., "source": ...};
    # None for a built-in model
    plugin: Mapping | None = None

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

    @property
    def is_plugin(self) -> bool:
        return self.plugin is not None
