"""Inspect (the debugger): the app's checkpoint ranked on every test pair of its dataset.
Filters, metrics by session length and target popularity, one click to open a test session in the
builder, and a second checkpoint compared on the same pairs (where one hits and the other misses)."""
from __future__ import annotations

import pandas as pd
import streamlit as st

from fgnn.app.builder import comparison_checkpoints
from fgnn.app.choices import file_version, kept_or_first, page_k
from fgnn.app.inspect_page import (
    COMPARE_OUTCOMES,
    FAITH_ITEMS,
    OUTCOMES,
    ab_caption,
    chosen_pair,
    faith_item_label,
    hit_rate_caption,
    length_bounds,
    miss_sentence,
    open_pair_label,
    pair_label,
    popularity_bounds,
    target_categories,
    with_arrow_prefixes,
)
from fgnn.app.paging import table_page
from fgnn.data.ids import plain_id
from fgnn.errors import FGNNError
from fgnn.evaluation.pair_ranks import (
    compare_tables,
    comparison_counts,
    filter_pairs,
    pair_prediction,
    pair_table,
    sliced_metrics,
)
from fgnn.evaluation.rank_cache import load_cached_ranks, target_ranks_cached
from fgnn.explain import attribution
from fgnn.models.checkpoint import load_checkpoint, load_model
from fgnn.runs.folders import list_runs
from fgnn.viz.evaluation_figures import metric_slices_figure, rank_comparison_figure, rank_histogram_figure
from fgnn.viz.explanation_figures import faithfulness_figure
from pages import _widgets as ui
from pages._shared import (
    checkpoint_dataset_spec,
    checkpoint_label,
    ensure_app_shell,
    get_dataset,
    kept_multiselect,
    range_slider,
)


def render() -> None:
    ensure_app_shell("pages/5_Inspect.py")
    st.title("Inspect")
    k = page_k(st.session_state.get("top_k"))
    path = str(st.session_state.get("checkpoint") or "")
    if not path:
        st.info("Choose a checkpoint in the sidebar.")
        st.stop()
    table, info = evaluate(path, k)
    st.caption(hit_rate_caption(checkpoint_label(path), info, table, k))
    shown = _filters(table, k)
    _pair_table(path, table, shown)
    _slices_section(path, table, info["model"], k)
    _faithfulness(path)
    _compare(path, table, info, k)


def _dataset_of(path: str):
    """The dataset the checkpoint was trained on, through the app's one dataset cache."""
    return get_dataset(checkpoint_dataset_spec(path))


@st.cache_resource(show_spinner="Building the table of test pairs…", max_entries=8)
def _pairs(path: str, mtime: int, size: int, _ranks):  # noqa: ARG001 (mtime, size: the cache key)
    """The pair table of one checkpoint version (``hit`` at K is added per run) and its summary."""
    ckpt = load_checkpoint(path)
    table = pair_table(None, _dataset_of(path), ranks=_ranks).drop(columns="hit")
    return table, {"model": ckpt["model_name"], "dataset": ckpt["dataset"].get("name"), "epoch": ckpt.get("epoch")}


@st.cache_resource(show_spinner=False, max_entries=16)
def _slices(path: str, mtime: int, size: int, k: int, model: str, _table):  # noqa: ARG001 (the cache key)
    """Metrics by slice of one checkpoint version at K, computed once (0.3 s on 60,858 pairs)."""
    return sliced_metrics(_table, k=k, model=model)


@st.cache_resource(show_spinner="Loading the checkpoint…", max_entries=4)
def _model_of(path: str, mtime: int, size: int):  # noqa: ARG001 (mtime, size: the cache key)
    return load_model(path, _dataset_of(path))[0]


def open_in_builder(prefix, target, other: str | None = None) -> None:
    """A test pair in the session builder, its true next item ringed (and B as the comparison)."""
    ss = st.session_state
    ss["session_items"] = [plain_id(i) for i in prefix]
    ss["highlight_item"] = plain_id(target)
    if other:
        ss["builder_other"] = other
    st.switch_page("pages/1_Session_builder.py")


def evaluate(path: str, k: int):
    """The checkpoint's pair table at K: ranks from the run's inspect cache, else computed once
    with a progress bar and kept there (docs/research-scale.md)."""
    label = checkpoint_label(path)
    try:
        dataset = _dataset_of(path)
        ranks = load_cached_ranks(path, dataset)
        if ranks is None:
            bar = st.progress(0.0, text=f"Ranking every test pair of {label}…")
            ranks, _ = target_ranks_cached(path, dataset, progress=lambda done, total: bar.progress(
                done / max(total, 1), text=f"Ranking the test pairs of {label}: {done:,} of {total:,}"))
            bar.empty()
        table, info = _pairs(*file_version(path), ranks)
    except (FGNNError, RuntimeError, OSError) as exc:
        st.error(f"The checkpoint {label} cannot be evaluated: {exc}", icon=":material/error:")
        st.stop()
    return table.assign(hit=table["rank"].to_numpy() <= k), info


