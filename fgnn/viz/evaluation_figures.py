"""Evaluation figures: metrics by slice, the rank histogram, two models' ranks of the same pairs."""
from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import torch
from plotly.subplots import make_subplots

from fgnn.evaluation.metrics import summarize
from fgnn.viz.common import as_1d, legend_above, number_or_none
from fgnn.viz.drawing import (
    NODE_COLOR,
    OTHER_COLOR,
    PALETTE,
)


def metric_slices_figure(table: pd.DataFrame, k: int = 20, title: str | None = None) -> go.Figure:
    """HR and MRR per slice (``group``), one bar colour per model, side by side.

    ``table`` has columns ``group, n, hit, mrr`` and optionally ``model``; values are plotted
    as given (the caller decides fraction or percent). Group order follows the table.
    """
    df = table.copy()
    if "model" not in df.columns:
        df["model"] = "model"
    groups = [str(g) for g in pd.unique(df["group"])]
    models = [str(m) for m in pd.unique(df["model"])]
    fig = make_subplots(rows=1, cols=2, subplot_titles=(f"HR@{k}", f"MRR@{k}"),
                        horizontal_spacing=0.12)
    for m_i, model in enumerate(models):
        part = df[df["model"].astype(str) == model]
        part = part.set_index(part["group"].astype(str)).reindex(groups)
        for col, metric in ((1, "hit"), (2, "mrr")):
            vals = [number_or_none(v) for v in part[metric]]
            ns = [(number_or_none(v) or 0) for v in part["n"]]
            fig.add_trace(go.Bar(
                x=groups, y=[np.nan if v is None else v for v in vals], name=model,
                legendgroup=model, showlegend=col == 1,
                marker={"color": PALETTE[m_i % len(PALETTE)]},
                customdata=[[int(n)] for n in ns], meta={"model": model, "metric": metric},
                hovertemplate=(f"{model}<br>%{{x}}<br>{'HR' if metric == 'hit' else 'MRR'}@{k} "
                               "%{y:.4g}<br>n = %{customdata[0]}<extra></extra>"),
            ), row=1, col=col)
    # no axis titles: the panel titles name the metric, the figure title the slicing; a y title in
    # the gap between the panels and an x title under the bars overlapped the bars
    fig.update_xaxes(type="category", automargin=True)
    fig.update_yaxes(automargin=True, rangemode="tozero")
    fig.update_layout(barmode="group", title={"text": title or "Metrics by slice"}, height=420)
    legend_above(fig, "model")
    return fig



def rank_histogram_figure(ranks, k: int = 20) -> go.Figure:
    """How many test prefixes put the target at rank 1..K, and how many miss (rank > K); the
    title's HR@K and MRR@K are :func:`fgnn.evaluation.metrics.summarize`'s over the finite ranks."""
    r = as_1d(ranks, "ranks")
    r = r[np.isfinite(r)].astype(np.int64)
    counts = [int(np.sum(r == i)) for i in range(1, k + 1)]
    miss = int(np.sum(r > k))
    n = int(r.size)
    summary = summarize(torch.from_numpy(r), [k])
    hr, mrr = summary[f"hit@{k}"], summary[f"mrr@{k}"]
    x = [str(i) for i in range(1, k + 1)] + [f">{k}"]
    y = counts + [miss]
    share = [100.0 * c / n if n else 0.0 for c in y]
    fig = go.Figure(go.Bar(
        x=x, y=y, marker={"color": [NODE_COLOR] * k + [OTHER_COLOR]},
        customdata=[[s] for s in share], name="ranks",
        hovertemplate="rank %{x}<br>%{y} prefixes (%{customdata[0]:.1f}%)<extra></extra>",
    ))
    fig.update_layout(
        title={"text": f"Rank of the target: {n} prefixes, HR@{k} {hr:.2f}%, MRR@{k} {mrr:.2f}%"},
        xaxis={"title": {"text": "rank of the true next item"}, "type": "category"},
        yaxis={"title": {"text": "test prefixes"}}, height=360, plot_bgcolor="white",
        margin={"l": 50, "r": 10, "t": 50, "b": 50},
    )
    return fig


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
