"""Session builder: click items into a session, see its graph, attention and predictions.

Thin: widgets and layout only. Predictions, what-if ranks, the catalogue and the item map come
from :mod:`fgnn.app.builder`; every figure from :mod:`fgnn.viz.plots`.

Structure (for speed, see docs/performance.md): the page is one ``st.fragment`` under the title,
so a click reruns it without the sidebar; the graph view, the baseline column, the comparison
column and the what-if are fragments inside it, so their own controls rerun only their panel.
Results per session are memoised for this visitor (``session_memo`` in ``pages/_shared.py``).

The item map and the session graph are live charts (``pages/_live_chart.py``): they stay mounted
and are updated in place, where ``st.plotly_chart`` would draw them from scratch on every click.

Page-local ``st.session_state`` keys: ``builder_history`` (earlier sessions, for undo),
``builder_picks`` (one counter per clickable table or chart, in its key: bumping it after a pick
clears that widget's selection, so the same row can be picked twice in a row, while the other
widgets keep their key and are updated rather than remounted) and ``builder_other`` (the
comparison checkpoint; Inspect sets it when it opens an A/B pair).
"""
from __future__ import annotations

import time

import streamlit as st

from fgnn.app import builder
from fgnn.app import builder_page as bp
from fgnn.app.choices import kept_or_first
from fgnn.app.paging import table_page
from fgnn.data.ids import plain_id
from fgnn.errors import FGNNError
from fgnn.evaluation import ranking
from fgnn.explain import attribution
from fgnn.models import model_label
from fgnn.runs.folders import list_runs
from fgnn.viz.drawing import COLUMN_LABEL_SCALES
from fgnn.viz.explanation_figures import METHOD_LABELS, deletion_curves_figure
from fgnn.viz.graph_figures import session_graph_figure
from fgnn.viz.item_map import item_map_base, item_map_overlays
from fgnn.viz.prediction_figures import topk_figure, whatif_figure
from pages import _widgets as ui
from pages._live_chart import clicked_item, figure_args, live_plotly_chart
from pages._session_strip import session_strip
from pages._shared import (
    checkpoint_label,
    ensure_app_shell,
    get_baseline,
    get_model,
    item_map_cached,
    keep_url,
    keep_widget_state,
    model_key,
    require_dataset,
    require_model,
    session_memo,
)

BASELINES = ("sknn", "vsknn", "markov", "spop", "pop")  # the order offered here: kNN (the default) first
MAX_SHOWN_CLICKS = bp.MAX_SHOWN_CLICKS
ADD_TAB_WIDGETS = ("builder_find", "builder_query", "builder_categories", "builder_min_pop", "builder_catalogue_page",
                   "builder_typed", "builder_typed_mode")


def render() -> None:
    ensure_app_shell("pages/1_Session_builder.py")
    ss = st.session_state
    ss.setdefault("builder_history", [])
    ss.setdefault("builder_picks", {})
    st.title("Session builder")
    st.caption("Click items into a session, see the graph the model receives, where it looks, and "
               "what it predicts next. Click a prediction to follow the recommender.")
    dataset = require_dataset()
    model, ckpt = require_model()
    _builder(dataset, model, ckpt)


# --------------------------------------------------------------------------- session edits
def _set_session(items, *, keep_highlight: bool = False) -> None:
    ss = st.session_state
    ss["builder_history"] = bp.pushed_history(ss["builder_history"], ss["session_items"])
    ss["session_items"] = [plain_id(i) for i in items]
    if not keep_highlight:
        ss["highlight_item"] = None


def _add(item) -> None:
    _set_session(list(st.session_state["session_items"]) + [plain_id(item)], keep_highlight=True)


def _undo() -> None:
    ss = st.session_state
    if ss["builder_history"]:
        ss["session_items"] = ss["builder_history"].pop()


def _pick_key(name: str) -> str:
    """The key of the clickable widget ``name`` (its counter clears its selection after a pick)."""
    return bp.pick_key(st.session_state["builder_picks"], name)


def _picked_once(name: str) -> None:
    picks = st.session_state["builder_picks"]
    picks[name] = picks.get(name, 0) + 1


def _on_chart_pick(name: str, dataset) -> None:
    picked = bp.picked_items(st.session_state.get(_pick_key(name)))
    for item in bp.known_items(picked, dataset.index_of())[:1]:  # a visitor can post any value
        _add(item)
    _picked_once(name)


