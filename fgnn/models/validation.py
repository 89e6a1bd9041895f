"""The allowed range of every number a run is made of, in one place (docs/run-folders.md).

The CLI (``train``, ``prepare``, ``evaluate``, ``predict``), a ``--config`` JSON file, the Train page
and a checkpoint's ``model_config`` are all checked against these rules before any work starts, so a
bad value gets one line naming the option and its range instead of a traceback (or a silent NaN).

    problems(cfg)               -> [Problem]   every broken rule of a TrainConfig (or its dict)
    validate_train_config(cfg)  -> raises ConfigError naming the first broken rule
    check_value(key, value)     -> Problem | None for one option
    validate_args(args)         -> the options every CLI verb shares, before the verb runs
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from fgnn.data.dataset import DataError

DEVICES = ("auto", "cpu", "cuda")  # or cuda:N
ACTIVATIONS = ("relu", "elu", "gelu", "leaky_relu", "selu", "celu", "silu", "mish", "softplus", "tanh",
               "sigmoid", "none")
WEIGHTINGS = ("same", "div", "quadratic", "log")


class ConfigError(DataError):
    """A value of a run's configuration (or of a CLI option) is outside its allowed range."""

    def __init__(self, problem: Problem, where: str = "", by_key: bool = False):
        self.problem = problem
        super().__init__(f"{where}{problem.text(by_key)}")


@dataclass(frozen=True)
class Rule:
    """One option: its kind and range. ``low``/``high`` are inclusive unless ``*_open``."""

    option: str  # the CLI flag that sets it
    kind: str  # "int" | "float" | "bool" | "choice"
    low: float | None = None
    high: float | None = None
    low_open: bool = False
    high_open: bool = False
    optional: bool = False  # None is allowed (and means the default)
    choices: tuple = ()
    note: str = ""

    def describe(self) -> str:
        if self.kind == "bool":
            return "yes or no"
        if self.kind == "choice":
            return "one of " + ", ".join(self.choices)
        what = "an integer" if self.kind == "int" else "a finite number"
        if self.low is not None and self.high is not None:
            left, right = "(" if self.low_open else "[", ")" if self.high_open else "]"
            text = f"{what} in {left}{_num(self.low)}, {_num(self.high)}{right}"
        elif self.low is not None:
            text = f"{what} {'>' if self.low_open else '>='} {_num(self.low)}"
        elif self.high is not None:
            text = f"{what} {'<' if self.high_open else '<='} {_num(self.high)}"
        else:
            text = what
        return text + (f" ({self.note})" if self.note else "")

    def broken(self, value) -> bool:
        if value is None:
            return not self.optional
        if self.kind == "bool":
            return not isinstance(value, bool)
        if self.kind == "choice":
            return not isinstance(value, str) or value not in self.choices
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            return True
        if self.kind == "int" and not (isinstance(value, int) or (isinstance(value, float) and value.is_integer())):
            return True
        if not math.isfinite(value):
            return True
        if self.low is not None and (value < self.low or (self.low_open and value == self.low)):
            return True
        return bool(self.high is not None and (value > self.high or self.high_open and value == self.high))


def _num(x) -> str:
    return str(int(x)) if float(x).is_integer() and abs(x) < 1e15 else f"{x:g}"


@dataclass(frozen=True)
class Problem:
    key: str  # the config key (TrainConfig field, model or protocol setting)
    rule: Rule | None
    value: Any
    message: str = ""  # for problems that are not a range (an unknown key, a wrong type of object)

    @property
    def option(self) -> str:
        return self.rule.option if self.rule else self.key

    def text(self, by_key: bool = False) -> str:
        """One line; names the CLI option, or with ``by_key`` the config key (a JSON file, a form)."""
        if self.message:
            return self.message
        return f"{self.key if by_key else self.rule.option} must be {self.rule.describe()}, got {self.value!r}"

    def __str__(self) -> str:
        return self.text()


