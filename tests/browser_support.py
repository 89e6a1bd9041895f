"""Helpers for the real-browser tests: find Chromium, run a Streamlit server, drive it with Playwright.

The fixtures in ``tests/conftest.py`` are thin wrappers around these functions, so a test that needs
something the fixtures do not offer (two servers, a different script) can call them directly. The
Playwright helpers live here; starting a server and finding Chromium (:func:`run_streamlit`,
:func:`find_chromium`, :func:`wait_for_health`) come from :mod:`fgnn.benchmarks.browser`, which the
browser benchmark uses too; here the server log goes to ``test-artifacts/`` by default.

Chromium comes from Debian (``/usr/bin/chromium``) on this machine and in CI; on a user's machine a
Playwright-managed browser (``playwright install chromium``) is found too.
"""
from __future__ import annotations

import contextlib
import json
import os
import tempfile
from collections.abc import Iterator, Mapping
from pathlib import Path

from fgnn.benchmarks import browser as _browser
from fgnn.benchmarks.browser import (  # noqa: F401  (re-exported for the tests)
    CHROMIUM_ARGS,
    DEBIAN_CHROMIUM,
    PROBES_JS,
    VIEWPORT,
    find_chromium,
    free_port,
    wait_for_health,
)

REPO_ROOT = Path(__file__).resolve().parent.parent
ARTIFACTS_DIR = REPO_ROOT / "test-artifacts"


@contextlib.contextmanager
def run_streamlit(script: str | os.PathLike = "app.py", *, log_dir: str | os.PathLike | None = None, **kwargs):
    """:func:`fgnn.benchmarks.browser.run_streamlit` with its log in ``test-artifacts/`` by default."""
    with _browser.run_streamlit(script, log_dir=log_dir if log_dir is not None else ARTIFACTS_DIR, **kwargs) as url:
        yield url


# --------------------------------------------------------------------------- Playwright
@contextlib.contextmanager
def launch_chromium_context(
    executable_path: str,
    *,
    headless: bool = True,
    viewport: Mapping[str, int] | None = None,
    user_data_dir: str | os.PathLike | None = None,
) -> Iterator[object]:
    """A Playwright ``BrowserContext`` on the given Chromium binary, with a new empty profile.

    Playwright cannot download its own browser here, so it always gets ``executable_path``.
    The profile is a new temporary ``user_data_dir`` (removed afterwards) unless one is given.
    """
    from playwright.sync_api import sync_playwright  # on use: the unit tests run without Playwright

    with contextlib.ExitStack() as stack:
        if user_data_dir is None:
            user_data_dir = stack.enter_context(tempfile.TemporaryDirectory(prefix="fgnn-chromium-"))
        pw = stack.enter_context(sync_playwright())
        context = pw.chromium.launch_persistent_context(
            str(user_data_dir),
            executable_path=executable_path,
            headless=headless,
            args=list(CHROMIUM_ARGS),
            viewport=dict(viewport or VIEWPORT),
        )
        try:
            yield context
        finally:
            context.close()


# True once no Streamlit run has been in progress for `quiet` ms: state is kept per call (`token`)
# on the page, so that each wait sees its own quiet period start.
_IDLE_FOR_JS = """([token, quiet]) => {
  const state = (window.__fgnnIdle = window.__fgnnIdle || {});
  if (document.querySelector('[data-testid="stStatusWidget"]')) { delete state[token]; return false; }
  const now = performance.now();
  if (state[token] === undefined) state[token] = now;
  return now - state[token] >= quiet;
}"""


def wait_for_streamlit_idle(page, timeout: float = 30.0, quiet_ms: float = 200.0) -> None:
    """Wait until the Streamlit page has rendered and no script run is in progress.

    Streamlit shows ``[data-testid="stStatusWidget"]`` while a run is going; the app view
    container appears once the first run has drawn something. A rerun triggered by the last
    event may start a moment after it, so the page counts as idle once no run has shown for
    ``quiet_ms`` (a condition polled in the page, not a fixed pause).
    """
    from playwright.sync_api import TimeoutError as PlaywrightTimeout  # on use, as above

    page.wait_for_selector('[data-testid="stAppViewContainer"]', timeout=timeout * 1000)
    try:
        page.wait_for_function(_IDLE_FOR_JS, arg=[os.urandom(8).hex(), quiet_ms], polling=50,
                               timeout=timeout * 1000)
    except PlaywrightTimeout as exc:
        raise TimeoutError(f"Streamlit page still running after {timeout:.0f} s") from exc


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