def _on_map_click(dataset) -> None:
    item = clicked_item("builder_item_map")
    if item is not None and item in dataset.index_of():  # a visitor can post any value
        _add(item)


def _on_row_pick(name: str, items_key: str) -> None:
    ss = st.session_state
    items = ss.get(items_key, [])
    for r in ui.selected_rows(ss.get(_pick_key(name)), len(items))[:1]:
        _add(items[r])
    _picked_once(name)


def _on_random(dataset) -> None:
    test = builder.random_test_session(dataset, seed=None)
    _set_session(test.items)
    st.session_state["highlight_item"] = test.next_item


def _on_typed(dataset) -> None:
    ss = st.session_state
    try:
        ids = bp.typed_ids(ss.get("builder_typed", ""), dataset)
    except FGNNError as exc:
        ss["builder_typed_error"] = str(exc)
        return
    ss["builder_typed_error"] = None
    items, keep_highlight = bp.typed_session(ss["session_items"], ids, ss.get("builder_typed_mode"))
    _set_session(items, keep_highlight=keep_highlight)


def _on_strip_edit(dataset) -> None:
    ss = st.session_state
    items = bp.session_ids(ss["session_items"], dataset)  # as the strip shows them
    edited = builder.strip_edit(items, ui.trigger_value(
        "builder_strip", "edit", lambda v: builder.strip_edit(items, v) is not None))
    if edited is not None:  # anything else (forged, or a press on a session that changed since) is ignored
        _set_session(edited, keep_highlight=True)


def _drop_unknown(dataset) -> None:
    _set_session(bp.known_items(st.session_state["session_items"], dataset.index_of()))


# --------------------------------------------------------------------------- the session
def _session_strip(items: list[int], dataset, ckpt) -> None:
    ss = st.session_state
    with st.container(border=True):
        top = st.columns([3, 1, 1, 1.4])
        top[0].markdown(bp.session_heading(len(items), ckpt["model_name"], checkpoint_label(ss["checkpoint"])))
        ui.button("Undo", key="builder_undo", where=top[1], icon=":material/undo:", on_click=_undo,
                  disabled=not ss["builder_history"], width="stretch")
        ui.button("Clear", key="builder_clear", where=top[2], on_click=_set_session, args=([],), disabled=not items,
                  width="stretch")
        ui.button("Random test session", key="builder_random", where=top[3], icon=":material/casino:",
                  on_click=_on_random, args=(dataset,), width="stretch",
                  help="A real session of the test split without its last click; the true next "
                       "item is ringed in green.")
        if items:
            clicks, hidden = bp.shown_clicks(items, dataset.item_label, MAX_SHOWN_CLICKS)
            session_strip(clicks, len(items), key="builder_strip", on_edit=lambda: _on_strip_edit(dataset))
            if hidden:
                st.caption(bp.hidden_clicks_caption(len(items), MAX_SHOWN_CLICKS))
        if ss.get("highlight_item") is not None:
            st.caption(f":green[●] true next item of this test session: `{dataset.item_label(ss['highlight_item'])}`")


def _session_error(notes, items: list[int], dataset) -> str | None:
    """Why the session cannot be scored (shown in ``notes``, with a way out), or ``None``."""
    try:
        ranking.session_indices(dataset, items)
    except FGNNError as exc:
        session_error = str(exc)
    else:
        return None
    if not session_error:
        return None
    if items:
        notes.error(f"This session cannot be scored: {session_error}", icon=":material/error:")
        ui.button("Drop the unknown items", key="builder_drop_unknown", where=notes, on_click=_drop_unknown,
                  args=(dataset,))
    else:
        notes.warning(session_error, icon=":material/touch_app:")
    return session_error


def _explain(notes, items: list[int], dataset, model, k: int):
    """``(explanation, target)``: the model's top-K and attention for the session, and the true
    next item's rank anywhere in the catalogue (a test session, Inspect); ``None`` for what cannot
    be computed (the reason shown in ``notes``)."""
    ss = st.session_state
    try:
        expl = session_memo("explain", (*model_key(), tuple(items), k),
                            lambda: builder.explain_session(model, dataset, items, k))
    except FGNNError as exc:
        notes.error(f"The model cannot score this session: {exc}", icon=":material/error:")
        return None, None
    truth = ss.get("highlight_item")
    if truth is None:
        return expl, None
    try:
        target = session_memo("target", (*model_key(), tuple(items), truth),
                              lambda: ranking.target_rank(model, dataset, items, truth))
    except FGNNError as exc:
        notes.warning(f"The true next item cannot be ranked: {exc}")
        target = None
    return expl, target


