"""Training curves: loss, HR@K, MRR@K and NDCG@K per epoch and loss per step, for several runs."""
from __future__ import annotations

from collections.abc import Callable, Mapping

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from fgnn.viz.common import number_or_none
from fgnn.viz.drawing import (
    PALETTE,
)


def _epoch_series(rows: list[dict], kind: str, value: Callable[[dict], float | None]):
    """(epochs, values) of rows of one kind, one point per epoch (last row of the epoch wins;
    for training loss logged per step, the mean of the epoch's steps unless an epoch row exists)."""
    by_epoch: dict[int, list[float]] = {}
    summary: dict[int, float] = {}
    for row in rows:
        if row.get("kind", "train") != kind or number_or_none(row.get("epoch")) is None:
            continue
        v = value(row)
        if v is None:
            continue
        epoch = int(row["epoch"])
        if "step" in row and row.get("step") is not None:
            by_epoch.setdefault(epoch, []).append(v)
        else:
            summary[epoch] = v
    epochs = sorted(set(by_epoch) | set(summary))
    values = [summary[e] if e in summary else float(np.mean(by_epoch[e])) for e in epochs]
    return epochs, values


def _first_nonempty(*series):
    for xs, ys in series:
        if xs:
            return xs, ys
    return [], []


def _run_series(rows: list, k: int) -> dict:
    """A run's curves as ``{metric: (xs, ys)}`` from its ``metrics.jsonl`` rows (docs/run-folders.md)."""
    series = {
        # the epoch's mean training loss, logged exactly on its eval row; else the step rows' mean
        "loss": _first_nonempty(_epoch_series(rows, "eval", lambda r: number_or_none(r.get("train_loss"))),
                                _epoch_series(rows, "train", lambda r: number_or_none(r.get("loss")))),
        # the eval rows' keys as fgnn.evaluation.metrics.summarize names them
        "hit": _epoch_series(rows, "eval", lambda r: number_or_none(r.get(f"hit@{k}"))),
        "mrr": _epoch_series(rows, "eval", lambda r: number_or_none(r.get(f"mrr@{k}"))),
        "ndcg": _epoch_series(rows, "eval", lambda r: number_or_none(r.get(f"ndcg@{k}"))),
    }
    steps = [(int(r["step"]), number_or_none(r.get("loss"))) for r in rows
             if r.get("kind", "train") == "train" and number_or_none(r.get("step")) is not None
             and number_or_none(r.get("loss")) is not None]
    steps.sort(key=lambda p: p[0])
    series["step_loss"] = ([s for s, _ in steps], [v for _, v in steps])
    return series


_CURVE_CELLS = {"loss": (1, 1), "step_loss": (1, 4), "hit": (2, 1), "mrr": (2, 3), "ndcg": (2, 5)}


def _add_run_curves(fig: go.Figure, run: str, rows, color: str, k: int) -> bool:
    """One run's traces in every panel that has its data; True when it has a per-step loss."""
    series = _run_series([r for r in (rows or []) if isinstance(r, Mapping)], k)
    legend_shown = False
    for metric in ("loss", "step_loss", "hit", "mrr", "ndcg"):
        xs, ys = series[metric]
        if not xs:
            continue
        row, col = _CURVE_CELLS[metric]
        xname = "step" if metric == "step_loss" else "epoch"
        mname = {"loss": "train loss", "step_loss": "train loss",
                 "hit": f"HR@{k}", "mrr": f"MRR@{k}", "ndcg": f"NDCG@{k}"}[metric]
        fig.add_trace(go.Scatter(
            x=list(xs), y=list(ys), mode="lines" if metric == "step_loss" else "lines+markers",
            line={"color": color, "width": 1.2 if metric == "step_loss" else 2},
            name=run, legendgroup=run, showlegend=not legend_shown,
            meta={"run": run, "metric": metric},
            hovertemplate=f"{run}<br>{xname} %{{x}}<br>{mname} %{{y:.4g}}<extra></extra>",
        ), row=row, col=col)
        legend_shown = True
    return bool(series["step_loss"][0])


def training_curves_figure(runs: Mapping[str, list[dict]], k: int = 20,
                           references: Mapping[str, Mapping] | None = None,
                           log_every: int | None = None) -> go.Figure:
    """Loss, HR@K, MRR@K and NDCG@K per epoch, and training loss per step, for several runs.

    ``references`` maps a baseline's name to its metrics (``hit@K``, ``mrr@K``, ``ndcg@K``):
    each is a dotted horizontal line across the HR, MRR and NDCG panels, named at its right end
    (a baseline has no epochs; ``shape.name == "reference <name>"``).

    Each run keeps one colour in every panel. One trace per run per metric that has data
    (training loss per epoch, loss per step, HR, MRR, NDCG, read from ``metrics.jsonl`` rows:
    docs/run-folders.md); ``trace.meta == {"run": name, "metric": ...}``. Rows missing a key are
    skipped, so a run with no eval rows yet just has no metric traces. When no run has a per-step
    loss (a run logs it every ``log_every`` batches, and a short one may log none), the empty
    panel says why (an annotation named ``"no step loss"``).
    """
    titles = ("loss per epoch", "training loss per step", f"HR@{k} (%)", f"MRR@{k} (%)",
              f"NDCG@{k} (%)")
    fig = make_subplots(
        rows=2, cols=6,
        specs=[[{"colspan": 3}, None, None, {"colspan": 3}, None, None],
               [{"colspan": 2}, None, {"colspan": 2}, None, {"colspan": 2}, None]],
        subplot_titles=titles, vertical_spacing=0.16, horizontal_spacing=0.07,
    )
    any_steps = False
    for r_i, (run, rows) in enumerate(runs.items()):
        any_steps = _add_run_curves(fig, run, rows, PALETTE[r_i % len(PALETTE)], k) or any_steps
    for name, metrics in (references or {}).items():
        for metric, (row, col) in (("hit", (2, 1)), ("mrr", (2, 3)), ("ndcg", (2, 5))):
            value = number_or_none(metrics.get(f"{metric}@{k}") if isinstance(metrics, Mapping) else None)
            if value is None:
                continue
            fig.add_hline(y=value, row=row, col=col, line={"color": "#555", "dash": "dot", "width": 1.2},
                          name=f"reference {name}", annotation_text=name, annotation_position="top right",
                          annotation_font={"size": 10, "color": "#555"})
    if runs and not any_steps:
        every = f"every {int(log_every)} batches" if log_every else "every N batches"
        fig.add_annotation(text=f"no per-step loss: it is logged {every}<br>and this run trained fewer so far",
                           xref="x2 domain", yref="y2 domain", x=0.5, y=0.5, showarrow=False,
                           font={"size": 12, "color": "#555"}, name="no step loss")
    for row, col in ((1, 1), (2, 1), (2, 3), (2, 5)):
        fig.update_xaxes(title_text="epoch", row=row, col=col)
    fig.update_xaxes(title_text="step", row=1, col=4)
    fig.update_yaxes(title_text="loss", row=1, col=1)
    fig.update_layout(title={"text": "Training curves"}, height=620, hovermode="closest",
                      legend={"title": {"text": "run"}}, margin={"l": 50, "r": 10, "t": 80, "b": 40})
    return fig
