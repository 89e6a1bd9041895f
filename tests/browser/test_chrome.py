"""Real browser: what every visitor sees around the pages. No "Deploy" button or
developer menu (`.streamlit/config.toml`), and no absolute server path on any page: not the
checkpoints root, the dataset cache, the uploads folder or the repository, even for a run whose
config, error and log name them (fgnn.app.serving.hide_server_paths)."""
from __future__ import annotations

import json
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
    # the newest run (watched on Train, first on Runs): a failed run on an uploaded log, whose config,
    # error and log name the server's folders
    failed = root / "user-log-run"
    failed.mkdir()
    (failed / "config.json").write_text(json.dumps(
        {"data": str(uploads / "3fa9" / "clicks.csv"), "model": "fgnn", "epochs": 1, "name": "user-log-run"}))
    (failed / "status.json").write_text(json.dumps(
        {"state": "failed", "error": f"no space left on the device writing {failed}/last.pt", "epochs": 1}))
    (failed / "stdout.log").write_text(f"reading {uploads}/3fa9/clicks.csv\nerror: no space in {failed}\n")
    url = streamlit_server_factory(env={"FGNN_CHECKPOINT_DIR": str(root), "FGNN_CACHE_DIR": str(cache),
                                        "FGNN_UPLOAD_DIR": str(uploads)}, timeout=90)
    page = browser_page
    open_app(page, url, marker=page.get_by_role("heading", name="Session builder"))
    server_paths = [str(tmp_path), str(REPO), str(Path.home() / ".cache")]
    seen = {}
    for title in PAGES:
        go_to(page, title)
        wait_for_count(page.get_by_role("heading", name=title, exact=True), 1)
        if title in ("Train", "Runs"):  # the failed run is shown, its paths named by folder
            page.get_by_text("<uploads>/3fa9/clicks.csv" if title == "Runs" else "<checkpoints>/user-log-run").first.wait_for()
        assert page.locator('[data-testid="stAppDeployButton"]').count() == 0, title
        assert page.get_by_role("button", name="Deploy").count() == 0, title
        assert page.locator('[data-testid="stMainMenu"]').count() == 0, title
        text = page.inner_text("body")
        seen[title] = [p for p in server_paths if p in text]
    assert seen == {title: [] for title in PAGES}