# --------------------------------------------------------------------------- ways to add
@st.cache_data(show_spinner=False, max_entries=8)
def _item_map_base(key: tuple, _coords, by_category: bool, _names) -> dict:  # noqa: ARG001 (key: the cache's)
    """The item map's points and density layer as plotly JSON, once per ``key``
    (:func:`pages._shared.model_key`: checkpoint version and dataset; the coordinates and the
    names follow from it, so Streamlit does not hash them: their names start with ``_``)."""
    fig = item_map_base(_coords[["x", "y"]].to_numpy(), _coords["item"], _coords["popularity"],
                        categories=_coords["category"] if by_category else None, item_labels=_names)
    fig.update_layout(legend={"font": {"size": 10}})
    return figure_args(fig)


def _ways_to_add(items: list[int], expl, catalogue, dataset) -> None:
    """Item map (with Find an item), catalogue and typed ids: only the open tab is drawn (a click
    then re-sends one tab, not three; docs/performance.md). The fields of the tabs not drawn keep
    their values."""
    keep_widget_state(ADD_TAB_WIDGETS)
    tab_map, tab_cat, tab_type = ui.tabs(["Item map", "Catalogue", "Type ids"], key="builder_add_tab", on_change="rerun")
    if tab_map.open:
        with tab_map:
            _add_by_map(items, expl, catalogue, dataset)
    if tab_cat.open:
        with tab_cat:
            _add_from_catalogue(catalogue, dataset)
    if tab_type.open:
        with tab_type:
            _add_by_typing(dataset)


def _add_by_map(items: list[int], expl, catalogue, dataset) -> None:
    ss = st.session_state
    names = dataset.item_labels() or None
    found = builder.search_items(catalogue, ui.text_input(
        "Find an item", key="builder_find", placeholder="item id or name" if names else "item id",
        help="Any item of the catalogue, drawn as a star on the map; click a row to add it."),
        limit=10, names=names)
    try:
        coords = item_map_cached()
    except FGNNError as exc:
        st.info(str(exc))
    else:
        _item_map(coords, items, expl, found, names, dataset)
    if len(found):
        ss["builder_found_items"] = found["item"].tolist()
        ui.dataframe(builder.blank_unknown_category(found), key=_pick_key("found"),
                     on_select=lambda: _on_row_pick("found", "builder_found_items"),
                     selection_mode="single-row", hide_index=True, width="stretch")
    elif ss.get("builder_find"):
        st.caption(bp.not_found_caption(ss["builder_find"], bool(names)))


def _item_map(coords, items: list[int], expl, found, names, dataset) -> None:
    """The item map: the points and the density once per checkpoint, the marks of this session on top."""
    version = model_key()  # (a stat of the checkpoint file: once per run)
    marks = item_map_overlays(coords[["x", "y"]].to_numpy(), coords["item"], coords["popularity"],
                              selected_items=items, target_item=st.session_state.get("highlight_item"),
                              found_items=found["item"], item_labels=names,
                              topk_items=None if expl is None else expl.topk["item"])
    live_plotly_chart(_item_map_base(version, coords, dataset.categories is not None, names),
                      extra_traces=marks, key="builder_item_map", height=460, clickable=True,
                      on_click=lambda: _on_map_click(dataset), view_key=repr(version))
    st.caption(bp.map_caption(dataset.categories is not None))


