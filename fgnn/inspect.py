"""The debugger behind the Inspect page: a checkpoint evaluated on every test pair of its dataset.

``pair_table`` gives one row per test prefix (original item ids, the target, its rank, hit@K,
prefix length, target popularity and category); ``filter_pairs`` narrows it; ``sliced_metrics``
slices it by prefix length and target popularity (:mod:`fgnn.metrics`); ``compare_tables`` puts
two checkpoints side by side on the same pairs, where one hits and the other misses.
Pure functions on tensors and DataFrames: no Streamlit.
"""
from __future__ import annotations

import json
import math
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import torch

from .checkpoint import load_checkpoint, load_model
from .data.dataset import DataError, PreparedDataset
from .data.spec import DatasetSpec
from .evaluate import rank_targets
from .metrics import length_buckets, popularity_buckets, slice_metrics

OUTCOMES = ("all", "hit", "miss")


def load_checkpoint_dataset(path) -> PreparedDataset:
    """The prepared dataset a checkpoint was trained on (:meth:`DatasetSpec.of_checkpoint`,
    through the registry and its cache)."""
    return DatasetSpec.of_checkpoint(load_checkpoint(path)).load()


def pair_table(model, dataset: PreparedDataset, k: int = 20, batch_size: int = 500,
                    device="cpu", ranks: torch.Tensor | None = None) -> pd.DataFrame:
    """One row per test pair, in pair order.

    Columns: ``pair`` (index into ``dataset.test``), ``session`` (test session index), ``prefix``
    (list of original item ids), ``length`` (prefix length), ``target`` (original id), ``rank``
    (items scored at least as high as the target, ties against it: :func:`fgnn.evaluate.rank_targets`), ``hit`` (rank <= k),
    ``target_popularity`` (training clicks of the target) and ``target_category`` (-1 unknown,
    or None when the dataset has no categories); ``target_name`` after ``target`` when the
    dataset names its items.
    """
    test = dataset.test
    if ranks is None:
        ranks = rank_targets(model, test, batch_size=batch_size, device=device)
    ranks = torch.as_tensor(ranks).long().cpu()
    if ranks.numel() != len(test):
        raise ValueError(f"{ranks.numel()} ranks for {len(test)} test pairs")
    ids = dataset.item_ids
    targets = test.targets.long()
    pop = dataset.popularity[targets]
    starts = test.offsets[test.pair_session].tolist()
    lengths = test.pair_length.tolist()
    flat_ids = ids[test.items.long()].tolist()
    table = pd.DataFrame({
        "pair": np.arange(len(test)),
        "session": test.pair_session.numpy(),
        "prefix": [flat_ids[s:s + n] for s, n in zip(starts, lengths)],
        "length": test.pair_length.numpy(),
        "target": ids[targets].numpy(),
        "rank": ranks.numpy(),
        "hit": (ranks <= k).numpy(),
        "target_popularity": pop.numpy(),
    })
    if dataset.categories is not None:
        table["target_category"] = dataset.categories[targets].numpy()
    else:
        table["target_category"] = None
    return dataset.with_item_names(table, column="target", name_column="target_name")


def evaluate_checkpoint(path, dataset: PreparedDataset | None = None, k: int = 20,
                        batch_size: int = 500, device="cpu") -> tuple[pd.DataFrame, dict, PreparedDataset]:
    """Load a checkpoint (and its dataset unless given), rank every test pair: ``(table, ckpt, dataset)``.

    Raises :class:`fgnn.checkpoint.CheckpointError` / :class:`DataError` with a message for the app.
    """
    if dataset is None:
        dataset = load_checkpoint_dataset(path)
    model, ckpt = load_model(path, dataset)
    model.to(device)
    return pair_table(model, dataset, k=k, batch_size=batch_size, device=device), ckpt, dataset


