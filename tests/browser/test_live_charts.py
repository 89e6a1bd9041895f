"""Real browser: the Session builder's live charts (pages/_live_chart.py). The item map stays
mounted across clicks (the same DOM node, updated in place), the same point clicked twice is two
clicks, a zoom survives a click, plotly.js is loaded once per tab (not again after a page switch),
and a forged value from the page is ignored."""
from __future__ import annotations

import pytest
from browser_support import click_point, go_to, open_builder, wait_for_chart_title, wait_for_streamlit_idle

pytestmark = pytest.mark.browser


def test_the_item_map_stays_mounted_and_keeps_its_zoom(streamlit_server, browser_page):
    page = browser_page
    open_builder(page, streamlit_server)
    page.evaluate("() => { document.querySelector('.js-plotly-plot').dataset.mark = 'first'; }")
    click_point(page, 0)
    wait_for_chart_title(page, r"^Session graph: 1 clicks")
    wait_for_streamlit_idle(page)
    click_point(page, 0)  # the same point again: a second click of the same item
    wait_for_chart_title(page, r"^Session graph: 2 clicks, 1 node")
    wait_for_streamlit_idle(page)
    # updated in place: the node marked before the clicks is still the map, with the session ringed
    assert page.evaluate("() => document.querySelector('.js-plotly-plot').dataset.mark") == "first"
    rings = page.evaluate("() => document.querySelector('.js-plotly-plot')._fullData.filter(t => t.name === 'in session')"
                           ".map(t => t.customdata.length)")
    assert rings and rings[0] >= 1

    # zoom in around point 1, click it: the zoom is kept while the model stays the same
    ranges = page.evaluate("""() => { const gd = document.querySelector('.js-plotly-plot');
        const xs = gd._fullLayout.xaxis.range, ys = gd._fullLayout.yaxis.range;
        const x = [xs[0] + (xs[1] - xs[0]) * 0.1, xs[1] - (xs[1] - xs[0]) * 0.1];
        const y = [ys[0] + (ys[1] - ys[0]) * 0.1, ys[1] - (ys[1] - ys[0]) * 0.1];
        return Plotly.relayout(gd, {'xaxis.range': x, 'yaxis.range': y}).then(() => [x, y]); }""")
    n = page.evaluate("""([x, y]) => { const gd = document.querySelector('.js-plotly-plot'); let k = 0;
        for (const tr of gd._fullData) { if (!tr.customdata || !tr.x) continue;
          for (let i = 0; i < tr.x.length; i++, k++)
            if (tr.x[i] > x[0] && tr.x[i] < x[1] && tr.y[i] > y[0] && tr.y[i] < y[1]) return k; }
        return -1; }""", ranges)
    assert n >= 0
    click_point(page, n)
    wait_for_chart_title(page, r"^Session graph: 3 clicks")
    wait_for_streamlit_idle(page)
    kept = page.evaluate("() => document.querySelector('.js-plotly-plot')._fullLayout.xaxis.range")
    assert kept == pytest.approx(ranges[0])

    # values forged from inside the page through the component's own trigger (not a plain item id
    # of the catalogue) add nothing
    for forged in ("'../../etc/passwd'", "10 ** 15", "true", "{item: 5}"):
        page.evaluate(f"() => document.querySelector('.js-plotly-plot').__send('click', {forged})")
        wait_for_streamlit_idle(page)
    page.get_by_text("Session · 3 clicks").first.wait_for()
    assert not page.locator('[data-testid="stException"]').count()

    # plotly.js is a script of the app's page, loaded once: a page switch and back does not load it again
    loads = "() => performance.getEntriesByType('resource').filter(e => e.name.endsWith('/plotly.min.js')).length"
    assert page.evaluate(loads) == 1
    go_to(page, "Graph construction")
    go_to(page, "Session builder")
    wait_for_chart_title(page, r"^Session graph: 3 clicks")
    assert page.evaluate(loads) == 1
