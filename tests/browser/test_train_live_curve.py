"""Real browser (Playwright + Chromium): start a 1-epoch run from the Train page, watch its
curve appear through the live fragment, save a screenshot in test-artifacts/."""
from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest
from browser_support import choose_radio, open_app, press_button, type_value
from playwright.sync_api import expect

pytestmark = [pytest.mark.browser, pytest.mark.slow]

REPO = Path(__file__).resolve().parents[2]


def test_start_one_epoch_run_and_see_its_curve(tmp_path, streamlit_server_factory, browser_page, artifacts_dir):
    root = tmp_path / "checkpoints"
    root.mkdir()
    shutil.copytree(REPO / "checkpoints" / "fgnn-sample", root / "fgnn-sample")
    url = streamlit_server_factory(env={"FGNN_CHECKPOINT_DIR": str(root)}, timeout=90)
    page = browser_page
    open_app(page, url, "Train", marker=page.get_by_role("button", name="Start training"))

    for label, value in (("hidden_size", 16), ("heads", 2), ("epochs", 1), ("max training pairs (0 = all)", 120),
                         ("max test pairs (0 = all)", 40), ("log loss every N batches", 1)):
        type_value(page, label, value)
    choose_radio(page, "device", "cpu")
    type_value(page, "run name", "browser tiny")
    # a second click once the run has started would be refused (the folder holds a run): harmless
    press_button(page, "Start training", effect=page.get_by_text("Started run"), exact=False)
    run_dir = root / "browser-tiny"
    # the Train page's live fragment (every 2 s) says when the run has ended, however it ended
    page.get_by_text(re.compile(r"Run browser-tiny (finished|failed|was cancelled)")).first.wait_for(timeout=240_000)
    status = json.loads((run_dir / "status.json").read_text()) if (run_dir / "status.json").exists() else {}
    assert status.get("state") == "finished", (run_dir / "stdout.log").read_text(errors="replace")[-2000:]
    assert json.loads((run_dir / "config.json").read_text())["epochs"] == 1

    # the fragment refreshes every 2 s by itself: the finished state and the curves appear
    page.get_by_text("Run browser-tiny finished").wait_for(timeout=60_000)
    chart = page.locator(".js-plotly-plot").first
    chart.wait_for(timeout=60_000)
    page.wait_for_function(
        "() => document.querySelectorAll('.js-plotly-plot .scatterlayer .trace').length >= 3", timeout=60_000)
    points = page.locator(".js-plotly-plot .scatterlayer .point").count()
    assert points >= 1
    chart.scroll_into_view_if_needed()
    expect(chart).to_be_in_viewport()
    shot = artifacts_dir / "train-page-1-epoch-run.png"
    page.screenshot(path=str(shot), full_page=True)
    assert shot.stat().st_size > 10_000