def filter_pairs(table: pd.DataFrame, outcome: str = "all", length: tuple | None = None,
                 popularity: tuple | None = None, categories: Sequence[int] | None = None) -> pd.DataFrame:
    """Rows whose outcome (``all``/``hit``/``miss``), prefix length and target popularity lie in
    the given inclusive ranges and whose target category is one of ``categories`` (None = any)."""
    if outcome not in OUTCOMES:
        raise ValueError(f"outcome must be one of {OUTCOMES}, not {outcome!r}")
    keep = pd.Series(True, index=table.index)
    if outcome != "all":
        keep &= table["hit"] == (outcome == "hit")
    if length is not None:
        keep &= table["length"].between(length[0], length[1])
    if popularity is not None:
        keep &= table["target_popularity"].between(popularity[0], popularity[1])
    if categories:
        keep &= table["target_category"].isin(list(categories))
    return table[keep]


def sliced_metrics(table: pd.DataFrame, k: int = 20, model: str | None = None) -> dict[str, pd.DataFrame]:
    """``{"session length": ..., "target popularity": ...}``: HR/MRR/NDCG@k per slice
    (:func:`fgnn.metrics.slice_metrics` over :func:`length_buckets` / :func:`popularity_buckets`)."""
    ranks = torch.tensor(table["rank"].to_numpy(dtype=np.int64))
    lengths = torch.tensor(table["length"].to_numpy(dtype=np.int64))
    pop = torch.tensor(table["target_popularity"].to_numpy(dtype=np.int64))
    out = {}
    for name, (groups, labels) in (("session length", length_buckets(lengths)),
                                   ("target popularity", popularity_buckets(pop))):
        rows = pd.DataFrame(slice_metrics(ranks, groups, labels, k=k))
        if model is not None:
            rows["model"] = model
        out[name] = rows
    return out


def compare_tables(a: pd.DataFrame, b: pd.DataFrame, k: int = 20, names: tuple[str, str] = ("A", "B")) -> pd.DataFrame:
    """Two checkpoints on the same test pairs: ``rank_A``, ``rank_B``, ``hit_A``, ``hit_B`` and an
    ``outcome`` column (``both hit`` / ``only A hits`` / ``only B hits`` / ``both miss``)."""
    if len(a) != len(b) or not np.array_equal(a["target"].to_numpy(), b["target"].to_numpy()):
        raise DataError("the two checkpoints were not evaluated on the same test pairs: "
                        "compare checkpoints trained on the same dataset")
    na, nb = names
    out = a[["pair", "session", "prefix", "length", "target", "target_popularity", "target_category"]].copy()
    out[f"rank_{na}"] = a["rank"].to_numpy()
    out[f"rank_{nb}"] = b["rank"].to_numpy()
    ha, hb = a["rank"].to_numpy() <= k, b["rank"].to_numpy() <= k
    out[f"hit_{na}"], out[f"hit_{nb}"] = ha, hb
    out["outcome"] = np.select([ha & hb, ha & ~hb, ~ha & hb], ["both hit", f"only {na} hits", f"only {nb} hits"],
                               default="both miss")
    out["rank_change"] = out[f"rank_{nb}"] - out[f"rank_{na}"]
    return out


def comparison_counts(comparison: pd.DataFrame) -> pd.DataFrame:
    """How many pairs fall in each outcome of :func:`compare_tables` (all four, zeros included)."""
    names = [c[len("hit_"):] for c in comparison.columns if c.startswith("hit_")]
    order = ["both hit"] + [f"only {n} hits" for n in names] + ["both miss"]
    counts = comparison["outcome"].value_counts()
    return pd.DataFrame({"outcome": order, "pairs": [int(counts.get(o, 0)) for o in order]})