def _int(option, low=None, high=None, **kw) -> Rule:
    return Rule(option, "int", low, high, **kw)


def _float(option, low=None, high=None, **kw) -> Rule:
    return Rule(option, "float", low, high, **kw)


# TrainConfig fields
TRAIN_RULES = {
    "epochs": _int("--epochs", 1),
    "batch_size": _int("--batch-size", 1),
    "lr": _float("--lr", 0, low_open=True),
    "weight_decay": _float("--weight-decay", 0),
    "lr_step": _int("--lr-step", 1),
    "lr_gamma": _float("--lr-gamma", 0, 1, low_open=True),
    "seed": _int("--seed", 0, 2**31 - 1),
    "eval_batch_size": _int("--eval-batch-size", 1),
    "log_every": _int("--log-every", 1),
    "max_train_pairs": _int("--max-train-pairs", 0, optional=True, note="0 = all"),
    "max_test_pairs": _int("--max-test-pairs", 0, optional=True, note="0 = all"),
    "num_threads": _int("--threads", 1, 4096, optional=True),
    "amp": Rule("--no-amp", "bool"),
}
K_RULE = _int("--top-k", 1)
# model hyperparameters (FGNN, SR-GNN and the kNN baselines), also checked in a checkpoint's model_config
MODEL_RULES = {
    "hidden_size": _int("--hidden-size", 1, 65536),
    "num_layers": _int("--num-layers", 1, 64),
    "heads": _int("--heads", 1, 256),
    "last_heads": _int("--last-heads", 1, 256),
    "readout_steps": _int("--readout-steps", 1, 64),
    "negative_slope": _float("--negative-slope", 0),
    "dropout": _float("--dropout", 0, 1, high_open=True),
    "activation": Rule("--activation", "choice", choices=ACTIVATIONS),
    "last_click": Rule("--last-click", "bool"),
    "steps": _int("--steps", 1, 64),
    "k": _int("--k", 1),
    "sample_size": _int("--sample-size", 0, note="0 = all candidate sessions"),
    "weighting": Rule("--weighting", "choice", choices=WEIGHTINGS),
    "weighting_score": Rule("--weighting-score", "choice", choices=WEIGHTINGS),
    "idf_weighting": _float("--idf-weighting", 0),
    "attention_norm": Rule("--attention-norm", "choice", choices=("dst", "src")),
    "concat_heads": Rule("--concat-heads", "bool"),
    "last_activation": Rule("--last-activation", "bool"),
}
# preprocessing protocol settings (the dataset options of every verb)
PROTOCOL_RULES = {
    "min_item_support": _int("--min-item-support", 1),
    "min_session_length": _int("--min-session-length", 2),
    "test_days": _float("--test-days", 0, low_open=True),
    "fraction": _int("--fraction", 1),
    "session_date": Rule("--session-date", "choice", choices=("last_click", "last_row")),
    "valid_days": _float("--valid-days", 0, low_open=True),
    "valid_fraction": _float("--valid-fraction", 0, 1, low_open=True, high_open=True),
    # the steps before the protocol (fgnn.data.sessionize.LOG_SETTINGS); ``keep`` is free text
    "session_gap": _float("--session-gap", 0, low_open=True, note="minutes"),
    "collapse_repeats": Rule("--collapse-repeats", "bool"),
}
#: protocol keys with no range to check here (their reader checks them: ``keep`` is a list of event types)
FREE_PROTOCOL_KEYS = ("keep",)
# options of the other verbs that are not config fields
OPTION_RULES = {"top_k": K_RULE, "batch_size": TRAIN_RULES["batch_size"]}


def check_value(key: str, value, rules: dict | None = None) -> Problem | None:
    """The problem with one value (``None`` when it is fine); ``key`` names a rule of ``rules``
    (default: every table above, the CLI-only options first)."""
    table = rules if rules is not None else {**TRAIN_RULES, **MODEL_RULES, **PROTOCOL_RULES, **OPTION_RULES}
    rule = table[key]
    return Problem(key, rule, value) if rule.broken(value) else None


