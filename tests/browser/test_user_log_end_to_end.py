"""Real browser, end to end: upload a user log without session ids (and an items file) on the
Dataset page, train a tiny FGNN on it from the Train page, use its checkpoint, and build a
session on the Session builder whose items show their names."""
from __future__ import annotations

import contextlib
import json
import re

import pytest
from browser_support import chart, click_until_gone, wait_for_chart_title, wait_for_streamlit_idle
from user_logs import items_file, retailrocket_like

from fgnn.data.registry import load_dataset

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def type_into(page, label: str, value) -> None:
    box = page.get_by_label(label, exact=True)
    box.fill(str(value))
    box.press("Enter")
    # the rerun that takes the value may start a moment after Enter on a busy machine: the page
    # counts as idle only after no run has shown for 700 ms, so the next field is not filled while
    # this one's rerun redraws the form (a value typed then can be lost)
    wait_for_streamlit_idle(page, quiet_ms=700)


def go_to(page, title: str) -> None:
    """Switch page through the app's navigation (a new URL would start a new session)."""
    page.get_by_role("link", name=title).first.click()
    wait_for_streamlit_idle(page, timeout=90)


def test_user_log_upload_train_and_build_a_named_session(tmp_path, monkeypatch, streamlit_server_factory,
                                                        browser_page, artifacts_dir):
    log = retailrocket_like(tmp_path / "events.csv")
    items = items_file(tmp_path / "items.csv", range(500, 560))
    root = tmp_path / "checkpoints"
    root.mkdir()
    env = {"FGNN_CHECKPOINT_DIR": str(root), "FGNN_UPLOAD_DIR": str(tmp_path / "uploads"),
           "FGNN_CACHE_DIR": str(tmp_path / "cache")}
    url = streamlit_server_factory(env=env, timeout=90)
    page = browser_page
    page.goto(url.rstrip("/") + "/Dataset")
    wait_for_streamlit_idle(page, timeout=90)

    # ---- Dataset page: the user log and its items file
    page.get_by_text("Load your own click log").click()
    uploaders = page.locator('[data-testid="stFileUploader"] input[type="file"]')
    uploaders.nth(0).set_input_files(str(log))
    wait_for_streamlit_idle(page, quiet_ms=700)
    uploaders.nth(1).set_input_files(str(items))
    wait_for_streamlit_idle(page, quiet_ms=700)
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    fields = {"user column (a log without session ids)": "visitorid", "item column (csv)": "itemid",
              "time column (csv)": "timestamp", "event column (optional)": "event", "keep events": "view"}
    # on a busy machine a typed value or the click can be lost in a redraw (seen in CI): each try
    # types what is not there (the first, every field), clicks, and waits for the dataset to load
    loaded = page.get_by_text("Loaded").first
    for _ in range(3):
        for label, value in fields.items():
            if page.get_by_label(label, exact=True).input_value() != value:
                type_into(page, label, value)
        with contextlib.suppress(PlaywrightTimeout):
            page.get_by_role("button", name="Run the protocol").click(timeout=10_000)
        with contextlib.suppress(PlaywrightTimeout):
            loaded.wait_for(timeout=60_000)
            break
    if not loaded.count():
        page.screenshot(path=str(artifacts_dir / "user-log-not-loaded.png"), full_page=True)
    loaded.wait_for(timeout=1_000)
    wait_for_streamlit_idle(page)
    # the button goes once the click has landed (the app then uses this dataset); a click while the
    # page is still redrawing its charts can be lost (seen in CI): click_until_gone clicks again
    click_until_gone(page, page.get_by_role("button", name="Use this dataset in the whole app"))
    page.screenshot(path=str(artifacts_dir / "user-log-dataset-page.png"), full_page=True)

    # ---- Train page: a tiny FGNN, one epoch
    go_to(page, "Train")
    page.get_by_role("button", name="Start training").wait_for(timeout=90_000)
    for label, value in (("hidden_size", 16), ("heads", 2), ("epochs", 1), ("max training pairs (0 = all)", 200),
                         ("max test pairs (0 = all)", 40)):
        type_into(page, label, value)
    page.get_by_text("cpu", exact=True).click()
    wait_for_streamlit_idle(page)
    type_into(page, "run name", "user log tiny")
    page.get_by_role("button", name="Start training").click()
    page.get_by_text("Started run").wait_for(timeout=60_000)
    run_dir = root / "user-log-tiny"
    # the Train page's live fragment (every 2 s) says when the run has ended, however it ended
    page.get_by_text(re.compile(r"Run user-log-tiny (finished|failed|was cancelled)")).first.wait_for(timeout=300_000)
    status = json.loads((run_dir / "status.json").read_text()) if (run_dir / "status.json").exists() else {}
    assert status.get("state") == "finished", (run_dir / "stdout.log").read_text(errors="replace")[-2000:]
    config = json.loads((run_dir / "config.json").read_text())
    assert (config["user_col"], config["event_col"], config["protocol"]["keep"]) == ("visitorid", "event", "view")
    assert config["items"].endswith("items.csv")

    # ---- Runs page: the whole app uses this checkpoint (and its dataset, read the same way)
    go_to(page, "Runs")
    page.get_by_role("button", name="Use this checkpoint in the whole app").click()
    page.get_by_text("The app now uses user-log-tiny").wait_for(timeout=30_000)

    # ---- Session builder: type two item ids; the strip and the graph name them
    monkeypatch.setenv("FGNN_CACHE_DIR", str(tmp_path / "test-cache"))
    ds = load_dataset(log, user_col="visitorid", item_col="itemid", time_col="timestamp", event_col="event",
                      keep="view", items=items)
    first, second = int(ds.item_ids[1]), int(ds.item_ids[2])
    go_to(page, "Session builder")
    page.get_by_role("tab", name="Type ids").click()
    wait_for_streamlit_idle(page, quiet_ms=700)  # the tab's fields are drawn by the rerun the switch starts
    type_into(page, "Item ids", f"{first}, {second}")
    page.get_by_role("button", name="Add", exact=True).click()
    wait_for_chart_title(page, r"^Session graph: 2 clicks", timeout=60_000)
    wait_for_streamlit_idle(page)
    page.get_by_text(f"{first} · product {first}").first.wait_for(timeout=30_000)
    page.get_by_text(f"{second} · product {second}").first.wait_for(timeout=30_000)
    graph = chart(page, "Session graph")
    assert f"product {second}" in graph.locator(".scatterlayer").first.text_content()
    page.locator("h1").first.scroll_into_view_if_needed()
    page.screenshot(path=str(artifacts_dir / "user-log-named-session.png"), full_page=True)