def rank_comparison_figure(comparison: pd.DataFrame, k: int = 20, max_points: int = 1000) -> go.Figure:
    """Rank under A against rank under B for every test pair (log axes), coloured by outcome;
    dashed lines at K. ``customdata`` holds the pair index.

    An outcome with more than ``max_points`` pairs (a full test set has tens of thousands) is drawn
    as ``max_points`` of them spread evenly over the pair order, so the figure stays small; the
    trace's name and ``meta["pairs"]`` keep the outcome's full count (docs/research-scale.md)."""
    names = [c[len("rank_"):] for c in comparison.columns if c.startswith("rank_") and c != "rank_change"]
    na, nb = names[:2]
    colors = {"both hit": "#2ca02c", f"only {na} hits": "#1f77b4", f"only {nb} hits": "#ff7f0e",
              "both miss": "#9e9e9e"}
    fig = go.Figure()
    sampled = False
    for outcome, color in colors.items():
        part = comparison[comparison["outcome"] == outcome]
        n = len(part)
        if n > max_points:
            part = part.iloc[np.linspace(0, n - 1, max_points).round().astype(int)]
            sampled = True
        fig.add_trace(go.Scatter(
            x=part[f"rank_{na}"].to_numpy(np.int32), y=part[f"rank_{nb}"].to_numpy(np.int32), mode="markers",
            name=f"{outcome} ({n})" if len(part) == n else f"{outcome} ({n}; {len(part)} shown)",
            marker={"color": color, "size": 7, "opacity": 0.8},
            customdata=part["pair"].to_numpy(np.int32), meta={"outcome": outcome, "pairs": n},
            hovertemplate=f"pair %{{customdata}}<br>rank {na} %{{x}}<br>rank {nb} %{{y}}<extra></extra>",
        ))
    for axis in ("x", "y"):
        fig.add_shape(type="line", line={"dash": "dash", "color": "black", "width": 1},
                      **({"x0": k, "x1": k, "xref": "x", "y0": 0, "y1": 1, "yref": "paper"} if axis == "x"
                         else {"y0": k, "y1": k, "yref": "y", "x0": 0, "x1": 1, "xref": "paper"}))
    fig.update_layout(
        title={"text": f"Rank of the target: {na} vs {nb} ({len(comparison)} test pairs"
                        f"{f', at most {max_points} per outcome shown' if sampled else ''}, K = {k})"},
        xaxis={"title": {"text": f"rank under {na}"}, "type": "log", "dtick": 1},  # 1, 10, 100: no "2 5" ticks
        yaxis={"title": {"text": f"rank under {nb}"}, "type": "log", "dtick": 1},
        height=460, plot_bgcolor="white", margin={"l": 50, "r": 10, "t": 50, "b": 50},
    )
    return fig


def dataset_split_day(dataset: PreparedDataset) -> int | None:
    """The split date as a day number since 1970-01-01 (what :func:`fgnn.plots.split_timeline_figure`
    takes), or None when the dataset has no dates."""
    if not dataset.split_date:
        return None
    split = pd.Timestamp(dataset.split_date)
    if split.tzinfo is not None:  # a split at a time of day is written with its UTC offset
        split = split.tz_convert(None)
    return int((split - pd.Timestamp(0)).days)


def run_table(runs: list[dict], k: int = 20) -> pd.DataFrame:
    """One row per run of :func:`fgnn.runs.list_runs`: name, state, model, kind (model or
    baseline), dataset, epochs done, best HR@k / MRR@k / NDCG@k, device, processes (the
    data-parallel world size), path."""
    from .models import is_neural

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
    return pd.DataFrame(rows, columns=cols)


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
        out[col] = [("" if v is None or (isinstance(v, float) and math.isnan(v)) else
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


def config_difference(a: dict, b: dict, names: tuple[str, str] = ("A", "B")) -> pd.DataFrame:
    """The settings where two run configs differ (nested ones as ``model_params.heads``): columns
    ``setting``, one per run (a setting one run lacks is blank), sorted by setting."""
    fa, fb = _flatten(a), _flatten(b)
    rows = [{"setting": key, names[0]: "" if key not in fa else json.dumps(fa[key]),
             names[1]: "" if key not in fb else json.dumps(fb[key])}
            for key in sorted(set(fa) | set(fb)) if fa.get(key, object()) != fb.get(key, object())]
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


def pair_prediction(model, dataset: PreparedDataset, prefix, target: int) -> dict:
    """What the model predicted for one test pair: its top-1 (``top1``, ``top1_score``) and where the
    true next item stands (``target``, ``rank``, ``score``), e.g. for a miss on the Inspect page."""
    from .studio import predict_topk, target_rank

    top = predict_topk(model, dataset, [int(i) for i in prefix], 1).iloc[0]
    t = target_rank(model, dataset, [int(i) for i in prefix], int(target))
    return {"top1": int(top["item"]), "top1_score": float(top["score"]), "target": t["item"],
            "rank": t["rank"], "score": t["score"]}
