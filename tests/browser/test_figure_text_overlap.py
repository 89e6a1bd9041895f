"""Real browser: no two texts of a Plotly figure overlap (titles, axis titles, tick labels,
annotations, legend entries, labels on the traces), on every page of the app with the bundled
dataset, the Session builder holding a long session (32 clicks) with its optional figures shown.

Each page's figures are counted before their texts are read (every figure drawn, the run ended);
the boxes come from the page (``FIGURE_TEXTS_JS``) and :func:`browser_support.overlapping_texts`
judges them: more than 3 px of overlap in both directions fails, naming the figure and the texts.
"""
from __future__ import annotations

import pytest
from browser_support import (
    chart,
    figure_text_overlaps,
    go_to,
    open_app,
    open_tab,
    option_labels,
    press_button,
    set_toggle,
    type_value,
    wait_for_count,
    wait_for_streamlit_idle,
)

pytestmark = pytest.mark.browser
LONG_SESSION = [5, 17, 5, 5, 30, 2, 8, 17, 44, 9, 12, 3, 7, 21, 5, 30, 30, 2, 60, 8, 17, 44, 9, 12, 3, 7, 21, 5,
                100, 150, 200, 250]  # 32 clicks, repeats (self-loops) and 19 items


def _figures_drawn(page, titles: list[str], screenshot=None, count: int | None = None) -> None:
    """Wait until each figure titled ``titles`` (prefixes) is drawn and there are exactly that many
    (or ``count``)."""
    for title in titles:
        chart(page, title, timeout=120_000)
    wait_for_count(page.locator(".js-plotly-plot"), len(titles) if count is None else count, timeout_ms=120_000)
    wait_for_streamlit_idle(page, timeout=120)
    if screenshot:
        page.screenshot(path=str(screenshot), full_page=True)


def test_no_text_overlaps_in_any_figure(streamlit_server, browser_page, artifacts_dir, ds):
    page = browser_page
    found: list[str] = []
    shots = artifacts_dir / "figure-text"
    shots.mkdir(parents=True, exist_ok=True)

    # Session builder: a long session, typed through the page's own field, with every optional figure
    open_app(page, streamlit_server, marker=page.get_by_text("the session is empty"), timeout_s=240)
    open_tab(page, "Type ids")
    type_value(page, "Item ids", ", ".join(map(str, ds.to_original(LONG_SESSION))))
    press_button(page, "Add", effect=lambda ms: chart(page, f"Session graph: {len(LONG_SESSION)} clicks", timeout=ms),
                 within_ms=120_000)
    open_tab(page, "Item map")
    set_toggle(page, "Show the top-K as a chart (click a bar to add the item)")
    set_toggle(page, "Rank the top-K under reordered sessions (shuffled, reversed, one click removed)")
    set_toggle(page, "Explain an item's score")
    _figures_drawn(page, ["Item map", "Session graph", "Top-", "What if", "Why item", "Deletion curves of item"],
                   shots / "session-builder.png")
    found += [f"Session builder: {line}" for line in figure_text_overlaps(page)]

    # Graph construction: every step at once
    go_to(page, "Graph construction")
    steps = option_labels(page, "Step")
    assert len(steps) >= 3, steps
    set_toggle(page, "Show every step at once")
    _figures_drawn(page, [], shots / "graph-construction.png", count=len(steps))
    found += [f"Graph construction: {line}" for line in figure_text_overlaps(page)]

    go_to(page, "Train")
    _figures_drawn(page, ["Training curves"], shots / "train.png")
    found += [f"Train: {line}" for line in figure_text_overlaps(page)]

    go_to(page, "Runs")
    _figures_drawn(page, ["Training curves"], shots / "runs.png")
    found += [f"Runs: {line}" for line in figure_text_overlaps(page)]

    # Inspect: the slices, the rank histogram, the A vs B comparison, and the faithfulness chart
    go_to(page, "Inspect")
    inspect = ["By prefix length", "By target popularity", "Rank of the target:", "Rank of the target: A vs B",
               "A vs B by prefix length"]
    _figures_drawn(page, inspect)
    type_value(page, "test pairs", 2)
    press_button(page, "Compute", effect=lambda ms: chart(page, "Faithfulness", timeout=ms), within_ms=240_000)
    _figures_drawn(page, [*inspect, "Faithfulness"], shots / "inspect.png")
    found += [f"Inspect: {line}" for line in figure_text_overlaps(page)]

    go_to(page, "Dataset")
    _figures_drawn(page, ["Preprocessing protocol", "Training session lengths", "Item popularity",
                          "Train/test split over time"], shots / "dataset.png")
    found += [f"Dataset: {line}" for line in figure_text_overlaps(page)]

    assert not found, "texts overlap in figures:\n" + "\n".join(found)
