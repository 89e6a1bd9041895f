"""Browser benchmark of FGNN Studio: what a person waits for in a real Chromium. Rerunnable; not a test.

    python -m fgnn.benchmarks.browser [--json] [--dataset SOURCE] [--checkpoint PATH] [--repeats N]

Starts ``streamlit run app.py`` headless on a free port, drives Chromium (``/usr/bin/chromium`` or
``$FGNN_CHROMIUM``) through Playwright and prints the median and 90th percentile, in milliseconds, of:

- ``cold_load``: a new browser context (empty cache) opens the app until the Session builder's item
  map is drawn and the run has ended (the server is warmed once first; that first visit is reported
  apart as ``server_first_load_ms``: from the server's health check answering to the first page
  ready, i.e. what the server's preload has not loaded yet plus a cold load; docs/performance.md,
  "The first visit"; ``server_start_ms`` is the time before it, from starting ``streamlit run`` to
  the health check answering);
- ``map_click``: a click on a point of the item map until the session graph shows the new click and
  the run has ended (so the top-K tables are redrawn too);
- ``topk_click``: a click on the first bar of the top-K chart, until the same (untimed before it:
  the bar chart has stopped redrawing);
- ``remove``: the "remove this click" button of the last click, until the same;
- ``view_switch``: choosing another readout step for the session graph until the graph is redrawn;
- ``page_switch``: Session builder -> Graph construction and back, through the sidebar, each way
  until the new page has been drawn and its run has ended;
- ``inspect_first``: Session builder -> Inspect for the first time, until its rank histogram is drawn
  and the run has ended (every test pair ranked; the checkpoint's kept ranks in
  ``<run>/inspect-cache/`` are removed first unless ``--keep-inspect-cache``): one sample;
- ``inspect_revisit``: Session builder -> Inspect again, until the same.

In the same run it times a **reference page** (``fgnn/benchmarks/reference_page.py``, started with
``streamlit run``): a bare Streamlit page with one Plotly chart of as many points as the app's item map
shows for the dataset (counted in the app's page) and one selectbox. ``reference.cold_load`` opens it
in a new context until the chart is drawn; ``reference.rerun`` chooses another option of the
selectbox until the chart is redrawn with it. Each app figure is then also given as a ratio to the
reference (:func:`ratios`: a load to the reference load, an interaction to the reference rerun): a
machine twice as slow makes both figures slower, so the ratio compares across machines, and the goals
(:data:`GOAL_RATIOS`) are ratios.

"Run has ended" is read from the page itself: no element is marked stale (Streamlit marks every
element of a run still in progress, fragment-aware) and the running indicator is gone or leaving.
Timings are taken in Python around the click, so they include a few ms of Playwright overhead.
The dataset and checkpoint reach the app through ``FGNN_APP_DATASET`` / ``FGNN_APP_CHECKPOINT``.

:func:`run_streamlit`, :func:`find_chromium` and :func:`wait_for_health` start a server and find a
browser; the browser tests use them too. The Playwright helpers of the tests (a browser context with
an empty profile, waiting for an idle page, choosing options) live in ``tests/browser_support.py``.
"""
from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Mapping
from pathlib import Path

import numpy as np

REPO_ROOT = Path(__file__).resolve().parents[2]

# As root in a sandbox with a closed network: no setuid sandbox, no GPU, and no background
# connections (they are refused here, many at a time, and slow the start down).
CHROMIUM_ARGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-quic",
    "--no-first-run",
    "--disable-dev-shm-usage",
)
VIEWPORT = {"width": 1400, "height": 1000}
DEBIAN_CHROMIUM = "/usr/bin/chromium"
METRICS = ("cold_load_ms", "map_click_ms", "topk_click_ms", "remove_ms", "view_switch_ms", "page_switch_ms",
           "inspect_revisit_ms")
INSPECT_CHART = "Rank of the target"
REFERENCE_PAGE = Path(__file__).with_name("reference_page.py")
REFERENCE_METRICS = ("cold_load_ms", "rerun_ms")
# which reference figure each app figure is divided by: a load by a load, an interaction by a rerun
REFERENCE_FOR = {m: "cold_load_ms" if m == "cold_load_ms" else "rerun_ms" for m in METRICS}
REFERENCE_FOR["inspect_first_ms"] = "rerun_ms"
# the goals, as medians over the reference's medians (docs/performance.md, "The app against a
# reference page"): a map click may cost a quarter more than a bare page's rerun with a chart of the
# same size, an attention-view switch three quarters of it; first set from one run on a loaded machine
GOAL_RATIOS = {"cold_load_ms": 2.0, "map_click_ms": 1.25, "view_switch_ms": 0.75, "inspect_revisit_ms": 2.5}


