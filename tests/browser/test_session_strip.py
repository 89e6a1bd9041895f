"""Real browser: the Session builder's strip of clicks (pages/_session_strip.py). Its buttons move
and remove clicks, the ends' moves are disabled, item labels are text (never HTML), and values
forged from the page (or a press on a session that changed since) change nothing."""
from __future__ import annotations

import pytest
from browser_support import click_point, open_builder, press_button, wait_for_chart_title, wait_for_streamlit_idle

pytestmark = pytest.mark.browser

LABELS = "() => [...document.querySelectorAll('.fgnn-strip-label code')].map(c => c.textContent)"


def press(page, name: str, labels: list[str]) -> None:
    """Press a strip button and wait until the strip shows ``labels`` (the click is repeated only if
    the strip did not change within 30 s)."""
    press_button(page, name, within_ms=30_000, effect=lambda ms: page.wait_for_function(
        f"(want) => JSON.stringify(({LABELS})()) === JSON.stringify(want)", arg=labels, timeout=ms))
    wait_for_streamlit_idle(page)


def test_strip_moves_and_removes_clicks_and_ignores_forged_edits(streamlit_server, browser_page):
    page = browser_page
    open_builder(page, streamlit_server)
    for n, want in ((0, 1), (5, 2), (11, 3)):
        click_point(page, n)
        wait_for_chart_title(page, rf"^Session graph: {want} clicks")
        wait_for_streamlit_idle(page)
    a, b, c = page.evaluate(LABELS)
    assert page.get_by_role("button", name="move earlier: click 1").is_disabled()
    assert page.get_by_role("button", name="move later: click 3").is_disabled()

    press(page, "move later: click 1", [b, a, c])
    wait_for_chart_title(page, r"^Session graph: 3 clicks")
    assert page.evaluate(LABELS) == [b, a, c]
    press(page, "remove this click: click 2", [b, c])
    wait_for_chart_title(page, r"^Session graph: 2 clicks")
    assert page.evaluate(LABELS) == [b, c]

    # forged through the component's own trigger: unknown op, a position that is not a plain
    # integer or is out of range, a stale item, a move past an end, not an object at all
    for forged in ("{op: 'drop', pos: 0, item: 1}", "{op: 'remove', pos: '0', item: 1}", "{op: 'remove', pos: true, item: 1}",
                   "{op: 'remove', pos: 7, item: 1}", "{op: 'remove', pos: 0, item: -5}", "{op: 'left', pos: 0, item: 0}",
                   "'../../etc/passwd'", "null"):
        page.evaluate(f"() => document.querySelector('.fgnn-strip').__send('edit', {forged})")
        wait_for_streamlit_idle(page)
    assert page.evaluate(LABELS) == [b, c]
    page.get_by_text("Session · 2 clicks").first.wait_for()
    assert not page.locator('[data-testid="stException"]').count()