# --------------------------------------------------------------------------- acting on the page
# Every browser test acts through these helpers (tests/browser/ opens no select and types into no
# field by hand). Each one acts, then waits for the page to show that the act landed (the widget's
# own state in the page, then a finished rerun), and repeats the ACT when it did not: on a busy
# machine a click or a keystroke during a redraw can be lost. What a test asserts is never retried.
# A step that should be quick fails within seconds with a message naming what was not seen; a step
# that can take long under load (a first ranking, a training run) waits on its own condition with
# the generous limit its caller names.
QUICK_MS = 10_000     # the page's own reaction to an act (a list opening, a value shown)
RERUN_S = 90.0        # a rerun that loads a model or a dataset on a busy 2-core machine


def _timeout_error():
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    return PlaywrightTimeout


def select_box(page, label: str):
    """The input of the Streamlit selectbox labelled ``label``."""
    return page.locator(f'input[role="combobox"][aria-label={json.dumps(label)}]').first


def option_labels(page, label: str) -> list[str]:
    """The labels a selectbox offers (opens its list, reads every option, closes it again)."""
    box = select_box(page, label)
    wait_for_streamlit_idle(page, timeout=RERUN_S)
    for _ in range(3):
        box.scroll_into_view_if_needed()
        box.click()
        options = page.get_by_role("option")
        with contextlib.suppress(_timeout_error()):
            options.first.wait_for(state="visible", timeout=QUICK_MS)
            labels = [t.strip() for t in options.all_inner_texts()]
            box.press("Escape")
            return labels
        box.press("Escape")
    raise AssertionError(f"the list of the select {label!r} never opened")


def choose_option(page, label: str, option: str, *, attempts: int = 4) -> None:
    """Choose ``option`` (its shown label) in the selectbox ``label``; return once the box shows it
    and the rerun it started has finished. The opening of the list is what is retried."""
    box = select_box(page, label)
    want = page.get_by_role("option", name=option, exact=True)
    seen: list[str] = []
    for _ in range(attempts):
        wait_for_streamlit_idle(page, timeout=RERUN_S)
        if box.input_value() == option:
            return
        box.scroll_into_view_if_needed()
        box.click()
        box.fill(option)  # the list keeps the options that contain the text
        try:
            want.wait_for(state="visible", timeout=QUICK_MS)
            want.click(timeout=QUICK_MS)
        except _timeout_error():
            seen = [t.strip() for t in page.get_by_role("option").all_inner_texts()]
            box.press("Escape")
            continue
        with contextlib.suppress(_timeout_error()):
            page.wait_for_function("([el, v]) => el.value === v", arg=[box.element_handle(), option],
                                   timeout=QUICK_MS)
            wait_for_streamlit_idle(page, timeout=RERUN_S)
            if box.input_value() == option:
                return
    raise AssertionError(f"could not choose {option!r} in the select {label!r} "
                         f"(it shows {box.input_value()!r}; options last seen: {seen})")


def choose_radio(page, group: str, option: str, *, attempts: int = 3) -> None:
    """Choose ``option`` in the radio group labelled ``group``; return once it is selected and the
    rerun it started has finished."""
    radio = page.locator(f'[role="radiogroup"][aria-label={json.dumps(group)}]').first
    choice = radio.locator('label[data-testid="stRadioOption"]').filter(
        has=page.get_by_text(option, exact=True)).first
    for _ in range(attempts):
        wait_for_streamlit_idle(page, timeout=RERUN_S)
        if choice.get_attribute("data-selected") == "true":
            return
        with contextlib.suppress(_timeout_error()):
            choice.click(timeout=QUICK_MS)
            page.wait_for_function("(el) => el.dataset.selected === 'true'", arg=choice.element_handle(),
                                   timeout=QUICK_MS)
    wait_for_streamlit_idle(page, timeout=RERUN_S)
    if choice.get_attribute("data-selected") != "true":
        raise AssertionError(f"could not choose {option!r} in the radio group {group!r}")


def set_toggle(page, label: str, on: bool = True, *, attempts: int = 3) -> None:
    """Switch the toggle or checkbox whose label starts with ``label`` on (or off); return once it
    shows that state and the rerun it started has finished."""
    box = page.locator(f'input[type="checkbox"][aria-label^={json.dumps(label)}]').first
    for _ in range(attempts):
        wait_for_streamlit_idle(page, timeout=RERUN_S)
        if box.is_checked() == on:
            return
        with contextlib.suppress(_timeout_error()):
            # the input is visually hidden: click its label, then wait for the state in the page
            box.locator("xpath=ancestor::label[1]").click(timeout=QUICK_MS)
            page.wait_for_function("([el, on]) => el.checked === on", arg=[box.element_handle(), on],
                                   timeout=QUICK_MS)
    wait_for_streamlit_idle(page, timeout=RERUN_S)
    if box.is_checked() != on:
        raise AssertionError(f"could not switch {label!r} {'on' if on else 'off'}")