# --------------------------------------------------------------------------- server and browser
def find_chromium() -> str | None:
    """Path of a usable Chromium binary, or None.

    Order: ``$FGNN_CHROMIUM`` (explicit override), Debian's ``/usr/bin/chromium``, ``chromium`` or
    ``chromium-browser`` on PATH, then the browser that ``playwright install chromium`` manages.
    """
    override = os.environ.get("FGNN_CHROMIUM")
    if override:
        return override if os.access(override, os.X_OK) else None
    if os.access(DEBIAN_CHROMIUM, os.X_OK):
        return DEBIAN_CHROMIUM
    for name in ("chromium", "chromium-browser"):
        found = shutil.which(name)
        if found:
            return found
    return _playwright_managed_chromium()


def _playwright_managed_chromium() -> str | None:
    try:
        from playwright.sync_api import sync_playwright  # noqa: PLC0415 (playwright: only when a browser runs)
    except ImportError:
        return None
    try:
        with sync_playwright() as pw:
            path = pw.chromium.executable_path
    except Exception:  # noqa: BLE001  (no driver, or a broken install: "no browser")
        return None
    return path if path and os.access(path, os.X_OK) else None


def free_port() -> int:
    """A TCP port on 127.0.0.1 that was free a moment ago."""
    with contextlib.closing(socket.socket(socket.AF_INET, socket.SOCK_STREAM)) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for_health(url: str, timeout: float = 60.0, proc: subprocess.Popen | None = None) -> None:
    """Wait until Streamlit's health endpoint answers ``ok``.

    ``url`` is the server's base URL (``http://127.0.0.1:8501``) or the health URL itself. When
    ``proc`` is given, a process that exits early fails at once instead of after the timeout.
    Raises ``TimeoutError`` (or ``RuntimeError`` for an exited process).
    """
    health = url if url.rstrip("/").endswith("/_stcore/health") else url.rstrip("/") + "/_stcore/health"
    deadline = time.monotonic() + timeout
    last_error: object = None
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"server exited with code {proc.returncode} before {health} answered")
        try:
            with urllib.request.urlopen(health, timeout=5) as response:
                body = response.read().decode("utf-8", "replace").strip()
                if response.status == 200 and body == "ok":
                    return
                last_error = f"HTTP {response.status}: {body!r}"
        except (urllib.error.URLError, ConnectionError, OSError) as exc:
            last_error = exc
        time.sleep(0.25)
    raise TimeoutError(f"{health} did not answer 'ok' within {timeout:.0f} s (last: {last_error})")


def _safe_name(name: str) -> str:
    return "".join(c if c.isalnum() or c in "-_." else "_" for c in name) or "server"


def _stop_process_group(proc: subprocess.Popen, grace: float = 10.0) -> None:
    """SIGTERM the process group we started (Streamlit and anything it spawned), then SIGKILL."""
    if proc.poll() is not None:
        return
    try:
        os.killpg(proc.pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    try:
        proc.wait(timeout=grace)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=grace)
    # children that outlived the leader in the same group
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, signal.SIGKILL)


