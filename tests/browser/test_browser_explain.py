"""Real browser: type a session into the Session builder, switch the explain view on, colour the
graph by integrated gradients and read the deletion curves; screenshot in
``test-artifacts/explain-view.png``."""
from __future__ import annotations

import pytest
from browser_support import chart, wait_for_streamlit_idle
from playwright.sync_api import expect

pytestmark = pytest.mark.browser


def test_explain_view_in_the_browser(streamlit_server, browser_page, artifacts_dir, ds):
    page = browser_page
    page.goto(streamlit_server)
    wait_for_streamlit_idle(page, timeout=90)
    session = ds.to_original([5, 17, 5, 30, 2, 8, 17, 44, 9, 12])
    page.get_by_role("tab", name="Type ids").click()
    wait_for_streamlit_idle(page, quiet_ms=700)  # the tab's fields are drawn by the rerun the switch starts
    box = page.get_by_label("Item ids", exact=True)
    box.fill(", ".join(map(str, session)))
    box.press("Enter")
    page.get_by_role("button", name="Add", exact=True).click()
    wait_for_streamlit_idle(page)
    chart(page, "Session graph: 10 clicks, 8 nodes").wait_for(timeout=60_000)

    page.get_by_text("Explain an item's score").click()
    wait_for_streamlit_idle(page, timeout=90)
    chart(page, "Deletion curves of item").wait_for(timeout=90_000)
    page.get_by_text("integrated gradients", exact=True).first.click()
    wait_for_streamlit_idle(page, timeout=90)
    graph = chart(page, "coloured by integrated gradients")
    graph.wait_for(timeout=60_000)
    assert graph.locator(".scatterlayer .point").count() >= 8
    curves = chart(page, "Deletion curves of item")
    legend = curves.locator(".legendtext").all_text_contents()
    assert legend == ["attention", "ig", "gnnexplainer", "random"]
    assert "deletion AUC" in curves.locator(".gtitle").text_content()

    page.set_viewport_size({"width": 1400, "height": 1250})
    graph.evaluate("e => e.scrollIntoView({block: 'end'})")
    expect(graph).to_be_in_viewport()
    page.screenshot(path=str(artifacts_dir / "explain-view.png"))