def _same_value(shown: str, want: str) -> bool:
    if shown == want:
        return True
    try:
        return float(shown) == float(want)
    except ValueError:
        return False


def type_value(page, label: str, value, *, attempts: int = 3) -> None:
    """Type ``value`` into the text or number field ``label`` and commit it (Enter); return once the
    field shows it with nothing left to apply and the rerun it started has finished. A value lost
    in a redraw is typed again."""
    want = str(value)
    box = page.get_by_label(label, exact=True).first
    for _ in range(attempts):
        wait_for_streamlit_idle(page, timeout=RERUN_S)
        box.fill(want)
        box.press("Enter")
        # the rerun that takes the value may start a moment after Enter: idle means no run for 700 ms
        wait_for_streamlit_idle(page, timeout=RERUN_S, quiet_ms=700)
        pending = page.locator('[data-testid="InputInstructions"]').filter(has_text="Enter")
        if _same_value(box.input_value(), want) and not pending.count():
            return
    raise AssertionError(f"the field {label!r} did not take {want!r} (it shows {box.input_value()!r})")


def open_expander(page, title: str, *, attempts: int = 3) -> None:
    """Open the expander ``title`` (a ``details`` element) if it is closed."""
    details = page.locator("details").filter(has=page.locator("summary", has_text=title)).first
    for _ in range(attempts):
        details.wait_for(timeout=RERUN_S * 1000)
        if details.get_attribute("open") is not None:
            return
        with contextlib.suppress(_timeout_error()):
            details.locator("summary").first.click(timeout=QUICK_MS)
            page.wait_for_function("(el) => el.open", arg=details.element_handle(), timeout=QUICK_MS)
    if details.get_attribute("open") is None:
        raise AssertionError(f"the expander {title!r} did not open")


def click_until(page, locator, done, *, attempts: int = 3, within_ms: float = 30_000, force: bool = False) -> None:
    """Click ``locator`` until ``done`` is seen: a locator that becomes visible, or a function
    ``done(timeout_ms)`` that returns once the effect is there and raises Playwright's TimeoutError
    if not. Only for clicks whose repetition is harmless once the effect is there (a button that a
    landed click replaces or hides); a toggle goes through :func:`set_toggle`."""
    wait = done if callable(done) else (lambda ms: done.first.wait_for(state="visible", timeout=ms))
    for _ in range(attempts):
        with contextlib.suppress(_timeout_error()):
            wait(1)  # already there (an earlier, slow click landed)
            return
        with contextlib.suppress(_timeout_error()):
            # (force: a plotly point sits under the chart's drag layer; the element is still waited for)
            locator.first.click(timeout=QUICK_MS, force=force)
        with contextlib.suppress(_timeout_error()):
            wait(within_ms)
            return
    raise AssertionError(f"clicked {locator} {attempts} times; its effect {done} was not seen")


def click_until_gone(page, locator, *, attempts: int = 3, gone_within_ms: float = 30_000) -> None:
    """Click a button that disappears once its click has landed, clicking again if it did not.

    On a busy machine a click during a redraw can be lost, and the rerun of a click that did land
    can start late: a second click then finds its button detached mid-click and Playwright would
    wait for it for its whole timeout. So each click is short and may fail, and what counts is the
    button going (waited for in the page, up to ``gone_within_ms`` after each click).
    """
    def gone(ms):
        locator.first.wait_for(state="detached", timeout=ms)
        wait_for_streamlit_idle(page, timeout=RERUN_S)

    click_until(page, locator, gone, attempts=attempts, within_ms=gone_within_ms)


def press_button(page, name: str, *, effect=None, within_ms: float = 60_000, exact: bool = True) -> None:
    """Click the button ``name`` once it is enabled and wait for ``effect`` (a locator, or a
    function as in :func:`click_until`), clicking again if the click was lost; without ``effect``
    wait for the rerun the click started."""
    button = page.get_by_role("button", name=name, exact=exact)
    wait_for_streamlit_idle(page, timeout=RERUN_S)
    if effect is None:
        button.first.click(timeout=QUICK_MS)
        wait_for_streamlit_idle(page, timeout=RERUN_S, quiet_ms=700)
        return
    click_until(page, button, effect, within_ms=within_ms)


