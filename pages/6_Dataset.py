"""Dataset: what each protocol step removed, session lengths, item popularity, the train/test split
over time; and loading your own click log (upload or path, format and columns chosen here).

The protocol settings of the form are drawn from their settings (fgnn.app.forms over
fgnn.data.options.ProtocolSettings): label, bounds, step, help and default have one home."""
from __future__ import annotations

from pathlib import Path

import pandas as pd
import streamlit as st

from fgnn.app.forms import FormField, form_field
from fgnn.app.uploads import SUFFIXES, form_message, no_upload_message, save_upload
from fgnn.data.options import ProtocolSettings
from fgnn.data.progress import reporting
from fgnn.data.readers import FORMATS
from fgnn.data.registry import list_datasets
from fgnn.data.spec import DatasetSpec, dataset_label
from fgnn.errors import DataError, FGNNError
from fgnn.viz.dataset_figures import (
    dataset_split_day,
    popularity_figure,
    protocol_steps_figure,
    session_length_figure,
    split_timeline_figure,
)
from pages import _widgets as ui
from pages._shared import current_dataset, ensure_app_shell, get_dataset, serving_policy


def draw_setting(field: FormField, key: str, where=None, **kwargs):
    """One protocol setting's widget (through ``ui``), its value as the setting (``unset`` -> None)."""
    if field.widget == "checkbox":
        return ui.checkbox(field.label, value=bool(field.default), key=key, help=field.help, where=where, **kwargs)
    if field.widget in ("int", "float"):
        shown = ui.number_input(field.label, field.min_value, field.max_value, field.default, step=field.step,
                                key=key, help=field.help, where=where, **kwargs)
        return field.value(shown)
    return ui.text_input(field.label, key=key, help=field.help, where=where, **kwargs).strip() or None


def source_inputs(policy) -> tuple[str, object, str | None, object]:
    """``(how, upload, path text, allowed)``: an upload or a path on this machine."""
    how = ui.radio("from", ["upload", "path on this machine"], horizontal=True, key="data_source_kind")
    upload = path_text = None
    if how == "upload":
        allowed = policy.may_upload()
        upload = ui.file_uploader("click log (CSV/TSV/Parquet)", type=[s.lstrip(".") for s in SUFFIXES], key="data_upload",
                                  disabled=not allowed)
    else:
        allowed = policy.server_paths_allowed()
        path_text = ui.text_input("path", key="data_path", placeholder="/data/clicks.csv or an SR-GNN pickle folder",
                                  disabled=not allowed)
    if not allowed:
        st.info(f"Off: {allowed.reason}.", icon=":material/lock:")
    return how, upload, path_text, allowed


def read_inputs() -> tuple[dict, dict]:
    """``(read options, protocol settings)`` of the form: format, columns, and the steps before the protocol."""
    c1, c2, c3, c4 = st.columns(4)
    read = {"format": ui.selectbox("format", ["auto", *FORMATS], key="data_format", where=c1,
                                   help="diginetica: ';' with session_id/item_id/timeframe/eventdate; yoochoose: "
                                        "no header; csv: any delimiter, name the columns; srgnn: a folder of pickles.")}
    read["session_col"] = ui.text_input("session column (csv)", key="data_session_col", where=c2, max_chars=200)
    read["item_col"] = ui.text_input("item column (csv)", key="data_item_col", where=c3, max_chars=200)
    read["time_col"] = ui.text_input("time column (csv)", key="data_time_col", where=c4, max_chars=200)
    u1, u2, u3, u4 = st.columns(4)
    read["user_col"] = ui.text_input("user column (a log without session ids)", key="data_user_col", where=u1,
                                     max_chars=200, help="Instead of a session column: each user's events are cut "
                                                         "into sessions where they pause longer than the session gap.")
    gap_field = form_field(ProtocolSettings, "session_gap")
    gap = draw_setting(gap_field, "data_session_gap", where=u2)
    read["event_col"] = ui.text_input("event column (optional)", key="data_event_col", where=u3, max_chars=200)
    protocol = {"keep": draw_setting(form_field(ProtocolSettings, "keep"), "data_keep", where=u4, placeholder="view"),
                # the gap is a setting when it cuts user histories, or when it is not the default
                "session_gap": gap if read["user_col"].strip() or gap != gap_field.default else None}
    protocol["collapse_repeats"] = True if draw_setting(form_field(ProtocolSettings, "collapse_repeats"),
                                                        "data_collapse") else None
    return read, protocol


def items_input(how: str, allowed) -> object:
    """The items file: an upload, or a path (text)."""
    if how == "upload":
        return ui.file_uploader("items file (optional): item,name[,category]",
                                type=["csv", "tsv", "txt"], key="data_items_upload", disabled=not allowed)
    return ui.text_input("items file (optional): item,name[,category]", key="data_items_path", disabled=not allowed)


