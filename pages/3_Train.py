"""Train: choose a dataset, a model and its hyperparameters, start a run as its own process,
watch its progress and curves live, cancel it. The run survives closing the tab."""
from __future__ import annotations

import os
from pathlib import Path

import streamlit as st

from fgnn.app.run_tables import log_tail
from fgnn.app.serving import hide_server_paths
from fgnn.data.dataset import DataError
from fgnn.data.registry import list_datasets
from fgnn.data.spec import DatasetSpec, dataset_label
from fgnn.models import is_neural, model_names, preset_names, preset_params
from fgnn.models.hyperparams import TRAINING_HELP, model_hyperparameters, widget_bounds
from fgnn.models.validation import problems
from fgnn.runs.folders import (
    checkpoints_root,
    epoch_label,
    list_runs,
    metrics_dict,
    read_json,
    read_metrics,
    read_status,
    safe_run_name,
    unique_run_dir,
)
from fgnn.runs.launch import can_resume, can_start_again, cancel_run, launch_run, resume_run, start_again_run
from fgnn.training.config import TrainConfig
from fgnn.training.distributed import process_choices
from fgnn.viz.plots import training_curves_figure
from pages import _widgets as ui
from pages._shared import checkpoint_choices, current_dataset, ensure_app_shell, serving_policy

ensure_app_shell("pages/3_Train.py")

ss = st.session_state
st.title("Train")
st.caption("Each run is a separate `python -m fgnn train` process writing a run folder in the checkpoints "
           "root (the Runs page lists them); it keeps going when you close the tab. Defaults are the papers'.")


@st.cache_data(show_spinner=False)
def cuda_info() -> tuple[bool, str]:
    import torch

    if torch.cuda.is_available():
        return True, f"{torch.cuda.get_device_name(0)} ({torch.cuda.device_count()} GPU)"
    return False, "no CUDA GPU found: runs use the CPU"


@st.cache_data(show_spinner=False)
def gpu_names() -> list[str]:
    import torch

    return [torch.cuda.get_device_name(i) for i in range(torch.cuda.device_count())] if torch.cuda.is_available() else []


DEFAULTS = TrainConfig()
has_cuda, gpu = cuda_info()

# --------------------------------------------------------------------------- the form
left, right = st.columns(2)
with left:
    loaded = ss.get("user_datasets", {})  # label -> DatasetSpec, from the Dataset page
    datasets = list(dict.fromkeys([current_dataset(), *(DatasetSpec(n) for n in list_datasets()), *loaded.values()]))
    dataset = ui.selectbox("Dataset", datasets, key="train_dataset", format_func=lambda s: dataset_label(s, loaded),
                           help="Registry name, or a click log loaded on the Dataset page.")
    model = ui.selectbox("Model", model_names(), key="train_model",
                         help="FGNN and SR-GNN train with Adam; the baselines are fitted by counting.")
    neural = is_neural(model)
    presets = preset_names(model)  # named configurations that are not the paper's model (docs/fgnn-study.md)
    preset = ui.selectbox("Preset", ["paper", *presets], key=f"train_{model}_preset",
                          help="'paper' is the published model; a named preset is NOT the paper's model "
                               "(docs/fgnn-study.md) and fills the hyperparameters below.") if presets else "paper"
    preset_values = preset_params(model, None if preset == "paper" else preset)
    model_params = {}
    hyperparameters = model_hyperparameters(model)  # the config's fields, as `fgnn train`'s flags are
    if hyperparameters:
        st.markdown("**Model hyperparameters**")
    for hp in hyperparameters:  # choices as select boxes, ranges on numbers, a one-line help (fgnn.models.hyperparams)
        key = f"train_{model}_{hp.name}" if preset == "paper" else f"train_{model}_{preset}_{hp.name}"
        default = preset_values.get(hp.name, hp.default)
        rule = hp.rule  # the rules live in fgnn.models.validation, the words in fgnn.models.hyperparams
        low, high = widget_bounds(rule)
        if rule and rule.kind == "choice":
            model_params[hp.name] = ui.selectbox(hp.name, list(rule.choices), index=list(rule.choices).index(default)
                                                 if default in rule.choices else 0, key=key, help=hp.help)
        elif hp.type is bool:
            model_params[hp.name] = ui.checkbox(hp.name, value=default, key=key, help=hp.help)
        elif hp.type is int:
            model_params[hp.name] = int(ui.number_input(hp.name, value=default, step=1, key=key, help=hp.help,
                                                        min_value=low, max_value=high, integer=True))
        elif hp.type is float:
            model_params[hp.name] = float(ui.number_input(hp.name, value=default, format="%g", key=key, help=hp.help,
                                                          min_value=low, max_value=high, integer=False))
        else:
            model_params[hp.name] = ui.text_input(hp.name, value=str(default), key=key, help=hp.help)