@contextlib.contextmanager
def run_streamlit(
    script: str | os.PathLike = "app.py",
    *,
    name: str = "app",
    env: Mapping[str, str] | None = None,
    cwd: str | os.PathLike | None = None,
    port: int | None = None,
    timeout: float = 60.0,
    log_dir: str | os.PathLike | None = None,
    extra_args: tuple[str, ...] = (),
) -> Iterator[str]:
    """Run ``python -m streamlit run SCRIPT`` headless on a free port; yield its base URL.

    The server runs from ``cwd`` (the repo root by default) with ``os.environ`` plus ``env``, in its
    own process group so that teardown stops it and every child it started. Its stdout and stderr
    go to ``<log_dir>/streamlit-<name>.log`` (a new temporary folder by default), which a failed
    start quotes in its error.
    """
    cwd = Path(cwd) if cwd is not None else REPO_ROOT
    log_dir = Path(log_dir) if log_dir is not None else Path(tempfile.mkdtemp(prefix="fgnn-streamlit-"))
    log_dir.mkdir(parents=True, exist_ok=True)
    log_path = log_dir / f"streamlit-{_safe_name(name)}.log"
    port = port or free_port()
    full_env = dict(os.environ)
    full_env.update(env or {})
    full_env.setdefault("PYTHONUNBUFFERED", "1")
    # the repo on sys.path even when fgnn is not installed
    full_env["PYTHONPATH"] = os.pathsep.join(
        p for p in (str(REPO_ROOT), full_env.get("PYTHONPATH", "")) if p
    )
    cmd = [
        sys.executable, "-m", "streamlit", "run", str(script),
        "--server.headless", "true",
        "--server.port", str(port),
        "--server.address", "127.0.0.1",
        "--browser.gatherUsageStats", "false",
        "--server.fileWatcherType", "none",
        *extra_args,
    ]
    url = f"http://127.0.0.1:{port}"
    with open(log_path, "wb") as log:
        proc = subprocess.Popen(
            cmd, cwd=cwd, env=full_env, stdout=log, stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL, start_new_session=True,
        )
        try:
            try:
                wait_for_health(url, timeout=timeout, proc=proc)
            except (TimeoutError, RuntimeError) as exc:
                log.flush()
                tail = log_path.read_text(errors="replace")[-4000:]
                raise RuntimeError(f"streamlit {script} did not start: {exc}\n--- {log_path} ---\n{tail}") from exc
            yield url
        finally:
            _stop_process_group(proc)


@contextlib.contextmanager
def launch_chromium(executable_path: str, *, headless: bool = True) -> Iterator[object]:
    """A Playwright ``Browser`` on the given Chromium binary (new contexts have empty profiles)."""
    from playwright.sync_api import sync_playwright  # noqa: PLC0415 (playwright: only when a browser runs)

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=executable_path, headless=headless, args=list(CHROMIUM_ARGS))
        try:
            yield browser
        finally:
            browser.close()


# --------------------------------------------------------------------------- in-page probes
# Installed in every page: small functions the waits below call through page.wait_for_function.
PROBES_JS = r"""
window.__fgnn = {
  chart(prefix) {
    for (const d of document.querySelectorAll('.js-plotly-plot')) {
      const t = d.querySelector('.gtitle');
      if (t && t.textContent.startsWith(prefix)) return d;
    }
    return null;
  },
  title(prefix) { const d = this.chart(prefix); return d ? d.querySelector('.gtitle').textContent : null; },
  // a run has ended: nothing stale, and the running indicator gone or on its way out
  idle() {
    if (document.querySelector('[data-stale="true"]')) return false;
    const w = document.querySelector('[data-testid="stStatusWidget"]');
    return !w || String(w.className).includes('StatusWidget-exit');
  },
  // a cheap fingerprint of a chart's drawing
  sig(prefix) {
    const d = this.chart(prefix);
    if (!d) return null;
    const s = d.querySelector('.main-svg').innerHTML;
    let h = 0;
    for (let i = 0; i < s.length; i += 7) h = (h * 31 + s.charCodeAt(i)) | 0;
    return s.length + ':' + h;
  },
  // page coordinates of point `n` of the item map (any trace type: SVG or WebGL)
  mapPoint(n) {
    const gd = this.chart('Item map');
    if (!gd) return null;
    gd.scrollIntoView({block: 'center'});
    const pts = [];
    gd._fullData.forEach((tr, t) => {
      if (!tr.visible || tr.visible === 'legendonly' || !tr.x || !tr.customdata) return;
      for (let i = 0; i < tr.x.length; i++) pts.push([t, i]);
    });
    if (!pts.length) return null;
    const [t, i] = pts[n % pts.length];
    const tr = gd._fullData[t], xa = gd._fullLayout.xaxis, ya = gd._fullLayout.yaxis;
    const r = gd.getBoundingClientRect();
    return [r.left + xa._offset + xa.c2p(tr.x[i]), r.top + ya._offset + ya.c2p(tr.y[i])];
  },
  centre(el) {
    if (!el) return null;
    el.scrollIntoView({block: 'center'});
    const r = el.getBoundingClientRect();
    return [r.left + r.width / 2, r.top + r.height / 2];
  },
};
"""