# --------------------------------------------------------------------------- filters
def _filters(table, k: int):
    """Outcome, prefix length, target popularity and category: the test pairs they keep."""
    f1, f2, f3, f4 = st.columns(4)
    outcome = ui.radio(f"outcome at K = {k}", OUTCOMES, horizontal=True, key="inspect_outcome", where=f1)
    length = range_slider(f2, "prefix length", *length_bounds(table), key="inspect_length")
    popularity = range_slider(f3, "target popularity (training clicks)", *popularity_bounds(table),
                              key="inspect_popularity")
    cats = target_categories(table)
    if cats is not None:
        categories = kept_multiselect(f4, "target category", cats, key="inspect_categories")
    else:
        f4.caption("no item categories for this dataset")
        categories = []
    return filter_pairs(table, outcome, length, popularity, categories)


def _pair_table(path: str, table, shown) -> None:
    """One page of the kept test pairs; the pair chosen (what a miss put first) opens in the builder."""
    ss = st.session_state
    ui.screen("inspect_page", ui.PAGE_NUMBER)
    page = table_page(shown, ss.get("inspect_page", 1))
    ss["inspect_page"] = page.number  # clamped: a narrower filter has fewer pages
    st.markdown(f"**{len(shown):,}** of {len(table):,} test pairs. Select a row to open it in the builder.")
    event = ui.dataframe(with_arrow_prefixes(page.rows), hide_index=True, on_select="rerun",
                         selection_mode="single-row", key=f"inspect_table_{page.number}",
                         column_config={"prefix": st.column_config.TextColumn("prefix (original ids)", width="large")})
    n1, n2 = st.columns([1, 3])
    ui.number_input("Page", min_value=1, max_value=page.count, step=1, key="inspect_page", where=n1)
    n2.caption(page.caption("test pairs"))

    rows = ui.selected_rows(event, len(page.rows))
    pairs = page.rows["pair"].tolist()
    if not pairs:
        return
    want = chosen_pair(pairs, int(page.rows.iloc[rows[0]]["pair"]) if rows else None, ss.get("inspect_pair"))
    if ss.get("inspect_pair") != want or "inspect_pair" not in ss:
        ss["inspect_pair"] = want
    c1, c2 = st.columns([3, 1])
    pair = ui.selectbox("test pair (this page)", pairs, key="inspect_pair", where=c1,
                        format_func=lambda p: pair_label(table, p))
    row = table.loc[table["pair"] == pair].iloc[0]
    if not row["hit"]:  # a miss: what the model put first instead
        try:
            guess = pair_prediction(_model_of(*file_version(path)), _dataset_of(path), row["prefix"], row["target"])
        except FGNNError as exc:
            st.warning(f"The prediction cannot be shown: {exc}")
        else:
            st.markdown(miss_sentence(guess))
    if ui.button(":material/hub: Open in the session builder", key="inspect_open", where=c2):
        open_in_builder(row["prefix"], row["target"])


# --------------------------------------------------------------------------- slices
def _slices_section(path: str, table, model: str, k: int) -> None:
    st.subheader("Metrics by slice")
    slices = _slices(*file_version(path), k, model, table)
    s1, s2 = st.columns(2)
    s1.plotly_chart(metric_slices_figure(slices["session length"], k=k, title="By prefix length"),
                    key="inspect_slice_length")
    s2.plotly_chart(metric_slices_figure(slices["target popularity"], k=k, title="By target popularity"),
                    key="inspect_slice_popularity")
    st.plotly_chart(rank_histogram_figure(table["rank"].to_numpy(), k=k), key="inspect_rank_hist")


# --------------------------------------------------------------------------- explanations
def _faithfulness(path: str) -> None:
    """Is attention (or integrated gradients, GNNExplainer) a faithful explanation for this
    checkpoint? Deletion AUCs on a sample of test pairs (docs/explanations.md)."""
    st.subheader("Are the explanations faithful?")
    st.caption("For each sampled test pair, the prefix's items are removed most-important-first by each "
               "method and the explained item's probability is followed; a lower area under that deletion "
               "curve (AUC) = a more faithful explanation. Random = the same with a random order.")
    c1, c2, c3 = st.columns([1, 1.6, 1])
    n = int(ui.number_input("test pairs", min_value=2, max_value=2000, value=50, step=10, key="inspect_faith_pairs",
                            where=c1))
    which = ui.radio("explained item", FAITH_ITEMS, horizontal=True, key="inspect_faith_item", where=c2,
                     format_func=faith_item_label)
    store = st.session_state.setdefault("inspect_faith", {})
    version = file_version(path)
    key = (path, version[1:], n, which)
    if ui.button("Compute", key="inspect_faith_run", where=c3, icon=":material/science:"):
        table = _faithfulness_table(path, version, n, which)
        if table is None:
            return
        store.clear()
        store[key] = table
    if key not in store:
        st.caption("Press Compute (about 1 s per pair for FGNN on one core).")
        return
    table = store[key]
    summary = attribution.faithfulness_summary(table)
    f1, f2 = st.columns([1, 1])
    f1.dataframe(summary, hide_index=True, key="inspect_faith_table",
                 column_config={c: st.column_config.NumberColumn(format="%.4f")
                                for c in ("auc", "auc_sem", "share", "first_share")})
    f2.plotly_chart(faithfulness_figure(summary), key="inspect_faith_fig")
    for m in ("attention", "exact"):
        if m in set(table["method"]):
            st.markdown(attribution.faithfulness_verdict(table, m))


