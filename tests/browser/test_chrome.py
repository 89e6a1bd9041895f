"""Real browser: what every visitor sees around the pages (issue 28). No "Deploy" button or
developer menu (`.streamlit/config.toml`), and no absolute server path on any page: not the
checkpoints root, the dataset cache, the uploads folder or the repository."""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from browser_support import go_to, open_app, wait_for_count

pytestmark = pytest.mark.browser

REPO = Path(__file__).resolve().parents[2]
PAGES = ["Session builder", "Graph construction", "Train", "Runs", "Inspect", "Dataset"]


def test_no_deploy_button_and_no_server_path_on_any_page(tmp_path, streamlit_server_factory, browser_page):
    root = tmp_path / "checkpoints"
    root.mkdir()
    for name in ("fgnn-sample", "srgnn-sample"):
        shutil.copytree(REPO / "checkpoints" / name, root / name, ignore=shutil.ignore_patterns("inspect-cache"))
    cache, uploads = tmp_path / "cache", tmp_path / "uploads"
    url = streamlit_server_factory(env={"FGNN_CHECKPOINT_DIR": str(root), "FGNN_CACHE_DIR": str(cache),
                                        "FGNN_UPLOAD_DIR": str(uploads)}, timeout=90)
    page = browser_page
    open_app(page, url, marker=page.get_by_role("heading", name="Session builder"))
    server_paths = [str(tmp_path), str(REPO), str(Path.home() / ".cache")]
    seen = {}
    for title in PAGES:
        go_to(page, title)
        wait_for_count(page.get_by_role("heading", name=title, exact=True), 1)
        assert page.locator('[data-testid="stAppDeployButton"]').count() == 0, title
        assert page.get_by_role("button", name="Deploy").count() == 0, title
        assert page.locator('[data-testid="stMainMenu"]').count() == 0, title
        text = page.inner_text("body")
        seen[title] = [p for p in server_paths if p in text]
    assert seen == {title: [] for title in PAGES}