with right:
    st.markdown("**Training**" if neural else "**Evaluation**")
    epochs = int(ui.number_input("epochs", 1, 1000, DEFAULTS.epochs, key="train_epochs", help=TRAINING_HELP["epochs"], disabled=not neural))
    c1, c2 = st.columns(2)
    batch_size = int(ui.number_input("batch size", 1, 100_000, DEFAULTS.batch_size, key="train_batch_size", help=TRAINING_HELP["batch_size"],
                                     disabled=not neural, where=c1))
    lr = float(ui.number_input("learning rate", 0.0, 10.0, DEFAULTS.lr, format="%g", key="train_lr", help=TRAINING_HELP["lr"],
                               disabled=not neural, where=c2))
    weight_decay = float(ui.number_input("weight decay", 0.0, 1.0, DEFAULTS.weight_decay, format="%g",
                                         key="train_weight_decay", help=TRAINING_HELP["weight_decay"], disabled=not neural, where=c1))
    lr_step = int(ui.number_input("lr decay every N epochs", 1, 1000, DEFAULTS.lr_step, key="train_lr_step", help=TRAINING_HELP["lr_step"],
                                  disabled=not neural, where=c2))
    lr_gamma = float(ui.number_input("lr decay factor", 0.0, 1.0, DEFAULTS.lr_gamma, format="%g",
                                     key="train_lr_gamma", help=TRAINING_HELP["lr_gamma"], disabled=not neural, where=c1))
    seed = int(ui.number_input("seed", 0, 2**31 - 1, DEFAULTS.seed, key="train_seed", help=TRAINING_HELP["seed"], where=c2))
    ks = ui.multiselect("evaluate at K", [1, 5, 10, 20, 50, 100], default=DEFAULTS.ks, key="train_ks",
                        help=TRAINING_HELP["ks"])
    max_train = int(ui.number_input("max training pairs (0 = all)", 0, 10**9, 0, key="train_max_train_pairs",
                                    help=TRAINING_HELP["max_train_pairs"], where=c1))
    max_test = int(ui.number_input("max test pairs (0 = all)", 0, 10**9, 0, key="train_max_test_pairs",
                                   help=TRAINING_HELP["max_test_pairs"], where=c2))
    log_every = int(ui.number_input("log loss every N batches", 1, 100_000, DEFAULTS.log_every, key="train_log_every", help=TRAINING_HELP["log_every"], where=c1))
    devices = ["auto", "cpu"] + (["cuda"] if has_cuda else [])
    device = ui.radio("device", devices, horizontal=True, key="train_device",
                      help="auto = the GPU when there is one.")
    (st.success if has_cuda else st.info)(f"CUDA: {gpu}", icon=":material/memory:")
    max_proc, why = process_choices(device, gpu_names(), os.cpu_count())
    ui.screen("train_nproc", ui.Offer(lambda v: isinstance(v, int) and not isinstance(v, bool), "a whole number"))
    if ss.get("train_nproc", 1) > max_proc:
        ss["train_nproc"] = max_proc
    nproc = int(ui.number_input("processes (data-parallel)", 1, max_proc, 1, key="train_nproc", disabled=not neural,
                                help="DistributedDataParallel under torchrun (docs/distributed.md); baselines "
                                     "always fit in one process."))
    st.caption(why if neural else "baselines fit in one process")
    default_name = f"{model}-{dataset.stem}"  # follows the model and dataset until a name is typed
    name = ui.text_input("run name", key="train_run_name", placeholder=default_name, max_chars=200).strip() or default_name
    folder = safe_run_name(name)
    st.caption(f"folder: `{unique_run_dir(checkpoints_root(), folder).name}`")