MAP_POINTS_JS = """(overlays) => { const gd = window.__fgnn.chart('Item map'); if (!gd) return 0;
  return gd._fullData.filter(tr => tr.x && tr.customdata && !overlays.includes(tr.name))
    .reduce((n, tr) => n + tr.x.length, 0); }"""
DONE_TITLE = "([prefix, re]) => { const t = window.__fgnn.title(prefix); return !!t && new RegExp(re).test(t) && window.__fgnn.idle(); }"
DONE_SIG = "([prefix, before]) => { const s = window.__fgnn.sig(prefix); return !!s && s !== before && window.__fgnn.idle(); }"
DONE_H1 = """([text, chart]) => { const h = document.querySelector('h1');
  return !!h && h.textContent.trim().startsWith(text) && (!chart || !!window.__fgnn.chart(chart)) && window.__fgnn.idle(); }"""


class Bench:
    """One browser page on the app, with the timed interactions."""

    def __init__(self, page, url: str, timeout_s: float, settle_ms: float = 0.0):
        self.page = page
        self.url = url
        self.timeout_ms = timeout_s * 1000
        self.settle_ms = settle_ms  # an untimed pause before each timed click
        self.clicks = 0

    def _wait(self, js: str, arg) -> None:
        self.page.wait_for_function(js, arg=arg, polling="raf", timeout=self.timeout_ms)

    def _timed_click(self, xy, js: str, arg) -> float:
        if xy is None:
            raise RuntimeError(f"nothing to click for {arg}")
        if self.settle_ms:
            self.page.wait_for_timeout(self.settle_ms)
        t0 = time.perf_counter()
        self.page.mouse.click(*xy)
        self._wait(js, arg)
        return (time.perf_counter() - t0) * 1000

    def _session_re(self) -> str:
        return rf"^Session graph: {self.clicks} clicks\b"

    def load(self, title: str = "Session builder", chart: str | None = "Item map") -> float:
        t0 = time.perf_counter()
        self.page.goto(self.url)
        self._wait(DONE_H1, [title, chart])
        return (time.perf_counter() - t0) * 1000

    def map_points(self) -> int:
        """How many items the item map draws as points (its overlays and density layer left out)."""
        # here, not at the top: the browser tests import this module's server helpers, and plots
        # would bring pandas, plotly and torch into every test session
        from fgnn.viz.item_map import ITEM_MAP_OVERLAYS  # noqa: PLC0415 (see above)

        return int(self.page.evaluate(MAP_POINTS_JS, list(ITEM_MAP_OVERLAYS)))

    def reference_rerun(self, n: int) -> float:
        """Choose option ``n`` of the reference page's selectbox; until its chart shows it."""
        box = self.page.locator('input[aria-label="Reference option"]').first
        box.click()
        self.page.get_by_role("option").first.wait_for()
        xy = self.page.evaluate(
            "(t) => window.__fgnn.centre([...document.querySelectorAll('[role=option]')].find(o => o.textContent.trim() === t))",
            f"option {n}")
        return self._timed_click(xy, DONE_TITLE, ["Reference map", rf": option {n}$"])

    def map_click(self, n: int) -> float:
        xy = self.page.evaluate("(n) => window.__fgnn.mapPoint(n)", n)
        self.clicks += 1
        return self._timed_click(xy, DONE_TITLE, ["Session graph", self._session_re()])

    def _steady(self, prefix: str, gap_ms: int = 150) -> None:
        """Untimed: wait until chart ``prefix`` draws the same twice ``gap_ms`` apart (the top-K bar
        chart is redrawn a moment after its run has ended; a click during that redraw is lost)."""
        before = None
        for _ in range(100):
            now = self.page.evaluate("(p) => window.__fgnn.sig(p)", prefix)
            if now is not None and now == before:
                return
            before = now
            self.page.wait_for_timeout(gap_ms)

    def topk_click(self) -> float:
        self._steady("Top-")
        xy = self.page.evaluate(
            "() => { const d = window.__fgnn.chart('Top-'); return d && window.__fgnn.centre(d.querySelector('.barlayer .point')); }")
        self.clicks += 1
        return self._timed_click(xy, DONE_TITLE, ["Session graph", self._session_re()])

    def remove(self) -> float:
        pos = self.clicks - 1
        xy = self.page.evaluate(
            "(pos) => window.__fgnn.centre(document.querySelector(`.fgnn-strip button.fgnn-strip-remove[data-pos=\"${pos}\"]`))", pos)
        self.clicks -= 1
        return self._timed_click(xy, DONE_TITLE, ["Session graph", self._session_re()])

    def view_switch(self, n: int) -> float:
        page = self.page
        box = page.locator('input[aria-label="Readout step"]').first
        box.click()
        options = page.get_by_role("option")
        options.first.wait_for()
        count = options.count()
        # the option after the one shown now (cycling), never the current one
        current = box.input_value().strip()
        labels = [options.nth(i).inner_text().strip() for i in range(count)]
        j = (labels.index(current) + 1) % count if current in labels else n % count
        before = page.evaluate("() => window.__fgnn.sig('Session graph')")
        xy = page.evaluate("(j) => window.__fgnn.centre(document.querySelectorAll('[role=option]')[j])", j)
        return self._timed_click(xy, DONE_SIG, ["Session graph", before])

    def page_switch(self, title: str, chart: str | None) -> float:
        xy = self.page.evaluate(
            """(t) => window.__fgnn.centre([...document.querySelectorAll('[data-testid="stSidebarNav"] a')]
                 .find(a => a.textContent.trim().endsWith(t)))""", title)
        return self._timed_click(xy, DONE_H1, [title, chart])

    def toggle_topk_chart(self) -> None:
        self.page.get_by_text("Show the top-K as a chart").click()
        self._wait("() => !!window.__fgnn.chart('Top-') && window.__fgnn.idle()", None)


