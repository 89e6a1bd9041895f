"""Runs: every run folder with its status, config and best metrics (baselines beside models),
overlaid curves of the runs you pick, the checkpoint the whole app uses, deletion after confirmation."""
from __future__ import annotations

import json
from pathlib import Path

import streamlit as st

from fgnn.inspect import run_table
from fgnn.plots import training_curves_figure
from fgnn.runs import best_checkpoint, checkpoints_root, delete_run, list_runs, read_metrics
from fgnn.uploads import run_dataset_source
from pages._shared import ensure_app_shell, serving_policy

ensure_app_shell("pages/4_Runs.py")

ss = st.session_state
st.title("Runs")
k = int(ss.get("top_k") or 20)
runs = list_runs()
st.caption(f"{len(runs)} run(s) in `{checkpoints_root()}`. Best metrics at K = {k} (the sidebar's K; "
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
        st.dataframe(part, hide_index=True, key=f"runs_table_{kind}")

# --------------------------------------------------------------------------- curves
st.subheader("Curves")
names = list(table["run"])
default = [n for n in names if by_name[n]["config"].get("model") in ("fgnn", "srgnn")][:2]
chosen = st.multiselect("runs to overlay", names, default=default, key="runs_overlay")
if chosen:
    st.plotly_chart(training_curves_figure({n: read_metrics(by_name[n]["path"]) for n in chosen}, k=k),
                    key="runs_curves")

# --------------------------------------------------------------------------- one run
st.subheader("One run")
name = st.selectbox("run", names, key="runs_selected")
run = by_name[name]
ckpt = best_checkpoint(run["path"])
c1, c2 = st.columns(2)
with c1:
    st.markdown("**config.json**")
    st.code(json.dumps(run["config"], indent=2), language="json")
with c2:
    st.markdown("**status.json**")
    st.code(json.dumps(run["status"], indent=2, default=str), language="json")
    if run["status"].get("state") == "failed":
        st.error(f"This run failed: {run['status'].get('error') or 'unknown error'}", icon=":material/error:")


def use_checkpoint(path: str, config: dict) -> None:
    ss["checkpoint"] = path
    source = run_dataset_source(config)
    if source:
        ss["dataset"] = source
    ss["runs_message"] = f"The app now uses {Path(path).parent.name}/{Path(path).name}."


if ckpt is None:
    st.caption("This run has no checkpoint yet.")
else:
    in_use = str(ss.get("checkpoint")) == str(ckpt)
    st.button(":material/check: Use this checkpoint in the whole app" if not in_use else ":material/check: In use", key="runs_use",
              disabled=in_use, on_click=use_checkpoint, args=(str(ckpt), run["config"]))
if ss.get("runs_message"):
    st.success(ss.pop("runs_message"))

with st.expander(":material/delete: Delete this run"):
    st.write(f"Deletes the folder `{run['path']}` with its checkpoints and logs. This cannot be undone.")
    may_delete = serving_policy().may_delete(run["path"])
    typed = st.text_input("type the run name to confirm", key="runs_delete_confirm", disabled=not may_delete)
    if not may_delete:
        st.info(f"Deletion is off: {may_delete.reason}.", icon=":material/lock:")
    if st.button("Delete run", key="runs_delete", disabled=not may_delete or typed.strip() != name):
        try:
            delete_run(run["path"])
        except (OSError, ValueError) as exc:
            st.error(f"Not deleted: {exc}", icon=":material/error:")
        else:
            if str(ss.get("checkpoint", "")).startswith(str(Path(run["path"]))):
                ss["checkpoint"] = None  # the sidebar falls back to the default checkpoint
            ss["runs_deleted"] = name
            st.rerun()
if ss.get("runs_deleted"):
    st.info(f"Run {ss.pop('runs_deleted')} was deleted.")