def _add_from_catalogue(catalogue, dataset) -> None:
    ss = st.session_state
    c1, c2, c3 = st.columns([1, 1.4, 1])
    query = ui.text_input("Item id or name contains", key="builder_query", where=c1)
    chosen = ui.multiselect("Categories", bp.catalogue_categories(catalogue), key="builder_categories",
                            format_func=dataset.category_label, where=c2)
    min_pop = ui.number_input("Min. clicks", min_value=0, step=1, key="builder_min_pop", where=c3)
    table = builder.filter_catalogue(catalogue, query, chosen, min_pop)
    ui.screen("builder_catalogue_page", ui.PAGE_NUMBER)
    page = table_page(table, ss.get("builder_catalogue_page", 1))
    ss["builder_catalogue_page"] = page.number  # clamped: a narrower filter has fewer pages
    ss["builder_catalogue_items"] = page.rows["item"].tolist()
    ui.dataframe(builder.blank_unknown_category(page.rows), key=_pick_key("catalogue"),
                 on_select=lambda: _on_row_pick("catalogue", "builder_catalogue_items"),
                 selection_mode="single-row", hide_index=True, height=360, width="stretch")
    n1, n2 = st.columns([1, 3])
    ui.number_input("Page", min_value=1, max_value=page.count, step=1, key="builder_catalogue_page", where=n1)
    n2.caption(f"{page.caption('items')} ({len(catalogue):,} in the catalogue) · click a row to add the item")


def _add_by_typing(dataset) -> None:
    ui.text_input("Item ids", key="builder_typed", placeholder=bp.typed_placeholder(dataset.has_tokens))
    ui.radio("Mode", ["Append", bp.REPLACE_MODE], key="builder_typed_mode", horizontal=True)
    ui.button("Add", key="builder_typed_add", on_click=_on_typed, args=(dataset,))
    if st.session_state.get("builder_typed_error"):
        st.error(st.session_state["builder_typed_error"], icon=":material/error:")


# --------------------------------------------------------------------------- session graph
@st.fragment
def _graph_panel(expl, dataset) -> None:
    """The attention view controls and the session graph (a view switch reruns only this)."""
    step, layer, head = _attention_view(builder.attention_choices(expl))
    graph, node_att, edge_att = builder.graph_view(expl, dataset.original_ids(), step, layer, head)
    fixed = ui.toggle("Fixed 0-1 colour scale", key="builder_fixed_scale",
                      help="Colour attention on 0-1 instead of 0 .. the largest value shown, so that "
                           "views, steps and sessions compare by colour.")
    fig = session_graph_figure(graph, item_labels=dataset.item_labels(), node_attention=node_att, edge_attention=edge_att,
                               highlight_item=st.session_state.get("highlight_item"), fixed_scale=fixed,
                               label_scales=COLUMN_LABEL_SCALES)
    live_plotly_chart(fig, key="builder_graph", height=int(fig.layout.height or 480))
    st.caption(f"{graph.num_nodes} nodes, {graph.num_edges} edges. Edge width = transition "
               "count; dotted loops are self-loops the attention layer adds; the red ring is the "
               "last click (current interest). Hover for the numbers.")


def _attention_view(choices):
    """``(step, layer, head)`` chosen in the readout step, edge colour and head boxes."""
    ss = st.session_state
    g1, g2, g3 = st.columns(3)
    step = layer = None
    head = "mean"
    if choices.steps:
        step = ui.selectbox("Readout step", ["mean"] + choices.steps, key="builder_step", where=g1,
                            format_func=bp.step_label, help="Node size and colour: readout attention of this step.")
    else:
        g1.caption("no readout attention")
    if not choices.layers:
        g2.caption("no edge attention for this model")
        return step, layer, head
    layer = ui.selectbox("Edges coloured by", ["weight"] + choices.layers, key="builder_layer", where=g2,
                         index=1, format_func=bp.layer_label)
    if layer == "weight":
        return step, None, head
    heads = bp.head_options(choices.heads[layer])
    if ss.get("builder_head") not in heads:
        ss["builder_head"] = "mean"
    head = ui.selectbox("Head", heads, key="builder_head", where=g3, format_func=bp.head_label)
    return step, layer, head


# --------------------------------------------------------------------------- top-K
def _predictions(items: list[int], k: int, expl, target, catalogue, dataset, model, ckpt, clock) -> None:
    """The top-K beside a baseline and the other model, its chart, the what-if and the explanations."""
    st.subheader(f"Top-{len(expl.topk)} next items")  # a catalogue smaller than K has fewer
    p1, p2, p3 = st.columns([1.3, 1, 1], gap="medium")
    topk = expl.topk.drop(columns="session")
    topk_items = topk["item"].tolist()
    with p1:
        st.markdown(f"**{ckpt['model_name'].upper()}** (this checkpoint)" + bp.rank_caption(target)
                    + " · click a row to add the item")
        _topk_table(builder.topk_display(topk, catalogue, dataset.categories is not None, target), dataset, target,
                    pick=("topk_table", "builder_topk_items"))
    with p2:
        _baseline_column(items, k, topk_items, dataset)
    with p3:
        _other_column(items, k, topk_items, dataset, ckpt)
    clock.lap("top-K tables")
    _topk_chart(topk, dataset)
    _whatif(items, k, dataset, model)
    clock.lap("what if")
    _explain_view(items, topk_items, dataset, model)
    clock.lap("explain view")