def open_tab(page, name: str, *, attempts: int = 3) -> None:
    """Open the tab ``name``; return once it is selected and the rerun it started (the app's tabs
    draw their content on the rerun) has finished."""
    tab = page.get_by_role("tab", name=name, exact=True).first
    for _ in range(attempts):
        wait_for_streamlit_idle(page, timeout=RERUN_S)
        if tab.get_attribute("aria-selected") == "true":
            wait_for_streamlit_idle(page, timeout=RERUN_S, quiet_ms=700)
            return
        with contextlib.suppress(_timeout_error()):
            tab.click(timeout=QUICK_MS)
            page.wait_for_function("(el) => el.getAttribute('aria-selected') === 'true'",
                                   arg=tab.element_handle(), timeout=QUICK_MS)
    raise AssertionError(f"the tab {name!r} did not open")


def fill_field(page, label: str, value) -> None:
    """Type ``value`` into the field ``label`` WITHOUT committing it (no Enter, no blur): for a test
    of what the next click does with a typed, uncommitted value. Returns once the field shows it."""
    box = page.get_by_label(label, exact=True).first
    wait_for_streamlit_idle(page, timeout=RERUN_S)
    box.fill(str(value))
    page.wait_for_function("([el, v]) => el.value === v", arg=[box.element_handle(), str(value)], timeout=QUICK_MS)


def wait_for_count(locator, n: int, timeout_ms: float = 60_000) -> None:
    """Wait until ``locator`` matches exactly ``n`` elements (never count the first of several
    renders); fail naming what was there instead."""
    from playwright.sync_api import expect

    try:
        expect(locator).to_have_count(n, timeout=timeout_ms)
    except AssertionError as exc:
        raise AssertionError(f"expected {n} of {locator}, saw {locator.count()}: "
                             f"{locator.all_inner_texts()[:10]}") from exc


def go_to(page, title: str, marker=None) -> None:
    """Switch page through the app's navigation (a new URL would start a new Streamlit session);
    wait for ``marker`` (a locator; the page's heading by default) and a finished run."""
    link = page.locator('[data-testid="stSidebarNav"] a').filter(has_text=title).first
    marker = marker if marker is not None else page.get_by_role("heading", name=title).first
    wait_for_streamlit_idle(page, timeout=RERUN_S)
    click_until(page, link, marker, within_ms=RERUN_S * 1000)
    wait_for_streamlit_idle(page, timeout=RERUN_S)


def open_app(page, url: str, path: str = "", marker=None, *, timeout_s: float = 120.0) -> None:
    """Open the app at ``url`` + ``path`` and wait until ``marker`` (a locator) is shown and the
    first run has finished (a first visit loads the model and the data: generous limit)."""
    page.goto(url.rstrip("/") + ("/" + path.lstrip("/") if path else ""))
    wait_for_streamlit_idle(page, timeout=timeout_s)
    if marker is not None:
        marker.first.wait_for(timeout=timeout_s * 1000)
        wait_for_streamlit_idle(page, timeout=timeout_s)


# --------------------------------------------------------------------------- failures
def failure_artifacts(page, name: str, server_logs=()) -> str:
    """Save what a failed browser test saw (a screenshot, the page's text, the tails of its
    servers' logs) under ``test-artifacts/failures/<name>/`` and return a short text for the
    test report (CI prints it under the failure)."""
    folder = ARTIFACTS_DIR / "failures" / "".join(c if c.isalnum() or c in "-_." else "_" for c in name)[:120]
    folder.mkdir(parents=True, exist_ok=True)
    lines = [f"artifacts: {folder}"]
    try:
        page.screenshot(path=str(folder / "screenshot.png"), full_page=True, timeout=15_000)
    except Exception as exc:  # noqa: BLE001 (a report of a failure must not fail itself)
        lines.append(f"(no screenshot: {exc})")
    try:
        text = page.inner_text("body", timeout=15_000)
    except Exception as exc:  # noqa: BLE001
        text = f"(page text unavailable: {exc})"
    (folder / "page.txt").write_text(text)
    lines += ["--- page text (last 3000 characters) ---", text[-3000:]]
    for log in server_logs:
        log = Path(log)
        tail = log.read_text(errors="replace")[-3000:] if log.exists() else "(missing)"
        (folder / log.name).write_text(tail)
        lines += [f"--- {log.name} (tail) ---", tail]
    return "\n".join(lines)


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