def saved_sources(policy, how: str, upload, path_text, items_given, saved: dict) -> tuple[str, str | None]:
    """``(source, items)`` on this machine: the uploads saved (``saved``: copy -> the visitor's name), or the paths."""
    if how != "upload":
        source = str(policy.server_path(path_text))
        return source, (str(policy.server_path(items_given)) if items_given.strip() else None)
    if upload is None:  # none chosen, or one the uploader refused for its size
        raise DataError(no_upload_message(policy, st.get_option("server.maxUploadSize")))
    source = str(save_upload(upload.name, upload.getvalue(), policy=policy))
    saved[source] = upload.name
    items = str(save_upload(items_given.name, items_given.getvalue(), policy=policy)) if items_given is not None else None
    if items:
        saved[items] = items_given.name
    return source, items


def load_with_progress(spec: DatasetSpec):
    """The prepared dataset of ``spec``, the data layer's stages (reading N rows..., sessions...,
    pairs...) shown in a status box while a large log is prepared (fgnn.data.progress)."""
    with st.status("Running the protocol...", expanded=False) as box:
        with reporting(lambda message, *_: box.update(label=message)):
            try:
                ds = get_dataset(spec)
            except BaseException:
                box.update(label="The protocol stopped: see the message below", state="error")
                raise
        box.update(label=f"Prepared {ds.name}: {len(ds.train):,} training pairs", state="complete")
    return ds


def load_log(ss, policy, how: str, upload, path_text, items_given, read: dict, protocol: dict) -> None:
    """Run the protocol on the log the form names; keep it under its label."""
    saved: dict[str, str] = {}  # the server's copy of an upload -> the name the visitor gave it
    try:
        source, items = saved_sources(policy, how, upload, path_text, items_given, saved)
        spec = DatasetSpec(source, **read, items=items, protocol=protocol)
        ds = load_with_progress(spec)
    except (FGNNError, OSError) as exc:
        st.error(f"This click log cannot be used: {form_message(exc, saved)}", icon=":material/error:")
        return
    label = f"{ds.name} ({Path(source).name})" if how == "upload" else spec.label
    ss["user_datasets"][label] = spec
    ss["data_view"] = spec
    st.success(f"Loaded {label}: {ds.n_items} items, {len(ds.train)} training pairs, "
               f"{len(ds.test)} test pairs. Train on it from the Train page.", icon=":material/check_circle:")


def own_log(ss, policy) -> None:
    """Load your own click log: the source, how to read it, the protocol settings, the button."""
    with st.expander(":material/upload_file: Load your own click log", expanded=False):
        how, upload, path_text, allowed = source_inputs(policy)
        read, protocol = read_inputs()
        items_given = items_input(how, allowed)
        protocol["test_days"] = draw_setting(form_field(ProtocolSettings, "test_days"), "data_test_days")
        if ui.button("Run the protocol", key="data_load", type="primary"):
            load_log(ss, policy, how, upload, path_text, items_given, read, protocol)


def choose_dataset(ss):
    """The dataset to show (the logs loaded here, the app's dataset, the registry's) and its prepared form."""
    choices = list(dict.fromkeys([*ss["user_datasets"].values(), current_dataset(),
                                  *(DatasetSpec(n) for n in list_datasets())]))
    if ss.get("data_view") not in choices:
        ss["data_view"] = current_dataset()
    loaded = ss["user_datasets"]
    view = ui.selectbox("dataset", choices, key="data_view", format_func=lambda s: dataset_label(s, loaded))
    try:
        return view, get_dataset(view)
    except (FGNNError, OSError) as exc:
        st.error(f"The dataset {dataset_label(view, loaded)} cannot be used: {exc}", icon=":material/error:")
        return view, None


def summary(ss, view, ds) -> None:
    cols = st.columns(5)
    numbers = ds.summary()
    for col, key in zip(cols, ("n_items", "train_sessions", "test_sessions", "train_pairs", "test_pairs"), strict=True):
        col.metric(key.replace("_", " "), f"{numbers[key]:,}")
    if view != current_dataset() and ui.button(
            "Use this dataset in the whole app", key="data_use",
            help="The sidebar, the session builder and the other pages switch to it (with its format "
                 "and columns); pick a checkpoint trained on it."):
        ss["dataset"] = view
        st.rerun()


def statistics(ds) -> None:
    st.subheader("Preprocessing protocol, step by step")
    if ds.stats:
        st.plotly_chart(protocol_steps_figure(ds.stats), key="data_steps")
        st.dataframe(pd.DataFrame(ds.stats), hide_index=True, key="data_stats")
    l1, l2 = st.columns(2)
    l1.plotly_chart(session_length_figure(ds.train.session_lengths().numpy(), title="Training session lengths"),
                    key="data_lengths")
    l2.plotly_chart(popularity_figure(ds.popularity[1:].numpy()), key="data_popularity")
    split = dataset_split_day(ds)
    if split is not None and ds.train_dates is not None and ds.test_dates is not None:
        st.plotly_chart(split_timeline_figure(ds.train_dates.numpy(), ds.test_dates.numpy(), split), key="data_split")
    else:
        st.caption("This dataset carries no session dates (SR-GNN pickles): no split timeline.")


def render() -> None:
    ensure_app_shell("pages/6_Dataset.py")
    ss = st.session_state
    ss.setdefault("user_datasets", {})  # label -> DatasetSpec of the logs loaded here
    policy = serving_policy()
    st.title("Dataset")
    own_log(ss, policy)
    view, ds = choose_dataset(ss)
    if ds is None:
        return
    summary(ss, view, ds)
    statistics(ds)


render()