@st.fragment
def _baseline_column(items: list[int], k: int, topk_items: list[int], dataset) -> None:
    """A count-based baseline's top-K beside the model's (choosing another reruns only this)."""
    base_name = ui.selectbox("Baseline", list(BASELINES), format_func=model_label, key="builder_baseline")
    try:
        baseline = get_baseline(base_name)
        base_top = session_memo("baseline", (base_name, st.session_state["dataset"], tuple(items), k),
                                lambda: ranking.predict_topk(baseline, dataset, items, k))
    except FGNNError as exc:
        st.error(str(exc))
        return
    st.caption(bp.overlap_caption(base_top["item"], topk_items))
    _topk_table(builder.topk_display(base_top, None, False, probability=False), dataset)


@st.fragment
def _other_column(items: list[int], k: int, topk_items: list[int], dataset, ckpt) -> None:
    """Another checkpoint of the same dataset beside this one (choosing one reruns only this)."""
    ss = st.session_state
    choices = [str(p) for p in builder.comparison_checkpoints(ss["checkpoint"], ckpt["model_name"], dataset,
                                                             list_runs(), k=k)]
    if not choices:
        st.markdown("**Other model**")
        st.info("No other run of a neural model on this dataset: train one on the Train page.")
        return
    if ss.get("builder_other") not in choices:
        ss["builder_other"] = kept_or_first(ss.get("builder_other"), choices)  # the best run of the other network
    other_path = ui.selectbox("Compare with", choices, key="builder_other", format_func=checkpoint_label,
                              help="Runs on this dataset only; the best run of the other network first.")
    truth = ss.get("highlight_item")
    try:
        other, other_ckpt, _ = get_model(str(other_path))
        key = (*model_key(str(other_path)), tuple(items), k, truth)
        other_top, target = session_memo("other", key, lambda: (
            ranking.predict_topk(other, dataset, items, k),
            None if truth is None else ranking.target_rank(other, dataset, items, truth)))
    except FGNNError as exc:
        st.warning(f"The other model cannot be used: {exc}")
        return
    st.markdown(f"**{other_ckpt['model_name'].upper()}**" + bp.rank_caption(target))
    st.caption(bp.overlap_caption(other_top["item"], topk_items))
    _topk_table(builder.topk_display(other_top, None, False, target, probability=False), dataset, target)


def _topk_table(shown, dataset, target=None, pick: tuple[str, str] | None = None) -> None:
    """One of the builder's top-K tables (``builder.topk_display``): item names beside the ids,
    the true next item's row in green, numbers to four decimals. ``pick`` = (widget name, state
    key of its items) makes it clickable: a row click adds its item (``_on_row_pick``)."""
    shown = dataset.with_item_names(shown)
    table = builder.highlight_target(shown, target)
    config = {c: st.column_config.NumberColumn(format="%.4f") for c in ("score", "probability") if c in shown.columns}
    height = bp.table_height(len(shown))
    if pick is None:
        st.dataframe(table, hide_index=True, width="stretch", height=height, column_config=config)
        return
    name, items_key = pick
    st.session_state[items_key] = shown["item"].tolist()
    ui.dataframe(table, hide_index=True, width="stretch", height=height, column_config=config,
                 key=_pick_key(name), on_select=lambda: _on_row_pick(name, items_key), selection_mode="single-row")


def _topk_chart(topk, dataset) -> None:
    """The top-K as a clickable bar chart, behind a toggle (a bar click changes the session, so
    this stays in the builder's fragment rather than one of its own)."""
    if ui.toggle("Show the top-K as a chart (click a bar to add the item)", key="builder_topk_chart"):
        fig = topk_figure(topk["item"], topk["score"], topk["probability"], target=st.session_state.get("highlight_item"),
                          item_labels=dataset.item_labels())
        st.plotly_chart(fig, key=_pick_key("topk_chart"), on_select=lambda: _on_chart_pick("topk_chart", dataset),
                        selection_mode="points", width="stretch")


