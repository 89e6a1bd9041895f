"""Real browser, end to end: upload a user log without session ids (and an items file) on the
Dataset page, train a tiny FGNN on it from the Train page, use its checkpoint, and build a
session on the Session builder whose items show their names."""
from __future__ import annotations

import json
import re

import pytest
from browser_support import (
    chart,
    choose_radio,
    click_until,
    click_until_gone,
    go_to,
    open_app,
    open_expander,
    open_tab,
    press_button,
    type_value,
    wait_for_chart_title,
    wait_for_streamlit_idle,
)
from user_logs import items_file, retailrocket_like

from fgnn.data.registry import load_dataset

pytestmark = [pytest.mark.browser, pytest.mark.slow]


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
    open_app(page, url, "Dataset", marker=page.get_by_text("Load your own click log"))

    # ---- Dataset page: the user log and its items file
    open_expander(page, "Load your own click log")
    uploaders = page.locator('[data-testid="stFileUploader"] input[type="file"]')
    uploaders.nth(0).set_input_files(str(log))
    page.locator('[data-testid="stFileUploader"]').nth(0).get_by_text(log.name).wait_for(timeout=60_000)
    wait_for_streamlit_idle(page, quiet_ms=700)
    uploaders.nth(1).set_input_files(str(items))
    page.locator('[data-testid="stFileUploader"]').nth(1).get_by_text(items.name).wait_for(timeout=60_000)
    wait_for_streamlit_idle(page, quiet_ms=700)
    for label, value in (("user column (a log without session ids)", "visitorid"), ("item column (csv)", "itemid"),
                         ("time column (csv)", "timestamp"), ("event column (optional)", "event"),
                         ("keep events", "view")):
        type_value(page, label, value)
    # loading runs the protocol (a long step under load): a click lost in a redraw is clicked again
    press_button(page, "Run the protocol", effect=page.get_by_text("Loaded"), within_ms=120_000)
    wait_for_streamlit_idle(page)
    # the button goes once the click has landed (the app then uses this dataset)
    click_until_gone(page, page.get_by_role("button", name="Use this dataset in the whole app"))
    page.screenshot(path=str(artifacts_dir / "user-log-dataset-page.png"), full_page=True)

    # ---- Train page: a tiny FGNN, one epoch
    go_to(page, "Train", marker=page.get_by_role("button", name="Start training"))
    for label, value in (("hidden_size", 16), ("heads", 2), ("epochs", 1), ("max training pairs (0 = all)", 200),
                         ("max test pairs (0 = all)", 40)):
        type_value(page, label, value)
    choose_radio(page, "device", "cpu")
    type_value(page, "run name", "user log tiny")
    press_button(page, "Start training", effect=page.get_by_text("Started run"), exact=False)
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
    click_until(page, page.get_by_role("button", name="Use this checkpoint in the whole app"),
                page.get_by_text("The app now uses user-log-tiny"))

    # ---- Session builder: type two item ids; the strip and the graph name them
    monkeypatch.setenv("FGNN_CACHE_DIR", str(tmp_path / "test-cache"))
    ds = load_dataset(log, user_col="visitorid", item_col="itemid", time_col="timestamp", event_col="event",
                      keep="view", items=items)
    first, second = int(ds.item_ids[1]), int(ds.item_ids[2])
    go_to(page, "Session builder")
    open_tab(page, "Type ids")
    type_value(page, "Item ids", f"{first}, {second}")
    press_button(page, "Add", effect=lambda ms: wait_for_chart_title(page, r"^Session graph: 2 clicks", timeout=ms))
    wait_for_streamlit_idle(page)
    page.get_by_text(f"{first} · product {first}").first.wait_for(timeout=30_000)
    page.get_by_text(f"{second} · product {second}").first.wait_for(timeout=30_000)
    graph = chart(page, "Session graph")
    labels = graph.locator(".annotation-text").all_text_contents()  # node labels
    assert any(f"product {second}" in label for label in labels), labels
    page.locator("h1").first.scroll_into_view_if_needed()
    page.screenshot(path=str(artifacts_dir / "user-log-named-session.png"), full_page=True)
