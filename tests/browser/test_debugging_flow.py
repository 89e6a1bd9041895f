"""Real browser: follow a miss from Inspect into the builder, see the true next item's rank there,
choose another checkpoint of the same dataset and see its rank too (issue 14's debugging flow)."""
from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from browser_support import wait_for_streamlit_idle

pytestmark = pytest.mark.browser

REPO = Path(__file__).resolve().parents[2]
RANK = re.compile(r"true next item \S+: rank [\d,]+")


def test_open_a_miss_from_inspect_and_compare_two_checkpoints(tmp_path, streamlit_server_factory, browser_page,
                                                              artifacts_dir):
    root = tmp_path / "checkpoints"
    root.mkdir()
    for name in ("fgnn-sample", "srgnn-sample"):
        shutil.copytree(REPO / "checkpoints" / name, root / name)
    shutil.copytree(REPO / "checkpoints" / "srgnn-sample", root / "srgnn-second")
    url = streamlit_server_factory(env={"FGNN_CHECKPOINT_DIR": str(root)}, timeout=90)
    page = browser_page
    page.goto(url.rstrip("/") + "/Inspect")
    wait_for_streamlit_idle(page, timeout=120)
    page.get_by_text("Compare with another checkpoint").wait_for(timeout=120_000)

    page.locator('[data-testid="stRadio"]').filter(has_text="outcome at K").get_by_text("miss", exact=True).click()
    wait_for_streamlit_idle(page, timeout=60)
    page.get_by_text(re.compile(r"Miss: the model put item \d+ first")).first.wait_for(timeout=60_000)
    page.get_by_role("button", name=re.compile("Open in the session builder")).first.click()

    # the builder: the target's rank under this checkpoint and under the comparison one
    page.get_by_role("heading", name="Session builder").wait_for(timeout=60_000)
    wait_for_streamlit_idle(page, timeout=90)
    page.get_by_text(RANK).first.wait_for(timeout=60_000)
    assert page.get_by_text(RANK).count() == 2, page.get_by_text(RANK).all_inner_texts()
    box = page.locator('input[aria-label="Compare with"]')
    assert "srgnn" in box.input_value()
    before = box.input_value()
    box.scroll_into_view_if_needed()
    box.click()
    options = page.get_by_role("option")
    if not options.count():
        box.press("ArrowDown")  # the list opens from the keyboard too
    options.first.wait_for()
    other = next(i for i in range(options.count()) if options.nth(i).inner_text().strip() != before)
    chosen = options.nth(other).inner_text().strip()
    options.nth(other).click()
    wait_for_streamlit_idle(page, timeout=60)
    page.wait_for_function("(v) => document.querySelector('input[aria-label=\"Compare with\"]').value === v",
                           arg=chosen, timeout=30_000)
    ranks = page.get_by_text(RANK).all_inner_texts()
    assert len(ranks) == 2, ranks
    page.get_by_text("Compare with").first.scroll_into_view_if_needed()
    page.screenshot(path=str(artifacts_dir / "debugging-flow-two-ranks.png"))