def start() -> None:
    cfg = TrainConfig(
        data=dataset, model=model, model_params=model_params,
        epochs=epochs if neural else 1, batch_size=batch_size, lr=lr, weight_decay=weight_decay,
        lr_step=lr_step, lr_gamma=lr_gamma, device=device, seed=seed, ks=sorted(ks or [20]),
        log_every=log_every, max_train_pairs=max_train or None, max_test_pairs=max_test or None, name=name,
        nproc=nproc if neural else 1,
    )
    found = problems(cfg)  # fgnn.models.validation, before anything starts: no run folder, no process
    if found:
        raise DataError("; ".join(p.text(by_key=True) for p in found))
    root = checkpoints_root()
    root.mkdir(parents=True, exist_ok=True)
    run_dir = unique_run_dir(root, name)
    launch_run(cfg.to_dict(), run_dir)
    ss["train_watch"] = str(run_dir)
    ss["train_started"] = run_dir.name
    ss.setdefault("train_mine", set()).add(run_dir.name)


policy = serving_policy()
may_train = policy.may_train()  # read-only mode turns the button off; the run limit is checked on click too
if ui.button("▶ Start training", type="primary", key="train_start", disabled=policy.read_only):
    try:
        with policy.training_slot():  # the run limit, checked again under a lock
            start()
    except (OSError, DataError) as exc:  # a bad value, the run limit, a folder that cannot be written
        st.error(f"The run could not be started: {exc}", icon=":material/error:")
if not may_train:
    st.info(f"Training cannot start: {may_train.reason}.", icon=":material/lock:")

# --------------------------------------------------------------------------- live view
st.divider()
st.subheader("Progress")
runs = list_runs()
paths = [r["path"] for r in runs]
if not paths:
    st.info("No runs yet: start one above.")
    st.stop()
watch = ss.get("train_watch")
if watch not in paths:
    # a run in progress, else the newest neural run (a baseline has no loss curves), else the newest
    active = [r["path"] for r in runs if r["status"].get("state") in ("queued", "running")]
    neural_runs = [r["path"] for r in runs if is_neural((r.get("config") or {}).get("model"))]
    watch = (active or neural_runs or paths)[0]
ss["train_watch"] = watch
ui.selectbox("run to watch", paths, key="train_watch", format_func=lambda p: Path(p).name)


def _follow_state(run_dir: str, state: str) -> None:
    """When the watched run ends, rerun the whole app: the sidebar lists its new checkpoints."""
    seen = ss.setdefault("train_seen_state", {})
    before = seen.get(run_dir)
    seen[run_dir] = state
    if before in ("queued", "running") and state not in ("queued", "running"):
        checkpoint_choices.clear()
        if ss.get("train_started") == Path(run_dir).name:
            ss.pop("train_started", None)
        st.rerun()


def _go_on_button(run_dir, policy, label: str, key: str, action, done: str, help_text: str) -> None:
    """A button that starts an ended run again in its own folder (``action``: resume or start again),
    under the same run limit as Start."""
    if not ui.button(label, key=key, disabled=policy.read_only, help=help_text):
        return
    try:
        with policy.training_slot():
            action(run_dir)
    except (OSError, DataError) as exc:
        st.error(f"The run could not be {done}: {exc}", icon=":material/error:")
    else:
        ss["train_started"] = Path(run_dir).name
        ss.setdefault("train_mine", set()).add(Path(run_dir).name)
        st.rerun()


