"""One home for every setting: a dataclass field carries its default, its words and its rule.

A setting of a run (:class:`fgnn.training.config.TrainConfig`), of a model (its config dataclass,
:mod:`fgnn.models.configs`) or of the preprocessing protocol (:class:`fgnn.data.options.ProtocolSettings`)
is declared once, with :func:`setting`::

    lr_gamma: float = setting(0.1, help="Learning-rate decay factor (papers: 0.1).", low=0, high=1, low_open=True)

and everything else is derived from that one line, for ANY dataclass (a plugin model's plain config
included: a field without metadata gets its kind from its type annotation and no range):

    rule_of(cls, name)          -> Rule | None    kind, range, choices and the CLI flag
    field_problems(cls, values) -> [Problem]      every broken rule of a dict of values
    validate(cls, values)       -> raises ConfigError naming the first broken rule (its flag and range)
    add_arguments(parser, cls)  -> one argparse flag per field (type, choices, help with the range)
    options_table(cls)          -> the markdown table of options in docs/

The form widgets are derived in :mod:`fgnn.app.forms`. This module imports only the standard
library and :mod:`fgnn.errors` (it is the bottom layer, docs/architecture.md).
"""
from __future__ import annotations

import argparse
import dataclasses
import math
import types
import typing
from dataclasses import dataclass
from typing import Any

from fgnn.errors import ConfigError

KEY = "fgnn.setting"  # the metadata key of a field's setting
_UNSET = dataclasses.MISSING


# --------------------------------------------------------------------------- rules and problems
@dataclass(frozen=True)
class Rule:
    """One option: its kind and range. ``low``/``high`` are inclusive unless ``*_open``."""

    option: str  # the CLI flag that sets it (the config key where there is no flag)
    kind: str  # "int" | "float" | "bool" | "choice" | "str"
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
            return "one of " + ", ".join(map(str, self.choices))
        if self.kind == "str":
            return "a text"
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
        if self.kind == "str":
            return not isinstance(value, str)
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
    key: str  # the config key (a dataclass field: run, model or protocol setting)
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


def config_error(problem: Problem, where: str = "", by_key: bool = False) -> ConfigError:
    """The :class:`~fgnn.errors.ConfigError` of one problem (``where`` prefixes the message)."""
    exc = ConfigError(f"{where}{problem.text(by_key)}")
    exc.problem = problem
    return exc


# --------------------------------------------------------------------------- declaring a setting
def setting(default=_UNSET, *, default_factory=_UNSET, help: str = "", low=None, high=None,
            low_open: bool = False, high_open: bool = False, choices=(), optional: bool | None = None,
            flag: str | None | bool = None, note: str = "", switch: bool = False, label: str = "",
            unset=None, means=None, step=None, checked: bool = True) -> dataclasses.Field:
    """A dataclass field with its words and rule beside its default.

    Args:
        help: one line for ``--help``, the form's help and the docs.
        low, high, low_open, high_open: the range (inclusive unless open).
        choices: the allowed values (a select box, argparse ``choices``).
        optional: ``None`` is allowed (default: when the default is ``None``).
        flag: the CLI flag (default ``--field-name``); ``False``: no flag.
        note: words after the range (``0 = all``).
        switch: a flag that takes no value and sets ``not default`` (``--no-amp``, ``--collapse-repeats``).
        label: the form's label (default: the field name).
        unset: the value that stands for ``None`` in a form (``0`` = all, ``0`` = the format's default).
        means: the value ``None`` means (the session gap's default): the default shown in the
            help, the docs and the form.
        step: the step of the form's number box.
        checked: ``False`` for a field checked by its owner instead (the model name, the device).
    """
    meta = {"help": help, "low": low, "high": high, "low_open": low_open, "high_open": high_open,
            "choices": tuple(choices), "optional": optional, "flag": flag, "note": note, "switch": switch,
            "label": label, "unset": unset, "means": means, "step": step, "checked": checked}
    kw = {"default": default} if default_factory is _UNSET else {"default_factory": default_factory}
    return dataclasses.field(**kw, metadata={KEY: meta})


def meta(field: dataclasses.Field) -> dict:
    """A field's setting metadata (empty for a plain field)."""
    return dict(field.metadata.get(KEY, {}))


def fields(cls) -> list[dataclasses.Field]:
    return list(dataclasses.fields(cls))