@st.fragment
def _whatif(items: list[int], k: int, dataset, model) -> None:
    """Ranks of the top-K under reordered variants (a new shuffle seed reruns only this), behind a
    toggle that is off until switched on."""
    st.subheader("What if the order were different?")
    if not ui.toggle("Rank the top-K under reordered sessions (shuffled, reversed, one click removed)",
                     key="builder_whatif"):
        return  # off by default: closed, it computes and sends nothing (docs/performance.md)
    st.caption("FGNN's question: does the order of the clicks matter? Each row is a variant of this "
               "session; each cell is where that variant ranks one of the original top-K items "
               "(rank 1 = best).")
    seed = ui.number_input("Shuffle seed", min_value=0, max_value=2**31 - 1, value=0, step=1, key="builder_seed",
                           where=st.columns(4)[0])
    if len(items) > builder.WHATIF_LAST_CLICKS:
        st.caption(f"Removing one click is tried for the last {builder.WHATIF_LAST_CLICKS} clicks only.")
    shown_k = bp.whatif_k(k)
    try:
        rows = session_memo("whatif", (*model_key(), tuple(items), shown_k, int(seed)),
                            lambda: builder.whatif_ranks(model, dataset, items, shown_k, seed=int(seed)))
    except FGNNError as exc:
        st.error(str(exc))
        return
    w1, w2 = st.container(), st.container()
    w1.plotly_chart(whatif_figure(rows[["variant", "item", "rank", "score"]], k=shown_k,
                                  item_labels=dataset.item_labels()),
                    key="builder_whatif_chart", width="stretch")
    summary = builder.whatif_summary(rows, shown_k)
    w2.dataframe(summary, hide_index=True, width="stretch",
                 column_config={"mean_rank_shift": st.column_config.NumberColumn("mean |rank shift|", format="%.1f"),
                                "kept_in_top_k": st.column_config.NumberColumn(f"kept in top-{shown_k}"),
                                "top1_rank": st.column_config.NumberColumn("rank of original #1")})


# --------------------------------------------------------------------------- why this item?
@st.fragment
def _explain_view(items: list[int], topk_items: list[int], dataset, model) -> None:
    """Why this item? The session graph coloured by one attribution method, and the deletion
    curves of every method (docs/explanations.md). Off until switched on: it costs ~1 s."""
    st.subheader("Why this item?")
    if not ui.toggle("Explain an item's score: attention, integrated gradients, GNNExplainer, and a "
                     "faithfulness check", key="builder_explain"):
        return
    methods = attribution.methods_for(model)
    item, method = _explain_choice(topk_items, methods, model, dataset.has_tokens)
    result = _explanation(items, item, methods, dataset, model)
    if result is None:
        return
    first = next(iter(result.values()))
    st.caption(bp.explanation_caption(item, first.score, first.rank, method))
    _explanation_figures(result, item, method, dataset)


def _explain_choice(topk_items: list, methods, model, tokens: bool) -> tuple:
    """``(item, method)``: the item to explain (one of the top-K, the true next item or one typed)
    and the method the graph is coloured by."""
    c1, c2, c3 = st.columns([1.4, 1, 1.6])
    options = bp.explain_options(topk_items, st.session_state.get("highlight_item"))
    choice = ui.selectbox("Item to explain", options, key="builder_explain_item", where=c1,
                          format_func=lambda o: bp.explain_option_label(o, topk_items))
    item = choice[1]
    if item is None and tokens:  # ids are text: taken as typed, checked when explained
        item = ui.text_input("Item id", value=str(topk_items[0]), key="builder_explain_typed_token", where=c2).strip()
    elif item is None:
        item = int(ui.number_input("Item id", min_value=0, value=int(topk_items[0]), step=1,
                                   key="builder_explain_typed", where=c2))
    shown = bp.shown_methods(methods)
    if not shown:
        st.info(f"The model '{model.name}' is {attribution.NOT_EXPLAINABLE}: its scores do not split "
                "over the clicks; only the random deletion order is shown.")
    method = ui.radio("Colour the graph by", shown or ["random"], horizontal=True, key="builder_explain_method", where=c3,
                      format_func=lambda m: METHOD_LABELS.get(m, m))
    return item, method


