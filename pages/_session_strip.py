"""The session strip's clicks, each with its move and remove buttons, as one element (UI glue for
the Session builder).

One bordered card per click with three Streamlit buttons made four elements and three widgets per
click: with eight clicks about 70 of the builder's ~190 elements, all re-sent and redrawn on every
click (docs/performance.md). This ``st.components.v2`` component draws the same cards in the page
from one list of labels (``pages/_session_strip/``); a button press is one trigger value ``edit``
= ``{"op", "pos", "item"}``, which :func:`fgnn.app.builder.strip_edit` checks against the session
before anything changes (a visitor can post any value).
"""
from __future__ import annotations

from pathlib import Path

import streamlit as st
import streamlit.components.v2 as components_v2

from fgnn.data.ids import plain_id

_HERE = Path(__file__).with_name("_session_strip")


@st.cache_resource(show_spinner=False)
def _component():
    return components_v2.component("fgnn_session_strip", js=(_HERE / "session_strip.js").read_text(),
                                   css=(_HERE / "session_strip.css").read_text(), isolate_styles=False)


def session_strip(clicks: list[tuple[int, int, str]], total: int, *, key: str, on_edit) -> None:
    """Draw the cards of ``clicks`` (``(position, item id, label)``, positions 0-based in a
    session of ``total`` clicks); ``on_edit`` (no arguments) runs when a button is pressed: read
    the edit with ``pages._widgets.trigger_value(key, "edit", accepts)``."""
    _component()(data={"clicks": [{"pos": int(p), "item": plain_id(i), "label": str(lab)} for p, i, lab in clicks],
                       "total": int(total)},
                 key=key, on_edit_change=on_edit)
