"""A plotly chart that stays mounted across reruns (UI glue for the Session builder).

Streamlit's ``st.plotly_chart`` hashes the figure into the element's identity, so a chart whose
figure changes is unmounted and drawn from scratch on every rerun, whatever its ``key``. The
builder's item map and session graph change on every click (the session's items, the top-K), so
each click paid two full redraws in the browser. This component keeps one chart per ``key`` and
updates it in place with ``Plotly.react``, reusing every trace whose data did not change
(docs/performance.md). The figure itself is still built by the pure functions of
:mod:`fgnn.viz.plots`; this module only ships it.

It is a ``st.components.v2`` component: its script (``pages/_live_chart/live_chart.js``) runs in
the app's page, not in an iframe, and loads the installed plotly package's own ``plotly.min.js``
once per browser tab (a page switch back to the builder does not load it again). That file is
served from ``<cache>/components/live-chart-<plotly version>/`` through a ``components.v1``
declaration that only serves it (Streamlit refuses symlinks out of a component's folder, so it is
copied there at first use). A click on a point whose ``customdata`` holds an item id is a trigger
``click`` (one event per click, so the same point clicked twice is two clicks).
"""
from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

import plotly
import streamlit as st
import streamlit.components.v1 as components
import streamlit.components.v2 as components_v2
from plotly.io.json import to_json_plotly

from fgnn.data.registry import cache_dir
from pages._widgets import trigger_value

_JS = Path(__file__).with_name("_live_chart") / "live_chart.js"
NAME = "fgnn_live_chart"


def _asset_dir() -> Path:
    """``<cache>/components/live-chart-<plotly version>/`` with plotly.js in it."""
    target = cache_dir() / "components" / f"live-chart-{plotly.__version__}"
    source = Path(plotly.__file__).parent / "package_data" / "plotly.min.js"
    target.mkdir(parents=True, exist_ok=True)
    dest = target / source.name
    if not dest.is_file() or dest.stat().st_size != source.stat().st_size:
        tmp = dest.with_suffix(".tmp")
        shutil.copyfile(source, tmp)
        tmp.replace(dest)
    return target


@st.cache_resource(show_spinner=False)
def _component():
    """``(mount, url of plotly.min.js relative to the app's base URL)``."""
    assets = components.declare_component(f"{NAME}_assets", path=str(_asset_dir()))
    mount = components_v2.component(NAME, js=_JS.read_text(), isolate_styles=False)
    return mount, f"component/{assets.name}/plotly.min.js"


def figure_args(fig, extra_traces=()) -> dict:
    """The figure as plain JSON (plotly's own encoder: numpy arrays, dates), with ``extra_traces``
    (plotly traces) drawn on top. ``fig`` is a plotly figure or its JSON already (a dict, e.g. one
    kept in a cache), which is not changed."""
    out = dict(fig) if isinstance(fig, dict) else json.loads(fig.to_json())
    if extra_traces:
        out["data"] = list(out.get("data", [])) + [json.loads(to_json_plotly(t)) for t in extra_traces]
    return out


def live_plotly_chart(fig, *, key: str, height: int, clickable: bool = False, on_click=None,
                      view_key: str | None = None, extra_traces=()):
    """Draw ``fig`` in the live chart ``key``. ``on_click`` (no arguments) runs when a point is
    clicked; read the click with :func:`clicked_item`. While ``view_key`` stays the same, the
    person's zoom and pan are kept across updates (e.g. the item map's, until the checkpoint
    changes). ``fig`` may be a figure's JSON (:func:`figure_args`), drawn with ``extra_traces`` on
    top."""
    mount, url = _component()
    view = None if view_key is None else hashlib.sha256(view_key.encode()).hexdigest()[:16]  # no paths sent
    data = {"figure": figure_args(fig, extra_traces), "height": int(height), "clickable": bool(clickable),
            "view_key": view, "plotly_url": url}
    return mount(data=data, key=key, height=int(height), on_click_change=on_click or (lambda: None))


def clicked_item(key: str) -> int | str | None:
    """The item id of the live chart's click in this run, or ``None`` when there is none or the
    value is not one the page sends (a visitor can post any value: only a plain integer id, or
    text where ids are tokens; the page checks it is an item of its dataset)."""
    return trigger_value(key, "click", lambda v: isinstance(v, str) or (isinstance(v, int) and not isinstance(v, bool)))
