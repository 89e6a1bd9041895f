"""One home for every setting (fgnn/settings.py): for EVERY field of TrainConfig, of the protocol
settings and of every registered model's config, the CLI flag, the form widget and the docs' table
agree with the field's default and rule; and the disagreements found once stay fixed."""
from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass
from pathlib import Path

import pytest

from fgnn.app.forms import form_field, form_fields, widget_bounds
from fgnn.cli import build_parser
from fgnn.commands import options_doc
from fgnn.commands.train import config_from_args
from fgnn.data.options import DEFAULT_SESSION_GAP_MINUTES, ProtocolSettings
from fgnn.data.spec import DatasetSpec
from fgnn.errors import ConfigError
from fgnn.models import config_class, model_names
from fgnn.settings import add_arguments, check, default_of, flag_of, rule_of, validate
from fgnn.training.config import TrainConfig

REPO = Path(__file__).resolve().parents[1]
NOT_IN_FORMS = {"data", "model", "model_params", "name", "amp", "num_threads", "eval_batch_size"}  # not drawn as settings


def _actions(verb: str) -> dict:
    sub = next(a for a in build_parser()._actions if a.dest == "verb")
    return {a.dest: a for a in sub.choices[verb]._actions}


def _settings() -> list[tuple[type, dataclasses.Field]]:
    classes = [TrainConfig, ProtocolSettings, *{config_class(m) for m in model_names()}]
    return [(cls, f) for cls in classes for f in dataclasses.fields(cls)
            if f.name not in ("n_items", "data", "model_params")]


@pytest.mark.parametrize("cls, field", _settings(), ids=lambda x: getattr(x, "name", getattr(x, "__name__", "")))
def test_every_setting_agrees_with_its_flag_its_widget_and_its_rule(cls, field):
    rule = rule_of(cls, field.name)
    assert rule is not None, field.name
    default = default_of(field)
    if field.name != "device":  # "auto" is one of the choices; cuda:N is checked on its own
        assert check(cls, field.name, default) is None, (field.name, default)
    # the CLI flag of `fgnn train` (which has every run, protocol and model setting but the run's name)
    actions = _actions("train")
    if flag_of(field) is None:
        assert field.name not in actions
    else:
        action = actions[field.name]
        assert action.option_strings == [flag_of(field)] and action.default is None  # left out: the default
        if rule.kind == "choice":
            assert action.metavar == "{" + ",".join(rule.choices) + "}"
        assert rule.describe() in " ".join(action.help.split()) or rule.kind == "str" or action.const is not None
    # the form widget
    if cls is TrainConfig and field.name in NOT_IN_FORMS:
        return
    widget = form_field(cls, field.name)
    if rule.kind == "choice":
        assert widget.widget == "select" and widget.choices == rule.choices and widget.default in rule.choices
    elif rule.kind in ("int", "float") and widget.widget != "multiselect":
        low, high = widget_bounds(rule)
        assert widget.max_value == high
        assert widget.min_value == (low if widget.unset is None else min(widget.unset, low if low is not None else 0))
        assert widget.accepts(widget.default), (field.name, widget.default)  # the form's default is allowed


def test_train_options_left_out_give_every_default():
    cfg = config_from_args(build_parser().parse_args(["train"]))
    for field in dataclasses.fields(TrainConfig):
        assert getattr(cfg, field.name) == getattr(TrainConfig(), field.name), field.name


def test_a_plain_dataclass_gets_flags_widgets_and_rules_from_its_types():
    @dataclass
    class PluginConfig:
        n_items: int
        hidden: int = 64
        rate: float = 0.5
        tied: bool = False
        kind: str = "gru"

    import argparse

    p = argparse.ArgumentParser()
    assert add_arguments(p, PluginConfig, skip=("n_items",)) == ["hidden", "rate", "tied", "kind"]
    args = p.parse_args(["--hidden", "8", "--tied", "yes"])
    assert (args.hidden, args.tied, args.rate) == (8, True, None)
    assert [f.widget for f in form_fields(PluginConfig)] == ["int", "float", "checkbox", "text"]
    assert rule_of(PluginConfig, "hidden").describe() == "an integer"
    with pytest.raises(ConfigError, match="--hidden must be an integer, got 'x'"):
        validate(PluginConfig, {"hidden": "x"})


def test_the_train_form_refuses_lr_gamma_zero_as_the_rule_does():
    gamma = form_field(TrainConfig, "lr_gamma")
    assert not gamma.accepts(0.0) and gamma.accepts(1.0) and gamma.accepts(0.1)
    assert gamma.min_value is None or gamma.min_value > 0  # the box never offers 0 as its lower bound
    assert gamma.max_value == 1.0


def test_no_flag_is_named_that_the_cli_does_not_have():
    flags = {o for verb in ("train", "prepare", "evaluate", "predict") for a in _actions(verb).values()
             for o in a.option_strings}
    for cls in (TrainConfig, ProtocolSettings, *{config_class(m) for m in model_names()}):
        for f in dataclasses.fields(cls):
            flag = flag_of(f)
            if flag is not None and f.name not in ("data", "model_params", "n_items"):
                assert flag in flags, (cls.__name__, flag)
    assert "--session-date" in flags  # the rule named it: now the flag exists
    texts = [p.read_text() for p in (*REPO.glob("fgnn/**/*.py"), *REPO.glob("pages/*.py"), *REPO.glob("docs/*.md"))]
    named = {m for t in texts for m in re.findall(r"--session-date\b", t)}
    assert not named or "--session-date" in flags


def test_the_session_gap_default_is_written_once():
    assert ProtocolSettings().session_gap is None  # not asked for: the default applies
    assert form_field(ProtocolSettings, "session_gap").default == DEFAULT_SESSION_GAP_MINUTES
    mine = [*REPO.glob("fgnn/data/*.py"), *REPO.glob("fgnn/commands/*.py"), REPO / "fgnn/app/forms.py",
            REPO / "pages/6_Dataset.py", REPO / "fgnn/settings.py"]
    written = [f"{p.name}:{i}" for p in mine for i, line in enumerate(p.read_text().splitlines(), 1)
               if re.search(r"\b30(\.0)?\b", line) and "gap" in line.lower()]
    assert len(written) == 1 and written[0].startswith("options.py:"), written


def test_the_protocol_settings_keep_the_layout_of_old_files():
    spec = DatasetSpec(protocol=(("test_days", 1), ("keep", "view"), ("fraction", None)))  # the older pairs
    assert spec.settings == {"keep": "view", "test_days": 1} and list(spec.settings) == ["keep", "test_days"]
    assert spec.config_dict()["protocol"] == {"keep": "view", "test_days": 1}
    assert DatasetSpec.from_config(spec.config_dict()) == spec and hash(spec) == hash(DatasetSpec.from_text(spec.to_text()))
    assert TrainConfig.from_dict(TrainConfig(data=spec).to_dict()) == TrainConfig(data=spec)


def test_the_docs_tables_are_the_generated_ones():
    found = options_doc.in_docs()
    for (page, name), table in options_doc.tables().items():
        assert found[(page, name)] == options_doc.block(name, table), (
            f"docs/{page} table {name} is stale: run python -m fgnn.commands.options_doc")
