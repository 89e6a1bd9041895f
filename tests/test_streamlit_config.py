"""The app's Streamlit settings (.streamlit/config.toml, read by `streamlit run` from the repo root)."""
from __future__ import annotations

from pathlib import Path

import pytest
import streamlit.config

CONFIG = Path(__file__).resolve().parents[1] / ".streamlit" / "config.toml"


@pytest.fixture
def settings() -> dict:
    tomllib = pytest.importorskip("tomllib")  # Python 3.11+
    return tomllib.loads(CONFIG.read_text())


def test_toolbar_is_minimal_for_every_visitor(settings):
    """No "Deploy" button or developer menu for a newcomer."""
    assert settings["client"]["toolbarMode"] == "minimal"


def test_every_setting_is_one_streamlit_knows(settings):
    """A misspelt option is ignored by Streamlit without a word; this catches it."""
    known = set(streamlit.config._config_options_template)
    for section, options in settings.items():
        for name in options:
            assert f"{section}.{name}" in known, f"{section}.{name}"
