"""Real browser: the app's state is in its URL (fgnn.app.url_state). A reload keeps the checkpoint, K
and the session built; a link with forged values (a path as checkpoint, K = 10^9, an unknown item)
changes nothing and shows one warning naming what it refused."""
from __future__ import annotations

import re
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
from browser_support import (
    QUICK_MS,
    choose_option,
    open_app,
    open_tab,
    press_button,
    select_box,
    type_value,
    wait_for_streamlit_idle,
)
from playwright.sync_api import expect

pytestmark = pytest.mark.browser
CHECKPOINT = "srgnn-sample/best.pt"  # not the default (fgnn-sample/best.pt)
SESSION = [5, 17, 5]  # item indices of the bundled sample: 3 clicks


def heading(page, n_clicks: int, label: str):
    """The Session builder's strip heading: "Session · N clicks · model `...` (label)"."""
    return page.get_by_text(re.compile(rf"{n_clicks} clicks · model .*\({re.escape(label)}\)"))


def url_params(page) -> dict[str, str]:
    return {k: v[-1] for k, v in parse_qs(urlsplit(page.url).query).items()}


def test_a_reload_keeps_checkpoint_k_and_session_and_a_forged_link_changes_nothing(
        streamlit_server, browser_page, artifacts_dir, ds):
    page = browser_page
    open_app(page, streamlit_server, marker=page.get_by_text("the session is empty"), timeout_s=240)
    choose_option(page, "Model checkpoint", CHECKPOINT)
    type_value(page, "K (top-K)", 7)
    ids = ds.to_original(SESSION)
    open_tab(page, "Type ids")
    type_value(page, "Item ids", ", ".join(map(str, ids)))
    press_button(page, "Add", effect=lambda ms: heading(page, 3, CHECKPOINT).first.wait_for(timeout=ms),
                 within_ms=120_000)
    wait_for_streamlit_idle(page, timeout=60)
    # the URL carries it: labels and ids, no server path
    expect(page).to_have_url(re.compile(r"session="), timeout=QUICK_MS)
    params = url_params(page)
    assert params == {"dataset": "diginetica-sample", "checkpoint": CHECKPOINT, "k": "7",
                      "session": ",".join(map(str, ids))}, params

    # a reload: a new Streamlit session, the same view
    page.reload()
    wait_for_streamlit_idle(page, timeout=180)
    heading(page, 3, CHECKPOINT).first.wait_for(timeout=180_000)
    wait_for_streamlit_idle(page, timeout=60)
    expect(select_box(page, "Model checkpoint")).to_have_value(CHECKPOINT, timeout=QUICK_MS)
    expect(page.get_by_label("K (top-K)", exact=True).first).to_have_value("7", timeout=QUICK_MS)
    assert not page.get_by_text("This link's").count()
    page.screenshot(path=str(artifacts_dir / "reload-keeps-state.png"))

    # a forged link: a path as checkpoint, K = 10^9, an unknown item: the defaults, one warning
    forged = {"dataset": "diginetica-sample", "checkpoint": str(artifacts_dir.parent / "checkpoints" / CHECKPOINT),
              "k": str(10**9), "session": ",".join(map(str, [*ids, 999_999_999]))}
    open_app(page, streamlit_server, "?" + urlencode(forged), marker=page.get_by_text("the session is empty"),
             timeout_s=180)
    warning = page.get_by_text("This link's parameters 'checkpoint', 'k', 'session'")
    expect(warning).to_have_count(1, timeout=QUICK_MS)
    expect(select_box(page, "Model checkpoint")).to_have_value("fgnn-sample/best.pt", timeout=QUICK_MS)
    expect(page.get_by_label("K (top-K)", exact=True).first).to_have_value("20", timeout=QUICK_MS)
    assert str(artifacts_dir.parent) not in page.inner_text("body")
    assert url_params(page) == {"dataset": "diginetica-sample", "checkpoint": "fgnn-sample/best.pt", "k": "20"}
    page.screenshot(path=str(artifacts_dir / "forged-link-refused.png"))
