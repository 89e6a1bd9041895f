"""The tables of the Runs and Train pages: one row per run folder, readable times and durations,
two run configs' differences, cells for display, and the tail of a run's log.
Pure functions on dicts, DataFrames and files: no Streamlit.
"""
from __future__ import annotations

import json
import math
from pathlib import Path

import pandas as pd

from fgnn.models import is_neural
from fgnn.training.config import TrainConfig


def run_table(runs: list[dict], k: int = 20) -> pd.DataFrame:
    """One row per run of :func:`fgnn.runs.folders.list_runs`: name, state, model, kind (model or
    baseline), dataset, epochs done, best HR@k / MRR@k / NDCG@k, device, processes (the
    data-parallel world size), path."""
    rows = []
    for r in runs:
        cfg, status, best = r.get("config") or {}, r.get("status") or {}, r.get("best") or {}
        model = cfg.get("model", "?")
        rows.append({
            "run": r["name"], "state": status.get("state", "?"), "model": model,
            "kind": "model" if is_neural(model) else "baseline", "dataset": cfg.get("dataset"),
            "epoch": status.get("epoch"), "epochs": cfg.get("epochs") if is_neural(model) else 1,
            f"HR@{k}": best.get(f"hit@{k}"), f"MRR@{k}": best.get(f"mrr@{k}"),
            f"NDCG@{k}": best.get(f"ndcg@{k}"), "started": readable_time(status.get("started") or status.get("created")),
            "duration": readable_duration(status.get("started"), status.get("finished") or status.get("updated")),
            "device": status.get("device"),
            "processes": status.get("world_size") or cfg.get("nproc") or 1, "path": r["path"],
        })
    cols = ["run", "state", "model", "kind", "dataset", "epoch", "epochs", f"HR@{k}", f"MRR@{k}",
            f"NDCG@{k}", "started", "duration", "device", "processes", "path"]
    table = pd.DataFrame(rows, columns=cols)
    # counts stay whole numbers when one run lacks one (a plain column would turn 40 into 40.0)
    for col in ("epoch", "epochs", "processes"):
        table[col] = pd.array([_count(v) for v in table[col]], dtype="Int64")
    return table


def _count(value) -> int | None:
    """A whole number from a status or config field, None when it is missing or not a number."""
    try:
        return None if value is None or pd.isna(value) else int(value)
    except (TypeError, ValueError):
        return None


def readable_time(stamp) -> str:
    """A unix time as ``2026-11-28 18:03`` (UTC), '' when unknown."""
    try:
        return pd.Timestamp(float(stamp), unit="s").tz_localize("UTC").tz_convert(None).strftime("%Y-%m-%d %H:%M") \
            if stamp else ""
    except (TypeError, ValueError, OverflowError):
        return ""


def readable_duration(start, end) -> str:
    """``4 min 05 s``, ``1 h 02 min``, ``12 s``; '' when either end is unknown."""
    try:
        seconds = round(float(end) - float(start))
    except (TypeError, ValueError):
        return ""
    if seconds < 0:
        return ""
    if seconds < 60:
        return f"{seconds} s"
    if seconds < 3600:
        return f"{seconds // 60} min {seconds % 60:02d} s"
    return f"{seconds // 3600} h {seconds % 3600 // 60:02d} min"


def blank_missing(table: pd.DataFrame, decimals: int = 2) -> pd.DataFrame:
    """The table as text for display: missing cells blank (not "None"), floats to ``decimals``."""
    out = table.astype(object).copy()
    for col in out.columns:
        out[col] = [("" if v is None or v is pd.NA or (isinstance(v, float) and math.isnan(v)) else
                     f"{v:.{decimals}f}" if isinstance(v, float) else str(v)) for v in table[col]]
    return out


def _flatten(config: dict, prefix: str = "") -> dict:
    flat = {}
    for key, value in (config or {}).items():
        if isinstance(value, dict):
            flat.update(_flatten(value, f"{prefix}{key}."))
        else:
            flat[f"{prefix}{key}"] = value
    return flat


def _empty(value) -> bool:
    return value is None or (isinstance(value, (str, list, dict)) and not value)


def train_config_defaults() -> dict:
    """The settings of a default :class:`fgnn.training.loop.TrainConfig`, flat as ``config.json`` holds them:
    what a run whose (older) config lacks a setting ran with."""
    return TrainConfig().to_dict()


def config_difference(a: dict, b: dict, names: tuple[str, str] = ("A", "B"),
                      defaults: dict | None = None) -> pd.DataFrame:
    """The settings where two run configs differ (nested ones as ``model_params.heads``): columns
    ``setting``, one per run (a setting one run lacks is blank), sorted by setting.

    A setting one config lacks (configs written before it existed, like ``nproc`` or
    ``event_col``) differs only when the other's value is neither empty (null, ``""``, ``[]``,
    ``{}``) nor its default (``defaults``, flat or nested; :func:`train_config_defaults` when None):
    the older run ran with that default too.
    """
    fa, fb = _flatten(a), _flatten(b)
    fd = _flatten(train_config_defaults() if defaults is None else defaults)
    missing = object()

    def differ(key) -> bool:
        va, vb = fa.get(key, missing), fb.get(key, missing)
        if va is missing or vb is missing:
            present = vb if va is missing else va
            return not (_empty(present) or (key in fd and fd[key] == present))
        return va != vb

    rows = [{"setting": key, names[0]: "" if key not in fa else json.dumps(fa[key]),
             names[1]: "" if key not in fb else json.dumps(fb[key])}
            for key in sorted(set(fa) | set(fb)) if differ(key)]
    return pd.DataFrame(rows, columns=["setting", *names])


def log_tail(run_dir, lines: int = 40) -> str:
    """The last ``lines`` lines of a run's ``stdout.log`` ('' when there is none)."""
    try:
        with open(Path(run_dir) / "stdout.log", "rb") as fh:
            fh.seek(0, 2)
            size = fh.tell()
            fh.seek(max(0, size - 64_000))
            text = fh.read().decode("utf-8", "replace")
    except OSError:
        return ""
    # tqdm redraws with carriage returns: keep the last state of each line
    out = [ln.rstrip("\r").rsplit("\r", 1)[-1] for ln in text.rstrip("\n").split("\n")]
    return "\n".join(out[-lines:])
