"""A fresh server whose first visitor opens a page's URL directly still serves the whole app."""
from __future__ import annotations

import pytest
from browser_support import open_app, wait_for_count

pytestmark = pytest.mark.browser


def test_first_visit_to_a_page_url_gets_the_app_shell(streamlit_server, browser_page, artifacts_dir):
    page = browser_page
    # before anyone opened "/"
    open_app(page, streamlit_server, "Dataset", marker=page.get_by_text("Preprocessing protocol, step by step"))
    wait_for_count(page.locator('[data-testid="stSidebarNav"] a'), 6)
    nav = page.locator('[data-testid="stSidebarNav"] a').all_inner_texts()
    labels = [t.split("\n")[-1].strip() for t in nav]
    assert labels == ["Session builder", "Graph construction", "Train", "Runs", "Inspect", "Dataset"]
    # the shared sidebar of app.py is there too
    page.get_by_text("Model checkpoint").first.wait_for(timeout=30_000)
    page.screenshot(path=str(artifacts_dir / "deep-link-dataset.png"))