def get_field(cls, name: str) -> dataclasses.Field:
    for f in dataclasses.fields(cls):
        if f.name == name:
            return f
    raise KeyError(f"{cls.__name__} has no field {name!r}")


def default_of(field: dataclasses.Field):
    if field.default is not dataclasses.MISSING:
        return field.default
    if field.default_factory is not dataclasses.MISSING:
        return field.default_factory()
    return dataclasses.MISSING


def field_type(cls, name: str) -> tuple[type | None, bool]:
    """``(base type, optional)`` of a field's annotation: ``int | None`` -> ``(int, True)``,
    ``list[int]`` -> ``(list, False)``; a type that is not one of bool/int/float/str/list/dict -> None."""
    hint = typing.get_type_hints(cls).get(name)
    optional = False
    if typing.get_origin(hint) in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(hint) if a is not type(None)]
        optional = len(args) < len(typing.get_args(hint))
        hint = args[0] if len(args) == 1 else None
    base = typing.get_origin(hint) or hint
    return (base if base in (bool, int, float, str, list, tuple, dict) else None), optional


def flag_of(field: dataclasses.Field) -> str | None:
    """The CLI flag of a field: its ``flag``, else ``--field-name``; None for ``flag=False``."""
    flag = meta(field).get("flag")
    if flag is False:
        return None
    return flag or "--" + field.name.replace("_", "-")


def rule_of(cls, name: str) -> Rule | None:
    """The rule of a dataclass field: the kind from its annotation (a list's rule is its items'),
    the range and choices from its setting metadata; None for a field of no simple kind."""
    field = get_field(cls, name)
    m = meta(field)
    base, optional = field_type(cls, name)
    if base in (list, tuple):
        args = typing.get_args(typing.get_type_hints(cls).get(name))
        base = args[0] if args and args[0] in (int, float, str, bool) else None
    if base is None or base is dict:
        return None
    kind = {bool: "bool", int: "int", float: "float", str: "str"}[base]
    if m.get("choices"):
        kind = "choice"
    opt = m.get("optional")
    if opt is None:
        opt = optional or field.default is None
    return Rule(flag_of(field) or name, kind, m.get("low"), m.get("high"), bool(m.get("low_open")),
                bool(m.get("high_open")), bool(opt), tuple(m.get("choices") or ()), m.get("note") or "")


def is_list(cls, name: str) -> bool:
    return field_type(cls, name)[0] in (list, tuple)


def rules(cls, checked_only: bool = True) -> dict[str, Rule]:
    """``{field: rule}`` of every field with a rule (``checked_only``: not those their owner checks)."""
    out = {}
    for f in dataclasses.fields(cls):
        rule = rule_of(cls, f.name)
        if rule is not None and (meta(f).get("checked", True) or not checked_only):
            out[f.name] = rule
    return out


# --------------------------------------------------------------------------- checking values
def value_problems(key: str, rule: Rule, value, many: bool = False) -> list[Problem]:
    """The problems of one value (each item of a list with ``many``: an empty list is one)."""
    if many and value is not None:
        if not isinstance(value, (list, tuple)) or not value:
            return [Problem(key, rule, value)]
        return [Problem(key, rule, v) for v in value if rule.broken(v)]
    return [Problem(key, rule, value)] if rule.broken(value) else []


def field_problems(cls, values: dict, skip=()) -> list[Problem]:
    """Every broken rule of ``values`` (a dict of some of ``cls``'s fields), in field order."""
    out = []
    for name, rule in rules(cls).items():
        if name in values and name not in skip:
            out += value_problems(name, rule, values[name], is_list(cls, name))
    return out


def check(cls, name: str, value) -> Problem | None:
    """The first problem of one value of a field (``None`` when it is fine)."""
    rule = rule_of(cls, name)
    found = value_problems(name, rule, value, is_list(cls, name)) if rule else []
    return found[0] if found else None


def validate(cls, values: dict, where: str = "", by_key: bool = False) -> None:
    """Raise :class:`~fgnn.errors.ConfigError` for the first broken rule of ``values``."""
    found = field_problems(cls, values)
    if found:
        raise config_error(found[0], where, by_key)


def unknown_keys(cls, values: dict) -> list[str]:
    names = {f.name for f in dataclasses.fields(cls)}
    return sorted(set(values) - names)


