"""The rules of every hyperparameter: its kind, its choices or range, a one-line help with the
paper's value. One home for the checks the Train page makes before a run starts (and that the
CLI can share): :func:`check_model_params` and :func:`check_training`.

A rule's ``help`` says what the value does and what the paper used; ``choices`` are exact
strings; ``low`` / ``high`` are inclusive bounds (``None`` = unbounded).
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

Number = int | float


@dataclass(frozen=True)
class Rule:
    kind: str  # "int" | "float" | "bool" | "choice"
    help: str
    low: Number | None = None
    high: Number | None = None
    choices: tuple = ()


# FGNN: Qiu et al., CIKM 2019 (the authors' run "s2s3 ... gat8-1"); SR-GNN: Wu et al., AAAI 2019;
# kNN baselines: Ludewig & Jannach 2018 (session-rec defaults).
MODEL_RULES: dict[str, dict[str, Rule]] = {
    "fgnn": {
        "hidden_size": Rule("int", "Size of item and node embeddings (paper: 100).", 1, 4096),
        "num_layers": Rule("int", "WGAT layers stacked on the session graph (paper: 2).", 1, 8),
        "heads": Rule("int", "Attention heads of every WGAT layer but the last, concatenated (paper: 8).", 1, 64),
        "last_heads": Rule("int", "Attention heads of the last WGAT layer, averaged (paper: 1).", 1, 64),
        "readout_steps": Rule("int", "Set2Set readout steps over the nodes (paper: 3).", 1, 20),
        "negative_slope": Rule("float", "LeakyReLU slope inside the attention scores (paper: 0.2).", 0.0, 1.0),
        "dropout": Rule("float", "Dropout on the attention coefficients (paper: 0).", 0.0, 0.95),
        "activation": Rule("choice", "Non-linearity between WGAT layers (paper: relu).",
                           choices=("relu", "elu", "leaky_relu", "gelu", "tanh", "sigmoid", "none")),
        "last_click": Rule("bool", "Also feed the last click's embedding to the session vector (not in the paper: off)."),
        "attention_norm": Rule("choice", "Softmax over in-neighbours 'dst' (paper) or senders 'src' (authors' code).",
                               choices=("dst", "src")),
        "concat_heads": Rule("bool", "Concatenate the heads of the inner layers (paper: on) instead of averaging."),
        "last_activation": Rule("bool", "Apply the activation after the last WGAT layer too (paper: off)."),
    },
    "srgnn": {
        "hidden_size": Rule("int", "Size of item and node embeddings (paper: 100).", 1, 4096),
        "steps": Rule("int", "Gated propagation steps on the session graph (paper: 1).", 1, 20),
    },
    "sknn": {
        "k": Rule("int", "Neighbour sessions that vote (session-rec: 100).", 1, 100_000),
        "sample_size": Rule("int", "Most recent candidate sessions considered, 0 = all (session-rec: 500).", 0, 10**9),
    },
    "vsknn": {
        "k": Rule("int", "Neighbour sessions that vote (session-rec: 100).", 1, 100_000),
        "sample_size": Rule("int", "Most recent candidate sessions considered, 0 = all (session-rec: 500).", 0, 10**9),
        "weighting": Rule("choice", "Decay of the current session's older clicks (session-rec: div).",
                          choices=("same", "div", "quadratic", "log")),
        "weighting_score": Rule("choice", "Decay of a neighbour's votes by position (session-rec: div).",
                                choices=("same", "div", "quadratic", "log")),
        "idf_weighting": Rule("float", "Weight of the idf bonus on votes, 0 = off (session-rec: off).", 0.0, 1000.0),
    },
}

TRAINING_RULES: dict[str, Rule] = {
    "epochs": Rule("int", "Passes over the training pairs (papers: about 10-30; here 10).", 1, 1000),
    "batch_size": Rule("int", "Sessions per training batch (papers: 100).", 1, 100_000),
    "lr": Rule("float", "Adam learning rate (papers: 0.001).", 1e-7, 10.0),
    "weight_decay": Rule("float", "L2 penalty in Adam (papers: 1e-5).", 0.0, 1.0),
    "lr_step": Rule("int", "Multiply the learning rate by the decay factor every N epochs (papers: 3).", 1, 1000),
    "lr_gamma": Rule("float", "Learning-rate decay factor (papers: 0.1).", 1e-6, 1.0),
    "seed": Rule("int", "Random seed of initialisation and batch order.", 0, 2**31 - 1),
    "log_every": Rule("int", "Write the training loss every N batches.", 1, 100_000),
    "max_train_pairs": Rule("int", "Train on the most recent N pairs only, 0 = all: quick tries.", 0, 10**10),
    "max_test_pairs": Rule("int", "Evaluate on the first N test pairs only, 0 = all.", 0, 10**10),
    "device": Rule("choice", "auto = the GPU when there is one, else the CPU.", choices=("auto", "cpu", "cuda")),
}


def model_rules(model: str) -> dict[str, Rule]:
    """The rules of a model's hyperparameters (empty for a model without any)."""
    return MODEL_RULES.get(model, {})


def check_value(name: str, value: Any, rule: Rule) -> str | None:
    """One sentence naming what is wrong with ``value``, or None when it follows ``rule``."""
    if rule.kind == "choice":
        if value not in rule.choices:
            return f"{name} = {value!r} is not allowed: choose one of {', '.join(map(str, rule.choices))}"
        return None
    if rule.kind == "bool":
        return None if isinstance(value, bool) else f"{name} = {value!r} must be true or false"
    if isinstance(value, bool) or not isinstance(value, (int, float)) or (rule.kind == "int" and not float(value).is_integer()):
        return f"{name} = {value!r} must be {'a whole number' if rule.kind == 'int' else 'a number'}"
    if math.isnan(value):
        return f"{name} must be a number, not NaN"
    if (rule.low is not None and value < rule.low) or (rule.high is not None and value > rule.high):
        return f"{name} = {value:g} is out of range: use {rule.low:g} to {rule.high:g}"
    return None


def check_model_params(model: str, params: dict) -> list[str]:
    """Every problem of a model's hyperparameters (unknown names, wrong choices, out of range)."""
    rules = model_rules(model)
    problems = [f"{model} has no hyperparameter {name!r}" for name in params if name not in rules]
    problems += [p for name, v in params.items() if name in rules and (p := check_value(name, v, rules[name]))]
    return problems


def check_training(values: dict) -> list[str]:
    """Every problem of the training settings in ``values`` (only the names it holds are checked)."""
    return [p for name, v in values.items() if name in TRAINING_RULES and (p := check_value(name, v, TRAINING_RULES[name]))]
