"""Real browser: type a session into the Session builder, switch the explain view on, colour the
graph by integrated gradients and read the deletion curves; screenshot in
``test-artifacts/explain-view.png``."""
from __future__ import annotations

import pytest
from browser_support import chart, choose_radio, open_app, open_tab, press_button, set_toggle, type_value
from playwright.sync_api import expect

pytestmark = pytest.mark.browser
EXPLAIN_COLOUR = "Colour the graph by"


def test_explain_view_in_the_browser(streamlit_server, browser_page, artifacts_dir, ds):
    page = browser_page
    open_app(page, streamlit_server, marker=page.get_by_text("the session is empty"))
    session = ds.to_original([5, 17, 5, 30, 2, 8, 17, 44, 9, 12])
    open_tab(page, "Type ids")
    type_value(page, "Item ids", ", ".join(map(str, session)))
    press_button(page, "Add", effect=lambda ms: chart(page, "Session graph: 10 clicks, 8 nodes", timeout=ms))

    set_toggle(page, "Explain an item's score")
    chart(page, "Deletion curves of item", timeout=120_000)
    choose_radio(page, EXPLAIN_COLOUR, "integrated gradients")
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