def _explanation(items: list[int], item: int, methods, dataset, model):
    """Every method's explanation of ``item``'s score, one kept for this visitor; ``None`` (and
    the error shown) when the item cannot be explained."""
    ss = st.session_state
    cache = ss.setdefault("builder_explain_cache", {})
    key = (str(ss.get("checkpoint")), tuple(items), plain_id(item))
    if key not in cache:
        try:
            with st.spinner("Explaining…"):
                cache.clear()  # one explanation kept: the session or the item moves on
                cache[key] = attribution.explain_ids(model, dataset.original_ids(), items, item, methods,
                                                     owner=f"dataset '{dataset.name}'")
        except FGNNError as exc:
            st.error(f"Cannot explain item {item}: {exc}", icon=":material/error:")
            return None
    return cache[key]


def _explanation_figures(result: dict, item: int, method: str, dataset) -> None:
    """The session graph coloured by ``method``, the clicks' numbers and every method's deletion curve."""
    chosen = result[method]
    label = METHOD_LABELS.get(method, method)
    g, d = st.columns([0.45, 0.55], gap="medium")
    edge_values = chosen.edges["attribution"].to_numpy()
    fig = session_graph_figure(chosen.graph, item_labels=dataset.item_labels(), node_attention=chosen.nodes["attribution"].to_numpy(),
                               edge_attention=edge_values if chosen.edges["attribution"].notna().any() else None,
                               highlight_item=item, highlight_label="explained item", label_scales=COLUMN_LABEL_SCALES,
                               node_label=label, edge_label=label,
                               title=f"Why item {item}?<br><sup>session graph coloured by {label}</sup>")
    g.plotly_chart(fig, key="builder_explain_graph", width="stretch")
    g.dataframe(attribution.click_table(result).rename(columns=METHOD_LABELS), hide_index=True, width="stretch",
                key="builder_explain_clicks")
    d.plotly_chart(deletion_curves_figure({m: a.deletion for m, a in result.items()}, item=item),
                   key="builder_explain_curves", width="stretch")
    d.caption("Deletion curves: the session's items removed most-important-first by each method (every click "
              "of an item at once). A faithful explanation makes the item's probability fall fastest: lower "
              "area under the curve (AUC) = more faithful; the dotted line is a random order.")


# --------------------------------------------------------------------------- the builder
class _Clock:
    """Server time of this run so far, per section (``builder_timings``, milliseconds)."""

    def __init__(self) -> None:
        self.started = time.perf_counter()
        self.timings: dict[str, float] = {}

    def ms(self) -> float:
        return (time.perf_counter() - self.started) * 1000

    def lap(self, name: str) -> None:
        self.timings[name] = self.ms()


@st.fragment
def _builder(dataset, model, ckpt) -> None:
    """Everything that follows the session: strip, ways to add, graph, top-K, what-if."""
    ss = st.session_state
    keep_url()  # (a click reruns this fragment only, without the sidebar that writes the URL)
    clock = _Clock()
    k = int(ss["top_k"])
    items = bp.session_ids(ss["session_items"], dataset)
    _session_strip(items, dataset, ckpt)
    # ---- is the session usable? (notes go into one container that is always there, so that a
    # note coming or going does not shift the charts below and remount them)
    notes = st.container()
    session_error = _session_error(notes, items, dataset)
    clock.lap("session strip")
    expl, target = (None, None) if session_error else _explain(notes, items, dataset, model, k)
    clock.lap("explain")
    catalogue = builder.item_catalogue(dataset)
    left, right = st.columns([0.45, 0.55], gap="medium")
    with left:
        _ways_to_add(items, expl, catalogue, dataset)
    clock.lap("item map + catalogue")
    with right:
        if expl is not None:
            _graph_panel(expl, dataset)
        else:
            st.info("The session graph appears here once the session has a click.")
    clock.lap("graph")
    if expl is not None:
        _predictions(items, k, expl, target, catalogue, dataset, model, ckpt, clock)
    ss["builder_timings"] = clock.timings
    ss["builder_server_ms"] = clock.ms()
    st.caption(f"server time of this run: {ss['builder_server_ms']:.0f} ms")


render()
