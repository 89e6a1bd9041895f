"""Train: choose a dataset, a model and its hyperparameters, start a run as its own process,
watch its progress and curves live, cancel it. The run survives closing the tab.

Every field of the form is drawn from its setting (fgnn.app.forms over TrainConfig and the model's
config): bounds, choices, help and default have one home, beside the dataclass field."""
from __future__ import annotations

import os
from pathlib import Path

import streamlit as st

from fgnn.app import train_view
from fgnn.app.forms import FormField, form_field, form_fields
from fgnn.app.run_tables import log_tail
from fgnn.app.serving import hide_server_paths
from fgnn.data.registry import list_datasets
from fgnn.data.spec import DatasetSpec, dataset_label
from fgnn.errors import DataError, FGNNError
from fgnn.models import config_class, is_neural, model_names, preset_names, preset_params
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
from fgnn.training.config import TrainConfig, problems
from fgnn.training.distributed import process_choices
from fgnn.viz.training_figures import training_curves_figure
from pages import _widgets as ui
from pages._shared import checkpoint_choices, current_dataset, ensure_app_shell, serving_policy

# the training settings in the form, with the column each is drawn in (None: full width) and
# whether a baseline (fitted, not trained) greys it out
TRAINING_LAYOUT = (("epochs", None, True), ("batch_size", 0, True), ("lr", 1, True), ("weight_decay", 0, True),
                   ("lr_step", 1, True), ("lr_gamma", 0, True), ("seed", 1, False), ("ks", None, False),
                   ("max_train_pairs", 0, False), ("max_test_pairs", 1, False), ("log_every", 0, False))


@st.cache_data(show_spinner=False)
def gpu_names() -> list[str]:
    return train_view.gpu_names()


def draw(field: FormField, key: str, where=None, disabled: bool = False):
    """One setting's widget (through ``ui``), its value as the setting (``0 = all`` -> None)."""
    common = {"key": key, "help": field.help, "where": where, "disabled": disabled}
    if field.widget == "select":
        options = list(field.choices)
        return ui.selectbox(field.label, options, index=options.index(field.default), **common)
    if field.widget == "multiselect":
        return ui.multiselect(field.label, list(field.choices), default=field.default, **common)
    if field.widget == "checkbox":
        return ui.checkbox(field.label, value=bool(field.default), **common)
    if field.widget in ("int", "float"):
        integer = field.widget == "int"
        shown = ui.number_input(field.label, field.min_value, field.max_value, field.default, step=field.step,
                                integer=integer, **({} if integer else {"format": "%g"}), **common)
        return field.value(shown)
    return ui.text_input(field.label, value="" if field.default is None else str(field.default), **common)


def dataset_and_model(ss) -> tuple[DatasetSpec, str, str]:
    """The dataset, the model and its preset ("paper": the published model)."""
    loaded = ss.get("user_datasets", {})  # label -> DatasetSpec, from the Dataset page
    datasets = list(dict.fromkeys([current_dataset(), *(DatasetSpec(n) for n in list_datasets()), *loaded.values()]))
    dataset = ui.selectbox("Dataset", datasets, key="train_dataset", format_func=lambda s: dataset_label(s, loaded),
                           help="Registry name, or a click log loaded on the Dataset page.")
    model = ui.selectbox("Model", model_names(), key="train_model",
                         help="FGNN and SR-GNN train with Adam; the baselines are fitted by counting.")
    presets = preset_names(model)  # named configurations that are not the paper's model (docs/fgnn-study.md)
    preset = ui.selectbox("Preset", ["paper", *presets], key=f"train_{model}_preset",
                          help="'paper' is the published model; a named preset is NOT the paper's model "
                               "(docs/fgnn-study.md) and fills the hyperparameters below.") if presets else "paper"
    return dataset, model, preset


def model_hyperparameters(model: str, preset: str) -> dict:
    """The model's hyperparameters: its config's fields, as `fgnn train`'s flags are."""
    values = preset_params(model, None if preset == "paper" else preset)
    fields = form_fields(config_class(model), defaults=values)
    if fields:
        st.markdown("**Model hyperparameters**")
    prefix = f"train_{model}_" if preset == "paper" else f"train_{model}_{preset}_"
    return {f.name: draw(f, prefix + f.name) for f in fields}


def training_settings(neural: bool) -> dict:
    """The run's settings (TrainConfig fields) in two columns."""
    st.markdown("**Training**" if neural else "**Evaluation**")
    columns = st.columns(2)
    out = {}
    for name, column, neural_only in TRAINING_LAYOUT:
        where = None if column is None else columns[column]
        out[name] = draw(form_field(TrainConfig, name), f"train_{name}", where, disabled=neural_only and not neural)
    out["ks"] = sorted(out["ks"] or [20])
    return out