@st.fragment(run_every=2)
def live(run_dir: str) -> None:
    status = read_status(run_dir)
    state = status.get("state", "?")
    k = int(ss.get("top_k") or 20)
    cols = st.columns(4)
    cols[0].metric("state", state)
    cols[1].metric("device", status.get("device") or "–")
    epochs_total = status.get("epochs") or 1
    cols[2].metric("epoch", epoch_label(status))
    best = metrics_dict(status.get("best"))
    hit_key = f"hit@{k}" if f"hit@{k}" in best else next((x for x in best if x.startswith("hit@")), None)
    cols[3].metric(f"best {hit_key or 'HR'}", f"{best[hit_key]:.2f}" if hit_key else "–")
    steps = status.get("steps_per_epoch") or 0
    if state in ("queued", "running") and ss.get("train_started") == Path(run_dir).name:
        st.success(f"Started run **{ss['train_started']}**.", icon=":material/rocket_launch:")
    _follow_state(run_dir, state)
    if state in ("queued", "running"):
        done = (status.get("step") or 0) / max(steps * epochs_total, 1) if steps else 0.0
        st.progress(min(max(done, 0.0), 1.0), text=f"step {status.get('step') or 0} of {steps * epochs_total or '?'}")
        may_cancel = serving_policy().may_cancel()
        if ui.button("■ Cancel", key="train_cancel", disabled=not may_cancel, help=may_cancel.reason or None):
            cancel_run(run_dir)
            st.warning("Cancel requested: the run stops within a few batches.", icon=":material/stop_circle:")
    elif state == "finished" and Path(run_dir).name in ss.get("train_mine", ()):
        st.success(f"Run {Path(run_dir).name} finished.", icon=":material/check_circle:")
    elif state == "finished":  # a run from before this visit (the newest one is shown first)
        st.info(f"Showing run {Path(run_dir).name}, which finished before this visit; start your own above "
                "or choose another run to watch.", icon=":material/history:")
    elif state == "cancelled":
        st.warning(f"Run {Path(run_dir).name} was cancelled; "
                   + ("last.pt holds its weights." if (Path(run_dir) / "last.pt").is_file()
                      else "it stopped before its first batch."), icon=":material/stop_circle:")
    elif state == "failed":
        st.error(f"Run {Path(run_dir).name} failed: {hide_server_paths(status.get('error') or 'unknown error')}",
                 icon=":material/error:")
        tail = log_tail(run_dir)
        if tail:
            st.markdown("Last lines of `stdout.log`:")
            st.code(hide_server_paths(tail), language="text")
    config = read_json(Path(run_dir) / "config.json")
    config = config if isinstance(config, dict) else {}
    run_info = {"path": run_dir, "status": status, "config": config}
    policy = serving_policy()
    if state in ("cancelled", "failed") and can_resume(run_info):
        _go_on_button(run_dir, policy, "▶ Resume", "train_resume", resume_run, "resumed",
                      "Go on from last.pt in the same folder (a run cancelled before its first batch starts again).")
    if state in ("cancelled", "failed") and can_start_again(run_info):
        _go_on_button(run_dir, policy, "↻ Start again", "train_start_again", start_again_run, "started again",
                      "It saved no checkpoint: start it from the beginning in the same folder, with its config.json.")
    rows = read_metrics(run_dir)
    if rows:
        ks = sorted({int(x.split("@")[1]) for r in rows for x in r if x.startswith("hit@")})
        k_plot = k if k in ks or not ks else max(ks)
        st.plotly_chart(training_curves_figure({Path(run_dir).name: rows}, k=k_plot, log_every=config.get("log_every")),
                        key="train_curves")
    else:
        st.caption("No metrics yet: the first row appears after the first logged batches.")


live(ss["train_watch"])
