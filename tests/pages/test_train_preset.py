"""AppTest: the Train page's preset select (docs/fgnn-study.md) fills FGNN's hyperparameters."""
from __future__ import annotations

from app_support import app

TRAIN = "pages/3_Train.py"


def test_preset_select_fills_the_fields_and_paper_is_the_default(root):
    at = app(TRAIN)
    at.selectbox(key="train_model").set_value("fgnn").run()
    preset = at.selectbox(key="train_fgnn_preset")
    assert preset.options == ["paper", "last-click", "senders", "last-click-senders"] and preset.value == "paper"
    assert "NOT the paper's model" in preset.help
    assert at.checkbox(key="train_fgnn_last_click").value is False
    preset.set_value("last-click").run()
    assert at.checkbox(key="train_fgnn_last-click_last_click").value is True
    assert at.number_input(key="train_fgnn_last-click_heads").value == 8  # the rest stays the paper's
    assert not at.exception
    at.selectbox(key="train_fgnn_preset").set_value("last-click-senders").run()
    assert at.checkbox(key="train_fgnn_last-click-senders_last_click").value is True
    assert at.selectbox(key="train_fgnn_last-click-senders_attention_norm").value == "src"
    at.selectbox(key="train_model").set_value("srgnn").run()
    assert not [s for s in at.selectbox if s.key == "train_srgnn_preset"]  # no presets: no select
