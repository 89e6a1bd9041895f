"""Graph construction, step by step (teaching): sequence -> nodes -> edges -> merged weights ->
self-loops -> degree normalisation -> the tensors the model receives.

Thin: every step (figure, sentences, tables) comes from :func:`fgnn.app.teaching.construction_steps`.
Page-local keys: ``construction_source``, ``construction_text``, ``construction_step``.
"""
from __future__ import annotations

import streamlit as st

from fgnn.app.builder import parse_item_ids
from fgnn.app.teaching import construction_steps
from fgnn.data.dataset import DataError
from pages import _widgets as ui
from pages._shared import ensure_app_shell, get_dataset

ensure_app_shell("pages/2_Graph_construction.py")

EXAMPLE = "1, 3, 2, 2, 1, 3, 4"
SOURCES = ("Type a sequence", "The session from the builder")

ss = st.session_state
st.title("Graph construction")
st.caption("How a click sequence becomes the graph a session-based GNN reads, one step at a time. "
           "Every number below is computed by the same code that builds the model's input.")

builder_items = [int(i) for i in ss.get("session_items") or []]
ss.setdefault("construction_source", SOURCES[1] if builder_items else SOURCES[0])
ss.setdefault("construction_text", EXAMPLE)

c1, c2 = st.columns([1, 2])
source = ui.radio("Sequence", SOURCES, key="construction_source", where=c1)
sequence: list[int] = []
error = None
if source == SOURCES[0]:
    text = ui.text_input("Item ids in click order", key="construction_text", where=c2,
                         help="Whole numbers separated by commas or spaces; any ids work here.")
    try:
        sequence = parse_item_ids(text)
    except ValueError as exc:
        error = str(exc)
else:
    sequence = builder_items
    c2.markdown("**From the Session builder:** " + (" → ".join(f"`{i}`" for i in sequence) or "*(empty)*"))
    if ui.button("Open the Session builder", key="construction_open_builder"):
        st.switch_page("pages/1_Session_builder.py")

if error:
    st.error(error, icon=":material/error:")
    st.stop()
if not sequence:
    st.warning("The sequence is empty: type item ids (for example " + EXAMPLE + ") or build a "
               "session in the Session builder.", icon=":material/touch_app:")
    st.stop()

try:  # names of the app dataset's items, where its items file gave them (any ids work here)
    labels = get_dataset().item_labels() or None
except (DataError, ValueError):
    labels = None
try:  # the rows of the app dataset's embedding table, when every id is one of its items
    app_dataset = get_dataset()
    app_dataset.to_indices(sequence)
    item_index = app_dataset.index_of()
except (DataError, ValueError):
    item_index = None
try:
    steps = construction_steps(sequence, item_labels=labels, item_index=item_index)
except ValueError as exc:
    st.error(f"This sequence cannot be turned into a graph: {exc}", icon=":material/error:")
    st.stop()

titles = [s.title for s in steps]
show_all = ui.toggle("Show every step at once", key="construction_all")
if show_all:
    chosen = steps
else:
    ui.screen("construction_step", ui.Offer(lambda v: v in titles, "one of the steps"))
    ss.setdefault("construction_step", titles[0])
    at = titles.index(ss["construction_step"])
    b1, b2, b3 = st.columns([1, 4, 1], vertical_alignment="bottom")
    ui.button("◀ Previous", key="construction_prev", where=b1, disabled=at == 0, width="stretch",
              on_click=lambda: ss.update(construction_step=titles[at - 1]))
    title = ui.selectbox("Step", titles, key="construction_step", where=b2)
    ui.button("Next ▶", key="construction_next", where=b3, disabled=at == len(titles) - 1, width="stretch",
              on_click=lambda: ss.update(construction_step=titles[at + 1]))
    chosen = [steps[titles.index(title)]]

for i, step in enumerate(chosen):
    st.subheader(step.title)
    st.markdown(step.text)
    st.plotly_chart(step.figure, key=f"construction_fig_{step.title}", width="stretch")
    tables = ([("", step.table)] if step.table is not None else []) + list(step.tables.items())
    for name, table in tables:
        if name:
            st.markdown(f"**{name}**")
        st.dataframe(table, hide_index=True, width="stretch")
    if step.code:
        st.markdown("**As PyTorch Geometric prints it**")
        st.code(step.code, language="python")
    if show_all and i < len(chosen) - 1:
        st.divider()
