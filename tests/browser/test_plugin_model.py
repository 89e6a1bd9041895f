"""Real browser: a model of your own on the Train page (its hyperparameters in the form) and in the
Session builder (its top-K): the example plugin NARM (an installed package, docs/own-model.md), and a
model in a file outside the repository registered with ``FGNN_MODELS``."""
from __future__ import annotations

import os
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
from own_model import MY_MODEL

pytestmark = pytest.mark.browser

REPO = Path(__file__).resolve().parents[2]


def train_one_epoch(model: str, run_dir: Path, *extra: str, env: dict | None = None) -> None:
    proc = subprocess.run([sys.executable, "-m", "fgnn", "train", "--model", model, "--dataset", "diginetica-sample",
                           "--epochs", "1", "--max-train-pairs", "300", "--run-dir", str(run_dir), "--quiet", *extra],
                          capture_output=True, text=True, cwd=REPO, timeout=300, check=False, env=env)
    assert proc.returncode == 0, proc.stderr[-2000:]


def check_builder_and_train_page(page, url: str, model: str, fields: tuple[str, ...]) -> None:
    """The model's checkpoint scores a two-click session in the Session builder (its top-K shown), and
    the Train page's form shows the model's own hyperparameters (``fields``: patterns of their labels)."""
    open_builder(page, url)
    page.get_by_text(re.compile(rf"model {model}")).first.wait_for(timeout=60_000)
    for n, want in ((0, 1), (5, 2)):
        click_point(page, n)
        wait_for_chart_title(page, rf"^Session graph: {want} clicks")
        wait_for_streamlit_idle(page)
    page.get_by_role("heading", name=re.compile(r"^Top-\d+ next items")).first.wait_for(timeout=60_000)
    assert not page.locator('[data-testid="stException"]').count()
    go_to(page, "Train")
    choose_option(page, "Model", model)
    wait_for_streamlit_idle(page)
    for field in fields:
        page.get_by_text(re.compile(field, re.IGNORECASE)).first.wait_for(timeout=30_000)
    assert not page.locator('[data-testid="stException"]').count()


@pytest.mark.parametrize("model, fields", [
    ("narm", (r"embedding[ _]size", r"context[ _]dropout")),  # NARM's own hyperparameters (NARMConfig)
    ("gcsan", (r"^blocks$", r"^weight$")),  # GC-SAN's (GCSANConfig)
])
def test_example_plugin_on_the_train_page_and_in_the_builder(model, fields, tmp_path, streamlit_server_factory,
                                                             browser_page):
    from fgnn.models import model_names

    if model not in model_names():
        pytest.fail(f"the example plugin {model} is not installed: pip install -r requirements-dev.txt", pytrace=False)
    root = tmp_path / "checkpoints"
    train_one_epoch(model, root / f"{model}-sample")
    url = streamlit_server_factory(env={"FGNN_CHECKPOINT_DIR": str(root)}, timeout=90)
    check_builder_and_train_page(browser_page, url, model, fields)


def test_a_model_registered_with_fgnn_models_on_the_train_page_and_in_the_builder(tmp_path, streamlit_server_factory,
                                                                                  browser_page):
    (tmp_path / "my_model.py").write_text(MY_MODEL)
    env = {"FGNN_MODELS": "my_model:MeanModel", "PYTHONPATH": str(tmp_path), "FGNN_CHECKPOINT_DIR": str(tmp_path / "ck")}
    train_one_epoch("meanclicks", tmp_path / "ck" / "mean-sample", "--scale", "0.5",
                    env={**os.environ, **env, "PYTHONPATH": f"{REPO}{os.pathsep}{tmp_path}"})
    url = streamlit_server_factory(env=env, timeout=90)
    # MeanConfig's plain fields, a form widget each from its type
    check_builder_and_train_page(browser_page, url, "meanclicks", (r"^scale$", r"hidden[ _]size"))
