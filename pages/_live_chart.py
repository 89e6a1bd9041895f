"""A plotly chart that stays mounted across reruns (UI glue for the Session builder).

Streamlit's ``st.plotly_chart`` hashes the figure into the element's identity, so a chart whose
figure changes is unmounted and drawn from scratch on every rerun, whatever its ``key``. The
builder's item map and session graph change on every click (the session's items, the top-K), so
each click paid two full redraws in the browser. This component keeps one chart per ``key`` and
updates it in place with ``Plotly.react``, reusing every trace whose data did not change
(docs/performance.md). The figure itself is still built by the pure functions of
:mod:`fgnn.plots`; this module only ships it.

The browser side is ``pages/_live_chart/index.html`` and the installed plotly package's own
``plotly.min.js``; both are copied into ``<cache>/components/`` at first use (Streamlit serves a
component's files from one folder and refuses symlinks out of it). A click on a point whose
``customdata`` holds an item id returns ``{"item": id, "token": ...}``: a fresh token per click,
so that the same point clicked twice is two clicks.
"""
from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

import plotly
import streamlit as st
import streamlit.components.v1 as components
from plotly.io.json import to_json_plotly

from fgnn.data.registry import cache_dir

_HTML = Path(__file__).with_name("_live_chart") / "index.html"
NAME = "fgnn_live_chart"


def _component_dir() -> Path:
    """``<cache>/components/live-chart-<plotly version>/`` with the page and plotly.js in it."""
    target = cache_dir() / "components" / f"live-chart-{plotly.__version__}"
    js = Path(plotly.__file__).parent / "package_data" / "plotly.min.js"
    target.mkdir(parents=True, exist_ok=True)
    for source in (_HTML, js):
        dest = target / source.name
        if not dest.is_file() or dest.read_bytes() != source.read_bytes():
            tmp = dest.with_suffix(dest.suffix + ".tmp")
            shutil.copyfile(source, tmp)
            tmp.replace(dest)
    return target


@st.cache_resource(show_spinner=False)
def _component():
    return components.declare_component(NAME, path=str(_component_dir()))


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
    """Draw ``fig`` in the live chart ``key``; returns the last click ``{"item", "token"}`` or
    ``None``. ``on_click`` (no arguments) runs when a new click arrives; read the click with
    :func:`clicked_item`. While ``view_key`` stays the same, the person's zoom and pan are kept
    across updates (e.g. the item map's, until the checkpoint changes). ``fig`` may be a figure's
    JSON (:func:`figure_args`), drawn with ``extra_traces`` on top."""
    view = None if view_key is None else hashlib.sha256(view_key.encode()).hexdigest()[:16]  # no paths sent
    return _component()(figure=figure_args(fig, extra_traces), height=int(height), clickable=bool(clickable),
                        view_key=view, key=key, default=None, on_change=on_click)


def clicked_item(key: str) -> int | None:
    """The item id of the live chart's last click, or ``None`` when the value is not a click the
    page sent (a visitor can post any value: only a plain integer id is taken)."""
    value = st.session_state.get(key)
    if not isinstance(value, dict):
        return None
    item = value.get("item")
    if isinstance(item, bool) or not isinstance(item, int):
        return None
    return item
