"""Real browser: a model of your own (the example plugin NARM, docs/own-model.md) on the Train page
(its hyperparameters in the form) and in the Session builder (its top-K)."""
from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
from browser_support import (
    choose_option,
    click_point,
    go_to,
    open_builder,
    wait_for_chart_title,
    wait_for_streamlit_idle,
)

pytestmark = pytest.mark.browser

REPO = Path(__file__).resolve().parents[2]


def test_plugin_model_on_the_train_page_and_in_the_builder(tmp_path, streamlit_server_factory, browser_page):
    from fgnn.models import model_names

    if "narm" not in model_names():
        pytest.fail("the example plugin narm is not installed: pip install -r requirements-dev.txt", pytrace=False)
    root = tmp_path / "checkpoints"
    proc = subprocess.run([sys.executable, "-m", "fgnn", "train", "--model", "narm", "--dataset", "diginetica-sample",
                           "--epochs", "1", "--max-train-pairs", "300", "--run-dir", str(root / "narm-sample"),
                           "--quiet"], capture_output=True, text=True, cwd=REPO, timeout=300, check=False)
    assert proc.returncode == 0, proc.stderr[-2000:]
    url = streamlit_server_factory(env={"FGNN_CHECKPOINT_DIR": str(root)}, timeout=90)
    page = browser_page
    open_builder(page, url)
    page.get_by_text(re.compile(r"model narm")).first.wait_for(timeout=60_000)
    for n, want in ((0, 1), (5, 2)):
        click_point(page, n)
        wait_for_chart_title(page, rf"^Session graph: {want} clicks")
        wait_for_streamlit_idle(page)
    page.get_by_role("heading", name=re.compile(r"^Top-\d+ next items")).first.wait_for(timeout=60_000)
    assert not page.locator('[data-testid="stException"]').count()

    go_to(page, "Train")
    choose_option(page, "Model", "narm")
    wait_for_streamlit_idle(page)
    # NARM's own hyperparameters (fields of NARMConfig) in the form
    page.get_by_text(re.compile(r"embedding[ _]size", re.IGNORECASE)).first.wait_for(timeout=30_000)
    page.get_by_text(re.compile(r"context[ _]dropout", re.IGNORECASE)).first.wait_for(timeout=30_000)
    assert not page.locator('[data-testid="stException"]').count()
