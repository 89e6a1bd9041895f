"""Real browser: click items into a session on the Session builder and watch graph and top-K change.

Chromium (Debian's, via Playwright) against ``streamlit run app.py``; screenshots go to
``test-artifacts/``.
"""
from __future__ import annotations

import re

import pytest
from browser_support import chart, click_until, open_app, set_toggle, wait_for_chart_title, wait_for_streamlit_idle
from playwright.sync_api import expect

pytestmark = pytest.mark.browser

POINTS = ".scatterlayer .point"


def wait_for_title(page, pattern: str, timeout: float = 30_000):
    wait_for_chart_title(page, pattern, timeout=timeout)


def click_for_title(page, point, pattern: str) -> None:
    """Click a plotly point (again only if the session graph has not taken it within 60 s)."""
    click_until(page, point, lambda ms: wait_for_chart_title(page, pattern, timeout=ms),
                within_ms=60_000, force=True)


def graph_title(page) -> str:
    return chart(page, "Session graph").locator(".gtitle").text_content()


def topk_labels(page) -> list[str]:
    return chart(page, "Top-").locator(".yaxislayer-above .ytick text").all_text_contents()


# the top-K bar chart's item labels differ from the list `before`
_TOPK_LABELS_CHANGED_JS = """(before) => [...document.querySelectorAll('.js-plotly-plot')].some(d => {
  const t = d.querySelector('.gtitle');
  if (!t || !t.textContent.includes('Top-')) return false;
  const labels = [...d.querySelectorAll('.yaxislayer-above .ytick text')].map(e => e.textContent);
  return labels.length > 0 && (labels.length !== before.length || labels.some((l, i) => l !== before[i]));
})"""


def server_ms(page) -> int:
    text = page.get_by_text(re.compile(r"server time of this run: \d+ ms")).last.text_content()
    return int(re.search(r"(\d+) ms", text).group(1))


def shoot(page, path) -> None:
    """Streamlit scrolls inside its own container: show the top (session, map, graph) first."""
    title = page.locator("h1").first
    title.scroll_into_view_if_needed()
    expect(title).to_be_in_viewport()
    page.screenshot(path=str(path))


def test_click_items_on_the_map_and_a_prediction(streamlit_server, browser_page, artifacts_dir):
    page = browser_page
    open_app(page, streamlit_server, marker=page.get_by_text("the session is empty"))
    item_map = chart(page, "Item map")
    item_map.locator(POINTS).first.wait_for()
    assert item_map.locator(POINTS).count() >= 309

    # first click on the map: a one-node graph and a top-K appear
    click_for_title(page, item_map.locator(POINTS).nth(0), r"^Session graph: 1 clicks, 1 node, 0 edges")
    wait_for_streamlit_idle(page)
    timings = [server_ms(page)]

    set_toggle(page, "Show the top-K as a chart")
    chart(page, "Top-").locator(".ytick").first.wait_for()
    before = topk_labels(page)
    assert len(before) == 20

    # second click on another map point: the graph grows and the top-K changes
    click_for_title(page, chart(page, "Item map").locator(POINTS).nth(40), r"^Session graph: 2 clicks, 2 nodes, 1 edge")
    wait_for_streamlit_idle(page)
    timings.append(server_ms(page))
    # the bar chart redraws a moment after the run ends
    page.wait_for_function(_TOPK_LABELS_CHANGED_JS, arg=before, timeout=10_000)
    after = topk_labels(page)
    assert after != before
    shoot(page, artifacts_dir / "builder-two-clicks.png")

    # walk the recommender: click the first prediction bar, it becomes the third click
    top1 = next(label for label in after if label.startswith("1. "))
    first = re.search(r"item (\d+)", top1).group(1)
    click_for_title(page, chart(page, "Top-").locator(".barlayer .point"), r"^Session graph: 3 clicks")
    wait_for_streamlit_idle(page)
    timings.append(server_ms(page))
    # the predicted item is now the last click: a node of the graph
    labels = chart(page, "Session graph").locator(".annotation-text").all_text_contents()  # node labels
    assert any(f"item {first}" in label for label in labels), labels
    shoot(page, artifacts_dir / "builder-walk.png")
    set_toggle(page, "Rank the top-K under reordered sessions")  # closed until switched on
    chart(page, "What if").scroll_into_view_if_needed()
    page.screenshot(path=str(artifacts_dir / "builder-whatif.png"))
    print("server time per interaction (ms):", timings)
