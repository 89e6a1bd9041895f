"""What every hyperparameter does, in one line with the paper's value, for the Train page's help
and ``fgnn train --help``.

A model's hyperparameters are the fields of its config dataclass (:mod:`fgnn.models.configs`, found
through :mod:`fgnn.models.registry`): :func:`model_hyperparameters` gives them with their type,
default, words and rule, and both the Train page's form and ``fgnn train``'s model flags
(:func:`cli_hyperparameters`) are built from it. The rules themselves (kind, range, choices) have one
home, :mod:`fgnn.models.validation`, which the CLI, ``--config`` files, checkpoints and the Train page all
check against; this module only adds the words a form needs and the bounds a number box can show
(:func:`widget_bounds`).
"""
from __future__ import annotations

import typing
from dataclasses import dataclass
from typing import Any

from fgnn.models.registry import MODELS, model_spec
from fgnn.models.validation import MODEL_RULES, TRAIN_RULES, Rule

# FGNN: Qiu et al., CIKM 2019 (the authors' run "s2s3 ... gat8-1"); SR-GNN: Wu et al., AAAI 2019;
# kNN baselines: Ludewig & Jannach 2018 (session-rec defaults).
MODEL_HELP: dict[str, str] = {
    "hidden_size": "Size of item and node embeddings (papers: 100).",
    "num_layers": "WGAT layers stacked on the session graph (FGNN paper: 2).",
    "heads": "Attention heads of every WGAT layer but the last, concatenated (FGNN paper: 8).",
    "last_heads": "Attention heads of the last WGAT layer, averaged (FGNN paper: 1).",
    "readout_steps": "Set2Set readout steps over the nodes (FGNN paper: 3).",
    "negative_slope": "LeakyReLU slope inside the attention scores (FGNN paper: 0.2).",
    "dropout": "Dropout on the attention coefficients (FGNN paper: 0).",
    "activation": "Non-linearity between WGAT layers (FGNN paper: relu).",
    "last_click": "Also feed the last click's embedding to the session vector (not in the FGNN paper: off).",
    "attention_norm": "Softmax over in-neighbours 'dst' (FGNN paper) or over senders 'src' (the authors' code).",
    "concat_heads": "Concatenate the heads of the inner layers (FGNN paper: on) instead of averaging them.",
    "last_activation": "Apply the activation after the last WGAT layer too (FGNN paper: off).",
    "steps": "Gated propagation steps on the session graph (SR-GNN paper: 1).",
    "k": "Neighbour sessions that vote (session-rec: 100).",
    "sample_size": "Most recent candidate sessions considered, 0 = all (session-rec: 500).",
    "weighting": "Decay of the current session's older clicks (session-rec: div).",
    "weighting_score": "Decay of a neighbour's votes by position (session-rec: div).",
    "idf_weighting": "Weight of the idf bonus on votes, 0 = off (session-rec: off).",
}
TRAINING_HELP: dict[str, str] = {
    "epochs": "Passes over the training pairs (papers: about 10-30; default 10).",
    "batch_size": "Sessions per training batch (papers: 100).",
    "lr": "Adam learning rate (papers: 0.001).",
    "weight_decay": "L2 penalty in Adam (papers: 1e-5).",
    "lr_step": "Multiply the learning rate by the decay factor every N epochs (papers: 3).",
    "lr_gamma": "Learning-rate decay factor (papers: 0.1).",
    "seed": "Random seed of initialisation and batch order.",
    "log_every": "Write the training loss every N batches.",
    "max_train_pairs": "Train on the most recent N pairs only, 0 = all: quick tries.",
    "max_test_pairs": "Evaluate on the first N test pairs only, 0 = all.",
    "ks": "HR@K, MRR@K and NDCG@K after every epoch (papers: 20).",
    "device": "auto = the GPU when there is one, else the CPU.",
}


def model_rule(name: str) -> Rule | None:
    """The validation rule of a model hyperparameter (None for one without a rule)."""
    return MODEL_RULES.get(name)


def training_rule(name: str) -> Rule | None:
    return TRAIN_RULES.get(name)


def widget_bounds(rule: Rule | None) -> tuple:
    """``(min_value, max_value)`` for a number box: a rule's inclusive bounds; an open integer
    bound moves by one, an open float bound is left to the check before the run starts."""
    if rule is None or rule.kind not in ("int", "float"):
        return None, None

    def bound(value, is_open: bool, step: int):
        if value is None:
            return None
        if rule.kind == "int":
            return int(value) + (step if is_open else 0)
        return None if is_open else float(value)

    return bound(rule.low, rule.low_open, 1), bound(rule.high, rule.high_open, -1)


@dataclass(frozen=True)
class Hyperparameter:
    """One field of a model's config as a form or a flag shows it: ``type`` is ``bool``, ``int``,
    ``float`` or ``str`` (the field's annotation), ``default`` the config's default."""

    name: str
    type: type
    default: Any
    help: str | None
    rule: Rule | None

    @property
    def flag(self) -> str:
        return "--" + self.name.replace("_", "-")


def model_hyperparameters(model: str) -> list[Hyperparameter]:
    """The hyperparameters a person sets for ``model`` (every config field but ``n_items``), in the
    config's order."""
    spec = model_spec(model)
    types = typing.get_type_hints(spec.config_class)
    return [Hyperparameter(f.name, types[f.name], f.default, MODEL_HELP.get(f.name), model_rule(f.name))
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
