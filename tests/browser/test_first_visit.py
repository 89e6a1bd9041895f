"""Real browser: the first visit of a fresh server says what it is loading (the stage messages of
``pages/_shared.show_loading``), or finds it loaded already by the server's preload (``app.py``'s
``st.App`` lifespan), and becomes ready; a checkpoint no one has loaded yet shows its stage too.

The server answers its health check once its preload is done (``st.App``'s lifespan waits for
it, at most ``$FGNN_APP_READY_WAIT_S``), which its log says before the first visit.

Every status text the page ever shows is recorded in the page (a MutationObserver), so a message
shown for a moment is seen however fast the page is; nothing here waits for time.
"""
from __future__ import annotations

import pytest
from browser_support import PROBES_JS, chart, choose_option, wait_for_streamlit_idle

pytestmark = pytest.mark.browser

RECORD_STATUS_JS = r"""
window.__statusSeen = [];
new MutationObserver(() => {
  for (const e of document.querySelectorAll('[data-testid="stExpander"] summary')) {
    const t = e.innerText.trim().split('\n').filter(l => l.trim()).pop() || '';  // (not the icon's name)
    if (t && window.__statusSeen[window.__statusSeen.length - 1] !== t) window.__statusSeen.push(t);
  }
}).observe(document, {subtree: true, childList: true, characterData: true});
"""
READY_JS = """() => { const h = document.querySelector('h1');
  return !!h && h.textContent.trim().startsWith('Session builder') && !!window.__fgnn.chart('Item map')
    && !document.querySelector('[data-testid="stExpander"] summary') && window.__fgnn.idle(); }"""
STAGES = ("Loading PyTorch, PyG, Plotly and the app's modules", "Loading the data:", "Loading the model:",
          "Projecting the item map")


def _stage(text: str) -> int:
    for n, prefix in enumerate(STAGES):
        if text.startswith(prefix):
            return n
    raise AssertionError(f"a status that is no loading stage: {text!r}")


def test_first_visit_shows_its_stages_and_becomes_ready(streamlit_server_factory, browser_page, artifacts_dir):
    url = streamlit_server_factory("app.py", name="first-visit")  # a fresh server: its health check answered
    # the server answers once its preload is done (or has outlasted $FGNN_APP_READY_WAIT_S, and says so)
    log = (artifacts_dir / "streamlit-first-visit.log").read_text(errors="replace")
    assert "fgnn preload: done in" in log or "fgnn preload: still loading after" in log, log[-2000:]
    page = browser_page
    page.add_init_script(PROBES_JS)
    page.add_init_script(RECORD_STATUS_JS)
    page.goto(url)
    page.wait_for_function(READY_JS, polling="raf", timeout=300_000)
    seen = page.evaluate("() => window.__statusSeen")
    stages = [_stage(t) for t in seen]
    # the stages it showed came in order (or none: the preload had loaded everything)
    assert stages == sorted(stages), seen
    page.screenshot(path=str(artifacts_dir / "first-visit.png"))

    # a checkpoint that nobody has loaded in this server: its own stage is shown, then the page
    page.evaluate("() => { window.__statusSeen = []; }")
    choose_option(page, "Model checkpoint", "srgnn-sample/best.pt")
    page.wait_for_function(READY_JS, polling="raf", timeout=300_000)
    chart(page, "Item map")
    wait_for_streamlit_idle(page, timeout=120)
    seen = page.evaluate("() => window.__statusSeen")
    assert any(t.startswith("Loading the model: srgnn-sample/best.pt") for t in seen), seen