def _device_problem(device) -> Problem | None:
    rule = Rule("--device", "choice", choices=("auto", "cpu", "cuda", "cuda:N"))
    if isinstance(device, str) and (device in DEVICES or (device.startswith("cuda:") and device[5:].isdigit())):
        return None
    return Problem("device", rule, device)


def model_problems(model: str, params) -> list[Problem]:
    """Problems of a model name and its hyperparameters (unknown ones included)."""
    from fgnn.models import model_names, model_spec

    names = model_names()
    if not isinstance(model, str) or model not in names:
        return [Problem("model", Rule("--model", "choice", choices=tuple(names)), model)]
    if not isinstance(params, dict):
        return [Problem("model_params", None, params, f"model_params must be an object, got {params!r}")]
    valid = [f.name for f in model_spec(model).hyperparameters()]
    out = []
    for key, value in params.items():
        if key not in valid:
            out.append(Problem(key, None, value, f"model '{model}' has no hyperparameter {key!r}: "
                                                 f"it takes {', '.join(valid) or 'none'}"))
        elif key in MODEL_RULES:
            p = check_value(key, value, MODEL_RULES)
            if p:
                out.append(p)
    return out


def protocol_problems(protocol) -> list[Problem]:
    if not isinstance(protocol, dict):
        return [Problem("protocol", None, protocol, f"protocol must be an object, got {protocol!r}")]
    out = []
    for key, value in protocol.items():
        if key in FREE_PROTOCOL_KEYS:
            continue
        if key not in PROTOCOL_RULES:
            out.append(Problem(key, None, value, f"{key!r} is not a protocol setting: "
                                                 f"those are {', '.join([*PROTOCOL_RULES, *FREE_PROTOCOL_KEYS])}"))
        elif value is not None:
            p = check_value(key, value, PROTOCOL_RULES)
            if p:
                out.append(p)
    return out


def problems(cfg) -> list[Problem]:
    """Every broken rule of a run config (a :class:`fgnn.training.loop.TrainConfig` or its dict)."""
    d = cfg if isinstance(cfg, dict) else cfg.to_dict()
    out = []
    for key, rule in TRAIN_RULES.items():
        if key in d and rule.broken(d[key]):
            out.append(Problem(key, rule, d[key]))
    ks = d.get("ks", [10, 20])
    if not isinstance(ks, (list, tuple)) or not ks:
        out.append(Problem("ks", K_RULE, ks))
    else:
        out += [Problem("ks", K_RULE, k) for k in ks if K_RULE.broken(k)]
    if "device" in d:
        p = _device_problem(d["device"])
        if p:
            out.append(p)
    out += model_problems(d.get("model", "fgnn"), d.get("model_params") or {})
    out += protocol_problems(d.get("protocol") or {})
    return out


def validate_train_config(cfg, where: str = "", by_key: bool = False) -> None:
    """Raise :class:`ConfigError` for the first broken rule (``where`` prefixes the message, e.g.
    ``"run config F: "``; ``by_key`` names the config key instead of the CLI option)."""
    found = problems(cfg)
    if found:
        raise ConfigError(found[0], where, by_key)


def validate_args(args) -> None:
    """Check the options every verb shares (the dataset's protocol options, ``--top-k``,
    ``--batch-size``, ``--device``) on a parsed argparse namespace; raise :class:`ConfigError` naming the first bad one."""
    device = getattr(args, "device", None)
    if device is not None and _device_problem(device):
        raise ConfigError(_device_problem(device))
    table = {**PROTOCOL_RULES, **OPTION_RULES}
    for key, rule in table.items():
        value = getattr(args, key, None)
        for v in value if isinstance(value, list) else [value]:
            if v is not None and rule.broken(v):
                raise ConfigError(Problem(key, rule, v))

