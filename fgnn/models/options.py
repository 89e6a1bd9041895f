"""A model's hyperparameters as options: the fields of its config dataclass (:mod:`fgnn.models.configs`,
found through :mod:`fgnn.models.registry`), with their words and rules (:mod:`fgnn.settings`).

    model_hyperparameters(model) -> [Hyperparameter]   what the Train form and the flags show
    cli_hyperparameters()        -> {name: (Hyperparameter, [models])}   ``fgnn train``'s model flags
    model_problems(model, params) -> [Problem]         a model name and its values, checked

Generic over any dataclass: a plugin model's plain config gets flags and widgets from its types.
"""
from __future__ import annotations

import typing
from dataclasses import dataclass
from typing import Any

from fgnn.models.configs import BUILTIN_CONFIGS
from fgnn.models.registry import MODELS, model_names, model_spec
from fgnn.settings import Problem, Rule, check, meta, rule_of


@dataclass(frozen=True)
class Hyperparameter:
    """One field of a model's config as a form or a flag shows it: ``type`` is ``bool``, ``int``,
    ``float`` or ``str`` (the field's annotation), ``default`` the config's default."""

    name: str
    type: type
    default: Any
    help: str | None
    rule: Rule | None
    config_class: type | None = None

    @property
    def flag(self) -> str:
        return self.rule.option if self.rule else "--" + self.name.replace("_", "-")


def model_hyperparameters(model: str) -> list[Hyperparameter]:
    """The hyperparameters a person sets for ``model`` (every config field but ``n_items``), in the
    config's order."""
    spec = model_spec(model)
    cls = spec.config_class
    types = typing.get_type_hints(cls)
    return [Hyperparameter(f.name, types[f.name], f.default, meta(f).get("help") or None, rule_of(cls, f.name), cls)
            for f in spec.hyperparameters()]


def cli_hyperparameters() -> dict[str, tuple[Hyperparameter, list[str]]]:
    """Every model's hyperparameters once, for ``fgnn train``'s flags: ``{name: (hyperparameter,
    [models that take it])}``. A name shared by several models (``hidden_size``, ``k``) must have
    one type there, or one flag could not parse it for all of them."""
    out: dict[str, tuple[Hyperparameter, list[str]]] = {}
    for name in MODELS:
        for hp in model_hyperparameters(name):
            if hp.name in out:
                first, models = out[hp.name]
                if first.type is not hp.type:
                    raise TypeError(f"hyperparameter {hp.name!r} is {first.type.__name__} in {models[0]} "
                                    f"but {hp.type.__name__} in {name}: one flag cannot take both")
                models.append(name)
            else:
                out[hp.name] = (hp, [name])
    return out


def _builtin_rules() -> dict[str, Rule]:
    out: dict[str, Rule] = {}
    for cls in BUILTIN_CONFIGS:
        for name in cls.__dataclass_fields__:
            if name != "n_items":
                out.setdefault(name, rule_of(cls, name))
    return out


#: the rule of every built-in model's hyperparameter by name (one name has one rule in every model)
MODEL_RULES = _builtin_rules()


def model_problems(model: str, params) -> list[Problem]:
    """Problems of a model name and its hyperparameters (unknown ones included)."""
    names = model_names()
    if not isinstance(model, str) or model not in names:
        return [Problem("model", Rule("--model", "choice", choices=tuple(names)), model)]
    if not isinstance(params, dict):
        return [Problem("model_params", None, params, f"model_params must be an object, got {params!r}")]
    spec = model_spec(model)
    valid = [f.name for f in spec.hyperparameters()]
    out = []
    for key, value in params.items():
        if key not in valid:
            out.append(Problem(key, None, value, f"model '{model}' has no hyperparameter {key!r}: "
                                                 f"it takes {', '.join(valid) or 'none'}"))
            continue
        p = check(spec.config_class, key, value)
        if p:
            out.append(p)
    return out
