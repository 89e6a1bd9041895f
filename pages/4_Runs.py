"""Runs: every run folder with its status, config and best metrics (baselines beside models),
overlaid curves of the runs you pick, the checkpoint the whole app uses, deletion after confirmation."""
from __future__ import annotations

import contextlib
import json
from pathlib import Path

import streamlit as st

from fgnn.app.run_tables import blank_missing, config_difference, run_table
from fgnn.app.serving import hide_server_paths
from fgnn.data.dataset import DataError
from fgnn.data.spec import DatasetSpec
from fgnn.models import is_neural
from fgnn.runs.folders import best_checkpoint, list_runs, read_metrics
from fgnn.runs.launch import delete_run, deletion_confirmed
from fgnn.viz.plots import training_curves_figure
from pages import _widgets as ui
from pages._shared import ensure_app_shell, serving_policy

ensure_app_shell("pages/4_Runs.py")

ss = st.session_state
st.title("Runs")
k = int(ss.get("top_k") or 20)
runs = list_runs()
st.caption(f"{len(runs)} run(s) in the checkpoints root. Best metrics at K = {k} (the sidebar's K; "
           "a run evaluated at other K shows blanks).")
if not runs:
    st.info("No runs yet: start one on the Train page.")
    st.stop()

table = run_table(runs, k=k)
by_name = {r["name"]: r for r in runs}
for kind, title in (("model", "Models"), ("baseline", "Baselines")):
    part = table[table["kind"] == kind].drop(columns=["kind", "path"])
    st.markdown(f"**{title}** ({len(part)})")
    if part.empty:
        st.caption("none yet" + (": fit POP, S-POP, Markov or (V-)SKNN on the Train page for an honest "
                                 "comparison" if kind == "baseline" else ""))
    else:
        st.dataframe(blank_missing(part), hide_index=True, key=f"runs_table_{kind}")

# --------------------------------------------------------------------------- curves
st.subheader("Curves")
names = list(table["run"])
# the best finished neural runs (by their best HR@K); baselines are drawn as reference lines
finished = table[(table["kind"] == "model") & (table["state"] == "finished")]
default = list(finished.sort_values(f"HR@{k}", ascending=False, na_position="last")["run"][:2])
chosen = ui.multiselect("runs to overlay", names, default=default, key="runs_overlay",
                        help="Models as curves; a baseline as a dotted line at its HR, MRR and NDCG. "
                             "Choose two runs to see how their configs differ.")
if chosen:
    curves = {n: read_metrics(by_name[n]["path"]) for n in chosen if n in by_name
              and is_neural(by_name[n]["config"].get("model"))}
    references = {n: by_name[n]["best"] for n in chosen if n in by_name and n not in curves}
    st.plotly_chart(training_curves_figure(curves, k=k, references=references), key="runs_curves")
if len(chosen) == 2 and all(n in by_name for n in chosen):
    diff = config_difference(by_name[chosen[0]]["config"], by_name[chosen[1]]["config"], names=tuple(chosen))
    st.markdown(f"**Config difference** ({len(diff)} setting{'s' * (len(diff) != 1)})")
    if diff.empty:
        st.caption("The two runs have the same config.")
    else:
        st.dataframe(diff, hide_index=True, key="runs_config_diff")

# --------------------------------------------------------------------------- one run
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


def use_checkpoint(path: str, config: dict) -> None:
    ss["checkpoint"] = path
    with contextlib.suppress(DataError):  # its dataset, format, columns and protocol; none named: keep the app's
        ss["dataset"] = DatasetSpec.from_config(config, default=None)
    ss["runs_message"] = f"The app now uses {Path(path).parent.name}/{Path(path).name}."


if ckpt is None:
    st.caption("This run has no checkpoint yet.")
else:
    in_use = str(ss.get("checkpoint")) == str(ckpt)
    ui.button(":material/check: Use this checkpoint in the whole app" if not in_use else ":material/check: In use", key="runs_use",
              disabled=in_use, on_click=use_checkpoint, args=(str(ckpt), run["config"]))
if ss.get("runs_message"):
    st.success(ss.pop("runs_message"))

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
        except (OSError, DataError) as exc:
            st.error(f"Not deleted: {hide_server_paths(str(exc))}", icon=":material/error:")
        else:
            if str(ss.get("checkpoint", "")).startswith(str(Path(run["path"]))):
                ss["checkpoint"] = None  # the sidebar falls back to the default checkpoint
            ss["runs_deleted"] = name
            st.rerun()
if ss.get("runs_deleted"):
    st.info(f"Run {ss.pop('runs_deleted')} was deleted.")