def device_and_processes(ss, neural: bool) -> dict:
    """The device and the number of data-parallel processes it allows."""
    names = gpu_names()
    has_cuda, gpu = train_view.cuda_summary(names)
    device_field = form_field(TrainConfig, "device")
    device = ui.radio(device_field.name, train_view.device_choices(has_cuda), horizontal=True, key="train_device",
                      help=device_field.help)
    (st.success if has_cuda else st.info)(f"CUDA: {gpu}", icon=":material/memory:")
    max_proc, why = process_choices(device, names, os.cpu_count())
    ui.screen("train_nproc", ui.Offer(lambda v: isinstance(v, int) and not isinstance(v, bool), "a whole number"))
    if ss.get("train_nproc", 1) > max_proc:
        ss["train_nproc"] = max_proc
    nproc = form_field(TrainConfig, "nproc")
    value = int(ui.number_input(nproc.label, nproc.min_value, max_proc, nproc.default, key="train_nproc",
                                disabled=not neural, help=nproc.help))
    st.caption(why if neural else "baselines fit in one process")
    return {"device": device, "nproc": value if neural else 1}


def run_name(model: str, dataset: DatasetSpec) -> str:
    default_name = f"{model}-{dataset.stem}"  # follows the model and dataset until a name is typed
    name = ui.text_input("run name", key="train_run_name", placeholder=default_name, max_chars=200).strip() or default_name
    st.caption(f"folder: `{unique_run_dir(checkpoints_root(), safe_run_name(name)).name}`")
    return name


def train_form(ss) -> TrainConfig:
    """The form; the run config it describes (not yet checked)."""
    left, right = st.columns(2)
    with left:
        dataset, model, preset = dataset_and_model(ss)
        neural = is_neural(model)
        params = model_hyperparameters(model, preset)
    with right:
        settings = training_settings(neural)
        settings.update(device_and_processes(ss, neural))
        name = run_name(model, dataset)
    if not neural:
        settings["epochs"] = 1
    return TrainConfig(data=dataset, model=model, model_params=params, name=name, **settings)


def start(ss, cfg: TrainConfig) -> None:
    found = problems(cfg)  # every rule, before anything starts: no run folder, no process
    if found:
        raise DataError("; ".join(p.text(by_key=True) for p in found))
    root = checkpoints_root()
    root.mkdir(parents=True, exist_ok=True)
    run_dir = unique_run_dir(root, cfg.name)
    launch_run(cfg.to_dict(), run_dir)
    ss["train_watch"] = str(run_dir)
    ss["train_started"] = run_dir.name
    ss.setdefault("train_mine", set()).add(run_dir.name)


def start_button(ss, cfg: TrainConfig, policy) -> None:
    may_train = policy.may_train()  # read-only mode turns the button off; the run limit is checked on click too
    if ui.button("▶ Start training", type="primary", key="train_start", disabled=policy.read_only):
        try:
            with policy.training_slot():  # the run limit, checked again under a lock
                start(ss, cfg)
        except (OSError, FGNNError) as exc:  # a bad value, the run limit, a folder that cannot be written
            st.error(f"The run could not be started: {exc}", icon=":material/error:")
    if not may_train:
        st.info(f"Training cannot start: {may_train.reason}.", icon=":material/lock:")


def choose_run(ss) -> str | None:
    """The run to watch (a selectbox of every run); None when there is none."""
    runs = list_runs()
    watch = train_view.run_to_watch(runs, ss.get("train_watch"))
    if watch is None:
        st.info("No runs yet: start one above.")
        return None
    ss["train_watch"] = watch
    return ui.selectbox("run to watch", [r["path"] for r in runs], key="train_watch", format_func=lambda p: Path(p).name)


def _follow_state(ss, run_dir: str, state: str) -> None:
    """When the watched run ends, rerun the whole app: the sidebar lists its new checkpoints."""
    seen = ss.setdefault("train_seen_state", {})
    before = seen.get(run_dir)
    seen[run_dir] = state
    if before in train_view.ACTIVE and state not in train_view.ACTIVE:
        checkpoint_choices.clear()
        if ss.get("train_started") == Path(run_dir).name:
            ss.pop("train_started", None)
        st.rerun()