def _faithfulness_table(path: str, version: tuple, n: int, which: str):
    """Deletion AUCs of every method on ``n`` sampled test pairs, with a progress bar; ``None``
    (and the error shown) when the checkpoint cannot be explained."""
    try:
        dataset = _dataset_of(path)
        model = _model_of(*version)
        pairs = attribution.sample_pairs(dataset.test, n, seed=0)
        bar = st.progress(0.0, text=f"0 of {len(pairs)} pairs")
        return attribution.faithfulness_table(
            model, dataset.test, dataset.original_ids(), pairs, which=which,
            progress=lambda done, total: bar.progress(done / total, text=f"{done} of {total} pairs"))
    except FGNNError as exc:
        st.error(f"Cannot test the explanations of {checkpoint_label(path)}: {exc}", icon=":material/error:")
        return None


# --------------------------------------------------------------------------- compare
def _compare(path: str, table, info: dict, k: int) -> None:
    """A second checkpoint (B) of the same dataset ranked on the same pairs: where one hits and the other misses."""
    ss = st.session_state
    st.subheader("Compare with another checkpoint")
    # only runs on the same dataset; the best run of the other network first (the default)
    others = [str(p) for p in comparison_checkpoints(path, info["model"], _dataset_of(path), list_runs(), k=k,
                                                     neural_only=False)]
    if not others:
        st.caption("No other checkpoint on this dataset to compare with: train one on the Train page.")
        st.stop()
    if ss.get("inspect_other") not in others:
        ss["inspect_other"] = kept_or_first(ss.get("inspect_other"), others)
    other = ui.selectbox("second checkpoint (B), runs on the same dataset", others, format_func=checkpoint_label,
                         key="inspect_other")
    table_b, info_b = evaluate(other, k)
    try:
        comparison = compare_tables(table, table_b, k=k, names=("A", "B"))
    except FGNNError as exc:
        st.error(str(exc), icon=":material/error:")
        st.stop()
    st.caption(ab_caption(checkpoint_label(path), info["model"], checkpoint_label(other), info_b["model"]))
    c1, c2 = st.columns([1, 2])
    c1.dataframe(comparison_counts(comparison), hide_index=True, key="inspect_counts")
    both = _slices(*file_version(path), k, f"A: {info['model']}", table)
    both_b = _slices(*file_version(other), k, f"B: {info_b['model']}", table_b)
    c2.plotly_chart(rank_comparison_figure(comparison, k=k), key="inspect_compare_fig")
    st.plotly_chart(metric_slices_figure(pd.concat([both["session length"], both_b["session length"]]), k=k,
                                         title="A vs B by prefix length"), key="inspect_compare_slices")
    _compare_pairs(comparison, other)


def _compare_pairs(comparison, other: str) -> None:
    """One page of the pairs of one outcome (only A hits, ...); a chosen one opens in the builder beside B."""
    ss = st.session_state
    which = ui.radio("show pairs where", COMPARE_OUTCOMES, horizontal=True, key="inspect_compare_outcome")
    ui.screen("inspect_compare_page", ui.PAGE_NUMBER)
    part = table_page(comparison[comparison["outcome"] == which], ss.get("inspect_compare_page", 1))
    ss["inspect_compare_page"] = part.number
    picked = ui.dataframe(with_arrow_prefixes(part.rows), hide_index=True,
                          key=f"inspect_compare_table_{which}_{part.number}", on_select="rerun",
                          selection_mode="single-row")
    chosen = ui.selected_rows(picked, len(part.rows))
    if chosen:
        crow = part.rows.iloc[chosen[0]]
        if ui.button(open_pair_label(crow["pair"]), key="inspect_compare_open"):
            open_in_builder(crow["prefix"], crow["target"], other=other)
    n1, n2 = st.columns([1, 3])
    ui.number_input("Page", min_value=1, max_value=part.count, step=1, key="inspect_compare_page", where=n1)
    n2.caption(part.caption("test pairs"))


render()
