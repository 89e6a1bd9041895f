"""Weak cases at the boundaries: a long session for `fgnn explain` is capped at the Session
builder's limit; an old checkpoint without a config field the code now has loads with the default
and says so."""
from __future__ import annotations

from pathlib import Path

import torch

from fgnn.cli import main as cli
from fgnn.evaluation.ranking import MAX_SESSION_CLICKS
from fgnn.models.checkpoint import load_checkpoint, missing_config_fields, model_from_checkpoint, save_checkpoint

SHIPPED = Path(__file__).resolve().parents[2] / "checkpoints"


def test_explain_caps_a_very_long_session_at_the_builders_limit(capsys):
    ckpt = SHIPPED / "fgnn-sample" / "best.pt"
    ids = load_checkpoint(ckpt)["item_ids"][1:].tolist()
    session = [ids[i % len(ids)] for i in range(2000)]
    code = cli(["explain", "--checkpoint", str(ckpt), "--session", *map(str, session), "--item", str(ids[0]),
                "--method", "attention"])
    err = capsys.readouterr().err
    assert code == 2
    assert f"2000 clicks, more than the {MAX_SESSION_CLICKS}" in err and "Traceback" not in err


def test_a_checkpoint_without_a_newer_config_field_loads_with_the_default_and_names_it(tmp_path):
    ckpt = load_checkpoint(SHIPPED / "fgnn-senders-sample" / "best.pt")
    assert ckpt["model_config"]["attention_norm"] == "src"
    old = dict(ckpt, model_config={k: v for k, v in ckpt["model_config"].items() if k != "attention_norm"})
    save_checkpoint(old, tmp_path / "old.pt")
    loaded = load_checkpoint(tmp_path / "old.pt")
    model = model_from_checkpoint(loaded, tmp_path / "old.pt")
    assert model.config_dict()["attention_norm"] == "dst"  # the default of the code's config
    warnings = missing_config_fields(loaded, tmp_path / "old.pt")
    named = [w for w in warnings if "attention_norm" in w]
    assert len(named) == 1 and "attention_norm='dst'" in named[0] and "default" in named[0]
    # a checkpoint that has every field gets no such warning
    assert missing_config_fields(ckpt, "ckpt") == []
    assert torch.equal(loaded["item_ids"], ckpt["item_ids"])


def _senders_without_attention_norm(tmp_path) -> Path:
    ckpt = load_checkpoint(SHIPPED / "fgnn-senders-sample" / "best.pt")
    old = dict(ckpt, model_config={k: v for k, v in ckpt["model_config"].items() if k != "attention_norm"})
    return save_checkpoint(old, tmp_path / "old.pt")


def test_the_commands_name_a_setting_the_checkpoint_predates(tmp_path, capsys):
    """predict / evaluate / explain load such a checkpoint and say which default it was built with
    (before: a senders checkpoint without attention_norm silently evaluated as the paper's FGNN)."""
    path = _senders_without_attention_norm(tmp_path)
    item = int(load_checkpoint(path)["item_ids"][1])
    for argv in (["predict", "--checkpoint", str(path), "--session", str(item), "--json"],
                 ["explain", "--checkpoint", str(path), "--session", str(item), "--item", str(item),
                  "--method", "attention", "--json"]):
        assert cli(argv) == 0, argv
        err = capsys.readouterr().err
        assert "warning:" in err and "attention_norm='dst'" in err, argv
    # the shipped checkpoints state every setting (fgnn-sample's were completed with the defaults it was
    # trained with: its stored HR@20 82.83 / MRR@20 43.58 are reproduced by them)
    for run in ("fgnn-sample", "srgnn-sample", "fgnn-senders-sample"):
        assert missing_config_fields(load_checkpoint(SHIPPED / run / "best.pt"), run) == [], run


def test_the_app_warns_about_a_setting_the_checkpoint_predates(tmp_path, root):
    from app_support import app

    run = root / "senders-old"
    run.mkdir()
    (run / "best.pt").write_bytes(_senders_without_attention_norm(tmp_path).read_bytes())
    at = app("pages/1_Session_builder.py", checkpoint=str(run / "best.pt"))
    warnings = [w.value for w in at.warning]
    assert any("attention_norm='dst'" in w and "senders-old/best.pt" in w for w in warnings), warnings
    assert not any(str(root) in w for w in warnings)