def summarise(samples: list[float]) -> dict:
    """``{"median", "p90", "n"}`` of a list of milliseconds (linear interpolation)."""
    a = np.asarray(samples, dtype=float)
    return {"median": round(float(np.median(a)), 1), "p90": round(float(np.percentile(a, 90)), 1), "n": int(a.size)}


def ratios(result: dict, reference: dict) -> dict:
    """Each app figure's median over its reference median (:data:`REFERENCE_FOR`), to 2 decimals.

    ``result`` holds ``{metric: {"median": ...}}`` (and ``inspect_first_ms`` as a number), ``reference``
    ``{"cold_load_ms": {"median": ...}, "rerun_ms": {"median": ...}}``. A figure that is missing, or
    whose reference is missing or not positive, has no ratio.
    """
    out = {}
    for metric, ref_metric in REFERENCE_FOR.items():
        value = result.get(metric)
        value = value.get("median") if isinstance(value, dict) else value
        ref = (reference.get(ref_metric) or {}).get("median")
        if value is not None and ref:
            out[metric] = round(float(value) / float(ref), 2)
    return out


def goals_met(ratio: dict) -> dict:
    """``{metric: True/False}`` for each goal of :data:`GOAL_RATIOS` that has a measured ratio."""
    return {m: ratio[m] <= goal for m, goal in GOAL_RATIOS.items() if m in ratio}


def run_reference(browser, *, points: int, repeats: int, timeout_s: float, log_dir: str | None = None) -> dict:
    """Time the reference page (:data:`REFERENCE_PAGE`) with ``points`` points in its chart."""
    samples: dict[str, list[float]] = {m: [] for m in REFERENCE_METRICS}
    with run_streamlit(REFERENCE_PAGE, name="browser-bench-reference", env={"FGNN_REFERENCE_POINTS": str(points)},
                       timeout=timeout_s, log_dir=log_dir) as url:
        context, page = _new_page(browser, timeout_s)
        Bench(page, url, timeout_s).load("Reference page", "Reference map")  # the server's first run
        context.close()
        for _ in range(repeats):
            context, page = _new_page(browser, timeout_s)
            samples["cold_load_ms"].append(Bench(page, url, timeout_s).load("Reference page", "Reference map"))
            context.close()
        context, page = _new_page(browser, timeout_s)
        bench = Bench(page, url, timeout_s)
        bench.load("Reference page", "Reference map")
        bench.reference_rerun(1)  # warm-up, as the app's first click
        for n in range(repeats):
            samples["rerun_ms"].append(bench.reference_rerun(2 + n % 6))
        context.close()
    out = {m: summarise(samples[m]) for m in REFERENCE_METRICS}
    out["points"] = points
    out["samples"] = {m: [round(x, 1) for x in samples[m]] for m in REFERENCE_METRICS}
    return out


def _new_page(browser, timeout_s: float):
    context = browser.new_context(viewport=VIEWPORT)
    context.add_init_script(PROBES_JS)
    page = context.new_page()
    page.set_default_timeout(timeout_s * 1000)
    return context, page