# --------------------------------------------------------------------------- the command line
def yes_no(text: str) -> bool:
    """A boolean flag's value: yes/no, true/false, 1/0."""
    value = text.strip().lower()
    if value in ("yes", "true", "1", "on"):
        return True
    if value in ("no", "false", "0", "off"):
        return False
    raise argparse.ArgumentTypeError(f"expected yes or no, got {text!r}")


PARSERS = {bool: yes_no, int: int, float: float, str: str}


def shown_value(value) -> str:
    """A default as help and docs show it: ``yes``/``no``, a list comma-separated."""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, (list, tuple)):
        return ", ".join(map(str, value))
    return str(value)


def flag_help(cls, field: dataclasses.Field, extra: str = "") -> str:
    """A flag's help: the field's words, its range and its default."""
    m, rule = meta(field), rule_of(cls, field.name)
    default = default_of(field)
    words = [m.get("help") or ""]
    if rule is not None and rule.kind not in ("str",) and not m.get("switch"):
        words.append(f"Must be {rule.describe()}.")
    if default is not None and default is not dataclasses.MISSING and not m.get("switch"):
        words.append(f"(default {shown_value(default)})")
    elif m.get("means") is not None:
        words.append(f"(default {m['means']})")
    words.append(extra)
    return " ".join(w for w in words if w).replace("%", "%%")


def argument(cls, name: str, extra_help: str = "") -> tuple[tuple, dict]:
    """``(args, kwargs)`` of ``parser.add_argument`` for one field: ``dest`` is the field name and
    the default ``None`` (left out: the dataclass's default)."""
    field = get_field(cls, name)
    m, rule = meta(field), rule_of(cls, name)
    base, _ = field_type(cls, name)
    kw: dict[str, Any] = {"dest": name, "default": None, "help": flag_help(cls, field, extra_help)}
    if m.get("switch"):
        kw.update(action="store_const", const=not default_of(field))
        return (flag_of(field),), kw
    item = base
    if base in (list, tuple):
        args = typing.get_args(typing.get_type_hints(cls)[name])
        item = args[0] if args else str
        kw["nargs"] = "+"
    if rule is not None and rule.kind == "choice":
        kw["metavar"] = "{" + ",".join(map(str, rule.choices)) + "}"
    elif item is bool:
        kw["metavar"] = "yes|no"
    kw["type"] = PARSERS.get(item, str)
    return (flag_of(field),), kw


def add_arguments(parser, cls, only=None, skip=(), extra_help: dict | None = None) -> list[str]:
    """One flag per field of ``cls`` that has one (``only``/``skip``: field names); returns the
    field names added."""
    added = []
    names = only if only is not None else [f.name for f in dataclasses.fields(cls)]
    for name in names:
        if name in skip or flag_of(get_field(cls, name)) is None or rule_of(cls, name) is None:
            continue
        args, kw = argument(cls, name, (extra_help or {}).get(name, ""))
        parser.add_argument(*args, **kw)
        added.append(name)
    return added


def given(args, cls, names=None) -> dict:
    """The fields of ``cls`` set on the command line (``None``: left out)."""
    names = names if names is not None else [f.name for f in dataclasses.fields(cls)]
    return {n: getattr(args, n) for n in names if getattr(args, n, None) is not None}


# --------------------------------------------------------------------------- docs
def options_table(cls, skip=(), flags: bool = True) -> str:
    """The markdown table of ``cls``'s settings: option, default, allowed values, meaning."""
    head = "| option | default | allowed | meaning |" if flags else "| setting | default | allowed | meaning |"
    lines = [head, "|---|---|---|---|"]
    for f in dataclasses.fields(cls):
        rule = rule_of(cls, f.name)
        if f.name in skip or rule is None:
            continue
        m = meta(f)
        name = (flag_of(f) or f.name) if flags else f.name
        default = default_of(f)
        if default is None or default is dataclasses.MISSING:
            default = m.get("means") if m.get("means") is not None else "–"
        shown = shown_value(default) if default != "–" else default
        if m.get("switch"):
            shown = f"off ({f.name}: {shown})"
        words = (m.get("help") or "").replace("|", "\\|")
        lines.append(f"| `{name}` | {shown} | {rule.describe().replace('|', chr(92) + '|')} | {words} |")
    return "\n".join(lines)
