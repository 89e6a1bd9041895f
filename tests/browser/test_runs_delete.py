"""Real browser: Runs -> Delete. Typing the run's name and clicking "Delete run" at once (the click
also ends the typing) deletes the run with that one click (the first click after
typing used to be swallowed); a wrong name deletes nothing; a shipped run cannot be deleted."""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from browser_support import choose_option, fill_field, open_app, open_expander, press_button, wait_for_streamlit_idle

pytestmark = pytest.mark.browser

REPO = Path(__file__).resolve().parents[2]


def test_one_click_deletes_after_typing_the_name(tmp_path, streamlit_server_factory, browser_page, artifacts_dir):
    root = tmp_path / "checkpoints"
    root.mkdir()
    for name in ("fgnn-sample", "srgnn-sample"):
        shutil.copytree(REPO / "checkpoints" / name, root / name)
    scratch = root / "srgnn-scratch"
    shutil.copytree(REPO / "checkpoints" / "srgnn-sample", scratch, ignore=shutil.ignore_patterns("inspect-cache"))
    url = streamlit_server_factory(env={"FGNN_CHECKPOINT_DIR": str(root)}, timeout=90)
    page = browser_page
    open_app(page, url, "Runs", marker=page.get_by_role("heading", name="Runs"))

    # a shipped run: the form is off and says why
    choose_option(page, "run", "srgnn-sample")
    open_expander(page, "Delete this run")
    page.get_by_text("ships with FGNN Studio").wait_for()
    assert page.get_by_role("button", name="Delete run").is_disabled()

    choose_option(page, "run", "srgnn-scratch")
    open_expander(page, "Delete this run")  # stays open across the rerun; opened if not
    # a wrong name: nothing deleted, one clear message (a lost click is clicked again)
    fill_field(page, "type the run name to confirm", "srgnn-scratc")
    press_button(page, "Delete run", effect=page.get_by_text("exactly to confirm the deletion"))
    wait_for_streamlit_idle(page, timeout=60)
    assert scratch.is_dir()

    # the right name, typed and then ONE click straight away (no Enter, no blur first): that one
    # click is what this test is about, so it is not repeated; the page is idle before it
    fill_field(page, "type the run name to confirm", "srgnn-scratch")
    page.get_by_role("button", name="Delete run").click()
    page.get_by_text("Run srgnn-scratch was deleted.").wait_for(timeout=90_000)
    assert not scratch.exists()
    assert (root / "srgnn-sample" / "best.pt").is_file() and (root / "fgnn-sample" / "best.pt").is_file()
    page.screenshot(path=str(artifacts_dir / "runs-delete.png"))