def _go_on_button(ss, run_dir, policy, label: str, key: str, action, done: str, help_text: str) -> None:
    """A button that starts an ended run again in its own folder (``action``: resume or start again),
    under the same run limit as Start."""
    if not ui.button(label, key=key, disabled=policy.read_only, help=help_text):
        return
    try:
        with policy.training_slot():
            action(run_dir)
    except (OSError, FGNNError) as exc:
        st.error(f"The run could not be {done}: {exc}", icon=":material/error:")
    else:
        ss["train_started"] = Path(run_dir).name
        ss.setdefault("train_mine", set()).add(Path(run_dir).name)
        st.rerun()


def run_metrics(status: dict, k: int) -> None:
    cols = st.columns(4)
    cols[0].metric("state", status.get("state", "?"))
    cols[1].metric("device", status.get("device") or "–")
    cols[2].metric("epoch", epoch_label(status))
    best = metrics_dict(status.get("best"))
    hit = train_view.hit_key(best, k)
    cols[3].metric(f"best {hit or 'HR'}", f"{best[hit]:.2f}" if hit else "–")


def run_state(ss, run_dir: str, status: dict) -> None:
    """What the run is doing, with its Cancel button while it runs."""
    state, name = status.get("state", "?"), Path(run_dir).name
    if state in train_view.ACTIVE:
        done, words = train_view.progress(status)
        st.progress(done, text=words)
        may_cancel = serving_policy().may_cancel()
        if ui.button("■ Cancel", key="train_cancel", disabled=not may_cancel, help=may_cancel.reason or None):
            cancel_run(run_dir)
            st.warning("Cancel requested: the run stops within a few batches.", icon=":material/stop_circle:")
    elif state == "finished" and name in ss.get("train_mine", ()):
        st.success(f"Run {name} finished.", icon=":material/check_circle:")
    elif state == "finished":  # a run from before this visit (the newest one is shown first)
        st.info(f"Showing run {name}, which finished before this visit; start your own above "
                "or choose another run to watch.", icon=":material/history:")
    elif state == "cancelled":
        st.warning(f"Run {name} was cancelled; "
                   + ("last.pt holds its weights." if (Path(run_dir) / "last.pt").is_file()
                      else "it stopped before its first batch."), icon=":material/stop_circle:")
    elif state == "failed":
        st.error(f"Run {name} failed: {hide_server_paths(status.get('error') or 'unknown error')}",
                 icon=":material/error:")
        tail = log_tail(run_dir)
        if tail:
            st.markdown("Last lines of `stdout.log`:")
            st.code(hide_server_paths(tail), language="text")


def go_on_buttons(ss, run_dir: str, status: dict, config: dict) -> None:
    if status.get("state") not in ("cancelled", "failed"):
        return
    run_info = {"path": run_dir, "status": status, "config": config}
    policy = serving_policy()
    if can_resume(run_info):
        _go_on_button(ss, run_dir, policy, "▶ Resume", "train_resume", resume_run, "resumed",
                      "Go on from last.pt in the same folder (a run cancelled before its first batch starts again).")
    if can_start_again(run_info):
        _go_on_button(ss, run_dir, policy, "↻ Start again", "train_start_again", start_again_run, "started again",
                      "It saved no checkpoint: start it from the beginning in the same folder, with its config.json.")


def curves(run_dir: str, config: dict, k: int) -> None:
    rows = read_metrics(run_dir)
    if rows:
        st.plotly_chart(training_curves_figure({Path(run_dir).name: rows}, k=train_view.curve_k(rows, k),
                                               log_every=config.get("log_every")), key="train_curves")
    else:
        st.caption("No metrics yet: the first row appears after the first logged batches.")


@st.fragment(run_every=2)
def live(run_dir: str) -> None:
    ss = st.session_state
    status = read_status(run_dir)
    k = int(ss.get("top_k") or 20)
    run_metrics(status, k)
    if status.get("state", "?") in train_view.ACTIVE and ss.get("train_started") == Path(run_dir).name:
        st.success(f"Started run **{ss['train_started']}**.", icon=":material/rocket_launch:")
    _follow_state(ss, run_dir, status.get("state", "?"))
    run_state(ss, run_dir, status)
    config = read_json(Path(run_dir) / "config.json")
    config = config if isinstance(config, dict) else {}
    go_on_buttons(ss, run_dir, status, config)
    curves(run_dir, config, k)


def render() -> None:
    ensure_app_shell("pages/3_Train.py")
    ss = st.session_state
    st.title("Train")
    st.caption("Each run is a separate `python -m fgnn train` process writing a run folder in the checkpoints "
               "root (the Runs page lists them); it keeps going when you close the tab. Defaults are the papers'.")
    cfg = train_form(ss)
    start_button(ss, cfg, serving_policy())
    st.divider()
    st.subheader("Progress")
    watch = choose_run(ss)
    if watch is not None:
        live(watch)


render()