def _drive_app(browser, url: str, repeats: int, timeout_s: float, settle_ms: float):
    """The app's timed interactions: ``(samples, first visit ms, Inspect first visit ms, map points)``."""
    samples: dict[str, list[float]] = {m: [] for m in METRICS}
    # first visit: the server loads the dataset, the model and the item map
    context, page = _new_page(browser, timeout_s)
    first = Bench(page, url, timeout_s).load()
    context.close()
    for _ in range(repeats):
        context, page = _new_page(browser, timeout_s)
        samples["cold_load_ms"].append(Bench(page, url, timeout_s).load())
        context.close()

    context, page = _new_page(browser, timeout_s)
    bench = Bench(page, url, timeout_s, settle_ms)
    bench.load()
    map_points = bench.map_points()
    # the first click builds the graph panel for the first time: warm-up, not counted
    bench.map_click(0)
    for n in range(repeats):
        samples["map_click_ms"].append(bench.map_click(7 * n + 3))
    for n in range(repeats):
        samples["view_switch_ms"].append(bench.view_switch(n))
    for _ in range(repeats):
        samples["remove_ms"].append(bench.remove())
    bench.toggle_topk_chart()
    for _ in range(repeats):
        samples["topk_click_ms"].append(bench.topk_click())
    for _ in range(repeats):
        samples["page_switch_ms"].append(bench.page_switch("Graph construction", None))
        samples["page_switch_ms"].append(bench.page_switch("Session builder", "Item map"))
    inspect_first = bench.page_switch("Inspect", INSPECT_CHART)
    for _ in range(repeats):
        bench.page_switch("Session builder", "Item map")
        samples["inspect_revisit_ms"].append(bench.page_switch("Inspect", INSPECT_CHART))
    context.close()
    return samples, first, inspect_first, map_points


def run_benchmark(*, dataset: str | None = None, checkpoint: str | None = None, repeats: int = 10,
                  chromium: str | None = None, timeout_s: float = 180.0, log_dir: str | None = None,
                  keep_inspect_cache: bool = False, settle_ms: float = 0.0) -> dict:
    """Start the app, drive it, return the result object (see the module docstring)."""
    chromium = chromium or find_chromium()
    if chromium is None:
        raise SystemExit("no Chromium found: install Debian's `chromium`, run `playwright install chromium`, "
                         "or set FGNN_CHROMIUM to a Chromium binary")
    try:
        import playwright.sync_api  # noqa: F401, PLC0415 (is it installed: checked before a browser starts)
    except ImportError as exc:
        raise SystemExit(f"playwright is not installed ({exc}): pip install -r requirements-dev.txt") from None
    env = {}
    if dataset:
        env["FGNN_APP_DATASET"] = dataset
    if checkpoint:
        env["FGNN_APP_CHECKPOINT"] = str(Path(checkpoint).resolve())
    if not keep_inspect_cache:
        from fgnn.evaluation.rank_cache import forget  # noqa: PLC0415 (torch: only when the cache is cleared)

        forget(checkpoint or REPO_ROOT / "checkpoints" / "fgnn-sample" / "best.pt")
    load_before = os.getloadavg()
    with launch_chromium(chromium) as browser:
        t_start = time.perf_counter()
        with run_streamlit("app.py", name="browser-bench", env=env, timeout=timeout_s, log_dir=log_dir) as url:
            server_start = (time.perf_counter() - t_start) * 1000
            samples, first, inspect_first, map_points = _drive_app(browser, url, repeats, timeout_s, settle_ms)
        # the reference page in the same browser, right after the app (whose server is stopped)
        reference = run_reference(browser, points=map_points, repeats=repeats, timeout_s=timeout_s, log_dir=log_dir)
    result = {m: summarise(samples[m]) for m in METRICS}
    result["server_first_load_ms"] = round(first, 1)
    result["server_start_ms"] = round(server_start, 1)
    result["inspect_first_ms"] = round(inspect_first, 1)
    result["reference"] = reference
    result["ratios"] = ratios(result, reference)
    result["goals_met"] = goals_met(result["ratios"])
    result["samples"] = {m: [round(x, 1) for x in samples[m]] for m in METRICS}
    result["setup"] = {
        "dataset": dataset or "diginetica-sample (app default)",
        "checkpoint": checkpoint or "checkpoints/fgnn-sample/best.pt (app default)",
        "repeats": repeats, "cpus": os.cpu_count(), "python": platform.python_version(),
        "load_avg_before": [round(x, 2) for x in load_before],
        "load_avg_after": [round(x, 2) for x in os.getloadavg()],
    }
    return result


