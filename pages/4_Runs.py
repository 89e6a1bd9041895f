"""Runs: every run folder with its status, config and best metrics (baselines beside models),
overlaid curves of the runs you pick, the checkpoint the whole app uses, deletion after confirmation."""
from __future__ import annotations

import contextlib
import json

import streamlit as st

from fgnn.app.choices import page_k
from fgnn.app.run_tables import blank_missing, config_difference, run_table
from fgnn.app.runs_page import (
    KINDS,
    compared_pair,
    config_difference_heading,
    default_overlay,
    inside_run,
    no_runs_of_kind_caption,
    now_using_message,
    overlay_split,
    runs_caption,
    use_button_label,
)
from fgnn.app.serving import hide_server_paths
from fgnn.data.spec import DatasetSpec
from fgnn.errors import DataError, FGNNError
from fgnn.runs.folders import best_checkpoint, list_runs, read_metrics
from fgnn.runs.launch import delete_run, deletion_confirmed
from fgnn.viz.training_figures import training_curves_figure
from pages import _widgets as ui
from pages._shared import ensure_app_shell, serving_policy


def render() -> None:
    ensure_app_shell("pages/4_Runs.py")
    st.title("Runs")
    k = page_k(st.session_state.get("top_k"))
    runs = list_runs()
    st.caption(runs_caption(len(runs), k))
    if not runs:
        st.info("No runs yet: start one on the Train page.")
        st.stop()
    table = run_table(runs, k=k)
    by_name = {r["name"]: r for r in runs}
    _run_tables(table)
    names = list(table["run"])
    _curves(table, names, by_name, k)
    name = _one_run(names, by_name)
    _delete(name, by_name[name])


def _run_tables(table) -> None:
    """The Models and the Baselines tables."""
    for kind, title in KINDS:
        part = table[table["kind"] == kind].drop(columns=["kind", "path"])
        st.markdown(f"**{title}** ({len(part)})")
        if part.empty:
            st.caption(no_runs_of_kind_caption(kind))
        else:
            st.dataframe(blank_missing(part), hide_index=True, key=f"runs_table_{kind}")


# --------------------------------------------------------------------------- curves
def _curves(table, names: list[str], by_name: dict, k: int) -> None:
    """Overlaid curves of the chosen runs (baselines as reference lines) and, for two, their config difference."""
    st.subheader("Curves")
    # the best finished neural runs (by their best HR@K); baselines are drawn as reference lines
    chosen = ui.multiselect("runs to overlay", names, default=default_overlay(table, k), key="runs_overlay",
                            help="Models as curves; a baseline as a dotted line at its HR, MRR and NDCG. "
                                 "Choose two runs to see how their configs differ.")
    if chosen:
        curve_names, reference_names = overlay_split(chosen, by_name)
        curves = {n: read_metrics(by_name[n]["path"]) for n in curve_names}
        references = {n: by_name[n]["best"] for n in reference_names}
        st.plotly_chart(training_curves_figure(curves, k=k, references=references), key="runs_curves")
    pair = compared_pair(chosen, by_name)
    if pair:
        diff = config_difference(by_name[pair[0]]["config"], by_name[pair[1]]["config"], names=pair)
        st.markdown(config_difference_heading(len(diff)))
        if diff.empty:
            st.caption("The two runs have the same config.")
        else:
            st.dataframe(diff, hide_index=True, key="runs_config_diff")


# --------------------------------------------------------------------------- one run
def _one_run(names: list[str], by_name: dict) -> str:
    """The chosen run's config and status, and the button that makes the whole app use its checkpoint."""
    ss = st.session_state
    st.subheader("One run")
    name = ui.selectbox("run", names, key="runs_selected")
    run = by_name[name]
    ckpt = best_checkpoint(run["path"])
    c1, c2 = st.columns(2)
    with c1:
        st.markdown("**config.json**")
        st.code(json.dumps(hide_server_paths(run["config"]), indent=2), language="json")
    with c2:
        st.markdown("**status.json**")
        st.code(json.dumps(hide_server_paths(run["status"]), indent=2, default=str), language="json")
        if run["status"].get("state") == "failed":
            st.error(f"This run failed: {hide_server_paths(run['status'].get('error') or 'unknown error')}",
                     icon=":material/error:")
    if ckpt is None:
        st.caption("This run has no checkpoint yet.")
    else:
        in_use = str(ss.get("checkpoint")) == str(ckpt)
        ui.button(use_button_label(in_use), key="runs_use",
                  disabled=in_use, on_click=use_checkpoint, args=(str(ckpt), run["config"]))
    if ss.get("runs_message"):
        st.success(ss.pop("runs_message"))
    return name


def use_checkpoint(path: str, config: dict) -> None:
    ss = st.session_state
    ss["checkpoint"] = path
    with contextlib.suppress(DataError):  # its dataset, format, columns and protocol; none named: keep the app's
        ss["dataset"] = DatasetSpec.from_config(config, default=None)
    ss["runs_message"] = now_using_message(path)


def _delete(name: str, run: dict) -> None:
    """Deleting the run folder, after its name is typed."""
    ss = st.session_state
    with st.expander(":material/delete: Delete this run"):
        st.write(f"Deletes the run folder `{name}` with its checkpoints and logs. This cannot be undone.")
        may_delete = serving_policy().may_delete(run["path"])
        typed = ui.text_input("type the run name to confirm", key="runs_delete_confirm", disabled=not may_delete,
                              max_chars=300)
        if not may_delete:
            st.info(f"Deletion is off: {may_delete.reason}.", icon=":material/lock:")
        # enabled before the name is typed: a click that also ends the typing is not swallowed
        if ui.button("Delete run", key="runs_delete", disabled=not may_delete):
            if not deletion_confirmed(typed, name):
                st.error(f"Type the run name `{name}` exactly to confirm the deletion.", icon=":material/error:")
                st.stop()
            try:
                delete_run(run["path"])
            except (OSError, FGNNError) as exc:
                st.error(f"Not deleted: {hide_server_paths(str(exc))}", icon=":material/error:")
            else:
                if inside_run(ss.get("checkpoint", ""), run["path"]):
                    ss["checkpoint"] = None  # the sidebar falls back to the default checkpoint
                ss["runs_deleted"] = name
                st.rerun()
    if ss.get("runs_deleted"):
        st.info(f"Run {ss.pop('runs_deleted')} was deleted.")


render()
