"""What a form shows for a setting, derived from its dataclass field (:mod:`fgnn.settings`).

For any dataclass field (a run's :class:`~fgnn.training.config.TrainConfig`, a model's config, the
protocol's :class:`~fgnn.data.options.ProtocolSettings`, a plugin model's plain config) a
:class:`FormField` says which widget, its label, bounds, step, choices, help and default. The pages
only draw it (``pages/_widgets.py``); nothing here imports Streamlit.
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

from fgnn.settings import Rule, default_of, field_type, get_field, meta, rule_of

#: the K values the Train form offers (the rule: any integer >= 1)
K_OPTIONS = (1, 5, 10, 20, 50, 100)


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
class FormField:
    """One widget: ``widget`` is ``select``, ``multiselect``, ``checkbox``, ``int``, ``float`` or ``text``."""

    name: str
    label: str
    widget: str
    default: Any
    min_value: Any = None
    max_value: Any = None
    step: Any = None
    choices: tuple = ()
    help: str | None = None
    rule: Rule | None = None
    unset: Any = None  # the widget value that stands for None (0 = all)

    def value(self, shown):
        """The setting of a widget's value: ``unset`` -> ``None``, a number box's number as its kind."""
        if shown is None or (self.unset is not None and shown == self.unset):
            return None
        if self.widget == "int":
            return int(shown)
        if self.widget == "float":
            return float(shown)
        return shown

    def accepts(self, shown) -> bool:
        """Whether the rule takes the setting a widget value gives (what the start button checks)."""
        if self.rule is None:
            return True
        value = self.value(shown)
        if self.widget == "multiselect":
            return bool(value) and not any(self.rule.broken(v) for v in value)
        return not self.rule.broken(value)


def _widget(base, rule: Rule | None) -> str:
    if base in (list, tuple):
        return "multiselect"
    if rule is not None and rule.kind == "choice":
        return "select"
    return {bool: "checkbox", int: "int", float: "float"}.get(base, "text")


def form_field(cls, name: str, default=dataclasses.MISSING) -> FormField:
    """The form field of ``cls.name``; ``default`` replaces the field's (a preset's value)."""
    field = get_field(cls, name)
    m, rule = meta(field), rule_of(cls, name)
    base, _ = field_type(cls, name)
    widget = _widget(base, rule)
    if default is dataclasses.MISSING:
        default = default_of(field)
    unset = m.get("unset")
    if default is None:
        default = m.get("means") if m.get("means") is not None else unset
    low, high = widget_bounds(rule)
    if unset is not None and widget in ("int", "float") and (low is None or unset < low):
        low = unset  # the value that stands for "not set" is offered too
    if rule is not None and rule.kind == "float" and rule.low is not None and rule.low_open and unset is None:
        low = None
    step = m.get("step") or (1 if widget == "int" else None)
    choices = tuple(rule.choices) if widget == "select" else K_OPTIONS if widget == "multiselect" else ()
    if widget == "select" and default not in choices:
        default = choices[0] if choices else default
    if widget == "int" and default is not None:
        default = int(default)
    if widget == "float" and default is not None:
        default = float(default)
    return FormField(name, m.get("label") or name, widget, default, low, high, step, choices,
                     m.get("help") or None, rule, unset)


def form_fields(cls, names=None, defaults: dict | None = None) -> list[FormField]:
    """The form fields of ``cls`` (``names``: which, in that order; default: every field with a
    widget, ``n_items`` and dict fields left out); ``defaults`` replace the fields' defaults."""
    defaults = defaults or {}
    if names is None:
        names = [f.name for f in dataclasses.fields(cls)
                 if f.name != "n_items" and field_type(cls, f.name)[0] not in (None, dict)]
    return [form_field(cls, n, defaults.get(n, dataclasses.MISSING)) for n in names]