# --------------------------------------------------------------------------- text overlaps in figures
# The text of every Plotly figure on the page (titles, axis titles, tick labels, annotations,
# legend entries, text on the traces): each SVG <text> outside the hover layer that is shown, as
# its four corners on the page (a rotated label is a rotated box, not its axis-aligned hull).
FIGURE_TEXTS_JS = r"""() => [...document.querySelectorAll('.js-plotly-plot')].map((gd, i) => {
  const title = gd.querySelector('.gtitle');
  const texts = [];
  for (const el of gd.querySelectorAll('svg text')) {
    if (el.closest('.hoverlayer')) continue;
    const s = el.textContent.trim();
    if (!s) continue;
    let shown = true;
    for (let e = el; e && e !== gd; e = e.parentElement) {
      const cs = getComputedStyle(e);
      if (cs.display === 'none' || cs.visibility === 'hidden' || parseFloat(cs.opacity) === 0) { shown = false; break; }
    }
    if (!shown) continue;
    const b = el.getBBox(), m = el.getScreenCTM();
    if (!m || b.width < 1 || b.height < 1) continue;
    const at = (x, y) => [m.a * x + m.c * y + m.e, m.b * x + m.d * y + m.f];
    const kind = el.closest('.legend') ? 'legend' : (el.getAttribute('class') || el.parentElement.getAttribute('class') || 'text');
    texts.push({text: s, kind, corners: [at(b.x, b.y), at(b.x + b.width, b.y), at(b.x + b.width, b.y + b.height), at(b.x, b.y + b.height)]});
  }
  return {figure: title ? title.textContent.trim() : `figure ${i + 1}`, texts};
})"""


def _corners(box: Mapping) -> list[tuple[float, float]]:
    if "corners" in box:
        return [(float(x), float(y)) for x, y in box["corners"]]
    x, y, w, h = (float(box[k]) for k in ("x", "y", "width", "height"))
    return [(x, y), (x + w, y), (x + w, y + h), (x, y + h)]


def _penetration(a: list, b: list) -> float:
    """How deep two convex boxes (corner lists) overlap: the smallest overlap of their projections
    on the edge normals of both (the separating axis test); 0 when they do not overlap. For two
    axis-aligned boxes: the smaller of the overlap's width and height."""
    depth = float("inf")
    for poly in (a, b):
        for i in range(len(poly)):
            (x1, y1), (x2, y2) = poly[i], poly[(i + 1) % len(poly)]
            nx, ny = y1 - y2, x2 - x1
            norm = (nx * nx + ny * ny) ** 0.5
            if norm == 0:
                continue
            nx, ny = nx / norm, ny / norm
            pa = [x * nx + y * ny for x, y in a]
            pb = [x * nx + y * ny for x, y in b]
            overlap = min(max(pa), max(pb)) - max(min(pa), min(pb))
            if overlap <= 0:
                return 0.0
            depth = min(depth, overlap)
    return 0.0 if depth == float("inf") else depth


def overlapping_texts(texts, tolerance: float = 3.0) -> list[tuple[dict, dict, float]]:
    """The pairs of ``texts`` that overlap by more than ``tolerance`` pixels in both directions:
    ``(first, second, depth)``, deepest first. Each text is a mapping with ``corners`` (four
    ``(x, y)`` on the page, in order round the box) or ``x, y, width, height``; its other keys
    (``text``, ``kind``) are passed through. Pure: the browser test reads the boxes
    (:data:`FIGURE_TEXTS_JS`), this judges them."""
    boxes = [(t, _corners(t)) for t in texts]
    hulls = [(min(x for x, _ in c), min(y for _, y in c), max(x for x, _ in c), max(y for _, y in c)) for _, c in boxes]
    order = sorted(range(len(boxes)), key=lambda i: hulls[i][0])
    found = []
    for n, i in enumerate(order):
        for j in order[n + 1:]:
            if hulls[j][0] >= hulls[i][2] - tolerance:
                break  # sorted by left edge: no later box reaches into this one
            if min(hulls[i][3], hulls[j][3]) - max(hulls[i][1], hulls[j][1]) <= tolerance:
                continue
            depth = _penetration(boxes[i][1], boxes[j][1])
            if depth > tolerance:
                found.append((boxes[i][0], boxes[j][0], round(depth, 1)))
    return sorted(found, key=lambda f: -f[2])


def figure_text_overlaps(page, tolerance: float = 3.0) -> list[str]:
    """Every overlap of two texts in one Plotly figure of the page, as a line naming the figure
    and the two texts (empty when none)."""
    lines = []
    for fig in page.evaluate(FIGURE_TEXTS_JS):
        for a, b, depth in overlapping_texts(fig["texts"], tolerance):
            lines.append(f"{fig['figure']!r}: {a['kind']} {a['text']!r} overlaps {b['kind']} {b['text']!r} by {depth} px")
    return lines
