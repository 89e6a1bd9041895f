"""Real browser: Runs -> Delete. Typing the run's name and clicking "Delete run" at once (the click
also ends the typing) deletes the run with that one click (issue 14, bug 7: the first click after
typing used to be swallowed); a wrong name deletes nothing; a shipped run cannot be deleted."""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from browser_support import wait_for_streamlit_idle

pytestmark = pytest.mark.browser

REPO = Path(__file__).resolve().parents[2]


def choose_run(page, name: str) -> None:
    wait_for_streamlit_idle(page, timeout=60)
    box = page.locator('input[aria-label="run"]')
    box.scroll_into_view_if_needed()
    box.click()
    # type the name and take the one option left with Enter: a click on an option can miss while
    # the list is redrawn
    box.fill(name)
    page.get_by_role("option", name=name, exact=True).wait_for()
    box.press("Enter")
    page.wait_for_function("(v) => document.querySelector('input[aria-label=\"run\"]').value === v", arg=name)
    wait_for_streamlit_idle(page, timeout=60)


def test_one_click_deletes_after_typing_the_name(tmp_path, streamlit_server_factory, browser_page, artifacts_dir):
    root = tmp_path / "checkpoints"
    root.mkdir()
    for name in ("fgnn-sample", "srgnn-sample"):
        shutil.copytree(REPO / "checkpoints" / name, root / name)
    scratch = root / "srgnn-scratch"
    shutil.copytree(REPO / "checkpoints" / "srgnn-sample", scratch, ignore=shutil.ignore_patterns("inspect-cache"))
    url = streamlit_server_factory(env={"FGNN_CHECKPOINT_DIR": str(root)}, timeout=90)
    page = browser_page
    page.goto(url.rstrip("/") + "/Runs")
    wait_for_streamlit_idle(page, timeout=120)
    page.get_by_role("heading", name="Runs").wait_for(timeout=60_000)

    # a shipped run: the form is off and says why
    choose_run(page, "srgnn-sample")
    page.get_by_text("Delete this run").click()
    page.get_by_text("ships with FGNN Studio").wait_for()
    assert page.get_by_role("button", name="Delete run").is_disabled()

    choose_run(page, "srgnn-scratch")
    confirm = page.get_by_label("type the run name to confirm")
    expander = page.locator("details").filter(has_text="Delete this run").first
    if expander.get_attribute("open") is None:  # stays open across the rerun; opened if not
        page.get_by_text("Delete this run").click()
    confirm.wait_for()
    # a wrong name: nothing deleted, one clear message
    confirm.fill("srgnn-scratc")
    page.get_by_role("button", name="Delete run").click()
    page.get_by_text("exactly to confirm the deletion").wait_for()
    wait_for_streamlit_idle(page, timeout=60)
    assert scratch.is_dir()

    # the right name, typed and then one click straight away (no Enter, no blur first)
    confirm = page.get_by_label("type the run name to confirm")
    confirm.fill("srgnn-scratch")
    page.get_by_role("button", name="Delete run").click()
    page.get_by_text("Run srgnn-scratch was deleted.").wait_for(timeout=60_000)
    assert not scratch.exists()
    assert (root / "srgnn-sample" / "best.pt").is_file() and (root / "fgnn-sample" / "best.pt").is_file()
    page.screenshot(path=str(artifacts_dir / "runs-delete.png"))
