"""Dataset: what each protocol step removed, session lengths, item popularity, the train/test split
over time; and loading your own click log (upload or path, format and columns chosen here)."""
from __future__ import annotations

from pathlib import Path

import pandas as pd
import streamlit as st

from fgnn.app.uploads import SUFFIXES, form_message, no_upload_message, save_upload
from fgnn.data.dataset import DataError
from fgnn.data.readers import FORMATS
from fgnn.data.registry import list_datasets
from fgnn.data.spec import DatasetSpec, dataset_label
from fgnn.viz.plots import (
    dataset_split_day,
    popularity_figure,
    protocol_steps_figure,
    session_length_figure,
    split_timeline_figure,
)
from pages import _widgets as ui
from pages._shared import current_dataset, ensure_app_shell, get_dataset, serving_policy

ensure_app_shell("pages/6_Dataset.py")

ss = st.session_state
ss.setdefault("user_datasets", {})  # label -> DatasetSpec of the logs loaded here
policy = serving_policy()
st.title("Dataset")


# --------------------------------------------------------------------------- your own log
with st.expander(":material/upload_file: Load your own click log", expanded=False):
    how = ui.radio("from", ["upload", "path on this machine"], horizontal=True, key="data_source_kind")
    upload = path_text = None
    if how == "upload":
        allowed = policy.may_upload()
        upload = ui.file_uploader("click log (CSV/TSV)", type=[s.lstrip(".") for s in SUFFIXES], key="data_upload",
                                  disabled=not allowed)
    else:
        allowed = policy.server_paths_allowed()
        path_text = ui.text_input("path", key="data_path", placeholder="/data/clicks.csv or an SR-GNN pickle folder",
                                  disabled=not allowed)
    if not allowed:
        st.info(f"Off: {allowed.reason}.", icon=":material/lock:")
    c1, c2, c3, c4 = st.columns(4)
    fmt = ui.selectbox("format", ["auto", *FORMATS], key="data_format", where=c1,
                       help="diginetica: ';' with session_id/item_id/timeframe/eventdate; yoochoose: no header; "
                            "csv: any delimiter, name the columns; srgnn: a folder of pickles.")
    session_col = ui.text_input("session column (csv)", key="data_session_col", where=c2, max_chars=200)
    item_col = ui.text_input("item column (csv)", key="data_item_col", where=c3, max_chars=200)
    time_col = ui.text_input("time column (csv)", key="data_time_col", where=c4, max_chars=200)
    u1, u2, u3, u4 = st.columns(4)
    user_col = ui.text_input("user column (a log without session ids)", key="data_user_col", where=u1, max_chars=200,
                             help="Instead of a session column: each user's events are cut into sessions "
                                  "where they pause longer than the session gap.")
    session_gap = ui.number_input("session gap (minutes)", value=30.0, step=5.0, key="data_session_gap", where=u2)
    event_col = ui.text_input("event column (optional)", key="data_event_col", where=u3, max_chars=200)
    keep = ui.text_input("keep events", key="data_keep", placeholder="view", where=u4,
                         help="With an event column: the event types kept, comma-separated.")
    collapse = ui.checkbox("collapse immediate repeats (a click on the item just clicked)", key="data_collapse")
    if how == "upload":
        items_upload = ui.file_uploader("items file (optional): item,name[,category]",
                                        type=["csv", "tsv", "txt"], key="data_items_upload", disabled=not allowed)
    else:
        items_path = ui.text_input("items file (optional): item,name[,category]", key="data_items_path",
                                   disabled=not allowed)
    test_days = ui.number_input("test window in days (0 = the format's default)", 0.0, 3650.0, 0.0,
                                key="data_test_days")
    if ui.button("Run the protocol", key="data_load", type="primary"):
        saved: dict[str, str] = {}  # the server's copy of an upload -> the name the visitor gave it
        try:
            if how == "upload":
                if upload is None:  # none chosen, or one the uploader refused for its size
                    raise DataError(no_upload_message(policy, st.get_option("server.maxUploadSize")))
                source = str(save_upload(upload.name, upload.getvalue(), policy=policy))
                saved[source] = upload.name
                items = (str(save_upload(items_upload.name, items_upload.getvalue(), policy=policy))
                         if items_upload is not None else None)
                if items:
                    saved[items] = items_upload.name
            else:
                source = str(policy.server_path(path_text))
                items = str(policy.server_path(items_path)) if items_path.strip() else None
            spec = DatasetSpec(
                source, format=fmt, session_col=session_col, item_col=item_col, time_col=time_col,
                user_col=user_col, event_col=event_col, items=items,
                protocol={"test_days": float(test_days) or None, "keep": keep.strip() or None,
                          "session_gap": session_gap if user_col.strip() or session_gap != 30.0 else None,
                          "collapse_repeats": True if collapse else None})
            ds = get_dataset(spec)
        except (DataError, ValueError, TypeError, OSError) as exc:
            st.error(f"This click log cannot be used: {form_message(exc, saved)}", icon=":material/error:")
        else:
            label = f"{ds.name} ({Path(source).name})" if how == "upload" else spec.label
            ss["user_datasets"][label] = spec
            ss["data_view"] = spec
            st.success(f"Loaded {label}: {ds.n_items} items, {len(ds.train)} training pairs, "
                       f"{len(ds.test)} test pairs. Train on it from the Train page.", icon=":material/check_circle:")

# --------------------------------------------------------------------------- statistics
# the logs loaded here (by the label they were given), the app's dataset, the registry's
choices = list(dict.fromkeys([*ss["user_datasets"].values(), current_dataset(),
                              *(DatasetSpec(n) for n in list_datasets())]))
if ss.get("data_view") not in choices:
    ss["data_view"] = current_dataset()
loaded = ss["user_datasets"]
view = ui.selectbox("dataset", choices, key="data_view", format_func=lambda s: dataset_label(s, loaded))
try:
    ds = get_dataset(view)
except (DataError, ValueError, TypeError, OSError) as exc:
    st.error(f"The dataset {dataset_label(view, loaded)} cannot be used: {exc}", icon=":material/error:")
    st.stop()

summary = ds.summary()
cols = st.columns(5)
for col, key in zip(cols, ("n_items", "train_sessions", "test_sessions", "train_pairs", "test_pairs")):
    col.metric(key.replace("_", " "), f"{summary[key]:,}")
if view != current_dataset() and ui.button(
        "Use this dataset in the whole app", key="data_use",
        help="The sidebar, the session builder and the other pages switch to it (with its format "
             "and columns); pick a checkpoint trained on it."):
    ss["dataset"] = view
    st.rerun()

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
