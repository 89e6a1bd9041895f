"""Helpers for the real-browser tests: find Chromium, run a Streamlit server, drive it with Playwright.

The fixtures in ``tests/conftest.py`` are thin wrappers around these functions, so a test that needs
something the fixtures do not offer (two servers, a different script) can call them directly. They
live in :mod:`fgnn.benchmarks.browser` (the browser benchmark uses the same ones); here the server
log goes to ``test-artifacts/`` by default.

Chromium comes from Debian (``/usr/bin/chromium``) on this machine and in CI; on a user's machine a
Playwright-managed browser (``playwright install chromium``) is found too.
"""
from __future__ import annotations

import contextlib
import os
from pathlib import Path

from fgnn.benchmarks import browser as _browser
from fgnn.benchmarks.browser import (  # noqa: F401  (re-exported for the tests)
    CHROMIUM_ARGS,
    DEBIAN_CHROMIUM,
    PROBES_JS,
    VIEWPORT,
    find_chromium,
    free_port,
    launch_chromium,
    launch_chromium_context,
    wait_for_health,
    wait_for_streamlit_idle,
)

REPO_ROOT = Path(__file__).resolve().parent.parent
ARTIFACTS_DIR = REPO_ROOT / "test-artifacts"


@contextlib.contextmanager
def run_streamlit(script: str | os.PathLike = "app.py", *, log_dir: str | os.PathLike | None = None, **kwargs):
    """:func:`fgnn.benchmarks.browser.run_streamlit` with its log in ``test-artifacts/`` by default."""
    with _browser.run_streamlit(script, log_dir=log_dir if log_dir is not None else ARTIFACTS_DIR, **kwargs) as url:
        yield url


# --------------------------------------------------------------------------- plotly charts
# Every plotly chart of the app (st.plotly_chart and the builder's live charts) is in the page.
_TITLE_SHOWN_JS = """(re) => [...document.querySelectorAll('.gtitle')].some(t => new RegExp(re).test(t.textContent))"""


def wait_for_chart_title(page, pattern: str, timeout: float = 30_000) -> None:
    """Wait until a plotly chart of the page has a title matching the regular expression ``pattern``."""
    page.wait_for_function(_TITLE_SHOWN_JS, arg=pattern, timeout=timeout)


def chart(page, title: str, timeout: float = 60_000):
    """The plotly chart whose title contains ``title`` (a Playwright locator; waits until it exists)."""
    found = page.locator(".js-plotly-plot").filter(has=page.locator(".gtitle", has_text=title)).first
    found.wait_for(timeout=timeout)
    return found


# --------------------------------------------------------------------------- clicks that must land
def click_until_gone(page, locator, *, attempts: int = 3, gone_within_ms: float = 30_000) -> None:
    """Click a button that disappears once its click has landed, clicking again if it did not.

    On a busy machine a click during a redraw can be lost, and the rerun of a click that did land
    can start late: a second click then finds its button detached mid-click and Playwright would
    wait for it for its whole timeout. So each click is short and may fail, and what counts is the
    button going (waited for in the page, up to ``gone_within_ms`` after each click).
    """
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    for _ in range(attempts):
        if not locator.count():
            return
        with contextlib.suppress(PlaywrightTimeout):
            locator.click(timeout=5_000)
        with contextlib.suppress(PlaywrightTimeout):
            locator.wait_for(state="detached", timeout=gone_within_ms)
            wait_for_streamlit_idle(page)
            return
    raise AssertionError(f"{locator} still shown after {attempts} clicks")


def click_point(page, n: int) -> None:
    """Click point ``n`` of the item map (any of its traces, counted across them)."""
    xy = page.evaluate("(n) => window.__fgnn.mapPoint(n)", n)
    assert xy is not None
    page.mouse.click(*xy)


def open_builder(page, url: str):
    """Open the app at ``url`` (the Session builder) with the in-page probes, once its item map is drawn."""
    page.add_init_script(PROBES_JS)
    page.goto(url)
    wait_for_streamlit_idle(page, timeout=90)
    return chart(page, "Item map")
