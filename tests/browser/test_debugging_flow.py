"""Real browser: follow a miss from Inspect into the builder, see the true next item's rank there,
choose another checkpoint of the same dataset and see its rank too."""
from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from browser_support import (
    choose_option,
    choose_radio,
    click_until,
    open_app,
    option_labels,
    select_box,
    wait_for_count,
)

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
    # the first visit ranks every test prefix: a long step under load, waited on by its own marker
    open_app(page, url, "Inspect", marker=page.get_by_text("Compare with another checkpoint"), timeout_s=180)

    choose_radio(page, "outcome at K = 20", "miss")
    page.get_by_text(re.compile(r"Miss: the model put item \d+ first")).first.wait_for(timeout=60_000)
    click_until(page, page.get_by_role("button", name=re.compile("Open in the session builder")),
                page.get_by_role("heading", name="Session builder"), within_ms=90_000)

    # the builder: the target's rank under this checkpoint and under the comparison one (the second
    # is drawn by a fragment after the first: wait for both)
    wait_for_count(page.get_by_text(RANK), 2, timeout_ms=120_000)
    before = select_box(page, "Compare with").input_value()
    assert "srgnn" in before
    chosen = next(label for label in option_labels(page, "Compare with") if label != before)
    choose_option(page, "Compare with", chosen)
    wait_for_count(page.get_by_text(RANK), 2, timeout_ms=60_000)
    page.get_by_text("Compare with").first.scroll_into_view_if_needed()
    page.screenshot(path=str(artifacts_dir / "debugging-flow-two-ranks.png"))