def format_result(result: dict) -> str:
    """The result as a table: each app figure, its reference figure and their ratio (with the goal)."""
    setup = result["setup"]
    reference = result.get("reference") or {}
    ratio = result.get("ratios") or ratios(result, reference)
    lines = [(f"FGNN Studio in Chromium: {setup['dataset']}, {setup['checkpoint']}, {setup['repeats']} repeats, "
              f"{setup['cpus']} CPUs, load average {setup['load_avg_before'][0]} before / "
              f"{setup['load_avg_after'][0]} after"),
             f"  {'':<16}{'median ms':>10}{'p90 ms':>10}{'n':>5}{'reference ms':>14}{'ratio':>8}{'goal':>10}"]
    for m in METRICS:
        r = result[m]
        ref = (reference.get(REFERENCE_FOR[m]) or {}).get("median")
        ref_text = f"{ref:>14.0f}" if ref is not None else f"{'':>14}"
        ratio_text = f"{ratio[m]:>7.2f}x" if m in ratio else f"{'':>8}"
        goal_text = f"<= {GOAL_RATIOS[m]:g}x" if m in GOAL_RATIOS else ""
        lines.append(f"  {m[:-3]:<16}{r['median']:>10.0f}{r['p90']:>10.0f}{r['n']:>5}{ref_text}{ratio_text}{goal_text:>10}")
    lines.append(f"  first visit, from the health check answering to the page ready (server_first_load): "
                 f"{result['server_first_load_ms']:.0f} ms (a cold load: {result['cold_load_ms']['median']:.0f} ms)")
    if "server_start_ms" in result:
        lines.append(f"  server start, from `streamlit run` to the health check answering (server_start): "
                     f"{result['server_start_ms']:.0f} ms")
    if "inspect_first_ms" in result:
        extra = f" ({ratio['inspect_first_ms']:.1f}x the reference rerun)" if "inspect_first_ms" in ratio else ""
        lines.append(f"  Inspect, first visit (every test pair ranked): {result['inspect_first_ms']:.0f} ms{extra}")
    if reference:
        lines.append(f"  reference page ({reference.get('points', '?')} points, one selectbox): cold load "
                     f"{reference['cold_load_ms']['median']:.0f} ms, rerun {reference['rerun_ms']['median']:.0f} ms "
                     f"(medians; p90 {reference['cold_load_ms']['p90']:.0f} / {reference['rerun_ms']['p90']:.0f})")
    return "\n".join(lines)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m fgnn.benchmarks.browser", description=__doc__.split("\n")[0])
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument("--dataset", help="dataset source for the app (default: the bundled sample)")
    parser.add_argument("--checkpoint", help="checkpoint for the app (default: the shipped FGNN)")
    parser.add_argument("--repeats", type=int, default=10, help="samples per interaction (default 10)")
    parser.add_argument("--timeout", type=float, default=180.0, help="seconds to wait for one step (default 180)")
    parser.add_argument("--log-dir", help="folder for the server log (default: a new temporary folder)")
    parser.add_argument("--settle-ms", type=float, default=0.0,
                        help="an untimed pause before each timed click (default 0): for a build whose page "
                             "goes on drawing after its run has ended, where a click would otherwise be lost")
    parser.add_argument("--keep-inspect-cache", action="store_true",
                        help="keep the checkpoint's kept Inspect ranks (default: remove them, so that "
                             "inspect_first times the ranking of every test pair)")
    args = parser.parse_args(argv)
    if args.repeats < 1:
        parser.error("--repeats must be at least 1")
    if args.settle_ms < 0:
        parser.error("--settle-ms must be 0 or more")
    if args.checkpoint and not Path(args.checkpoint).is_file():
        parser.error(f"--checkpoint {args.checkpoint}: no such file")
    result = run_benchmark(dataset=args.dataset, checkpoint=args.checkpoint, repeats=args.repeats,
                           timeout_s=args.timeout, log_dir=args.log_dir, keep_inspect_cache=args.keep_inspect_cache,
                           settle_ms=args.settle_ms)
    print(json.dumps(result) if args.json else format_result(result))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
