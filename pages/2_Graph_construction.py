"""Graph construction, step by step (teaching): sequence -> nodes -> edges -> merged weights ->
self-loops -> degree normalisation -> the tensors the model receives.

Thin: every step (figure, sentences, tables) comes from :func:`fgnn.app.teaching.construction_steps`.
Page-local keys: ``construction_source``, ``construction_text``, ``construction_step``.
"""
from __future__ import annotations

import streamlit as st

from fgnn.app.builder import parse_item_ids
from fgnn.app.construction_page import (
    EMPTY_WARNING,
    EXAMPLE,
    SOURCES,
    builder_sequence_markdown,
    default_source,
    example_text,
    step_position,
    step_tables,
)
from fgnn.app.teaching import construction_steps
from fgnn.data.ids import plain_id
from fgnn.errors import FGNNError
from pages import _widgets as ui
from pages._shared import ensure_app_shell, get_dataset


def render() -> None:
    ensure_app_shell("pages/2_Graph_construction.py")
    st.title("Graph construction")
    st.caption("How a click sequence becomes the graph a session-based GNN reads, one step at a time. "
               "Every number below is computed by the same code that builds the model's input.")
    sequence = _sequence()
    steps = _steps(sequence)
    show_all = ui.toggle("Show every step at once", key="construction_all")
    chosen = steps if show_all else [_step_picker(steps)]
    for i, step in enumerate(chosen):
        _draw_step(step)
        if show_all and i < len(chosen) - 1:
            st.divider()


def _tokens() -> bool:
    """Whether the app dataset's item ids are tokens (text): a typed sequence is then read as text."""
    try:
        return get_dataset().has_tokens
    except FGNNError:
        return False


def _sequence() -> list:
    """The click sequence, typed or the builder's session; an error or an empty one stops the page."""
    ss = st.session_state
    builder_items = [plain_id(i) for i in ss.get("session_items") or []]
    ss.setdefault("construction_source", default_source(builder_items))
    if "construction_text" not in ss:
        try:
            ss["construction_text"] = example_text(get_dataset())
        except FGNNError:
            ss["construction_text"] = EXAMPLE
    c1, c2 = st.columns([1, 2])
    source = ui.radio("Sequence", SOURCES, key="construction_source", where=c1)
    sequence: list = []
    error = None
    if source == SOURCES[0]:
        text = ui.text_input("Item ids in click order", key="construction_text", where=c2,
                             help="Ids separated by commas or spaces: whole numbers (text, read exactly as "
                                  "typed, where the app dataset's ids are tokens); any ids work here.")
        try:
            sequence = parse_item_ids(text, tokens=_tokens())
        except FGNNError as exc:
            error = str(exc)
    else:
        sequence = builder_items
        c2.markdown(builder_sequence_markdown(sequence))
        if ui.button("Open the Session builder", key="construction_open_builder"):
            st.switch_page("pages/1_Session_builder.py")
    if error:
        st.error(error, icon=":material/error:")
        st.stop()
    if not sequence:
        st.warning(EMPTY_WARNING, icon=":material/touch_app:")
        st.stop()
    return sequence


def _steps(sequence: list):
    """The construction steps of ``sequence``, with the app dataset's item names and embedding rows where they apply."""
    try:  # names of the app dataset's items, where its items file gave them (any ids work here)
        labels = get_dataset().item_labels() or None
    except FGNNError:
        labels = None
    try:  # the rows of the app dataset's embedding table, when every id is one of its items
        app_dataset = get_dataset()
        app_dataset.to_indices(sequence)
        item_index = app_dataset.index_of()
    except FGNNError:
        item_index = None
    try:
        return construction_steps(sequence, item_labels=labels, item_index=item_index)
    except FGNNError as exc:
        st.error(f"This sequence cannot be turned into a graph: {exc}", icon=":material/error:")
        st.stop()


def _step_picker(steps):
    """Previous, the step's name and Next: the one step shown."""
    ss = st.session_state
    titles = [s.title for s in steps]
    ui.screen("construction_step", ui.Offer(lambda v: v in titles, "one of the steps"))
    ss.setdefault("construction_step", titles[0])
    at, first, last = step_position(titles, ss["construction_step"])
    b1, b2, b3 = st.columns([1, 4, 1], vertical_alignment="bottom")
    ui.button("◀ Previous", key="construction_prev", where=b1, disabled=first, width="stretch",
              on_click=lambda: ss.update(construction_step=titles[at - 1]))
    title = ui.selectbox("Step", titles, key="construction_step", where=b2)
    ui.button("Next ▶", key="construction_next", where=b3, disabled=last, width="stretch",
              on_click=lambda: ss.update(construction_step=titles[at + 1]))
    return steps[titles.index(title)]


def _draw_step(step) -> None:
    st.subheader(step.title)
    st.markdown(step.text)
    st.plotly_chart(step.figure, key=f"construction_fig_{step.title}", width="stretch")
    for name, table in step_tables(step):
        if name:
            st.markdown(f"**{name}**")
        st.dataframe(table, hide_index=True, width="stretch")
    if step.code:
        st.markdown("**As PyTorch Geometric prints it**")
        st.code(step.code, language="python")


render()
